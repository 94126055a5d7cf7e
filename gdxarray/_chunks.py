"""Raw-chunk reads of ``continuous`` arrays: the fast lane of the read path.

HDF5 decompresses inside the library call, under the one HDF5 lock, chunk by
chunk with its own per-call overhead.  For the archives the format defines
(float32, one track per chunk, zlib with or without shuffle) we instead ask
HDF5 only *where* each chunk is (cached), read the bytes with ``os.pread``
and inflate them outside the lock (zlib and libdeflate release the GIL), so
threads scale and a 1 bp read costs one small inflate.  Anything else (other
filters, a chunk whose filter was skipped, archives open for writing) takes
the ordinary PyTables path.

libdeflate (the optional ``deflate`` package) inflates the same zlib streams
about twice as fast as zlib; it is used when installed.
"""

from __future__ import annotations

import os
import sys
import threading
import zlib
from collections import OrderedDict

import numpy as np

from . import format as fmt
from .store import HDF5_LOCK

try:  # measured: ~2x faster inflate than zlib on these chunks
    import deflate as _deflate

    def _inflate(data: bytes, size: int) -> bytes:
        return _deflate.zlib_decompress(data, size)
except ImportError:  # pragma: no cover - optional accelerator
    def _inflate(data: bytes, size: int) -> bytes:
        return zlib.decompress(data, bufsize=size)

_MISSING = (None, 0)  # chunk never written: reads as the fill value


class LeafPlan:
    """How to read one ``continuous`` leaf raw, or None when it must go through PyTables."""

    __slots__ = ("path", "stamp", "chunk_rows", "shuffle", "compressed", "locations", "nrows")

    def __init__(self, path: str, chunk_rows: int, shuffle: bool, compressed: bool, nrows: int) -> None:
        self.path = path
        st = os.stat(path)
        # identifies this version of the file: cached chunks and descriptors of a
        # file since replaced (an atomic rename by a loader) are never reused
        self.stamp = (path, st.st_ino, st.st_mtime_ns, st.st_size)
        self.chunk_rows = chunk_rows
        self.shuffle = shuffle
        self.compressed = compressed
        self.nrows = nrows
        self.locations: dict[tuple[int, int], tuple[int | None, int]] = {}


def make_plan(leaf) -> LeafPlan | None:
    """A raw-read plan for *leaf* if its layout and filters allow one (call under HDF5_LOCK)."""
    if sys.byteorder != "little" or leaf._v_file.mode != "r":
        return None
    chunkshape = leaf.chunkshape
    if chunkshape is None or len(chunkshape) != 2 or int(chunkshape[1]) != 1:
        return None
    if leaf.atom.dtype != fmt.CONTINUOUS_DTYPE or leaf.byteorder not in ("little", "irrelevant"):
        return None
    filters = leaf.filters
    if filters.fletcher32 or filters.bitshuffle or filters.least_significant_digit is not None:
        return None
    if filters.complevel and filters.complib != "zlib":
        return None
    return LeafPlan(leaf._v_file.filename, int(chunkshape[0]), bool(filters.shuffle),
                    bool(filters.complevel), int(leaf.shape[0]))


class _ChunkCache:
    """A small LRU of decoded chunks (float32 arrays), bounded in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.nbytes = 0
        self.items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key, value: np.ndarray) -> None:
        if value.nbytes > self.max_bytes:
            return
        with self.lock:
            old = self.items.pop(key, None)
            if old is not None:
                self.nbytes -= old.nbytes
            self.items[key] = value
            self.nbytes += value.nbytes
            while self.nbytes > self.max_bytes and self.items:
                _, dropped = self.items.popitem(last=False)
                self.nbytes -= dropped.nbytes

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.nbytes = 0


#: Decoded chunks shared by every read in this process (64 MiB by default).
CHUNK_CACHE = _ChunkCache(64 << 20)


class _Fds:
    """One read-only file descriptor per path per process."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.fds: dict[tuple, int] = {}
        self.lock = threading.Lock()

    def get(self, stamp: tuple) -> int:
        if self.pid != os.getpid():
            self.pid, self.fds = os.getpid(), {}
        fd = self.fds.get(stamp)
        if fd is None:
            with self.lock:
                fd = self.fds.get(stamp)
                if fd is None:
                    fd = os.open(stamp[0], os.O_RDONLY)
                    if os.fstat(fd).st_ino != stamp[1]:
                        os.close(fd)
                        raise OSError(f"{stamp[0]} was replaced while open for reading")
                    self.fds[stamp] = fd
        return fd

    def close(self, path: str) -> None:
        if self.pid != os.getpid():
            return
        for stamp in [s for s in self.fds if s[0] == path]:
            os.close(self.fds.pop(stamp))


FDS = _Fds()


def locate(leaf, plan: LeafPlan, k: int, col: int) -> tuple[int | None, int] | None:
    """(offset, size) of chunk *k* of column *col*; _MISSING if unwritten; None if not raw-readable.

    Call under HDF5_LOCK.  Locations are cached: a read-only file does not move.
    """
    key = (k, col)
    loc = plan.locations.get(key)
    if loc is None:
        info = leaf.chunk_info((k * plan.chunk_rows, col))
        if info.offset is None:
            loc = _MISSING
        elif info.filter_mask:
            return None  # a filter was skipped on this chunk: let HDF5 decode it
        else:
            loc = (int(info.offset), int(info.size))
        plan.locations[key] = loc
    return loc


def decode(plan: LeafPlan, loc: tuple[int | None, int]) -> np.ndarray:
    """The chunk at *loc* as a float32 array of ``chunk_rows`` values (no lock needed)."""
    offset, size = loc
    key = (plan.stamp, offset)
    cached = CHUNK_CACHE.get(key)
    if cached is not None:
        return cached
    raw = os.pread(FDS.get(plan.stamp), size, offset)
    nbytes = plan.chunk_rows * fmt.CONTINUOUS_DTYPE.itemsize
    data = _inflate(raw, nbytes) if plan.compressed else raw
    planes = np.frombuffer(data, dtype=np.uint8)
    if plan.shuffle:
        # shuffle stores byte 0 of every value, then byte 1, ...: gather back
        m = plan.chunk_rows
        values = np.empty((m, 4), dtype=np.uint8)
        for b in range(4):
            values[:, b] = planes[b * m:(b + 1) * m]
        out = values.view(fmt.CONTINUOUS_DTYPE).reshape(m)
    else:
        out = planes.view(fmt.CONTINUOUS_DTYPE).copy()
    CHUNK_CACHE.put(key, out)
    return out


def read_column(leaf, plan: LeafPlan, col: int, a: int, b: int, out: np.ndarray) -> bool:
    """Fill ``out`` (a 1-D view, length b - a) with rows [a, b) of column *col*.

    Returns False (writing nothing) when some chunk cannot be read raw; the
    caller then reads through PyTables.  Locates chunks under the lock, then
    reads and inflates them outside it.
    """
    cr = plan.chunk_rows
    ks = range(a // cr, (b - 1) // cr + 1)
    with HDF5_LOCK:
        locs = [locate(leaf, plan, k, col) for k in ks]
    if any(loc is None for loc in locs):
        return False
    for k, loc in zip(ks, locs):
        lo, hi = max(a, k * cr), min(b, (k + 1) * cr)
        if loc[0] is None:
            out[lo - a:hi - a] = np.nan
            continue
        chunk = decode(plan, loc)
        out[lo - a:hi - a] = chunk[lo - k * cr:hi - k * cr]
    return True


def forget(path: str) -> None:
    """Drop cached chunk locations/data of *path* (after a write or a close)."""
    FDS.close(path)
    CHUNK_CACHE.clear()


__all__ = ["CHUNK_CACHE", "LeafPlan", "decode", "forget", "locate", "make_plan", "read_column"]
