"""genomedata-hardmask: permanently blank (NaN) the regions of a mask file in
some or all tracks."""

from __future__ import annotations

import argparse

from ._common import add_verbose, add_version, make_parser, run

PROG = "genomedata-hardmask"


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(
        PROG,
        "Overwrite with NaN, in the chosen tracks of a Genomedata archive, every "
        "region listed in MASKFILE (BED, bedGraph or WIG, optionally .gz), or only "
        "the regions whose value passes the --hardmask test; then recompute the "
        "statistics as genomedata-close-data does.")
    add_version(parser, PROG)
    parser.add_argument("maskfile", help="regions to mask (BED, bedGraph or WIG)")
    parser.add_argument("gdarchive", help="Genomedata archive")
    parser.add_argument("-t", "--trackname", nargs="+", metavar="TRACKNAME",
                        help="tracks to mask (default: all)")
    parser.add_argument("--hardmask", metavar="OPERATOR",
                        help="mask only the regions whose value passes this test: a "
                             "two-letter comparison as in the shell's test (lt, le, gt, "
                             "ge, eq, ne) followed by a number, such as lt0.5 for values "
                             "below 0.5; the value is the score (column 5) of BED, the "
                             "value (column 4) of bedGraph, or the WIG value "
                             "(default: mask every region)")
    parser.add_argument("--no-close", default=False, action="store_true",
                        help="leave the statistics to a later genomedata-close-data")
    parser.add_argument("--dry-run", default=False, action="store_true",
                        help="change nothing; with --verbose, list what would be masked")
    add_verbose(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> None:
        from gdxarray.writer import hardmask_data, parse_hardmask_operator

        function = None
        if args.hardmask is not None:
            function = parse_hardmask_operator(args.hardmask)
        hardmask_data(args.gdarchive, args.maskfile, track_names=args.trackname,
                      hardmask_function=function, verbose=args.verbose,
                      keep_archive_open=args.no_close, dry_run=args.dry_run)

    return run(PROG, body)


if __name__ == "__main__":
    raise SystemExit(main())

__all__ = ["build_parser", "main"]
