"""``genomedata._load_data``: ``load_data`` and ``genomedata-load-data``."""

from __future__ import annotations

import sys

from gdxarray.format import CONTINUOUS_CHUNK_SHAPE

from gdxarray.compat._delegate import run_command
from ._util import SUFFIX_GZ, die  # noqa: F401 - the reference's module names

BIG_WIG_READ_CMD = "bigWigToBedGraph"
BEDTOOLS_CMD = "bedtools"
BEDTOOLS_INTERSECT_CMD = "intersect"
BEDTOOLS_STDIN = "stdin"
DEFAULT_CHUNK_SIZE = CONTINUOUS_CHUNK_SHAPE[0]
LOAD_DATA_CMD = "genomedata-load-data"

__all__ = ["DEFAULT_CHUNK_SIZE", "load_data", "main"]


def load_data(gdfilename, trackname, datafile, maskfile=None, verbose=False):
    """Load the track file *datafile* (bedGraph, WIG or bigWig, plain or gzip)
    into the opened track *trackname* of the archive *gdfilename*, keeping only
    the data inside the regions of *maskfile* if given (gdxarray's loader)."""
    from gdxarray.writer import load_data as _load_data

    _load_data(gdfilename, trackname, datafile, maskfile=maskfile, verbose=verbose)


def main(argv=None):
    """``genomedata-load-data GDARCHIVE TRACKNAME < DATA``."""
    run_command("load_data", argv)


if __name__ == "__main__":
    sys.exit(main())
