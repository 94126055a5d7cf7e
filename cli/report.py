"""genomedata-report: print each track's mean and variance."""

from __future__ import annotations

import argparse
import csv
import sys

from ._common import CommandError, add_version, make_parser, run, stale_statistics_ok

PROG = "genomedata-report"


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(
        PROG,
        "Print the genome-wide mean and variance of every track of a closed "
        "Genomedata archive as a tab-separated table: a 'measurement' header "
        "row of track names, then a 'mean' row and a 'var' row.")
    add_version(parser, PROG)
    parser.add_argument("gdarchive", help="Genomedata archive")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> None:
        from gdxarray.errors import ChromosomeDirtyError
        from gdxarray.genome import Genome

        with stale_statistics_ok(), Genome(args.gdarchive) as genome:
            names = genome.tracknames_continuous
            if not names:
                raise CommandError(f"{args.gdarchive}: the archive has no tracks")
            dirty = [chrom.name for chrom in genome if chrom.dirty]
            if dirty:  # stale statistics are not a report (the reference refuses too)
                raise CommandError(
                    f"{args.gdarchive}: chromosome {dirty[0]} was modified since its statistics "
                    f"were computed; run genomedata-close-data {args.gdarchive} first")
            try:
                means, variances = genome.means, genome.vars
            except ChromosomeDirtyError as error:
                message = str(error)
                if "genomedata-close-data" not in message:
                    message = (f"{message}; run genomedata-close-data "
                               f"{args.gdarchive} to compute the statistics")
                raise CommandError(message) from None
        # the layout genomedata 1.7 writes (csv excel-tab, '\n' line ends, floats
        # as repr), so scripts parsing its output keep working
        writer = csv.writer(sys.stdout, dialect=csv.excel_tab, lineterminator="\n")
        writer.writerow(["measurement", *map(str, names)])
        writer.writerow(["mean", *map(float, means)])
        writer.writerow(["var", *map(float, variances)])

    return run(PROG, body, pipe_safe=True)


if __name__ == "__main__":
    raise SystemExit(main())

__all__ = ["build_parser", "main"]
