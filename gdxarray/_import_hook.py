"""An import hook: register the ``.gd`` accessor without making ``import gdxarray``
import xarray.

Importing xarray (and with it pandas) costs about half a second, which every
``genomedata-*`` command would pay for nothing.  If xarray is already imported
the accessor is registered at once; otherwise a one-shot import hook registers
it right after xarray's own import finishes.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys


def _register() -> None:
    from . import accessor  # noqa: F401 - importing registers the accessor


class _AfterXarray(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname != "xarray":
            return None
        sys.meta_path.remove(self)  # one shot; also lets the real finders run below
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        exec_module = loader.exec_module

        def exec_then_register(module):
            exec_module(module)
            _register()

        loader.exec_module = exec_then_register
        return spec


def install() -> None:
    if "xarray" in sys.modules:
        _register()
    elif not any(isinstance(f, _AfterXarray) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterXarray())
