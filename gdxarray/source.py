"""Signal sources: one object per opened file that the read faces delegate to.

:class:`gdxarray.genome.Genome` / ``Chromosome`` and the xarray backend hold a
*source* and ask it for names, layouts, reads, state and statistics; they
never look at what kind of file is behind it.  There are two kinds, with the
same methods:

* :class:`ArchiveSource` (here): an HDF5 Genomedata archive, file or
  directory layout, over :class:`gdxarray.store.Archive` and the one read path
  (:mod:`gdxarray._read`);
* :class:`gdxarray.bigwig.BigWigSource`: a bigWig file, one track, one
  supercontig per chromosome.

Both hold paths and lazily opened per-process handles, so they pickle to dask
workers without open handles.  :func:`open_source` picks the kind by content.

May import: store, _read, bigwig, format, errors.
"""

from __future__ import annotations

import os

import numpy as np

from . import _read, _zoom
from . import format as fmt
from .bigwig import BigWigSource
from .errors import MissingContinuousData, ReadOnlyError, UnsupportedError
from .store import HDF5_LOCK, Archive, ChromLayout, LayoutTable, detect_layout


class ArchiveSource:
    """An HDF5 Genomedata archive (file or directory layout), ``r`` or ``r+``."""

    kind = "archive"

    def __init__(self, path: str | os.PathLike | Archive, mode: str = "r", *,
                 layout: str | None = None) -> None:
        self.archive = path if isinstance(path, Archive) else Archive(path, mode, layout=layout)
        self.path = str(self.archive.path)
        self.mode = self.archive.mode
        self.layout_kind = self.archive.layout
        self._chunk_rows: int | None = None
        self._has_seq: bool | None = None

    def __getstate__(self) -> dict:
        return {"archive": self.archive}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["archive"])

    @property
    def writable(self) -> bool:
        return self.archive.writable

    def require_writable(self, what: str) -> Archive:
        """The Archive, for a writer; ReadOnlyError unless opened ``r+``."""
        if not self.archive.writable:
            raise ReadOnlyError(f"Genomedata archive not opened for writing (use mode='r+'): "
                                f"cannot {what}")
        self.archive.check_writable_format(what)
        return self.archive

    # -- names and layout ---------------------------------------------------------
    def chrom_names(self) -> list[str]:
        return self.archive.chrom_names()

    def has_chrom(self, name) -> bool:
        return isinstance(name, str) and self.archive.has_chrom(name)

    def chrom(self, name: str) -> ChromLayout:
        return self.archive.chrom(name)

    def layout_table(self) -> LayoutTable:
        return self.archive.layout_table()

    def chrom_sizes(self) -> dict[str, int]:
        table = self.layout_table()
        return dict(zip(table.names, table.lengths.tolist()))

    def filename(self, name: str) -> str:
        """The file holding chromosome *name*."""
        return self.archive.chrom_file(name).path

    def tracknames(self) -> list[str]:
        return self.archive.tracknames()

    def track_alias(self, trackname) -> int | None:
        """Column of a name that is not a track name but means one (None: none)."""
        return None

    def format_version(self) -> int | None:
        return self.archive.format_version()

    def check_readable(self) -> None:
        self.archive.check_readable()

    def chunk_rows(self) -> int:
        """Rows per HDF5 chunk of ``continuous`` (read from one leaf; the format fixes it)."""
        if self._chunk_rows is None:
            node = self._first_leaf(fmt.NODE_CONTINUOUS)
            self._chunk_rows = (int(node.chunkshape[0]) if node is not None and node.chunkshape
                                else fmt.CONTINUOUS_CHUNK_SHAPE[0])
        return self._chunk_rows

    def has_seq(self) -> bool:
        if self._has_seq is None:
            self._has_seq = self._first_leaf(fmt.NODE_SEQ) is not None
        return self._has_seq

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

    # -- reads: the one read path ----------------------------------------------------
    def read_continuous(self, name: str, start: int, end: int, cols, ntracks: int,
                        out: np.ndarray | None = None) -> np.ndarray:
        return _read.read_continuous(self.archive.chrom(name), start, end, cols, ntracks, out=out)

    def read_seq(self, name: str, start: int, end: int) -> np.ndarray:
        return _read.read_seq(self.archive.chrom(name), start, end)

    def summarize(self, name: str, start: int, end: int, cols, ntracks: int,
                  edges: np.ndarray, *, zoom: bool = True) -> np.ndarray:
        """Per-bin statistics accumulator ``(len(cols), nbins, 5)`` (see :func:`_read.summarize`):
        whole zoom cells from the stored pyramid while it is valid (*zoom*), the rest decoded."""
        pyramid = None
        if zoom and edges.size > 1 and int(edges[-1]) - int(edges[0]) >= 2 * fmt.ZOOM_WIDTHS[0]:
            pyramid = _zoom.pyramid(self.archive, name)
        return _read.summarize(self.archive.chrom(name), start, end, cols, ntracks, edges,
                               zoom=pyramid)

    def continuous_array(self, name: str, i: int):
        """The stored ``continuous`` EArray of supercontig *i* (MissingContinuousData if none)."""
        with HDF5_LOCK:
            node = _read.continuous_node(self.archive.chrom(name), i)
        if node is None:
            raise MissingContinuousData(f"{name}/{fmt.SUPERCONTIG_NAME_FMT % i}: no continuous "
                                        "data (no track opened)")
        return node

    def seq_array(self, name: str, i: int):
        with HDF5_LOCK:
            node = _read.seq_node(self.archive.chrom(name), i)
        if node is None:
            raise UnsupportedError(f"{name}: no sequence stored (archive built from chromosome "
                                   "sizes or AGP)")
        return node

    # -- attributes, state and statistics ---------------------------------------------
    def chrom_attrs(self, name: str):
        with HDF5_LOCK:
            return self.archive.chrom_attrs(name)

    def supercontig_attrs(self, name: str, i: int):
        layout = self.archive.chrom(name)
        with HDF5_LOCK:
            return layout.file.acquire().get_node(layout.sc_path(i))._v_attrs

    def is_dirty(self, name: str) -> bool:
        return self.archive.is_dirty(name)

    def incomplete_tracks(self, name: str) -> list[str]:
        return self.archive.incomplete_tracks(name)

    def chrom_stats(self, name: str) -> dict[str, np.ndarray | None]:
        """Stored close-data statistics of *name* (None where never computed)."""
        return self.archive.chrom_stats(name)

    def mark_dirty(self, name: str) -> None:
        with HDF5_LOCK:
            # a Python bool: stored as the 8-bit HDF5 bitfield the reference writes
            self.archive.chrom_attrs(name)[fmt.ATTR_DIRTY] = True

    def close(self) -> None:
        self.archive.close()


def summarize(source, name: str, start: int, end: int, cols, ntracks: int,
              edges: np.ndarray, *, zoom: bool = True) -> np.ndarray:
    """Per-bin statistics of any source: its fused reduction, or decoded blocks reduced."""
    if hasattr(source, "summarize"):
        return source.summarize(name, start, end, cols, ntracks, edges, zoom=zoom)
    from . import _kernels

    cols = _read.normalize_columns(cols, ntracks)
    acc = np.empty((cols.size, max(0, edges.size - 1), 5))
    acc[...] = _kernels.empty_acc(acc.shape[1])
    lo, hi = max(start, int(edges[0])), min(end, int(edges[-1]))
    layout = source.chrom(name)
    for i in layout.overlapping(lo, hi):
        a, b = max(lo, int(layout.sc_starts[i])), min(hi, int(layout.sc_ends[i]))
        for x in range(a, b, 1 << 20):
            y = min(b, x + (1 << 20))
            block = source.read_continuous(name, x, y, cols, ntracks)
            for j in range(cols.size):
                _kernels.reduce_bins(np.ascontiguousarray(block[:, j]), x, edges, acc[j])
    return acc


def open_source(path: str | os.PathLike, mode: str = "r") -> ArchiveSource | BigWigSource:
    """The source for an archive (file or directory) or a bigWig file, by content."""
    kind = detect_layout(path)
    if kind == "bigwig":
        if mode not in ("r", "rb"):
            raise UnsupportedError("bigWig files are read-only")
        return BigWigSource(path)
    return ArchiveSource(path, mode, layout=kind)


__all__ = ["ArchiveSource", "BigWigSource", "open_source", "summarize"]
