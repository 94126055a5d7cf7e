"""The backend's store: what xarray needs of an archive or a bigWig file.

A :class:`GenomedataStore` owns one signal source (:mod:`gdxarray.source`: an
archive or a bigWig file, with the same methods) and builds the datasets of its
layouts: the whole genome end to end along ``position``, or one chromosome.
Sources hold paths and lazily opened, per-process handles, so the lazy arrays
pickle to dask workers without open handles and each worker process opens its
own files.  Reads go through the core read path, which takes the process-wide
HDF5 lock around every library call.

May import: source, indexes, stats, parsers (sizes files), format, errors; and
the backend's arrays.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
import xarray as xr
from xarray.core import indexing
from xarray.indexes import PandasIndex

from .. import format as fmt
from .. import stats
from ..errors import ChromosomeNotFoundError, GenomedataDirtyWarning, suggest
from ..indexes import GenomeIndex, GenomeLayout
from ..intervals import expand_ranges
from ..parsers import read_sizes
from ..source import open_source
from ..store import is_bigwig, is_genomedata
from .array import ContinuousArray, LazyGenomeArray, SeqArray, StatsArray

STAT_VARS = stats.STAT_VARS


class GenomedataStore:
    """Owns one source (archive or bigWig) and builds the datasets of its layouts.

    Holds paths and per-process handles only: pickles without open handles.
    """

    def __init__(self, source, chrom_sizes: dict[str, int] | None = None) -> None:
        self.source = source
        own = source.chrom_sizes()
        self._own_sizes = own
        sizes = dict(chrom_sizes) if chrom_sizes else own
        for name, length in own.items():
            if name in sizes and sizes[name] != length:
                raise ValueError(f"chrom_sizes gives {name} length {sizes[name]} but "
                                 f"{source.path} has {length}")
        self.sizes = sizes
        self.tracknames = source.tracknames()
        self._has_seq: bool | None = None
        self._track: xr.Coordinates | None = None

    @classmethod
    def open(cls, path: str, *, chrom_sizes=None) -> "GenomedataStore":
        source = open_source(path)
        try:
            source.check_readable()
            return cls(source, resolve_chrom_sizes(chrom_sizes))
        except BaseException:
            source.close()
            raise

    @property
    def has_seq(self) -> bool:
        if self._has_seq is None:
            self._has_seq = self.source.has_seq()
        return self._has_seq

    def close(self) -> None:
        self.source.close()

    # -- datasets ------------------------------------------------------------------
    def _attrs(self) -> dict:
        attrs = {"source": self.source.path, "layout": self.source.layout_kind}
        version = self.source.format_version()
        if version is not None:
            attrs[fmt.ATTR_FORMAT_VERSION] = int(version)
        return attrs

    def _track_coords(self) -> xr.Coordinates:
        if self._track is None:
            index = PandasIndex(pd.Index(np.array(self.tracknames, dtype=object),
                                         name=fmt.DIM_TRACK), fmt.DIM_TRACK)
            self._track = xr.Coordinates.from_xindex(index)
        return self._track

    def _variables(self, layout: GenomeLayout, drop: set[str]) -> dict[str, xr.Variable]:
        present = frozenset(n for n in layout.names if n in self._own_sizes)
        ntracks = len(self.tracknames)
        grid = chunk_grid(self.source, layout)
        rows = self.source.chunk_rows()
        encoding_pos = {"preferred_chunks": {fmt.DIM_POSITION: grid, fmt.DIM_TRACK: 1},
                        "source": self.source.path}
        variables: dict[str, xr.Variable] = {}
        if fmt.VAR_CONTINUOUS not in drop:
            array = ContinuousArray(self.source, layout, present, ntracks)
            variables[fmt.VAR_CONTINUOUS] = xr.Variable(
                (fmt.DIM_POSITION, fmt.DIM_TRACK), LazyGenomeArray(array),
                attrs={"long_name": "signal", "missing": "NaN"},
                encoding={**encoding_pos, "dtype": fmt.CONTINUOUS_DTYPE,
                          **({"chunksizes": (rows, 1)} if self.source.kind == "archive" else {})})
        if fmt.VAR_SEQ not in drop and self.has_seq:
            array = SeqArray(self.source, layout, present)
            variables[fmt.VAR_SEQ] = xr.Variable(
                (fmt.DIM_POSITION,), LazyGenomeArray(array),
                attrs={"long_name": "sequence", "description": "ASCII codes; N (78) in gaps"},
                encoding={"preferred_chunks": {fmt.DIM_POSITION: grid},
                          "source": self.source.path, "dtype": fmt.SEQ_DTYPE})
        cache: dict = {}
        chroms = [n for n in layout.names if n in present]
        for stat in STAT_VARS:
            if stat in drop:
                continue
            array = StatsArray(self.source, chroms, ntracks, stat, cache)
            variables[stat] = xr.Variable((fmt.DIM_TRACK,), indexing.LazilyIndexedArray(array),
                                          attrs={"description": _STAT_DOC[stat]})
        return variables

    def genome_dataset(self, drop: set[str] = frozenset()) -> xr.Dataset:
        """Every chromosome laid end to end along ``position`` (coordinates chrom, pos)."""
        layout = GenomeLayout(list(self.sizes), list(self.sizes.values()))
        genome = GenomeIndex.from_layout(layout)
        track = self._track_coords()
        coords = xr.Coordinates({**genome.create_variables(), **track.variables},
                                indexes={**dict.fromkeys(genome.transform.coord_names, genome),
                                         **track.xindexes})
        return xr.Dataset(self._variables(layout, set(drop)), coords=coords, attrs=self._attrs())

    def chrom_dataset(self, name: str, drop: set[str] = frozenset(), *,
                      check_dirty: bool = True) -> xr.Dataset:
        """One chromosome: ``position`` 0..length-1 (a lazy range), ``chrom`` a scalar."""
        if name not in self.sizes:
            raise ChromosomeNotFoundError(
                f"Could not find chromosome: {name} in {self.source.path}"
                + suggest(name, list(self.sizes)))
        if check_dirty and name in self._own_sizes and self.source.is_dirty(name):
            warnings.warn(f"chromosome {name} of {self.source.path} was modified since "
                          "genomedata-close-data: statistics read as NaN",
                          GenomedataDirtyWarning, stacklevel=3)
        length = int(self.sizes[name])
        layout = GenomeLayout([name], [length])
        position = PandasIndex(pd.RangeIndex(length, name=fmt.DIM_POSITION), fmt.DIM_POSITION)
        track = self._track_coords()
        coords = xr.Coordinates(
            {**position.create_variables(), **track.variables,
             fmt.COORD_CHROM: xr.Variable((), np.array(name))},
            indexes={fmt.DIM_POSITION: position, **track.xindexes})
        attrs = {**self._attrs(), "chrom": name, "chrom_length": length}
        variables = self._variables(layout, set(drop))
        for var in variables.values():
            if fmt.DIM_POSITION in var.dims:
                var.attrs["chrom_length"] = length
        return xr.Dataset(variables, coords=coords, attrs=attrs)

    def root_dataset(self) -> xr.Dataset:
        return xr.Dataset(coords=self._track_coords(), attrs=self._attrs())


_STAT_DOC = {
    "mins": "minimum of the finite values, per track (close-data statistics)",
    "maxs": "maximum of the finite values, per track",
    "sums": "sum of the finite values, per track",
    "sums_squares": "sum of squares of the finite values, per track",
    "num_datapoints": "count of finite values, per track",
    "means": "sums / num_datapoints",
    "vars": "population variance, sums_squares / n - means**2",
}


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
        return {record.name: record.length for record in read_sizes(path)}
    if isinstance(spec, Iterable):
        union: dict[str, int] = {}
        for item in spec:
            for name, length in resolve_chrom_sizes(item).items():
                if union.setdefault(name, length) != length:
                    raise ValueError(f"chromosome {name} has length {union[name]} in one "
                                     f"chrom_sizes entry and {length} in another")
        return dict(sorted(union.items()))
    raise TypeError(f"chrom_sizes must be a mapping, a path or a list of them, not {spec!r}")


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
    owner, k = expand_ranges(np.zeros_like(counts), counts)
    bounds = np.append(starts[owner] + k * rows, layout.size)
    return tuple(np.diff(bounds).tolist())


__all__ = ["GenomedataStore", "STAT_VARS", "chunk_grid", "resolve_chrom_sizes"]
