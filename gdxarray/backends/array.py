"""Lazily indexed arrays over the core read path.

Each array spans a :class:`~gdxarray.indexes.GenomeLayout` (one
chromosome for ``group=``, every chromosome end to end otherwise).  Indexing goes
through :func:`xarray.core.indexing.explicit_indexing_adapter` with outer
indexing and at most one vector; a request is cut at chromosome ends and each
piece is read by :func:`gdxarray._read.read_continuous` / ``read_seq``, which
fill gaps (and chromosomes the file lacks) with NaN / ``N`` without I/O.

May import: _read (array helpers), indexes, stats, format; reads go through the
source each array holds.
"""

from __future__ import annotations

import numpy as np
from xarray.backends import BackendArray
from xarray.core import indexing

from .. import format as fmt
from .._read import empty, normalize_columns
from ..stats import source_stats
from ..indexes import GenomeLayout

#: Positions requested as a vector are read as runs; two wanted positions
#: further apart than this start a new run (about 6 HDF5 chunks).
_RUN_GAP = 65_536


def _vector_runs(idx: np.ndarray) -> list[tuple[int, int]]:
    """Sorted unique positions -> ``[start, stop)`` runs worth one read each."""
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > _RUN_GAP) + 1
    starts = np.concatenate(([0], breaks))
    ends = np.concatenate((breaks, [idx.size]))
    return [(int(idx[s]), int(idx[e - 1]) + 1) for s, e in zip(starts, ends)]


def _simple(key) -> bool:
    """A key of slices and integers only, which the read path takes as it is."""
    return type(key) in (indexing.BasicIndexer, indexing.OuterIndexer) and all(
        isinstance(k, (slice, int, np.integer)) for k in key.tuple)


_INT = (int, np.integer)
_ALL = slice(None)


class LazyGenomeArray(indexing.LazilyIndexedArray):
    """xarray's lazy indexing wrapper, with slice-on-slice keys composed directly.

    ``ds.continuous.isel(position=slice(s, e))`` indexes the wrapper with basic
    keys; xarray's generic composition (``expanded_indexer`` and
    ``_index_indexer_1d`` per axis) costs more than a small read itself.  Keys
    of slices and integers are composed here with :class:`range` arithmetic;
    anything else (arrays, vectorized indexing, transpose) is xarray's own code.
    """

    __slots__ = ()

    def _compose(self, new_key) -> LazyGenomeArray | None:
        new = new_key.tuple
        if len(new) > len(self._shape):
            return None
        it = iter(new)
        full, shape = [], []
        for size, k in zip(self.array.shape, self.key.tuple, strict=True):
            if type(k) is not slice:
                if not isinstance(k, _INT):
                    return None  # an array from an earlier outer index: xarray's code
                full.append(k)
                continue
            nk = next(it, _ALL)
            if type(nk) is not slice and not isinstance(nk, _INT):
                return None
            r = range(*k.indices(size))[nk]
            if type(r) is int:
                full.append(r)
            else:  # a descending range that runs past 0 has stop -1: that is "None"
                full.append(slice(r.start, r.stop if r.stop >= 0 else None, r.step))
                shape.append(len(r))
        key = object.__new__(indexing.BasicIndexer)  # the parts are checked above
        key._key = tuple(full)
        view = object.__new__(type(self))
        view.array, view.key, view._shape = self.array, key, tuple(shape)
        return view

    def __getitem__(self, indexer):
        if type(indexer) is indexing.BasicIndexer:
            view = self._compose(indexer)
            if view is not None:
                return view
        return super().__getitem__(indexer)

    def _oindex_get(self, indexer):
        view = self._compose(indexer)
        return view if view is not None else super()._oindex_get(indexer)


class _GenomeArray(BackendArray):
    """Shared row handling: slices, integers and vectors along ``position``."""

    def __init__(self, source, layout: GenomeLayout, present: frozenset[str]) -> None:
        self.source = source
        self.layout = layout
        self.present = present

    def __getitem__(self, key: indexing.ExplicitIndexer) -> np.ndarray:
        if _simple(key):
            # slices and integers: read them directly (the adapter's decomposition
            # costs more than a small read)
            return self._getitem(key.tuple)
        # xarray's slice decomposition fails on an empty negative-step slice
        # (``range(...)[-1]`` of an empty range); an empty slice is an empty slice
        parts = tuple(slice(0, 0) if isinstance(k, slice) and not len(range(*k.indices(n))) else k
                      for k, n in zip(key.tuple, self.shape))
        return indexing.explicit_indexing_adapter(
            type(key)(parts), self.shape, indexing.IndexingSupport.OUTER_1VECTOR, self._getitem)

    def _read_range(self, g0: int, g1: int, *args) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _rows(self, key, *args) -> np.ndarray:
        size = self.layout.size
        if isinstance(key, (int, np.integer)):
            i = int(key)
            i = i + size if i < 0 else i
            return self._read_range(i, i + 1, *args)[0]
        if isinstance(key, slice):
            start, stop, step = key.indices(size)
            if step < 0:
                rng = range(start, stop, step)
                if len(rng) == 0:
                    return self._read_range(0, 0, *args)
                block = self._read_range(rng[-1], rng[0] + 1, *args)
                return block[::-1][::-step] if step != -1 else block[::-1]
            if stop <= start:
                return self._read_range(start, start, *args)
            block = self._read_range(start, stop, *args)
            return block[::step] if step != 1 else block
        idx = np.asarray(key, dtype=np.int64)
        idx = np.where(idx < 0, idx + size, idx)
        uniq, inverse = np.unique(idx, return_inverse=True)
        parts, where = [], np.empty(uniq.size, dtype=np.int64)
        offset = 0
        for a, b in _vector_runs(uniq):
            block = self._read_range(a, b, *args)
            sel = (uniq >= a) & (uniq < b)
            parts.append(block[uniq[sel] - a])
            where[sel] = np.arange(offset, offset + int(sel.sum()))
            offset += int(sel.sum())
        stacked = np.concatenate(parts) if parts else self._read_range(0, 0, *args)
        return stacked[where[inverse.reshape(-1)]].reshape(idx.shape + stacked.shape[1:])


class ContinuousArray(_GenomeArray):
    """``continuous``: (position, track) float32, NaN where missing."""

    def __init__(self, source, layout: GenomeLayout, present: frozenset[str], ntracks: int) -> None:
        super().__init__(source, layout, present)
        self.ntracks = ntracks
        self.shape = (layout.size, ntracks)
        self.dtype = fmt.CONTINUOUS_DTYPE

    def _getitem(self, key: tuple) -> np.ndarray:
        rows, cols = key
        scalar_col = isinstance(cols, (int, np.integer))
        col_idx = normalize_columns([int(cols)] if scalar_col else cols, self.ntracks)
        data = self._rows(rows, col_idx)
        return data[..., 0] if scalar_col else data

    def _read_range(self, g0: int, g1: int, cols: np.ndarray) -> np.ndarray:
        # Fortran order: each track is decoded straight into a contiguous column,
        # and reductions along position (the usual ones) read columns
        out = empty((max(0, g1 - g0), cols.size), self.dtype, order="F")
        pos = g0
        for ci, a, b, g in self.layout.pieces(g0, g1):
            if g > pos:  # cannot happen (chromosomes are contiguous) but stay safe
                out[pos - g0:g - g0] = np.nan
            view = out[g - g0:g - g0 + (b - a)]
            name = self.layout.names[ci]
            if name in self.present and cols.size:
                self.source.read_continuous(name, a, b, cols, self.ntracks, view)
            else:
                view.fill(np.nan)  # a chromosome this file lacks: no I/O
            pos = g + (b - a)
        if pos < g1:
            out[pos - g0:] = np.nan
        return out


class SeqArray(_GenomeArray):
    """``seq``: (position,) uint8 sequence codes, ``N`` in gaps."""

    def __init__(self, source, layout: GenomeLayout, present: frozenset[str]) -> None:
        super().__init__(source, layout, present)
        self.shape = (layout.size,)
        self.dtype = fmt.SEQ_DTYPE

    def _getitem(self, key: tuple) -> np.ndarray:
        return self._rows(key[0])

    def _read_range(self, g0: int, g1: int) -> np.ndarray:
        out = np.full(max(0, g1 - g0), fmt.SEQ_GAP, dtype=self.dtype)
        for ci, a, b, g in self.layout.pieces(g0, g1):
            name = self.layout.names[ci]
            if name in self.present:
                out[g - g0:g - g0 + (b - a)] = self.source.read_seq(name, a, b)
        return out


class StatsArray(BackendArray):
    """One per-track statistic, computed from close-data attributes on first access."""

    def __init__(self, source, chroms: list[str], ntracks: int, stat: str, cache: dict) -> None:
        self.source = source
        self.chroms = chroms
        self.ntracks = ntracks
        self.stat = stat
        self._cache = cache  # shared by the statistics of one dataset
        self.shape = (ntracks,)
        self.dtype = np.dtype(np.int64 if stat == "num_datapoints" else np.float64)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_cache"] = {}
        return state

    def __getitem__(self, key: indexing.ExplicitIndexer) -> np.ndarray:
        return indexing.explicit_indexing_adapter(
            key, self.shape, indexing.IndexingSupport.BASIC, self._getitem)

    def _getitem(self, key: tuple) -> np.ndarray:
        if "values" not in self._cache:
            self._cache["values"] = source_stats(self.source, self.chroms, self.ntracks)
        return np.asarray(self._cache["values"][self.stat], dtype=self.dtype)[key]


__all__ = ["ContinuousArray", "LazyGenomeArray", "SeqArray", "StatsArray"]
