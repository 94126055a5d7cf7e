"""Direct access to the HDF5 chunks of one column of a ``continuous`` EArray.

A ``continuous`` chunk is ``(rows, 1)``: *rows* float32 values of one track.
Reading or writing a column through PyTables' slicing goes through HDF5's
hyperslab and chunk-cache machinery, which on these tall, one-column chunks
is slow (measured on 5 Mbp: one column 0.30 s, three columns 1.5 s), while
``read_chunk``/``write_chunk`` plus numpy (un)shuffle and deflate take 0.08 s.
So the writers move whole chunks themselves when the dataset's filter
pipeline is one they can reproduce exactly: nothing, deflate, or shuffle +
deflate (what the reference and ``h5repack -f GZIP=1`` write).  Anything else
(another compressor, Fletcher32) falls back to slicing.

HDF5 keeps direct and ordinary I/O coherent (a direct read flushes a cached
chunk, a direct write evicts it), so the two may be mixed on one handle.
Call everything here with :data:`gdxarray.store.HDF5_LOCK` held.
"""

from __future__ import annotations

import os
import zlib

import numpy as np
from tables.exceptions import NoSuchChunkError

from .. import format as fmt
from ._common import deflate

from .._chunks import _inflate  # libdeflate when installed, else zlib

_ITEM = fmt.CONTINUOUS_DTYPE.itemsize


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


_CHUNK_ITER = _load_chunk_iter()


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
    if _CHUNK_ITER is None:
        return None
    function, callback_type = _CHUNK_ITER
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


def _base_address(path: str) -> int | None:
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


def _pipeline(earray) -> list[str] | None:
    """Filter names in pipeline order, or None when not reproducible here."""
    f = earray.filters
    if f.fletcher32 or f.bitshuffle or f.least_significant_digit is not None:
        return None
    if f.complevel == 0:
        return [] if not f.shuffle else None
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
        self.level = max(1, int(earray.filters.complevel))
        self._nan_blob: bytes | None = None
        self.stored: np.ndarray | None = None
        self.where: np.ndarray | None = None
        self._fd: int | None = None
        self._base = 0
        if self.nchunks and self.ncols:
            if self.direct and _CHUNK_ITER is not None and earray.size_on_disk:
                # raw reads at the listed addresses must see chunks HDF5 may
                # still hold in its chunk cache (written by slicing)
                earray.flush()
            found = stored_chunks(earray)
            if found is not None:
                self.stored, self.where = found
                if self.where is not None and self.direct:
                    base = _base_address(earray._v_file.filename)
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
        if "deflate" in self.pipeline:
            skipped = mask is not None and mask & (1 << self.pipeline.index("deflate"))
            if not skipped:
                try:
                    data = _inflate(raw, self.rows * _ITEM)
                except Exception:  # noqa: BLE001 - zlib.error / libdeflate error
                    if mask is not None or len(raw) != self.rows * _ITEM:
                        raise
        if "shuffle" in self.pipeline and not (mask and mask & 1):
            planes = np.frombuffer(data, np.uint8).reshape(_ITEM, -1)
            out = np.empty((planes.shape[1], _ITEM), dtype=np.uint8)
            for i in range(_ITEM):  # four strided byte copies beat one transposed copy
                out[:, i] = planes[i]
            return out.view(fmt.CONTINUOUS_DTYPE).reshape(-1)
        return np.frombuffer(data, dtype=fmt.CONTINUOUS_DTYPE).copy()

    def _encode(self, values: np.ndarray) -> bytes:
        data = np.ascontiguousarray(values, dtype=fmt.CONTINUOUS_DTYPE)
        if "shuffle" in self.pipeline:
            data = np.ascontiguousarray(data.view(np.uint8).reshape(-1, _ITEM).T)
        if "deflate" in self.pipeline:
            return deflate(data.reshape(-1), self.level)
        return data.tobytes()

    # -- reads -------------------------------------------------------------
    def read(self, chunk: int, col: int) -> np.ndarray | None:
        """The ``rows`` values of a chunk (NaN past the array end), or None if never written."""
        if self.stored is not None and not self.stored[col, chunk]:
            return None
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
                raise ValueError(f"chunk of {len(values)} values, expected {self.rows}")
        else:
            if not self.allocated(chunk, col):
                return None
            a = chunk * self.rows
            values = np.full(self.rows, np.nan, dtype=fmt.CONTINUOUS_DTYPE)
            values[:self.valid(chunk)] = self.earray[a:a + self.valid(chunk), col]
        values[self.valid(chunk):] = np.nan  # whatever HDF5 left past the end
        return values

    def read_or_nan(self, chunk: int, col: int) -> np.ndarray:
        values = self.read(chunk, col)
        if values is None:
            values = np.full(self.rows, np.nan, dtype=fmt.CONTINUOUS_DTYPE)
        return values

    # -- writes ------------------------------------------------------------
    def write(self, chunk: int, col: int, values: np.ndarray) -> None:
        """Store a whole chunk (``rows`` values; those past the array end are ignored)."""
        if self.direct:
            if len(values) != self.rows:
                values = np.concatenate([values, np.full(self.rows - len(values), np.nan,
                                                         fmt.CONTINUOUS_DTYPE)])
            self.earray.write_chunk((chunk * self.rows, col), self._encode(values))
        else:
            a = chunk * self.rows
            self.earray[a:a + self.valid(chunk), col] = values[:self.valid(chunk)]
        if self.stored is not None:
            self.stored[col, chunk] = True
        if self.where is not None:
            self.where[col, chunk, 0] = -1

    def write_run(self, first: int, col: int, values: np.ndarray) -> None:
        """Store consecutive whole chunks starting at *first* (``k * rows`` values)."""
        if self.direct:
            for k in range(len(values) // self.rows):
                self.write(first + k, col, values[k * self.rows:(k + 1) * self.rows])
        else:
            a = first * self.rows
            b = min(a + len(values), self.nrows)
            self.earray[a:b, col] = values[:b - a]
            if self.stored is not None:
                self.stored[col, first:first + -(-(b - a) // self.rows)] = True
            if self.where is not None:
                self.where[col, first:first + -(-(b - a) // self.rows), 0] = -1

    def write_nan(self, chunk: int, col: int) -> None:
        """Overwrite a chunk with NaN (the compressed blob is made once)."""
        if self.direct:
            if self._nan_blob is None:
                self._nan_blob = self._encode(np.full(self.rows, np.nan, fmt.CONTINUOUS_DTYPE))
            self.earray.write_chunk((chunk * self.rows, col), self._nan_blob)
            if self.where is not None:
                self.where[col, chunk, 0] = -1
        else:
            a = chunk * self.rows
            self.earray[a:a + self.valid(chunk), col] = np.full(self.valid(chunk), np.nan,
                                                                fmt.CONTINUOUS_DTYPE)
