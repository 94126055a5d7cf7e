"""``python -m gdxarray.compat SCRIPT [ARGS]`` / ``python -m gdxarray.compat -m MODULE [ARGS]``:
run a program with ``import genomedata`` served by gdxarray.

The program sees what ``python SCRIPT ARGS`` / ``python -m MODULE ARGS`` would
give it: ``sys.argv`` (``[SCRIPT, ARGS...]``, or the module's file for ``-m``),
``__name__ == "__main__"``, the script's folder first on ``sys.path``; its
exit status is the runner's.  A console program is a Python script, so
``python -m gdxarray.compat "$(which segway)" ...`` runs Segway.  Child Python
processes the program starts get gdxarray's ``genomedata`` too (through
``PYTHONPATH``; see ``_children/genomedata``).
"""

from __future__ import annotations

import os
import runpy
import sys

#: Put first on the children's PYTHONPATH: its ``genomedata`` installs gdxarray's
#: in every child Python process the program starts (Segway's segway-task jobs).
CHILDREN_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_children")


def _cover_children() -> None:
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if CHILDREN_PATH not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([CHILDREN_PATH, *paths])

USAGE = ("usage: python -m gdxarray.compat SCRIPT [ARGS...]\n"
         "       python -m gdxarray.compat -m MODULE [ARGS...]\n"
         "Run a program with 'import genomedata' served by gdxarray.\n")


def main(argv: list[str] | None = None) -> int | None:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        (sys.stdout if argv else sys.stderr).write(USAGE)
        return 0 if argv else 2
    from . import install

    if argv[0] == "-m" or (argv[0].startswith("-m") and len(argv[0]) > 2):
        module = argv[0][2:] or (argv[1] if len(argv) > 1 else "")
        rest = argv[1:] if argv[0] != "-m" else argv[2:]
        if not module:
            sys.stderr.write("python -m gdxarray.compat: error: -m needs a module name\n")
            return 2
        install()
        _cover_children()
        sys.argv = [module, *rest]  # run_module(alter_sys=True) puts the module's file in argv[0]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return None
    script = argv[0]
    if argv[0] == "--":
        script, argv = (argv[1] if len(argv) > 1 else ""), argv[1:]
    if not os.path.exists(script):
        sys.stderr.write(f"python -m gdxarray.compat: error: can't open file {script!r}: "
                         "No such file or directory\n")
        return 2
    install()
    _cover_children()
    sys.argv = list(argv)
    # as `python SCRIPT`: the script's folder, not the current one, comes first
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    runpy.run_path(script, run_name="__main__")
    return None


if __name__ == "__main__":
    sys.exit(main())
