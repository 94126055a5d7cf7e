"""``genomedata._erase_data``: ``erase_data`` and ``genomedata-erase-data``."""

from __future__ import annotations

import sys

from gdxarray.compat._delegate import run_command

LINE_WIDTH = 70

__all__ = ["erase_data", "main"]


def erase_data(gdfilename, trackname, verbose=False):
    """Set every value of the track *trackname* of *gdfilename* to NaN."""
    from gdxarray.writer import erase_data as _erase_data

    _erase_data(gdfilename, trackname, verbose)


def main(argv=None):
    """``genomedata-erase-data GDARCHIVE --tracknames NAME...``."""
    run_command("erase_data", argv)


if __name__ == "__main__":
    sys.exit(main())
