"""Input parsers: track data (bedGraph, WIG, bigWig), region files, and sequence/assembly files.

All of them raise :class:`gdxarray.errors.ParseError` with the file name and
line number of malformed input.
"""

from __future__ import annotations

from ._io import InputFileError, open_input
from .regions import read_mask, read_regions
from .sequence import (
    AssemblyReport,
    NameTranslationError,
    SeqRecord,
    count_sequences,
    find_supercontigs,
    read_agp,
    read_assembly_report,
    read_fasta,
    read_sizes,
)
from .tracks import IntervalBlock, read_track, sniff_track_format

__all__ = [
    "AssemblyReport",
    "InputFileError",
    "IntervalBlock",
    "NameTranslationError",
    "SeqRecord",
    "count_sequences",
    "find_supercontigs",
    "open_input",
    "read_agp",
    "read_assembly_report",
    "read_fasta",
    "read_mask",
    "read_regions",
    "read_sizes",
    "read_track",
    "sniff_track_format",
]
