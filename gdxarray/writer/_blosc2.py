"""Blosc2 chunks made as PyTables' Blosc2 HDF5 filter stores them, for direct chunk writes.

PyTables' filter stores each chunk as a Blosc2 contiguous frame: a header
(with a ``b2nd`` metalayer giving the chunk's shape), one blosc2 chunk
(shuffled and compressed inside), an offsets index and a trailer.  For one
dataset only the chunk and two header fields (frame length, compressed
bytes) change from chunk to chunk, so :class:`FrameEncoder` asks PyTables once
for a frame of the dataset's filters and chunk shape (an in-memory file),
keeps its header and tail, and puts each newly compressed chunk between them.
It checks itself before use: a frame it made, written into the in-memory
dataset with ``write_chunk``, must read back through PyTables' own filter.
Where anything disagrees, the writer slices through PyTables instead.

Compressing uses python-blosc2 (a dependency of PyTables), imported on first use.
"""

from __future__ import annotations

import itertools
import struct
import threading

import numpy as np
import tables

from .. import format as fmt
from .._native import FRAME_MAGIC, frame_chunk

#: Header fields a frame's length and compressed size live in: msgpack markers
#: at bytes 15 (0xcf: uint64 frame length), 29 and 38 (0xd3: int64 bytes
#: decoded, bytes compressed); 24-28 are a fixstr of general flags.
_FIELDS = ((15, 0xCF), (24, 0xA4), (29, 0xD3), (38, 0xD3))
_CBYTES_AT = 39
_U64 = struct.Struct(">Q")

_CACHE: dict[tuple, FrameEncoder | None] = {}
_LOCK = threading.Lock()
_COUNTER = itertools.count()


def encoder_for(earray) -> FrameEncoder | None:
    """The encoder of *earray*'s filters and chunk shape (made once per process), or None."""
    f = earray.filters
    key = (f.complib, int(f.complevel), bool(f.shuffle), int(earray.chunkshape[0]))
    with _LOCK:
        if key not in _CACHE:
            try:
                _CACHE[key] = FrameEncoder(f, int(earray.chunkshape[0]))
            except (ValueError, ImportError, OSError, tables.HDF5ExtError, struct.error):
                _CACHE[key] = None
        return _CACHE[key]


class FrameEncoder:
    """Encodes ``rows`` float32 values as the frame PyTables' filter would store."""

    def __init__(self, filters: tables.Filters, rows: int) -> None:
        import blosc2

        self.rows = rows
        self.size = rows * fmt.CONTINUOUS_DTYPE.itemsize
        probe = np.arange(rows, dtype=fmt.CONTINUOUS_DTYPE) * np.float32(0.37)
        path = f"gdxarray-blosc2-{next(_COUNTER)}.h5"
        h5 = tables.open_file(path, "w", driver="H5FD_CORE", driver_core_backing_store=0)
        try:
            earray = h5.create_earray("/", "c", fmt.CONTINUOUS_ATOM, (2 * rows, 0),
                                      chunkshape=(rows, 1), filters=filters)
            earray.truncate(1)
            earray[:rows, 0] = probe
            h5.flush()
            template = bytes(earray.read_chunk((0, 0)))
            found = frame_chunk(template, 0, len(template), self.size)
            if found is None or not template.startswith(FRAME_MAGIC):
                raise ValueError("PyTables' blosc2 chunk is not a one-chunk frame")
            hlen, cbytes = found
            for at, marker in _FIELDS:
                if template[at] != marker:
                    raise ValueError("unexpected Blosc2 frame header")
            if (_U64.unpack_from(template, 16)[0] != len(template)
                    or _U64.unpack_from(template, _CBYTES_AT)[0] != cbytes):
                raise ValueError("unexpected Blosc2 frame header")
            chunk = template[hlen:hlen + cbytes]
            self._head = bytearray(template[:hlen])
            self._tail = template[hlen + cbytes:]
            codec = filters.complib.split(":", 1)[1]
            self._codec = blosc2.Codec[codec.upper()]
            self._level = int(filters.complevel)
            self._blocksize = int.from_bytes(chunk[8:12], "little")
            self._compress = blosc2.compress2
            self._filters = [blosc2.Filter.SHUFFLE] if filters.shuffle else [blosc2.Filter.NOFILTER]
            # the check: frames made here read back through PyTables' filter
            other = np.where(np.arange(rows) % 7 == 0, np.nan, probe[::-1]).astype(probe.dtype)
            for k, values in enumerate((other, np.zeros(rows, dtype=probe.dtype))):
                earray.write_chunk((rows * (k % 2), 0), self.encode(values))
                back = earray[rows * (k % 2):rows * (k % 2 + 1), 0]
                if not np.array_equal(back, values, equal_nan=True):
                    raise ValueError("a frame made here does not read back through PyTables")
        finally:
            h5.close()

    def encode(self, values: np.ndarray) -> bytes:
        """*values* (``rows`` float32) as one stored chunk."""
        chunk = self._compress(np.ascontiguousarray(values, dtype=fmt.CONTINUOUS_DTYPE),
                               codec=self._codec, clevel=self._level, typesize=4,
                               filters=self._filters, blocksize=self._blocksize)
        head = bytearray(self._head)
        _U64.pack_into(head, 16, len(head) + len(chunk) + len(self._tail))
        _U64.pack_into(head, _CBYTES_AT, len(chunk))
        return b"".join((head, chunk, self._tail))


__all__ = ["FrameEncoder", "encoder_for"]
