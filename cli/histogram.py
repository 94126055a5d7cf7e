"""genomedata-histogram: print a histogram of one track's values (computed by gdxarray.histogram)."""

from __future__ import annotations

import argparse

from ._common import add_version, make_parser, positive_int, run, stale_statistics_ok, write_lines

PROG = "genomedata-histogram"

#: Column names of the output, as genomedata 1.7 meant to print them.
FIELDNAMES = ("lower_edge", "count")


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(
        PROG,
        "Print a histogram of the finite values of one track of a Genomedata "
        "archive: a 'lower_edge<TAB>count' header, one line per bin (the bin's "
        "lower edge and its count) and a last line with the upper edge of the "
        "last bin and NA. The bins divide [minimum, maximum] of the whole track "
        "equally, also with --include-coords, so histograms of different regions "
        "share their bins. NaN and infinite values are not counted.")
    add_version(parser, PROG)
    parser.add_argument("gdarchive", help="Genomedata archive")
    parser.add_argument("trackname", help="track name")
    parser.add_argument("--include-coords", metavar="FILE",
                        help="count only the bases inside the regions of this BED file "
                             "(plain or .gz; overlapping regions count once)")
    parser.add_argument("-b", "--num-bins", metavar="BINS", type=positive_int, default=100,
                        help="number of bins (default: 100)")
    return parser


def _lines(counts, edges):
    yield "\t".join(FIELDNAMES)
    for edge, count in zip(edges.tolist(), counts.tolist() + ["NA"]):
        yield f"{edge!r}\t{count}"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> None:
        from gdxarray.genome import Genome
        from gdxarray.histogram import histogram
        from gdxarray.parsers import read_regions

        # the region file is read (and checked) before the archive is opened
        regions = None if args.include_coords is None else read_regions(args.include_coords)
        with stale_statistics_ok(), Genome(args.gdarchive) as genome:
            counts, edges = histogram(genome, args.trackname, args.num_bins, include=regions)
        write_lines(_lines(counts, edges))

    return run(PROG, body, pipe_safe=True)


if __name__ == "__main__":
    raise SystemExit(main())

__all__ = ["build_parser", "main"]
