"""genomedata-erase-data: blank tracks so that they can be loaded again."""

from __future__ import annotations

import argparse

from ._common import add_verbose, add_version, make_parser, run

PROG = "genomedata-erase-data"


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(
        PROG,
        "Overwrite every value of the given tracks with NaN, keeping the tracks "
        "themselves, so that new data can be loaded into them with "
        "genomedata-load-data. Run genomedata-close-data afterwards.")
    add_version(parser, PROG)
    parser.add_argument("--trackname", required=True, nargs="+", metavar="TRACKNAME",
                        help="names of the tracks to erase")
    add_verbose(parser)
    parser.add_argument("gdarchive", help="Genomedata archive")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> None:
        from gdxarray.writer import erase_data

        erase_data(args.gdarchive, args.trackname, verbose=args.verbose)

    return run(PROG, body)


if __name__ == "__main__":
    raise SystemExit(main())

__all__ = ["build_parser", "main"]
