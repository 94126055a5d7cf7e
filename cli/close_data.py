"""genomedata-close-data: compute the summary statistics of an archive."""

from __future__ import annotations

import argparse

from ._common import add_verbose, add_version, make_parser, run

PROG = "genomedata-close-data"


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(
        PROG,
        "Recompute the per-track statistics (minimum, maximum, sums, number of "
        "data points) and the data chunks of every chromosome changed since the "
        "archive was last closed, and mark the archive clean. Run it after "
        "loading or erasing data; genomedata-report and genomedata-histogram "
        "need it.")
    add_version(parser, PROG)
    add_verbose(parser)
    parser.add_argument("--no-zoom", action="store_true",
                        help="do not write gdxarray's zoom levels (per-chromosome summaries at "
                        "10 kb, 100 kb and 1 Mb that make binned summaries of long ranges "
                        "instant; under 1%% of a typical archive; the reference ignores them)")
    parser.add_argument("gdarchive", help="Genomedata archive")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> None:
        from gdxarray.writer import close_data

        close_data(args.gdarchive, verbose=args.verbose, zoom=not args.no_zoom)

    return run(PROG, body)


if __name__ == "__main__":
    raise SystemExit(main())

__all__ = ["build_parser", "main"]
