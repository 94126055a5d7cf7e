"""``genomedata._histogram``: ``genomedata-histogram``."""

from __future__ import annotations

import sys

from gdxarray.compat._delegate import run_command

FIELDNAMES = ["lower_edge", "count"]

__all__ = ["FIELDNAMES", "_histogram", "calc_range", "main", "print_histogram"]


def calc_range(genome, track_index):
    """The stored minimum and maximum of track *track_index* over the genome."""
    return genome.mins[track_index], genome.maxs[track_index]


def print_histogram(hist, edges):
    """Print ``edge<TAB>count`` per bin, then the last edge and ``NA``."""
    from gdxarray.cli.histogram import _lines

    lines = _lines(hist, edges)
    next(lines)  # the header: _histogram prints it
    for line in lines:
        print(line)


def _histogram(genomedataname, trackname, num_bins, include_coords):
    """Print a histogram of *num_bins* bins of the finite values of
    *trackname* (``lower_edge<TAB>count`` lines); *include_coords*, if not
    None, is a BED file of the regions to count."""
    from gdxarray.cli.histogram import histogram, read_regions
    from gdxarray.genome import Genome

    regions = None if include_coords is None else read_regions(include_coords)
    with Genome(genomedataname) as genome:
        hist, edges = histogram(genome, trackname, int(num_bins), regions)
    print(*FIELDNAMES, sep="\t")
    print_histogram(hist, edges)


def main(argv=None):
    """``genomedata-histogram [--include-coords FILE] [-b BINS] GDARCHIVE TRACKNAME``."""
    run_command("histogram", argv)


if __name__ == "__main__":
    sys.exit(main())
