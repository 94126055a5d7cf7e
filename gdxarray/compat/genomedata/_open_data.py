"""``genomedata._open_data``: ``open_data`` and ``genomedata-open-data``."""

from __future__ import annotations

import sys

from gdxarray.compat._delegate import run_command
from ._util import GenomedataDirtyWarning  # noqa: F401 - the reference's module names

__all__ = ["main", "open_data"]


def open_data(gdarchive, tracknames, verbose):
    """Add the tracks *tracknames* (empty, NaN) to the archive *gdarchive*."""
    from gdxarray.writer import open_data as _open_data

    _open_data(gdarchive, tracknames, verbose)


def main(argv=None):
    """``genomedata-open-data GDARCHIVE --tracknames NAME...``."""
    run_command("open_data", argv)


if __name__ == "__main__":
    sys.exit(main())
