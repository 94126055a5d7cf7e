"""genomedata-combine-tracks: a new track from the sum, mean, max or min of others."""

from __future__ import annotations

import argparse

from ._common import add_verbose, add_version, make_parser, run

PROG = "genomedata-combine-tracks"
HOWS = ("sum", "mean", "max", "min")  # gdxarray.combine.HOWS


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(
        PROG,
        "Create a track of a Genomedata archive whose value at each base is the sum, "
        "mean, max or min of other tracks there (replicates, or forward and reverse "
        "strands). Bases where every input is NaN stay NaN; elsewhere NaN inputs are "
        "left out. The statistics of the chromosomes written are recomputed (as "
        "genomedata-close-data does).")
    add_version(parser, PROG)
    add_verbose(parser)
    parser.add_argument("gdarchive", help="Genomedata archive")
    parser.add_argument("newtrack", help="name of the track to create")
    parser.add_argument("tracks", nargs="+", metavar="TRACK", help="input tracks")
    parser.add_argument("--how", choices=HOWS, default="sum",
                        help="how to combine the inputs at each base (default: sum)")
    parser.add_argument("--replace", action="store_true", default=False,
                        help="overwrite NEWTRACK if the archive already has it")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> None:
        from gdxarray.combine import combine_tracks

        combine_tracks(args.gdarchive, args.newtrack, args.tracks, how=args.how,
                       replace=args.replace, verbose=args.verbose)

    return run(PROG, body)


if __name__ == "__main__":
    raise SystemExit(main())

__all__ = ["build_parser", "main"]
