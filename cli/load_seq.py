"""genomedata-load-seq (alias genomedata-load-assembly): start an archive from
sequences (FASTA), an assembly (AGP) or a table of chromosome sizes."""

from __future__ import annotations

import argparse
import os
import sys

from ._common import (
    add_gap_length, add_mode, add_name_mapping, add_verbose, add_version, expand_globs,
    make_parser, run,
)

PROG = "genomedata-load-seq"
#: The same command is installed under both names; messages use the one typed.
ALIASES = ("genomedata-load-seq", "genomedata-load-assembly")


def _prog() -> str:
    invoked = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return invoked if invoked in ALIASES else PROG


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    parser = make_parser(
        prog,
        "Create a Genomedata archive GDARCHIVE holding the chromosomes of SEQFILES, "
        "with no tracks yet. By default SEQFILES are FASTA (plain or .gz); each "
        "'>' record becomes a chromosome, cut into supercontigs at long runs of "
        "non-ACGT bases. With --assembly they are AGP files, with --sizes one "
        "table of 'name length' lines (genomedata-load-assembly is another name "
        "for this command; it too needs --assembly for AGP). Quoted wildcard "
        "patterns are expanded.")
    add_name_mapping(parser)
    add_version(parser, prog)
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("-a", "--assembly", dest="seqfile_type", action="store_const",
                      const="agp", default="fasta",
                      help="SEQFILES are AGP assembly files (no sequence is stored)")
    kind.add_argument("-s", "--sizes", dest="seqfile_type", action="store_const",
                      const="sizes",
                      help="SEQFILES is a table of chromosome names and lengths "
                           "(no sequence is stored)")
    add_mode(parser, default_note="Without -f or -d: a single file when there are "
                                  "at least 100 sequences, otherwise a directory.")
    add_verbose(parser)
    add_gap_length(parser)
    parser.add_argument("gdarchive", help="Genomedata archive to create")
    parser.add_argument("seqfiles", nargs="+",
                        help="sequence files (FASTA, or AGP / sizes with -a / -s)")
    return parser


def main(argv: list[str] | None = None) -> int:
    prog = _prog()
    args = build_parser(prog).parse_args(argv)

    def body() -> None:
        seqfiles = expand_globs(args.seqfiles)
        from gdxarray.writer import load_seq

        load_seq(args.gdarchive, seqfiles, verbose=args.verbose,
                 mode=args.mode, seqfile_type=args.seqfile_type,
                 assembly_report_file=args.assembly_report,
                 chromosome_name_style=args.name_style, gap_length=args.gap_length)

    return run(prog, body)


if __name__ == "__main__":
    raise SystemExit(main())

__all__ = ["build_parser", "main"]
