"""Sequence-level inputs of ``genomedata-load-seq``: FASTA, AGP, chromosome sizes,
and the NCBI assembly report used to rename chromosomes.

Each yields :class:`SeqRecord` s: a chromosome's name, length and
supercontigs (the regions outside assembly gaps), plus the sequence bytes
for FASTA.  FASTA is read one record at a time in bulk (a 250 Mbp
chromosome is a handful of ``bytes`` operations, never a Python loop over
its lines), and gaps are found in linear time with numpy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterable, Iterator

import numpy as np

from ..errors import NameTranslationError, ParseError
from ..intervals import complement
from ..format import (
    AGP_GAP_COMPONENT_TYPES,
    DEFAULT_NAME_STYLE,
    DNA_LETTERS_UNAMBIG,
    ENCODING,
    MAX_COORDINATE,
    MIN_GAP_LEN,
)
from ._io import Source, iter_lines, open_input

__all__ = [
    "AGP_COMPONENT_TYPES",
    "AssemblyReport",
    "NameTranslationError",
    "SeqRecord",
    "count_sequences",
    "find_supercontigs",
    "read_agp",
    "read_assembly_report",
    "read_fasta",
    "read_sizes",
]

#: Valid AGP component types (column 5): sequence (A D F G O P W) and gaps (N U).
AGP_COMPONENT_TYPES = frozenset("ADFGOPWNU")
#: Bytes a FASTA sequence line may hold besides whitespace.
_SEQ_LETTERS = bytes(range(ord("A"), ord("Z") + 1)) + bytes(range(ord("a"), ord("z") + 1)) + b"-*"
_WHITESPACE = b" \t\r\n\v\f"
#: Bytes read per step while splitting FASTA records.
_FASTA_CHUNK = 16 << 20

_IS_GAP = np.ones(256, dtype=bool)
_IS_GAP[np.frombuffer(DNA_LETTERS_UNAMBIG, dtype=np.uint8)] = False
_BAD_SEQ_BYTE = np.ones(256, dtype=bool)
_BAD_SEQ_BYTE[np.frombuffer(_SEQ_LETTERS + _WHITESPACE, dtype=np.uint8)] = False


@dataclass
class SeqRecord:
    """One chromosome from a sequence, assembly or sizes file.

    Attributes
    ----------
    name : chromosome name
    length : chromosome length (gaps included)
    starts, ends : int64 supercontig bounds, sorted, 0-based half-open
    seq : uint8 sequence of the whole chromosome (FASTA only), else None
    source : display name of the input
    line : 1-based line of the record's first line (FASTA defline, first
        AGP row, sizes line)
    """

    name: str
    length: int
    starts: np.ndarray
    ends: np.ndarray
    seq: np.ndarray | None
    source: str
    line: int = 0


# --- supercontigs ---------------------------------------------------------------------

def find_supercontigs(seq: np.ndarray | bytes, gap_length: int = MIN_GAP_LEN
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Supercontigs of a sequence: the stretches between runs of >= *gap_length* gap bytes.

    A gap byte is anything outside ``ACGTacgt`` (``N``, ``n``, IUPAC codes,
    ...).  Shorter runs, at the ends too, stay inside the neighbouring
    supercontig.  Linear time: a lookup table and the changes of a boolean
    mask.  For long gaps (the default 100 kb) only every *gap_length*-th byte
    is looked up first (a run that long must cover one of them) and the mask
    is built only around those hits, so a chromosome costs a few milliseconds
    instead of several passes over its bytes.

    Returns
    -------
    (starts, ends) : int64 arrays, 0-based half-open; empty when the whole
        sequence is gap.

    Examples
    --------
    >>> find_supercontigs(b"NNACGTNNNNACGTN", gap_length=3)
    (array([ 0, 10]), array([ 6, 15]))
    """
    if gap_length < 1:
        raise ValueError(f"gap_length must be >= 1, not {gap_length}")
    if isinstance(seq, (bytes, bytearray, memoryview)):
        seq = np.frombuffer(seq, dtype=np.uint8)
    n = len(seq)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if gap_length >= _SAMPLED_GAP_LEN:
        gap_starts, gap_ends = _long_gaps_sampled(seq, gap_length)
    else:
        gap_starts, gap_ends = _long_gaps_full(seq, gap_length)
    return complement(gap_starts, gap_ends, n)


#: From this gap length on, find_supercontigs samples the sequence first.
_SAMPLED_GAP_LEN = 1024


def _gap_mask(seq: np.ndarray) -> np.ndarray:
    # np.take with uint8 indices: no intp index array (fancy indexing makes one)
    return _IS_GAP.take(seq)


def _long_gaps_full(seq: np.ndarray, gap_length: int) -> tuple[np.ndarray, np.ndarray]:
    """Runs of >= gap_length gap bytes, from the mask of every byte."""
    is_gap = _gap_mask(seq)
    changes = np.flatnonzero(is_gap[1:] != is_gap[:-1]) + 1
    bounds = np.concatenate(([0], changes, [len(seq)])).astype(np.int64)
    first_gap = 0 if is_gap[0] else 1  # runs alternate gap / sequence
    gap_starts = bounds[first_gap:-1:2]
    gap_ends = bounds[first_gap + 1::2]
    long = (gap_ends - gap_starts) >= gap_length
    return gap_starts[long], gap_ends[long]


def _long_gaps_sampled(seq: np.ndarray, gap_length: int) -> tuple[np.ndarray, np.ndarray]:
    """Runs of >= gap_length gap bytes, looking only near sampled gap bytes.

    Any run of *gap_length* bytes contains a multiple of *gap_length*, so the
    gap bytes among ``seq[::gap_length]`` are the only places to look; from
    each, the run is extended left (at most one step: a longer run would
    contain the previous sample, already handled) and right, one window of
    *gap_length* bytes at a time.  Every byte is looked at O(1) times.
    """
    n, step = len(seq), gap_length
    hits = np.flatnonzero(_gap_mask(seq[::step])) * step
    gap_starts: list[int] = []
    gap_ends: list[int] = []
    covered = 0  # end of the last run found
    for p in hits.tolist():
        if p < covered:
            continue
        lo = max(0, p - step, covered)
        left = _gap_mask(seq[lo:p])[::-1]
        i = int(np.argmin(left)) if len(left) else 0
        start = p - i if len(left) and not left[i] else lo
        end = p
        while end < n:
            window = _gap_mask(seq[end:end + step])
            i = int(np.argmin(window))
            if not window[i]:
                end += i
                break
            end += len(window)
        covered = end
        if end - start >= gap_length:
            gap_starts.append(start)
            gap_ends.append(end)
    return np.array(gap_starts, dtype=np.int64), np.array(gap_ends, dtype=np.int64)


# --- FASTA ----------------------------------------------------------------------------

def _fasta_pieces(reader: object) -> Iterator[list[bytes]]:
    """Split the input into records; yield each one's raw pieces.

    The first yielded list is whatever precedes the first ``>`` (usually
    empty); every later one starts with ``>``.
    """
    pieces: list[bytes] = []
    after_newline = True
    while True:
        data = reader.read(_FASTA_CHUNK)  # type: ignore[attr-defined]
        if not data:
            break
        cuts = _record_starts(data, after_newline)
        pos = 0
        for cut in cuts:
            if cut > pos:
                pieces.append(data[pos:cut])
            yield pieces
            pieces = []
            pos = cut
        pieces.append(data[pos:] if pos else data)
        after_newline = data.endswith(b"\n")
    yield pieces


def _record_starts(data: bytes, after_newline: bool) -> list[int]:
    """Offsets of the ``>`` that start a line (*after_newline*: data starts a line).

    Searches for the single byte ``>`` (memchr, ~25 GB/s) rather than
    ``b"\\n>"`` (~1 GB/s): ``>`` is rare outside deflines.
    """
    cuts = []
    p = data.find(b">")
    while p != -1:
        if (data[p - 1] == 10) if p else after_newline:
            cuts.append(p)
        p = data.find(b">", p + 1)
    return cuts


def _first_bad_byte(pieces: list[bytes]) -> tuple[int, int, int] | None:
    """(piece index, offset, byte) of the first byte that is not a letter, '-', '*'."""
    for i, piece in enumerate(pieces):
        if piece.translate(None, _SEQ_LETTERS + _WHITESPACE):
            bad = np.flatnonzero(_BAD_SEQ_BYTE[np.frombuffer(piece, dtype=np.uint8)])
            offset = int(bad[0])
            return i, offset, piece[offset]
    return None


def read_fasta(source: Source, *, gap_length: int = MIN_GAP_LEN, name: str | None = None
               ) -> Iterator[SeqRecord]:
    """Read FASTA (plain or gzip) one chromosome at a time.

    The name is the defline after ``>`` with whitespace runs replaced by
    ``_`` (as the reference does); the sequence is every other line with
    whitespace removed, bytes kept exactly (case included).

    Raises
    ------
    ParseError
        No records, data before the first ``>``, an empty name, a name seen
        twice, an empty sequence, or a byte that is not a letter, ``-`` or ``*``.

    Examples
    --------
    >>> import io
    >>> fa = io.BytesIO(b">chr1 test\\nACGTNN\\nNNACG\\n")
    >>> [(r.name, r.length, r.starts.tolist(), r.ends.tolist(), r.seq.tobytes())
    ...  for r in read_fasta(fa, gap_length=4)]
    [('chr1_test', 11, [0, 8], [4, 11], b'ACGTNNNNACG')]
    """
    with open_input(source, name=name) as (reader, shown):
        seen: dict[str, int] = {}
        line = 1
        for pieces in _fasta_pieces(reader):
            if not pieces or not pieces[0].startswith(b">"):
                # text before the first record
                for piece in pieces:
                    if piece.strip():
                        stripped = b"".join(pieces)
                        offset = len(stripped) - len(stripped.lstrip())
                        raise ParseError("sequence data before the first '>' line",
                                         source=shown,
                                         line=line + stripped.count(b"\n", 0, offset))
                line += sum(piece.count(b"\n") for piece in pieces)
                continue
            # the defline may (rarely) straddle pieces
            while pieces[0].find(b"\n") == -1 and len(pieces) > 1:
                pieces[0:2] = [pieces[0] + pieces[1]]
            head = pieces[0]
            nl = head.find(b"\n")
            defline = head[1:] if nl == -1 else head[1:nl]
            pieces[0] = b"" if nl == -1 else head[nl + 1:]
            record_line = line
            try:
                seq_name = "_".join(defline.decode(ENCODING).split())
            except UnicodeDecodeError:
                raise ParseError(f"non-ASCII sequence name {defline!r}", source=shown,
                                 line=record_line) from None
            if not seq_name:
                raise ParseError("empty sequence name ('>' line with no name)", source=shown,
                                 line=record_line)
            if seq_name in seen:
                raise ParseError(f"duplicate sequence name {seq_name!r} (first at line "
                                 f"{seen[seq_name]})", source=shown, line=record_line)
            seen[seq_name] = record_line
            bad = _first_bad_byte(pieces)
            if bad is not None:
                index, offset, byte = bad
                bad_line = record_line + 1 + sum(p.count(b"\n") for p in pieces[:index]) \
                    + pieces[index].count(b"\n", 0, offset)
                raise ParseError(f"invalid character {chr(byte)!r} in the sequence of "
                                 f"{seq_name!r}", source=shown, line=bad_line)
            line = record_line + 1 + sum(p.count(b"\n") for p in pieces)
            seq_bytes = bytearray().join([p.translate(None, _WHITESPACE) for p in pieces])
            pieces.clear()
            if not seq_bytes:
                raise ParseError(f"sequence {seq_name!r} is empty", source=shown,
                                 line=record_line)
            seq = np.frombuffer(seq_bytes, dtype=np.uint8)
            starts, ends = find_supercontigs(seq, gap_length)
            yield SeqRecord(seq_name, len(seq), starts, ends, seq, shown, record_line)
        if not seen:
            raise ParseError("no FASTA records (no line starts with '>')", source=shown)


# --- small line-oriented files --------------------------------------------------------

def _positive_int(token: bytes) -> int | None:
    """A positive decimal integer (ASCII digits), or None.  Numbers past
    :data:`MAX_COORDINATE` come back as ``MAX_COORDINATE + 1`` without being
    converted (Python refuses int() of thousands of digits); callers bound them."""
    if token.isdigit() and token.isascii():
        if len(token.lstrip(b"0")) > len(str(MAX_COORDINATE)):
            return MAX_COORDINATE + 1
        value = int(token)
        return value if value > 0 else None
    return None


def _too_large(value: int) -> bool:
    return value > MAX_COORDINATE


_BOUND = f"more than {MAX_COORDINATE:,}, the largest coordinate the format stores (uint32)"


def _text(token: bytes, shown: str, line: int, what: str) -> str:
    try:
        return token.decode(ENCODING)
    except UnicodeDecodeError:
        raise ParseError(f"non-ASCII {what} {token!r}", source=shown, line=line) from None


def read_sizes(source: Source, *, name: str | None = None) -> Iterator[SeqRecord]:
    """Read a chromosome sizes file: ``name<whitespace>length[ more columns]`` per line.

    Blank lines and ``#`` lines are skipped; each chromosome is one
    supercontig ``[0, length)``.

    Examples
    --------
    >>> import io
    >>> [(r.name, r.length, r.line) for r in read_sizes(io.BytesIO(b"chr1 100\\n\\nchr2\\t50\\n"))]
    [('chr1', 100, 1), ('chr2', 50, 3)]
    """
    with open_input(source, name=name) as (reader, shown):
        seen: dict[str, int] = {}
        for line, text in iter_lines(reader):
            fields = text.split()
            if not fields or fields[0].startswith(b"#"):
                continue
            chrom = _text(fields[0], shown, line, "chromosome name")
            if len(fields) < 2:
                raise ParseError(f"missing length after {chrom!r}", source=shown, line=line)
            length = _positive_int(fields[1])
            if length is None:
                token = _text(fields[1], shown, line, "length")
                raise ParseError(f"length {token[:40]!r} of {chrom!r} is not a positive integer",
                                 source=shown, line=line)
            if _too_large(length):
                raise ParseError(f"length {fields[1][:40].decode()} of {chrom!r} is {_BOUND}",
                                 source=shown, line=line)
            if chrom in seen:
                raise ParseError(f"duplicate chromosome {chrom!r} (first at line "
                                 f"{seen[chrom]})", source=shown, line=line)
            seen[chrom] = line
            yield SeqRecord(chrom, length, np.array([0], dtype=np.int64),
                            np.array([length], dtype=np.int64), None, shown, line)
        if not seen:  # as an empty FASTA is: an archive of nothing is a mistake
            raise ParseError("no chromosome sizes (the file is empty or only comments)",
                             source=shown)


@dataclass
class _AgpObject:
    name: str
    line: int
    end: int = 0  # 0-based exclusive end of the last row
    last_line: int = 0
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)


def read_agp(source: Source, *, name: str | None = None) -> Iterator[SeqRecord]:
    """Read an AGP (v1.1 or v2) assembly: one record per object, in order of first appearance.

    Rows are tab-separated (9 columns; gap rows may have 8, as in AGP 1.1),
    1-based closed, converted to 0-based half-open.  Component types ``N``
    and ``U`` are gaps; other rows are merged while they touch, and each
    merged run is a supercontig.  The length is the end of the object's last
    component (non-gap row), as the reference sets it; an object with only gap
    rows (on which the reference crashes) has no supercontig and the length of
    its rows.

    Examples
    --------
    >>> import io
    >>> agp = io.BytesIO(b"c\\t1\\t10\\t1\\tW\\tx\\t1\\t10\\t+\\n"
    ...                  b"c\\t11\\t20\\t2\\tW\\ty\\t1\\t10\\t+\\n"
    ...                  b"c\\t21\\t25\\t3\\tN\\t5\\tscaffold\\tyes\\tpaired-ends\\n"
    ...                  b"c\\t26\\t30\\t4\\tW\\tz\\t1\\t5\\t-\\n")
    >>> [(r.name, r.length, r.starts.tolist(), r.ends.tolist()) for r in read_agp(agp)]
    [('c', 30, [0, 25], [20, 30])]
    """
    with open_input(source, name=name) as (reader, shown):
        objects: dict[str, _AgpObject] = {}
        for line, text in iter_lines(reader):
            if not text.strip() or text.startswith(b"#"):
                continue

            def bad(problem: str) -> ParseError:
                return ParseError(problem, source=shown, line=line)

            fields = text.split(b"\t")
            if len(fields) == 10 and not fields[-1].strip():
                fields.pop()  # a trailing tab
            kind = fields[4].strip() if len(fields) > 4 else b""
            is_gap = kind.decode(ENCODING, "replace") in AGP_GAP_COMPONENT_TYPES
            if not (len(fields) == 9 or (is_gap and len(fields) == 8)):
                raise bad(f"expected 9 tab-separated AGP columns, found {len(fields)}")
            obj_name = _text(fields[0].strip(), shown, line, "object name")
            if not obj_name:
                raise bad("empty object name")
            begin, end = _positive_int(fields[1].strip()), _positive_int(fields[2].strip())
            for value, token, what in ((begin, fields[1], "object_beg"),
                                       (end, fields[2], "object_end")):
                if value is None:
                    raise bad(f"{what} {_text(token, shown, line, what)[:40]!r} is not a "
                              "positive integer")
            assert begin is not None and end is not None
            for value, token, what in ((begin, fields[1], "object_beg"),
                                       (end, fields[2], "object_end")):
                if _too_large(value):
                    raise bad(f"{what} {token.strip()[:40].decode()} is {_BOUND}")
            if begin > end:
                raise bad(f"object_beg {begin} > object_end {end}")
            part = _positive_int(fields[3].strip())
            if part is None:
                raise bad(f"part_number {_text(fields[3], shown, line, 'part_number')[:40]!r} "
                          "is not a positive integer")
            if _too_large(part):
                raise bad(f"part_number {fields[3].strip()[:40].decode()} is more than "
                          f"{MAX_COORDINATE:,}: no object has that many parts")
            kind_text = _text(kind, shown, line, "component type")
            if kind_text not in AGP_COMPONENT_TYPES:
                raise bad(f"unknown component type {kind_text!r} (valid: "
                          f"{' '.join(sorted(AGP_COMPONENT_TYPES))})")
            obj = objects.get(obj_name)
            if obj is None:
                obj = objects[obj_name] = _AgpObject(obj_name, line)
            elif begin - 1 < obj.end:
                raise bad(f"rows of {obj_name!r} out of order or overlapping: {begin}-{end} "
                          f"after a row ending at {obj.end} (line {obj.last_line})")
            obj.end, obj.last_line = end, line
            if not is_gap:
                if obj.ends and obj.ends[-1] >= begin - 1:
                    obj.ends[-1] = end  # touching: the same supercontig
                else:
                    obj.starts.append(begin - 1)
                    obj.ends.append(end)
        if not objects:
            raise ParseError("no AGP rows (the file is empty or only comments)", source=shown)
        for obj in objects.values():
            length = obj.ends[-1] if obj.ends else obj.end
            yield SeqRecord(obj.name, length, np.array(obj.starts, dtype=np.int64),
                            np.array(obj.ends, dtype=np.int64), None, shown, obj.line)


def count_sequences(paths: Iterable[Source] | Source, kind: str) -> int:
    """Number of chromosomes the files describe, for the 100-sequence file/directory default.

    *kind* is ``"fasta"`` (``>`` lines), ``"sizes"`` (data lines) or
    ``"agp"`` (distinct objects per file).

    Examples
    --------
    >>> import io
    >>> count_sequences([io.BytesIO(b">a\\nAC\\n>b\\nGT\\n")], "fasta")
    2
    """
    if isinstance(paths, (str, os.PathLike)) or hasattr(paths, "read"):
        paths = [paths]  # type: ignore[list-item]
    total = 0
    for path in paths:  # type: ignore[union-attr]
        if kind == "fasta":
            total += _count_deflines(path)
        elif kind == "sizes":
            total += sum(1 for _ in read_sizes(path))
        elif kind == "agp":
            total += sum(1 for _ in read_agp(path))
        else:
            raise ValueError(f"unknown sequence file kind {kind!r} (valid: fasta, agp, sizes)")
    return total


def _count_deflines(source: Source) -> int:
    count = 0
    after_newline = True
    with open_input(source) as (reader, _):
        while True:
            data = reader.read(_FASTA_CHUNK)  # type: ignore[attr-defined]
            if not data:
                return count
            count += len(_record_starts(data, after_newline))
            after_newline = data.endswith(b"\n")


# --- assembly report --------------------------------------------------------------------

#: Assembly-report cells meaning "no such name".
_MISSING = frozenset(("", "na"))


class AssemblyReport:
    """An NCBI assembly report: translates sequence names between naming styles.

    A name found in any column maps to the same row's value in the asked
    style column.  As in the reference, when a name appears in several
    columns the last such column (in header order) decides the row, and
    within a column the first row.  Deliberately unlike the reference,
    ``na`` cells are not names: ``na`` is never found, and translating to a
    style whose cell is ``na`` is an error (the reference would name the
    chromosome ``na``).
    """

    def __init__(self, styles: list[str], rows: list[list[str]], source: str):
        self.styles = tuple(styles)
        self.source = source
        self._rows = rows
        self._row_of: dict[str, int] = {}
        for column in range(len(styles)):
            first: dict[str, int] = {}
            for i, row in enumerate(rows):
                cell = row[column]
                if cell not in _MISSING and cell not in first:
                    first[cell] = i
            self._row_of.update(first)

    def __repr__(self) -> str:
        return f"<AssemblyReport {self.source!r}: {len(self._rows)} sequences>"

    def __contains__(self, name: object) -> bool:
        return name in self._row_of

    def translate(self, name: str, style: str = DEFAULT_NAME_STYLE) -> str:
        """The *style* name of the sequence called *name* in any column.

        Raises
        ------
        NameTranslationError
            (a ParseError/ValueError and a KeyError) when *style* is not a
            column, *name* is in no column, or its *style* cell is ``na``.
        """
        if style not in self.styles:
            raise NameTranslationError(
                f"unknown naming style {style!r}; valid styles: {', '.join(self.styles)}",
                source=self.source)
        row = self._row_of.get(name)
        if row is None:
            raise NameTranslationError(f"cannot find {name!r} in assembly report",
                                       source=self.source)
        result = self._rows[row][self.styles.index(style)]
        if result in _MISSING:
            raise NameTranslationError(f"{name!r} has no {style} in assembly report "
                                       f"({result or 'empty'})", source=self.source)
        return result


def read_assembly_report(source: Source, *, name: str | None = None) -> AssemblyReport:
    """Read an NCBI assembly report (the reference's ``read_chromosome_name_map``).

    The column names are on the last ``#`` line before the first data line
    (after the ``#``, split on whitespace); data rows are tab-separated.

    Examples
    --------
    >>> import io
    >>> report = read_assembly_report(io.BytesIO(
    ...     b"# Assembly name: x\\n# Sequence-Name\\tRefSeq-Accn\\tUCSC-style-name\\n"
    ...     b"1\\tNC_000001.11\\tchr1\\nMT\\tNC_012920.1\\tchrM\\n"))
    >>> report.translate("NC_000001.11", "UCSC-style-name"), report.translate("chrM", "Sequence-Name")
    ('chr1', 'MT')
    """
    with open_input(source, name=name) as (reader, shown):
        lines = [(number, text.decode(ENCODING, "replace")) for number, text in
                 iter_lines(reader)]
    header_at = 0
    for i, (_, text) in enumerate(lines):
        if not text.startswith("#"):
            header_at = max(0, i - 1)
            break
    if not lines:
        raise ParseError("empty assembly report", source=shown)
    styles = lines[header_at][1].lstrip("#").split()
    if not styles:
        raise ParseError("no column names on the assembly report's header line",
                         source=shown, line=lines[header_at][0])
    rows = []
    for _number, text in lines[header_at + 1:]:
        if not text.strip():
            continue
        cells = [cell.strip() for cell in text.split("\t")]
        cells += [""] * (len(styles) - len(cells))
        rows.append(cells[:len(styles)])
    return AssemblyReport(styles, rows, shown)

