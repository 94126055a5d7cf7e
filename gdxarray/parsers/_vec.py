"""Vectorised parsing of whitespace-separated text fields held in one bytes block.

The block layout is the one :func:`gdxarray.parsers._io.iter_blocks` makes:
``BLOCK_PAD`` (16) newline bytes, then whole lines, each ending in ``\\n``.  The
padding lets every field be read as an unaligned little-endian ``uint64``
ending at any offset, which is how numbers are parsed: eight ASCII digits
per word with the SWAR method (validate the bytes, subtract ``'0'``, then
three multiply/shift/mask rounds), so that the work is a few dozen numpy
operations per *field array*, not per byte or per line.

Measured on the development machine (2 cores): field splitting runs at
several hundred MB/s; ``np.flatnonzero`` costs ~9 ns per hit when its
input fits in cache and ~40 ns when it does not, hence callers feed about
1 MB at a time.
"""

from __future__ import annotations

import re

import numpy as np

from .._kernels import PARSE_FLOATS
from .._native import address

__all__ = [
    "Fields",
    "block_arrays",
    "masked_word",
    "parse_floats",
    "parse_uints",
]

_ASCII_ZEROS = np.uint64(0x3030303030303030)
_HIGH_NIBBLES = np.uint64(0xF0F0F0F0F0F0F0F0)
_SIXES = np.uint64(0x0606060606060606)
_MASK_8_0 = np.uint64(0x000000FF000000FF)
_MUL1 = np.uint64(0x000F424000000064)  # 100 + (1_000_000 << 32)
_MUL2 = np.uint64(0x0000271000000001)  # 1 + (10_000 << 32)
_U8, _U16, _U32 = np.uint64(8), np.uint64(16), np.uint64(32)
_TEN = np.uint64(10)
# _LOW[k]: the low (8 - k) bytes of a word, i.e. the bytes in front of a
# k-digit run that ends at the end of the word (little-endian).
_LOW = np.array([(1 << (8 * (8 - k))) - 1 if k else (1 << 64) - 1 for k in range(9)],
                dtype=np.uint64)
_POW10_U64 = np.array([10**k for k in range(20)], dtype=np.uint64)
#: 10**k as float64 for k in 0..399 (inf beyond 1e308).
with np.errstate(over="ignore"):
    _POW10_F64 = 10.0 ** np.arange(400, dtype=np.float64)
_MAX_FIELD = 40
_ONE = np.uint64(1)
_DOTS = np.uint64(0x2E2E2E2E2E2E2E2E)
_LOW7 = np.uint64(0x7F7F7F7F7F7F7F7F)
_HIGH_BITS = np.uint64(0x8080808080808080)
# _KEEP_HIGH[k]: the high bit of each of the top k bytes (the bytes of a k-byte
# field that ends at the end of the word).
_KEEP_HIGH = (~_LOW) & _HIGH_BITS
# indexed by the byte index j of a decimal point (8: none)
_BELOW = np.array([(1 << (8 * j)) - 1 for j in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
_ABOVE = np.array([((1 << 64) - 1) ^ ((1 << (8 * (j + 1))) - 1) for j in range(8)] + [0],
                  dtype=np.uint64)
_DOT_SHIFT = np.array([8] * 8 + [0], dtype=np.uint64)
# 10**(digits after the point), negated in the second half: the divisor that
# turns the digits of a short field into its value, sign included.
_SHORT_DIVISOR = np.array([10.0 ** (7 - j) for j in range(8)] + [1.0], dtype=np.float64)
_SHORT_DIVISOR = np.concatenate((_SHORT_DIVISOR, -_SHORT_DIVISOR))
#: Below this many leftover fields, parse them one by one rather than vectorised.
_FEW = 64


def block_arrays(block: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 view, unaligned little-endian uint64 view at every byte offset)."""
    arr = np.frombuffer(block, dtype=np.uint8)
    words = np.ndarray((max(len(block) - 7, 0),), dtype="<u8", buffer=block, strides=(1,))
    return arr, words


class Fields:
    """Fields of the lines in ``block[a:b]`` (*a* at a line start, *b* after a ``\\n``).

    Attributes
    ----------
    starts, ends : int64 absolute offsets of each field (``[start, end)``)
    newlines : int64 absolute offsets of the ``\\n`` ending each line in the run
    """

    __slots__ = ("starts", "ends", "newlines", "_field_lines")

    def __init__(self, arr: np.ndarray, a: int, b: int):
        ws = arr[a - 1:b] <= 32  # space, tab, CR, LF (other controls count too)
        edges = np.flatnonzero(ws[1:] != ws[:-1])
        edges += a
        self.starts = edges[0::2]
        self.ends = edges[1::2]
        self.newlines = np.flatnonzero(arr[a:b] == 10)
        self.newlines += a
        self._field_lines: np.ndarray | None = None

    @property
    def field_lines(self) -> np.ndarray:
        """0-based line index (within the run) of every field."""
        if self._field_lines is None:
            self._field_lines = np.searchsorted(self.newlines, self.starts)
        return self._field_lines

    def rows(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int | None]:
        """Fields as ``(n, k)`` start/end matrices, one row per non-blank line.

        Returns ``(starts, ends, line_index, bad)``: *bad* is None when every
        non-blank line has exactly *k* fields; otherwise it is the index (into
        the per-line arrays of :meth:`line_counts`) of the first line that
        does not, and the matrices hold only the lines before it.
        """
        starts, ends = self.starts, self.ends
        nf = len(starts)
        newlines = self.newlines
        if nf == k * len(newlines):
            # No blank lines: line i must hold fields k*i .. k*i+k-1, i.e. its
            # last field starts before its newline and the next line's first
            # field after it (two comparisons instead of a binary search).
            if bool(np.all(starts[k - 1::k] < newlines)) and \
                    bool(np.all(starts[k::k] > newlines[:-1])):
                return (starts.reshape(-1, k), ends.reshape(-1, k),
                        np.arange(len(newlines)), None)
        if nf % k == 0:
            first = np.searchsorted(self.newlines, starts[0::k])
            last = first if k == 1 else np.searchsorted(self.newlines, starts[k - 1::k])
            if np.array_equal(first, last) and bool(np.all(first[1:] > last[:-1])):
                return starts.reshape(-1, k), ends.reshape(-1, k), first, None
        first_field, counts = self.line_counts()
        bad = int(np.flatnonzero(counts != k)[0])
        n_ok = bad * k
        return (starts[:n_ok].reshape(-1, k), ends[:n_ok].reshape(-1, k),
                self.field_lines[first_field[:bad]], bad)

    def line_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """(index of the first field of each non-blank line, number of fields)."""
        lines = self.field_lines
        if len(lines) == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        first = np.flatnonzero(np.diff(lines, prepend=-1))
        counts = np.diff(first, append=len(lines))
        return first, counts


def masked_word(words: np.ndarray, ends: np.ndarray, lengths: np.ndarray, k: int
                ) -> np.ndarray:
    """The 8 bytes ending *k* bytes before each field's end, bytes outside the field zeroed.

    Comparing these words for k = 0, 8, 16, ... compares whole fields.
    """
    remaining = np.clip(lengths - k, 0, 8)
    # rows shorter than k read a (fully masked) word; keep its index in range
    return words[np.maximum(ends - (k + 8), 0)] & ~_LOW.take(remaining)


def _digits_word(words: np.ndarray, end: np.ndarray, length: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Value of the (up to 8) ASCII digits ``[end-length, end)``, and validity."""
    w = words[end - 8]
    low = _LOW[length]
    w &= ~low
    w |= _ASCII_ZEROS & low
    ok = (w & _HIGH_NIBBLES) == _ASCII_ZEROS
    ok &= ((w + _SIXES) & _HIGH_NIBBLES) == _ASCII_ZEROS
    w -= _ASCII_ZEROS
    w = w * _TEN + (w >> _U8)
    w = ((w & _MASK_8_0) * _MUL1 + ((w >> _U16) & _MASK_8_0) * _MUL2) >> _U32
    return w, ok


def _digits(words: np.ndarray, end: np.ndarray, length: np.ndarray, need_high: bool
            ) -> tuple[np.ndarray, np.ndarray]:
    """Value and validity of up to 16 ASCII digits ``[end-length, end)``.

    Lengths above 16 are reported invalid (callers fall back to slow parsing).
    """
    if not need_high:
        return _digits_word(words, end, length)
    lo_len = np.minimum(length, 8)
    hi_len = np.clip(length - 8, 0, 8)
    lo, ok = _digits_word(words, end, lo_len)
    hi, ok_hi = _digits_word(words, end - 8, hi_len)
    ok &= ok_hi
    ok &= length <= 16
    return hi * _POW10_U64[8] + lo, ok


def parse_uints(arr: np.ndarray, words: np.ndarray, starts: np.ndarray, ends: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Parse unsigned decimal integers (digits only, at most 16 of them).

    Returns ``(values int64, ok bool)``; values are meaningless where not ok.
    """
    length = ends - starts
    if len(length) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    need_high = bool(length.max() > 8)
    values, ok = _digits(words, ends, np.minimum(length, 16), need_high)
    if need_high:
        ok &= length <= 16
    return values.view(np.int64), ok


# strtof(3) accepts these (case-insensitively); hexadecimal floats are not supported.
_FLOAT_RE = re.compile(
    rb"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|inf(?:inity)?|nan)", re.IGNORECASE)


def _slow_float(token: bytes) -> float | None:
    if _FLOAT_RE.fullmatch(token) is None:
        return None
    return float(token)


def _positions_in(hits: np.ndarray, starts: np.ndarray, ends: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Assign sorted byte offsets *hits* to the fields containing them.

    Returns (field index of each hit inside a field, the hit offsets).
    """
    idx = np.searchsorted(starts, hits, side="right") - 1
    inside = idx >= 0
    inside[inside] &= hits[inside] < ends[idx[inside]]
    return idx[inside], hits[inside]


def _short_floats(words: np.ndarray, ends: np.ndarray, length: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Fast path: ``[+-]digits[.digits]`` fields of at most 8 bytes, from one word each.

    The field is the top *length* bytes of the word ending at its end; the
    decimal point is found with an exact per-byte zero test of ``word ^
    '........'``, squeezed out by shifting the bytes below it up by one, and
    the remaining digits are converted with SWAR.  Returns ``(values, ok)``;
    rows that are not ok (exponents, nan/inf, junk) need the general path.
    """
    # (np.take with small integer indices is ~2x faster than fancy indexing)
    w = words[ends - 8]
    x = w ^ _DOTS
    z = ~(((x & _LOW7) + _LOW7) | x | _LOW7) & _KEEP_HIGH.take(length)
    ok = np.bitwise_count(z) <= 1
    lowbit = z & (~z + _ONE)
    j = np.bitwise_count(lowbit - _ONE) >> 3  # byte index of the point, 8 if none
    w = (w & _ABOVE.take(j)) | ((w & _BELOW.take(j)) << _DOT_SHIFT.take(j))
    has_dot = j < 8
    sign_byte = (w >> ((_U8 * (_U8 - length.astype(np.uint64) + has_dot))
                       & np.uint64(63))) & np.uint64(0xFF)
    neg = sign_byte == 45
    has_sign = neg | (sign_byte == 43)
    n_digits = length - has_sign - has_dot
    ok &= n_digits >= 1
    low = _LOW.take(np.clip(n_digits, 0, 8))
    w &= ~low
    w |= _ASCII_ZEROS & low
    ok &= (w & _HIGH_NIBBLES) == _ASCII_ZEROS
    ok &= ((w + _SIXES) & _HIGH_NIBBLES) == _ASCII_ZEROS
    w -= _ASCII_ZEROS
    w = w * _TEN + (w >> _U8)
    w = ((w & _MASK_8_0) * _MUL1 + ((w >> _U16) & _MASK_8_0) * _MUL2) >> _U32
    values = w.astype(np.float64)
    values /= _SHORT_DIVISOR.take(j + np.uint8(9) * neg)
    return values.astype(np.float32), ok


def parse_floats(arr: np.ndarray, words: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                 region: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Parse decimal floats as C ``strtof`` would, vectorised.

    Accepts ``[+-]digits[.digits][e[+-]digits]`` (either side of the point may
    be empty, not both), ``nan``, ``inf`` and ``infinity`` in any case.  The
    common forms are parsed with integer SWAR arithmetic (correctly rounded
    to float64 for up to 15 significant digits, then rounded to float32);
    the rest go through Python's ``float`` one by one.

    Parameters
    ----------
    region : ``(a, b)`` byte range holding all the fields (to search it for
        ``.`` and ``e``); default: from the first start to the last end.

    Returns
    -------
    (values float32, ok bool)
    """
    n = len(starts)
    if n == 0:
        return np.empty(0, dtype=np.float32), np.zeros(0, dtype=bool)
    if PARSE_FLOATS is not None and arr.flags.c_contiguous:
        # the C parser: one pass per field for the common forms (about 8x the SWAR path)
        values = np.empty(n, dtype=np.float32)
        done = np.empty(n, dtype=np.uint8)
        s = np.ascontiguousarray(starts, dtype=np.int64)
        e = np.ascontiguousarray(ends, dtype=np.int64)
        PARSE_FLOATS(address(arr), address(s), address(e), n, address(values), address(done))
        ok = done.view(bool)
        rest = np.flatnonzero(done == 0)
        if len(rest) == 0:
            return values, ok
        if len(rest) < _FEW:
            _slow_floats(arr, starts, ends, rest, values, ok)
        else:
            values[rest], ok[rest] = _general_floats(arr, words, starts[rest], ends[rest], None)
        return values, ok
    length = ends - starts
    short = length <= 8
    if short.all():
        values, ok = _short_floats(words, ends, length)
        rest = np.flatnonzero(~ok)
    else:
        values = np.empty(n, dtype=np.float32)
        ok = np.zeros(n, dtype=bool)
        idx = np.flatnonzero(short)
        if len(idx):
            values[idx], ok[idx] = _short_floats(words, ends[idx], length[idx])
            rest = np.flatnonzero(~ok)
        else:
            rest = np.arange(n)
    if len(rest) == 0:
        return values, ok
    if len(rest) < _FEW:
        _slow_floats(arr, starts, ends, rest, values, ok)
    elif len(rest) == n:
        values, ok = _general_floats(arr, words, starts, ends, region)
    else:
        values[rest], ok[rest] = _general_floats(arr, words, starts[rest], ends[rest], None)
    return values, ok


def _slow_floats(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray, rows: np.ndarray,
                 values: np.ndarray, ok: np.ndarray) -> None:
    """Parse fields *rows* one by one with Python (nan, inf, long or odd forms)."""
    cache: dict[bytes, float | None] = {}
    mv = memoryview(arr)
    for i in rows.tolist():
        token = bytes(mv[starts[i]:ends[i]])
        if token not in cache:
            cache[token] = _slow_float(token)
        v = cache[token]
        if v is not None:
            with np.errstate(over="ignore"):
                values[i] = np.float32(v)
            ok[i] = True
        else:
            ok[i] = False


def _general_floats(arr: np.ndarray, words: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                    region: tuple[int, int] | None) -> tuple[np.ndarray, np.ndarray]:
    """General vectorised path: any length, exponents; what it cannot parse goes
    through :func:`_slow_floats`.  Decimal point and exponent marker are found
    with ``flatnonzero`` over *region* and assigned to fields by ``searchsorted``.
    """
    n = len(starts)
    values = np.empty(n, dtype=np.float32)
    if n == 0:
        return values, np.zeros(0, dtype=bool)
    if region is None:
        region = (int(starts[0]), int(ends[-1]))
    a, b = region
    sub = arr[a:b]

    neg = arr[starts] == 45
    has_sign = neg | (arr[starts] == 43)
    mant_start = starts + has_sign
    ok = np.ones(n, dtype=bool)

    # Exponent marker and decimal point of each field (at most one of each).
    exp_at = ends.copy()
    e_hits = np.flatnonzero((sub | 32) == 101)
    has_exp = False
    if len(e_hits):
        e_hits += a
        fidx, pos = _positions_in(e_hits, starts, ends)
        if len(fidx):
            has_exp = True
            dup = fidx[1:][fidx[1:] == fidx[:-1]]
            exp_at[fidx] = pos
            ok[dup] = False
    dot_at = np.full(n, -1, dtype=np.int64)
    d_hits = np.flatnonzero(sub == 46)
    if len(d_hits):
        d_hits += a
        fidx, pos = _positions_in(d_hits, starts, ends)
        dup = fidx[1:][fidx[1:] == fidx[:-1]]
        dot_at[fidx] = pos
        ok[dup] = False
    has_dot = dot_at >= 0
    int_end = np.where(has_dot, dot_at, exp_at)
    int_len = int_end - mant_start
    frac_len = np.where(has_dot, exp_at - dot_at - 1, 0)
    ok &= int_len >= 0  # a point after the exponent marker
    ok &= frac_len >= 0
    ok &= (int_len + frac_len) >= 1
    ok &= (ends - starts) <= _MAX_FIELD
    ok &= (int_len <= 16) & (frac_len <= 16)
    int_len = np.clip(int_len, 0, 16)
    frac_len = np.clip(frac_len, 0, 16)
    ok &= int_len + frac_len <= 18

    need_high = bool(int_len.max() > 8)
    ival, ok_i = _digits(words, int_end, int_len, need_high)
    ok &= ok_i
    if has_dot.any():
        need_high = bool(frac_len.max() > 8)
        fval, ok_f = _digits(words, exp_at, frac_len, need_high)
        ok &= ok_f
        mant = ival * _POW10_U64[frac_len] + fval
    else:
        mant = ival
    scale = -frac_len
    if has_exp:
        with_exp = exp_at < ends
        e_pos = np.where(with_exp, exp_at + 1, ends)
        e_sign = arr[np.minimum(e_pos, len(arr) - 1)]
        e_neg = with_exp & (e_sign == 45)
        e_signed = with_exp & (e_neg | (e_sign == 43))
        e_len = ends - e_pos - e_signed
        ok &= ~with_exp | ((e_len >= 1) & (e_len <= 8))
        e_len = np.clip(e_len, 0, 8)
        eval_, ok_e = _digits_word(words, ends, e_len)
        ok &= ok_e
        expo = eval_.view(np.int64)
        scale = scale + np.where(e_neg, -expo, expo)
    scale = np.clip(scale, -399, 399)
    fmant = mant.astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        result = np.where(scale >= 0, fmant * _POW10_F64[np.maximum(scale, 0)],
                          fmant / _POW10_F64[np.maximum(-scale, 0)])
        result[fmant == 0] = 0.0
        np.negative(result, out=result, where=neg)
        values[:] = result
    bad = np.flatnonzero(~ok)
    if len(bad):
        _slow_floats(arr, starts, ends, bad, values, ok)
    return values, ok
