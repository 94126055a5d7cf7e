"""load-bam: read counts of a BAM/SAM/CRAM file into an opened track.

The parser (:mod:`gdxarray.parsers.bam`) turns reads into one float32 array
per chromosome; :func:`~gdxarray.writer.data.write_track_arrays` writes each
through the same chunk writer and incomplete/dirty bookkeeping as load-data.
Everything that can be checked before the first write is: reference names
and lengths against the archive, a truncated BAM, reads sorted by name.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

from ..errors import ParseError, TrackNotOpenError
from ..store import Archive
from ._common import borrow, genome_tracknames, say
from .data import write_track_arrays


@dataclass
class LoadBamSummary:
    """What :func:`load_bam` did."""

    trackname: str
    reads: int = 0  #: alignment records read
    counted: int = 0  #: reads counted (after flags, strand, MAPQ)
    chromosomes: list[str] = field(default_factory=list)  #: chromosomes written to
    skipped: dict[str, int] = field(default_factory=dict)  #: reference not in the archive -> reads


def _check_references(archive: Archive, header, skip_unknown: bool) -> set[str]:
    """The references to count: in the archive, with the archive's lengths."""
    wanted = set()
    v0 = archive.format_version == 0
    for name, length in zip(header.references, header.lengths):
        if not archive.has_chrom(name):
            if not skip_unknown and header.mapped is not None and header.mapped.get(name, 0):
                raise ParseError(
                    f"reference {name!r} ({header.mapped[name]} mapped reads) is not a "
                    f"chromosome of the archive {archive.path} (skip such reads with "
                    "--skip-unknown-chromosomes / skip_unknown_chroms=True)", source=header.path)
            continue
        end = archive.chrom(name).end
        # v0 archives record no length: a chromosome ends with its last supercontig
        if (length < end) if v0 else (length != end):
            raise ParseError(
                f"chromosome {name} is {length} bp in the alignment header but {end} bp in "
                f"the archive {archive.path}: were the reads aligned to another assembly?",
                source=header.path)
        wanted.add(name)
    return wanted


def load_bam_track(archive: Archive, trackname: str, bamfile, *, count: str = "coverage",
                   strand: str | None = None, min_mapq: int = 0, extend: int = 0,
                   include_duplicates: bool = False, skip_unknown_chroms: bool = False,
                   verbose: bool = False) -> LoadBamSummary:
    """:func:`load_bam` into an archive opened ``r+``."""
    from ..parsers.bam import CountOptions, CountSummary, count_reads, read_header

    options = CountOptions(count, strand, min_mapq, extend, include_duplicates)
    if trackname not in genome_tracknames(archive):
        raise TrackNotOpenError(
            f"{archive.path}: track {trackname!r} is not open; create it first with "
            f"genomedata-open-data {archive.path} --tracknames {trackname}")
    header = read_header(bamfile)
    wanted = _check_references(archive, header, skip_unknown_chroms)
    say(verbose, f"counting {count} of {header.path} into track {trackname}")
    counted = CountSummary()

    refuse = None if skip_unknown_chroms else (
        f"is not a chromosome of the archive {archive.path} (skip its reads with "
        "--skip-unknown-chromosomes / skip_unknown_chroms=True)")
    pieces = count_reads(header, options, wanted, counted, refuse_others=refuse)
    # counts in assembly gaps (reads over N runs) are not stored: gaps are NaN
    written = write_track_arrays(archive, trackname, pieces, in_gaps="drop", verbose=verbose)
    summary = LoadBamSummary(trackname, counted.reads, counted.counted, written.chromosomes,
                             dict(sorted(counted.skipped.items())))
    if summary.skipped:
        listed = ", ".join(f"{chrom} ({n})" for chrom, n in summary.skipped.items())
        print(f"load-bam {trackname}: skipped {sum(summary.skipped.values())} read(s) on "
              f"reference(s) not in the archive: {listed}", file=sys.stderr)
    say(verbose, f"{summary.counted} of {summary.reads} reads counted")
    return summary


def load_bam(gdarchive, trackname: str, bamfile, *, count: str = "coverage",
             strand: str | None = None, min_mapq: int = 0, extend: int = 0,
             include_duplicates: bool = False, skip_unknown_chroms: bool = False,
             verbose: bool = False) -> LoadBamSummary:
    """Count aligned reads of a BAM (or SAM text, CRAM) file into an opened track.

    Parameters
    ----------
    gdarchive : archive path (file or directory), or an Archive opened ``r+``.
    trackname : a track created by :func:`open_data`.
    bamfile : path of a coordinate-sorted (at least grouped by reference)
        BAM, SAM or CRAM file; no index is needed.
    count : ``"coverage"`` (depth over aligned blocks, ``N``/``D`` not
        covered: ``bedtools genomecov -split``), ``"5p"`` / ``"3p"``
        (strand-aware read ends: ``-5`` / ``-3``), ``"left"`` (leftmost
        aligned base), ``"midpoint"`` (fragment midpoints of proper pairs).
    strand : ``"+"`` or ``"-"``: count reads of one strand only.
    min_mapq : skip reads with a lower mapping quality.
    extend : with ``coverage``, count each read as a fragment of this many
        bases from its 5' end (``bedtools genomecov -fs``).
    include_duplicates : count reads flagged as duplicates (0x400).
    skip_unknown_chroms : read past references the archive lacks (reported
        on stderr) instead of refusing the file.

    Every base of every chromosome the alignment header names gets a count
    (0 without reads); other chromosomes are untouched.  Unmapped, secondary
    and QC-failed reads are never counted; supplementary alignments are (as
    bedtools counts them).  The chromosomes are left dirty: run
    :func:`close_data` for statistics.

    Raises
    ------
    ParseError
        A reference whose length differs from the archive's chromosome
        (naming both lengths), reads on a reference the archive lacks, a
        truncated or corrupt file, a bad SAM line, reads not sorted.
        Checks on the header come before any write; a failure part-way
        leaves the track marked incomplete where it was written.
    """
    with borrow(gdarchive) as archive:
        return load_bam_track(archive, trackname, bamfile, count=count, strand=strand,
                              min_mapq=min_mapq, extend=extend,
                              include_duplicates=include_duplicates,
                              skip_unknown_chroms=skip_unknown_chroms, verbose=verbose)


def is_alignment_file(path) -> bool:
    """True if *path* is a regular file holding BAM, CRAM or SAM (by content)."""
    from ..parsers.bam import sniff_alignments

    return (isinstance(path, (str, os.PathLike)) and os.fspath(path) != "-"
            and os.path.isfile(os.path.expanduser(os.fspath(path)))
            and sniff_alignments(path) is not None)


__all__ = ["LoadBamSummary", "is_alignment_file", "load_bam", "load_bam_track"]
