"""The write path: load-seq, open-data, load-data, load-bam, close-data, erase-data,
hardmask and the one-step genomedata-load, with the reference's names.

Public functions take archive paths; the ``*_tracks``/``*_archive``/
``load_track`` variants take an :class:`~gdxarray.store.Archive` already
opened ``r+`` (used by :class:`~gdxarray.Genome` in write mode).

May import: store (the archive room), parsers, _chunks (shared chunk
primitives), intervals, format, errors.  Faces reach the writer only through
these functions.
"""

from __future__ import annotations

from .bam import LoadBamSummary, load_bam, load_bam_track
from .close import add_track_statistics, close_archive, close_data
from .data import (
    ArrayWriter, LoadDataSummary, WriteArraysSummary, load_data, load_track, write_arrays,
    write_track_arrays,
)
from .hardmask import HARDMASK_OPERATORS, hardmask_data, parse_hardmask_operator
from .pipeline import load_genomedata
from .seq import load_seq
from .tracks import add_tracks, erase_data, erase_tracks, open_data

__all__ = sorted([
    "ArrayWriter", "HARDMASK_OPERATORS", "LoadBamSummary", "LoadDataSummary", "add_track_statistics",
    "add_tracks", "close_archive", "close_data", "erase_data", "erase_tracks", "hardmask_data",
    "load_bam", "load_bam_track", "load_data", "load_genomedata", "load_seq",
    "load_track", "open_data", "parse_hardmask_operator", "WriteArraysSummary", "write_arrays",
    "write_track_arrays",
])
