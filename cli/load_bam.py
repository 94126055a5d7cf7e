"""genomedata-load-bam: count aligned reads (BAM, SAM, CRAM) into an opened track."""

from __future__ import annotations

import argparse

from ._common import add_verbose, add_version, make_parser, non_negative_int, run

PROG = "genomedata-load-bam"
COUNTS = ("coverage", "5p", "3p", "left", "midpoint")  # gdxarray.parsers.bam.COUNTS


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(
        PROG,
        "Count the reads of a coordinate-sorted BAM (or SAM, CRAM) file into a track of a "
        "Genomedata archive, base by base. Create the track first with "
        "genomedata-open-data, and run genomedata-close-data after the last load. "
        "Unmapped, secondary, QC-failed and duplicate reads are skipped; supplementary "
        "alignments are counted (as bedtools does).")
    add_version(parser, PROG, short=True)
    add_verbose(parser, short=True)
    parser.add_argument("gdarchive", help="Genomedata archive")
    parser.add_argument("trackname", help="track to fill (already opened)")
    parser.add_argument("bamfile", help="BAM, SAM or CRAM file (sorted by coordinate)")
    parser.add_argument(
        "--count", choices=COUNTS, default="coverage",
        help="what to count: coverage = read depth over aligned blocks, spliced (N) and "
             "deleted (D) bases not covered (bedtools genomecov -split); 5p / 3p = read "
             "5'/3' ends, strand-aware (genomecov -5 / -3); left = leftmost aligned base; "
             "midpoint = fragment midpoints of properly paired reads (default: coverage)")
    parser.add_argument("--strand", choices=("+", "-"), default=None,
                        help="count reads of this strand only")
    parser.add_argument("--min-mapq", metavar="N", type=non_negative_int, default=0,
                        help="skip reads with mapping quality below N (default: 0)")
    parser.add_argument("--extend", metavar="N", type=non_negative_int, default=0,
                        help="with --count coverage: count each read as an N bp fragment "
                             "from its 5' end (bedtools genomecov -fs N)")
    parser.add_argument("--include-duplicates", action="store_true", default=False,
                        help="count reads flagged as PCR/optical duplicates (0x400)")
    parser.add_argument("--skip-unknown-chromosomes", dest="skip_unknown_chroms",
                        action="store_true", default=False,
                        help="skip reads on references the archive lacks (and report how "
                             "many); without it such reads are an error")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.extend and args.count != "coverage":
        parser.error("--extend applies to --count coverage only")
    if args.strand and args.count == "midpoint":
        parser.error("--strand does not apply to --count midpoint")

    def body() -> None:
        from gdxarray.writer import load_bam

        load_bam(args.gdarchive, args.trackname, args.bamfile, count=args.count,
                 strand=args.strand, min_mapq=args.min_mapq, extend=args.extend,
                 include_duplicates=args.include_duplicates,
                 skip_unknown_chroms=args.skip_unknown_chroms, verbose=args.verbose)

    return run(PROG, body)


if __name__ == "__main__":
    raise SystemExit(main())

__all__ = ["build_parser", "main"]
