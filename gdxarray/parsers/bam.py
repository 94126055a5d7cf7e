"""Aligned reads (BAM, SAM text, CRAM) → per-base counts, one chromosome at a time.

Reads are streamed once, in file order, through pysam (an optional
dependency: ``pip install 'gdxarray[bam]'``).  The one Python step per read
is unavoidable with pysam; it is kept to a flag test, a reference-id test and
one list append (of the aligned blocks for ``coverage``, of one position for
the end counts).  Every bounded batch of reads becomes numpy arrays whose
events are added into one int32 array of the chromosome (``np.bincount`` over
the batch's window, or unique positions where reads are sparse); depth is the
sweep: +1 at block starts, -1 at block ends, one in-place cumulative sum at
the end of the chromosome.  Never a Python loop per base.  Memory: that int32
array plus a batch; float32 pieces of 4 Mbp go to the writer.

What is counted (``count``):

* ``coverage``: depth over aligned blocks (CIGAR ``M``/``=``/``X``); spliced
  (``N``) and deleted (``D``) bases are not covered — ``bedtools genomecov
  -split``.  With ``extend=N`` each read counts as an ``N`` bp fragment
  from its 5' end instead (``bedtools genomecov -fs N``).
* ``5p`` / ``3p``: read 5' / 3' ends, strand-aware (the 5' end of a reverse
  read is its rightmost aligned base) — ``bedtools genomecov -5`` / ``-3``.
* ``left``: the leftmost aligned base of each read, whatever its strand.
* ``midpoint``: one count per properly paired fragment (read 1 of a proper
  pair, mate on the same reference) at ``min(start, mate start) +
  |TLEN| // 2``.

Reads skipped by default: unmapped (flag 0x4), secondary (0x100), QC-failed
(0x200) and duplicates (0x400, kept with ``include_duplicates``).
Supplementary alignments (0x800) are counted, as bedtools counts them: each
is a real alignment of part of the read to a different place.

Reads must be grouped by reference (coordinate-sorted files are); no index
is needed, one is only used to find, before anything is written, the
references with reads that the archive lacks.

May import: format, errors (not the archive room: the writer checks names
and lengths against the archive).
"""

from __future__ import annotations

import gzip
import itertools
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from ..errors import GenomedataError, InputFileError, ParseError

#: What can be counted.
COUNTS = ("coverage", "5p", "3p", "left", "midpoint")
#: Flags of reads never counted, and of duplicates (counted on request).
FLAG_SKIP = 0x4 | 0x100 | 0x200
FLAG_DUP = 0x400
FLAG_REVERSE = 0x10
#: Reads (coverage: aligned blocks) collected before they are added with numpy.
BATCH = 1 << 18
#: The 28-byte empty BGZF block every complete BAM ends with (SAM spec 4.1.2).
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")

INSTALL_HINT = "reading BAM/SAM/CRAM needs pysam: pip install 'gdxarray[bam]'"


def _pysam():
    try:
        import pysam
    except ImportError:
        raise GenomedataError(INSTALL_HINT) from None
    return pysam


def sniff_alignments(path) -> str | None:
    """``"bam"``, ``"cram"``, ``"sam"`` or None, from the first bytes of a regular file."""
    try:
        with open(os.path.expanduser(os.fspath(path)), "rb") as fh:
            head = fh.read(4)
            if head == b"CRAM":
                return "cram"
            if head == b"\x1f\x8b\x08\x04":  # gzip with an extra field: BGZF
                fh.seek(0)
                with gzip.GzipFile(fileobj=fh) as gz:
                    return "bam" if gz.read(4) == b"BAM\x01" else None
            if head in (b"@HD\t", b"@SQ\t", b"@RG\t", b"@PG\t", b"@CO\t"):
                return "sam"
    except (OSError, EOFError, ValueError):
        return None
    return None


@dataclass
class CountOptions:
    """What to count and which reads (validated; see the module docstring)."""

    count: str = "coverage"
    strand: str | None = None
    min_mapq: int = 0
    extend: int = 0
    include_duplicates: bool = False

    def __post_init__(self) -> None:
        if self.count not in COUNTS:
            raise ValueError(f"count must be one of {', '.join(COUNTS)}, not {self.count!r}")
        if self.strand not in (None, "+", "-"):
            raise ValueError(f"strand must be '+', '-' or None, not {self.strand!r}")
        if self.strand is not None and self.count == "midpoint":
            raise ValueError("strand does not apply to fragment midpoints")
        if int(self.min_mapq) < 0:
            raise ValueError(f"min_mapq must not be negative: {self.min_mapq}")
        if int(self.extend) < 0:
            raise ValueError(f"extend must not be negative: {self.extend}")
        if self.extend and self.count != "coverage":
            raise ValueError("extend applies to count='coverage' only")
        self.min_mapq, self.extend = int(self.min_mapq), int(self.extend)

    def flag_test(self) -> tuple[int, int]:
        """(mask, wanted): a read is counted when ``flag & mask == wanted``."""
        mask = FLAG_SKIP | (0 if self.include_duplicates else FLAG_DUP)
        wanted = 0
        if self.strand is not None:
            mask |= FLAG_REVERSE
            wanted |= FLAG_REVERSE if self.strand == "-" else 0
        if self.count == "midpoint":  # read 1 of a proper pair, once per fragment
            mask |= 0x1 | 0x2 | 0x40
            wanted |= 0x1 | 0x2 | 0x40
        return mask, wanted


@dataclass
class AlignmentHeader:
    """The references of an alignment file and what its header says of the order."""

    path: str
    kind: str  #: "bam", "sam" or "cram"
    references: list[str]
    lengths: list[int]
    sort_order: str | None
    mapped: dict[str, int] | None = None  #: mapped reads per reference, from an index


@dataclass
class CountSummary:
    """What :func:`count_reads` read."""

    reads: int = 0  #: alignment records read
    counted: int = 0  #: reads counted (after flags, strand, MAPQ)
    skipped: dict[str, int] = field(default_factory=dict)  #: unwanted reference -> records


@contextmanager
def _quiet(pysam):
    # htslib prints its own messages ("[E::sam_parse1] ..."); errors are ours to report
    saved = pysam.set_verbosity(0)
    try:
        yield
    finally:
        pysam.set_verbosity(saved)


@contextmanager
def _open(pysam, path: str, kind: str):
    """The open AlignmentFile; closing it never hides the error that ended its use
    (htslib's close reports a damaged stream again, as a bare OSError)."""
    mode = {"bam": "rb", "cram": "rc", "sam": "r"}[kind]
    try:
        bam = pysam.AlignmentFile(path, mode)
    except (OSError, ValueError) as exc:
        raise ParseError(f"not a readable {kind.upper()} file ({exc})", source=path) from None
    try:
        yield bam
    finally:
        try:
            bam.close()
        except OSError:
            pass


def _check_complete(path: str) -> None:
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell() < len(BGZF_EOF):
            raise ParseError("truncated BAM file (shorter than a BGZF block)", source=path)
        fh.seek(-len(BGZF_EOF), os.SEEK_END)
        if fh.read() != BGZF_EOF:
            raise ParseError("truncated BAM file (no BGZF end-of-file block)", source=path)


def read_header(path) -> AlignmentHeader:
    """The references (names, lengths) of a BAM/SAM/CRAM file, checked for completeness.

    Raises
    ------
    InputFileError
        The file cannot be opened.
    ParseError
        Not an alignment file, a BAM without its end-of-file block
        (truncated), a header without references, or reads sorted by name.
    """
    pysam = _pysam()
    path = os.fspath(path)
    if not os.path.isfile(os.path.expanduser(path)):
        raise InputFileError(2, "No such file", path)
    kind = sniff_alignments(path)
    if kind is None:
        raise ParseError("not a BAM, CRAM or SAM file (no BAM magic after BGZF, no CRAM "
                         "magic, no SAM header line)", source=path)
    if kind == "bam":
        _check_complete(path)
    with _quiet(pysam), _open(pysam, path, kind) as bam:
        refs, lengths = list(bam.references), [int(n) for n in bam.lengths]
        if not refs:
            raise ParseError("the header lists no reference sequences (@SQ lines)", source=path)
        try:
            hd = bam.header.to_dict().get("HD", {})
        except (ValueError, KeyError):  # headers htslib parses but pysam's dict does not
            hd = {}
        sort_order = hd.get("SO")
        mapped = None
        if kind != "sam" and bam.has_index():
            try:
                mapped = {s.contig: int(s.mapped) for s in bam.get_index_statistics()}
            except (OSError, ValueError):
                mapped = None
    if sort_order == "queryname":
        raise ParseError("reads are sorted by name (@HD SO:queryname); sort them by "
                         "coordinate first (samtools sort)", source=path)
    return AlignmentHeader(path, kind, refs, lengths, sort_order, mapped)


# -- numpy side -----------------------------------------------------------------
#: Bases per piece handed to the writer (float32 is made piece by piece).
PIECE = 1 << 22


def _add_events(diff: np.ndarray, pos: np.ndarray, weight: int) -> None:
    """``diff[p] += weight`` for every p of *pos* (repeats add up), without np.add.at.

    Dense batches (sorted reads: the usual case) bincount their window; sparse
    ones count unique positions, so the cost follows the reads, not the window.
    """
    if not len(pos):
        return
    lo, hi = int(pos.min()), int(pos.max()) + 1
    if hi - lo <= 8 * len(pos):
        window = np.bincount(pos - lo, minlength=hi - lo)
        diff[lo:hi] += window if weight == 1 else -window
    else:
        where, n = np.unique(pos, return_counts=True)
        diff[where] += n if weight == 1 else -n


def _coverage_sweep(diff: np.ndarray, flat: np.ndarray | None) -> None:
    """The coverage sweep, in two steps over an int32 ``diff`` of length + 1.

    With *flat* (``[s0, e0, s1, e1, ...]``, one batch of aligned blocks): +1 at
    each start, -1 at each end.  With None (every batch added): the running
    sum, in place, turns ``diff`` into the depth.  The one place to swap for
    ``gdxarray.intervals``' coverage sweep.
    """
    if flat is None:
        np.cumsum(diff, out=diff)
        return
    np.clip(flat, 0, len(diff) - 1, out=flat)
    _add_events(diff, flat[0::2], 1)
    _add_events(diff, flat[1::2], -1)


def _pieces(name: str, counts: np.ndarray, length: int) -> Iterator[tuple[str, int, np.ndarray]]:
    for a in range(0, length, PIECE):
        yield name, a, counts[a:min(length, a + PIECE)].astype(np.float32)


# -- the read loop ------------------------------------------------------------------
def count_reads(header: AlignmentHeader, options: CountOptions, wanted=None,
                summary: CountSummary | None = None, *, refuse_others: str | None = None
                ) -> Iterator[tuple[str, int, np.ndarray]]:
    """Per-base counts of each reference, as ``(name, start, float32 values)`` pieces.

    Parameters
    ----------
    header : from :func:`read_header`.
    options : what to count and which reads.
    wanted : reference names to count (default: all); reads on the others are
        read past and tallied in ``summary.skipped``.
    summary : filled with the reads read and counted.
    refuse_others : a counted read on a reference not *wanted* is a
        ParseError "reference NAME <refuse_others>" instead of being skipped.

    Yields the pieces of every wanted reference in order (references in file
    order, those without reads last, all zeros); pieces cover the reference.

    Raises
    ------
    ParseError
        A corrupt or truncated file or a bad SAM line (naming the record), or
        reads not grouped by reference (unsorted).
    """
    pysam = _pysam()
    summary = summary if summary is not None else CountSummary()
    refs, lengths = header.references, header.lengths
    want = [True] * len(refs) if wanted is None else [r in wanted for r in refs]
    mask, match = options.flag_test()
    min_mapq, extend, count = options.min_mapq, options.extend, options.count
    done: set[int] = set()
    path = header.path
    # SAM: records are lines after the header
    header_lines = 0
    if header.kind == "sam":
        with open(path, "rb") as fh:
            header_lines = sum(1 for _ in itertools.takewhile(lambda l: l.startswith(b"@"), fh))

    with _quiet(pysam), _open(pysam, path, header.kind) as bam:
        reads = iter(bam.fetch(until_eof=True))
        tid, counts, buf = -2, None, []
        n_read = n_counted = 0
        skipped = summary.skipped

        def flush() -> None:
            if not buf:
                return
            if count == "coverage":
                flat = np.fromiter(itertools.chain.from_iterable(buf), dtype=np.int64)
                _coverage_sweep(counts, flat)
            else:
                pos = np.asarray(buf, dtype=np.int64)
                _add_events(counts, pos[(pos >= 0) & (pos < len(counts) - 1)], 1)
            buf.clear()

        def finish():
            flush()
            if count == "coverage":
                _coverage_sweep(counts, None)
            return _pieces(refs[tid], counts, lengths[tid])

        def where(record: int) -> str:
            """The n-th alignment record (1-based), as a SAM line or a BAM record."""
            if header.kind == "sam":
                return f"line {header_lines + record}"
            return f"record {record}"

        append, extend_buf = buf.append, buf.extend
        cov, five, three, left = (count == "coverage", count == "5p", count == "3p",
                                  count == "left")
        try:
            for read in reads:
                n_read += 1
                flag = read.flag
                if flag & mask != match or read.mapping_quality < min_mapq:
                    continue
                if read.reference_id != tid:  # the next reference
                    new = read.reference_id
                    if counts is not None:
                        yield from finish()
                        counts = None
                    if new < 0:
                        raise ParseError(f"{where(n_read)}: a mapped read (flag {flag}) "
                                         "without a reference", source=path)
                    if new in done:
                        raise ParseError(
                            f"reads are not sorted: {where(n_read)} is on {refs[new]} after "
                            f"reads on {refs[tid]}; sort them by coordinate first "
                            "(samtools sort)", source=path)
                    done.add(new)
                    tid = new
                    if want[tid]:
                        # one past the end: where blocks ending there put their -1
                        counts = np.zeros(lengths[tid] + 1, dtype=np.int32)
                if counts is None:
                    if refuse_others is not None:
                        raise ParseError(f"{where(n_read)}: reference {refs[tid]!r} "
                                         f"{refuse_others}", source=path)
                    skipped[refs[tid]] = skipped.get(refs[tid], 0) + 1
                    continue
                n_counted += 1
                if cov:
                    if not extend:
                        extend_buf(read.get_blocks())
                    elif flag & FLAG_REVERSE:
                        end = read.reference_end
                        append((end - extend, end))
                    else:
                        start = read.reference_start
                        append((start, start + extend))
                elif five:
                    append(read.reference_end - 1 if flag & FLAG_REVERSE else read.reference_start)
                elif three:
                    append(read.reference_start if flag & FLAG_REVERSE else read.reference_end - 1)
                elif left:
                    append(read.reference_start)
                elif read.next_reference_id == tid:  # midpoint of a pair on one reference
                    append(min(read.reference_start, read.next_reference_start)
                           + abs(read.template_length) // 2)
                else:
                    n_counted -= 1
                if len(buf) >= BATCH:
                    flush()
        except ParseError:
            raise
        except TypeError:  # reference_end is None: CIGAR "*" on a read flagged mapped
            raise ParseError(f"{where(n_read)}: a mapped read without a CIGAR (no aligned "
                             "bases)", source=path) from None
        except (OSError, ValueError) as exc:
            if header.kind == "sam":  # htslib says "truncated file" of any bad line
                raise ParseError("bad SAM record (too few fields or a bad value)",
                                 source=path, line=header_lines + n_read + 1) from None
            raise ParseError(f"corrupt or truncated data at {where(n_read + 1)} ({exc})",
                             source=path) from None
        if counts is not None:
            yield from finish()
        summary.reads, summary.counted = n_read, n_counted
    for i, name in enumerate(refs):
        if want[i] and i not in done:
            yield from _pieces(name, np.zeros(lengths[i], dtype=np.int32), lengths[i])


__all__ = ["COUNTS", "AlignmentHeader", "CountOptions", "CountSummary", "INSTALL_HINT",
           "count_reads", "read_header", "sniff_alignments"]
