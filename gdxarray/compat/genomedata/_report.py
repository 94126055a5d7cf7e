"""``genomedata._report``: ``genomedata-report``."""

from __future__ import annotations

import sys

from gdxarray.compat._delegate import run_command

__all__ = ["main", "report"]


def report(gdarchive):
    """Print the mean and variance of every track (tab-separated)."""
    run_command("report", [str(gdarchive)])


def main(argv=None):
    """``genomedata-report GDARCHIVE``."""
    run_command("report", argv)


if __name__ == "__main__":
    sys.exit(main())
