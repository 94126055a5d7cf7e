"""Run unchanged ``genomedata`` scripts and programs on gdxarray.

The package ``gdxarray.compat.genomedata`` mirrors the module layout of the
reference genomedata 1.7.4 (``genomedata``, ``genomedata._util``,
``genomedata._load_data``, ``genomedata.load_genomedata``, ...) over
gdxarray's core.  Two ways to have ``import genomedata`` served by it without
editing a line:

* ``python -m gdxarray.compat SCRIPT [ARGS]`` or
  ``python -m gdxarray.compat -m MODULE [ARGS]`` runs a program (a console
  program such as Segway too: ``python -m gdxarray.compat "$(which segway)"``);
* ``gdxarray.compat.install()`` inside a running interpreter (a notebook, a
  test suite), even where the reference package is installed and already
  imported; ``uninstall()`` puts the reference back.

``install()`` puts a finder first on ``sys.meta_path`` that answers
``genomedata`` and every ``genomedata.*`` with the mirror's modules, and
replaces such entries already in ``sys.modules``.  Objects a module took from
the reference before ``install()`` (``from genomedata import Genome`` done
earlier) stay the reference's: install first, then import the program.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

__all__ = ["install", "uninstall", "is_installed", "MIRROR"]

#: The package that serves ``genomedata``.
MIRROR = "gdxarray.compat.genomedata"
_SERVED = "genomedata"


def _served(fullname: str) -> bool:
    return fullname == _SERVED or fullname.startswith(_SERVED + ".")


def _mirror_name(fullname: str) -> str:
    return MIRROR + fullname[len(_SERVED):]


class _AliasLoader(importlib.abc.Loader):
    """Hands out the mirror's module object itself, so ``genomedata._util``
    and ``gdxarray.compat.genomedata._util`` are one module (one class
    ``OverlapWarning``, one ``Genome``)."""

    def __init__(self, module):
        self.module = module

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        pass  # already executed under its own name

    # runpy (``-m genomedata._info``) runs a module's code as __main__
    def get_code(self, fullname):
        spec = self.module.__spec__
        return spec.loader.get_code(spec.name)

    def is_package(self, fullname):
        return hasattr(self.module, "__path__")


class _GenomedataFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if not _served(fullname):
            return None
        try:
            module = importlib.import_module(_mirror_name(fullname))
        except ModuleNotFoundError as error:
            if error.name != _mirror_name(fullname):
                raise
            return None  # a module the reference does not have either: ModuleNotFoundError
        return importlib.util.spec_from_loader(
            fullname, _AliasLoader(module), is_package=hasattr(module, "__path__"))


_finder: _GenomedataFinder | None = None
#: sys.modules entries of the reference taken out by install(), put back by uninstall()
_saved: dict[str, object] = {}


def is_installed() -> bool:
    """Whether ``import genomedata`` is served by gdxarray in this process."""
    return _finder is not None and _finder in sys.meta_path


def install() -> None:
    """Serve ``import genomedata`` (and ``genomedata.*``) with gdxarray from now on.

    Entries of the reference already in ``sys.modules`` are put aside (and
    replaced by the mirror's modules of the same names, where the mirror has
    them), so a later ``import genomedata`` gets gdxarray even if the
    reference was imported before.  Calling it twice is harmless.
    """
    global _finder
    if is_installed():
        return
    _finder = _GenomedataFinder()
    sys.meta_path.insert(0, _finder)
    replaced = sorted(name for name in sys.modules if _served(name))
    for name in replaced:
        _saved[name] = sys.modules.pop(name)
    for name in replaced:  # parents first (sorted), so submodules bind to our package
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # a private module of the reference that the mirror does not offer


def uninstall() -> None:
    """Undo :func:`install`: ``import genomedata`` finds the reference again
    and the reference's modules put aside by ``install()`` are restored."""
    global _finder
    if _finder is not None:
        while _finder in sys.meta_path:
            sys.meta_path.remove(_finder)
        _finder = None
    for name in [name for name in sys.modules if _served(name)]:
        del sys.modules[name]
    sys.modules.update(_saved)
    _saved.clear()
