"""genomedata-load: build a complete archive (sequence + tracks + statistics)
in one command."""

from __future__ import annotations

import argparse

from ._common import (
    add_chunk_size, add_compression, add_gap_length, add_mode, add_name_mapping, add_strict_chromosomes,
    add_verbose, add_version,
    expand_globs, make_parser, run,
)

PROG = "genomedata-load"

DESCRIPTION = """\
Create the Genomedata archive GENOMEDATAFILE from sequence files and track
files in one step: the equivalent of genomedata-load-seq, genomedata-open-data,
genomedata-load-data for each track and genomedata-close-data. An existing
GENOMEDATAFILE is replaced. Repeat --sequence and --track for several files.

Track files may be WIG (fixedStep/variableStep), bedGraph or BED with a value
in column 4, plain or gzip-compressed, or bigWig; no external programs are
needed.

Example: %(prog)s -s 'chr*.fa.gz' -t high=signal.high.wig -t low=signal.low.bed.gz out.genomedata"""

EPILOG = """\
Archive layout: without -f or -d the archive is a single file when there are
at least 100 sequences and a directory otherwise, as the help of genomedata
1.7 describes (its genomedata-load actually always made a single file unless
-d was given; pass -f to get that behaviour).

Genomedata: Hoffman MM, Buske OJ, Noble WS. 2010. The Genomedata format for
storing large-scale functional genomics data. Bioinformatics 26(11):1458-1459.
https://doi.org/10.1093/bioinformatics/btq164"""


def track_spec(text: str) -> tuple[str, str]:
    """argparse type of ``-t``: ``NAME=FILE`` -> ``(NAME, FILE)``."""
    name, sep, filename = text.partition("=")
    if not sep or not name or not filename:
        raise argparse.ArgumentTypeError(
            f"expected NAME=FILE (such as signal=signal.wig), got {text!r}")
    return name, filename


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(PROG, DESCRIPTION, epilog=EPILOG, raw=True)
    add_name_mapping(parser)
    add_version(parser, PROG)
    parser.add_argument("gdarchive", metavar="GENOMEDATAFILE",
                        help="Genomedata archive to create")

    flags = parser.add_argument_group("Flags")
    add_verbose(flags)

    inputs = parser.add_argument_group("Input data")
    inputs.add_argument("-s", "--sequence", action="append", required=True,
                        metavar="SEQUENCE",
                        help="sequence file (FASTA by default) or a quoted wildcard "
                             "pattern matching several; may be repeated")
    inputs.add_argument("-t", "--track", action="append", required=True,
                        metavar="NAME=FILE", type=track_spec,
                        help="load FILE as the track NAME, such as -t signal=signal.wig; "
                             "may be repeated")
    inputs.add_argument("-m", "--maskfile",
                        help="BED file of the regions to keep: track data outside them "
                             "is not loaded (what genomedata 1.7 did with 'bedtools "
                             "intersect'; despite the option's name, the regions are "
                             "kept, not removed)")
    add_strict_chromosomes(inputs)
    kind = inputs.add_mutually_exclusive_group()
    kind.add_argument("--assembly", dest="seqfile_type", action="store_const",
                      const="agp", default="fasta",
                      help="the sequence files are AGP assembly files")
    kind.add_argument("--sizes", dest="seqfile_type", action="store_const",
                      const="sizes",
                      help="the sequence file is a table of chromosome names and lengths")

    implementation = parser.add_argument_group("Implementation")
    add_mode(implementation, default_note="Without -f or -d: a single file when there "
                                          "are at least 100 sequences, otherwise a "
                                          "directory (see below).")
    add_chunk_size(implementation)
    add_compression(implementation, new_archive=True)
    add_gap_length(implementation)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> None:
        seqfilenames = expand_globs(args.sequence)
        from gdxarray.writer import load_genomedata

        load_genomedata(args.gdarchive, tracks=list(args.track),
                        seqfilenames=seqfilenames, mode=args.mode,
                        seqfile_type=args.seqfile_type, chunk_size=args.chunk_size,
                        assembly_report_file=args.assembly_report,
                        chromosome_name_style=args.name_style,
                        maskfilename=args.maskfile, verbose=args.verbose,
                        gap_length=args.gap_length,
                        strict_chromosomes=args.strict_chromosomes,
                        compression=args.compression)

    return run(PROG, body)


if __name__ == "__main__":
    raise SystemExit(main())

__all__ = ["build_parser", "main", "track_spec"]
