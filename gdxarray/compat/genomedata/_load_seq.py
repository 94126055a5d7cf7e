"""``genomedata._load_seq``: ``load_seq`` and ``genomedata-load-seq``."""

from __future__ import annotations

import sys

from gdxarray.format import FILE_MODE_CHROMS, FORMAT_VERSION, MIN_GAP_LEN

from gdxarray.compat._delegate import run_command
from ._chromosome import SEQ_DTYPE  # noqa: F401 - the reference's module names
from ._util import DEFAULT_CHROMOSOME_NAME_STYLE, GENOMEDATA_ENCODING  # noqa: F401

SUPERCONTIG_NAME_FMT = "supercontig_%s"
DNA_LETTERS_UNAMBIG = "ACGTacgt"
GAP_COMPONENT_TYPES = frozenset("NU")
AGP_FIELDNAMES = ["object", "object_beg", "object_end", "part_number", "component_type",
                  "col6", "col7", "col8", "col9"]
ASSEMBLY_REPORT_COMMENT_DELIMITER = "#"
ASSEMBLY_REPORT_FIELD_DELIMITER = "\t"

__all__ = ["MIN_GAP_LEN", "load_seq", "main"]


def load_seq(gdfilename, filenames, verbose=False, mode=None, seqfile_type="fasta",
             assembly_report_file=None, chromosome_name_style="UCSC-style-name"):
    """Create the archive *gdfilename* from sequence files (*seqfile_type*
    ``fasta``, ``agp`` or ``sizes``), as a single file or a directory (*mode*
    ``file``/``dir``; default by the number of sequences)."""
    from gdxarray.writer import load_seq as _load_seq

    _load_seq(gdfilename, filenames, verbose=verbose, mode=mode, seqfile_type=seqfile_type,
              assembly_report_file=assembly_report_file,
              chromosome_name_style=chromosome_name_style)


def main(argv=None):
    """``genomedata-load-seq [OPTIONS] GDARCHIVE SEQFILE...``."""
    run_command("load_seq", argv)


if __name__ == "__main__":
    sys.exit(main())
