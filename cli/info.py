"""genomedata-info: print the tracks, supercontigs or chromosome sizes of an archive."""

from __future__ import annotations

import argparse

from ._common import add_version, make_parser, run, stale_statistics_ok, write_lines

PROG = "genomedata-info"
COMMANDS = ("tracknames", "tracknames_continuous", "contigs", "sizes")


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(
        PROG,
        "Print information about a Genomedata archive: 'tracknames' (or its "
        "synonym 'tracknames_continuous') the track names as a Python list; "
        "'contigs' one 'chrom<TAB>start<TAB>end' line per supercontig; 'sizes' "
        "one 'chrom<TAB>length' line per chromosome, longest first.")
    add_version(parser, PROG)
    parser.add_argument("command", choices=COMMANDS, help="what to print")
    parser.add_argument("gdarchive", help="Genomedata archive")
    return parser


def _tracknames(genome) -> list[str]:
    names = genome.tracknames_continuous
    return [] if names is None else [str(name) for name in names]


def _contigs(genome):
    for chrom in genome:
        supercontigs = sorted(chrom.supercontigs[chrom.start:chrom.end],
                              key=lambda supercontig: supercontig.start)
        for supercontig in supercontigs:
            yield f"{chrom.name}\t{supercontig.start}\t{supercontig.end}"


def _sizes(genome):
    # longest first; equal lengths in name order (genomedata 1.7 crashed on a tie)
    sizes = sorted(((int(chrom.end), chrom.name) for chrom in genome),
                   key=lambda size_name: (-size_name[0], size_name[1]))
    for size, name in sizes:
        yield f"{name}\t{size}"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> None:
        from gdxarray.genome import Genome

        with stale_statistics_ok(), Genome(args.gdarchive) as genome:
            if args.command in ("tracknames", "tracknames_continuous"):
                write_lines([repr(_tracknames(genome))])
            elif args.command == "contigs":
                write_lines(_contigs(genome))
            else:
                write_lines(_sizes(genome))

    return run(PROG, body, pipe_safe=True)


if __name__ == "__main__":
    raise SystemExit(main())

__all__ = ["build_parser", "main"]
