"""``genomedata._hardmask``: ``hardmask_data`` and ``genomedata-hardmask``."""

from __future__ import annotations

import operator
import sys
from os.path import splitext

from gdxarray.compat._delegate import run_command
from ._util import EXT_GZ

BED_FILETYPE = "bed"
BED_SUFFIXES = frozenset({".bed"})
WIGGLE_FILETYPE = "wig"
WIGGLE_SUFFIXES = frozenset({".wg", ".wig", ".wigVar", ".wigFix"})
SUFFIX_GZ = "." + EXT_GZ

#: ``HARDMASK_OPERATORS[op](threshold)(value)`` as the reference composes them
#: (``partial(operator.le, 0.3)`` is "value >= 0.3")
HARDMASK_OPERATORS = {
    "ge": operator.le,
    "gt": operator.lt,
    "le": operator.ge,
    "lt": operator.gt,
    "eq": operator.eq,
    "ne": operator.ne,
}

__all__ = ["get_hardmask_filetype", "hardmask_data", "main", "parse_hardmask_option"]


def hardmask_data(gd_filename, hardmask_filename, track_names=None, hardmask_function=None,
                  verbose=False, keep_archive_open=False, dry_run=False):
    """Set the values of *track_names* (default: all tracks) of *gd_filename*
    to NaN over the regions of *hardmask_filename* (BED or WIG) that pass
    *hardmask_function* (e.g. ``parse_hardmask_option("lt0.5")``), then
    recompute the statistics unless *keep_archive_open*."""
    from gdxarray.writer import hardmask_data as _hardmask_data

    _hardmask_data(gd_filename, hardmask_filename, track_names=track_names,
                   hardmask_function=hardmask_function, verbose=verbose,
                   keep_archive_open=keep_archive_open, dry_run=dry_run)


def get_hardmask_filetype(hardmask_filename):
    """``"bed"`` or ``"wig"`` by the file's suffix (before ``.gz``), as the
    reference decides; ValueError for another suffix.  (gdxarray's
    ``hardmask_data`` tells the format by the content and reads any suffix.)"""
    root_filename, file_extension = splitext(hardmask_filename.lower())
    if file_extension == SUFFIX_GZ:
        root_filename, file_extension = splitext(root_filename)
    if file_extension in BED_SUFFIXES:
        return BED_FILETYPE
    if file_extension in {suffix.lower() for suffix in WIGGLE_SUFFIXES}:
        return WIGGLE_FILETYPE
    raise ValueError(f"Mask {hardmask_filename} file type not supported.")


def parse_hardmask_option(mask_option):
    """A callable for an operator/threshold text such as ``"ge0.3"``: true for
    the values to mask (here, values >= 0.3)."""
    from gdxarray.writer.hardmask import parse_hardmask_operator

    return parse_hardmask_operator(mask_option)


def main(argv=None):
    """``genomedata-hardmask [OPTIONS] MASKFILE GDARCHIVE``."""
    run_command("hardmask", argv)


if __name__ == "__main__":
    sys.exit(main())
