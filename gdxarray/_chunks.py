"""Raw-chunk reads of ``continuous`` arrays: the fast lane of the read path.

HDF5 decompresses inside the library call, under the one HDF5 lock, chunk by
chunk with its own per-call overhead.  For the archives the format defines
(float32, one track per chunk, zlib with or without shuffle) we instead ask
HDF5 only *where* each chunk is (cached), read the bytes with ``os.pread``
and decode them outside the lock (:mod:`gdxarray._native`: libdeflate, with
the GIL released, and blosc2's SIMD unshuffle; or libblosc2 for archives
written with ``--compression blosc2-*``), so threads scale and a 1 bp read
costs one small inflate.  Anything else (other filters, a chunk whose filter
was skipped, archives open for writing) takes the ordinary PyTables path.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from collections import OrderedDict

import numpy as np

from . import _kernels
from . import format as fmt
from ._native import BLOSC2, INFLATE, INFLATE_ERRORS, UNSHUFFLE, address, blosc2_decode, inflate
from .errors import CorruptChunkError
from .store import HDF5_LOCK

_MISSING = (None, 0)  # chunk never written: reads as the fill value
_PREADV = hasattr(os, "preadv")


def _load_chunk_iter():
    """HDF5's ``H5Dchunk_iter`` (1.14+) from the library PyTables is linked to, or None.

    Asking HDF5 whether one chunk exists costs 50-400 us (a B-tree lookup, and
    an error stack for a missing chunk); iterating over a dataset's stored
    chunks costs ~2 us each.  ``dlsym`` on the extension module's handle also
    searches the libraries it depends on, so this finds the very libhdf5
    instance PyTables uses, whatever its (vendored) file name.
    """
    try:
        import ctypes

        import tables.hdf5extension as ext

        function = ctypes.CDLL(ext.__file__).H5Dchunk_iter
        callback_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_uint64),
                                         ctypes.c_uint, ctypes.c_uint64, ctypes.c_uint64,
                                         ctypes.c_void_p)
        function.argtypes = [ctypes.c_int64, ctypes.c_int64, callback_type, ctypes.c_void_p]
        function.restype = ctypes.c_int
        return function, callback_type
    except Exception:  # noqa: BLE001 - older HDF5, other platform: probe chunk by chunk
        return None


CHUNK_ITER = _load_chunk_iter()


def stored_chunks(earray) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Which chunks of a one-column-chunk EArray are stored, and where.

    Returns ``(stored, where)``: bool ``(ncols, nchunks)`` and, when HDF5 could
    list them, int64 ``(ncols, nchunks, 3)`` of (file address, size, filter
    mask), address -1 where unknown.  None when it cannot be known cheaply
    (callers then ask HDF5 chunk by chunk).
    """
    rows = int(earray.chunkshape[0])
    nchunks = -(-int(earray.shape[0]) // rows)
    ncols = int(earray.shape[1])
    stored = np.zeros((ncols, nchunks), dtype=bool)
    if earray.size_on_disk == 0:
        return stored, None
    if CHUNK_ITER is None:
        return None
    function, callback_type = CHUNK_ITER
    found: list[tuple[int, int, int, int, int]] = []

    def visit(offset, mask, addr, size, _data):
        found.append((offset[0], offset[1], addr, size, mask))
        return 0

    if function(earray._v_objectid, 0, callback_type(visit), None) < 0:
        return None
    where = np.full((ncols, nchunks, 3), -1, dtype=np.int64)
    if found:
        table = np.array(found, dtype=np.int64)
        cols, chunks = table[:, 1], table[:, 0] // rows
        stored[cols, chunks] = True
        where[cols, chunks] = table[:, 2:]
    return stored, where


def base_address(path: str) -> int | None:
    """Offset of the HDF5 superblock (the userblock size), or None."""
    try:
        with open(path, "rb") as fh:
            offset = 0
            while True:
                fh.seek(offset)
                head = fh.read(8)
                if len(head) < 8:
                    return None
                if head == fmt.HDF5_MAGIC:
                    return offset
                offset = 512 if offset == 0 else offset * 2
    except OSError:
        return None


class LeafPlan:
    """How to read one ``continuous`` leaf raw, or None when it must go through PyTables."""

    __slots__ = ("path", "stamp", "chunk_rows", "shuffle", "compressed", "blosc2", "locations",
                 "listed", "base", "origin")

    def __init__(self, path: str, chunk_rows: int, shuffle: bool, compressed: bool,
                 blosc2: bool = False) -> None:
        self.path = path
        st = os.stat(path)
        # identifies this version of the file: cached chunks and descriptors of a
        # file since replaced (an atomic rename by a loader) are never reused
        self.stamp = (path, st.st_ino, st.st_mtime_ns, st.st_size)
        self.chunk_rows = chunk_rows
        # a blosc2 chunk is a frame that unshuffles itself: decoded bytes are values
        self.blosc2 = blosc2
        self.shuffle = shuffle and not blosc2
        self.compressed = compressed
        #: (chromosome, supercontig start) of the leaf, for error messages
        self.origin: tuple[str, int] | None = None
        self.locations: dict[tuple[int, int], tuple[int | None, int]] = {}
        self.listed = False  # all locations fetched at once (H5Dchunk_iter)
        # HDF5 addresses count from the superblock (after any user block)
        self.base = base_address(path) or 0


def make_plan(leaf) -> LeafPlan | None:
    """A raw-read plan for *leaf* if its layout and filters allow one (call under HDF5_LOCK)."""
    if sys.byteorder != "little" or leaf._v_file.mode != "r" or not hasattr(os, "pread"):
        return None  # (no os.pread on Windows: PyTables reads there)
    chunkshape = leaf.chunkshape
    if chunkshape is None or len(chunkshape) != 2 or int(chunkshape[1]) != 1:
        return None
    if leaf.atom.dtype != fmt.CONTINUOUS_DTYPE or leaf.byteorder not in ("little", "irrelevant"):
        return None
    filters = leaf.filters
    if filters.fletcher32 or filters.bitshuffle or filters.least_significant_digit is not None:
        return None
    blosc2 = bool(filters.complevel) and filters.complib.startswith("blosc2")
    if filters.complevel and filters.complib != "zlib" and not blosc2:
        return None
    return LeafPlan(leaf._v_file.filename, int(chunkshape[0]), bool(filters.shuffle),
                    bool(filters.complevel), blosc2)


class _ChunkCache:
    """A small LRU of inflated chunks (byte arrays), bounded in bytes."""

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
        if len(value) > self.max_bytes:
            return
        with self.lock:
            old = self.items.pop(key, None)
            if old is not None:
                self.nbytes -= len(old)
            self.items[key] = value
            self.nbytes += len(value)
            while self.nbytes > self.max_bytes and self.items:
                _, dropped = self.items.popitem(last=False)
                self.nbytes -= len(dropped)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.nbytes = 0


#: Inflated chunks shared by every read in this process (64 MiB by default).
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
            loc = (int(info.offset) + plan.base, int(info.size))
        plan.locations[key] = loc
    return loc


#: Listing a leaf's chunks in one HDF5 call costs ~1.2 us a chunk; asking for
#: one chunk costs 50-120 us.  A leaf of at most this many chunks is listed on
#: first touch (<= ~0.25 s); a bigger one once a read needs more than
#: LIST_THRESHOLD chunks or per-chunk lookups pass 1% of its chunks.
LIST_ON_FIRST_TOUCH = 200_000
LIST_THRESHOLD = 32


def list_locations(leaf, plan: LeafPlan) -> None:
    """Fetch every stored chunk's location of *leaf* at once (call under HDF5_LOCK)."""
    plan.listed = True
    listing = stored_chunks(leaf)
    if listing is None or listing[1] is None:
        return
    stored, where = listing
    cols, ks = np.nonzero(~stored)
    plan.locations.update(dict.fromkeys(zip(ks.tolist(), cols.tolist()), _MISSING))
    # a chunk with a skipped filter (mask) or unknown address stays unlisted,
    # so locate() asks HDF5 about it (and the read falls back to PyTables)
    good = stored & (where[..., 0] >= 0) & (where[..., 2] == 0)
    cols, ks = np.nonzero(good)
    addrs = (where[cols, ks, 0] + plan.base).tolist()
    sizes = where[cols, ks, 1].tolist()
    plan.locations.update(zip(zip(ks.tolist(), cols.tolist()), zip(addrs, sizes)))


def _corrupt(plan: LeafPlan, offset: int, why: str) -> CorruptChunkError:
    return CorruptChunkError(f"{plan.stamp[0]}: the chunk stored at byte {offset:,} is "
                             f"corrupt ({why}){_holds(plan, offset)}")


def _holds(plan: LeafPlan, offset: int) -> str:
    """What the chunk at file *offset* holds (chromosome, positions, track column), if known."""
    found = next((key for key, loc in plan.locations.items() if loc[0] == offset), None)
    if found is None:
        return ""
    k, col = found
    start = k * plan.chunk_rows
    if plan.origin is None:
        return f"; it holds rows {start:,}-{start + plan.chunk_rows:,} of track column {col}"
    chrom, sc_start = plan.origin
    return (f"; it holds {chrom}:{sc_start + start + 1:,}-{sc_start + start + plan.chunk_rows:,}"
            f" of track column {col}")


def _check_read(plan: LeafPlan, offset: int, got: int, wanted: int) -> None:
    if got != wanted:
        raise _corrupt(plan, offset, f"the file ends {got:,} bytes into it: truncated?")


def _pread_exact(plan: LeafPlan, buf: np.ndarray, offset: int) -> None:
    fd = FDS.get(plan.stamp)
    if _PREADV:
        got = os.preadv(fd, [buf], offset)
    else:  # platforms without preadv (older macOS)
        data = os.pread(fd, buf.size, offset)
        got = len(data)
        buf[:got] = np.frombuffer(data, dtype=np.uint8)
    _check_read(plan, offset, got, buf.size)


def _checked(plan: LeafPlan, stored, offset: int, size: int):
    """A stored chunk's bytes, inflated if the leaf is compressed, checked to
    fill exactly one chunk (*size* bytes)."""
    data = stored
    if plan.blosc2:
        data = _unframe(plan, stored, offset, size)
    elif plan.compressed:
        try:
            data = inflate(stored, size)
        except INFLATE_ERRORS as exc:
            raise _corrupt(plan, offset, str(exc)) from None
    if len(data) != size:
        raise _corrupt(plan, offset, f"{len(data):,} bytes where a chunk holds {size:,}")
    return data


def _unframe(plan: LeafPlan, stored, offset: int, size: int) -> np.ndarray:
    """One stored blosc2 frame decoded (*size* bytes)."""
    if BLOSC2 is None:
        try:
            return np.frombuffer(blosc2_decode(stored, size), dtype=np.uint8)
        except ValueError as exc:
            raise _corrupt(plan, offset, str(exc)) from None
    buf = np.frombuffer(stored, dtype=np.uint8)
    out = np.empty(size, dtype=np.uint8)
    why = BLOSC2.decode(buf, address(buf), 0, buf.size, address(out), size)
    if why is not None:
        raise _corrupt(plan, offset, why)
    return out


def _fill(plan: LeafPlan, raw: np.ndarray, parts: list, into: np.ndarray, size: int) -> None:
    """Stored chunks ``raw[at:at + nbytes]``, one per ``(at, nbytes, offset)`` of
    *parts*, inflated (or copied) into consecutive *size*-byte slots of *into*."""
    if plan.blosc2 and BLOSC2 is not None:
        decode, rp, dp = BLOSC2.decode, address(raw), address(into)
        for i, (at, nbytes, offset) in enumerate(parts):
            why = decode(raw, rp, at, nbytes, dp + i * size, size)
            if why is not None:
                raise _corrupt(plan, offset, why)
        return
    if plan.compressed and INFLATE is not None and not plan.blosc2:
        decompress, d = INFLATE.decoder()
        rp, dp = address(raw), address(into)
        for i, (at, nbytes, offset) in enumerate(parts):
            rc = decompress(d, rp + at, nbytes, dp + i * size, size, None)
            if rc:
                raise _corrupt(plan, offset, INFLATE.reason(rc))
        return
    view = memoryview(raw)
    for i, (at, nbytes, offset) in enumerate(parts):
        data = _checked(plan, view[at:at + nbytes], offset, size)
        into[i * size:(i + 1) * size] = np.frombuffer(data, dtype=np.uint8)


def _decode(plan: LeafPlan, raw: np.ndarray, parts: list, dest: np.ndarray) -> None:
    """Whole stored chunks *parts* of *raw* (see :func:`_fill`) into *dest*
    (float32, ``len(parts) * chunk_rows``; a strided column is fine)."""
    size = plan.chunk_rows * fmt.CONTINUOUS_DTYPE.itemsize
    n = len(parts)
    contiguous = dest.flags.c_contiguous
    target = dest.view(np.uint8) if contiguous else _scratch("target", n * size)
    if not plan.shuffle:
        _fill(plan, raw, parts, target, size)
    elif UNSHUFFLE is not None and INFLATE is not None and plan.compressed and not plan.blosc2:
        # chunk by chunk: inflate into a small buffer the unshuffle then reads from cache
        one = _scratch("one", size)
        decompress, d = INFLATE.decoder()
        rp, op, tp = address(raw), address(one), address(target)
        for i, (at, nbytes, offset) in enumerate(parts):
            rc = decompress(d, rp + at, nbytes, op, size, None)
            if rc:
                raise _corrupt(plan, offset, INFLATE.reason(rc))
            UNSHUFFLE(4, size, op, tp + i * size)
    elif UNSHUFFLE is not None:
        joined = _scratch("joined", n * size)
        _fill(plan, raw, parts, joined, size)
        jp, tp = address(joined), address(target)
        for i in range(n):
            UNSHUFFLE(4, size, jp + i * size, tp + i * size)
    else:
        joined = _scratch("joined", n * size)
        _fill(plan, raw, parts, joined, size)
        unshuffle(joined.reshape(n, 4, plan.chunk_rows), target.view(fmt.CONTINUOUS_DTYPE))
    if not contiguous:
        dest[:] = target.view(fmt.CONTINUOUS_DTYPE)


def unshuffle(planes: np.ndarray, dest: np.ndarray) -> None:
    """Byte planes ``(n, 4, rows)`` of *n* shuffled runs into *dest* (contiguous
    float32, n * rows): four strided numpy copies, where blosc2 is missing."""
    n, _, rows = planes.shape
    as_bytes = dest.view(np.uint8).reshape(n, rows, 4)
    for byte in range(4):
        as_bytes[:, :, byte] = planes[:, byte, :]


def _rows_into(data: np.ndarray, plan: LeafPlan, dest: np.ndarray, r0: int, r1: int) -> None:
    """Rows [r0, r1) of an inflated chunk (still shuffled) into *dest* (float32)."""
    if not plan.shuffle:
        dest[:] = data.view(fmt.CONTINUOUS_DTYPE)[r0:r1]
        return
    # shuffle stores byte 0 of every value, then byte 1, ...: gather back
    m, n = plan.chunk_rows, r1 - r0
    if n < 256:  # a few values: one transposing copy
        if dest.flags.c_contiguous:
            dest.view(np.uint8).reshape(n, 4)[...] = data.reshape(4, m)[:, r0:r1].T
        else:
            dest[:] = data.reshape(4, m)[:, r0:r1].T.copy().view(fmt.CONTINUOUS_DTYPE)[:, 0]
        return
    if UNSHUFFLE is not None and 4 * n >= m:  # most of a chunk: SIMD over all of it
        decoded = _scratch("decoded", data.size)
        UNSHUFFLE(4, data.size, address(data), address(decoded))
        dest[:] = decoded.view(fmt.CONTINUOUS_DTYPE)[r0:r1]
        return
    # a part: four strided copies of just its rows (measured faster below a quarter)
    contiguous = dest.flags.c_contiguous
    target = dest if contiguous else _scratch("target", 4 * n).view(fmt.CONTINUOUS_DTYPE)
    unshuffle(data.reshape(1, 4, m)[:, :, r0:r1], target)
    if not contiguous:
        dest[:] = target


def _stored_chunk(plan: LeafPlan, loc: tuple[int | None, int]) -> np.ndarray:
    """One stored chunk, inflated but still shuffled (a read-only byte array).

    The small-read path, once per cache miss.  It inflates with the ``deflate``
    package's own call (``bytes`` out, GIL held): measured 3-5 us a chunk less
    than the ctypes lane, whose GIL release pays off in bulk decoding.
    """
    offset, nbytes = loc
    size = plan.chunk_rows * fmt.CONTINUOUS_DTYPE.itemsize
    raw = os.pread(FDS.get(plan.stamp), nbytes, offset)
    _check_read(plan, offset, len(raw), nbytes)
    return np.frombuffer(_checked(plan, raw, offset, size), dtype=np.uint8)


def inflated(plan: LeafPlan, loc: tuple[int | None, int]) -> np.ndarray:
    """The chunk at *loc* inflated (still shuffled), through the cache (no lock needed).

    The cache keeps inflated bytes, not decoded values: a small read then
    gathers just its rows (a 1 bp read needs 4 bytes, not a 40 kB unshuffle).
    """
    key = (plan.stamp, loc[0])
    data = CHUNK_CACHE.get(key)
    if data is None:
        data = _stored_chunk(plan, loc)
        CHUNK_CACHE.put(key, data)
    return data


def read_column(leaf, plan: LeafPlan, col: int, a: int, b: int, out: np.ndarray) -> bool:
    """Fill ``out`` (a 1-D view, length b - a) with rows [a, b) of column *col*.

    Returns False (writing nothing) when some chunk cannot be read raw; the
    caller then reads through PyTables.  Locates chunks under the lock, then
    reads and inflates them outside it.
    """
    cr = plan.chunk_rows
    ks = range(a // cr, (b - 1) // cr + 1)
    with HDF5_LOCK:
        if not plan.listed:
            nchunks = -(-int(leaf.shape[0]) // cr) * int(leaf.shape[1])
            if (nchunks <= LIST_ON_FIRST_TOUCH or len(ks) > LIST_THRESHOLD
                    or len(plan.locations) * 100 > nchunks):
                list_locations(leaf, plan)
        locs = [locate(leaf, plan, k, col) for k in ks]
    if any(loc is None for loc in locs):
        return False
    # a long read (a scan) decodes straight into place and leaves the cache
    # to the small random reads it is for
    streaming = len(ks) > 4
    batch: list = []  # whole stored chunks in a row, unshuffled together
    batch_start = a
    for k, loc in zip(ks, locs):
        lo, hi = max(a, k * cr), min(b, (k + 1) * cr)
        if streaming and loc[0] is not None and hi - lo == cr:
            if batch and len(batch) < _BATCH:
                batch.append(loc)
                continue
            if batch:
                _flush(plan, batch, out, batch_start - a)
            batch, batch_start = [loc], lo
            continue
        if batch:
            _flush(plan, batch, out, batch_start - a)
            batch = []
        if loc[0] is None:
            out[lo - a:hi - a] = np.nan
        else:
            # a long read's partial end chunks skip the cache (left to small reads)
            data = _stored_chunk(plan, loc) if streaming else inflated(plan, loc)
            _rows_into(data, plan, out[lo - a:hi - a], lo - k * cr, hi - k * cr)
    if batch:
        _flush(plan, batch, out, batch_start - a)
    return True


#: Whole chunks decoded per batch of a long read (64 x 40 kB).
_BATCH = 64


_SCRATCH = threading.local()


def _scratch(name: str, nbytes: int) -> np.ndarray:
    """A per-thread reusable byte buffer: fresh multi-MB arrays per batch would
    cost page faults on every touch (measured: more than the copies themselves)."""
    buf = getattr(_SCRATCH, name, None)
    if buf is None or buf.size < nbytes:
        buf = np.empty(nbytes, dtype=np.uint8)
        setattr(_SCRATCH, name, buf)
    return buf[:nbytes]


def _flush(plan: LeafPlan, locs: list, out: np.ndarray, at: int) -> None:
    """Decode whole chunks *locs* (consecutive) into ``out[at:]``.

    Reads and decodes go through per-thread buffers: a batch allocates nothing.
    """
    first = min(loc[0] for loc in locs)
    span = max(loc[0] + loc[1] for loc in locs) - first
    stored = sum(loc[1] for loc in locs)
    if span <= 2 * stored:
        # chunks written one after another: one read for the batch
        raw = _scratch("raw", span)
        _pread_exact(plan, raw, first)
        parts = [(o - first, nb, o) for o, nb in locs]
    else:
        raw, parts = _read_runs(plan, locs, stored)
    _decode(plan, raw, parts, out[at:at + len(locs) * plan.chunk_rows])


#: Chunks at most this far apart in the file are read with one ``preadv``
#: (the bytes between are read and ignored).
_GAP = 64 << 10


def _read_runs(plan: LeafPlan, locs: list, stored: int) -> tuple[np.ndarray, list]:
    """Scattered chunks *locs*, read in runs of near neighbours in file order.

    Chunks rewritten after they were first stored (blosc2 arrays, which start
    as all-NaN chunks, see ``writer.tracks._store_nan``) sit in two or more
    places of the file; a read per chunk cost 8,500 ``preadv`` calls where a
    scan of zlib chunks made 165 (measured, 10 Mbp x 3 tracks).
    """
    order = sorted(range(len(locs)), key=lambda i: locs[i][0])
    runs: list[list[int]] = []
    size = 0
    for i in order:
        o, nb = locs[i]
        if runs and o - runs[-1][1] <= _GAP:
            grow = max(runs[-1][1], o + nb) - runs[-1][1]
            runs[-1][1] += grow
            size += grow
        else:
            runs.append([o, o + nb])
            size += nb
    raw = _scratch("raw", max(size, stored))
    where, pos = {}, 0
    for lo, hi in runs:
        _pread_exact(plan, raw[pos:pos + hi - lo], lo)
        where[lo] = pos
        pos += hi - lo
    parts, k = [None] * len(locs), 0
    starts = [lo for lo, _ in runs]
    for i in order:
        o, nb = locs[i]
        while k + 1 < len(starts) and starts[k + 1] <= o:
            k += 1
        parts[i] = (where[starts[k]] + o - starts[k], nb, o)
    return raw, parts


def forget(path: str) -> None:
    """Drop cached chunk locations/data of *path* (after a write or a close)."""
    FDS.close(path)
    CHUNK_CACHE.clear()




# -- fused reductions: decode and reduce chunk by chunk, never a block ------------------
def _fn_address(function) -> int | None:
    return None if function is None else ctypes.cast(function, ctypes.c_void_p).value


def reduce_column(leaf, plan: LeafPlan, col: int, spans, origin: int,
                  edges: np.ndarray, acc: np.ndarray) -> bool:
    """Add rows ``[a, b)`` of column *col*, for each ``(a, b)`` of *spans*, into the
    bins of *acc* (see :mod:`gdxarray._kernels`); row r sits at position
    ``origin + r`` of the bins' coordinates.

    Each stored chunk is inflated, unshuffled and reduced by the C kernel, one
    call per batch of chunks, in a per-thread scratch buffer that stays in
    cache; chunks never written (NaN) are skipped without I/O.  Returns False
    (adding nothing) when the kernel, libdeflate or some chunk's raw bytes are
    unavailable: the caller then reduces decoded values.
    """
    kernel = _kernels.KERNEL
    if kernel is None or (plan.compressed and not plan.blosc2 and INFLATE is None):
        return False
    cr = plan.chunk_rows
    pieces = [(k, max(a, k * cr) - k * cr, min(b, (k + 1) * cr) - k * cr)
              for a, b in spans if b > a for k in range(a // cr, (b - 1) // cr + 1)]
    if not pieces:
        return True
    with HDF5_LOCK:
        if not plan.listed:
            nchunks = -(-int(leaf.shape[0]) // cr) * int(leaf.shape[1])
            if (nchunks <= LIST_ON_FIRST_TOUCH or len(pieces) > LIST_THRESHOLD
                    or len(plan.locations) * 100 > nchunks):
                list_locations(leaf, plan)
        locs = [locate(leaf, plan, k, col) for k, _, _ in pieces]
    if any(loc is None for loc in locs):
        return False
    size = cr * fmt.CONTINUOUS_DTYPE.itemsize
    scratch = _scratch("reduce", 2 * size)
    unshuffle = _fn_address(UNSHUFFLE)
    edges = np.ascontiguousarray(edges, dtype=np.int64)
    nbins = edges.size - 1
    if INFLATE is not None:
        decompress, d = INFLATE.decoder()
        inflate_fn = _fn_address(decompress)
    else:
        inflate_fn, d = None, None
    rc = ctypes.c_int(0)
    shuffle_flag = 2 if plan.shuffle else 0

    def run(raw, parts, where, flags, offsets):
        bad = kernel[1](inflate_fn, d, unshuffle, address(raw), address(parts), address(where),
                        len(where), cr, flags, address(scratch), address(edges), nbins,
                        address(acc), ctypes.byref(rc))
        if bad >= 0:
            raise _corrupt(plan, offsets[bad], INFLATE.reason(rc.value) if flags & 1
                           else f"{int(parts.reshape(-1, 4)[bad, 1]):,} bytes where a chunk "
                           f"holds {size:,}")

    stored = [(p, loc) for p, loc in zip(pieces, locs) if loc[0] is not None]
    if len(pieces) <= 4:  # a short range (the edge of a zoomed bin): through the chunk cache
        for (k, r0, r1), loc in stored:
            data = inflated(plan, loc)
            parts = np.array([0, size, r0, r1], dtype=np.int64)
            run(data, parts, np.array([origin + k * cr], dtype=np.int64), shuffle_flag, [loc[0]])
        return True
    flags = shuffle_flag | (1 if plan.compressed else 0)
    for i in range(0, len(stored), _BATCH):
        batch = stored[i:i + _BATCH]
        offsets = [loc[0] for _, loc in batch]
        nbytes = [loc[1] for _, loc in batch]
        first = min(offsets)
        span = max(o + nb for o, nb in zip(offsets, nbytes)) - first
        parts = np.empty((len(batch), 4), dtype=np.int64)
        if span <= 2 * sum(nbytes):  # written one after another: one read
            raw = _scratch("raw", span)
            _pread_exact(plan, raw, first)
            parts[:, 0] = np.array(offsets, dtype=np.int64) - first
        else:
            raw, where = _read_runs(plan, [loc for _, loc in batch], sum(nbytes))
            parts[:, 0] = [at for at, _, _ in where]
        parts[:, 1] = nbytes
        parts[:, 2:] = [(r0, r1) for (_, r0, r1), _ in batch]
        kk = np.array([k for (k, _, _), _ in batch], dtype=np.int64)
        if plan.blosc2:  # decoded first (libblosc2), then reduced as plain values
            decoded = _scratch("b2decoded", len(batch) * size)
            _fill(plan, raw, [(int(at), nb, o) for at, nb, o in
                              zip(parts[:, 0].tolist(), nbytes, offsets)], decoded, size)
            parts[:, 0] = np.arange(len(batch), dtype=np.int64) * size
            parts[:, 1] = size
            run(decoded, parts, origin + kk * cr, 0, offsets)
            continue
        run(raw, parts, origin + kk * cr, flags, offsets)
    return True

__all__ = ["CHUNK_CACHE", "LeafPlan", "forget", "inflated", "locate", "make_plan", "read_column",
           "reduce_column"]
