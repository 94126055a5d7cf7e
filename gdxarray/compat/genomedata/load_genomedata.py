"""``genomedata.load_genomedata``: ``load_genomedata`` and ``genomedata-load``."""

from __future__ import annotations

import sys

from gdxarray.format import FILE_MODE_CHROMS  # noqa: F401 - the reference's module names

from gdxarray.compat._delegate import run_command
from ._close_data import close_data  # noqa: F401 - the reference's module names
from ._load_data import DEFAULT_CHUNK_SIZE, load_data  # noqa: F401
from ._load_seq import load_seq  # noqa: F401
from ._open_data import open_data  # noqa: F401
from ._util import DEFAULT_CHROMOSOME_NAME_STYLE, EXT, SUFFIX  # noqa: F401

__all__ = ["DEFAULT_CHUNK_SIZE", "load_genomedata", "main"]


def load_genomedata(gdfilename, tracks=None, seqfilenames=None, mode=None,
                    seqfile_type="fasta", chunk_size=DEFAULT_CHUNK_SIZE,
                    assembly_report_file=None,
                    chromosome_name_style=DEFAULT_CHROMOSOME_NAME_STYLE,
                    maskfilename=None, verbose=False):
    """Create the archive *gdfilename* from sequence files and load *tracks*
    (``(trackname, filename)`` pairs) into it, then compute its statistics:
    load-seq, open-data, load-data and close-data in one step."""
    from gdxarray.writer import load_genomedata as _load_genomedata

    return _load_genomedata(
        gdfilename, tracks=tracks, seqfilenames=seqfilenames, mode=mode,
        seqfile_type=seqfile_type, chunk_size=chunk_size,
        assembly_report_file=assembly_report_file,
        chromosome_name_style=chromosome_name_style, maskfilename=maskfilename,
        verbose=verbose)


def main(cmdline=None):
    """``genomedata-load [OPTIONS] GDARCHIVE``."""
    run_command("load", cmdline)


if __name__ == "__main__":
    sys.exit(main())
