"""Reading close-data's zoom levels: whole cells of a summary from the stored pyramid.

A chromosome's zoom arrays (``docs/format.md``, "Zoom levels") hold count, sum,
sum of squares, min and max per track in 10 kb cells aligned to coordinate 0;
the 100 kb and 1 Mb levels are summed from them when first read.  :meth:`Pyramid.answer` covers each bin with the
coarsest cells that fit inside it, then the finer ones, and hands back only
what no cell covers (at most two pieces per bin, under one finest cell each)
for the read path to decode: the answer is the same as decoding everything,
up to the order of float64 additions.  Arrays are read once per file version.

May import: store, format, _kernels.
"""

from __future__ import annotations

import numpy as np

from . import _kernels
from . import format as fmt
from .store import Archive, zoom_group


class Pyramid:
    """The valid zoom levels of one chromosome (coarsest first)."""

    def __init__(self, length: int, levels: list[tuple[int, np.ndarray]]) -> None:
        self.length = int(length)
        # (width, (5, ntracks, ncells + 1)): one empty cell at the end, so that
        # reduceat may index one past the last cell
        self.levels = sorted(levels, reverse=True)

    def answer(self, edges: np.ndarray, cols: np.ndarray, acc: np.ndarray, lo: int,
               hi: int) -> list[tuple[int, int]]:
        """Add every whole cell inside a bin of *edges* (within ``[lo, hi)``) into *acc*
        ``(len(cols), nbins, 5)``; return the sorted ranges left to decode."""
        nbins = edges.size - 1
        j = np.arange(nbins, dtype=np.int64)
        a = np.maximum(edges[:-1], lo)
        b = np.minimum(edges[1:], hi)
        keep = b > a
        j, a, b = j[keep], a[keep], b[keep]
        for width, cells in self.levels:
            if not j.size:
                break
            ncells = cells.shape[2] - 1
            c0 = -(-a // width)
            c1 = np.minimum(np.where(b >= self.length, ncells, b // width), ncells)
            full = c1 > c0
            if not full.any():
                continue
            jf, f0, f1 = j[full], c0[full], c1[full]
            af, bf = a[full], b[full]
            if cols.size == cells.shape[1] and np.array_equal(cols, np.arange(cols.size)):
                sub = cells
            else:
                sub = cells[:, cols, :]
            idx = np.stack([f0, f1], axis=1).reshape(-1)
            sums = np.add.reduceat(sub[:3], idx, axis=2)[:, :, ::2]
            mins = np.minimum.reduceat(sub[3], idx, axis=1)[:, ::2]
            maxs = np.maximum.reduceat(sub[4], idx, axis=1)[:, ::2]
            everything = slice(None)
            for k in range(3):
                np.add.at(acc[:, :, k], (everything, jf), sums[k])
            np.minimum.at(acc[:, :, _kernels.MIN], (everything, jf), mins)
            np.maximum.at(acc[:, :, _kernels.MAX], (everything, jf), maxs)
            # what the cells left: a piece before the first and after the last
            left_b = np.minimum(bf, f0 * width)
            right_a = np.maximum(af, np.minimum(f1 * width, self.length))
            j = np.concatenate([j[~full], jf, jf])
            a2 = np.concatenate([a[~full], af, right_a])
            b2 = np.concatenate([b[~full], left_b, bf])
            keep = b2 > a2
            j, a, b = j[keep], a2[keep], b2[keep]
        order = np.argsort(a, kind="stable")
        ranges: list[list[int]] = []
        for x, y in zip(a[order].tolist(), b[order].tolist()):
            if ranges and ranges[-1][1] == x:
                ranges[-1][1] = y
            else:
                ranges.append([x, y])
        return [(x, y) for x, y in ranges]


def coarsen(cells: np.ndarray, factor: int) -> np.ndarray:
    """Cells ``(5, ntracks, n)`` merged *factor* at a time (the last group may be shorter)."""
    _, ntracks, n = cells.shape
    m = -(-n // factor)
    padded = np.empty((5, ntracks, m * factor))
    padded[:3] = 0.0
    padded[3], padded[4] = np.inf, -np.inf
    padded[:, :, :n] = cells
    groups = padded.reshape(5, ntracks, m, factor)
    out = np.empty((5, ntracks, m))
    out[:3] = groups[:3].sum(axis=3)
    out[3] = groups[3].min(axis=2)
    out[4] = groups[4].max(axis=2)
    return out


def _padded(cells: np.ndarray) -> np.ndarray:
    out = np.empty(cells.shape[:2] + (cells.shape[2] + 1,), dtype=np.float64)
    out[:, :, :-1] = cells
    out[:3, :, -1] = 0.0
    out[3, :, -1], out[4, :, -1] = np.inf, -np.inf
    return out


def pyramid(archive: Archive, name: str) -> Pyramid | None:
    """The zoom levels of chromosome *name* while they are valid, else None."""
    widths = archive.zoom_widths(name)
    if not widths:
        return None
    layout = archive.chrom(name)

    def read():
        group = zoom_group(layout.file.acquire(), layout)
        width = widths[0]
        sums = group._f_get_child(fmt.zoom_node_name(width)).read()
        ranges = group._f_get_child(fmt.zoom_node_name(width, "range")).read()
        cells = np.concatenate([sums, ranges.astype(np.float64)])
        levels = []
        for w in widths:
            if w != width:
                cells = coarsen(cells, w // width)
                width = w
            levels.append((w, _padded(cells)))
        return Pyramid(layout.end, levels)

    return layout.file.cached(("zoom", name, tuple(widths)), read)


__all__ = ["Pyramid", "coarsen", "pyramid"]
