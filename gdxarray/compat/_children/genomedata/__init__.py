"""``genomedata`` for the child Python processes of a program run by
``python -m gdxarray.compat`` (Segway's ``segway-task`` jobs read the archive
per window): the runner puts this folder first on ``PYTHONPATH``.

Importing it installs gdxarray's ``genomedata`` in that process and hands
out the mirror package in its place.  In a Python where gdxarray cannot be
imported it steps aside and the installed ``genomedata`` (if any) is
imported instead.
"""

import os as _os
import sys as _sys

_HERE = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))

del _sys.modules[__name__]  # not saved by install(), and not found again below
try:
    import gdxarray.compat as _compat
except ImportError:
    _sys.path[:] = [p for p in _sys.path if _os.path.abspath(p or _os.curdir) != _HERE]
    import importlib as _importlib

    _sys.modules[__name__] = _importlib.import_module(__name__)
else:
    import importlib as _importlib

    _compat.install()
    _sys.modules[__name__] = _importlib.import_module(_compat.MIRROR)
