"""Track data input: bedGraph, WIG (fixedStep / variableStep) and bigWig.

The format is taken from the content, never from the file name: a
``fixedStep``/``variableStep`` line means WIG, anything else is bedGraph
(BED3+1).  Text is read in large blocks of whole lines; the few header,
comment, ``track`` and ``browser`` lines are found with ``bytes.find`` and
split the block into runs of data lines, and each run is parsed with numpy
(:mod:`gdxarray.parsers._vec`) about 1 MB at a time.

Intervals come out in input order, grouped into :class:`IntervalBlock` s of
one chromosome each; nothing is sorted or merged here: the writer checks
order, overlaps and bounds, and uses :attr:`IntervalBlock.lines` to name
the offending input line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np

from ..errors import GenomedataError, ParseError
from ..format import BIGWIG_MAGICS, ENCODING, MAX_COORDINATE
from ._io import BLOCK_PAD, Source, display_name, is_path, iter_blocks, open_input
from ._vec import Fields, block_arrays, masked_word, parse_floats, parse_uints

__all__ = ["IntervalBlock", "read_track", "sniff_track_format"]

#: Bytes parsed per vectorised step: big enough to amortise numpy's per-call
#: overhead, small enough that the temporaries stay in cache (measured: 1 MB
#: is ~2x faster than a whole 8 MB block at once).
_SUB_RUN = 1 << 20
#: Bases of a bigWig chromosome fetched per pyBigWig ``intervals`` call.
_BIGWIG_WINDOW = 1 << 20
#: One byte of each kind of non-data line (``#``, fixed/variable``S``tep,
#: trac``k``, bro``w``ser): single bytes because ``bytes.find`` of one byte
#: is memchr (~25 GB/s) while longer needles run at ~1 GB/s.  Every line
#: holding one is looked at in Python; the rest is parsed vectorised.
_MARKERS = (b"#", b"S", b"k", b"w")
#: First bytes of a line that can be a non-data line.
_LINE_FIRST = frozenset(b"#tbfv \t")
#: Intervals collected before an IntervalBlock is made (small pieces, such as
#: short fixedStep sections, are concatenated up to this; larger ones pass as is).
_MIN_ROWS = 1 << 16
#: More chromosome runs than this in one parsed block (lines shuffled across
#: chromosomes) are made into blocks only as they are consumed.
_LAZY_RUNS = 1024
_WIG_HEADERS = (b"fixedStep", b"variableStep")
_WIG_KEYS = {"fixedStep": ("chrom", "start", "step", "span"), "variableStep": ("chrom", "span")}
_SHOW = 80  # characters of an offending line quoted in a message


@dataclass(frozen=True, eq=False)  # eq of arrays is ambiguous: compare fields explicitly
class IntervalBlock:
    """Intervals of one chromosome, in input order.

    Attributes
    ----------
    chrom : chromosome name
    starts : int64, 0-based starts
    ends : int64, half-open ends
    values : float32
    lines : int64, 1-based input line of each interval (interval ordinal for bigWig)
    source : display name of the input
    """

    chrom: str
    starts: np.ndarray
    ends: np.ndarray
    values: np.ndarray
    lines: np.ndarray
    source: str

    def __len__(self) -> int:
        return len(self.starts)


# --- line classification -------------------------------------------------------

def _classify(line: bytes) -> str | None:
    """``"comment"``, ``"skip"`` (track/browser), ``"header"`` or None (data)."""
    stripped = line.strip()
    if stripped.startswith(b"#"):
        return "comment"
    token = stripped.split(None, 1)[0] if stripped else b""
    if token in (b"track", b"browser"):
        return "skip"
    if token in _WIG_HEADERS:
        return "header"
    return None


def _special_lines(block: bytes, start: int) -> list[tuple[int, int, str]]:
    """(line start, offset of its ``\\n``, kind) of every non-data line, in order."""
    found: dict[int, tuple[int, str] | None] = {}
    for marker in _MARKERS:
        p = block.find(marker, start)
        while p != -1:
            ls = block.rfind(b"\n", 0, p) + 1
            le = block.find(b"\n", p)
            if ls not in found:
                kind = _classify(block[ls:le]) if block[ls] in _LINE_FIRST else None
                found[ls] = (le, kind) if kind else None
            p = block.find(marker, le)
    return sorted((ls, v[0], v[1]) for ls, v in found.items() if v is not None)


def _looks_like_wig_data(tokens: list[bytes]) -> bool:
    if not 1 <= len(tokens) <= 2:
        return False
    try:
        float(tokens[0])
    except ValueError:
        return False
    return True


def sniff_track_format(first_lines: Iterable[str | bytes]) -> str:
    """Guess a text track's format from its first lines: ``"wig"`` or ``"bedgraph"``.

    Blank lines, ``#`` comments and ``track``/``browser`` lines are skipped;
    the first remaining line decides: a ``fixedStep``/``variableStep`` header
    (or a bare 1-2 column numeric line, i.e. WIG data whose header is
    missing) means ``"wig"``, anything else ``"bedgraph"`` (also returned
    when there is no such line).

    Examples
    --------
    >>> sniff_track_format(["track type=wiggle_0", "fixedStep chrom=chr1 start=1 step=1", "0.5"])
    'wig'
    >>> sniff_track_format(["# comment", "chr1\\t0\\t10\\t0.5"])
    'bedgraph'
    """
    for line in first_lines:
        if isinstance(line, str):
            line = line.encode(ENCODING, "replace")
        kind = _classify(line)
        if kind == "header":
            return "wig"
        if kind is not None:
            continue
        tokens = line.split()
        if not tokens:
            continue
        return "wig" if _looks_like_wig_data(tokens) else "bedgraph"
    return "bedgraph"


class _LazyRuns:
    """The inner chromosome runs of one parsed block, as :class:`IntervalBlock`\\ s
    made one at a time while consumed (in input order, as the parser's own)."""

    __slots__ = ("parser", "block", "cs", "ce", "starts", "ends", "values", "lines", "bounds")

    def __init__(self, parser, block, cs, ce, starts, ends, values, lines, bounds) -> None:
        self.parser, self.block, self.cs, self.ce = parser, block, cs, ce
        self.starts, self.ends, self.values, self.lines = starts, ends, values, lines
        self.bounds = bounds

    def __iter__(self) -> Iterator["IntervalBlock"]:
        b = self.bounds
        for lo, hi in zip(b[:-1], b[1:]):
            chrom = self.parser._chrom_name(int(self.cs[lo]), int(self.ce[lo]),
                                            int(self.lines[lo]), block=self.block)
            yield IntervalBlock(chrom,
                                np.ascontiguousarray(self.starts[lo:hi], dtype=np.int64),
                                np.ascontiguousarray(self.ends[lo:hi], dtype=np.int64),
                                np.ascontiguousarray(self.values[lo:hi], dtype=np.float32),
                                np.ascontiguousarray(self.lines[lo:hi], dtype=np.int64),
                                self.parser.source)


# --- WIG headers ------------------------------------------------------------------


@dataclass
class _Section:
    kind: str  # "fixedStep" | "variableStep"
    chrom: str
    start0: int  # 0-based position of the section's first value (fixedStep)
    step: int
    span: int
    count: int = 0  # fixedStep values read so far in this section


def _parse_wig_header(text: bytes, source: str, line: int, *, zero_start: bool = False) -> _Section:
    tokens = text.split()
    kind = tokens[0].decode(ENCODING)
    allowed = _WIG_KEYS[kind]

    def bad(problem: str) -> ParseError:
        return ParseError(f"bad {kind} header: {problem}", source=source, line=line)

    params: dict[str, str] = {}
    for token in tokens[1:]:
        key_b, eq, value_b = token.partition(b"=")
        try:
            key, value = key_b.decode(ENCODING), value_b.decode(ENCODING)
        except UnicodeDecodeError:
            raise bad(f"non-ASCII text {token!r}") from None
        if not eq:
            raise bad(f"expected key=value, found {key!r}")
        if key not in allowed:
            raise bad(f"unknown key {key!r} (valid keys: {', '.join(allowed)})")
        if key in params:
            raise bad(f"{key}= given twice")
        params[key] = value
    if not params.get("chrom"):
        raise bad("missing chrom=")
    numbers = {"start": 1, "step": 1, "span": 1}
    for key in ("start", "step", "span"):
        if key in params:
            value = params[key]
            lowest = 0 if zero_start and key == "start" else 1
            # the digits are counted first: int() refuses thousands of them
            huge = len(value.lstrip("0")) > len(str(MAX_COORDINATE))
            if not value.isascii() or not value.isdigit() or (not huge and int(value) < lowest):
                hint = " (wig positions are 1-based)" if key == "start" else ""
                raise bad(f"{key}={value[:40]} is not a positive integer{hint}")
            if huge or int(value) > MAX_COORDINATE:
                raise bad(f"{key}={value[:40]}{'...' if len(value) > 40 else ''} is more than "
                          f"{MAX_COORDINATE:,}, the largest coordinate the format stores (uint32)")
            numbers[key] = int(value)
    return _Section(kind, params["chrom"], numbers["start"] - 1, numbers["step"],
                    numbers["span"])


# --- the text parser ------------------------------------------------------------------

class _TextParser:
    """State machine over the blocks of one text input.

    *mode* ``"track"`` reads bedGraph (exactly 4 fields) or WIG; ``"mask"``
    reads BED (3 or more fields; value from the score column, else a
    numeric 4th column, else NaN) or WIG.
    """

    def __init__(self, source: str, mode: str):
        self.source = source
        self.mode = mode
        self.fmt: str | None = None  # "wig" | "bedgraph" | "bed"
        self.section: _Section | None = None
        self._pending_chrom: str | None = None
        self._pending: list[tuple[np.ndarray, ...]] = []
        self._pending_rows = 0
        self._out: list[IntervalBlock] = []
        # the current block, for quoting lines in messages
        self._block = b""

    # -- output --------------------------------------------------------------------
    def _emit(self, chrom: str, starts: np.ndarray, ends: np.ndarray, values: np.ndarray,
              lines: np.ndarray) -> None:
        if len(starts) == 0:
            return
        if chrom != self._pending_chrom:
            self._flush()
            self._pending_chrom = chrom
        self._pending.append((starts, ends, values, lines))
        self._pending_rows += len(starts)
        if self._pending_rows >= _MIN_ROWS:
            self._flush()

    def _flush(self) -> None:
        parts = self._pending
        if parts:
            if len(parts) == 1:
                starts, ends, values, lines = parts[0]
            else:
                starts, ends, values, lines = (np.concatenate(c) for c in zip(*parts))
            self._out.append(IntervalBlock(
                self._pending_chrom,  # type: ignore[arg-type]
                np.ascontiguousarray(starts, dtype=np.int64),
                np.ascontiguousarray(ends, dtype=np.int64),
                np.ascontiguousarray(values, dtype=np.float32),
                np.ascontiguousarray(lines, dtype=np.int64),
                self.source))
        self._pending = []
        self._pending_chrom = None
        self._pending_rows = 0

    # -- errors --------------------------------------------------------------------
    def _error(self, message: str, line: int) -> ParseError:
        return ParseError(message, source=self.source, line=line)

    def _line_text(self, fields: Fields, a: int, index: int) -> str:
        """The text of line *index* (0-based within the run that starts at *a*)."""
        nl = fields.newlines
        lo = a if index == 0 else int(nl[index - 1]) + 1
        hi = int(nl[index]) if index < len(nl) else len(self._block)
        text = self._block[lo:hi].strip().decode(ENCODING, "backslashreplace")
        return text if len(text) <= _SHOW else text[:_SHOW] + "..."

    def _token(self, start: int, end: int) -> str:
        text = self._block[start:end].decode(ENCODING, "backslashreplace")
        return text if len(text) <= _SHOW else text[:_SHOW] + "..."

    def _chrom_name(self, start: int, end: int, line: int, block: bytes | None = None) -> str:
        try:
            return (self._block if block is None else block)[start:end].decode(ENCODING)
        except UnicodeDecodeError:
            raise self._error(f"non-ASCII chromosome name {self._token(start, end)!r}",
                              line) from None

    # -- blocks --------------------------------------------------------------------
    def parse(self, reader: object, block_bytes: int) -> Iterator[IntervalBlock]:
        line = 1  # counted here from the parsed runs (bytes.count costs ~1.5 ms/MB)
        for block, _ in iter_blocks(reader, block_bytes, count_lines=False):
            self._block = block
            line = self._parse_block(block, line)
            self._flush()
            out, self._out = self._out, []
            for item in out:
                if isinstance(item, _LazyRuns):
                    yield from item
                else:
                    yield item
        self._block = b""

    def _parse_block(self, block: bytes, first_line: int) -> int:
        """Parse one block whose first line is *first_line*; return the next line number."""
        arr, words = block_arrays(block)
        pos, line = BLOCK_PAD, first_line
        for ls, le, kind in _special_lines(block, BLOCK_PAD):
            if ls > pos:
                line = self._run(arr, words, pos, ls, line)
            if kind == "header":
                self._header(block[ls:le], line)
            pos, line = le + 1, line + 1
        if pos < len(block):
            line = self._run(arr, words, pos, len(block), line)
        return line

    def _header(self, text: bytes, line: int) -> None:
        kind = text.split()[0].decode(ENCODING)
        if self.fmt in ("bedgraph", "bed"):
            what = "bedGraph" if self.fmt == "bedgraph" else "BED"
            raise self._error(f"{kind} header in a {what} file (a file cannot switch "
                              f"from {what} to wig)", line)
        self.fmt = "wig"
        # masks may hold position 0: written for the reference's 0-based reading of
        # WIG masks (read_mask shifts such a file as a whole)
        self.section = _parse_wig_header(text, self.source, line,
                                         zero_start=self.mode == "mask")

    def _run(self, arr: np.ndarray, words: np.ndarray, a: int, b: int, line: int) -> int:
        """Parse data lines ``[a, b)`` whose first is *line*; return the next line number."""
        block = self._block
        while a < b:
            c = b
            if b - a > _SUB_RUN:
                c = block.rfind(b"\n", a, a + _SUB_RUN) + 1
                if c <= a:  # one line longer than _SUB_RUN
                    c = block.find(b"\n", a + _SUB_RUN) + 1
            fields = Fields(arr, a, c)
            if len(fields.starts):
                self._data(arr, words, fields, a, c, line)
            line += len(fields.newlines)
            a = c
        return line

    def _data(self, arr: np.ndarray, words: np.ndarray, fields: Fields, a: int, b: int,
              line: int) -> None:
        if self.fmt is None:
            self._sniff(fields, a, line)
        if self.fmt == "wig":
            section = self.section
            if section is None:
                index = int(fields.field_lines[0])
                raise self._error("data line before any fixedStep/variableStep header: "
                                  f"{self._line_text(fields, a, index)!r}", line + index)
            if section.kind == "fixedStep":
                self._fixed(arr, words, fields, a, b, line, section)
            else:
                self._variable(arr, words, fields, a, b, line, section)
        elif self.fmt == "bedgraph":
            self._bedgraph(arr, words, fields, a, b, line)
        else:
            self._bed(arr, words, fields, a, b, line)

    def _sniff(self, fields: Fields, a: int, line: int) -> None:
        first = int(fields.field_lines[0])
        count = int(np.count_nonzero(fields.field_lines == first))
        tokens = [self._block[s:e] for s, e in
                  zip(fields.starts[:count].tolist(), fields.ends[:count].tolist())]
        if _looks_like_wig_data(tokens):
            raise self._error("data line before any fixedStep/variableStep header: "
                              f"{self._line_text(fields, a, first)!r}", line + first)
        self.fmt = "bedgraph" if self.mode == "track" else "bed"

    def _count_error(self, fields: Fields, a: int, line: int, bad: int, expected: str
                     ) -> ParseError:
        first_field, counts = fields.line_counts()
        index = int(fields.field_lines[first_field[bad]])
        found = int(counts[bad])
        text = self._line_text(fields, a, index)
        message = f"expected {expected}, found {found}: {text!r}"
        if self.fmt == "bedgraph" and found > 4:
            message += " (a BED file with a name column is not bedGraph; cut it to " \
                       "chrom, start, end, value)"
        elif self.fmt == "wig" and found >= 3:
            message += " (bedGraph data in a wig file?)"
        return self._error(message, line + index)

    # -- value checks ------------------------------------------------------------------
    def _check_ints(self, ok: np.ndarray, starts: np.ndarray,
                    ends: np.ndarray, what: str, row_lines: np.ndarray) -> tuple[int, str] | None:
        bad = np.flatnonzero(~ok)
        if not len(bad):
            return None
        i = int(bad[0])
        token = self._token(int(starts[i]), int(ends[i]))
        if token.startswith("-") and token[1:].isdigit():
            return int(row_lines[i]), f"negative {what} {token}"
        if token.removesuffix("...").isdigit():  # (long tokens come cut)
            shown = token[:40] + ("..." if len(token) > 40 else "")
            return int(row_lines[i]), (f"{what} {shown} is too large (more than "
                                       f"{MAX_COORDINATE:,}, the largest coordinate the "
                                       "format stores)")
        return int(row_lines[i]), f"non-integer {what} {token!r}"

    def _check_values(self, ok: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                      row_lines: np.ndarray) -> tuple[int, str] | None:
        bad = np.flatnonzero(~ok)
        if not len(bad):
            return None
        i = int(bad[0])
        return int(row_lines[i]), f"non-numeric value {self._token(int(starts[i]), int(ends[i]))!r}"

    def _raise_first(self, *problems: tuple[int, str] | None) -> None:
        found = [p for p in problems if p is not None]
        if found:
            line, message = min(found, key=lambda p: p[0])
            raise self._error(message, line)

    def _order_problem(self, chroms: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                       row_lines: np.ndarray, ok: np.ndarray) -> tuple[int, str] | None:
        bad = np.flatnonzero(ok & (starts >= ends))
        if not len(bad):
            return None
        i = int(bad[0])
        chrom = self._token(int(chroms[i, 0]), int(chroms[i, 1]))
        return (int(row_lines[i]),
                f"interval {chrom}:{int(starts[i])}-{int(ends[i])} has start >= end")

    # -- chromosome runs ------------------------------------------------------------------
    def _chrom_runs(self, cs: np.ndarray, ce: np.ndarray, words: np.ndarray) -> np.ndarray:
        """Indices where the chromosome field differs from the previous row's (0 first)."""
        n = len(cs)
        length = ce - cs
        differs = length[1:] != length[:-1]
        max_len = int(length.max())
        for k in range(0, max_len, 8):
            w = masked_word(words, ce, length, k)
            differs |= w[1:] != w[:-1]
        return np.concatenate(([0], np.flatnonzero(differs) + 1)) if n else np.zeros(0, int)

    def _emit_by_chrom(self, cs: np.ndarray, ce: np.ndarray, words: np.ndarray,
                       starts: np.ndarray, ends: np.ndarray, values: np.ndarray,
                       row_lines: np.ndarray) -> None:
        runs = self._chrom_runs(cs, ce, words)
        bounds = np.append(runs, len(cs)).tolist()
        if len(bounds) > _LAZY_RUNS + 2:
            # the first and last runs may join their neighbours' blocks; each run
            # between is a block of its own, made when consumed (made all at once,
            # their objects cost ~1 kB a run: hundreds of MB per parsed block)
            self._emit_run(cs, ce, starts, ends, values, row_lines, bounds[0], bounds[1])
            self._flush()
            self._out.append(_LazyRuns(self, self._block, cs, ce, starts, ends, values,
                                       row_lines, bounds[1:-1]))
            self._emit_run(cs, ce, starts, ends, values, row_lines, bounds[-2], bounds[-1])
            return
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            self._emit_run(cs, ce, starts, ends, values, row_lines, lo, hi)

    def _emit_run(self, cs, ce, starts, ends, values, row_lines, lo: int, hi: int) -> None:
        chrom = self._chrom_name(int(cs[lo]), int(ce[lo]), int(row_lines[lo]))
        self._emit(chrom, starts[lo:hi], ends[lo:hi], values[lo:hi], row_lines[lo:hi])

    # -- formats ------------------------------------------------------------------------
    def _bedgraph(self, arr: np.ndarray, words: np.ndarray, fields: Fields, a: int, b: int,
                  line: int) -> None:
        S, E, row_index, bad = fields.rows(4)
        if len(S):
            row_lines = row_index + line
            starts, ok_s = parse_uints(arr, words, S[:, 1], E[:, 1])
            ends, ok_e = parse_uints(arr, words, S[:, 2], E[:, 2])
            values, ok_v = parse_floats(arr, words, S[:, 3], E[:, 3], region=(a, b))
            ok_se = ok_s & ok_e
            self._raise_first(
                self._check_ints(ok_s, S[:, 1], E[:, 1], "start", row_lines),
                self._check_ints(ok_e, S[:, 2], E[:, 2], "end", row_lines),
                self._check_values(ok_v, S[:, 3], E[:, 3], row_lines),
                self._order_problem(np.stack((S[:, 0], E[:, 0]), axis=1), starts, ends,
                                    row_lines, ok_se),
            )
            self._emit_by_chrom(S[:, 0], E[:, 0], words, starts, ends, values, row_lines)
        if bad is not None:
            raise self._count_error(fields, a, line, bad, "4 fields (chrom start end value)")

    def _bed(self, arr: np.ndarray, words: np.ndarray, fields: Fields, a: int, b: int,
             line: int) -> None:
        first, counts = fields.line_counts()
        short = np.flatnonzero(counts < 3)
        n = int(short[0]) if len(short) else len(first)
        if n:
            first_n, counts_n = first[:n], counts[:n]
            fs, fe = fields.starts, fields.ends
            row_lines = fields.field_lines[first_n] + line
            cs, ce = fs[first_n], fe[first_n]
            starts, ok_s = parse_uints(arr, words, fs[first_n + 1], fe[first_n + 1])
            ends, ok_e = parse_uints(arr, words, fs[first_n + 2], fe[first_n + 2])
            values = np.full(n, np.nan, dtype=np.float32)
            # the 4th column when numeric (bedGraph as a mask), then the 5th (score) over it
            for col in (3, 4):
                rows = np.flatnonzero(counts_n > col)
                if len(rows):
                    v, ok = parse_floats(arr, words, fs[first_n[rows] + col],
                                         fe[first_n[rows] + col], region=(a, b))
                    values[rows[ok]] = v[ok]
            self._raise_first(
                self._check_ints(ok_s, fs[first_n + 1], fe[first_n + 1], "start",
                                 row_lines),
                self._check_ints(ok_e, fs[first_n + 2], fe[first_n + 2], "end",
                                 row_lines),
                self._order_problem(np.stack((cs, ce), axis=1), starts, ends, row_lines,
                                    ok_s & ok_e),
            )
            self._emit_by_chrom(cs, ce, words, starts, ends, values, row_lines)
        if n < len(first):
            raise self._count_error(fields, a, line, n, "at least 3 fields (chrom start end)")

    def _fixed(self, arr: np.ndarray, words: np.ndarray, fields: Fields, a: int, b: int,
               line: int, section: _Section) -> None:
        S, E, row_index, bad = fields.rows(1)
        if len(S):
            row_lines = row_index + line
            values, ok = parse_floats(arr, words, S[:, 0], E[:, 0], region=(a, b))
            self._raise_first(self._check_values(ok, S[:, 0], E[:, 0], row_lines))
            k = np.arange(section.count, section.count + len(values), dtype=np.int64)
            starts = section.start0 + k * section.step
            section.count += len(values)
            self._emit(section.chrom, starts, starts + section.span, values, row_lines)
        if bad is not None:
            raise self._count_error(fields, a, line, bad, "1 field (a value) per line in a "
                                    "fixedStep section")

    def _variable(self, arr: np.ndarray, words: np.ndarray, fields: Fields, a: int, b: int,
                  line: int, section: _Section) -> None:
        S, E, row_index, bad = fields.rows(2)
        if len(S):
            row_lines = row_index + line
            pos, ok_p = parse_uints(arr, words, S[:, 0], E[:, 0])
            values, ok_v = parse_floats(arr, words, S[:, 1], E[:, 1], region=(a, b))
            zero = np.flatnonzero(ok_p & (pos == 0)) if self.mode == "track" else ()
            self._raise_first(
                self._check_ints(ok_p, S[:, 0], E[:, 0], "position", row_lines),
                (int(row_lines[zero[0]]), "position 0 in a variableStep section "
                 "(wig positions are 1-based)") if len(zero) else None,
                self._check_values(ok_v, S[:, 1], E[:, 1], row_lines),
            )
            starts = pos - 1
            self._emit(section.chrom, starts, starts + section.span, values, row_lines)
        if bad is not None:
            raise self._count_error(fields, a, line, bad, "2 fields (position value) per "
                                    "line in a variableStep section")


# --- bigWig --------------------------------------------------------------------------------

def _is_bigwig(path: str | os.PathLike[str]) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) in BIGWIG_MAGICS
    except OSError:
        return False  # open_input reports it


def _read_bigwig(path: str | os.PathLike[str], shown: str) -> Iterator[IntervalBlock]:
    try:
        import pyBigWig
    except ImportError as exc:  # pragma: no cover - pyBigWig is a dependency
        raise GenomedataError("reading a bigWig track needs pyBigWig: "
                              "pip install pyBigWig") from exc
    bw = pyBigWig.open(os.fspath(path))
    if bw is None:
        raise ParseError("cannot open bigWig file", source=shown)
    try:
        if not bw.isBigWig():
            raise ParseError("a bigBed file, not a bigWig track", source=shown)
        ordinal = 0
        for chrom, length in bw.chroms().items():
            for w0 in range(0, length, _BIGWIG_WINDOW):
                intervals = bw.intervals(chrom, w0, min(w0 + _BIGWIG_WINDOW, length))
                if not intervals:
                    continue
                table = np.array(intervals, dtype=np.float64).reshape(-1, 3)
                starts = table[:, 0].astype(np.int64)
                keep = starts >= w0  # the rest began in (and came with) the previous window
                if not keep.all():
                    table, starts = table[keep], starts[keep]
                n = len(starts)
                if not n:
                    continue
                lines = np.arange(ordinal + 1, ordinal + n + 1, dtype=np.int64)
                ordinal += n
                yield IntervalBlock(chrom, starts, table[:, 1].astype(np.int64),
                                    table[:, 2].astype(np.float32), lines, shown)
    finally:
        bw.close()


# --- entry point ---------------------------------------------------------------------------

def read_track(source: Source, *, name: str | None = None, block_bytes: int = 8 << 20
               ) -> Iterator[IntervalBlock]:
    """Read a bedGraph, WIG or bigWig track as blocks of intervals.

    Parameters
    ----------
    source : path, ``"-"`` (standard input) or an open binary file; plain
        text or gzip (detected by content).  A bigWig must be given as a path.
    name : display name for messages (default: the path, ``<stdin>``, ...)
    block_bytes : decompressed bytes read per step (memory ~ a few times this)

    Yields
    ------
    IntervalBlock
        Intervals of one chromosome each, in input order; consecutive blocks
        may share a chromosome; never empty.

    Raises
    ------
    ParseError
        Malformed input, with file name and line number.

    Examples
    --------
    >>> import io
    >>> data = io.BytesIO(b"fixedStep chrom=chr1 start=11 step=5 span=2\\n0.5\\n1.5\\n")
    >>> [(b.chrom, b.starts.tolist(), b.ends.tolist(), b.values.tolist(), b.lines.tolist())
    ...  for b in read_track(data, name="t.wig")]
    [('chr1', [10, 15], [12, 17], [0.5, 1.5], [2, 3])]
    """
    shown = display_name(source, name)
    # only regular files are sniffed here: peeking at a FIFO would eat its bytes
    if is_path(source) and os.path.isfile(source) and _is_bigwig(source):  # type: ignore[arg-type]
        yield from _read_bigwig(source, shown)  # type: ignore[arg-type]
        return
    with open_input(source, name=name) as (reader, shown):
        yield from _TextParser(shown, "track").parse(reader, block_bytes)


def _read_text_intervals(source: Source, mode: str, *, name: str | None = None,
                         block_bytes: int = 8 << 20) -> Iterator[IntervalBlock]:
    with open_input(source, name=name) as (reader, shown):
        yield from _TextParser(shown, mode).parse(reader, block_bytes)
