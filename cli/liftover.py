"""genomedata-liftover: copy tracks into an archive of another assembly through a chain file."""

from __future__ import annotations

import argparse

from ._common import add_verbose, add_version, make_parser, run

PROG = "genomedata-liftover"


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(
        PROG,
        "Copy tracks of SOURCE (an archive or bigWig on the chain file's source "
        "assembly) into TARGET (an existing archive of the other assembly, made by "
        "genomedata-load-seq from its sequence or sizes) through a UCSC chain file, "
        "base by base along the chains' aligned blocks. Target bases no block "
        "reaches are NaN; where chains overlap in the target the best-scoring one "
        "wins. The statistics are computed (as genomedata-close-data).")
    add_version(parser, PROG)
    add_verbose(parser)
    parser.add_argument("source", help="archive (or bigWig) on the source assembly")
    parser.add_argument("target", help="archive on the target assembly")
    parser.add_argument("chainfile", help="UCSC chain file (.over.chain, plain or gzip)")
    parser.add_argument("--tracks", "-t", nargs="+", metavar="NAME", default=None,
                        help="tracks to lift (default: all)")
    parser.add_argument("--reverse-track", "-r", action="append", default=[],
                        metavar="PLUS:MINUS", dest="reverse_tracks",
                        help="a strand-specific pair: on blocks mapped to the - strand the "
                             "two tracks swap values (repeat for more pairs)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> None:
        from gdxarray.liftover import liftover_tracks

        summary = liftover_tracks(args.source, args.target, args.chainfile, tracks=args.tracks,
                                  reverse_tracks=args.reverse_tracks, verbose=args.verbose)
        if args.verbose:
            import sys

            print(f"lifted {', '.join(summary.tracks)}: {summary.bases:,} target bases on "
                  f"{len(summary.chromosomes)} chromosome(s); {summary.overlapped:,} reached "
                  "by more than one source base (best chain kept)", file=sys.stderr)
        if summary.missing_target:
            import sys

            listed = ", ".join(sorted(summary.missing_target)[:5])
            more = len(summary.missing_target) - 5
            print(f"{PROG}: {len(summary.missing_target)} target chromosome(s) of the chain file "
                  f"are not in {args.target} and were skipped: {listed}"
                  + (f" (and {more} more)" if more > 0 else ""), file=sys.stderr)

    return run(PROG, body)


__all__ = ["build_parser", "main"]

if __name__ == "__main__":
    raise SystemExit(main())
