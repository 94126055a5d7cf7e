"""genomedata-open-data: add empty (all-NaN) tracks to an archive."""

from __future__ import annotations

import argparse

from ._common import add_chunk_size, add_compression, add_verbose, add_version, make_parser, run

PROG = "genomedata-open-data"


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(
        PROG,
        "Add new tracks, all NaN, to a Genomedata archive so that data can be "
        "loaded into them with genomedata-load-data. A name already in the "
        "archive is refused.")
    add_version(parser, PROG)
    parser.add_argument("gdarchive", help="Genomedata archive")
    parser.add_argument("--tracknames", required=True, nargs="+", metavar="TRACKNAMES",
                        help="names of the tracks to add")
    add_verbose(parser)
    add_chunk_size(parser)
    add_compression(parser, new_archive=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> None:
        from gdxarray.writer import open_data

        open_data(args.gdarchive, args.tracknames, verbose=args.verbose,
                  chunk_size=args.chunk_size, compression=args.compression)

    return run(PROG, body)


if __name__ == "__main__":
    raise SystemExit(main())

__all__ = ["build_parser", "main"]
