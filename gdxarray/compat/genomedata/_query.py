"""``genomedata._query``: ``genomedata-query``."""

from __future__ import annotations

import sys

from gdxarray.compat._delegate import run_command

__all__ = ["_query", "main"]


def _query(filename, trackname, chromosome_name, begin, end):
    """Print the values of *trackname* on *chromosome_name* from *begin* to
    *end* (0-based, half-open), one per line."""
    from gdxarray.cli.query import _values
    from gdxarray.genome import Genome

    with Genome(filename) as genome:
        chromosome = genome[chromosome_name]
        track_index = genome.index_continuous(trackname)
        for line in _values(chromosome, track_index, int(begin), int(end)):
            print(line)


def main(argv=None):
    """``genomedata-query GDARCHIVE TRACKNAME CHROM BEGIN END``."""
    run_command("query", argv)


if __name__ == "__main__":
    sys.exit(main())
