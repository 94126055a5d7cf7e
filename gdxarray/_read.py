"""The one read path: (chromosome, start, end, tracks) -> numpy array.

The Python API (:mod:`gdxarray.genome`) and the xarray backend both call
:func:`read_continuous` and :func:`read_seq`.  Gaps between supercontigs are
virtual: they come back as NaN / ``N`` without touching the disk, and only the
HDF5 chunks overlapping the request are read, one library call per
supercontig (and per run of adjacent track columns).

May import: store (layouts, the lock, file managers), _chunks (the raw lane),
_native, format, errors.
"""

from __future__ import annotations

import itertools
import math
import os
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np
import tables

from . import format as fmt
from . import _chunks
from ._native import address
from .errors import CorruptChunkError, DamagedArchiveError
from .store import HDF5_LOCK, ChromLayout, hdf5_reason, read_error


#: Transparent huge page size (x86-64 and arm64 with 4 kB base pages).
_HUGE_PAGE = 1 << 21


def empty(shape, dtype, order: str = "C") -> np.ndarray:
    """``np.empty``, with arrays of 4 MiB and more laid on 2 MiB boundaries.

    numpy asks the kernel for transparent huge pages for such arrays, but a
    fresh mapping is only 4 kB-aligned, so each end of the array falls back to
    4 kB pages: ~750 page faults for a 24 MB block instead of 12.  Fresh
    mappings are the rule in dask workers (the nanny sets
    ``MALLOC_TRIM_THRESHOLD_``, so freed blocks go back to the system at once);
    measured there, allocating and filling a 24 MB block took 3.9 ms, and
    2.1 ms aligned.  The slack (under 4 MiB of address space) is never touched,
    so it costs no memory.
    """
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize  # (np.prod costs ~5 us: a small read's budget)
    if nbytes < 4 << 20:
        return np.empty(shape, dtype=dtype, order=order)
    raw = np.empty(-(-nbytes // _HUGE_PAGE) * _HUGE_PAGE + _HUGE_PAGE, dtype=np.uint8)
    skip = -address(raw) % _HUGE_PAGE
    return raw[skip:skip + nbytes].view(dtype).reshape(shape, order=order)


_ALL_COLUMNS: dict[int, np.ndarray] = {}


def all_columns(ntracks: int) -> np.ndarray:
    """``arange(ntracks)``, one shared read-only array per track count."""
    cols = _ALL_COLUMNS.get(ntracks)
    if cols is None:
        cols = np.arange(ntracks, dtype=np.int64)
        cols.flags.writeable = False
        _ALL_COLUMNS[ntracks] = cols
    return cols


def normalize_columns(cols, ntracks: int) -> np.ndarray:
    """Track selection (slice, int, or int array) as an int64 index array."""
    if type(cols) is np.ndarray:
        if cols is _ALL_COLUMNS.get(ntracks):  # already normalized: every track
            return cols
        if cols.dtype == np.int64 and cols.ndim == 1 and cols.size == 1:
            c = int(cols[0])
            if 0 <= c < ntracks:
                return cols
    if isinstance(cols, slice):
        r = range(ntracks)[cols]
        if len(r) == ntracks and r.step == 1:
            return all_columns(ntracks)
        return np.arange(r.start, r.stop, r.step, dtype=np.int64)
    arr = np.asarray(cols, dtype=np.int64).reshape(-1)
    if arr.size and (arr.min() < -ntracks or arr.max() >= ntracks):
        raise IndexError(f"track index out of range for {ntracks} tracks: {cols!r}")
    return np.where(arr < 0, arr + ntracks, arr)


def _column_runs(cols: np.ndarray) -> list[tuple[int, int]]:
    """Sorted unique columns grouped into runs of consecutive indices."""
    if cols.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(cols) != 1) + 1
    starts = np.concatenate(([0], breaks))
    ends = np.concatenate((breaks, [cols.size]))
    return [(int(cols[s]), int(cols[e - 1]) + 1) for s, e in zip(starts, ends)]


class _NodeCache:
    """Per-process cache of PyTables nodes (and their raw-read plans), keyed by
    (file path, node path) and valid while the same handle is open."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.nodes: dict[tuple[str, str], tuple] = {}

    def get(self, chrom: ChromLayout, i: int, node: str) -> tuple:
        """(leaf or None, raw plan or None); call under HDF5_LOCK."""
        if self.pid != os.getpid():
            self.__init__()
        if node == fmt.NODE_CONTINUOUS and chrom.file.mode == "r":
            return self._shared(chrom, i)
        h5 = chrom.file.acquire()
        # keyed by handle too: two open Genomes (or a Genome and a dataset) on
        # one file must not evict each other's nodes and chunk plans
        key = (chrom.file.path, f"{chrom.sc_path(i)}/{node}", id(h5))
        hit = self.nodes.get(key)
        if hit is not None and hit[0] is h5 and h5.isopen:
            return hit[1], hit[2]
        if len(self.nodes) > 100_000:  # forget nodes of handles closed since
            self.nodes = {k: v for k, v in self.nodes.items() if v[0].isopen}
        try:
            leaf = h5.get_node(key[1])
        except tables.NoSuchNodeError:
            return None, None
        plan = _chunks.make_plan(leaf) if node == fmt.NODE_CONTINUOUS else None
        if plan is not None:
            plan.origin = (chrom.name, int(chrom.sc_starts[i]))
        self.nodes[key] = (h5, leaf, plan)
        return leaf, plan


    def _shared(self, chrom: ChromLayout, i: int) -> tuple:
        """A read-only ``continuous`` leaf: its shape and raw-read plan are kept per
        version of the file (:meth:`gdxarray.store.FileManager.cached`), so opening
        the archive again (Segway opens it per window) finds its chunks at once;
        the PyTables node itself is fetched only if a read needs it."""
        path = f"{chrom.sc_path(i)}/{fmt.NODE_CONTINUOUS}"
        file = chrom.file

        def read():
            try:
                leaf = file.acquire().get_node(path)
            except tables.NoSuchNodeError:
                return None
            plan = _chunks.make_plan(leaf)
            if plan is not None:
                plan.origin = (chrom.name, int(chrom.sc_starts[i]))
            return tuple(int(n) for n in leaf.shape), plan

        entry = file.cached(("leaf", path), read)
        if entry is None:
            return None, None
        shape, plan = entry
        return _Leaf(file, path, shape), plan


class _Leaf:
    """A stored leaf known by its path and shape, opened through PyTables only when
    something needs more than the shape (a read off the raw lane, attributes)."""

    __slots__ = ("_file", "_path", "shape", "_node")

    def __init__(self, file, path: str, shape: tuple[int, ...]) -> None:
        self._file, self._path, self.shape = file, path, shape
        self._node = None

    def node(self):
        with HDF5_LOCK:
            h5 = self._file.acquire()
            if self._node is None or self._node._v_file is not h5:
                self._node = h5.get_node(self._path)
            return self._node

    def __getitem__(self, key):
        return self.node()[key]

    def __setitem__(self, key, value) -> None:
        self.node()[key] = value

    def __getattr__(self, name: str):
        return getattr(self.node(), name)


_NODES = _NodeCache()


def continuous_node(chrom: ChromLayout, i: int):
    """The ``continuous`` EArray of supercontig *i*, or None (call under HDF5_LOCK)."""
    return _NODES.get(chrom, i, fmt.NODE_CONTINUOUS)[0]


def seq_node(chrom: ChromLayout, i: int):
    """The ``seq`` CArray of supercontig *i*, or None (call under HDF5_LOCK)."""
    return _NODES.get(chrom, i, fmt.NODE_SEQ)[0]


def read_continuous(chrom: ChromLayout, start: int, end: int, cols, ntracks: int,
                    *, out: np.ndarray | None = None) -> np.ndarray:
    """Signal of ``[start, end)`` for track columns *cols*, shape ``(end-start, len(cols))``.

    Positions outside every supercontig (gaps, before 0, past the end) are NaN
    and cost no I/O.  *cols* is a slice or an array of column indices in any
    order (duplicates allowed).
    """
    cols = normalize_columns(cols, ntracks)
    nrows = max(0, end - start)
    if out is None:
        out = empty((nrows, cols.size), fmt.CONTINUOUS_DTYPE)
    if nrows == 0 or cols.size == 0:
        return out
    # increasing columns (one track, all tracks, a name list in order) need no
    # set machinery: column j of the result is column cols[j] of the array
    identity = (cols.size == 1 or cols is _ALL_COLUMNS.get(ntracks)
                or bool(np.all(cols[1:] > cols[:-1])))
    if identity:
        uniq, inverse = cols, None
    else:
        uniq, inverse = np.unique(cols, return_inverse=True)
    # rows no supercontig writes (gaps, a missing node) are set to NaN as the
    # walk passes them; the rest is written once, by the read itself
    done = start
    for i in chrom.overlapping(start, end):
        lo = max(start, int(chrom.sc_starts[i]))
        hi = min(end, int(chrom.sc_ends[i]))
        a, b = lo - int(chrom.sc_starts[i]), hi - int(chrom.sc_starts[i])
        out[done - start:lo - start] = np.nan
        done = hi
        with HDF5_LOCK:
            node, plan = _NODES.get(chrom, i, fmt.NODE_CONTINUOUS)
            if node is None or node.shape[1] <= uniq[-1]:
                # tracks are asked for, so the array must hold them: a missing node or
                # column is damage (or an interrupted open-data), never NaN
                where = f"{chrom.sc_path(i)}/{fmt.NODE_CONTINUOUS}"
                raise DamagedArchiveError(
                    f"{chrom.file.path}: {where}: " + (
                        "the dataset is missing" if node is None else
                        f"{node.shape[1]} track column(s), but column {int(uniq[-1])} "
                        f"of {ntracks} track name(s) is asked for"))
        dest = out[lo - start:hi - start]
        if plan is not None:
            with _hdf5_read(chrom, i, fmt.NODE_CONTINUOUS, a, b):
                if _read_raw(node, plan, a, b, uniq, inverse, dest):
                    continue
        runs = _column_runs(uniq)
        with HDF5_LOCK, _hdf5_read(chrom, i, fmt.NODE_CONTINUOUS, a, b):
            if identity and len(runs) == 1:
                c0, c1 = runs[0]
                dest[:, :] = node[a:b, c0:c1]
                continue
            block = np.empty((b - a, uniq.size), dtype=fmt.CONTINUOUS_DTYPE)
            k = 0
            for c0, c1 in runs:
                block[:, k:k + c1 - c0] = node[a:b, c0:c1]
                k += c1 - c0
        dest[:, :] = block if inverse is None else block[:, inverse]
    out[done - start:] = np.nan
    return out


class _hdf5_read:
    """Turns an HDF5 library error while reading rows [a, b) of a node into a
    GenomedataError naming file, node and rows (a chunk that does not decode, or
    a file another process changes while HDF5's lock is off)."""

    __slots__ = ("chrom", "i", "node", "a", "b")

    def __init__(self, chrom: ChromLayout, i: int, node: str, a: int, b: int) -> None:
        self.chrom, self.i, self.node, self.a, self.b = chrom, i, node, a, b

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        if kind is None or not issubclass(kind, (tables.HDF5ExtError, IndexError)):
            return False
        chrom, base = self.chrom, int(self.chrom.sc_starts[self.i])
        where = f"{chrom.sc_path(self.i)}/{self.node}"
        reason = hdf5_reason(exc)
        if "reading the elements" in reason or "filter" in reason or "inflate" in reason:
            raise CorruptChunkError(
                f"{chrom.file.path}: {where}: a stored chunk of {chrom.name}:"
                f"{base + self.a}-{base + self.b} does not decode ({reason}): the file is "
                "damaged") from None
        raise read_error(chrom.file.path, where,
                         f"{chrom.name}:{base + self.a}-{base + self.b}", exc) from None


def _read_raw(node, plan, a: int, b: int, uniq: np.ndarray, inverse: np.ndarray | None,
              dest: np.ndarray) -> bool:
    """Rows [a, b) of the selected columns through the raw-chunk lane; False to fall back."""
    if inverse is None:  # straight into each destination column
        return all(_chunks.read_column(node, plan, int(c), a, b, dest[:, j])
                   for j, c in enumerate(uniq.tolist()))
    if uniq.size == 1:
        return _chunks.read_column(node, plan, int(uniq[0]), a, b, dest[:, 0]) and (
            dest.shape[1] == 1 or _fill_duplicates(dest))
    column = np.empty(b - a, dtype=fmt.CONTINUOUS_DTYPE)
    for j, c in enumerate(uniq):
        if not _chunks.read_column(node, plan, int(c), a, b, column):
            return False
        dest[:, np.flatnonzero(inverse == j)] = column[:, np.newaxis]
    return True


def _fill_duplicates(dest: np.ndarray) -> bool:
    dest[:, 1:] = dest[:, :1]
    return True


class _ReadPool:
    """Threads that decode blocks ahead of a scan (see ``Chromosome.iter_blocks``).

    Inflating (libdeflate, zlib) and the numpy copies of the read path release
    the GIL, so a scan's next block is decoded on the other cores while the
    caller works on the current one.  One pool per process, made on first use
    (and again in a forked child, where the parent's threads do not exist).
    """

    def __init__(self) -> None:
        self.pid = None
        self.pool = None
        self.lock = threading.Lock()

    @property
    def workers(self) -> int:
        return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                          else os.cpu_count() or 1))

    def submit(self, fn, *args):
        with self.lock:
            if self.pool is None or self.pid != os.getpid():
                self.pool = ThreadPoolExecutor(self.workers, thread_name_prefix="gdxarray-read")
                self.pid = os.getpid()
            return self.pool.submit(fn, *args)


READ_POOL = _ReadPool()


def read_ahead(read, spans, ncols: int, *, depth: int = 2,
               split_rows: int = fmt.CONTINUOUS_CHUNK_SHAPE[0]):
    """Yield ``(start, block)`` for each ``(start, end)`` of *spans*, decoding ahead.

    ``read(start, end, out)`` fills ``out`` (a ``(end - start, ncols)`` view).
    While the caller holds block *k*, block *k + 1* is being decoded by
    :data:`READ_POOL`, cut at multiples of *split_rows* into one piece per
    worker.  Blocks are Fortran-ordered: each track's values are contiguous.
    Besides the caller's block, *depth* blocks are decoded ahead.
    """
    spans = iter(spans)
    workers = READ_POOL.workers

    def submit(span):
        lo, hi = span
        out = empty((hi - lo, ncols), fmt.CONTINUOUS_DTYPE, order="F")
        step = max(split_rows, -(-(hi - lo) // workers // split_rows) * split_rows)
        futures = [READ_POOL.submit(read, a, min(hi, a + step), out[a - lo:min(hi, a + step) - lo])
                   for a in range(lo, hi, step)]
        return lo, out, futures

    pending: deque = deque()
    try:
        for span in itertools.islice(spans, depth):
            pending.append(submit(span))
        while pending:
            lo, out, futures = pending.popleft()
            for f in futures:
                f.result()
            nxt = next(spans, None)
            if nxt is not None:
                pending.append(submit(nxt))
            yield lo, out
    finally:
        # the caller stopped early: drop what has not started and wait for the
        # rest, so no read outlives the loop (the file may be closed next)
        running = [f for _, _, futures in pending for f in futures if not f.cancel()]
        wait(running)


def read_seq(chrom: ChromLayout, start: int, end: int) -> np.ndarray:
    """Sequence bytes of ``[start, end)`` (uint8), ``N`` outside supercontigs.

    Raises :class:`gdxarray.errors.UnsupportedError` inside a supercontig of an
    archive built without sequence (``--sizes`` / AGP).
    """
    from .errors import UnsupportedError

    nrows = max(0, end - start)
    out = np.full(nrows, fmt.SEQ_GAP, dtype=fmt.SEQ_DTYPE)
    for i in chrom.overlapping(start, end):
        lo = max(start, int(chrom.sc_starts[i]))
        hi = min(end, int(chrom.sc_ends[i]))
        a, b = lo - int(chrom.sc_starts[i]), hi - int(chrom.sc_starts[i])
        with HDF5_LOCK:
            node = seq_node(chrom, i)
            if node is None:
                raise UnsupportedError(
                    f"chromosome {chrom.name} has no sequence stored (archive built from "
                    "chromosome sizes or AGP)")
            with _hdf5_read(chrom, i, fmt.NODE_SEQ, a, b):
                out[lo - start:hi - start] = node[a:b]
    return out


__all__ = ["READ_POOL", "all_columns", "continuous_node", "empty", "normalize_columns",
           "read_ahead", "read_continuous", "read_seq", "seq_node", "summarize"]


# -- fused reductions ------------------------------------------------------------------
#: Rows of one column per reduction task (a worker's share of a scan).
SUMMARY_TASK_ROWS = 64 * fmt.CONTINUOUS_CHUNK_SHAPE[0]


def summarize(chrom: ChromLayout, start: int, end: int, cols, ntracks: int,
              edges: np.ndarray, *, threads: bool = True, zoom=None) -> np.ndarray:
    """Per-bin statistics of the finite values of track columns *cols* in ``[start, end)``.

    Returns a float64 accumulator ``(len(cols), len(edges) - 1, 5)`` (count,
    sum, sum of squares, min, max; see :mod:`gdxarray._kernels`), bins
    ``[edges[j], edges[j + 1])`` in chromosome coordinates.  Chunks are decoded
    and reduced while in cache by the C kernel, spread over :data:`READ_POOL`;
    nothing block-sized is allocated.  Gaps cost nothing.  *zoom* (a
    :class:`gdxarray._zoom.Pyramid`, valid for this chromosome) answers whole
    cells from the stored summaries, leaving only the bins' edges to decode.
    """
    from . import _kernels

    cols = normalize_columns(cols, ntracks)
    edges = np.ascontiguousarray(edges, dtype=np.int64)
    nbins = max(0, edges.size - 1)
    uniq, inverse = np.unique(cols, return_inverse=True)
    acc = np.empty((uniq.size, nbins, 5), dtype=np.float64)
    acc[...] = _kernels.empty_acc(nbins)
    if nbins == 0 or uniq.size == 0:
        return acc[inverse]
    lo, hi = max(start, int(edges[0])), min(end, int(edges[-1]))
    ranges = [(lo, hi)]
    if zoom is not None:
        ranges = zoom.answer(edges, uniq, acc, lo, hi)
    # tasks: (supercontig, column index, column, row spans); long ranges split,
    # short ones (a zoomed query's bin edges) grouped so a task has real work
    tasks = []
    step = SUMMARY_TASK_ROWS
    for i, spans in _supercontig_spans(chrom, ranges):
        groups, rows = [[]], 0
        for a, b in spans:
            for x in range(a, b, step):
                y = min(b, x + step)
                if rows + y - x > step and groups[-1]:
                    groups.append([])
                    rows = 0
                groups[-1].append((x, y))
                rows += y - x
        for j, c in enumerate(uniq.tolist()):
            tasks.extend((i, j, c, g) for g in groups if g)
    if not tasks:
        return acc[inverse]

    def run(task):
        i, j, c, spans = task
        s0 = int(chrom.sc_starts[i])
        j0 = max(0, int(np.searchsorted(edges, s0 + spans[0][0], side="right")) - 1)
        j1 = int(np.searchsorted(edges, s0 + spans[-1][1], side="left"))
        local = _kernels.empty_acc(j1 - j0)
        sub = edges[j0:j1 + 1]
        with HDF5_LOCK:
            node, plan = _NODES.get(chrom, i, fmt.NODE_CONTINUOUS)
        if node is None or c >= node.shape[1]:
            return j, j0, local
        if plan is None or not _chunks.reduce_column(node, plan, c, spans, s0, sub, local):
            for a, b in spans:  # decoded values, reduced block by block
                for x in range(a, b, 1 << 20):
                    y = min(b, x + (1 << 20))
                    block = read_continuous(chrom, s0 + x, s0 + y, [c], ntracks)[:, 0]
                    _kernels.reduce_bins(block, s0 + x, sub, local)
        return j, j0, local

    if threads and len(tasks) > 1 and READ_POOL.workers > 1:
        results = [f.result() for f in [READ_POOL.submit(run, t) for t in tasks]]
    else:
        results = [run(t) for t in tasks]
    for j, j0, local in results:
        _kernels.merge(acc[j, j0:j0 + local.shape[0]], local)
    return acc[inverse]


def _supercontig_spans(chrom: ChromLayout, ranges) -> list[tuple[int, list[tuple[int, int]]]]:
    """Sorted chromosome ranges as supercontig-relative row spans, per supercontig."""
    out: dict[int, list[tuple[int, int]]] = {}
    for r0, r1 in ranges:
        for i in chrom.overlapping(r0, r1):
            s0 = int(chrom.sc_starts[i])
            a, b = max(r0, s0) - s0, min(r1, int(chrom.sc_ends[i])) - s0
            if b > a:
                out.setdefault(i, []).append((a, b))
    return sorted(out.items())
