"""``xarray.open_dataset(path, engine="genomedata")``: archives and bigWig files.

>>> import xarray as xr                                                  # doctest: +SKIP
>>> ds = xr.open_dataset("hg38.genomedata", engine="genomedata")          # whole genome
>>> chr2 = xr.open_dataset("hg38.genomedata", engine="genomedata", group="chr2")
>>> tree = xr.open_datatree("hg38.genomedata", engine="genomedata")      # one node per chromosome
>>> many = xr.open_mfdataset(bigwigs, engine="genomedata", combine="nested",
...                          concat_dim="track", chrom_sizes=bigwigs)

Pass ``engine="genomedata"``: xarray's netCDF engines claim any HDF5 file
before this one is asked.  See ``docs/xarray.md`` for layouts and chunking.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd
import xarray as xr
from xarray.backends import BackendEntrypoint
from xarray.core import indexing
from xarray.indexes import PandasIndex

from .. import format as fmt
from ..errors import ChromosomeNotFoundError, GenomedataDirtyWarning, UnsupportedError
from ..store import is_bigwig, is_genomedata
from .array import ContinuousArray, LazyGenomeArray, SeqArray, StatsArray
from .genome_index import GenomeIndex, GenomeLayout
from .store import STAT_VARS, chunk_grid, get_lock, open_source, resolve_chrom_sizes

COORD_CHROM = "chrom"


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
        self.tracknames = source.tracknames
        self._has_seq: bool | None = None
        self._track: xr.Coordinates | None = None

    @classmethod
    def open(cls, filename_or_obj, *, chrom_sizes=None) -> "GenomedataStore":
        path = _as_path(filename_or_obj)
        source = open_source(path)
        if source.kind == "archive":
            version = source.format_version
            if version is not None and version > fmt.FORMAT_VERSION:
                source.close()
                raise UnsupportedError(f"{path} has format version {version}; this gdxarray "
                                       f"reads format version {fmt.FORMAT_VERSION}")
        return cls(source, resolve_chrom_sizes(chrom_sizes))

    @property
    def lock(self):
        """The process-wide lock around this file's library calls (never pickled)."""
        return get_lock(self.source.kind)

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
        if self.source.format_version is not None:
            attrs[fmt.ATTR_FORMAT_VERSION] = int(self.source.format_version)
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
                + _suggest(name, self.sizes))
        if check_dirty and name in self._own_sizes and self.source.dirty(name):
            warnings.warn(f"chromosome {name} of {self.source.path} was modified since "
                          "genomedata-close-data: statistics read as NaN",
                          GenomedataDirtyWarning, stacklevel=3)
        length = int(self.sizes[name])
        layout = GenomeLayout([name], [length])
        position = PandasIndex(pd.RangeIndex(length, name=fmt.DIM_POSITION), fmt.DIM_POSITION)
        track = self._track_coords()
        coords = xr.Coordinates(
            {**position.create_variables(), **track.variables,
             COORD_CHROM: xr.Variable((), np.array(name))},
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


def _suggest(name, sizes) -> str:
    import difflib

    close = difflib.get_close_matches(str(name), list(sizes), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _as_path(filename_or_obj) -> str:
    if isinstance(filename_or_obj, (str, os.PathLike)):
        return os.path.expanduser(os.fspath(filename_or_obj))
    raise TypeError("the genomedata engine opens paths (an archive file or directory, or a "
                    f"bigWig file), not {type(filename_or_obj).__name__}")


def _normalize_group(group) -> str | None:
    if group is None:
        return None
    group = str(group).strip("/")
    return group or None


def _drop_set(drop_variables) -> set[str]:
    if drop_variables is None:
        return set()
    if isinstance(drop_variables, str):
        return {drop_variables}
    return set(drop_variables)


class GenomedataBackendEntrypoint(BackendEntrypoint):
    """xarray engine ``"genomedata"``: Genomedata archives (file or directory) and bigWig.

    Keyword options of ``open_dataset``:

    group : str, optional
        A chromosome name: one chromosome with a ``position`` range coordinate.
        Without it the whole genome opens, chromosomes end to end along
        ``position``, with lazy ``chrom`` and ``pos`` coordinates.
    chrom_sizes : mapping, path or list of paths, optional
        The chromosomes (and order) of the whole-genome layout: a ``{name: length}``
        mapping, an archive, a bigWig or a sizes file, or a list of them (their
        union).  Chromosomes the file lacks read as NaN without I/O.  Give every
        file of an ``open_mfdataset`` the same value so no alignment is needed.
    drop_variables : str or list of str, optional
        Variables not to create (``"seq"``, ``"continuous"``, statistics).
    """

    description = "Genomedata archives and bigWig files as lazy (position, track) arrays"
    url = "https://github.com/hoffmangroup/genomedata (format); see docs/xarray.md in gdxarray"
    open_dataset_parameters = ("filename_or_obj", "drop_variables", "group", "chrom_sizes")

    def guess_can_open(self, filename_or_obj) -> bool:
        try:
            if not isinstance(filename_or_obj, (str, os.PathLike)):
                return False
            path = os.path.expanduser(os.fspath(filename_or_obj))
            return is_genomedata(path) or is_bigwig(path)
        except Exception:  # noqa: BLE001 - a guess never raises
            return False

    def open_dataset(self, filename_or_obj, *, drop_variables=None, group=None,
                     chrom_sizes=None) -> xr.Dataset:
        store = GenomedataStore.open(filename_or_obj, chrom_sizes=chrom_sizes)
        group = _normalize_group(group)
        drop = _drop_set(drop_variables)
        try:
            ds = store.genome_dataset(drop) if group is None else store.chrom_dataset(group, drop)
        except Exception:
            store.close()
            raise
        ds.set_close(store.close)
        return ds

    def open_groups_as_dict(self, filename_or_obj, *, drop_variables=None, group=None,
                            chrom_sizes=None) -> dict[str, xr.Dataset]:
        store = GenomedataStore.open(filename_or_obj, chrom_sizes=chrom_sizes)
        drop = _drop_set(drop_variables)
        group = _normalize_group(group)
        names: Iterable[str] = [group] if group is not None else list(store.sizes)
        groups = {"/": store.root_dataset()}
        for name in names:
            # dirty chromosomes warn when their statistics are read, not here: a
            # check per node would read every chromosome's attributes at open
            groups[f"/{name}"] = store.chrom_dataset(name, drop, check_dirty=False)
        groups["/"].set_close(store.close)
        return groups

    def open_datatree(self, filename_or_obj, *, drop_variables=None, group=None,
                      chrom_sizes=None) -> xr.DataTree:
        groups = self.open_groups_as_dict(filename_or_obj, drop_variables=drop_variables,
                                          group=group, chrom_sizes=chrom_sizes)
        return xr.DataTree.from_dict(groups)


__all__ = ["GenomedataBackendEntrypoint", "GenomedataStore"]
