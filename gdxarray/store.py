"""The archive room: what is in an HDF5 Genomedata archive, and its files.

Owns layout detection (file / directory / bigWig), the picklable per-process
file managers, the one HDF5 lock, and :class:`Archive`, which answers every
"what is in this archive" question: chromosome names and layouts (also as one
vectorised :class:`LayoutTable`), track names, format version, and each
chromosome's dirty and incomplete state.  The read path, the Python API, the
xarray backend and the writers all ask an Archive; none reads these attributes
itself.

May import: :mod:`gdxarray.format`, :mod:`gdxarray.errors` (and numpy, PyTables).

Objects elsewhere hold an :class:`Archive` (paths and a mode), never a raw
``tables.File``; handles are opened lazily per process, so an Archive survives
pickling to a dask worker and each worker opens its own files.
"""

from __future__ import annotations

import atexit
import bisect
import os
import re
import sys
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import tables

from . import format as fmt
from .intervals import expand_ranges
from .errors import (
    ArchiveInUseError, ChromosomeNotFoundError, DamagedArchiveError, GenomedataError,
    NotAnArchiveError, UnsupportedError,
)

#: HDF5 (and so PyTables) is not thread-safe: every library call goes through
#: this one process-wide lock.  Decompression of raw chunks may run outside it.
HDF5_LOCK = threading.RLock()

_WRITE_MODES = frozenset({"r+", "a", "w"})


def _sniff(path: Path) -> str | None:
    """'bigwig', 'hdf5' or None, from the first bytes of a regular file."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
            if head[:4] in fmt.BIGWIG_MAGICS:
                return "bigwig"
            # the HDF5 superblock may sit at 0, 512, 1024, 2048, ...
            offset = 0
            while head:
                if head == fmt.HDF5_MAGIC:
                    return "hdf5"
                offset = 512 if offset == 0 else offset * 2
                fh.seek(offset)
                head = fh.read(8)
    except OSError:
        return None
    return None


def detect_layout(path: str | os.PathLike) -> str:
    """Return ``"file"``, ``"dir"`` or ``"bigwig"`` for an archive path.

    Raises :class:`NotAnArchiveError` naming the path when it is missing or is
    neither a Genomedata archive nor a bigWig file.
    """
    p = Path(os.path.expanduser(os.fspath(path))).resolve()
    if not p.exists():
        raise NotAnArchiveError(f"Could not find Genomedata archive: {p}")
    if p.is_dir():
        return "dir"
    if not p.is_file():
        raise NotAnArchiveError(f"Genomedata archive must be a file or directory: {p}")
    kind = _sniff(p)
    if kind == "bigwig":
        return "bigwig"
    if kind == "hdf5":
        return "file"
    raise NotAnArchiveError(f"{p}: not a Genomedata archive (not an HDF5 file) nor a bigWig file")


def is_genomedata(path: str | os.PathLike) -> bool:
    """True if *path* looks like a Genomedata archive (file or directory). Never raises."""
    try:
        p = Path(os.path.expanduser(os.fspath(path)))
        if p.is_dir():
            return any(child.suffix == fmt.SUFFIX and child.is_file() for child in p.iterdir())
        if p.is_file() and _sniff(p) == "hdf5":
            with HDF5_LOCK, tables.open_file(str(p), "r", **fmt.OPEN_FILE_KWARGS) as h5:
                attrs = h5.root._v_attrs
                if fmt.ATTR_FORMAT_VERSION in attrs._v_attrnames or fmt.INDEX_CHROMS in h5.root:
                    return True
                # v0 archives have no version attribute: a chromosome group
                # with start/end attributes is the tell
                for group in h5.iter_nodes("/", classname="Group"):
                    return fmt.ATTR_END in group._v_attrs._v_attrnames
        return False
    except Exception:  # noqa: BLE001 - a guess must never raise
        return False


def is_bigwig(path: str | os.PathLike) -> bool:
    """True if *path* is a regular file starting with the bigWig magic number."""
    try:
        p = Path(os.path.expanduser(os.fspath(path)))
        return p.is_file() and _sniff(p) == "bigwig"
    except Exception:  # noqa: BLE001
        return False


_OPEN_HANDLES: "weakref.WeakSet[tables.File]" = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    # Lazily opened handles (dask workers, xarray datasets never closed) are
    # closed here, before PyTables' own exit hook would warn about each one.
    for handle in list(_OPEN_HANDLES):
        try:
            if handle.isopen:
                handle.close()
        except Exception:  # noqa: BLE001 - never fail at exit
            pass


def release_read_handles(path: str | os.PathLike) -> int:
    """Close this process's read-only handles on the archive at *path* (its file, or
    the files of a directory archive); the number closed.

    HDF5 refuses to open a file for writing while this process holds it open
    read-only; the :class:`FileManager` s that owned the handles reopen them on
    their next use.
    """
    root = Path(os.path.expanduser(os.fspath(path))).resolve()
    files = {str(root)} if root.is_file() else {str(p) for p in root.glob(f"*{fmt.SUFFIX}")}
    closed = 0
    with HDF5_LOCK:
        for handle in list(_OPEN_HANDLES):
            if handle.isopen and handle.mode == "r" and \
                    str(Path(handle.filename).resolve()) in files:
                handle.close()
                closed += 1
    return closed


def release_read_handles_everywhere(path: str | os.PathLike) -> None:
    """:func:`release_read_handles` here and on the workers of the current
    dask.distributed client, if there is one (their handles hold the file too)."""
    release_read_handles(path)
    if "distributed" in sys.modules:
        from distributed import default_client

        try:
            client = default_client()
        except ValueError:  # no client
            return
        client.run(release_read_handles, os.fspath(path))


def file_stamp(path: str) -> tuple:
    """What identifies one version of a file: path, device, inode, size, mtime and ctime."""
    st = os.stat(path)
    return (path, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _settled(stamp: tuple) -> bool:
    """True when the file version has been still long enough to be cached."""
    return time.time_ns() - max(stamp[4], stamp[5]) >= META_MIN_AGE_NS


_UNSET = object()


class FileMeta:
    """What has been read of one version of a read-only file (see :func:`file_meta`)."""

    __slots__ = ("values",)

    def __init__(self) -> None:
        self.values: dict = {}

    def get(self, key, read):
        """The cached value of *key*, or ``read()`` (cached) on first use."""
        value = self.values.get(key, _UNSET)
        if value is _UNSET:  # (outside an except block: read()'s errors carry no KeyError)
            value = self.values[key] = read()
        return value


#: File versions remembered per process.  Opening an archive read-only costs
#: HDF5 a file open plus attribute and table reads (measured 2-5 ms for a file
#: archive), and clients such as Segway open the same archive once per window
#: and track; a version's metadata never changes, so it is read once.
_META_FILES = 256
#: Only files unchanged for this long are cached: the kernel stamps mtime and
#: ctime with a clock of a few milliseconds' resolution, so a file changed again
#: within the same tick would keep its stamp; one that has been still for
#: seconds can only change with a new one.
META_MIN_AGE_NS = 2_000_000_000
_META: "OrderedDict[tuple, FileMeta]" = OrderedDict()
_META_LOCK = threading.Lock()


def file_meta(stamp: tuple) -> FileMeta:
    """The process-wide metadata cache entry of a file version (made on first use)."""
    with _META_LOCK:
        meta = _META.get(stamp)
        if meta is None:
            meta = _META[stamp] = FileMeta()
            while len(_META) > _META_FILES:
                _META.popitem(last=False)
        else:
            _META.move_to_end(stamp)
        return meta


def forget_file(path: str) -> None:
    """Drop every cached version of *path* (a writer changed it)."""
    path = os.fspath(path)
    with _META_LOCK:
        for stamp in [s for s in _META if s[0] == path]:
            del _META[stamp]


def hdf5_reason(exc: BaseException) -> str:
    """The innermost line of an HDF5 error back trace (the cause), else its first line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    trace = [line for line in lines if not line.startswith(("File ", "HDF5 error back trace",
                                                             "End of HDF5 error back trace"))]
    if "End of HDF5 error back trace" in lines:
        inner = lines.index("End of HDF5 error back trace")
        if inner > 0:
            return lines[inner - 1]
    return trace[0] if trace else (lines[0] if lines else type(exc).__name__)


def open_error(path: str, mode: str, exc: BaseException) -> GenomedataError:
    """The GenomedataError for a file HDF5 would not open, in plain words."""
    text = str(exc)
    if "unable to lock file" in text:
        what = ("it is being written" if mode == "r" else
                "it is open elsewhere (a reader or another writer)")
        return ArchiveInUseError(
            f"{path}: in use by another process ({what}, and HDF5 locks the file); "
            "wait until that process has finished, then try again")
    truncated = re.search(r"truncated file: eof = (\d+),.*stored_eof = (\d+)", text)
    if truncated:
        have, want = (int(n) for n in truncated.groups())
        return DamagedArchiveError(
            f"{path}: the file is truncated: it has {have:,} bytes, but its HDF5 superblock "
            f"says {want:,} ({want - have:,} missing; an interrupted copy or download?)")
    if isinstance(exc, OSError) and exc.strerror and not isinstance(exc, tables.HDF5ExtError):
        return NotAnArchiveError(f"{path}: cannot open: {exc.strerror}")
    return NotAnArchiveError(f"{path}: cannot open as HDF5 ({hdf5_reason(exc)})")


def read_error(path: str, node: str, what: str, exc: BaseException) -> DamagedArchiveError:
    """The error for an HDF5 call on an open file that failed (damage, or a file changed
    by a process that ignores HDF5's lock)."""
    return DamagedArchiveError(
        f"{path}: {node}: HDF5 cannot read {what} ({hdf5_reason(exc)}): the file is damaged, "
        "or another process is writing it")


class FileManager:
    """Owns one PyTables handle to one HDF5 file; safe to pickle.

    ``acquire()`` opens the file on first use in each process (a handle never
    crosses a fork or a pickle) and returns the open ``tables.File``.  Call it,
    and use the handle, with :data:`HDF5_LOCK` held.

    A read-only manager also has :attr:`meta`, the process-wide cache of what
    has been read of this version of the file.  It is taken once, after the
    file is open: the open handle keeps HDF5's file lock, so no other process
    can rewrite the file while this manager uses what was cached of it.
    """

    def __init__(self, path: str | os.PathLike, mode: str = "r") -> None:
        self.path = os.fspath(path)
        self.mode = mode
        self._handle: tables.File | None = None
        self._pid: int | None = None
        self._meta: FileMeta | None = None
        self._stamp: tuple | None = None
        self._meta_held = False  # _meta was taken while the file was open

    @property
    def meta(self) -> FileMeta | None:
        """The metadata cache of the file version this manager holds open (None
        when open for writing)."""
        return self._meta_of(hold=True)

    def _meta_of(self, *, hold: bool) -> FileMeta | None:
        if self.mode != "r":
            return None
        if hold and not (self._meta_held and self.isopen):
            # hold the file (and with it HDF5's lock) before trusting a stamp for
            # what is read from it; the version is looked at again once it is held
            self.acquire()
            self._meta, self._meta_held = None, True
        if self._meta is None:
            try:
                stamp = file_stamp(self.path)
            except OSError:  # gone: nothing to cache (opening it will say what is wrong)
                return None
            # a file changed in the last moments may change again under the same stamp:
            # it gets a private cache, for this manager only
            self._meta = file_meta(stamp) if _settled(stamp) else FileMeta()
            self._stamp = stamp
        return self._meta

    def cached(self, key, read, *, hold: bool = True):
        """``read()`` (called with :data:`HDF5_LOCK` held), remembered for this file
        version when the manager is read-only.

        With *hold* false a value already cached for the file's current version
        is returned without opening the file (for genome-wide attributes that
        every file of a directory archive repeats, not for anything a read
        relies on); a miss opens it and reads.
        """
        meta = self._meta_of(hold=hold)
        if meta is None:
            with HDF5_LOCK:
                return read()
        if not hold and key not in meta.values:
            meta = self._meta_of(hold=True)

        def locked():
            with HDF5_LOCK:
                return read()

        return meta.get(key, locked)

    @property
    def stamp(self) -> tuple | None:
        """The file version this read-only manager reads (None when open for writing)."""
        return None if self.meta is None else self._stamp

    def acquire(self) -> tables.File:
        handle = self._handle
        if handle is not None and self._pid == os.getpid() and handle.isopen:
            return handle
        with HDF5_LOCK:
            if self.mode != "r":
                forget_file(self.path)  # what was cached of it will change
            try:
                handle = tables.open_file(self.path, self.mode, **fmt.OPEN_FILE_KWARGS)
            except (OSError, tables.HDF5ExtError) as exc:
                raise open_error(self.path, self.mode, exc) from exc
        self._handle, self._pid = handle, os.getpid()
        _OPEN_HANDLES.add(handle)
        return handle

    @property
    def isopen(self) -> bool:
        return self._handle is not None and self._pid == os.getpid() and self._handle.isopen

    def close(self) -> None:
        """Close the handle if this process opened it; closing twice is fine."""
        handle, self._handle = self._handle, None
        self._meta_held = False
        if handle is not None and self._pid == os.getpid() and handle.isopen:
            with HDF5_LOCK:
                handle.close()
                if self.mode != "r":  # the written file is a new version
                    forget_file(self.path)

    def __getstate__(self) -> dict:
        return {"path": self.path, "mode": self.mode}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["path"], state["mode"])

    def __repr__(self) -> str:
        return f"FileManager({self.path!r}, mode={self.mode!r})"


@dataclass
class ChromLayout:
    """Where a chromosome lives and how it is cut into supercontigs.

    ``sc_starts``/``sc_ends`` are chromosome coordinates sorted by start;
    ``sc_names`` are the HDF5 group names (``supercontig_<i>``).
    """

    name: str
    start: int
    end: int
    sc_starts: np.ndarray
    sc_ends: np.ndarray
    sc_names: list[str]
    file: FileManager
    where: str  # group path of the chromosome inside ``file``

    def sc_path(self, i: int) -> str:
        return f"{self.where.rstrip('/')}/{self.sc_names[i]}"

    def overlapping(self, start: int, end: int) -> range:
        """Indices of the supercontigs overlapping ``[start, end)``."""
        bounds = self.__dict__.get("_bounds")
        if bounds is None:  # plain lists: bisect beats numpy on a few values
            bounds = self.__dict__["_bounds"] = (self.sc_starts.tolist(), self.sc_ends.tolist())
        lo = bisect.bisect_right(bounds[1], start)
        hi = bisect.bisect_left(bounds[0], end)
        return range(lo, max(lo, hi))


def _damaged(group: tables.Node, problem: str) -> DamagedArchiveError:
    return DamagedArchiveError(f"{group._v_file.filename}: {group._v_pathname}: {problem}")


def _bound(group: tables.Group, attr: str) -> int:
    """A ``start``/``end`` attribute of a chromosome or supercontig group, checked."""
    attrs = group._v_attrs
    if attr not in attrs._v_attrnames:
        raise _damaged(group, f"the {attr!r} attribute is missing")
    value = np.asarray(attrs[attr])
    if value.shape not in ((), (1,)) or value.dtype.kind not in "iu":
        raise _damaged(group, f"the {attr!r} attribute is {value!r}, not one integer")
    return int(value.reshape(-1)[0])


def _read_chrom_group(name: str, group: tables.Group, format_version: int) -> tuple:
    """(start, end, supercontig starts, ends, names) of a chromosome group, checked:
    DamagedArchiveError naming file and node when an attribute is missing or the
    supercontigs do not fit."""
    starts, ends, names = [], [], []
    for sc in group._f_iter_nodes(classname="Group"):
        starts.append(_bound(sc, fmt.ATTR_START))
        ends.append(_bound(sc, fmt.ATTR_END))
        names.append(sc._v_name)
        if ends[-1] <= starts[-1]:
            raise _damaged(sc, f"end {ends[-1]} is not after start {starts[-1]}")
    order = np.argsort(np.asarray(starts, dtype=np.int64), kind="stable")
    sc_starts = np.asarray(starts, dtype=np.int64)[order]
    sc_ends = np.asarray(ends, dtype=np.int64)[order]
    if format_version == 0:
        # v0: chromosome bounds are derived from the supercontigs
        start = int(sc_starts.min()) if len(sc_starts) else 0
        end = int(sc_ends.max()) if len(sc_ends) else 0
    else:
        start, end = _bound(group, fmt.ATTR_START), _bound(group, fmt.ATTR_END)
    if len(sc_starts) and (sc_starts[0] < 0 or sc_ends[-1] > end
                           or np.any(sc_starts[1:] < sc_ends[:-1])):
        raise _damaged(group, f"its supercontigs {list(zip(starts, ends))} overlap or run past "
                              f"its end {end}")
    return start, end, sc_starts, sc_ends, [names[i] for i in order]


def _check_chrom(layout: "ChromLayout", h5: tables.File, ntracks: int | None,
                 from_index: bool) -> bool:
    """Check a chromosome's nodes against its layout (call with HDF5_LOCK held).

    Cheap: node existence, attributes and dataset shapes, no data.  Every
    supercontig group must exist (with ``start``/``end`` equal to the layout
    index's when the layout came from it); ``seq`` must have one byte per base,
    ``continuous`` one row per base and, when *ntracks* is given (readers), one
    column per track name.  Raises DamagedArchiveError naming file and node.
    """
    try:
        group = h5.get_node(layout.where)
    except tables.NoSuchNodeError:
        raise DamagedArchiveError(f"{h5.filename}: the group {layout.where} of chromosome "
                                  f"{layout.name} is missing (the layout index lists it)") from None
    if from_index:
        for attr, want in ((fmt.ATTR_START, layout.start), (fmt.ATTR_END, layout.end)):
            if _bound(group, attr) != want:
                raise _damaged(group, f"the {attr!r} attribute ({_bound(group, attr)}) differs "
                                      f"from the layout index's ({want})")
    for i, sc_name in enumerate(layout.sc_names):
        length = int(layout.sc_ends[i] - layout.sc_starts[i])
        try:
            sc = group._f_get_child(sc_name)
        except tables.NoSuchNodeError:
            raise _damaged(group, f"the supercontig group {sc_name} "
                                  f"[{int(layout.sc_starts[i])}, {int(layout.sc_ends[i])}) "
                                  "is missing") from None
        if from_index:
            for attr, want in ((fmt.ATTR_START, layout.sc_starts[i]),
                               (fmt.ATTR_END, layout.sc_ends[i])):
                if _bound(sc, attr) != int(want):
                    raise _damaged(sc, f"the {attr!r} attribute ({_bound(sc, attr)}) differs "
                                       f"from the layout index's ({int(want)})")
        children = sc._v_children  # names; nodes are fetched only when present
        seq = sc._f_get_child(fmt.NODE_SEQ) if fmt.NODE_SEQ in children else None
        if seq is not None and tuple(seq.shape) != (length,):
            raise _damaged(seq, f"shape {tuple(seq.shape)} where the supercontig has "
                                f"{length:,} bases")
        data = sc._f_get_child(fmt.NODE_CONTINUOUS) if fmt.NODE_CONTINUOUS in children else None
        if data is None:
            if ntracks:
                raise _damaged(sc, f"the {fmt.NODE_CONTINUOUS!r} dataset is missing, though "
                                   f"the archive has {ntracks} track(s)")
            continue
        shape = tuple(int(n) for n in data.shape)
        if len(shape) != 2 or shape[0] != length:
            raise _damaged(data, f"shape {shape} where the supercontig has {length:,} bases")
        if ntracks is not None and shape[1] != ntracks:
            raise _damaged(data, f"{shape[1]} track column(s) for the {ntracks} track name(s) "
                                 "in the archive's 'tracknames' attribute")
    return True


def read_tracknames(attrs: tables.AttributeSet) -> list[str]:
    """Track names stored in a root attribute set (``[]`` when none)."""
    if fmt.ATTR_TRACKNAMES not in attrs._v_attrnames:
        return []
    return [fmt.decode_trackname(v) for v in np.atleast_1d(attrs[fmt.ATTR_TRACKNAMES])]


def read_dirty(attrs: tables.AttributeSet) -> bool:
    """The ``dirty`` flag of a chromosome's attribute set (False when absent)."""
    return fmt.ATTR_DIRTY in attrs._v_attrnames and bool(attrs[fmt.ATTR_DIRTY])


def read_incomplete(attrs: tables.AttributeSet, attr: str = fmt.ATTR_INCOMPLETE) -> list[str]:
    """Tracks marked incomplete in a chromosome's attribute set (or listed in *attr*)."""
    if attr not in attrs._v_attrnames:
        return []
    return [fmt.decode_trackname(v) for v in np.atleast_1d(attrs[attr]) if len(v)]


def zoom_group(h5: tables.File, layout: "ChromLayout") -> tables.Group | None:
    """The group holding a chromosome's zoom arrays: its first supercontig's (or None)."""
    return h5.get_node(layout.sc_path(0)) if layout.sc_names else None


def read_zoom_widths(chrom_group: tables.Group, group: tables.Group | None,
                     tracknames: list[str]) -> list[int]:
    """The zoom widths a chromosome answers (``format.ZOOM_WIDTHS``) when the cell
    arrays in *group* (see :func:`zoom_group`) match its current statistics and
    *tracknames*; the caller checks the dirty flag.  Empty when there are none,
    or they are stale."""
    if group is None:
        return []
    attrs = chrom_group._v_attrs
    names = attrs._v_attrnames
    if "num_datapoints" not in names or "sums" not in names:
        return []
    width = fmt.ZOOM_WIDTHS[0]
    cells, ranges = fmt.zoom_node_name(width), fmt.zoom_node_name(width, "range")
    if cells not in group or ranges not in group:
        return []
    node = group._f_get_child(cells)
    za = node._v_attrs
    znames = za._v_attrnames
    if any(a not in znames for a in (fmt.ATTR_ZOOM_TRACKNAMES, fmt.ATTR_ZOOM_COUNTS,
                                     fmt.ATTR_ZOOM_SUMS)):
        return []
    stored = [fmt.decode_trackname(v) for v in np.atleast_1d(za[fmt.ATTR_ZOOM_TRACKNAMES])]
    shape = tuple(int(n) for n in node.shape)
    other = tuple(int(n) for n in group._f_get_child(ranges).shape)
    if (stored != list(tracknames) or len(shape) != 3 or shape[:2] != (3, len(tracknames))
            or other != (2,) + shape[1:]
            or not np.array_equal(np.asarray(za[fmt.ATTR_ZOOM_COUNTS]),
                                  np.asarray(attrs["num_datapoints"]))
            or not np.array_equal(np.asarray(za[fmt.ATTR_ZOOM_SUMS]), np.asarray(attrs["sums"]))):
        return []
    return list(fmt.ZOOM_WIDTHS)


def read_format_version(h5: tables.File) -> int | None:
    """``genomedata_format_version`` of one file (None when absent: v0 or empty)."""
    attrs = h5.root._v_attrs
    if fmt.ATTR_FORMAT_VERSION in attrs._v_attrnames:
        return int(attrs[fmt.ATTR_FORMAT_VERSION])
    return None


class LayoutTable:
    """Every chromosome of an archive as arrays: sorted names, lengths, and the
    supercontigs (chromosome row, start, end), grouped by chromosome in
    chromosome order and sorted by start within each.

    O(number of supercontigs) memory; nothing per base.
    """

    __slots__ = ("names", "lengths", "sc_chrom", "sc_starts", "sc_ends", "sc_numbers", "starts",
                 "_lookup", "_first")

    def __init__(self, names, lengths, sc_chrom, sc_starts, sc_ends, sc_numbers=None,
                 starts=None) -> None:
        self.names = list(names)
        #: chromosome lengths (the ``end`` attribute: coordinates run over [0, length))
        self.lengths = np.asarray(lengths, dtype=np.int64)
        #: the chromosomes' ``start`` attributes (where their first supercontig starts)
        self.starts = (np.zeros_like(self.lengths) if starts is None
                       else np.asarray(starts, dtype=np.int64))
        self.sc_chrom = np.asarray(sc_chrom, dtype=np.int64)
        self.sc_starts = np.asarray(sc_starts, dtype=np.int64)
        self.sc_ends = np.asarray(sc_ends, dtype=np.int64)
        #: ``n`` of each supercontig's group ``supercontig_<n>`` (None: not known here)
        self.sc_numbers = None if sc_numbers is None else np.asarray(sc_numbers, dtype=np.int64)
        self._lookup: dict[str, int] | None = None
        self._first: np.ndarray | None = None

    def row(self, name: str) -> int:
        """Row of chromosome *name* (-1 if absent)."""
        if self._lookup is None:
            self._lookup = {n: i for i, n in enumerate(self.names)}
        return self._lookup.get(name, -1)

    def index(self, names) -> np.ndarray:
        """Row of each name in this table (-1 if absent)."""
        return np.array([self.row(n) for n in names], dtype=np.int64)

    def supercontig_span(self, row: int) -> tuple[int, int]:
        """``[first, stop)`` supercontig rows of chromosome row *row*."""
        if self._first is None:
            self._first = np.searchsorted(self.sc_chrom, np.arange(len(self.names) + 1))
        return int(self._first[row]), int(self._first[row + 1])

    def supercontig_rows(self, chroms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in *chroms*, supercontig row) for the supercontigs of table rows *chroms*."""
        if self._first is None:
            self._first = np.searchsorted(self.sc_chrom, np.arange(len(self.names) + 1))
        chroms = np.asarray(chroms, dtype=np.int64)
        first, last = self._first[chroms], self._first[chroms + 1]
        return expand_ranges(first, last - first)

    @classmethod
    def from_layouts(cls, layouts: list[ChromLayout]) -> "LayoutTable":
        counts = np.array([len(lay.sc_starts) for lay in layouts], dtype=np.int64)
        return cls([lay.name for lay in layouts],
                   np.array([lay.end for lay in layouts], dtype=np.int64),
                   np.repeat(np.arange(len(layouts)), counts),
                   _cat([lay.sc_starts for lay in layouts]), _cat([lay.sc_ends for lay in layouts]),
                   starts=np.array([lay.start for lay in layouts], dtype=np.int64))


def _cat(parts) -> np.ndarray:
    return np.concatenate(parts).astype(np.int64) if parts else np.array([], dtype=np.int64)


def _read_index_table(h5: tables.File) -> LayoutTable | None:
    """The layout index of a file archive as a LayoutTable (None when absent).

    Two table reads, vectorised: no object per chromosome.
    """
    if fmt.INDEX_CHROMS not in h5.root or fmt.INDEX_SUPERCONTIGS not in h5.root:
        return None
    chroms = h5.get_node("/", fmt.INDEX_CHROMS).read()
    scs = h5.get_node("/", fmt.INDEX_SUPERCONTIGS).read()
    names = np.char.decode(chroms["name"], fmt.ENCODING)
    order = np.argsort(names, kind="stable")  # the archive's (sorted) chromosome order
    first = chroms["first"].astype(np.int64)[order]
    count = chroms["count"].astype(np.int64)[order]
    # supercontig rows of each chromosome, in the new chromosome order
    sc_chrom, rows = expand_ranges(first, count)
    return LayoutTable(names[order].tolist(), chroms["end"].astype(np.int64)[order], sc_chrom,
                       scs["start"].astype(np.int64)[rows], scs["end"].astype(np.int64)[rows],
                       scs["number"].astype(np.int64)[rows],
                       starts=chroms["start"].astype(np.int64)[order])


class Archive:
    """An HDF5 Genomedata archive of either layout, opened lazily.

    Parameters
    ----------
    path : archive file or directory
    mode : ``"r"`` or ``"r+"`` (PyTables modes)

    Layouts, track names and the format version are read once and cached;
    writers call :meth:`invalidate` after changing them.
    """

    def __init__(self, path: str | os.PathLike, mode: str = "r", *, layout: str | None = None,
                 _check: bool = True) -> None:
        self.path = Path(os.path.expanduser(os.fspath(path))).resolve()
        self.mode = mode
        self.layout = layout or detect_layout(self.path)
        if self.layout not in ("file", "dir"):
            raise NotAnArchiveError(f"{self.path}: not an HDF5 Genomedata archive ({self.layout})")
        self._files: dict[str, FileManager] = {}
        self._chroms: dict[str, ChromLayout] = {}
        self._names: list[str] | None = None
        self._name_set: frozenset[str] | None = None
        self._index: LayoutTable | None | bool = False  # False: not read yet
        self._table: LayoutTable | None = None
        self._tracknames: dict[bool, list[str]] = {}
        self._version: tuple[int | None] | None = None
        if self.layout == "file":
            self._root_file = FileManager(self.path, mode)
            if _check:
                with HDF5_LOCK:
                    self._root_file.acquire()  # fail now, with a clear error, if not HDF5

    # -- pickling: paths only ------------------------------------------------
    def __reduce__(self):
        # Unpickled on a dask worker, a read-only archive is the one instance of
        # that process (files opened once, chunk locations found once), not a
        # fresh copy per task that reopens everything.
        return (_unpickle_archive, (str(self.path), self.mode, self.layout))

    @property
    def writable(self) -> bool:
        return self.mode in _WRITE_MODES

    # -- files ---------------------------------------------------------------
    def chrom_file(self, name: str) -> FileManager:
        """The file manager holding chromosome *name*."""
        if self.layout == "file":
            return self._root_file
        manager = self._files.get(name)
        if manager is None:
            path = self.path / f"{name}{fmt.SUFFIX}"
            if not path.is_file():
                raise ChromosomeNotFoundError(f"Could not find chromosome: {name}")
            manager = self._files[name] = FileManager(path, self.mode)
        return manager

    def chrom_where(self, name: str) -> str:
        return "/" if self.layout == "dir" else f"/{name}"

    def genome_files(self) -> Iterator[FileManager]:
        """Every file that carries the genome-wide attributes."""
        if self.layout == "file":
            yield self._root_file
        else:
            for name in self.chrom_names():
                yield self.chrom_file(name)

    def close(self) -> None:
        if self.layout == "file":
            self._root_file.close()
        for manager in self._files.values():
            manager.close()

    # -- layout --------------------------------------------------------------
    def _file_index(self) -> LayoutTable | None:
        """The layout index of a file archive (cached; None when it has none)."""
        if self._index is False:
            index = None
            if self.layout == "file":
                root = self._root_file
                index = root.cached("index", lambda: _read_index_table(root.acquire()))
            self._index = index
        return self._index

    def chrom_names(self) -> list[str]:
        """Chromosome names in plain string order (the reference's order)."""
        if self._names is None:
            if self.layout == "dir":
                names = [p.name[: -len(fmt.SUFFIX)] for p in self.path.iterdir()
                         if p.name.endswith(fmt.SUFFIX) and p.is_file()]
            else:
                index = self._file_index()
                if index is not None:
                    names = list(index.names)
                else:
                    root = self._root_file
                    names = root.cached("groups", lambda: [
                        g._v_name for g in root.acquire().iter_nodes("/", classname="Group")])
            self._names = sorted(names)
            self._name_set = frozenset(self._names)
        return self._names

    def has_chrom(self, name: str) -> bool:
        if self._name_set is None:
            self.chrom_names()
        return name in self._name_set

    def chrom(self, name: str) -> ChromLayout:
        """Layout of chromosome *name* (cached). ChromosomeNotFoundError if absent."""
        layout = self._chroms.get(name)
        if layout is not None:
            return layout
        if not self.has_chrom(name):
            raise ChromosomeNotFoundError(f"Could not find chromosome: {name}")
        manager = self.chrom_file(name)
        index = self._file_index()
        row = index.row(name) if index is not None else -1
        if row >= 0:
            first, stop = index.supercontig_span(row)
            layout = ChromLayout(
                name, int(index.starts[row]), int(index.lengths[row]),
                index.sc_starts[first:stop], index.sc_ends[first:stop],
                [f"{fmt.SUPERCONTIG_PREFIX}{n}" for n in index.sc_numbers[first:stop].tolist()],
                manager, f"/{name}")
        else:
            where = self.chrom_where(name)

            def read():
                h5 = manager.acquire()
                try:
                    group = h5.get_node(where, classname="Group")
                except tables.NoSuchNodeError as exc:
                    raise ChromosomeNotFoundError(f"Could not find chromosome: {name}") from exc
                version = read_format_version(h5)
                return _read_chrom_group(name, group, 0 if version is None else version)

            start, end, sc_starts, sc_ends, sc_names = manager.cached(("layout", name), read)
            layout = ChromLayout(name, start, end, sc_starts, sc_ends, sc_names, manager, where)
        # readers check the track columns too; writers may meet (and repair) an
        # interrupted open-data.  Checked once per file version (cached with its meta).
        ntracks = len(self.tracknames()) if not self.writable else None
        manager.cached(("checked", name, ntracks),
                       lambda: _check_chrom(layout, manager.acquire(), ntracks, row >= 0))
        self._chroms[name] = layout
        return layout

    def layout_table(self) -> LayoutTable:
        """Names, lengths and supercontigs of every chromosome, as arrays.

        File archives written by gdxarray carry a compact layout index
        (:data:`gdxarray.format.INDEX_CHROMS` / ``INDEX_SUPERCONTIGS``), read in
        two table reads, so opening an archive of tens of thousands of scaffolds
        builds no object per chromosome.  Other archives fall back to the
        per-chromosome layouts.
        """
        if self._table is None:
            table = self._file_index()
            if table is None:
                table = LayoutTable.from_layouts([self.chrom(n) for n in self.chrom_names()])
            self._table = table
        return self._table

    def invalidate(self) -> None:
        """Forget cached layout and metadata (after a writer changed them)."""
        self._chroms.clear()
        self._names = None
        self._name_set = None
        self._index = False
        self._table = None
        self._tracknames.clear()
        self._version = None

    # -- genome-wide attributes -------------------------------------------------
    def tracknames(self, *, strict: bool = True) -> list[str]:
        """Track names in column order (``[]`` when no track is open).

        Directory archives keep the names in every chromosome file.  *strict*
        (readers) refuses files that disagree; otherwise (writers, which may
        meet an interrupted open-data) the first file that has names wins.
        """
        cached = self._tracknames.get(strict)
        if cached is None:
            names: list[str] | None = None
            first: FileManager | None = None
            with HDF5_LOCK:
                for manager in self.genome_files():
                    these = manager.cached(
                        "tracknames", lambda m=manager: read_tracknames(m.acquire().root._v_attrs),
                        hold=False)
                    if not strict:
                        if these or self.layout == "file":
                            names = these
                            break
                        continue
                    if names is None:
                        names, first = these, manager
                    elif these != names:
                        raise DamagedArchiveError(
                            f"{manager.path}: track names {these} differ from {first.path}'s "
                            f"{names} (every chromosome file of a directory archive holds "
                            "the same)")
            cached = self._tracknames[strict] = names or []
        return list(cached)

    def format_version(self) -> int | None:
        """``genomedata_format_version``: 0 for original (v0) archives, None for an
        empty one; GenomedataError when directory files disagree."""
        if self._version is None:
            versions = set()
            with HDF5_LOCK:
                for manager in self.genome_files():
                    versions.add(manager.cached(
                        "version", lambda m=manager: read_format_version(m.acquire()),
                        hold=False))
                    if self.layout == "file":
                        break
            if not versions:
                version = None
            elif len(versions) > 1:
                raise GenomedataError(
                    f"{self.path}: chromosome files disagree on the format version "
                    f"({sorted(v for v in versions if v is not None)})")
            else:
                version = versions.pop()
                if version is None:
                    # original (v0) archives had no version attribute at all
                    version = 0 if self.layout == "dir" or self.chrom_names() else None
            self._version = (version,)
        return self._version[0]

    def check_readable(self) -> None:
        """UnsupportedError when the archive is newer than this package reads."""
        version = self.format_version()
        if version is not None and version > fmt.FORMAT_VERSION:
            raise UnsupportedError(
                f"{self.path} has format version {version}, but this gdxarray only supports "
                f"format version {fmt.FORMAT_VERSION}")

    def check_writable_format(self, what: str) -> None:
        """UnsupportedError unless the archive is format version 1 (writers)."""
        self.check_readable()
        if not self.format_version():
            raise UnsupportedError(
                f"{self.path}: {what} is only supported for archives created with "
                "Genomedata 1.2.0 or later (format version 1); this one is version 0")

    # -- per-chromosome state ------------------------------------------------------
    def chrom_attrs(self, name: str) -> tables.AttributeSet:
        """The HDF5 attributes of chromosome *name* (use with HDF5_LOCK held)."""
        layout = self.chrom(name)
        return layout.file.acquire().get_node(layout.where)._v_attrs

    def _state(self, name: str) -> dict:
        """Dirty flag, incomplete marks and statistics of chromosome *name*, read
        together (each PyTables attribute read costs ~0.1 ms)."""
        def read():
            attrs = self.chrom_attrs(name)
            names = attrs._v_attrnames
            dirty = read_dirty(attrs)
            h5 = self.chrom_file(name).acquire()
            layout = self.chrom(name)
            zoom = [] if dirty else read_zoom_widths(
                h5.get_node(layout.where), zoom_group(h5, layout), read_tracknames(h5.root._v_attrs))
            return {"dirty": dirty, "incomplete": read_incomplete(attrs),
                    "stats": {stat: (np.asarray(attrs[stat]) if stat in names else None)
                              for stat in fmt.STAT_NAMES}, "zoom": zoom}

        return self.chrom_file(name).cached(("state", name), read)

    def is_dirty(self, name: str) -> bool:
        """Modified since ``genomedata-close-data`` computed its statistics."""
        return self._state(name)["dirty"]

    def incomplete_tracks(self, name: str) -> list[str]:
        """Tracks whose last load into chromosome *name* failed part-way."""
        return list(self._state(name)["incomplete"])

    def zoom_widths(self, name: str) -> list[int]:
        """Cell widths of chromosome *name*'s valid zoom levels (none while it is
        dirty, or when they no longer match its data)."""
        state = self._state(name)
        return [] if state["dirty"] else list(state["zoom"])

    def chrom_stats(self, name: str) -> dict[str, np.ndarray | None]:
        """The close-data statistics stored on chromosome *name* (None where absent)."""
        return {stat: (None if v is None else v.copy())
                for stat, v in self._state(name)["stats"].items()}


_SHARED: dict[tuple, Archive] = {}
_SHARED_PID = os.getpid()


def _unpickle_archive(path: str, mode: str, layout: str) -> Archive:
    """The process-wide Archive for a pickled read-only archive (a new one if writable)."""
    global _SHARED_PID
    if mode != "r":
        return Archive(path, mode, layout=layout, _check=False)
    if _SHARED_PID != os.getpid():
        _SHARED.clear()
        _SHARED_PID = os.getpid()
    key = (path, mode, layout)
    archive = _SHARED.get(key)
    if archive is None:
        # a copy on a dask worker opens its files on first use, not on arrival
        archive = _SHARED[key] = Archive(path, mode, layout=layout, _check=False)
    return archive


def write_index(h5: tables.File, layouts: list[ChromLayout]) -> None:
    """(Re)write the layout index of a file archive (call with HDF5_LOCK held).

    Supercontig names must be ``supercontig_<n>``; otherwise no index is written
    and readers fall back to visiting the groups.
    """
    for node in (fmt.INDEX_CHROMS, fmt.INDEX_SUPERCONTIGS):
        if node in h5.root:
            h5.remove_node("/", node)
    numbers: list[int] = []
    for layout in layouts:
        for sc_name in layout.sc_names:
            suffix = sc_name[len(fmt.SUPERCONTIG_PREFIX):]
            if not sc_name.startswith(fmt.SUPERCONTIG_PREFIX) or not suffix.isdigit():
                return
            numbers.append(int(suffix))
    if any(len(layout.name.encode(fmt.ENCODING)) > fmt.INDEX_NAME_BYTES for layout in layouts):
        return
    chroms = h5.create_table("/", fmt.INDEX_CHROMS, fmt.IndexChromRow,
                             expectedrows=max(1, len(layouts)))
    scs = h5.create_table("/", fmt.INDEX_SUPERCONTIGS, fmt.IndexSupercontigRow,
                          expectedrows=max(1, len(numbers)))
    first = 0
    chrom_rows = []
    for layout in layouts:
        n = len(layout.sc_names)
        chrom_rows.append((layout.name.encode(fmt.ENCODING), layout.start, layout.end, first, n))
        first += n
    if chrom_rows:
        chroms.append(chrom_rows)
    if numbers:
        starts = np.concatenate([layout.sc_starts for layout in layouts])
        ends = np.concatenate([layout.sc_ends for layout in layouts])
        rec = np.empty(len(numbers), dtype=scs.dtype)
        rec["start"], rec["end"], rec["number"] = starts, ends, numbers
        scs.append(rec)
    chroms.flush()
    scs.flush()


__all__ = sorted([
    "HDF5_LOCK", "Archive", "ChromLayout", "FileManager", "LayoutTable", "detect_layout",
    "is_bigwig", "is_genomedata", "read_dirty", "read_format_version", "read_incomplete",
    "read_tracknames", "read_zoom_widths", "release_read_handles",
    "release_read_handles_everywhere", "write_index", "zoom_group",
])
