"""``genomedata._close_data``: ``close_data`` and ``genomedata-close-data``."""

from __future__ import annotations

import sys

from gdxarray.format import MIN_GAP_LEN  # noqa: F401 - the reference's module names

from gdxarray.compat._delegate import run_command

__all__ = ["close_data", "main", "write_genome_metadata"]


def close_data(gdfilename, verbose=False):
    """Compute and store the statistics and chunk bounds of the archive
    *gdfilename* (the last step of loading)."""
    from gdxarray.writer import close_data as _close_data

    _close_data(gdfilename, verbose)


def write_genome_metadata(genome, verbose):
    """Compute and store the statistics of an open *genome* (mode ``r+``);
    the Genome stays open."""
    from gdxarray.writer import close_data as _close_data

    source = getattr(genome, "_source", None)
    _close_data(getattr(source, "archive", None) or genome.filename, verbose)


def main(argv=None):
    """``genomedata-close-data GDARCHIVE``."""
    run_command("close_data", argv)


if __name__ == "__main__":
    sys.exit(main())
