"""close-data's zoom levels: a per-chromosome pyramid of cell summaries.

While close-data scans a chromosome for its statistics, every decoded chunk is
also reduced into cells of the finest width of :data:`gdxarray.format.ZOOM_WIDTHS`
(count, sum, sum of squares, min, max per track, by the fused kernel), which are
stored; the coarser levels are exact sums of those cells, made by the reader.  The arrays and the stamp that
keeps them honest are described in ``docs/format.md`` ("Zoom levels");
:mod:`gdxarray._zoom` reads them.

May import: store, format, _kernels.
"""

from __future__ import annotations

import numpy as np
import tables

from .. import _kernels
from .. import format as fmt
from .._native import address
from ..store import ChromLayout, read_tracknames, read_zoom_widths, zoom_group

_ATOM = tables.Float64Atom()
_RANGE_ATOM = tables.Float32Atom()


class ZoomBuilder:
    """Cells of the finest zoom width over one chromosome, filled chunk by chunk."""

    def __init__(self, length: int, ntracks: int, widths=fmt.ZOOM_WIDTHS) -> None:
        self.length = int(length)
        self.widths = tuple(int(w) for w in widths)
        width = self.widths[0]
        ncells = -(-self.length // width)
        self.edges = np.minimum(np.arange(ncells + 1, dtype=np.int64) * width, self.length)
        self.acc = np.empty((ntracks, ncells, 5), dtype=np.float64)
        self.acc[...] = _kernels.empty_acc(ncells)
        self._edges_at = address(self.edges)

    def add(self, col: int, pos: int, values: np.ndarray) -> None:
        """Values of track *col* at chromosome positions ``pos, pos + 1, ...`` (NaN ignored)."""
        kernel = _kernels.KERNEL
        if kernel is None or values.dtype != fmt.CONTINUOUS_DTYPE or not values.flags.c_contiguous:
            _kernels.reduce_bins(values, pos, self.edges, self.acc[col])
            return
        kernel[0](address(values), values.size, int(pos), self._edges_at, self.edges.size - 1,
                  address(self.acc[col]))

    def cells(self) -> np.ndarray:
        """The cells as ``(5, ntracks, ncells)`` float64 (count, sum, sum of squares, min, max)."""
        return np.ascontiguousarray(self.acc.transpose(2, 0, 1))


def builder_for(layout: ChromLayout, ntracks: int) -> ZoomBuilder | None:
    """A builder when the chromosome is long enough to get zoom levels, else None."""
    if ntracks == 0 or layout.end < fmt.ZOOM_MIN_LENGTH:
        return None
    return ZoomBuilder(layout.end, ntracks)


def missing(group: tables.Group, layout: ChromLayout, archive) -> bool:
    """True when a clean chromosome should have zoom levels and close-data should
    rebuild them (call with the lock held): it has none (closed before they
    existed, or by another tool), or has them for the same tracks but another
    tool changed the data and recomputed the statistics since.  Not when tracks
    were appended to a closed chromosome with their statistics
    (``add_track_statistics``, combine-tracks): rescanning every track there
    would undo what that saves; the stale cells are ignored by readers until the
    chromosome is next closed dirty."""
    if layout.end < fmt.ZOOM_MIN_LENGTH:
        return False
    h5 = group._v_file
    tracknames = read_tracknames(h5.root._v_attrs)
    zgroup = zoom_group(h5, layout)
    if not tracknames or zgroup is None:
        return False
    if read_zoom_widths(group, zgroup, tracknames) == list(fmt.ZOOM_WIDTHS):
        return False
    name = fmt.zoom_node_name(fmt.ZOOM_WIDTHS[0])
    if name not in zgroup:
        return True
    attrs = zgroup._f_get_child(name)._v_attrs
    if fmt.ATTR_ZOOM_TRACKNAMES not in attrs._v_attrnames:
        return True
    stored = [fmt.decode_trackname(v) for v in np.atleast_1d(attrs[fmt.ATTR_ZOOM_TRACKNAMES])]
    return not (len(stored) < len(tracknames) and tracknames[:len(stored)] == stored)


def remove(group: tables.Group | None) -> None:
    """Drop every zoom array of *group* (:func:`gdxarray.store.zoom_group`; lock held)."""
    if group is None:
        return
    for width in fmt.ZOOM_WIDTHS:
        for part in ("", "range"):
            name = fmt.zoom_node_name(width, part)
            if name in group:
                group._f_get_child(name)._f_remove()


def write(h5: tables.File, layout: ChromLayout, builder: ZoomBuilder | None,
          tracknames: list[str], counts: np.ndarray, sums: np.ndarray) -> None:
    """Replace the chromosome's zoom arrays with *builder*'s (none if None), stamped
    with the statistics close-data just stored (call with the lock held)."""
    group = zoom_group(h5, layout)
    remove(group)
    if builder is None or group is None:
        return
    names = np.array([fmt.encode_trackname(t) for t in tracknames])
    cells = builder.cells()
    width = builder.widths[0]
    ntracks, ncells = cells.shape[1], cells.shape[2]
    per_chunk = max(1, min(ncells, (1 << 20) // (3 * 8 * max(1, ntracks))))
    node = h5.create_carray(group, fmt.zoom_node_name(width), _ATOM, (3, ntracks, ncells),
                            filters=fmt.ZOOM_FILTERS, chunkshape=(3, ntracks, per_chunk),
                            obj=cells[:3])
    h5.create_carray(group, fmt.zoom_node_name(width, "range"), _RANGE_ATOM, (2, ntracks, ncells),
                     filters=fmt.ZOOM_FILTERS, chunkshape=(2, ntracks, per_chunk),
                     obj=cells[3:].astype(np.float32))  # float32 values: exact
    attrs = node._v_attrs
    attrs[fmt.ATTR_ZOOM_TRACKNAMES] = names
    attrs[fmt.ATTR_ZOOM_COUNTS] = np.asarray(counts, dtype=np.int64)
    attrs[fmt.ATTR_ZOOM_SUMS] = np.asarray(sums, dtype=np.float64)


__all__ = ["ZoomBuilder", "builder_for", "missing", "remove", "write"]
