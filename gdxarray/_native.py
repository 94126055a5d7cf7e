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

Archives written with ``--compression blosc2-*`` store each chunk as a Blosc2
contiguous frame (what PyTables' Blosc2 HDF5 filter writes): a header, one
blosc2 chunk (already byte-shuffled inside), an offsets index and a trailer.
:data:`BLOSC2` decodes them with libblosc2's C API: the chunk is found inside
the frame and ``blosc2_decompress_ctx`` runs with a per-thread context (the GIL
released); python-blosc2 objects cost ~2x the decode itself in Python overhead
(measured).  It loads the libblosc2 that python-blosc2 ships (a dependency of
PyTables), not the copy inside PyTables: the latter decoded zstd chunks ~6x
slower here (measured, same bytes).  :func:`blosc2_decode` is the fallback.

May import: nothing of gdxarray (the lowest room of the read lane).
"""

from __future__ import annotations

import ctypes
import os
import struct
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


def _load_unshuffle(name: str = "blosc2_unshuffle"):
    try:
        import tables.hdf5extension as ext

        # PyDLL: called with the GIL held.  A chunk takes ~3 us; releasing and
        # retaking the GIL around it cost more than that when threads contend
        # (measured: two scan threads ran slower than one)
        function = getattr(ctypes.PyDLL(ext.__file__), name)
    except (ImportError, OSError, AttributeError):  # pragma: no cover - other builds
        return None
    # int32 blosc2_(un)shuffle(int32 typesize, int32 blocksize, const void *src, void *dest)
    function.restype = ctypes.c_int32
    function.argtypes = (ctypes.c_int32, ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p)
    return function


#: First bytes of a Blosc2 contiguous frame: msgpack fixarray(14), str8 "b2frame\\0",
#: then int32 (marker 0xd2) the header length, where the first chunk starts.
FRAME_MAGIC = b"\x9e\xa8b2frame\x00\xd2"
_FRAME_HEADER = struct.Struct(">i")  # at byte 11
_CHUNK_SIZES = struct.Struct("<iii")  # nbytes, blocksize, cbytes at byte 4 of a chunk


def frame_chunk(buf, at: int, nbytes: int, size: int) -> tuple[int, int] | None:
    """(offset, cbytes) of the one blosc2 chunk of *size* decoded bytes inside the
    frame ``buf[at:at + nbytes]``, or None where it is not laid out plainly there
    (a chunk of zeros, which a frame keeps as a flag; not a frame at all)."""
    if nbytes < 32 or bytes(buf[at:at + 11]) != FRAME_MAGIC:
        return None
    (hlen,) = _FRAME_HEADER.unpack_from(buf, at + 11)
    if hlen < 16 or hlen + 16 > nbytes:
        return None
    chunk_bytes, _, cbytes = _CHUNK_SIZES.unpack_from(buf, at + hlen + 4)
    if chunk_bytes != size or cbytes < 16 or hlen + cbytes > nbytes:
        return None
    return hlen, cbytes


def blosc2_decode(data, size: int) -> bytes:
    """The frame *data* decoded with python-blosc2 (*size*: the expected length);
    raises ValueError / RuntimeError on bad data."""
    import blosc2

    try:
        schunk = blosc2.schunk_from_cframe(bytes(data), copy=False)
        if schunk.nchunks != 1:
            raise ValueError(f"a frame of {schunk.nchunks} chunks, not 1")
        out = schunk.decompress_chunk(0)
    except (RuntimeError, ValueError, TypeError) as exc:
        raise ValueError(f"blosc2: {exc or type(exc).__name__}") from None
    if len(out) != size:
        raise ValueError(f"blosc2: decodes to {len(out):,} bytes, a chunk holds {size:,}")
    return out


class _DParams(ctypes.Structure):
    # blosc2_dparams (c-blosc2 2.x, plus 3.x's trailing typesize): passed by value
    _fields_ = [("nthreads", ctypes.c_int16), ("schunk", ctypes.c_void_p),
                ("postfilter", ctypes.c_void_p), ("postparams", ctypes.c_void_p),
                ("typesize", ctypes.c_int32)]


class _LibBlosc2:
    """libblosc2's decoder of the chunk inside a frame (a context per thread)."""

    def __init__(self, path: str) -> None:
        lib = ctypes.CDLL(path)
        lib.blosc2_init.restype, lib.blosc2_init.argtypes = None, ()
        lib.blosc2_init()
        self._create = lib.blosc2_create_dctx
        self._create.restype, self._create.argtypes = ctypes.c_void_p, (_DParams,)
        self._free = lib.blosc2_free_ctx
        self._free.restype, self._free.argtypes = None, (ctypes.c_void_p,)
        # int blosc2_decompress_ctx(ctx, const void *src, int32 srcsize, void *dest, int32 destsize)
        self._decompress = lib.blosc2_decompress_ctx
        self._decompress.restype = ctypes.c_int
        self._decompress.argtypes = (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int32,
                                     ctypes.c_void_p, ctypes.c_int32)
        # the general route (a chunk of zeros is a flag in the frame, not a chunk)
        self._open = lib.blosc2_schunk_from_buffer
        self._open.restype = ctypes.c_void_p
        self._open.argtypes = (ctypes.c_void_p, ctypes.c_int64, ctypes.c_bool)
        self._chunk = lib.blosc2_schunk_decompress_chunk
        self._chunk.restype = ctypes.c_int
        self._chunk.argtypes = (ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int32)
        self._close = lib.blosc2_schunk_free
        self._close.restype, self._close.argtypes = ctypes.c_int, (ctypes.c_void_p,)
        self._local = threading.local()

    def _ctx(self) -> int:
        d = getattr(self._local, "d", None)
        if d is None:
            d = self._local.d = _Decompressor(self._create(_DParams(1, None, None, None, 4)),
                                              self._free)
        return d.ptr

    def decode(self, buf, base: int, at: int, nbytes: int, dst: int, size: int) -> str | None:
        """Decode the frame ``buf[at:at + nbytes]`` (*base*: address of ``buf[0]``)
        into exactly *size* bytes at address *dst*; None, or why it failed."""
        found = frame_chunk(buf, at, nbytes, size)
        if found is not None:
            hlen, cbytes = found
            rc = self._decompress(self._ctx(), base + at + hlen, cbytes, dst, size)
            if rc == size:
                return None
            return f"blosc2 error {rc}" if rc < 0 else f"decodes to {rc:,} bytes, not {size:,}"
        if nbytes < 32 or bytes(buf[at:at + 11]) != FRAME_MAGIC:
            return "not a Blosc2 frame"
        schunk = self._open(base + at, nbytes, False)
        if not schunk:
            return "a Blosc2 frame libblosc2 cannot open"
        try:
            rc = self._chunk(schunk, 0, dst, size)
        finally:
            self._close(schunk)
        if rc == size:
            return None
        return f"blosc2 error {rc}" if rc < 0 else f"decodes to {rc:,} bytes, not {size:,}"


def _load_blosc2() -> _LibBlosc2 | None:
    import glob
    import importlib.util

    try:
        spec = importlib.util.find_spec("blosc2")  # located, not imported (0.7 s)
        where = list(spec.submodule_search_locations or []) if spec else []
        paths = sorted(p for d in where for p in glob.glob(os.path.join(d, "lib", "libblosc2.so*"))
                       + glob.glob(os.path.join(d, "lib", "libblosc2*.dylib")))
        if not paths:  # other builds: the copy PyTables links
            import tables.hdf5extension as ext

            paths = [ext.__file__]
        return _LibBlosc2(paths[0])
    except (ImportError, OSError, AttributeError, ValueError):  # pragma: no cover
        return None


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


def _test_shuffle(shuffle):
    """The writers' shuffle, checked as :func:`_self_test` checks the others (or None)."""
    import numpy as np

    if shuffle is None:
        return None
    values = np.arange(-1000, 1000, dtype=np.float32) * np.float32(0.37)
    out = np.zeros(values.nbytes, dtype=np.uint8)
    if (shuffle(4, values.nbytes, address(values), address(out)) != values.nbytes
            or not np.array_equal(out, values.view(np.uint8).reshape(-1, 4).T.reshape(-1))):
        return None
    return shuffle


#: libdeflate (see :meth:`_LibDeflate.decoder`), or None.
#: ``UNSHUFFLE(typesize, nbytes, src, dst) -> nbytes`` (addresses), or None.
#: ``SHUFFLE``: the writers' inverse (HDF5's shuffle filter layout), or None.
INFLATE, UNSHUFFLE = _self_test(_load_inflate(), _load_unshuffle())
SHUFFLE = _test_shuffle(_load_unshuffle("blosc2_shuffle"))

#: Blosc2 frames PyTables' filter wrote (zstd level 1, lz4 level 5, shuffle) of
#: ``arange(-32, 32) * 0.37`` as float32, and of 10,000 float32 zeros (a frame
#: whose chunk is a flag): :func:`_self_test_blosc2` decodes them.
_KNOWN_FRAMES = (
    (
        "nqhiMmZyYW1lANIAAAClzwAAAAAAAAIQpBIAFQPTAAAAAAAAAQDTAAAAAAAAASDSAAAABNIAAAEA0gAAAQDRAADR"
        "AAHC2AYAAAAAAAEFAAAAAAAAAAAAk80AEd4AAaRiMm5k0gAAAGvcAAHGAAAANZcAApLTAAAAAAAAAEDTAAAAAAAA"
        "AAGS0gAAAEDSAAAAAZLSAAAAQNIAAAABANsAAAADfFY0BQGHBAABAAAAAQAAIAEAAAAAAAAAAQUAAAAAAAAAAACk"
        "cD3BH4U3wZqZMcEVrivBkMIlwQrXH8GF6xnBAAAUwXsUDsH2KAjBcT0Cwdej+MDNzOzAw/XgwLge1cCuR8nApHC9"
        "wJqZscCQwqXAheuZwHsUjsBxPYLAzcxswLgeVcCkcD3AkMIlwHsUDsDNzOy/pHC9v3sUjr+kcD2/pHC9vgAAAACk"
        "cL0+pHA9P3sUjj+kcL0/zczsP3sUDkCQwiVApHA9QLgeVUDNzGxAcT2CQHsUjkCF65lAkMKlQJqZsUCkcL1ArkfJ"
        "QLge1UDD9eBAzczsQNej+EBxPQJB9igIQXsUDkEAABRBhesZQQrXH0GQwiVBFa4rQZqZMUEfhTdBBQEHCAgAAAAI"
        "AAAAKAAAAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAJQBk80ABt4AANwAAM4AAAAj2AAAAAAAAAAAAAAAAAAAAAAA"
    ),
    (
        "nqhiMmZyYW1lANIAAAClzwAAAAAAAAIGpBIAUQPTAAAAAAAAAQDTAAAAAAAAARbSAAAABNIAAAEA0gAAAQDRAADR"
        "AAHC2AYAAAAAAAEBAAAAAAAAAAAAk80AEd4AAaRiMm5k0gAAAGvcAAHGAAAANZcAApLTAAAAAAAAAEDTAAAAAAAA"
        "AAGS0gAAAEDSAAAAAZLSAAAAQNIAAAABANsAAAADfFY0BQElBAABAAAAAQAAFgEAAAAAAAAAAQEAAAAAAAAAAAAk"
        "AAAAQAAAAKQfmhWQCoUAe/Zx183DuK6kmpCFe3HNuKSQe82ke6SkAKSke6TNe5CkuM1xe4WQmqSuuMPN13H2ewCF"
        "CpAVmh9AAAAAcIWZrsLX6wAUKD2jzPUeR3CZwusUPcwecMIUzHAUcHAAcHAUcMwUwnAezD0U68KZcEce9cyjPSgU"
        "AOvXwq6ZhUAAAAA9NzErJR8ZFA4IAvjs4NXJvbGlmY6CbFU9JQ7svY49vQC9PY697A4lPVVsgo6ZpbG9ydXg7PgC"
        "CA4UGR8lKzE3IgAAABbBAQAbwAEAy7+/v7++AD4/Pz8/QAEAoEFBQUFBQUFBQUEFAQcICAAAAAgAAAAoAAAAAAAA"
        "AAABAAAAAAAAAAAAAAAAAAAAAAAAlAGTzQAG3gAA3AAAzgAAACPYAAAAAAAAAAAAAAAAAAAAAAA="
    ),
    (
        "nqhiMmZyYW1lANIAAAClzwAAAAAAAADwpBIAFQPTAAAAAAAAnEDTAAAAAAAAAADSAAAABNIAAJxA0gAAnEDRAADR"
        "AAHC2AYAAAAAAAEFAAAAAAAAAAAAk80AEd4AAaRiMm5k0gAAAGvcAAHGAAAANZcAApLTAAAAAAAAJxDTAAAAAAAA"
        "AAGS0gAAJxDSAAAAAZLSAAAnENIAAAABANsAAAADfFY0BQEHCAgAAAAIAAAAKAAAAAAAAAAAAQAAAAAAAAAAAAAA"
        "AAAAAAAAgZQBk80ABt4AANwAAM4AAAAj2AAAAAAAAAAAAAAAAAAAAAAA"
    ),
)


def _self_test_blosc2(lib: _LibBlosc2 | None) -> _LibBlosc2 | None:
    """Check the blosc2 decoder on frames PyTables' filter wrote (another build
    or ABI that disagrees is dropped for :func:`blosc2_decode`)."""
    if lib is None:
        return None
    import base64

    import numpy as np

    values = np.arange(-32, 32, dtype=np.float32) * np.float32(0.37)
    zeros = np.zeros(10_000, dtype=np.float32)
    try:
        for text, want in zip(_KNOWN_FRAMES, (values, values, zeros)):
            frame = np.frombuffer(base64.b64decode(text), dtype=np.uint8).copy()
            out = np.full(want.size, np.nan, dtype=np.float32)
            if (lib.decode(frame, address(frame), 0, frame.size, address(out), out.nbytes)
                    is not None or not np.array_equal(out, want)):
                return None
    except (OSError, ValueError, struct.error):  # pragma: no cover - another ABI
        return None
    return lib


#: libblosc2 (see :meth:`_LibBlosc2.decode`), or None.
BLOSC2 = _self_test_blosc2(_load_blosc2())


__all__ = ["BLOSC2", "FRAME_MAGIC", "INFLATE", "INFLATE_ERRORS", "SHUFFLE", "UNSHUFFLE",
           "address", "blosc2_decode", "frame_chunk", "inflate"]
