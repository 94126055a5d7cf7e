"""The ``.gd`` accessor on Datasets and DataArrays opened with ``engine="genomedata"``.

Importing :mod:`gdxarray` registers it.

>>> import xarray as xr, gdxarray                                   # doctest: +SKIP
>>> ds = xr.open_dataset("hg38.genomedata", engine="genomedata", chunks="auto")
>>> ds.gd.region("chr2:1,001-2,000")            # UCSC: 1-based, closed
>>> ds.gd.region("chr2", 1000, 2000)            # the same, 0-based half-open
>>> ds.continuous.gd.bin(1000, how="mean")      # per chromosome, lazily on dask
>>> ds.continuous.gd.to_bigwig("{track}.bw")    # one bigWig per track
>>> (ds.continuous * 2).sel(track="dnase").gd.to_genomedata("hg38.genomedata", "dnase2x")

Works on the whole-genome layout (``chrom``/``pos`` coordinates over
``position``), on one chromosome (``group=``: a ``position`` range and a scalar
``chrom``), and on anything selected from either by slices.

Owns the face: region selection, binning, and the export methods, which call
:mod:`gdxarray.export` (bedGraph, bigWig, a track of an archive).

May import: xarray, numpy, format, errors, indexes, export.
"""

from __future__ import annotations

import os
import re
from collections.abc import Hashable
from pathlib import Path

import numpy as np
import xarray as xr

from . import _kernels
from . import format as fmt
from ._read import normalize_columns
from .indexes import GenomeIndex
from .errors import ChromosomeNotFoundError, GenomedataError

BIN_HOW = ("mean", "sum", "max", "min", "std", "count")

_REGION_RE = re.compile(r"^\s*([^:\s]+)(?::\s*([\d,_]+)(?:\s*-\s*([\d,_]+))?)?\s*$")


def parse_region(text: str) -> tuple[str, int | None, int | None]:
    """Parse a genome-browser region (1-based, closed) into 0-based half-open bounds.

    ``"chr2:1,001-2,000"`` -> ``("chr2", 1000, 2000)``.

    ``"chr2"`` is the whole chromosome (``None`` bounds); ``"chr2:1001"`` one base.

    >>> parse_region("chr2:1,001-2,000")
    ('chr2', 1000, 2000)
    >>> parse_region("chrX:5")
    ('chrX', 4, 5)
    """
    match = _REGION_RE.match(text)
    if not match:
        raise ValueError(f"cannot parse region {text!r}: expected 'chrom', 'chrom:pos' or "
                         "'chrom:start-end' (1-based, closed, as in genome browsers)")
    chrom, a, b = match.groups()
    if a is None:
        return chrom, None, None
    start = int(re.sub(r"[,_]", "", a))
    end = int(re.sub(r"[,_]", "", b)) if b is not None else start
    if start < 1 or end < start:
        raise ValueError(f"bad region {text!r}: need 1 <= start <= end (1-based, closed)")
    return chrom, start - 1, end


class _Segment:
    """A run of the object's ``position`` axis lying in one chromosome."""

    __slots__ = ("chrom", "start", "end", "index")

    def __init__(self, chrom: str, start: int, end: int, index: int) -> None:
        self.chrom, self.start, self.end, self.index = chrom, start, end, index

    def __len__(self) -> int:
        return self.end - self.start


class GenomedataAccessor:
    """Genomic coordinates for xarray objects from the ``genomedata`` engine."""

    def __init__(self, obj: xr.Dataset | xr.DataArray) -> None:
        self._obj = obj

    # -- layout ----------------------------------------------------------------------
    def _genome_index(self) -> GenomeIndex | None:
        index = self._obj.xindexes.get(fmt.COORD_CHROM)
        return index if isinstance(index, GenomeIndex) else None

    def _single_chrom(self) -> str | None:
        obj = self._obj
        if fmt.COORD_CHROM in obj.coords and obj.coords[fmt.COORD_CHROM].ndim == 0:
            return str(obj.coords[fmt.COORD_CHROM].values)
        return obj.attrs.get("chrom")

    def _position_start(self) -> int:
        """First chromosome position of a single-chromosome object (checks it is a range)."""
        obj = self._obj
        n = obj.sizes[fmt.DIM_POSITION]
        if fmt.DIM_POSITION not in obj.xindexes:
            return 0
        index = obj.xindexes[fmt.DIM_POSITION].to_pandas_index()
        step = getattr(index, "step", None)
        if n == 0:
            return 0
        if step is None:
            values = np.asarray(index)
            if n > 1 and not np.all(np.diff(values) == 1):
                raise GenomedataError("positions are not a contiguous range: select with slices")
            return int(values[0])
        if n > 1 and step != 1:
            raise GenomedataError("positions are not a contiguous range (a strided selection)")
        return int(index[0])

    def segments(self) -> list[_Segment]:
        """The object's ``position`` axis as runs ``(chrom, start, end, index)``."""
        obj = self._obj
        if fmt.DIM_POSITION not in obj.dims:
            raise GenomedataError(f"no {fmt.DIM_POSITION!r} dimension: not a genomedata layout")
        index = self._genome_index()
        if index is not None:
            return [_Segment(*s) for s in index.segments()]
        chrom = self._single_chrom()
        if chrom is None:
            raise GenomedataError("cannot tell which chromosome this is: open with "
                                  "engine='genomedata' (a whole genome or group=<chrom>)")
        start = self._position_start()
        n = obj.sizes[fmt.DIM_POSITION]
        return [_Segment(chrom, start, start + n, 0)] if n else []

    @property
    def chrom_sizes(self) -> dict[str, int]:
        """Full lengths of the chromosomes this object touches (for file headers)."""
        index = self._genome_index()
        if index is not None:
            return index.layout.sizes
        chrom = self._single_chrom()
        length = self._obj.attrs.get("chrom_length")
        if length is None and isinstance(self._obj, xr.Dataset):
            for var in self._obj.data_vars.values():
                length = var.attrs.get("chrom_length", length)
        if length is None:
            segs = self.segments()
            length = max((s.end for s in segs), default=0)
        return {chrom: int(length)} if chrom is not None else {}

    # -- regions ----------------------------------------------------------------------
    def region(self, chrom: str, start: int | None = None, end: int | None = None):
        """The bases of a region, lazily.

        ``region("chr2:1,001-2,000")``: a genome-browser string (1-based, closed);
        ``region("chr2", 1000, 2000)``: 0-based half-open, as everywhere in the
        Python API.  Bounds are clipped to the chromosome.
        """
        if start is None and end is None and ":" in chrom:
            chrom, start, end = parse_region(chrom)
        obj = self._obj
        index = self._genome_index()
        if index is not None:
            g0, g1 = index.layout.span(chrom)
            a = 0 if start is None else max(int(start), 0)
            b = (g1 - g0) if end is None else min(int(end), g1 - g0)
            sl = index.transform.window_slice(g0 + a, g0 + max(a, b))
            return obj.isel({fmt.DIM_POSITION: sl})
        here = self._single_chrom()
        if here is not None and here != chrom:
            raise ChromosomeNotFoundError(f"this object holds chromosome {here}, not {chrom}")
        p0 = self._position_start()
        n = obj.sizes[fmt.DIM_POSITION]
        a = 0 if start is None else int(start) - p0
        b = n if end is None else int(end) - p0
        a, b = min(max(a, 0), n), min(max(b, 0), n)
        return obj.isel({fmt.DIM_POSITION: slice(a, max(a, b))})

    # -- binning ------------------------------------------------------------------------
    def regions(self, roi, *, binsize=None, stepsize=None, flank: int = 0, resolution=1,
                how="mean", zero_padding: bool = True, random_state=None,
                nan_to_num: bool = True, batch_regions: int | None = None) -> xr.DataArray:
        """Windows of a ROI as a lazy ``(region, position, strand, condition)`` DataArray.

        The ROI (a BED file, a list of regions or a DataFrame) is tiled as
        ``gdxarray.datasets.Cover`` tiles it (*binsize*, *stepsize*, *flank*,
        *zero_padding*), over the tracks of this object's file (an archive or a
        bigWig; a DataArray's ``track`` selection picks and orders them),
        collapsed to *resolution* with *how* (``"mean"``, ``"sum"``, ``"max"`` or
        a callable).  dask reads one task per batch of regions (default 4,096),
        so a genome-wide ROI never loads at once; ``region`` carries ``chrom``,
        ``start``, ``end`` and ``region_strand``.  Equal to
        ``Cover.create_from_genomedata(...).to_xarray()``.
        """
        from .datasets._lazy import BATCH_REGIONS, lazy_regions

        obj = self._obj
        path = obj.attrs.get("source") or obj.encoding.get("source")
        if path is None and isinstance(obj, xr.Dataset):
            path = next((v.encoding.get("source") for v in obj.data_vars.values()
                         if v.encoding.get("source")), None)
        if path is None:
            raise GenomedataError("regions() needs an object opened with engine='genomedata' "
                                  "(no source file recorded)")
        tracks = None
        if isinstance(obj, xr.DataArray) and fmt.DIM_TRACK in obj.coords:
            tracks = [str(t) for t in np.atleast_1d(obj[fmt.DIM_TRACK].values)]
        return lazy_regions(path, roi, tracks=tracks, binsize=binsize, stepsize=stepsize,
                            flank=flank, resolution=resolution, how=how,
                            zero_padding=zero_padding, random_state=random_state,
                            nan_to_num=nan_to_num,
                            batch_regions=batch_regions or BATCH_REGIONS)

    def bin(self, size: int, how: str = "mean"):
        """Reduce every *size* bases to one value, per chromosome.

        Bins start at each chromosome's first position in the object (base 0 for
        whole chromosomes, the region start for a region) and never cross a
        chromosome end: the last bin of a chromosome may be shorter.  NaN is
        ignored; a bin without data is NaN (``count``: 0).  ``std`` is the
        population standard deviation.  On dask arrays the result is lazy, with
        one task per input chunk (chunks are first moved onto bin edges).

        Returns an object with a ``bin`` dimension and coordinates ``chrom``,
        ``start``, ``end`` (0-based half-open, chromosome coordinates).
        """
        if how not in BIN_HOW:
            raise ValueError(f"how must be one of {BIN_HOW}, not {how!r}")
        size = int(size)
        if size < 1:
            raise ValueError("bin size must be >= 1")
        segments = self.segments()
        edges, chroms, starts, ends = _bin_edges(segments, size)
        obj = self._obj
        if isinstance(obj, xr.Dataset):
            out = {}
            for name, var in obj.data_vars.items():
                if fmt.DIM_POSITION in var.dims and var.dtype.kind == "f":
                    out[name] = _bin_array(var, edges, how, segments, size)
            result = xr.Dataset(out, attrs=obj.attrs)
        else:
            result = _bin_array(obj, edges, how, segments, size)
        result = result.assign_coords({fmt.COORD_CHROM: (fmt.DIM_BIN, chroms),
                                       "start": (fmt.DIM_BIN, starts), "end": (fmt.DIM_BIN, ends)})
        result.attrs.update({"bin_size": size, "bin_how": how})
        return result

    # -- export ---------------------------------------------------------------------------
    def to_bedgraph(self, path: str | os.PathLike, track: Hashable | None = None) -> list[Path]:
        """Write tracks as bedGraph (``chrom start end value``), streaming chunk by chunk.

        Runs of equal values become one line; NaN is omitted.  With several tracks
        and no *track*, *path* names one file per track through ``{track}``
        (e.g. ``"out/{track}.bedGraph"``) or is a directory.  Returns the paths.
        """
        from .export import export_tracks

        return export_tracks(self, path, track, "bedgraph")

    def to_bigwig(self, path: str | os.PathLike, track: Hashable | None = None) -> list[Path]:
        """Write tracks as bigWig (pyBigWig), streaming chunk by chunk.

        The header lists the chromosomes of the object's genome with their full
        lengths; runs of equal values are one entry; NaN is omitted.  *path* and
        *track* as in :meth:`to_bedgraph`.  Returns the paths written.
        """
        from .export import export_tracks

        return export_tracks(self, path, track, "bigwig")

    def to_genomedata(self, archive: str | os.PathLike, name: str, *, overwrite: bool = False,
                      close: bool = True) -> None:
        """Write this DataArray (e.g. model predictions) into *archive* as track *name*.

        The values are computed block by block and spooled to a temporary file
        first, so the source may be the archive itself (read handles and the
        write handle never overlap).  Bases in assembly gaps cannot be stored and
        are skipped (a warning counts any non-NaN ones).  With *close* the
        archive's statistics are recomputed (``genomedata-close-data``) so the
        new track reads back with statistics.
        """
        from .export import to_genomedata

        to_genomedata(self._obj, self.segments(), archive, name, overwrite=overwrite, close=close)


# --- binning helpers ---------------------------------------------------------------------------
def _bin_edges(segments: list[_Segment], size: int):
    """Bin edges along the object's position axis, plus each bin's chrom/start/end."""
    edges, chroms, starts, ends = [np.array([0], np.int64)], [], [], []
    for seg in segments:
        n = len(seg)
        rel = np.arange(0, n, size, dtype=np.int64)
        edges.append(seg.index + np.append(rel[1:], n))
        chroms.append(np.full(rel.size, seg.chrom, dtype=object))
        starts.append(seg.start + rel)
        ends.append(seg.start + np.minimum(rel + size, n))
    def cat(parts, dt):
        return np.concatenate(parts) if parts else np.array([], dtype=dt)

    names = cat(chroms, object)
    width = max((len(c) for c in names), default=1) if names.size else 1
    return (cat(edges, np.int64), names.astype(f"<U{max(width, 1)}"), cat(starts, np.int64),
            cat(ends, np.int64))


def _from_acc(acc: np.ndarray, how: str) -> np.ndarray:
    """A (columns, bins, 5) accumulator of :mod:`gdxarray._kernels` -> (bins, columns)."""
    count = acc[..., _kernels.COUNT].T
    if how == "count":
        return count.astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        if how == "sum":
            out = acc[..., _kernels.SUM].T.copy()
        elif how == "min":
            out = acc[..., _kernels.MIN].T.copy()
        elif how == "max":
            out = acc[..., _kernels.MAX].T.copy()
        else:
            mean = acc[..., _kernels.SUM].T / count
            if how == "mean":
                out = mean
            else:
                out = np.sqrt(np.maximum(acc[..., _kernels.SUM_SQUARES].T / count - mean * mean,
                                         0.0))
        return np.where(count > 0, out, np.nan)


def _reduce_block(x: np.ndarray, local_edges: np.ndarray, how: str) -> np.ndarray:
    """Reduce rows ``[local_edges[k], local_edges[k+1])`` of a block (any trailing dims)."""
    shape = x.shape
    if x.dtype == fmt.CONTINUOUS_DTYPE and _kernels.KERNEL is not None and local_edges.size > 1:
        # float32 (what the archive holds): one fused pass per column
        flat = x.reshape(shape[0], -1)
        edges = np.ascontiguousarray(local_edges, dtype=np.int64)
        acc = np.empty((flat.shape[1], edges.size - 1, 5))
        acc[...] = _kernels.empty_acc(edges.size - 1)
        for j in range(flat.shape[1]):
            _kernels.reduce_bins(np.ascontiguousarray(flat[:, j]), 0, edges, acc[j])
        return _from_acc(acc, how).reshape((edges.size - 1,) + shape[1:])
    x = np.asarray(x, dtype=np.float64).reshape(shape[0], -1)
    idx = np.asarray(local_edges[:-1], dtype=np.int64)
    if idx.size == 0:
        dtype = np.int64 if how == "count" else np.float64
        return np.empty((0,) + shape[1:], dtype=dtype)
    finite = np.isfinite(x)
    count = np.add.reduceat(finite, idx, axis=0).astype(np.int64)
    if how == "count":
        return count.reshape((idx.size,) + shape[1:])
    with np.errstate(invalid="ignore", divide="ignore"):
        if how in ("max", "min"):
            clean = np.where(finite, x, np.nan)
            ufunc = np.fmax if how == "max" else np.fmin
            out = ufunc.reduceat(clean, idx, axis=0)
        else:
            total = np.add.reduceat(np.where(finite, x, 0.0), idx, axis=0)
            if how == "sum":
                out = total
            else:
                mean = total / count
                if how == "mean":
                    out = mean
                else:
                    sq = np.add.reduceat(np.where(finite, x * x, 0.0), idx, axis=0)
                    out = np.sqrt(np.maximum(sq / count - mean * mean, 0.0))
        out = np.where(count > 0, out, np.nan)
    return out.reshape((idx.size,) + shape[1:])


def _archive_view(arr: xr.DataArray):
    """``(source, cols, scalar_track, position offset)`` when *arr* is a slice of the
    genomedata engine's ``continuous`` exactly as stored (no dask, no arithmetic,
    position first), so that bins can be reduced straight from the archive; else None."""
    if arr.dims[:1] != (fmt.DIM_POSITION,) or arr.dtype != fmt.CONTINUOUS_DTYPE:
        return None
    data = arr.variable._data
    while isinstance(data, (xr.core.indexing.MemoryCachedArray,
                            xr.core.indexing.CopyOnWriteArray)):
        data = data.array
    from .backends.array import ContinuousArray, LazyGenomeArray

    if type(data) is not LazyGenomeArray or type(data.array) is not ContinuousArray:
        return None
    key = data.key.tuple
    if len(key) != 2 or type(key[0]) is not slice:
        return None
    start, _, step = key[0].indices(data.array.shape[0])
    if step != 1:
        return None
    cols = key[1]
    scalar = isinstance(cols, (int, np.integer))
    if not scalar and not isinstance(cols, slice):
        return None
    if not hasattr(data.array.source, "summarize"):
        return None
    return data.array, normalize_columns([int(cols)] if scalar else cols, data.array.ntracks), \
        scalar, start


#: dask layers that only select or regroup stored values (anything else may change them)
_PURE_LAYERS = ("getitem-", "rechunk-")


def _dask_archive_view(arr: xr.DataArray):
    """Like :func:`_archive_view` for a dask array: the engine's ``continuous``, opened
    with ``chunks=``, then at most sliced or rechunked (a graph of the open_dataset
    layers and getitem/rechunk layers only, position first); else None."""
    data = arr.data
    graph = getattr(data, "dask", None)
    if graph is None or arr.dtype != fmt.CONTINUOUS_DTYPE or arr.dims[:1] != (fmt.DIM_POSITION,):
        return None
    layers = getattr(graph, "layers", None)
    if layers is None:
        return None
    originals = [k for k in layers if k.startswith("original-open_dataset-")]
    opened = [k for k in layers if k.startswith("open_dataset-")]
    if len(originals) != 1 or len(opened) != 1 or any(
            k not in originals and k not in opened and not k.startswith(_PURE_LAYERS)
            for k in layers):
        return None
    values = list(layers[originals[0]].values())
    if len(values) != 1:
        return None
    inner = values[0]
    from .backends.array import ContinuousArray, LazyGenomeArray

    for _ in range(8):
        if type(inner) is LazyGenomeArray:
            break
        inner = getattr(inner, "array", None)
    if type(inner) is not LazyGenomeArray or type(inner.array) is not ContinuousArray:
        return None
    if any(k != slice(None) for k in inner.key.tuple):
        return None
    backend = inner.array
    if not hasattr(backend.source, "summarize"):
        return None
    names = list(backend.source.tracknames())
    if fmt.DIM_TRACK in arr.dims:
        labels = [str(t) for t in np.asarray(arr.coords[fmt.DIM_TRACK].values).tolist()]
        scalar = False
    elif fmt.DIM_TRACK in arr.coords and arr.coords[fmt.DIM_TRACK].ndim == 0:
        labels = [str(arr.coords[fmt.DIM_TRACK].values)]
        scalar = True
    else:
        return None
    if any(t not in names for t in labels) or len(arr.dims) != (1 if scalar else 2):
        return None
    return backend, np.array([names.index(t) for t in labels], dtype=np.int64), scalar, 0


def _bin_lazily(view, segments: list[_Segment], size: int, how: str, nbins: int):
    """A dask array of the bins, one task per few million positions of a chromosome,
    each reducing its bins straight from the archive (see :func:`_bin_from_archive`)."""
    import dask
    import dask.array as da

    backend, cols, scalar, _ = view
    dtype = np.int64 if how == "count" else np.float64
    per_task = max(1, (4 << 20) // size)
    pieces = []
    for seg in segments:
        n = -(-len(seg) // size)
        for k in range(0, n, per_task):
            a = seg.start + k * size
            b = min(seg.end, a + per_task * size)
            sub = _Segment(seg.chrom, a, b, 0)
            m = -(-(b - a) // size)
            task = dask.delayed(_bin_from_archive, pure=False)(view, [sub], size, how)
            pieces.append(da.from_delayed(task, shape=(m,) if scalar else (m, cols.size),
                                          dtype=dtype))
    if not pieces:
        return da.zeros((0,) if scalar else (0, cols.size), dtype=dtype)
    out = da.concatenate(pieces, axis=0)
    assert out.shape[0] == nbins
    return out


def _bin_from_archive(view, segments: list[_Segment], size: int, how: str) -> np.ndarray:
    """Bins straight from the archive: fused decode-and-reduce, zoom levels where valid."""
    backend, cols, scalar, _ = view
    parts = []
    for seg in segments:
        edges = np.append(np.arange(seg.start, seg.end, size, dtype=np.int64), seg.end)
        if seg.chrom in backend.present:
            acc = backend.source.summarize(seg.chrom, seg.start, seg.end, cols, backend.ntracks,
                                           edges)
        else:  # a chromosome the file lacks: all NaN
            acc = np.empty((cols.size, edges.size - 1, 5))
            acc[...] = _kernels.empty_acc(edges.size - 1)
        parts.append(_from_acc(acc, how))
    dtype = np.int64 if how == "count" else np.float64
    out = np.concatenate(parts) if parts else np.empty((0, cols.size), dtype=dtype)
    return out[:, 0] if scalar else out


def _bin_array(arr: xr.DataArray, edges: np.ndarray, how: str, segments=None,
               size: int | None = None) -> xr.DataArray:
    other = [d for d in arr.dims if d != fmt.DIM_POSITION]
    view = lazy_view = None
    if segments is not None:
        view = _archive_view(arr)
        if view is None:
            lazy_view = _dask_archive_view(arr)
    arr = arr.transpose(fmt.DIM_POSITION, *other)
    data = arr.data if view is None and lazy_view is None else None
    nbins = edges.size - 1
    if view is not None:
        reduced = _bin_from_archive(view, segments, size, how)
    elif lazy_view is not None:
        reduced = _bin_lazily(lazy_view, segments, size, how, nbins)
    elif hasattr(data, "dask") or type(data).__module__.startswith("dask"):
        import dask.array as da

        # move every chunk boundary forward onto the next bin edge
        bounds = np.cumsum((0,) + data.chunks[0])
        snapped = np.unique(np.concatenate(([0], edges[np.searchsorted(edges, bounds[1:-1])],
                                            [edges[-1]])))
        data = data.rechunk((tuple(np.diff(snapped).tolist()),) + data.chunks[1:])
        pieces = []
        for i in range(data.numblocks[0]):
            a, b = int(snapped[i]), int(snapped[i + 1])
            lo, hi = np.searchsorted(edges, a), np.searchsorted(edges, b)
            local = edges[lo:hi + 1] - a
            block = data.blocks[i]
            pieces.append(da.map_blocks(
                _reduce_block, block, local, how, dtype=np.int64 if how == "count" else np.float64,
                chunks=((hi - lo,),) + block.chunks[1:]))
        reduced = da.concatenate(pieces, axis=0) if pieces else da.zeros((0,) + data.shape[1:])
    else:
        reduced = _reduce_block(np.asarray(data), edges, how)
    coords = {k: v for k, v in arr.coords.items() if fmt.DIM_POSITION not in v.dims}
    out = xr.DataArray(reduced, dims=(fmt.DIM_BIN, *other), coords=coords, name=arr.name,
                       attrs=dict(arr.attrs))
    assert out.sizes[fmt.DIM_BIN] == nbins
    return out


xr.register_dataset_accessor("gd")(GenomedataAccessor)
xr.register_dataarray_accessor("gd")(GenomedataAccessor)

__all__ = ["BIN_HOW", "GenomedataAccessor", "parse_region"]
