"""Statistics of a track gathered while it is written, so close-data need not reread it.

close-data reads every stored chunk back (inflate + a pass per track) to compute
``mins``/``maxs``/``sums``/``sums_squares``/``num_datapoints`` and, from where
any track is present, Segway's ``chunk_starts``/``chunk_ends``.  A writer that
holds the values in memory anyway can gather the same numbers on the way out:
:class:`TrackStats` accumulates them per chromosome (float64 sums, finite values
only, exactly as close-data does) together with the runs of finite rows per
supercontig.  :func:`gdxarray.writer.close_archive` takes them as ``known=`` and
scans only the other tracks.

The numbers are only the track's statistics when the writes were the whole
story: the track held nothing on that chromosome before, and no piece overlapped
an earlier one.  The writer checks both and records nothing otherwise (see
``WriteArraysSummary.stats``).
"""

from __future__ import annotations

import threading

import numpy as np

from .. import _kernels
from ..intervals import merge

#: Values converted to float64 at a time (a 2 MiB buffer per thread, in cache).
_BLOCK = 1 << 18
_LOCAL = threading.local()


def _scratch() -> np.ndarray:
    buf = getattr(_LOCAL, "buf", None)
    if buf is None:
        buf = _LOCAL.buf = np.empty(_BLOCK, dtype=np.float64)
    return buf


class TrackStats:
    """close-data's statistics of one track on one chromosome, and where it is present."""

    __slots__ = ("min", "max", "sum", "sum_squares", "count", "runs", "zoom", "sc_starts")

    def __init__(self, nsupercontigs: int, zoom=None, sc_starts=None) -> None:
        self.min = np.inf
        self.max = -np.inf
        self.sum = 0.0
        self.sum_squares = 0.0
        self.count = 0
        #: per supercontig, lists of (starts, ends) arrays of finite rows (supercontig-relative)
        self.runs: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in range(nsupercontigs)]
        #: a one-track :class:`~gdxarray.writer.zoom.ZoomBuilder` (None: the
        #: chromosome gets no zoom levels) filled from the same values, so
        #: close-data's zoom cells need no reread either; *sc_starts* place
        #: supercontig rows on the chromosome
        self.zoom = zoom
        self.sc_starts = sc_starts

    def add(self, sc: int, rel_start: int, values: np.ndarray) -> None:
        """Account for *values* stored at rows ``rel_start...`` of supercontig *sc*."""
        if not len(values):
            return
        if self.zoom is not None:
            self.zoom.add(0, int(self.sc_starts[sc]) + rel_start, values)
        if _kernels.KERNEL is not None:
            # one pass in C gives the five numbers; the finite mask only when some are not
            count, total, squares, low, high = _kernels.reduce_array(
                np.ascontiguousarray(values, dtype=np.float32)).tolist()
            count = int(count)
            if count == len(values):
                self.runs[sc].append((np.array([rel_start], np.int64),
                                      np.array([rel_start + len(values)], np.int64)))
            elif count:
                self._runs(sc, rel_start, np.isfinite(values))
            if count:
                self._account(count, total, squares, low, high)
            return
        finite = np.isfinite(values)
        if bool(finite.all()):  # the common case: no compaction, one run
            kept = values
            self.runs[sc].append((np.array([rel_start], np.int64),
                                  np.array([rel_start + len(values)], np.int64)))
        else:
            kept = values[finite]
            if not len(kept):
                return
            self._runs(sc, rel_start, finite)
        # float64 sums through a small reused buffer: no array as long as the data
        # (its page faults) and no BLAS dot (5x slower here than two passes in cache)
        scratch = _scratch()
        total = squares = 0.0
        for i in range(0, len(kept), _BLOCK):
            part = scratch[:min(_BLOCK, len(kept) - i)]
            part[:] = kept[i:i + _BLOCK]
            total += float(part.sum())
            np.multiply(part, part, out=part)
            squares += float(part.sum())
        self._account(len(kept), total, squares, float(kept.min()), float(kept.max()))

    def _runs(self, sc: int, rel_start: int, finite: np.ndarray) -> None:
        edges = np.flatnonzero(finite[1:] != finite[:-1]) + 1
        bounds = np.concatenate(([0], edges, [len(finite)]))
        first = 0 if finite[0] else 1
        self.runs[sc].append((bounds[first:-1:2] + rel_start, bounds[first + 1::2] + rel_start))

    def _account(self, count: int, total: float, squares: float, low: float,
                 high: float) -> None:
        self.count += count
        self.min = min(self.min, low)
        self.max = max(self.max, high)
        self.sum += total
        self.sum_squares += squares

    def present(self, sc: int) -> tuple[np.ndarray, np.ndarray]:
        """Sorted, disjoint runs ``[start, end)`` of finite rows of supercontig *sc*."""
        parts = self.runs[sc]
        if not parts:
            empty = np.empty(0, np.int64)
            return empty, empty
        starts = np.concatenate([s for s, _ in parts])
        ends = np.concatenate([e for _, e in parts])
        return merge(starts, ends)

