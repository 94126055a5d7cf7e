"""Opening archives: layout detection, picklable file managers, the HDF5 lock,
and the chromosome/supercontig layout (metadata) of an archive.

Objects elsewhere hold an :class:`Archive` (paths and a mode), never a raw
``tables.File``; handles are opened lazily per process, so an Archive survives
pickling to a dask worker and each worker opens its own files.
"""

from __future__ import annotations

import atexit
import bisect
import os
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import tables

from . import format as fmt
from .errors import ChromosomeNotFoundError, NotAnArchiveError

#: HDF5 (and so PyTables) is not thread-safe: every library call goes through
#: this one process-wide lock.  Decompression of raw chunks may run outside it.
HDF5_LOCK = threading.RLock()

#: Leaf nodes at the root of a file archive with a compact copy of the layout,
#: written by gdxarray's load-seq and close-data so that opening an archive with
#: tens of thousands of scaffolds does not visit every group.  They are Leaves,
#: not Groups, so the reference (which lists root Groups as chromosomes) ignores them.
INDEX_CHROMS = "gdxarray_chromosomes"
INDEX_SUPERCONTIGS = "gdxarray_supercontigs"

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
                if fmt.ATTR_FORMAT_VERSION in attrs._v_attrnames or INDEX_CHROMS in h5.root:
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


class FileManager:
    """Owns one PyTables handle to one HDF5 file; safe to pickle.

    ``acquire()`` opens the file on first use in each process (a handle never
    crosses a fork or a pickle) and returns the open ``tables.File``.  Call it,
    and use the handle, with :data:`HDF5_LOCK` held.
    """

    def __init__(self, path: str | os.PathLike, mode: str = "r") -> None:
        self.path = os.fspath(path)
        self.mode = mode
        self._handle: tables.File | None = None
        self._pid: int | None = None

    def acquire(self) -> tables.File:
        handle = self._handle
        if handle is not None and self._pid == os.getpid() and handle.isopen:
            return handle
        with HDF5_LOCK:
            try:
                handle = tables.open_file(self.path, self.mode, **fmt.OPEN_FILE_KWARGS)
            except (OSError, tables.HDF5ExtError) as exc:
                raise NotAnArchiveError(f"{self.path}: cannot open as HDF5 ({exc})") from exc
        self._handle, self._pid = handle, os.getpid()
        _OPEN_HANDLES.add(handle)
        return handle

    @property
    def isopen(self) -> bool:
        return self._handle is not None and self._pid == os.getpid() and self._handle.isopen

    def close(self) -> None:
        """Close the handle if this process opened it; closing twice is fine."""
        handle, self._handle = self._handle, None
        if handle is not None and self._pid == os.getpid() and handle.isopen:
            with HDF5_LOCK:
                handle.close()

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


def _read_chrom_group(name: str, group: tables.Group, file: FileManager,
                      format_version: int) -> ChromLayout:
    starts, ends, names = [], [], []
    for sc in group._f_iter_nodes(classname="Group"):
        attrs = sc._v_attrs
        starts.append(int(attrs.start))
        ends.append(int(attrs.end))
        names.append(sc._v_name)
    order = np.argsort(np.asarray(starts, dtype=np.int64), kind="stable")
    sc_starts = np.asarray(starts, dtype=np.int64)[order]
    sc_ends = np.asarray(ends, dtype=np.int64)[order]
    attrs = group._v_attrs
    if format_version == 0 or fmt.ATTR_END not in attrs._v_attrnames:
        # v0: chromosome bounds are derived from the supercontigs
        start = int(sc_starts.min()) if len(sc_starts) else 0
        end = int(sc_ends.max()) if len(sc_ends) else 0
    else:
        start, end = int(attrs.start), int(attrs.end)
    return ChromLayout(name, start, end, sc_starts, sc_ends,
                       [names[i] for i in order], file, group._v_pathname)


class Archive:
    """An HDF5 Genomedata archive of either layout, opened lazily.

    Parameters
    ----------
    path : archive file or directory
    mode : ``"r"`` or ``"r+"`` (PyTables modes)
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
    def chrom_names(self) -> list[str]:
        """Chromosome names in plain string order (the reference's order)."""
        if self._names is None:
            if self.layout == "dir":
                names = [p.name[: -len(fmt.SUFFIX)] for p in self.path.iterdir()
                         if p.name.endswith(fmt.SUFFIX) and p.is_file()]
            else:
                with HDF5_LOCK:
                    h5 = self._root_file.acquire()
                    index = self._read_index(h5)
                    if index is not None:
                        names = list(index)
                    else:
                        names = [g._v_name for g in h5.iter_nodes("/", classname="Group")]
            self._names = sorted(names)
        return self._names

    def has_chrom(self, name: str) -> bool:
        return name in self._name_set()

    def _name_set(self) -> set[str]:
        cached = getattr(self, "_names_set", None)
        if cached is None or len(cached) != len(self._names or ()):
            cached = self._names_set = set(self.chrom_names())
        return cached

    def chrom(self, name: str) -> ChromLayout:
        """Layout of chromosome *name* (cached). ChromosomeNotFoundError if absent."""
        layout = self._chroms.get(name)
        if layout is not None:
            return layout
        if name not in self._name_set():
            raise ChromosomeNotFoundError(f"Could not find chromosome: {name}")
        manager = self.chrom_file(name)
        with HDF5_LOCK:
            h5 = manager.acquire()
            if self.layout == "file":
                index = self._read_index(h5)
                if index is not None and name in index:
                    layout = self._chroms[name] = index[name]
                    return layout
            try:
                group = h5.get_node(self.chrom_where(name), classname="Group")
            except tables.NoSuchNodeError as exc:
                raise ChromosomeNotFoundError(f"Could not find chromosome: {name}") from exc
            version = self.format_version_of(h5)
            layout = _read_chrom_group(name, group, manager, 0 if version is None else version)
        self._chroms[name] = layout
        return layout

    @staticmethod
    def format_version_of(h5: tables.File) -> int | None:
        attrs = h5.root._v_attrs
        if fmt.ATTR_FORMAT_VERSION in attrs._v_attrnames:
            return int(attrs[fmt.ATTR_FORMAT_VERSION])
        return None

    def _read_index(self, h5: tables.File) -> dict[str, ChromLayout] | None:
        cached = getattr(self, "_index", False)
        if cached is not False:
            return cached
        index = None
        if INDEX_CHROMS in h5.root and INDEX_SUPERCONTIGS in h5.root:
            chroms = h5.get_node("/", INDEX_CHROMS).read()
            scs = h5.get_node("/", INDEX_SUPERCONTIGS).read()
            index = {}
            for row in chroms:
                name = row["name"].decode(fmt.ENCODING)
                first, count = int(row["first"]), int(row["count"])
                sel = scs[first:first + count]
                index[name] = ChromLayout(
                    name, int(row["start"]), int(row["end"]),
                    sel["start"].astype(np.int64), sel["end"].astype(np.int64),
                    [f"{fmt.SUPERCONTIG_PREFIX}{n}" for n in sel["number"]],
                    self._root_file, f"/{name}")
        self._index = index
        return index

    def invalidate(self) -> None:
        """Forget cached layout (after a writer changed it)."""
        self._chroms.clear()
        self._names = None
        self._index = False
        self.__dict__.pop("_names_set", None)


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


class _ChromRow(tables.IsDescription):
    name = tables.StringCol(255, pos=0)
    start = tables.UInt32Col(pos=1)
    end = tables.UInt32Col(pos=2)
    first = tables.Int64Col(pos=3)
    count = tables.Int64Col(pos=4)


class _SupercontigRow(tables.IsDescription):
    start = tables.UInt32Col(pos=0)
    end = tables.UInt32Col(pos=1)
    number = tables.Int64Col(pos=2)


def write_index(h5: tables.File, layouts: list[ChromLayout]) -> None:
    """(Re)write the layout index of a file archive (call with HDF5_LOCK held).

    Supercontig names must be ``supercontig_<n>``; otherwise no index is written
    and readers fall back to visiting the groups.
    """
    for node in (INDEX_CHROMS, INDEX_SUPERCONTIGS):
        if node in h5.root:
            h5.remove_node("/", node)
    numbers: list[int] = []
    for layout in layouts:
        for sc_name in layout.sc_names:
            suffix = sc_name[len(fmt.SUPERCONTIG_PREFIX):]
            if not sc_name.startswith(fmt.SUPERCONTIG_PREFIX) or not suffix.isdigit():
                return
            numbers.append(int(suffix))
    if any(len(layout.name.encode(fmt.ENCODING)) > 255 for layout in layouts):
        return
    chroms = h5.create_table("/", INDEX_CHROMS, _ChromRow, expectedrows=max(1, len(layouts)))
    scs = h5.create_table("/", INDEX_SUPERCONTIGS, _SupercontigRow,
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


__all__ = [
    "HDF5_LOCK", "Archive", "ChromLayout", "FileManager", "detect_layout",
    "is_bigwig", "is_genomedata", "write_index",
]
