"""How the mirror's ``main()`` functions run gdxarray's commands."""

from __future__ import annotations

import importlib
import sys


def run_command(module: str, argv) -> None:
    """Run ``gdxarray.cli.<module>.main(argv)`` as the reference's ``main(argv)``:
    *argv* of None means ``sys.argv[1:]``; returns None on success and raises
    ``SystemExit`` with the command's status on failure (after its one-line
    message on standard error), so a failure never passes silently."""
    main = importlib.import_module(f"gdxarray.cli.{module}").main
    status = main(sys.argv[1:] if argv is None else list(argv))
    if status:
        raise SystemExit(status)
