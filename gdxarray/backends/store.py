"""The backend's store: what xarray needs of an archive or a bigWig file.

A :class:`GenomedataStore` owns one *source* (an :class:`ArchiveSource` over
:class:`gdxarray.store.Archive`, or a :class:`BigWigSource` over
:class:`gdxarray.bigwig.BigWigFile`).  Both hold paths and lazily opened,
per-process handles, so they pickle to dask workers without open handles and
each worker process opens its own files.  Reads go through the core read path
(:func:`gdxarray._read.read_continuous` / :func:`gdxarray._read.read_seq`), which
takes the one process-wide HDF5 lock (:data:`gdxarray.store.HDF5_LOCK`) around
every library call; the lock is looked up as a module global on each call, never
stored or pickled, so every distributed worker process uses its own.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from .. import _read
from .. import format as fmt
from ..errors import (
    ChromosomeDirtyError,
    GenomedataDirtyWarning,
    UnsupportedError,
)
from ..store import (
    HDF5_LOCK,
    INDEX_CHROMS,
    INDEX_SUPERCONTIGS,
    Archive,
    detect_layout,
    is_bigwig,
    is_genomedata,
)
from .genome_index import GenomeLayout

#: Read-block (and preferred-chunk) length along ``position`` for bigWig files,
#: which have no storage chunks of their own.
BIGWIG_BLOCK = 1_000_000

STAT_VARS = ("mins", "maxs", "sums", "sums_squares", "num_datapoints", "means", "vars")


def get_lock(kind: str) -> threading.RLock:
    """The process-wide lock guarding one kind of file (``"archive"`` or ``"bigwig"``).

    Looked up on every use: a lock is never pickled, so each dask worker
    process has its own.
    """
    if kind == "bigwig":
        from .. import bigwig

        return bigwig._LOCK
    return HDF5_LOCK


class ArchiveSource:
    """An HDF5 Genomedata archive, file or directory layout (read-only)."""

    kind = "archive"

    def __init__(self, path: str | os.PathLike) -> None:
        self.archive = Archive(path, "r")
        self.path = str(self.archive.path)
        self.layout_kind = self.archive.layout
        self._meta: dict | None = None
        self._table: LayoutTable | None = None
        self._sizes: dict[str, int] | None = None
        self._chunk_rows: int | None = None

    def __getstate__(self) -> dict:
        return {"path": self.path}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["path"])

    # -- metadata ---------------------------------------------------------------
    def _first_file_attrs(self) -> dict:
        if self._meta is None:
            meta = {"tracknames": [], "format_version": None}
            names = self.layout_table().names if self.layout_kind == "dir" else [None]
            if names:
                manager = (self.archive._root_file if self.layout_kind == "file"
                           else self.archive.chrom_file(names[0]))
                with HDF5_LOCK:
                    h5 = manager.acquire()
                    attrs = h5.root._v_attrs
                    if fmt.ATTR_TRACKNAMES in attrs._v_attrnames:
                        meta["tracknames"] = [fmt.decode_trackname(t)
                                              for t in attrs[fmt.ATTR_TRACKNAMES]]
                    meta["format_version"] = Archive.format_version_of(h5)
            self._meta = meta
        return self._meta

    @property
    def tracknames(self) -> list[str]:
        return list(self._first_file_attrs()["tracknames"])

    @property
    def format_version(self) -> int | None:
        return self._first_file_attrs()["format_version"]

    def layout_table(self) -> "LayoutTable":
        """Names, lengths and supercontigs of every chromosome, as arrays.

        File archives written by gdxarray carry a compact layout index
        (:data:`gdxarray.store.INDEX_CHROMS` / ``INDEX_SUPERCONTIGS``); it is read
        here in two table reads, vectorised, so opening an archive of tens of
        thousands of scaffolds does not build one object per chromosome.  Other
        archives fall back to the per-chromosome layouts of :class:`Archive`.
        """
        if self._table is None:
            table = self._index_table() if self.layout_kind == "file" else None
            if table is None:
                names = self.archive.chrom_names()
                layouts = [self.archive.chrom(n) for n in names]
                counts = np.array([len(lay.sc_starts) for lay in layouts], dtype=np.int64)
                table = LayoutTable(
                    names, np.array([lay.end for lay in layouts], dtype=np.int64),
                    np.repeat(np.arange(len(names)), counts),
                    _cat([lay.sc_starts for lay in layouts]),
                    _cat([lay.sc_ends for lay in layouts]))
            self._table = table
        return self._table

    def _index_table(self) -> "LayoutTable | None":
        with HDF5_LOCK:
            h5 = self.archive._root_file.acquire()
            if INDEX_CHROMS not in h5.root or INDEX_SUPERCONTIGS not in h5.root:
                return None
            chroms = h5.get_node("/", INDEX_CHROMS).read()
            scs = h5.get_node("/", INDEX_SUPERCONTIGS).read()
        names = np.char.decode(chroms["name"], fmt.ENCODING)
        order = np.argsort(names, kind="stable")  # the archive's (sorted) chromosome order
        first = chroms["first"].astype(np.int64)[order]
        count = chroms["count"].astype(np.int64)[order]
        # supercontig rows of each chromosome, in the new chromosome order
        rows = np.repeat(first - np.concatenate(([0], np.cumsum(count)[:-1])), count) + np.arange(
            int(count.sum()))
        sc_chrom = np.repeat(np.arange(order.size), count)
        return LayoutTable(names[order].tolist(), chroms["end"].astype(np.int64)[order], sc_chrom,
                           scs["start"].astype(np.int64)[rows], scs["end"].astype(np.int64)[rows])

    def chrom_sizes(self) -> dict[str, int]:
        if self._sizes is None:
            table = self.layout_table()
            self._sizes = dict(zip(table.names, table.lengths.tolist()))
        return self._sizes

    def has_chrom(self, name: str) -> bool:
        return name in self.chrom_sizes()

    def _first_leaf(self, node: str):
        """The *node* leaf of the first stored supercontig (or None), without
        building every chromosome's layout."""
        table = self.layout_table()
        if not table.sc_chrom.size:
            return None
        name = table.names[int(table.sc_chrom[0])]
        with HDF5_LOCK:
            h5 = self.archive.chrom_file(name).acquire()
            group = h5.get_node(self.archive.chrom_where(name))
            for sc in group._f_iter_nodes(classname="Group"):
                return getattr(sc, node) if node in sc else None
        return None

    def chunk_rows(self) -> int:
        """Rows per HDF5 chunk of ``continuous`` (read from one leaf; the format fixes it)."""
        if self._chunk_rows is None:
            node = self._first_leaf(fmt.NODE_CONTINUOUS)
            self._chunk_rows = (int(node.chunkshape[0]) if node is not None and node.chunkshape
                                else fmt.CONTINUOUS_CHUNK_SHAPE[0])
        return self._chunk_rows

    def has_seq(self) -> bool:
        return self._first_leaf(fmt.NODE_SEQ) is not None

    def dirty(self, name: str) -> bool:
        layout = self.archive.chrom(name)
        with HDF5_LOCK:
            attrs = layout.file.acquire().get_node(layout.where)._v_attrs
            return bool(attrs[fmt.ATTR_DIRTY]) if fmt.ATTR_DIRTY in attrs._v_attrnames else False

    # -- reads: the core read path ------------------------------------------------
    def read_continuous(self, name: str, start: int, end: int, cols: np.ndarray,
                        ntracks: int, out: np.ndarray) -> None:
        _read.read_continuous(self.archive.chrom(name), start, end, cols, ntracks, out=out)

    def read_seq(self, name: str, start: int, end: int) -> np.ndarray:
        return _read.read_seq(self.archive.chrom(name), start, end)

    # -- statistics (close-data attributes; no signal is read) ------------------------
    def stats(self, chroms: list[str], ntracks: int) -> dict[str, np.ndarray]:
        """Per-track statistics over *chroms*; NaN (with a warning) if any is dirty."""
        from ..genome import Genome

        acc = {name: [] for name in fmt.STAT_NAMES}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", GenomedataDirtyWarning)
            genome = Genome(self.path)
        try:
            for name in chroms:
                chrom = genome[name]
                for stat in fmt.STAT_NAMES:
                    acc[stat].append(np.asarray(getattr(chrom, stat)))
        except ChromosomeDirtyError as exc:
            warnings.warn(f"{self.path}: statistics unavailable ({exc}); they read as NaN",
                          GenomedataDirtyWarning, stacklevel=2)
            return _nan_stats(ntracks)
        finally:
            genome.close()
        return _combine_stats(acc, ntracks)

    def close(self) -> None:
        self.archive.close()


class BigWigSource:
    """A bigWig file: one track named after the file stem, one supercontig per chromosome."""

    kind = "bigwig"
    layout_kind = "bigwig"
    format_version = None

    def __init__(self, path: str | os.PathLike) -> None:
        from ..bigwig import BigWigFile

        self.path = str(Path(os.path.expanduser(os.fspath(path))).resolve())
        self.file = BigWigFile(self.path)
        self.trackname = Path(self.path).name.split(".")[0] or Path(self.path).stem

    def __getstate__(self) -> dict:
        return {"path": self.path, "file": self.file}

    def __setstate__(self, state: dict) -> None:
        self.path, self.file = state["path"], state["file"]
        self.trackname = Path(self.path).name.split(".")[0] or Path(self.path).stem

    @property
    def tracknames(self) -> list[str]:
        return [self.trackname]

    def chrom_sizes(self) -> dict[str, int]:
        return {name: int(self.file.chroms[name]) for name in sorted(self.file.chroms)}

    def layout_table(self) -> "LayoutTable":
        sizes = self.chrom_sizes()
        lengths = np.array(list(sizes.values()), dtype=np.int64)
        return LayoutTable(list(sizes), lengths, np.arange(lengths.size), np.zeros_like(lengths),
                           lengths.copy())

    def has_chrom(self, name: str) -> bool:
        return name in self.file.chroms

    def chunk_rows(self) -> int:
        return BIGWIG_BLOCK

    def has_seq(self) -> bool:
        return False

    def dirty(self, name: str) -> bool:
        return False

    def read_continuous(self, name: str, start: int, end: int, cols: np.ndarray,
                        ntracks: int, out: np.ndarray) -> None:
        out[:] = self.file.values(name, start, end)[:, None]

    def read_seq(self, name: str, start: int, end: int) -> np.ndarray:
        raise UnsupportedError("a bigWig file has no sequence")

    def stats(self, chroms: list[str], ntracks: int) -> dict[str, np.ndarray]:
        from ..genome import Genome

        with Genome(self.path) as genome:
            if sorted(chroms) == sorted(self.file.chroms):
                acc = {stat: [np.asarray(getattr(genome, stat))] for stat in fmt.STAT_NAMES}
            else:
                acc = {stat: [np.asarray(getattr(genome[c], stat)) for c in chroms]
                       for stat in fmt.STAT_NAMES}
        return _combine_stats(acc, ntracks)

    def close(self) -> None:
        self.file.close()


def _nan_stats(ntracks: int) -> dict[str, np.ndarray]:
    out = {stat: np.full(ntracks, np.nan) for stat in STAT_VARS}
    out["num_datapoints"] = np.full(ntracks, -1, dtype=np.int64)
    return out


def _combine_stats(acc: dict[str, list[np.ndarray]], ntracks: int) -> dict[str, np.ndarray]:
    def stack(name):
        rows = [np.asarray(v, dtype=np.float64).reshape(-1) for v in acc[name]
                if np.asarray(v).size == ntracks]
        return np.vstack(rows) if rows else np.empty((0, ntracks))

    out = {
        "mins": np.min(stack("mins"), axis=0, initial=np.inf),
        "maxs": np.max(stack("maxs"), axis=0, initial=-np.inf),
        "sums": stack("sums").sum(axis=0),
        "sums_squares": stack("sums_squares").sum(axis=0),
        "num_datapoints": stack("num_datapoints").sum(axis=0).astype(np.int64),
    }
    with np.errstate(divide="ignore", invalid="ignore"):
        n = out["num_datapoints"].astype(np.float64)
        out["means"] = np.where(n > 0, out["sums"] / n, np.nan)
        out["vars"] = np.where(n > 0, out["sums_squares"] / n - np.square(out["means"]), np.nan)
    return out


def open_source(path: str | os.PathLike) -> ArchiveSource | BigWigSource:
    """The source for an archive (file or directory) or a bigWig file."""
    kind = detect_layout(path)
    return BigWigSource(path) if kind == "bigwig" else ArchiveSource(path)


def resolve_chrom_sizes(spec) -> dict[str, int]:
    """Chromosome sizes from a mapping, a path (archive, bigWig or a ``name length``
    sizes file), or a list of those (their union, sorted by name)."""
    if spec is None:
        return {}
    if isinstance(spec, Mapping):
        return {str(k): int(v) for k, v in spec.items()}
    if isinstance(spec, (str, os.PathLike)):
        path = os.fspath(spec)
        if is_bigwig(path) or is_genomedata(path):
            source = open_source(path)
            try:
                return source.chrom_sizes()
            finally:
                source.close()
        sizes: dict[str, int] = {}
        with open(path) as fh:
            for line in fh:
                fields = line.split()
                if len(fields) >= 2 and not line.startswith("#"):
                    sizes[fields[0]] = int(fields[1])
        return sizes
    if isinstance(spec, Iterable):
        union: dict[str, int] = {}
        for item in spec:
            for name, length in resolve_chrom_sizes(item).items():
                if union.setdefault(name, length) != length:
                    raise ValueError(f"chromosome {name} has length {union[name]} in one "
                                     f"chrom_sizes entry and {length} in another")
        return dict(sorted(union.items()))
    raise TypeError(f"chrom_sizes must be a mapping, a path or a list of them, not {spec!r}")


class LayoutTable:
    """Chromosomes (sorted names, lengths) and supercontigs (chromosome index, start, end),
    the supercontigs grouped by chromosome in chromosome order."""

    __slots__ = ("names", "lengths", "sc_chrom", "sc_starts", "sc_ends", "_lookup", "_first")

    def __init__(self, names, lengths, sc_chrom, sc_starts, sc_ends) -> None:
        self.names = list(names)
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.sc_chrom = np.asarray(sc_chrom, dtype=np.int64)
        self.sc_starts = np.asarray(sc_starts, dtype=np.int64)
        self.sc_ends = np.asarray(sc_ends, dtype=np.int64)
        self._lookup: dict[str, int] | None = None
        self._first: np.ndarray | None = None

    def index(self, names) -> np.ndarray:
        """Row of each name in this table (-1 if absent)."""
        if self._lookup is None:
            self._lookup = {n: i for i, n in enumerate(self.names)}
        return np.array([self._lookup.get(n, -1) for n in names], dtype=np.int64)

    def supercontig_rows(self, chroms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in *chroms*, supercontig row) for the supercontigs of table rows *chroms*."""
        if self._first is None:
            self._first = np.searchsorted(self.sc_chrom, np.arange(len(self.names) + 1))
        chroms = np.asarray(chroms, dtype=np.int64)
        first, last = self._first[chroms], self._first[chroms + 1]
        count = last - first
        owner = np.repeat(np.arange(chroms.size), count)
        rows = np.repeat(first - (np.cumsum(count) - count), count) + np.arange(int(count.sum()))
        return owner, rows


def _cat(parts) -> np.ndarray:
    return np.concatenate(parts).astype(np.int64) if parts else np.array([], dtype=np.int64)


def chunk_grid(source, layout: GenomeLayout, *, rows: int | None = None) -> tuple[int, ...]:
    """Preferred chunk sizes along ``position``.

    Every boundary is a chromosome end, a supercontig edge, or an HDF5 chunk
    boundary (supercontig start + k * chunk rows); gaps and chromosomes the
    source lacks are cut at the same spacing, so a chunk never straddles stored
    data and a gap.  Vectorised: O(number of supercontigs + chunks).
    """
    rows = rows or source.chunk_rows()
    if layout.size == 0:
        return (0,)
    table = source.layout_table()
    where = table.index(layout.names)  # each layout chromosome's row in the source (-1: none)
    present = np.flatnonzero(where >= 0)
    owner, sc = table.supercontig_rows(where[present])
    chrom = present[owner]  # layout index of each supercontig
    lengths = layout.lengths[chrom]
    sc_off = layout.offsets[chrom]
    points = np.concatenate((
        layout.offsets, layout.offsets + layout.lengths,
        sc_off + np.clip(table.sc_starts[sc], 0, lengths),
        sc_off + np.clip(table.sc_ends[sc], 0, lengths)))
    points = np.unique(points)
    starts, ends = points[:-1], points[1:]
    counts = -(-(ends - starts) // rows)
    first = np.repeat(starts, counts)
    k = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    bounds = np.append(first + k * rows, layout.size)
    return tuple(np.diff(bounds).tolist())


__all__ = ["ArchiveSource", "BIGWIG_BLOCK", "BigWigSource", "LayoutTable", "STAT_VARS",
           "chunk_grid",
           "get_lock", "open_source", "resolve_chrom_sizes"]
