"""Build hook: the optional C reduction kernel (gdxarray/_reduce.c).

Everything else is in pyproject.toml.  The kernel is loaded through ctypes
(gdxarray/_kernels.py), not imported; if it cannot be compiled the install
still succeeds and reductions use numpy (same results, slower).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("gdxarray._reduce", ["gdxarray/_reduce.c", "gdxarray/_parse.c"],
                             extra_compile_args=["-O3", "-std=gnu11"], optional=True)])
