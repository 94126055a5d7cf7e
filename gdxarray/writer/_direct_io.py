"""Direct access to the HDF5 chunks of one column of a ``continuous`` EArray.

A ``continuous`` chunk is ``(rows, 1)``: *rows* float32 values of one track.
Reading or writing a column through PyTables' slicing goes through HDF5's
hyperslab and chunk-cache machinery, which on these tall, one-column chunks
is slow (measured on 5 Mbp: one column 0.30 s, three columns 1.5 s), while
``read_chunk``/``write_chunk`` plus numpy (un)shuffle and deflate take 0.08 s.
So the writers move whole chunks themselves when the dataset's filter
pipeline is one they can reproduce exactly: nothing, deflate, or shuffle +
deflate (what the reference and ``h5repack -f GZIP=1`` write), or PyTables'
Blosc2 filter (``--compression blosc2-*``, see :mod:`._blosc2`).  Anything
else (another compressor, Fletcher32) falls back to slicing.

HDF5 keeps direct and ordinary I/O coherent (a direct read flushes a cached
chunk, a direct write evicts it), so the two may be mixed on one handle.
Rewriting a stored chunk follows the kill-safety protocol of
:mod:`gdxarray.writer._undo` (undo record, write, flush); creating one
(or opening a file r+ here) first undoes what a killed writer left in flight.

Call everything here with :data:`gdxarray.store.HDF5_LOCK` held.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import tables
from tables.exceptions import NoSuchChunkError

from .. import format as fmt
from ..errors import CorruptChunkError
from ..store import read_tracknames
from . import _undo
from ._common import COMPRESS_THREADS, deflate

from .._chunks import CHUNK_ITER, base_address, unshuffle, stored_chunks
from .._native import BLOSC2, INFLATE_ERRORS, SHUFFLE, address, blosc2_decode, inflate
from ._blosc2 import encoder_for

_ITEM = fmt.CONTINUOUS_DTYPE.itemsize


def _pipeline(earray) -> list[str] | None:
    """Filter names in pipeline order, or None when not reproducible here."""
    f = earray.filters
    if f.fletcher32 or f.bitshuffle or f.least_significant_digit is not None:
        return None
    if f.complevel == 0:
        return [] if not f.shuffle else None
    if f.complib.startswith("blosc2:") and not f.bitshuffle:
        return ["blosc2"]  # one filter: blosc2 shuffles inside it
    if f.complib != "zlib":
        return None
    # PyTables puts shuffle in front of the compressor
    return ["shuffle", "deflate"] if f.shuffle else ["deflate"]


class ColumnChunks:
    """Whole-chunk reads and writes of the columns of one ``continuous`` EArray."""

    def __init__(self, earray) -> None:
        self.earray = earray
        self.rows = int(earray.chunkshape[0])
        self.nrows = int(earray.shape[0])
        self.ncols = int(earray.shape[1])
        self.nchunks = -(-self.nrows // self.rows) if self.rows else 0
        pipeline = _pipeline(earray)
        self.direct = (pipeline is not None and int(earray.chunkshape[1]) == 1
                       and earray.atom.dtype == fmt.CONTINUOUS_DTYPE
                       and earray.byteorder in ("little", "irrelevant"))
        self.pipeline = pipeline or []
        self._frames = None
        if self.direct and self.pipeline == ["blosc2"]:
            self._frames = encoder_for(earray)  # None: slice through PyTables
            self.direct = self._frames is not None
        self.level = max(1, int(earray.filters.complevel))
        self._nan_blob: bytes | None = None
        self._uniform_blobs: dict[int, bytes] = {}  # bit pattern -> stored chunk
        self.stored: np.ndarray | None = None
        self.where: np.ndarray | None = None
        self._fd: int | None = None
        self._base = 0
        self.h5 = earray._v_file
        if self.h5.mode != "r":
            _undo.recover(self.h5)
        if self.nchunks and self.ncols:
            if self.direct and CHUNK_ITER is not None and earray.size_on_disk:
                # raw reads at the listed addresses must see chunks HDF5 may
                # still hold in its chunk cache (written by slicing)
                earray.flush()
            found = stored_chunks(earray)
            if found is not None:
                self.stored, self.where = found
                if self.where is not None and self.direct:
                    base = base_address(earray._v_file.filename)
                    if base is None:
                        self.where = None
                    else:
                        self._base = base
                else:
                    self.where = None

    def close(self) -> None:
        """Close the raw file descriptor (if one was opened)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def _raw(self, chunk: int, col: int) -> tuple[bytes, int] | None:
        """Stored bytes and filter mask of a chunk read straight from the file.

        ``read_chunk`` costs a B-tree lookup per call (~50-300 us measured on
        archives of 10k-20k chunks); the addresses listed by H5Dchunk_iter make
        it one ``pread``.  Chunks written since the listing have address -1.
        """
        if self.where is None:
            return None
        addr, size, mask = (int(x) for x in self.where[col, chunk])
        if addr < 0:
            return None
        if self._fd is None:
            self._fd = os.open(self.earray._v_file.filename, os.O_RDONLY)
        data = os.pread(self._fd, size, self._base + addr)
        if len(data) != size:
            return None
        return data, mask

    # -- helpers -----------------------------------------------------------
    def valid(self, chunk: int) -> int:
        """Rows of *chunk* inside the array (less than ``rows`` for the last one)."""
        return min(self.rows, self.nrows - chunk * self.rows)

    def allocated(self, chunk: int, col: int) -> bool:
        if self.stored is not None:
            return bool(self.stored[col, chunk])
        return self.earray.chunk_info((chunk * self.rows, col)).offset is not None

    def candidates(self, col: int, first: int, stop: int) -> list[int]:
        """Chunks in ``[first, stop)`` of a column that may be stored (all when unknown)."""
        if self.stored is not None:
            return (np.flatnonzero(self.stored[col, first:stop]) + first).tolist()
        return list(range(first, stop))

    def _decode(self, raw: bytes, mask: int | None = None) -> np.ndarray:
        # with mask None (read_chunk does not return it, and asking chunk_info
        # costs a second B-tree lookup), a chunk whose optional deflate step
        # was skipped is recognised by failing to inflate while having exactly
        # the raw size
        data = raw
        if self._frames is not None:
            if mask:  # the (optional) blosc2 filter was skipped: raw values
                return np.frombuffer(raw, dtype=fmt.CONTINUOUS_DTYPE).copy()
            return self._unframe(raw)
        if "deflate" in self.pipeline:
            skipped = mask is not None and mask & (1 << self.pipeline.index("deflate"))
            if not skipped:
                try:
                    data = inflate(raw, self.rows * _ITEM)
                except Exception:  # noqa: BLE001 - zlib.error / libdeflate error
                    if mask is not None or len(raw) != self.rows * _ITEM:
                        raise
        if "shuffle" in self.pipeline and not (mask and mask & 1):
            out = np.empty(len(data) // _ITEM, dtype=fmt.CONTINUOUS_DTYPE)
            unshuffle(np.frombuffer(data, np.uint8).reshape(1, _ITEM, -1), out)
            return out
        return np.frombuffer(data, dtype=fmt.CONTINUOUS_DTYPE).copy()

    def _unframe(self, raw: bytes) -> np.ndarray:
        size = self.rows * _ITEM
        if BLOSC2 is None:
            return np.frombuffer(blosc2_decode(raw, size), dtype=fmt.CONTINUOUS_DTYPE).copy()
        buf = np.frombuffer(raw, dtype=np.uint8)
        out = np.empty(self.rows, dtype=fmt.CONTINUOUS_DTYPE)
        why = BLOSC2.decode(buf, address(buf), 0, buf.size, address(out), size)
        if why is not None:
            raise ValueError(f"blosc2 chunk: {why}")
        return out

    def _encode(self, values: np.ndarray) -> bytes:
        if self._frames is not None:
            return self._frames.encode(values)
        data = np.ascontiguousarray(values, dtype=fmt.CONTINUOUS_DTYPE)
        if "shuffle" in self.pipeline:
            if SHUFFLE is not None:  # SIMD, ~10x the transposing copy
                out = np.empty(data.nbytes, dtype=np.uint8)
                SHUFFLE(_ITEM, data.nbytes, address(data), address(out))
                data = out
            else:
                data = np.ascontiguousarray(data.view(np.uint8).reshape(-1, _ITEM).T)
        if "deflate" in self.pipeline:
            return deflate(data.reshape(-1), self.level)
        return data.tobytes()

    def _encode_chunk(self, values: np.ndarray) -> bytes:
        """:meth:`_encode`, with the blob of a chunk of one repeated value made once.

        Read counts leave whole chunks of 0 (and bedGraph long runs of one
        value): compressing each again cost ~40 us a chunk, ~0.4 s per 100 Mbp
        (measured); the test is three element looks, then one pass.
        """
        bits = np.ascontiguousarray(values, dtype=fmt.CONTINUOUS_DTYPE).view(np.uint32)
        first = bits[0]
        if first == bits[-1] and first == bits[len(bits) // 2] and bool((bits == first).all()):
            blob = self._uniform_blobs.get(int(first))
            if blob is None:
                blob = self._encode(values)
                if len(self._uniform_blobs) < 16:
                    self._uniform_blobs[int(first)] = blob
            return blob
        return self._encode(values)

    # -- reads -------------------------------------------------------------
    def read(self, chunk: int, col: int) -> np.ndarray | None:
        """The ``rows`` values of a chunk (NaN past the array end), or None if never written."""
        if self.stored is not None and not self.stored[col, chunk]:
            return None
        try:
            if self.direct:
                listed = self._raw(chunk, col)
                if listed is not None:
                    values = self._decode(*listed)
                else:
                    try:
                        raw = self.earray.read_chunk((chunk * self.rows, col))
                    except NoSuchChunkError:
                        return None
                    values = self._decode(raw)
                if len(values) != self.rows:
                    raise ValueError(f"it decodes to {len(values)} values, not {self.rows}")
            else:
                if not self.allocated(chunk, col):
                    return None
                a = chunk * self.rows
                values = np.full(self.rows, np.nan, dtype=fmt.CONTINUOUS_DTYPE)
                values[:self.valid(chunk)] = self.earray[a:a + self.valid(chunk), col]
        except (*INFLATE_ERRORS, ValueError, tables.HDF5ExtError) as exc:
            raise self.corrupt(chunk, col, exc) from None
        values[self.valid(chunk):] = np.nan  # whatever HDF5 left past the end
        return values

    def corrupt(self, chunk: int, col: int, why) -> CorruptChunkError:
        """The one-line error for a stored chunk that does not decode: file,
        track, chromosome, position, and the way out."""
        node = self.earray
        try:
            names = read_tracknames(self.h5.root._v_attrs)
            track = names[col] if col < len(names) else f"column {col}"
        except Exception:  # noqa: BLE001 - a damaged archive: name the column
            track = f"column {col}"
        sc = node._v_parent
        chrom_group = sc._v_parent
        if chrom_group is self.h5.root:  # directory archive: one chromosome per file
            chrom = os.path.basename(self.h5.filename).removesuffix(fmt.SUFFIX)
        else:
            chrom = chrom_group._v_name
        try:
            start = int(sc._v_attrs[fmt.ATTR_START]) + chunk * self.rows
            where = f"{chrom}:{start}-{start + self.valid(chunk)}"
        except Exception:  # noqa: BLE001
            where = f"{chrom} ({sc._v_name}, rows {chunk * self.rows}-)"
        return CorruptChunkError(
            f"{self.h5.filename}: track {track!r} at {where}: the stored chunk does not "
            f"decode ({why or type(why).__name__}); erase and reload the track "
            f"(genomedata-erase-data --trackname {track}, then genomedata-load-data)")

    def read_or_nan(self, chunk: int, col: int) -> np.ndarray:
        values = self.read(chunk, col)
        if values is None:
            values = np.full(self.rows, np.nan, dtype=fmt.CONTINUOUS_DTYPE)
        return values

    # -- writes ------------------------------------------------------------
    def _old(self, chunk: int, col: int) -> tuple[int, int, int, bytes] | None:
        """Index entry and bytes of a chunk about to be rewritten (None: not stored)."""
        if self.stored is not None and not self.stored[col, chunk]:
            return None
        coords = (chunk * self.rows, col)
        if self.where is not None:
            addr, size, mask = (int(x) for x in self.where[col, chunk])
            if addr >= 0:
                listed = self._raw(chunk, col)
                if listed is not None:
                    return addr, size, mask, listed[0]
        info = self.earray.chunk_info(coords)
        if info.offset is None:
            return None
        return int(info.offset), int(info.size), int(info.filter_mask), \
            bytes(self.earray.read_chunk(coords))

    def _put(self, chunk: int, col: int, blob: bytes | None, values: np.ndarray | None) -> None:
        """Store one chunk (raw *blob*, or *values* through slicing); a stored chunk
        is rewritten under the undo protocol of :mod:`._undo`."""
        old = self._old(chunk, col)
        if old is not None:
            _undo.record(self.h5, self.earray._v_pathname, chunk * self.rows, col, *old)
        if blob is not None:
            self.earray.write_chunk((chunk * self.rows, col), blob)
        else:
            a = chunk * self.rows
            self.earray[a:a + self.valid(chunk), col] = values[:self.valid(chunk)]
        _undo.kill_point("write")
        if old is not None:
            _undo.kill_point("rewrite")
            # the old bytes are free space now: the index on disk must stop naming
            # them before anything can be allocated over them
            _undo.flush(self.h5)
        if self.stored is not None:
            self.stored[col, chunk] = True
        if self.where is not None:
            self.where[col, chunk, 0] = -1

    def _padded(self, values: np.ndarray) -> np.ndarray:
        if len(values) == self.rows:
            return values
        return np.concatenate([values, np.full(self.rows - len(values), np.nan,
                                               fmt.CONTINUOUS_DTYPE)])

    def write(self, chunk: int, col: int, values: np.ndarray) -> None:
        """Store a whole chunk (``rows`` values; those past the array end are ignored)."""
        if self.direct:
            self._put(chunk, col, self._encode_chunk(self._padded(values)), None)
        else:
            self._put(chunk, col, None, values)

    def write_encoded(self, chunk: int, col: int, blob: bytes) -> None:
        """Store a chunk :func:`encode_chunks` encoded (direct arrays only)."""
        self._put(chunk, col, blob, None)

    def write_run(self, first: int, col: int, values: np.ndarray) -> None:
        """Store consecutive whole chunks starting at *first* (``k * rows`` values)."""
        count = -(-min(len(values), (self.nrows - first * self.rows)) // self.rows)
        fresh = self.stored is not None and not self.stored[col, first:first + count].any()
        if self.direct or not fresh:
            for k in range(count):
                self.write(first + k, col, values[k * self.rows:(k + 1) * self.rows])
        else:  # chunks never stored: one slicing call
            a = first * self.rows
            b = min(a + len(values), self.nrows)
            self.earray[a:b, col] = values[:b - a]
            self.stored[col, first:first + count] = True
            if self.where is not None:
                self.where[col, first:first + count, 0] = -1

    def write_nan(self, chunk: int, col: int) -> None:
        """Overwrite a chunk with NaN (the compressed blob is made once)."""
        if self.direct:
            if self._nan_blob is None:
                self._nan_blob = self._encode(np.full(self.rows, np.nan, fmt.CONTINUOUS_DTYPE))
            self._put(chunk, col, self._nan_blob, None)
        else:
            self._put(chunk, col, None, np.full(self.rows, np.nan, fmt.CONTINUOUS_DTYPE))


#: Chunks encoded per call below which one thread does it all (a thread hand-off
#: costs more than a few 30 us chunk encodes).
PARALLEL_ENCODE_MIN = 8
_ENCODERS: dict = {}
_ENCODERS_LOCK = threading.Lock()


def _encode_pool(workers: int) -> ThreadPoolExecutor:
    """The writer's own encoding threads (not the read pool: a read-ahead task queued
    there may wait for the HDF5 lock this caller holds)."""
    with _ENCODERS_LOCK:
        pool = _ENCODERS.get(os.getpid())
        if pool is None:  # new process (or a forked child, whose parent's threads are gone)
            _ENCODERS.clear()
            pool = _ENCODERS[os.getpid()] = ThreadPoolExecutor(
                workers, thread_name_prefix="gdxarray-encode")
        return pool


def encode_chunks(items: list[tuple[ColumnChunks, np.ndarray]]) -> list[bytes]:
    """The stored bytes of whole chunks ``(chunks, values)`` of direct zlib arrays, in
    order: shuffle and ISA-L deflate release the GIL, so many chunks are split
    between this thread and the writer's encoding threads (liftover writes 8,400
    chunks per 100 Mbp: 0.25 s of deflate on one core)."""
    workers = COMPRESS_THREADS - 1
    if (workers < 1 or len(items) < PARALLEL_ENCODE_MIN
            or any(io._frames is not None for io, _ in items)):  # blosc2: one context
        return [io._encode_chunk(io._padded(v)) for io, v in items]
    pool = _encode_pool(workers)
    step = -(-len(items) // (workers + 1))
    parts = [items[i:i + step] for i in range(0, len(items), step)]

    def run(part):
        return [io._encode_chunk(io._padded(v)) for io, v in part]

    futures = [pool.submit(run, part) for part in parts[1:]]
    out = run(parts[0])
    for f in futures:
        out.extend(f.result())
    return out
