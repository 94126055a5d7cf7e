"""genomedata-query: print one track's values over a region, one per line."""

from __future__ import annotations

import argparse

from ._common import (
    add_version, make_parser, non_negative_int, run, stale_statistics_ok, write_lines,
)

PROG = "genomedata-query"

#: Bases read per request, so a whole-chromosome query does not hold the
#: chromosome in memory.
BLOCK_BASES = 1_000_000


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(
        PROG,
        "Print the values of one track of a Genomedata archive for the bases "
        "BEGIN to END-1 (0-based, half-open) of a chromosome, one per line; "
        "bases without data print nan.")
    add_version(parser, PROG)
    parser.add_argument("gdarchive", help="Genomedata archive")
    parser.add_argument("trackname", help="track name")
    parser.add_argument("chrom", help="chromosome name")
    parser.add_argument("begin", type=non_negative_int,
                        help="first base (0-based)")
    parser.add_argument("end", type=non_negative_int,
                        help="base after the last one (0-based, exclusive)")
    return parser


def _values(chrom, track_index: int, begin: int, end: int):
    for start in range(begin, end, BLOCK_BASES):
        stop = min(start + BLOCK_BASES, end)
        # str() of a numpy float32 scalar is its shortest repr: 0.372, -2.297, nan
        yield from map(str, chrom[start:stop, track_index])


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.end < args.begin:
        parser.error(f"end ({args.end}) is before begin ({args.begin})")

    def body() -> None:
        from gdxarray.genome import Genome

        with stale_statistics_ok(), Genome(args.gdarchive) as genome:
            chrom = genome[args.chrom]
            track_index = genome.index_continuous(args.trackname)
            write_lines(_values(chrom, track_index, args.begin, args.end))

    return run(PROG, body, pipe_safe=True)


if __name__ == "__main__":
    raise SystemExit(main())

__all__ = ["build_parser", "main"]
