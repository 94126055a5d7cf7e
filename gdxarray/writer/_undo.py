"""Kill safety of chunk rewrites: flushes, the one-chunk undo record, recovery.

Why (measured, see docs/format.md "What a killed writer leaves"): a direct
chunk write reaches the file at once, but the chunk index, the ``dirty`` bit
and the incomplete mark live in HDF5's metadata cache until a flush.  When a
*stored* chunk is rewritten with a different size, HDF5 frees its old bytes
and may hand that space to the very next allocation (on a 200-chunk rewrite
198 new chunks landed on bytes the on-disk index still pointed at); one of
the same size is overwritten in place.  A kill then leaves chunks that no
longer decode.

The protocol, per HDF5 file:

1. before the first chunk write: mark the track incomplete (and the
   chromosome dirty), then flush, so a kill from here on leaves the mark on disk;
2. before rewriting a stored chunk: write its current bytes and index entry
   to the undo sidecar ``.<file>.undo`` (one record, replaced each time);
3. after rewriting it: flush, so the index on disk stops pointing at the old
   bytes before anything else can be allocated over them.  Between two
   flushes at most one stored chunk is in flight, and the record holds it;
4. at the end: flush (the index of the last writes), remove the sidecar,
   clear the mark, flush.

A writer opening the file later (the same command again, erase-data,
close-data...) finds the sidecar of a process that is gone and puts the
recorded bytes back where the index still points at them
(:func:`recover`): the track is then old values and new values, never
undecodable, and still marked incomplete until a load completes.

Writes into chunks never stored only allocate (no flush needed; the final
flush comes before the mark is cleared).  ``H5Fflush`` does not ``fsync``:
this protects against a killed process, not a power cut.

Call everything here with :data:`gdxarray.store.HDF5_LOCK` held.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import struct
import zlib

import tables

_MAGIC = b"GDXUNDO1"
# magic, pid, host length, node path length, row, col, address, size, filter mask
_HEAD = struct.Struct("<8sqHHqqqqQ")
_HOST = socket.gethostname()


def _load_flush():
    try:
        import tables.hdf5extension as ext

        function = ctypes.CDLL(ext.__file__).H5Fflush
        function.argtypes = [ctypes.c_int64, ctypes.c_int]
        function.restype = ctypes.c_int
        return function
    except Exception:  # noqa: BLE001 - PyTables' own flush below
        return None


_H5FFLUSH = _load_flush()


def flush(h5) -> None:
    """Write HDF5's cached metadata (chunk index, attributes) of *h5* to the file.

    ``H5Fflush`` straight away (a few microseconds); PyTables' ``flush`` walks
    every node object first.
    """
    if _H5FFLUSH is None or _H5FFLUSH(h5._v_objectid, 0) < 0:  # 0: H5F_SCOPE_LOCAL
        h5.flush()


# -- test hook -----------------------------------------------------------------
def _parse_kill(text: str | None) -> tuple[str, int] | None:
    if not text or ":" not in text:
        return None
    point, _, n = text.partition(":")
    return (point, int(n)) if n.isdigit() else None


#: ``GDXARRAY_TEST_KILL_AT=point:N`` makes the process SIGKILL itself the Nth
#: time it passes *point* (``mark``: after the incomplete mark is flushed;
#: ``undo``: after an undo record is written; ``rewrite``: after a stored
#: chunk is rewritten, before the flush; ``write``: after any chunk write;
#: ``seq``: after a sequence is written into a new archive; ``install``: just
#: before a finished temporary archive is renamed into place).
#: Used by tests/test_kill_safety.py to kill at exact points; with
#: ``GDXARRAY_TEST_KILL_SIGNAL=STOP`` the process stops there instead (a live
#: writer caught mid-run, resumed by SIGCONT).
_KILL_AT = _parse_kill(os.environ.get("GDXARRAY_TEST_KILL_AT"))
_KILL_SIGNAL = signal.SIGSTOP if os.environ.get("GDXARRAY_TEST_KILL_SIGNAL") == "STOP" \
    else signal.SIGKILL
_passes: dict[str, int] = {}


def kill_point(point: str) -> None:
    if _KILL_AT is None or _KILL_AT[0] != point:
        return
    _passes[point] = _passes.get(point, 0) + 1
    if _passes[point] == _KILL_AT[1]:
        os.kill(os.getpid(), _KILL_SIGNAL)


def host() -> str:
    """This host's name, as written into undo records and temporary names."""
    return _HOST


# -- liveness --------------------------------------------------------------------
def process_gone(pid: int, host: str) -> bool:
    """True when *pid* on *host* is certainly not running (another host: unknown, False)."""
    if host != _HOST:
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # EPERM: it exists (another user's)
        return False
    return False


# -- the undo record -------------------------------------------------------------
def sidecar(filename: str) -> str:
    head, tail = os.path.split(os.path.abspath(filename))
    return os.path.join(head, f".{tail}.undo")


class _Log:
    """The undo sidecar of one HDF5 file, written by this process."""

    def __init__(self, filename: str) -> None:
        self.path = sidecar(filename)
        self.fd: int | None = None

    def record(self, node: str, row: int, col: int, addr: int, size: int, mask: int,
               data: bytes) -> None:
        if self.fd is None:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        host, path = _HOST.encode(), node.encode()
        head = _HEAD.pack(_MAGIC, os.getpid(), len(host), len(path), row, col, addr, size, mask)
        body = head + host + path + bytes(data)
        # a crc over the whole record: one torn by a kill is ignored (the chunk
        # write it announces had not begun)
        os.pwrite(self.fd, body + struct.pack("<I", zlib.crc32(body)), 0)

    def remove(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass


_LOGS: dict[str, _Log] = {}


def record(h5, node: str, row: int, col: int, addr: int, size: int, mask: int,
           data: bytes) -> None:
    """Save a stored chunk's bytes and index entry before it is rewritten."""
    log = _LOGS.get(h5.filename)
    if log is None:
        log = _LOGS[h5.filename] = _Log(h5.filename)
    log.record(node, row, col, addr, size, mask, data)
    kill_point("undo")


def settle(h5) -> None:
    """Flush *h5* and drop its undo record: every write so far is indexed on disk."""
    flush(h5)
    log = _LOGS.pop(h5.filename, None)
    if log is not None:
        log.remove()


def drop_logs() -> None:
    """Remove this process's undo records once its files are closed (closing
    flushed everything, so nothing is in flight)."""
    while _LOGS:
        _LOGS.popitem()[1].remove()


def _read_record(path: str):
    try:
        with open(path, "rb") as fh:
            blob = fh.read()
    except OSError:
        return None
    if len(blob) < _HEAD.size + 4:
        return "torn"
    magic, pid, nhost, npath, row, col, addr, size, mask = _HEAD.unpack_from(blob)
    end = _HEAD.size + nhost + npath + size
    if magic != _MAGIC or len(blob) < end + 4:
        return "torn"
    if struct.unpack_from("<I", blob, end)[0] != zlib.crc32(blob[:end]):
        return "torn"
    host = blob[_HEAD.size:_HEAD.size + nhost].decode(errors="replace")
    node = blob[_HEAD.size + nhost:_HEAD.size + nhost + npath].decode()
    data = blob[_HEAD.size + nhost + npath:end]
    return pid, host, node, row, col, addr, size, mask, data


def recover(h5) -> bool:
    """Undo the chunk rewrite a killed writer left in flight in *h5* (opened r+).

    Returns True when a record was found and dealt with.  A record of a live
    process (or of another host) is left alone.
    """
    if h5.mode == "r" or h5.filename in _LOGS:
        return False
    path = sidecar(h5.filename)
    if not os.path.exists(path):
        return False
    found = _read_record(path)
    if found is None:
        return False
    if found != "torn":
        pid, host, node, row, col, addr, size, mask, data = found
        if not process_gone(pid, host) and pid != os.getpid():
            return False
        if pid != os.getpid():
            try:
                earray = h5.get_node(node)
                info = earray.chunk_info((row, col))
            except (LookupError, ValueError, tables.NoSuchNodeError):
                info = None  # not this file's node or chunk any more: nothing to undo
            if info is not None and info.offset == addr and info.size == size:
                # the index on disk still names the old bytes: put them back (same
                # size, so HDF5 writes them in place; a kill here is redone next time)
                earray.write_chunk((row, col), data, filter_mask=mask)
                flush(h5)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    return True
