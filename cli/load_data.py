"""genomedata-load-data: load one track's data (WIG, bedGraph, BED) from
standard input or a file."""

from __future__ import annotations

import argparse
import sys

from ._common import add_strict_chromosomes, add_verbose, add_version, make_parser, run

PROG = "genomedata-load-data"


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(
        PROG,
        "Load data into a track of a Genomedata archive. The data are read from "
        "standard input (or from --file): fixedStep/variableStep WIG, bedGraph, or "
        "BED with the value in column 4, plain or gzip-compressed. Create the track "
        "first with genomedata-open-data, and run genomedata-close-data after the "
        "last load.")
    add_version(parser, PROG, short=True)
    add_verbose(parser, short=True)
    parser.add_argument("gdarchive", help="Genomedata archive")
    parser.add_argument("trackname", help="track to fill (already opened)")
    add_strict_chromosomes(parser)
    parser.add_argument("--file", metavar="FILE",
                        help="read the data from FILE instead of standard input")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> None:
        from gdxarray.writer import load_data

        datafile = args.file if args.file is not None else sys.stdin.buffer
        # the loader reports skipped lines (per chromosome) on stderr itself
        load_data(args.gdarchive, args.trackname, datafile, verbose=args.verbose,
                  strict_chromosomes=args.strict_chromosomes)

    return run(PROG, body)


if __name__ == "__main__":
    raise SystemExit(main())

__all__ = ["build_parser", "main"]
