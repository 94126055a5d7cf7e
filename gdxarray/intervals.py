"""Interval algebra on int64 coordinate arrays: the one toolkit for runs of bases.

Owns: merging half-open intervals into runs, clipping intervals to runs,
complements, the +1/-1 coverage sweep (depth, cover masks, run labels),
run-length encoding and decoding of per-base values, and expanding ranges
into their members.  Every function is vectorised numpy (no Python loop per
interval) and works on plain ``(starts, ends)`` arrays, 0-based half-open.

May import: numpy only (it is the lowest room: parsers, the archive room,
the writer, the backend, the datasets and the CLI all use it).

Examples
--------
>>> import numpy as np
>>> merge(np.array([5, 0, 3]), np.array([8, 3, 4]))
(array([0, 5]), array([4, 8]))
>>> complement(np.array([2, 6]), np.array([4, 7]), 10)
(array([0, 4, 7]), array([ 2,  6, 10]))
>>> coverage_depth(np.array([0, 2]), np.array([4, 3]), 5)
array([1, 1, 2, 1, 0])
>>> rle_encode(np.array([1.0, 1.0, np.nan, 2.0]))
(array([0, 3]), array([2, 4]), array([1., 2.]))
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "clip",
    "complement",
    "cover_mask",
    "coverage_depth",
    "expand_ranges",
    "label_runs",
    "merge",
    "rle_decode",
    "rle_encode",
]


def _i64(a) -> np.ndarray:
    return np.asarray(a, dtype=np.int64)


def expand_ranges(lo, count) -> tuple[np.ndarray, np.ndarray]:
    """Members of the ranges ``[lo[i], lo[i] + count[i])``: (owner ``i``, member) of each.

    >>> expand_ranges(np.array([10, 20]), np.array([2, 3]))
    (array([0, 0, 1, 1, 1]), array([10, 11, 20, 21, 22]))
    """
    lo, count = _i64(lo), _i64(count)
    owner = np.repeat(np.arange(len(count)), count)
    first = np.cumsum(count) - count
    member = np.arange(int(count.sum()), dtype=np.int64) - np.repeat(first - lo, count)
    return owner, member


def merge(starts, ends, *, labels: bool = False):
    """Union of intervals as sorted disjoint runs; overlapping and touching ones join.

    Empty intervals (``end <= start``) are dropped.  With *labels*, also the
    index of the run that holds each input interval (-1 for empty ones).

    Returns ``(run_starts, run_ends)`` (int64), plus the labels when asked.
    """
    starts, ends = _i64(starts), _i64(ends)
    keep = ends > starts
    all_kept = bool(keep.all())
    s, e = (starts, ends) if all_kept else (starts[keep], ends[keep])
    order = None
    if len(s) > 1 and not bool((s[1:] >= s[:-1]).all()):
        order = np.argsort(s, kind="stable")
        s, e = s[order], e[order]
    if not len(s):
        runs = (s.copy(), e.copy())
        return runs + (np.full(len(starts), -1, np.int64),) if labels else runs
    new = np.empty(len(s), dtype=bool)
    new[0] = True
    if bool((s[1:] >= e[:-1]).all()):
        # already disjoint (the loaders' common case): only touching neighbours join
        np.not_equal(s[1:], e[:-1], out=new[1:])
        tail = np.empty(len(s), dtype=bool)
        tail[:-1] = new[1:]
        tail[-1] = True
        runs = (s[new], e[tail])
    else:
        reach = np.maximum.accumulate(e)
        np.greater(s[1:], reach[:-1], out=new[1:])
        heads = np.flatnonzero(new)
        runs = (s[heads], np.maximum.reduceat(e, heads))
    if not labels:
        return runs
    run_sorted = np.cumsum(new) - 1
    run_kept = np.empty(len(s), np.int64)
    if order is None:
        run_kept[:] = run_sorted
    else:
        run_kept[order] = run_sorted
    run_of = np.full(len(starts), -1, np.int64)
    run_of[keep] = run_kept
    return runs + (run_of,)


def clip(starts, ends, run_starts, run_ends) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pieces of intervals inside sorted disjoint runs: (owner index, start, end).

    What ``bedtools intersect -a intervals -b runs`` keeps, one piece per
    (interval, run) overlap, in interval order then run order.
    """
    starts, ends = _i64(starts), _i64(ends)
    run_starts, run_ends = _i64(run_starts), _i64(run_ends)
    lo = np.searchsorted(run_ends, starts, side="right")
    hi = np.searchsorted(run_starts, ends, side="left")
    owner, run = expand_ranges(lo, np.maximum(hi - lo, 0))
    return (owner, np.maximum(starts[owner], run_starts[run]),
            np.minimum(ends[owner], run_ends[run]))


def complement(starts, ends, length: int) -> tuple[np.ndarray, np.ndarray]:
    """The runs of ``[0, length)`` that no interval covers (intervals may be in any order)."""
    s, e = merge(starts, ends)
    s, e = np.clip(s, 0, length), np.clip(e, 0, length)
    out_starts = np.concatenate(([0], e))
    out_ends = np.concatenate((s, [length])).astype(np.int64)
    keep = out_ends > out_starts
    return out_starts[keep], out_ends[keep]


def coverage_depth(starts, ends, length: int, weights=None) -> np.ndarray:
    """Per-base depth over ``[0, length)``: how many intervals (or how much weight) cover each base.

    The +1/-1 sweep: +1 (the weight) at each start, -1 at each end, a running
    sum.  Intervals are clipped to ``[0, length)``; empty ones cover nothing.  int64 counts, or float64
    sums of *weights*, added in input order (as ``np.add.at`` would).
    """
    length = int(length)
    s = np.clip(_i64(starts), 0, length)
    e = np.maximum(np.clip(_i64(ends), 0, length), s)  # reversed intervals cover nothing
    if weights is None:
        step = np.bincount(s, minlength=length + 1) - np.bincount(e, minlength=length + 1)
    else:
        w = np.asarray(weights, dtype=np.float64)
        w = np.broadcast_to(w, s.shape)
        step = np.bincount(np.concatenate((s, e)), weights=np.concatenate((w, -w)),
                           minlength=length + 1).astype(np.float64, copy=False)
    return np.cumsum(step[:length])


def cover_mask(starts, ends, length: int) -> np.ndarray:
    """Boolean per-base mask over ``[0, length)``: True where any interval covers the base."""
    return coverage_depth(starts, ends, length) > 0


def label_runs(starts, ends, length: int) -> np.ndarray:
    """Per-base labels over ``[0, length)`` of *disjoint* non-empty intervals.

    Base ``x`` gets ``i + 1`` when interval ``i`` covers it, 0 elsewhere (one
    assignment and one cumulative sum; int32 while the labels fit).
    """
    starts, ends = _i64(starts), _i64(ends)
    dtype = np.int32 if len(starts) < 2**31 - 1 else np.int64
    marks = np.zeros(int(length) + 1, dtype=dtype)
    ids = np.arange(1, len(starts) + 1, dtype=dtype)
    # starts are unique (disjoint, non-empty); an end may meet the next start
    marks[starts] = ids
    marks[ends] -= ids
    return np.cumsum(marks[:-1], dtype=dtype)


def rle_encode(values, *, keep_nan: bool = False
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of equal values: ``(starts, ends, run_values)``, indices into *values*.

    NaNs form runs of their own (NaN equals NaN here); they are dropped unless
    *keep_nan*.
    """
    values = np.asarray(values)
    n = values.size
    if n == 0:
        empty = np.array([], np.int64)
        return empty, empty.copy(), values[:0]
    change = np.ones(n, bool)
    if values.dtype.kind in "fc":
        valid = ~np.isnan(values)
        change[1:] = (values[1:] != values[:-1]) | (valid[1:] != valid[:-1])
        change[1:] &= valid[1:] | valid[:-1]  # NaN after NaN continues the run
    else:
        valid = None
        change[1:] = values[1:] != values[:-1]
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], n)
    if valid is not None and not keep_nan:
        keep = valid[starts]
        starts, ends = starts[keep], ends[keep]
    return starts, ends, values[starts]


def rle_decode(starts, ends, values, length: int, fill=np.nan, dtype=None) -> np.ndarray:
    """Per-base array of length *length*: ``values[i]`` over ``[starts[i], ends[i])``, else *fill*.

    The runs must not overlap.  The inverse of :func:`rle_encode`.
    """
    values = np.asarray(values)
    out = np.full(int(length), fill, dtype=dtype if dtype is not None else
                  np.result_type(values.dtype, np.asarray(fill).dtype))
    starts, ends = _i64(starts), _i64(ends)
    lengths = np.maximum(ends - starts, 0)
    _, index = expand_ranges(starts, lengths)
    out[index] = np.repeat(values, lengths)
    return out
