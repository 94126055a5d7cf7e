"""``genomedata._info``: ``genomedata-info``."""

from __future__ import annotations

import sys

from gdxarray.compat._delegate import run_command

__all__ = ["_info", "main", "print_contigs", "print_sizes", "print_tracknames_continuous"]


def print_sizes(genome):
    """Print ``name<TAB>size`` of every chromosome, longest first."""
    from gdxarray.cli.info import _sizes

    for line in _sizes(genome):
        print(line)


def print_tracknames_continuous(genome):
    """Print the list of track names."""
    from gdxarray.cli.info import _tracknames

    print(_tracknames(genome))


def print_contigs(genome):
    """Print ``chromosome<TAB>start<TAB>end`` of every supercontig."""
    from gdxarray.cli.info import _contigs

    for line in _contigs(genome):
        print(line)


def _info(cmd, filename):
    """``genomedata-info CMD FILENAME``: *cmd* is ``tracknames`` (or
    ``tracknames_continuous``), ``contigs`` or ``sizes``."""
    from gdxarray.genome import Genome

    with Genome(filename) as genome:
        if cmd in ["tracknames_continuous", "tracknames"]:
            print_tracknames_continuous(genome)
        if cmd == "contigs":
            print_contigs(genome)
        if cmd == "sizes":
            print_sizes(genome)


def main(argv=None):
    """``genomedata-info {tracknames,tracknames_continuous,contigs,sizes} GDARCHIVE``."""
    run_command("info", argv)


if __name__ == "__main__":
    sys.exit(main())
