"""The two byte-level steps of decoding a chunk, in C, with pure-Python fallbacks.

A stored chunk is zlib-deflated and (usually) byte-shuffled.  Both steps are
done by C libraries that are already installed and already loaded:

* **inflate**: libdeflate, which the ``deflate`` package builds into its
  extension module and exports the C API of;
* **unshuffle**: ``blosc2_unshuffle`` (SSE2/AVX2, the same byte layout as
  HDF5's shuffle filter) from the libblosc2 that PyTables loads, found
  through PyTables' own extension module like ``H5Dchunk_iter``.

Called through ctypes, inflating releases the GIL (so scan threads and dask's
threaded scheduler overlap it), and both write straight into a caller's buffer:
nothing is allocated per chunk, which matters where malloc hands freed
memory back to the system at once, as under dask's nanny
(``MALLOC_TRIM_THRESHOLD_``), and every new buffer costs a page fault per
4 kB.  Measured on 40 kB chunks: libdeflate ~2x zlib; blosc2's unshuffle
~15 GB/s against ~2.5 GB/s for four strided numpy copies.

Where a library or symbol is missing, :data:`INFLATE` / :data:`UNSHUFFLE` are
None and callers use :func:`inflate` (bytes in, bytes out) and numpy.

May import: nothing of gdxarray (the lowest room of the read lane).
"""

from __future__ import annotations

import ctypes
import threading
import zlib

try:  # measured: ~2x faster inflate than zlib on these chunks
    import deflate as _deflate

    def inflate(data, size: int) -> bytes:
        """The zlib stream *data* decoded (*size*: the expected length)."""
        return _deflate.zlib_decompress(data, size)

    INFLATE_ERRORS: tuple = (zlib.error, _deflate.DeflateError)
except ImportError:  # pragma: no cover - optional accelerator
    def inflate(data, size: int) -> bytes:
        """The zlib stream *data* decoded (*size*: the expected length)."""
        return zlib.decompress(data, bufsize=size)

    INFLATE_ERRORS = (zlib.error,)


class _LibDeflate:
    """libdeflate's zlib decoder (one decompressor per thread: they are not shared)."""

    _REASONS = {1: "bad data", 2: "decodes to fewer bytes than a chunk holds",
                3: "decodes to more bytes than a chunk holds"}

    def __init__(self, path: str) -> None:
        lib = ctypes.CDLL(path)
        self._alloc = lib.libdeflate_alloc_decompressor
        self._alloc.restype, self._alloc.argtypes = ctypes.c_void_p, ()
        self._free = lib.libdeflate_free_decompressor
        self._free.restype, self._free.argtypes = None, (ctypes.c_void_p,)
        self._decompress = lib.libdeflate_zlib_decompress
        self._decompress.restype = ctypes.c_int
        # (decompressor, in, in_nbytes, out, out_nbytes_avail, actual_out_nbytes_ret);
        # a NULL last argument asks for exactly out_nbytes_avail bytes
        self._decompress.argtypes = (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                                     ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p)
        self._local = threading.local()

    def decoder(self):
        """``(decompress, d)`` for this thread: ``decompress(d, src, nsrc, dst, ndst, None)``
        decodes *nsrc* bytes at address *src* into exactly *ndst* bytes at *dst* and
        returns 0, or a code :meth:`reason` explains.  (A bound pair, not a method:
        a scan calls it per 40 kB chunk, and Python overhead here is time the GIL
        is held.)"""
        d = getattr(self._local, "d", None)
        if d is None:
            d = self._local.d = _Decompressor(self._alloc(), self._free)
        return self._decompress, d.ptr

    def reason(self, rc: int) -> str:
        return self._REASONS.get(rc, f"libdeflate error {rc}")


class _Decompressor:
    """Owns one libdeflate decompressor; freed with the thread that made it."""

    __slots__ = ("free", "ptr")

    def __init__(self, ptr: int | None, free) -> None:
        if not ptr:
            raise MemoryError("libdeflate could not allocate a decompressor")
        self.ptr, self.free = ptr, free

    def __del__(self) -> None:
        self.free(self.ptr)


def _load_inflate() -> _LibDeflate | None:
    try:
        from deflate import _deflate as ext

        return _LibDeflate(ext.__file__)
    except (ImportError, OSError, AttributeError):  # pragma: no cover - other builds
        return None


def _load_unshuffle():
    try:
        import tables.hdf5extension as ext

        # PyDLL: called with the GIL held.  A chunk takes ~3 us; releasing and
        # retaking the GIL around it cost more than that when threads contend
        # (measured: two scan threads ran slower than one)
        function = ctypes.PyDLL(ext.__file__).blosc2_unshuffle
    except (ImportError, OSError, AttributeError):  # pragma: no cover - other builds
        return None
    # int32 blosc2_unshuffle(int32 typesize, int32 blocksize, const void *src, void *dest)
    function.restype = ctypes.c_int32
    function.argtypes = (ctypes.c_int32, ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p)
    return function


def address(buf) -> int:
    """Address of the first byte of a numpy array (0.4 us; ``.ctypes.data`` is 1.5 us)."""
    try:
        return ctypes.addressof(_BYTE.from_buffer(buf))
    except TypeError:  # read-only
        return buf.__array_interface__["data"][0]


_BYTE = ctypes.c_char


def _self_test(inflate_lib, unshuffle) -> tuple:
    """Check each routine on a known input; one that disagrees (another build,
    another ABI) is dropped rather than trusted with an archive's bytes."""
    import numpy as np

    values = np.arange(-1000, 1000, dtype=np.float32) * np.float32(0.37)
    shuffled = values.view(np.uint8).reshape(-1, 4).T.copy().reshape(-1)  # HDF5's layout
    if inflate_lib is not None:
        stream = np.frombuffer(zlib.compress(shuffled.tobytes()), dtype=np.uint8).copy()
        out = np.zeros_like(shuffled)
        decompress, d = inflate_lib.decoder()
        if (decompress(d, address(stream), stream.size, address(out), out.size, None) != 0
                or not np.array_equal(out, shuffled)):
            inflate_lib = None
    if unshuffle is not None:
        out = np.zeros_like(values)
        if (unshuffle(4, shuffled.size, address(shuffled), address(out)) != shuffled.size
                or not np.array_equal(out, values)):
            unshuffle = None
    return inflate_lib, unshuffle


#: libdeflate (see :meth:`_LibDeflate.decoder`), or None.
#: ``UNSHUFFLE(typesize, nbytes, src, dst) -> nbytes`` (addresses), or None.
INFLATE, UNSHUFFLE = _self_test(_load_inflate(), _load_unshuffle())


__all__ = ["INFLATE", "INFLATE_ERRORS", "UNSHUFFLE", "address", "inflate"]
