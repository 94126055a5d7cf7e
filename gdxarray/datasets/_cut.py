"""Cutting windows out of per-base signal, and collapsing them to ``resolution``.

Owns the one code path every Cover uses, at build time (over a whole ROI) and
at read time (one batch from an archive): merge the windows of a chromosome
into runs, read each run once, and cut all windows of a run with a strided
view (no read, no Python call per window).  Windows are laid out as Janggu
lays them: ``binsize + 2 * flank`` bases from ``start - flank`` in genome
orientation, bases outside the window's own interval (its flank off the
chromosome, the rest of a short last window) being padding (0).  Strand
flipping happens later, on the stacked result.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import GenomedataError

__all__ = ["Collapser", "Windows", "cut_windows", "get_collapser", "merge_runs"]

_BUILTIN = {"mean": np.mean, "sum": np.sum, "max": np.max}
#: Windows cut per step in the general (copying) path: bounds its memory.
_CHUNK_BASES = 1 << 23


class Collapser:
    """A named or callable reduction over axis 1 of ``(bins, resolution, strand)``."""

    def __init__(self, method) -> None:
        if isinstance(method, Collapser):
            method = method.method
        if method is None:
            method = "mean"
        if not callable(method) and method not in _BUILTIN:
            raise GenomedataError(f"unknown collapser {method!r} (use 'mean', 'sum', 'max' or "
                                  "a function reducing axis 1)")
        self.method = method

    @property
    def name(self) -> str:
        m = self.method
        return m if isinstance(m, str) else getattr(m, "__qualname__", repr(m))

    @property
    def builtin(self) -> bool:
        return isinstance(self.method, str)

    def reduce(self, x: np.ndarray, strands: int) -> np.ndarray:
        """Reduce axis 1 of ``(k, r, ncols)``; callables see one condition at a time."""
        if self.builtin:
            return _BUILTIN[self.method](x, axis=1)
        ncols = x.shape[2]
        out = [np.asarray(self.method(x[:, :, c:c + strands]))
               for c in range(0, ncols, strands)]
        out = [o.reshape(x.shape[0], -1) for o in out]
        return np.concatenate(out, axis=1) if len(out) > 1 else out[0]


def get_collapser(method) -> Collapser:
    return Collapser(method)


def merge_runs(lo: np.ndarray, hi: np.ndarray, gap: int = 0
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge intervals closer than *gap*: (run starts, run ends, run of each interval)."""
    order = np.argsort(lo, kind="stable")
    slo, shi = lo[order], hi[order]
    reach = np.maximum.accumulate(shi)
    new = np.ones(len(slo), bool)
    new[1:] = slo[1:] > reach[:-1] + gap
    run_id_sorted = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    run_lo = slo[first]
    run_hi = np.maximum.reduceat(shi, first) if len(first) else shi[:0]
    run_hi = np.maximum.accumulate(run_hi) if len(run_hi) else run_hi
    run_of = np.empty(len(lo), np.int64)
    run_of[order] = run_id_sorted
    return run_lo, run_hi, run_of


class Windows:
    """Geometry of windows on one chromosome (genome orientation).

    ``full`` starts at ``start - flank`` (may be negative) and is ``length``
    bases long; ``lo``/``hi`` bound the bases that are signal (the rest pads).
    """

    __slots__ = ("full", "lo", "hi", "length")

    def __init__(self, full: np.ndarray, lo: np.ndarray, hi: np.ndarray, length) -> None:
        self.full, self.lo, self.hi = full, lo, hi
        self.length = length  # int, or an array (resolution=None: one value per window)


def _gather(buf: np.ndarray, offsets: np.ndarray, length: int) -> np.ndarray:
    """``buf[o:o+length]`` for every offset: (n, length, ncols), one fancy index."""
    view = np.lib.stride_tricks.sliding_window_view(buf, length, axis=0)
    return view[offsets].transpose(0, 2, 1)


def cut_windows(read: Callable[[int, int], np.ndarray], win: Windows, ncols: int, *,
                resolution: int | None, collapser: Collapser, strands: int,
                dtype=np.float32, gap: int | None = None, pad_value: float = 0.0
                ) -> np.ndarray:
    """Signal of every window: ``(n, bins, ncols)`` (``bins = 1`` for resolution None).

    *read(lo, hi)* returns the ``(hi - lo, ncols)`` per-base values of a run
    (it is called once per merged run).  ``resolution`` > 1 collapses bins
    of that many bases; built-in collapsers reduce each run once per phase
    and then pick the bins of whole windows, the general path copies windows.
    """
    n = len(win.full)
    fixed = not isinstance(win.length, np.ndarray)
    if resolution is None:
        out = np.zeros((n, 1, ncols), dtype=dtype)
    else:
        bins = -(-int(win.length) // resolution)
        out = np.full((n, bins, ncols), pad_value, dtype=dtype)
    if n == 0:
        return out
    has = win.hi > win.lo
    if not has.any():
        return out
    idx_has = np.flatnonzero(has)
    lo, hi = win.lo[idx_has], win.hi[idx_has]
    if gap is None:
        gap = int(win.length) if fixed else 0
    run_lo, run_hi, run_of = merge_runs(lo, hi, gap)
    order = np.argsort(run_of, kind="stable")
    bounds = np.searchsorted(run_of[order], np.arange(len(run_lo) + 1))
    for r in range(len(run_lo)):
        rows = idx_has[order[bounds[r]:bounds[r + 1]]]
        a, b = int(run_lo[r]), int(run_hi[r])
        values = np.asarray(read(a, b))
        if values.ndim == 1:
            values = values[:, None]
        if resolution is None:
            out[rows] = _collapse_whole(values, a, win, rows, collapser, strands, dtype)
        else:
            out[rows] = _cut_run(values, a, win, rows, resolution, collapser, strands,
                                 pad_value, dtype)
    return out


def _cut_run(values: np.ndarray, a: int, win: Windows, rows: np.ndarray, resolution: int,
             collapser: Collapser, strands: int, pad_value: float, dtype) -> np.ndarray:
    length = int(win.length)
    bins = -(-length // resolution)
    padded = bins * resolution
    ncols = values.shape[1]
    full = win.full[rows]
    lo, hi = win.lo[rows], win.hi[rows]
    result = np.empty((len(rows), bins, ncols), dtype=dtype)
    whole = (lo == full) & (hi == full + padded)
    if resolution == 1 or not collapser.builtin:
        whole_fast = whole if resolution == 1 else np.zeros(len(rows), bool)
    else:
        whole_fast = whole
    # fast path: windows that are signal end to end
    fast = np.flatnonzero(whole_fast)
    if len(fast):
        rel = full[fast] - a
        if resolution == 1:
            for c0 in range(0, len(fast), max(1, _CHUNK_BASES // max(padded * ncols, 1))):
                sel = fast[c0:c0 + max(1, _CHUNK_BASES // max(padded * ncols, 1))]
                result[sel] = _gather(values, full[sel] - a, padded)
        else:
            phase = rel % resolution
            for p in np.unique(phase).tolist():
                sel = fast[phase == p]
                m = (len(values) - p) // resolution
                binned = collapser.reduce(
                    values[p:p + m * resolution].reshape(m, resolution, ncols), strands)
                first = (full[sel] - a - p) // resolution
                result[sel] = binned[first[:, None] + np.arange(bins)]
    slow = np.flatnonzero(~whole_fast)
    if len(slow):
        # pad the run so every window lies inside the buffer, then mask what is
        # outside each window's own signal interval
        left = max(0, int(a - full[slow].min()))
        right = max(0, int((full[slow] + padded).max() - (a + len(values))))
        buf = np.full((left + len(values) + right, ncols), pad_value, dtype=values.dtype)
        buf[left:left + len(values)] = values
        step = max(1, _CHUNK_BASES // max(padded * ncols, 1))
        pos = np.arange(padded)
        for c0 in range(0, len(slow), step):
            sel = slow[c0:c0 + step]
            x = _gather(buf, full[sel] - a + left, padded).astype(dtype, copy=True)
            g = full[sel][:, None] + pos
            outside = (g < lo[sel][:, None]) | (g >= hi[sel][:, None])
            x[outside] = pad_value
            if resolution == 1:
                result[sel] = x
            else:
                k = len(sel)
                red = collapser.reduce(x.reshape(k * bins, resolution, ncols), strands)
                result[sel] = red.reshape(k, bins, ncols)
    return result


def _collapse_whole(values: np.ndarray, a: int, win: Windows, rows: np.ndarray,
                    collapser: Collapser, strands: int, dtype) -> np.ndarray:
    """resolution=None: one value per window over ``[lo, full_end)`` (Janggu's interval)."""
    lo = win.lo[rows]
    end = win.full[rows] + np.asarray(win.length)[rows]
    ncols = values.shape[1]
    length = end - lo
    if collapser.builtin and collapser.method in ("sum", "mean"):
        csum = np.zeros((len(values) + 1, ncols), np.float64)
        np.cumsum(values, axis=0, out=csum[1:])
        i0 = lo - a
        i1 = np.minimum(end, win.hi[rows]) - a
        total = csum[i1] - csum[i0]
        if collapser.method == "mean":
            total = total / length[:, None]
        return total[:, None, :].astype(dtype)
    out = np.empty((len(rows), 1, ncols), dtype=dtype)
    right = max(0, int(end.max() - (a + len(values))))
    buf = np.zeros((len(values) + right, ncols), dtype=values.dtype)
    buf[:len(values)] = values
    for L in np.unique(length).tolist():
        sel = np.flatnonzero(length == L)
        x = _gather(buf, lo[sel] - a, int(L)).astype(dtype, copy=True)
        g = lo[sel][:, None] + np.arange(int(L))
        x[g >= win.hi[rows][sel][:, None]] = 0
        out[sel, 0] = collapser.reduce(x, strands)
    return out
