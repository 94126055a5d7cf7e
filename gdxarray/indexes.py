"""A lazy whole-genome index: chromosomes laid end to end along ``position``.

An xarray :class:`~xarray.Index` over a coordinate transform.  The dataset of a
whole genome has one ``position`` dimension (every base of every chromosome,
in the archive's chromosome order) and two coordinates computed on demand from
a position: ``chrom`` (the chromosome name) and ``pos`` (0-based position within
it).  Nothing of genome length is ever built to open, select, slice or align
datasets with equal layouts: the index holds the chromosome names, lengths and
offsets, plus a window of genome offsets: a ``range(start, stop, step)`` that
``isel`` slices update, or, after point selections and concatenations, the array
of selected offsets (as long as the selection).

>>> import numpy as np, xarray as xr
>>> index = GenomeIndex.from_sizes({"chr1": 1000, "chr2": 500})
>>> ds = xr.Dataset({"x": ("position", np.arange(1500.0))},
...                 coords=xr.Coordinates.from_xindex(index))
>>> sub = ds.sel(chrom="chr2", pos=slice(10, 19))     # label slices include the end
>>> int(sub.x[0]), sub.sizes["position"], str(sub.chrom[0].values)
(1010, 10, 'chr2')

Shared by the xarray backend and the ``.gd`` accessor.  May import: xarray,
pandas, format, errors.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.lib.mixins import NDArrayOperatorsMixin
from xarray import DataArray, Variable
from xarray.core.coordinate_transform import CoordinateTransform
from xarray.core.indexes import CoordinateTransformIndex, Index
from xarray.core.indexing import CoordinateTransformIndexingAdapter, IndexSelResult

from . import format as fmt
from .errors import ChromosomeNotFoundError, suggest

COORD_CHROM = fmt.COORD_CHROM
COORD_POS = fmt.COORD_POS

#: Above this many positions, aligning genomes by reindexing warns (its cost is O(genome)).
_ALIGN_WARN_SIZE = 50_000_000


class GenomeLayout:
    """Chromosome names and lengths, laid end to end (immutable, cheap to pickle).

    ``offsets[i]`` is where chromosome *i* starts along the genome; ``size`` the
    total length.  Arrays are O(number of chromosomes), never O(genome length).
    """

    __slots__ = ("names", "lengths", "offsets", "size", "_lookup", "_names_array", "_hash")

    def __init__(self, names: Iterable[str], lengths: Iterable[int]) -> None:
        self.names = tuple(str(n) for n in names)
        self.lengths = np.asarray(list(lengths) if not isinstance(lengths, np.ndarray) else lengths,
                                  dtype=np.int64).reshape(-1)
        if len(self.names) != self.lengths.size:
            raise ValueError("one length per chromosome name is needed")
        if len(set(self.names)) != len(self.names):
            raise ValueError("chromosome names must be unique")
        if self.lengths.size and self.lengths.min() < 0:
            raise ValueError("chromosome lengths must be >= 0")
        ends = np.cumsum(self.lengths)
        self.offsets = ends - self.lengths
        self.size = int(ends[-1]) if ends.size else 0
        self._lookup: dict[str, int] | None = None
        self._names_array: np.ndarray | None = None
        self._hash: int | None = None

    @classmethod
    def from_sizes(cls, sizes: Mapping[str, int]) -> "GenomeLayout":
        return cls(list(sizes), list(sizes.values()))

    def __getstate__(self):
        return {"names": self.names, "lengths": self.lengths}

    def __setstate__(self, state):
        self.__init__(state["names"], state["lengths"])

    def __len__(self) -> int:
        return len(self.names)

    def __eq__(self, other) -> bool:
        return self is other or (isinstance(other, GenomeLayout) and hash(self) == hash(other)
                                 and self.names == other.names
                                 and np.array_equal(self.lengths, other.lengths))

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash((self.names, self.lengths.tobytes()))
        return self._hash

    def __repr__(self) -> str:
        return f"GenomeLayout({len(self.names)} chromosomes, {self.size:,} positions)"

    @property
    def sizes(self) -> dict[str, int]:
        return dict(zip(self.names, self.lengths.tolist()))

    @property
    def names_array(self) -> np.ndarray:
        """Chromosome names as a fixed-width unicode array (dtype of the ``chrom`` coordinate)."""
        if self._names_array is None:
            width = max((len(n) for n in self.names), default=1)
            self._names_array = np.array(self.names, dtype=f"<U{max(width, 1)}")
        return self._names_array

    def _index(self) -> dict[str, int]:
        if self._lookup is None:
            self._lookup = {n: i for i, n in enumerate(self.names)}
        return self._lookup

    def index_of(self, name: str) -> int:
        try:
            return self._index()[str(name)]
        except KeyError:
            raise ChromosomeNotFoundError(_not_found(name, self.names)) from None

    def __contains__(self, name) -> bool:
        return str(name) in self._index()

    def span(self, name: str) -> tuple[int, int]:
        """Genome offsets ``[start, end)`` of chromosome *name*."""
        i = self.index_of(name)
        return int(self.offsets[i]), int(self.offsets[i] + self.lengths[i])

    def locate(self, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Genome offsets -> (chromosome index, position within the chromosome)."""
        offsets = np.asarray(offsets, dtype=np.int64)
        # the last chromosome starting at or before the offset; zero-length
        # chromosomes share their successor's offset and are skipped this way
        ci = np.searchsorted(self.offsets, offsets, side="right") - 1
        ci = np.clip(ci, 0, max(len(self.names) - 1, 0))
        return ci, offsets - self.offsets[ci] if len(self.names) else offsets

    def pieces(self, start: int, stop: int):
        """``(chromosome index, chrom_start, chrom_end, genome_start)`` for each
        chromosome overlapping genome offsets ``[start, stop)``."""
        if stop <= start or not len(self.names):
            return
        first = int(np.searchsorted(self.offsets, start, side="right")) - 1
        for i in range(max(first, 0), len(self.names)):
            off = int(self.offsets[i])
            if off >= stop:
                break
            length = int(self.lengths[i])
            lo, hi = max(start, off), min(stop, off + length)
            if hi > lo:
                yield i, lo - off, hi - off, lo


def _not_found(name, names) -> str:
    return f"Could not find chromosome: {name}" + suggest(name, names)


class GenomeTransform(CoordinateTransform):
    """Window of genome offsets -> (``chrom``, ``pos``).

    The window is a ``range`` (the whole genome, or what slicing left of it: no
    memory) or, after point selections and concatenations, an int64 array of
    genome offsets (as long as the selection itself).
    """

    def __init__(self, layout: GenomeLayout, window: range | np.ndarray | None = None, *,
                 dim: str = fmt.DIM_POSITION,
                 coord_names: tuple[Hashable, Hashable] = (COORD_CHROM, COORD_POS)) -> None:
        window = range(0, layout.size) if window is None else window
        if isinstance(window, range) and window.step < 0:
            window = np.arange(window.start, window.stop, window.step, dtype=np.int64)
        if not isinstance(window, range):
            window = np.asarray(window, dtype=np.int64).reshape(-1)
        super().__init__(coord_names, {dim: len(window)}, dtype=np.dtype(np.int64))
        self.layout = layout
        self.window = window

    @property
    def dim(self) -> str:
        return self.dims[0]

    @property
    def is_range(self) -> bool:
        return isinstance(self.window, range)

    @property
    def full(self) -> bool:
        w = self.window
        return self.is_range and w.step == 1 and w.start == 0 and w.stop == self.layout.size

    def coord_dtype(self, name: Hashable) -> np.dtype:
        if name == self.coord_names[0]:
            return self.layout.names_array.dtype
        return np.dtype(np.int64)

    def offsets(self, positions) -> np.ndarray:
        """Window indices -> genome offsets."""
        w = self.window
        positions = np.asarray(positions, dtype=np.int64)
        if self.is_range:
            return w.start + positions * w.step
        return w[positions]

    def all_offsets(self) -> np.ndarray:
        w = self.window
        return np.arange(w.start, w.stop, w.step, dtype=np.int64) if self.is_range else w

    def forward(self, dim_positions: dict[str, Any]) -> dict[Hashable, Any]:
        ci, pos = self.layout.locate(self.offsets(dim_positions[self.dim]))
        chrom_name, pos_name = self.coord_names
        return {chrom_name: self.layout.names_array[ci], pos_name: pos}

    def reverse(self, coord_labels: dict[Hashable, Any]) -> dict[str, Any]:
        chrom_name, pos_name = self.coord_names
        chroms = np.asarray(coord_labels[chrom_name]).reshape(-1)
        pos = np.asarray(coord_labels[pos_name], dtype=np.int64).reshape(-1)
        chroms, pos = np.broadcast_arrays(chroms, pos)
        return {self.dim: self._window_indices(self._offsets_of(chroms, pos))}

    # -- label helpers ---------------------------------------------------------
    def _offsets_of(self, chroms: np.ndarray, pos: np.ndarray) -> np.ndarray:
        uniq, inverse = np.unique(chroms.astype(str), return_inverse=True)
        idx = np.array([self.layout.index_of(c) for c in uniq], dtype=np.int64)[inverse]
        lengths = self.layout.lengths[idx]
        bad = (pos < 0) | (pos >= lengths)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise KeyError(f"position {int(pos[k])} is outside chromosome {chroms[k]} "
                           f"(length {int(lengths[k])})")
        return self.layout.offsets[idx] + pos

    def _window_indices(self, offsets: np.ndarray) -> np.ndarray:
        w = self.window
        offsets = np.asarray(offsets, dtype=np.int64)
        if self.is_range:
            idx, rem = np.divmod(offsets - w.start, w.step)
            bad = (rem != 0) | (idx < 0) | (idx >= len(w))
        else:
            order = np.argsort(w, kind="stable")
            at = np.searchsorted(w[order], offsets)
            found = at < w.size
            found[found] = w[order[at[found]]] == offsets[found]
            idx = np.where(found, order[np.minimum(at, max(w.size - 1, 0))], -1)
            bad = ~found
        if np.any(bad):
            k = int(np.flatnonzero(np.atleast_1d(bad))[0])
            ci, pos = self.layout.locate(np.atleast_1d(offsets)[k:k + 1])
            raise KeyError(f"{self.layout.names[int(ci[0])]}:{int(pos[0])} is not in this "
                           "selection")
        return idx

    def window_slice(self, g0: int, g1: int) -> slice | np.ndarray:
        """Window indices of genome offsets ``[g0, g1)``: a slice (range windows) or,
        for point windows, the matching indices."""
        w = self.window
        if not self.is_range:
            return np.flatnonzero((w >= g0) & (w < g1))
        i0 = -(-(g0 - w.start) // w.step)
        i1 = -(-(g1 - w.start) // w.step)
        n = len(w)
        return slice(min(max(i0, 0), n), min(max(i1, 0), n))

    def chromosomes_in_window(self) -> np.ndarray:
        """Indices of the chromosomes this window touches."""
        w = self.window
        if len(w) == 0:
            return np.array([], dtype=np.int64)
        if not self.is_range:
            return np.unique(self.layout.locate(w)[0])
        lo, hi = w[0], w[-1]
        first = int(self.layout.locate(np.array([lo]))[0][0])
        last = int(self.layout.locate(np.array([hi]))[0][0])
        return np.arange(first, last + 1)

    def runs(self) -> list[tuple[int, int, int, int]]:
        """``(chromosome index, chrom_start, chrom_end, window_index)`` per run of
        consecutive bases in one chromosome."""
        w = self.window
        if self.is_range and w.step == 1:
            return [(i, a, b, g - w.start) for i, a, b, g in self.layout.pieces(w.start, w.stop)]
        offs = self.all_offsets()
        if offs.size == 0:
            return []
        ci, pos = self.layout.locate(offs)
        cut = np.flatnonzero((np.diff(offs) != 1) | (np.diff(ci) != 0)) + 1
        starts = np.concatenate(([0], cut))
        ends = np.concatenate((cut, [offs.size]))
        return [(int(ci[s]), int(pos[s]), int(pos[e - 1]) + 1, int(s))
                for s, e in zip(starts, ends)]

    # -- transform protocol ------------------------------------------------------
    def equals(self, other: CoordinateTransform, exclude=None) -> bool:
        if not (isinstance(other, GenomeTransform) and self.layout == other.layout
                and self.coord_names == other.coord_names and self.dims == other.dims):
            return False
        if self.is_range and other.is_range:
            return self.window == other.window
        return np.array_equal(self.all_offsets(), other.all_offsets())

    def slice(self, sl: slice) -> "GenomeTransform":
        return GenomeTransform(self.layout, self.window[sl], dim=self.dim,
                               coord_names=self.coord_names)

    def take(self, positions: np.ndarray) -> "GenomeTransform":
        return GenomeTransform(self.layout, self.offsets(positions), dim=self.dim,
                               coord_names=self.coord_names)

    def generate_coords(self, dims=None) -> dict[Hashable, Any]:
        return self.forward({self.dim: np.arange(len(self.window))})

    def describe_window(self) -> str:
        w = self.window
        return str(w) if self.is_range else f"{w.size:,} selected positions"

    def __repr__(self) -> str:
        return f"GenomeTransform({self.layout!r}, window={self.describe_window()})"


class _GenomeCoordinateAdapter(NDArrayOperatorsMixin, CoordinateTransformIndexingAdapter):
    """Lazy ``chrom`` / ``pos`` values: computed from the transform for what is indexed.

    Two deliberate departures from xarray's own adapter, both so that a
    genome-length coordinate is never built by accident:

    * ``_in_memory`` is True (values are computed, never read), so
      ``open_dataset(chunks=...)`` does not wrap the coordinates in dask arrays,
      whose per-file names would force ``concat``/``open_mfdataset`` to compare
      them value by value;
    * it speaks the numpy duck-array protocol (converting itself only when an
      operation really needs values), so ``repr(ds.chrom)`` prints a summary
      instead of materialising every label, and ``.load()`` / ``.compute()``
      of a result along ``position`` leave it lazy.

    Adapters are interned per (layout, window, coordinate): equal coordinates
    of different datasets are the same object, and xarray's equality checks
    short-cut on identity.
    """

    @property
    def dtype(self) -> np.dtype:
        return self._transform.coord_dtype(self._coord_name)

    @property
    def _in_memory(self) -> bool:
        return True

    def get_duck_array(self):
        # we *are* the duck array: Variable.data, .load() and .compute() keep the
        # coordinate lazy; values are computed by __array__ when really needed
        return self

    def __array__(self, dtype=None, /, *, copy=None):
        values = CoordinateTransformIndexingAdapter.get_duck_array(self)
        return np.asarray(values, dtype=dtype)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = tuple(np.asarray(x) if isinstance(x, _GenomeCoordinateAdapter) else x
                       for x in inputs)
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        def convert(x):
            if isinstance(x, _GenomeCoordinateAdapter):
                return np.asarray(x)
            if isinstance(x, (list, tuple)):
                return type(x)(convert(y) for y in x)
            return x
        return func(*convert(args), **{k: convert(v) for k, v in kwargs.items()})

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        from xarray.core.formatting import format_array_flat

        return (f"<lazy {self._coord_name!r} coordinate, {self.shape[0]:,} positions: "
                f"{format_array_flat(self, 60)}>")

    def transpose(self, order):
        return self


_ADAPTERS: "weakref.WeakValueDictionary" = weakref.WeakValueDictionary()


def _adapter(transform: GenomeTransform, name: Hashable, dims: tuple[str, ...]):
    w = transform.window
    if not transform.is_range:
        return _GenomeCoordinateAdapter(transform, name, dims)
    key = (transform.layout, w.start, w.stop, w.step, name, dims)
    adapter = _ADAPTERS.get(key)
    if adapter is None:
        adapter = _ADAPTERS[key] = _GenomeCoordinateAdapter(transform, name, dims)
    return adapter


class GenomeIndex(CoordinateTransformIndex):
    """xarray index of a whole-genome ``position`` dimension (coordinates ``chrom``, ``pos``).

    Selection: ``sel(chrom="chr2")`` (the chromosome), ``sel(chrom="chr2",
    pos=slice(1000, 1999))`` (label slices include their end, as everywhere in
    xarray), ``sel(chrom="chr2", pos=1500)`` (one base), ``sel(chrom=[...],
    pos=[...])`` (points), and ``sel(pos=...)`` alone once the object lies in one
    chromosome.  Slicing keeps the index (a new window); alignment compares
    layouts and windows, and joins whole genomes chromosome by chromosome.
    """

    transform: GenomeTransform

    def __init__(self, transform: GenomeTransform) -> None:
        super().__init__(transform)

    @classmethod
    def from_layout(cls, layout: GenomeLayout, *, dim: str = fmt.DIM_POSITION) -> "GenomeIndex":
        return cls(GenomeTransform(layout, dim=dim))

    @classmethod
    def from_sizes(cls, sizes: Mapping[str, int], *, dim: str = fmt.DIM_POSITION) -> "GenomeIndex":
        return cls.from_layout(GenomeLayout.from_sizes(sizes), dim=dim)

    @classmethod
    def from_variables(cls, variables, *, options):
        raise NotImplementedError(
            "a GenomeIndex is built from chromosome sizes: use GenomeIndex.from_sizes() with "
            "xarray.Coordinates.from_xindex()")

    # -- properties --------------------------------------------------------------
    @property
    def layout(self) -> GenomeLayout:
        return self.transform.layout

    @property
    def window(self) -> range | np.ndarray:
        return self.transform.window

    @property
    def dim(self) -> str:
        return self.transform.dim

    def segments(self) -> list[tuple[str, int, int, int]]:
        """``(chrom, chrom_start, chrom_end, index_start)`` per run of consecutive bases
        of one chromosome: positions ``index_start + k`` are ``chrom_start + k``."""
        return [(self.layout.names[i], a, b, k) for i, a, b, k in self.transform.runs()]

    # -- xarray Index protocol ------------------------------------------------------
    def create_variables(self, variables=None):
        new = {}
        for name in self.transform.coord_names:
            attrs = variables[name].attrs if variables is not None and name in variables else None
            data = _adapter(self.transform, name, self.transform.dims)
            new[name] = Variable(self.transform.dims, data, attrs=attrs)
        return new

    def isel(self, indexers):
        idxer = indexers[self.dim]
        if isinstance(idxer, slice):
            return type(self)(self.transform.slice(idxer))
        if isinstance(idxer, Variable):
            if idxer.dims != (self.dim,):
                return None  # vectorized onto other dims: plain coordinates remain
            idxer = idxer.values
        idxer = np.asarray(idxer)
        if idxer.ndim != 1:
            return None  # a scalar drops the dimension
        if idxer.dtype == bool:
            idxer = np.flatnonzero(idxer)
        idxer = np.where(idxer < 0, idxer + len(self.window), idxer)
        return type(self)(self.transform.take(idxer.astype(np.int64)))

    @classmethod
    def concat(cls, indexes, dim, positions=None) -> "GenomeIndex":
        """Concatenate selections of one genome along ``position`` (regions, points)."""
        indexes = list(indexes)
        first = indexes[0].transform
        if any(not (isinstance(i, GenomeIndex) and i.layout == first.layout) for i in indexes):
            raise ValueError("only selections of the same genome layout can be concatenated")
        windows = [i.transform.window for i in indexes]
        if positions is None and all(isinstance(w, range) and w.step == 1 for w in windows) and all(
                a.stop == b.start for a, b in zip(windows, windows[1:])):
            window: range | np.ndarray = range(windows[0].start, windows[-1].stop)
        else:
            window = np.concatenate([i.transform.all_offsets() for i in indexes])
            if positions is not None:
                order = np.empty(window.size, dtype=np.int64)
                order[np.concatenate(positions)] = np.arange(window.size)
                window = window[order]
        return cls(GenomeTransform(first.layout, window, dim=dim, coord_names=first.coord_names))

    def sel(self, labels: dict[Any, Any], method=None, tolerance=None) -> IndexSelResult:
        if method is not None or tolerance is not None:
            raise ValueError("GenomeIndex supports exact selection only (no method/tolerance)")
        chrom_name, pos_name = self.transform.coord_names
        chrom = labels.get(chrom_name)
        pos = labels.get(pos_name)
        template = next((v for v in (chrom, pos) if isinstance(v, (DataArray, Variable))), None)
        if template is not None:
            return self._sel_vectorized(chrom, pos, template)
        return IndexSelResult({self.dim: self._sel_outer(chrom, pos)})

    def _sole_chromosome(self) -> str:
        chroms = self.transform.chromosomes_in_window()
        if len(chroms) != 1:
            raise KeyError(f"selecting by {self.transform.coord_names[1]!r} alone needs a "
                           f"single chromosome; this object spans {len(chroms)}: pass "
                           f"{self.transform.coord_names[0]}= too")
        return self.layout.names[int(chroms[0])]

    def _sel_outer(self, chrom, pos):
        t = self.transform
        if chrom is None:
            chrom = self._sole_chromosome()
        if isinstance(chrom, (str, np.str_)):
            g0, g1 = self.layout.span(str(chrom))
            length = g1 - g0
            if pos is None:
                return t.window_slice(g0, g1)
            if isinstance(pos, slice):
                if pos.step not in (None, 1):
                    rng = range(length)[slice(pos.start, None if pos.stop is None else pos.stop + 1,
                                              pos.step)]
                    return t._window_indices(g0 + np.arange(rng.start, rng.stop, rng.step))
                a = 0 if pos.start is None else max(int(pos.start), 0)
                b = length if pos.stop is None else min(int(pos.stop) + 1, length)
                return t.window_slice(g0 + a, g0 + max(a, b))
            arr = np.asarray(pos)
            if arr.ndim == 0:
                p = int(arr)
                if not 0 <= p < length:
                    raise KeyError(f"position {p} is outside chromosome {chrom} (length {length})")
                return int(t._window_indices(np.array([g0 + p]))[0])
            labels = np.full(arr.shape, str(chrom))
            return t._window_indices(t._offsets_of(labels, arr.astype(np.int64)))
        chroms = np.asarray(chrom).reshape(-1).astype(str)
        if pos is None:
            spans = [self.layout.span(c) for c in chroms]
            pieces = [t.window_slice(a, b) for a, b in spans]
            if all(isinstance(p, slice) for p in pieces) and all(
                    p1.stop == p2.start for p1, p2 in zip(pieces, pieces[1:])):
                return slice(pieces[0].start, pieces[-1].stop) if pieces else slice(0, 0)
            return np.concatenate([np.arange(p.start, p.stop) if isinstance(p, slice) else p
                                   for p in pieces]).astype(np.int64)
        pos_arr = np.asarray(pos).reshape(-1).astype(np.int64)
        if pos_arr.size != chroms.size and pos_arr.size != 1 and chroms.size != 1:
            raise ValueError("chrom and pos lists must have the same length (pairs of labels)")
        chroms, pos_arr = np.broadcast_arrays(chroms, pos_arr)
        return t._window_indices(t._offsets_of(chroms, pos_arr))

    def _sel_vectorized(self, chrom, pos, template):
        t = self.transform
        if chrom is None:
            chrom = self._sole_chromosome()
        c = np.asarray(getattr(chrom, "values", chrom))
        p = np.asarray(getattr(pos, "values", pos))
        c, p = np.broadcast_arrays(c.astype(str), p.astype(np.int64))
        idx = t._window_indices(t._offsets_of(c.reshape(-1), p.reshape(-1))).reshape(c.shape)
        if isinstance(template, DataArray):
            result = DataArray(idx, dims=template.dims)
        else:
            result = Variable(template.dims, idx)
        return IndexSelResult({self.dim: result})

    def equals(self, other: Index, *, exclude=None) -> bool:
        return isinstance(other, GenomeIndex) and self.transform.equals(other.transform)

    def join(self, other: "GenomeIndex", how: str = "inner") -> "GenomeIndex":
        """Union (``outer``) or intersection (``inner``) of two whole genomes, by chromosome."""
        if not (self.transform.full and other.transform.full):
            raise ValueError("only whole-genome datasets (not selections) can be aligned by "
                             "chromosome; select after combining, or open with chrom_sizes=")
        a, b = self.layout.sizes, other.layout.sizes
        clash = {n: (a[n], b[n]) for n in a.keys() & b.keys() if a[n] != b[n]}
        if clash:
            raise ValueError(f"cannot align genomes whose chromosome lengths differ: {clash}")
        if how == "outer":
            names = list(a) + [n for n in b if n not in a]
            if list(a) == sorted(a) and list(b) == sorted(b):
                names = sorted(names)
        elif how == "inner":
            names = [n for n in a if n in b]
        else:
            raise ValueError(f"unsupported join {how!r}")
        sizes = {**b, **a}
        layout = GenomeLayout(names, [sizes[n] for n in names])
        names = self.transform.coord_names
        return type(self)(GenomeTransform(layout, dim=self.dim, coord_names=names))

    def reindex_like(self, other: "GenomeIndex", method=None,
                     tolerance=None) -> dict[Hashable, Any]:
        """Positions of *other*'s bases in this index (-1 where this genome lacks the
        chromosome).  This is the one place a genome-length array is built: xarray
        reindexes with explicit integer positions.  Open every file with the same
        ``chrom_sizes=`` to skip it."""
        if not (self.transform.full and other.transform.full):
            raise ValueError("only whole-genome datasets can be aligned by chromosome")
        if self.layout == other.layout:
            return {}  # nothing moves (and no arange of genome length)
        target = other.layout
        if target.size > _ALIGN_WARN_SIZE:
            warnings.warn(
                f"aligning whole genomes with different chromosome sets: xarray reindexes with "
                f"one integer per base ({target.size:,} here, {target.size * 8 / 2**30:.1f} GiB "
                "per array); open every file with the same chrom_sizes= (for example "
                "chrom_sizes=<the list of files>) to line them up without reindexing",
                UserWarning, stacklevel=2)
        parts = []
        for name, length in zip(target.names, target.lengths):
            if name in self.layout:
                start, _ = self.layout.span(name)
                parts.append(np.arange(start, start + int(length), dtype=np.int64))
            else:
                parts.append(np.full(int(length), -1, dtype=np.int64))
        return {self.dim: np.concatenate(parts) if parts else np.array([], dtype=np.int64)}

    def to_pandas_index(self) -> pd.Index:
        coords = self.transform.generate_coords()
        chrom_name, pos_name = self.transform.coord_names
        return pd.MultiIndex.from_arrays([coords[chrom_name], coords[pos_name]],
                                         names=[chrom_name, pos_name])

    def _repr_inline_(self, max_width: int) -> str:
        w = self.window
        nchrom = len(self.transform.chromosomes_in_window())
        return f"GenomeIndex ({nchrom} chromosomes, {len(w):,} positions)"

    def __repr__(self) -> str:
        return f"GenomeIndex({self.layout!r}, window={self.transform.describe_window()})"


__all__ = ["COORD_CHROM", "COORD_POS", "GenomeIndex", "GenomeLayout", "GenomeTransform"]
