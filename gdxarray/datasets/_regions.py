"""Regions of interest and label intervals for the datasets: BED/GFF text, lists, DataFrames.

Owns turning whatever a Janggu user passes as ``roi`` (or as a ``create_from_bed``
label file) into column arrays ``chrom, start, end, strand, name, score`` plus
the 1-based line each row came from, so errors can name file and line.  Text
is split into fields with the vectorised splitter of :mod:`gdxarray.parsers._vec`
(no Python loop per line); only header lines (``#``, ``track``, ``browser``)
are looked at one by one.  GFF/GTF files (9 columns, 1-based starts) are
recognised as pybedtools recognises them, so Janggu's ``roi="genes.gtf"``
still works.

When ``gdxarray.parsers.read_regions`` lands, :func:`read_regions` becomes a
thin adapter over it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..errors import ParseError
from ..parsers._io import BLOCK_PAD, display_name, open_input, read_all
from ..parsers._vec import Fields, block_arrays, parse_floats, parse_uints

__all__ = ["Regions", "read_regions"]


@dataclass
class Regions:
    """Column arrays of intervals (0-based, half-open).

    Attributes
    ----------
    chrom : object array of str
    start, end : int64
    strand : ``<U1`` array of ``"+"``, ``"-"`` or ``"."``
    name : object array of str (``"."`` where absent)
    score : float64 (NaN where absent or ``"."``)
    last : float64, the last column parsed as a number (bedGraph value), NaN if not one
    line : int64 1-based source line (0 for in-memory input)
    source : display name of the input
    """

    chrom: np.ndarray
    start: np.ndarray
    end: np.ndarray
    strand: np.ndarray
    name: np.ndarray
    score: np.ndarray
    last: np.ndarray
    line: np.ndarray
    source: str

    def __len__(self) -> int:
        return len(self.start)

    def where(self, i: int) -> tuple[str, int | None]:
        """(source, line) of row *i* for error messages."""
        line = int(self.line[i]) if len(self.line) and self.line[i] > 0 else None
        return self.source, line


def _strings(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Field bytes -> object array of str, decoding each distinct value once."""
    n = len(starts)
    if n == 0:
        return np.array([], dtype=object)
    lengths = ends - starts
    width = int(lengths.max())
    offsets = np.arange(width)
    idx = starts[:, None] + offsets
    mat = arr[np.minimum(idx, len(arr) - 1)].copy()
    mat[offsets >= lengths[:, None]] = 0
    fixed = np.ascontiguousarray(mat).view(f"S{width}").reshape(n)
    uniq, inverse = np.unique(fixed, return_inverse=True)
    decoded = np.array([u.decode("ascii", "replace") for u in uniq], dtype=object)
    return decoded[inverse.reshape(-1)]


def _drop_headers(data: bytes) -> tuple[bytes, np.ndarray]:
    """Blank out header lines; return (block, 1-based line number of each kept line)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(arr == 10)
    line_starts = np.concatenate(([0], newlines[:-1] + 1)) if len(newlines) else np.zeros(0, int)
    line_ends = newlines
    first = arr[np.minimum(line_starts, max(len(arr) - 1, 0))] if len(arr) else np.zeros(0, np.uint8)
    empty = line_ends == line_starts
    candidates = np.flatnonzero(~empty & np.isin(first, np.frombuffer(b"#tb\r", np.uint8)))
    drop = empty.copy()
    for i in candidates.tolist():
        text = data[line_starts[i]:line_ends[i]]
        if text.startswith(b"#") or text.startswith(b"track") or text.startswith(b"browser") \
                or not text.strip():
            drop[i] = True
    blank = np.flatnonzero(~drop & (line_ends - line_starts <= 1))
    for i in blank.tolist():  # a lone "\r" (CRLF files)
        if not data[line_starts[i]:line_ends[i]].strip():
            drop[i] = True
    keep = np.flatnonzero(~drop)
    if len(keep) == len(line_starts):
        return data, keep + 1
    mask = np.zeros(len(arr) + 1, dtype=np.int8)
    np.add.at(mask, line_starts[keep], 1)
    np.add.at(mask, line_ends[keep] + 1, -1)
    byte_keep = np.cumsum(mask[:-1]) > 0
    return arr[byte_keep].tobytes(), keep + 1


def _parse_text(data: bytes, shown: str) -> Regions:
    if data and not data.endswith(b"\n"):
        data += b"\n"
    body, line_numbers = _drop_headers(data)
    block = b"\n" * BLOCK_PAD + body + b"\n" * 8
    arr, words = block_arrays(block)
    fields = Fields(arr, BLOCK_PAD, BLOCK_PAD + len(body))
    first, counts = fields.line_counts()
    n = len(first)
    if n != len(line_numbers):  # a kept line of only whitespace
        raise ParseError("blank line with whitespace", source=shown)
    few = np.flatnonzero(counts < 3)
    if len(few):
        raise ParseError(f"expected at least 3 columns (chrom, start, end), found "
                         f"{int(counts[few[0]])}", source=shown,
                         line=int(line_numbers[few[0]]))
    starts, ends = fields.starts, fields.ends

    def col(j: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        idx = first + j if rows is None else first[rows] + j
        return starts[idx], ends[idx]

    gff = False
    if n and counts.min() >= 9:
        s1, e1 = col(1)
        _, src_is_int = parse_uints(arr, words, s1[:1], e1[:1])
        s3, e3 = col(3)
        _, ok3 = parse_uints(arr, words, s3[:1], e3[:1])
        s6, e6 = col(6)
        strand0 = bytes(arr[s6[0]:e6[0]])
        gff = bool(ok3[0]) and not bool(src_is_int[0]) and strand0 in (b"+", b"-", b".")
    chrom = _strings(arr, *col(0))
    if gff:
        start, ok_s = parse_uints(arr, words, *col(3))
        end, ok_e = parse_uints(arr, words, *col(4))
        start = start - 1
        score_cols = 5
    else:
        start, ok_s = parse_uints(arr, words, *col(1))
        end, ok_e = parse_uints(arr, words, *col(2))
        score_cols = 4
    for ok, what in ((ok_s, "start"), (ok_e, "end")):
        bad = np.flatnonzero(~ok)
        if len(bad):
            i = int(bad[0])
            s, e = col(3 if gff and what == "start" else 4 if gff else 1 if what == "start" else 2)
            token = bytes(arr[s[i]:e[i]]).decode("ascii", "replace")
            raise ParseError(f"{what} {token!r} is not a non-negative integer", source=shown,
                             line=int(line_numbers[i]))
    bad = np.flatnonzero(end <= start)
    if len(bad):
        i = int(bad[0])
        raise ParseError(f"interval {chrom[i]}:{start[i]}-{end[i]} has start >= end",
                         source=shown, line=int(line_numbers[i]))
    strand = np.full(n, ".", dtype="<U1")
    strand_col = 6 if gff else 5
    has = np.flatnonzero(counts > strand_col)
    if len(has):
        s, e = col(strand_col, has)
        one = (e - s) == 1
        letter = arr[s]
        plus, minus = one & (letter == 43), one & (letter == 45)
        strand[has[plus]] = "+"
        strand[has[minus]] = "-"
    name = np.full(n, ".", dtype=object)
    has = np.flatnonzero(counts > 3)
    if len(has) and not gff:
        name[has] = _strings(arr, *col(3, has))
    score = np.full(n, np.nan)
    has = np.flatnonzero(counts > score_cols)
    if len(has):
        vals, ok = parse_floats(arr, words, *col(score_cols, has))
        score[has[ok]] = vals[ok]
    last_s, last_e = starts[first + counts - 1], ends[first + counts - 1]
    last_vals, ok = parse_floats(arr, words, last_s, last_e)
    last = np.where(ok, last_vals.astype(np.float64), np.nan)
    # float32 parsing is the track parsers' precision; scores are re-read exactly
    # as float64 where they are not integers
    _exact(arr, col(score_cols, np.flatnonzero(counts > score_cols)), score,
           np.flatnonzero(counts > score_cols))
    _exact(arr, (last_s, last_e), last, np.arange(n))
    return Regions(chrom, start.astype(np.int64), end.astype(np.int64), strand, name, score,
                   last, line_numbers.astype(np.int64), shown)


def _exact(arr: np.ndarray, cols: tuple[np.ndarray, np.ndarray], out: np.ndarray,
           rows: np.ndarray) -> None:
    """Re-parse the non-integer finite values of *out[rows]* as float64 (few in label files)."""
    s, e = cols
    if not len(rows):
        return
    vals = out[rows]
    redo = np.flatnonzero(np.isfinite(vals) & (vals != np.round(vals)))
    mv = memoryview(arr)
    for k in redo.tolist():
        out[rows[k]] = float(bytes(mv[s[k]:e[k]]))


def _from_columns(chrom, start, end, strand, source: str, name=None, score=None) -> Regions:
    n = len(start)
    chrom = np.asarray([str(c) for c in chrom], dtype=object)
    start = np.asarray(start, dtype=np.int64).reshape(-1)
    end = np.asarray(end, dtype=np.int64).reshape(-1)
    if strand is None:
        strand = np.full(n, ".", dtype="<U1")
    else:
        strand = np.asarray([s if s in ("+", "-") else "." for s in map(str, strand)],
                            dtype="<U1")
    name = np.full(n, ".", dtype=object) if name is None else np.asarray(
        [str(x) for x in name], dtype=object)
    score = np.full(n, np.nan) if score is None else np.asarray(score, dtype=np.float64)
    regions = Regions(chrom, start, end, strand, name, score, score.copy(),
                      np.zeros(n, dtype=np.int64), source)
    bad = np.flatnonzero((start < 0) | (end <= start))
    if len(bad):
        i = int(bad[0])
        raise ParseError(f"region {i} ({chrom[i]}:{start[i]}-{end[i]}) has a negative start "
                         "or start >= end", source=source)
    return regions


def read_regions(roi, *, what: str = "roi") -> Regions:
    """Read regions from a BED/GFF file, a list of intervals or a DataFrame.

    Parameters
    ----------
    roi : path (BED, bedGraph or GFF/GTF, plain or gzip), a list of
        ``(chrom, start, end[, strand])`` tuples or of objects with ``chrom``,
        ``start``, ``end`` (and ``strand``) attributes (pybedtools ``Interval``),
        a pandas/bioframe DataFrame with ``chrom``, ``start``, ``end`` (and
        ``strand``, ``name``, ``score``) columns, or a :class:`Regions`.
    what : what the regions are, for error messages.

    Raises
    ------
    ParseError
        Malformed input, naming the file and line.
    """
    if isinstance(roi, Regions):
        return roi
    if isinstance(roi, (str, os.PathLike)):
        shown = display_name(roi)
        if not os.path.exists(roi):
            raise ParseError(f"{what} file does not exist", source=shown)
        with open_input(roi) as (reader, shown):
            data = read_all(reader)
        regions = _parse_text(data, shown)
        if not len(regions):
            raise ParseError(f"no regions in the {what} file", source=shown)
        return regions
    columns = getattr(roi, "columns", None)
    if columns is not None:  # a DataFrame
        missing = [c for c in ("chrom", "start", "end") if c not in columns]
        if missing:
            raise ParseError(f"the {what} DataFrame lacks column(s) {', '.join(missing)} "
                             "(needs chrom, start, end and optionally strand)",
                             source="<DataFrame>")
        return _from_columns(roi["chrom"].to_numpy(), roi["start"].to_numpy(),
                             roi["end"].to_numpy(),
                             roi["strand"].to_numpy() if "strand" in columns else None,
                             "<DataFrame>",
                             roi["name"].to_numpy() if "name" in columns else None,
                             roi["score"].to_numpy() if "score" in columns else None)
    try:
        items = list(roi)
    except TypeError:
        raise ParseError(f"cannot read {what} from {type(roi).__name__} (give a BED file, a "
                         "list of (chrom, start, end[, strand]) or a DataFrame)") from None
    if not items:
        raise ParseError(f"empty {what} list", source="<list>")
    if hasattr(items[0], "chrom"):
        chrom = [r.chrom for r in items]
        start = [int(r.start) for r in items]
        end = [int(r.end) for r in items]
        strand = [getattr(r, "strand", ".") or "." for r in items]
        return _from_columns(chrom, start, end, strand, "<list>")
    try:
        chrom = [r[0] for r in items]
        start = [int(r[1]) for r in items]
        end = [int(r[2]) for r in items]
        strand = [r[3] if len(r) > 3 else "." for r in items]
    except (TypeError, IndexError, ValueError):
        raise ParseError(f"{what} list items must be (chrom, start, end[, strand])",
                         source="<list>") from None
    return _from_columns(chrom, start, end, strand, "<list>")
