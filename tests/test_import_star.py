"""Every public module says what it exports (``__all__``), and says it truly.

``from module import *`` must give exactly ``__all__``, every name in it must
exist, and the top-level package must export every error class."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import gdxarray
import gdxarray.errors


def _public_modules() -> list[str]:
    import gdxarray.cli  # installed from cli/ beside the package, so walked on its own

    names = ["gdxarray", "gdxarray.cli"]
    for package in (gdxarray, gdxarray.cli):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not any(part.startswith("_") for part in info.name.split(".")[1:]):
                names.append(info.name)
    return sorted(set(names))


MODULES = _public_modules()


def test_the_walk_finds_the_rooms():
    for expected in ("gdxarray.genome", "gdxarray.store", "gdxarray.format", "gdxarray.parsers",
                     "gdxarray.writer", "gdxarray.writer.data", "gdxarray.cli.load",
                     "gdxarray.backends.entrypoint", "gdxarray.datasets"):
        assert expected in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_all_is_declared_and_true(name):
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert len(set(exported)) == len(exported), f"{name}.__all__ repeats a name"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what it lacks: {missing}"
    namespace: dict = {}
    exec(f"from {name} import *", namespace)
    namespace.pop("__builtins__")
    assert set(namespace) == set(exported)


def test_every_error_class_is_exported_from_the_package():
    classes = {n for n, v in vars(gdxarray.errors).items()
               if inspect.isclass(v) and issubclass(v, (Exception, Warning))
               and v.__module__ == "gdxarray.errors"}
    assert classes <= set(gdxarray.__all__)
    assert classes <= set(gdxarray.errors.__all__)
