"""Exporters of the ``.gd`` accessor: bedGraph, bigWig and a track of an archive.

Owns streaming an xarray object out block by block (following its dask
chunks): runs of equal values become one bedGraph line or bigWig entry
(:func:`gdxarray.intervals.rle_encode`), and :func:`to_genomedata` writes a
DataArray into an archive through the writer (``add_tracks`` /
``write_track_arrays`` / ``close_data``).

May import: xarray, numpy, format, errors, intervals, store (to release read
handles before writing), writer.  The accessor (``accessor.py``) is the face
that calls these.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import xarray as xr

from . import format as fmt
from .errors import GenomedataDirtyWarning, GenomedataError, NotAnArchiveError
from .intervals import rle_encode

__all__ = ["EXPORT_BLOCK", "as_single_track", "blocks", "export_tracks", "to_genomedata"]

#: Positions per block when exporting an array that is not chunked by dask.
EXPORT_BLOCK = 4_000_000


def as_single_track(obj) -> xr.DataArray:
    if isinstance(obj, xr.Dataset):
        if fmt.VAR_CONTINUOUS not in obj:
            raise GenomedataError("no 'continuous' variable: export a DataArray")
        obj = obj[fmt.VAR_CONTINUOUS]
    if fmt.DIM_TRACK in obj.dims:
        if obj.sizes[fmt.DIM_TRACK] != 1:
            raise GenomedataError("select one track first (e.g. .sel(track='name'))")
        obj = obj.isel({fmt.DIM_TRACK: 0})
    extra = [d for d in obj.dims if d != fmt.DIM_POSITION]
    if extra:
        raise GenomedataError(f"expected a (position,) array, got dims {obj.dims}")
    return obj


def blocks(arr: xr.DataArray, segments) -> Iterator[tuple[object, int, int]]:
    """``(segment, a, b)``: segment-relative blocks following the dask chunks when chunked."""
    chunks = arr.chunks
    bounds = None
    if chunks:
        axis = arr.dims.index(fmt.DIM_POSITION)
        bounds = np.cumsum((0,) + tuple(chunks[axis]))
    for seg in segments:
        n = len(seg)
        if bounds is not None:
            inner = bounds[(bounds > seg.index) & (bounds < seg.index + n)] - seg.index
            cuts = np.concatenate(([0], inner, [n])).astype(np.int64)
            # keep blocks of a sensible size even when dask chunks are tiny
            merged = [0]
            for c in cuts[1:]:
                if c - merged[-1] >= EXPORT_BLOCK // 4 or c == n:
                    merged.append(int(c))
            cuts = merged
        else:
            cuts = list(range(0, n, EXPORT_BLOCK)) + [n]
        for a, b in zip(cuts[:-1], cuts[1:]):
            if b > a:
                yield seg, int(a), int(b)


class _BedGraphWriter:
    def __init__(self, path: Path, sizes: dict[str, int]) -> None:
        self.path = path
        self.fh = open(path, "w")

    def add(self, chrom: str, starts, ends, values) -> None:
        if not len(starts):
            return
        text = np.asarray(values, dtype=fmt.CONTINUOUS_DTYPE).astype(str)  # shortest float32 repr
        lines = [f"{chrom}\t{s}\t{e}\t{v}\n"
                 for s, e, v in zip(starts.tolist(), ends.tolist(), text)]
        self.fh.write("".join(lines))

    def close(self) -> None:
        self.fh.close()


class _BigWigWriter:
    def __init__(self, path: Path, sizes: dict[str, int]) -> None:
        try:
            import pyBigWig
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise ImportError("writing bigWig needs pyBigWig: pip install pyBigWig") from exc
        self.path = path
        self.bw = pyBigWig.open(os.fspath(path), "w")
        self.bw.addHeader([(c, int(n)) for c, n in sizes.items() if n > 0])

    def add(self, chrom: str, starts, ends, values) -> None:
        if not len(starts):
            return
        # pyBigWig takes numpy arrays (as fast as lists, without building them)
        self.bw.addEntries([str(chrom)] * len(starts), np.asarray(starts, dtype=np.int64),
                           ends=np.asarray(ends, dtype=np.int64),
                           values=np.asarray(values, dtype=np.float64))

    def close(self) -> None:
        self.bw.close()


def _export_targets(path, names: list[str]) -> list[Path]:
    path_s = os.fspath(path)
    if len(names) == 1 and "{track}" not in path_s and not os.path.isdir(path_s):
        return [Path(path_s)]
    if "{track}" in path_s:
        return [Path(path_s.format(track=name)) for name in names]
    if os.path.isdir(path_s):
        return [Path(path_s) / name for name in names]
    raise GenomedataError(f"{len(names)} tracks to export: give track=, or a path with "
                          "'{track}' in it, or an existing directory")


def export_tracks(accessor, path, track, kind: str) -> list[Path]:
    """Write the tracks of ``accessor._obj`` as bedGraph or bigWig (*kind*); the paths written."""
    obj = accessor._obj
    if isinstance(obj, xr.Dataset):
        if fmt.VAR_CONTINUOUS not in obj:
            raise GenomedataError("no 'continuous' variable: export a DataArray")
        obj = obj[fmt.VAR_CONTINUOUS]
    if track is not None:
        obj = obj.sel({fmt.DIM_TRACK: track})
    if fmt.DIM_TRACK in obj.dims:
        names = [str(t) for t in obj[fmt.DIM_TRACK].values]
    else:
        names = [str(obj[fmt.DIM_TRACK].values) if fmt.DIM_TRACK in obj.coords
                 else str(obj.name or "signal")]
        obj = obj.expand_dims({fmt.DIM_TRACK: 1}, axis=-1)
    extra = [d for d in obj.dims if d not in (fmt.DIM_POSITION, fmt.DIM_BIN, fmt.DIM_TRACK)]
    if extra:
        raise GenomedataError(f"cannot export dims {extra}: select them away first")
    suffix = ".bw" if kind == "bigwig" else ".bedGraph"
    targets = _export_targets(path, names)
    targets = [t if t.suffix or "{track}" in os.fspath(path) or len(names) == 1
               else t.with_suffix(suffix) for t in targets]
    writer_cls = _BigWigWriter if kind == "bigwig" else _BedGraphWriter
    binned = fmt.DIM_BIN in obj.dims
    sizes = _binned_sizes(obj) if binned else type(accessor)(obj).chrom_sizes
    writers = [writer_cls(t, sizes) for t in targets]
    try:
        if binned:
            _export_binned(obj, writers)
        else:
            _export_bases(obj, type(accessor)(obj).segments(), writers)
    finally:
        for w in writers:
            w.close()
    return targets


def _binned_sizes(obj) -> dict[str, int]:
    chroms = np.asarray(obj[fmt.COORD_CHROM].values).astype(str)
    ends = np.asarray(obj["end"].values)
    sizes: dict[str, int] = {}
    for c, e in zip(chroms, ends):
        sizes[c] = max(sizes.get(c, 0), int(e))
    return sizes


def _export_bases(obj: xr.DataArray, segments, writers) -> None:
    obj = obj.transpose(fmt.DIM_POSITION, fmt.DIM_TRACK)
    pending: list[tuple | None] = [None] * len(writers)
    for seg, a, b in blocks(obj, segments):
        block = np.asarray(obj.isel({fmt.DIM_POSITION: slice(seg.index + a, seg.index + b)}).values,
                           dtype=np.float64)
        for k, writer in enumerate(writers):
            s, e, v = rle_encode(block[:, k])
            pending[k] = _emit(writer, seg.chrom, seg.start + a + s, seg.start + a + e, v,
                               pending[k])
    for k, writer in enumerate(writers):
        if pending[k] is not None:
            c, s, e, v = pending[k]
            writer.add(c, np.array([s]), np.array([e]), np.array([v]))


def _emit(writer, chrom, starts, ends, values, pending):
    """Write runs, holding back the last one so it can join the next block's first."""
    if pending is not None:
        pc, ps, pe, pv = pending
        if len(starts) and pc == chrom and pe == starts[0] and pv == values[0]:
            starts = starts.copy()
            starts[0] = ps
        else:
            writer.add(pc, np.array([ps]), np.array([pe]), np.array([pv]))
    if not len(starts):
        return None
    writer.add(chrom, starts[:-1], ends[:-1], values[:-1])
    return (chrom, int(starts[-1]), int(ends[-1]), float(values[-1]))


def _export_binned(obj: xr.DataArray, writers) -> None:
    obj = obj.transpose(fmt.DIM_BIN, fmt.DIM_TRACK)
    chroms = np.asarray(obj[fmt.COORD_CHROM].values).astype(str)
    starts = np.asarray(obj["start"].values, dtype=np.int64)
    ends = np.asarray(obj["end"].values, dtype=np.int64)
    n = chroms.size
    pending: list[tuple | None] = [None] * len(writers)
    step = max(1, EXPORT_BLOCK // 1000)
    for a in range(0, n, step):
        b = min(n, a + step)
        block = np.asarray(obj.isel({fmt.DIM_BIN: slice(a, b)}).values, dtype=np.float64)
        c, s, e = chroms[a:b], starts[a:b], ends[a:b]
        # split where the chromosome changes or bins are not adjacent
        cut = np.flatnonzero((c[1:] != c[:-1]) | (s[1:] != e[:-1])) + 1
        for lo, hi in zip(np.concatenate(([0], cut)), np.concatenate((cut, [b - a]))):
            for k, writer in enumerate(writers):
                rs, re_, vals = rle_encode(block[lo:hi, k])
                pending[k] = _emit(writer, c[lo], s[lo:hi][rs], e[lo:hi][re_ - 1], vals,
                                   pending[k])
    for k, writer in enumerate(writers):
        if pending[k] is not None:
            pc, ps, pe, pv = pending[k]
            writer.add(pc, np.array([ps]), np.array([pe]), np.array([pv]))


def to_genomedata(obj, segments, archive: str | os.PathLike, name: str, *,
                  overwrite: bool = False, close: bool = True) -> None:
    """Write one track's values (a ``(position,)`` object over *segments*) into *archive*.

    See :meth:`GenomedataAccessor.to_genomedata`: values are spooled to a
    temporary file first (the source may be the archive itself), read handles
    on the archive are released here and on dask.distributed workers, then the
    writer stores the values (non-NaN values in assembly gaps are counted and
    skipped) and, with *close*, recomputes the statistics.
    """
    from .store import Archive, release_read_handles_everywhere
    from .writer import add_tracks, close_data, write_track_arrays

    arr = as_single_track(obj)
    total = sum(len(s) for s in segments)
    with tempfile.TemporaryDirectory(prefix="gdxarray-spool-") as tmp:
        spool = np.lib.format.open_memmap(os.path.join(tmp, "values.npy"), mode="w+",
                                          dtype=fmt.CONTINUOUS_DTYPE, shape=(max(total, 1),))
        for seg, a, b in blocks(arr, segments):
            spool[seg.index + a:seg.index + b] = np.asarray(
                arr.isel({fmt.DIM_POSITION: slice(seg.index + a, seg.index + b)}).values,
                dtype=fmt.CONTINUOUS_DTYPE)
        spool.flush()
        release_read_handles_everywhere(archive)
        with warnings.catch_warnings():
            if close:  # statistics are recomputed right after: the warning would be noise
                warnings.simplefilter("ignore", GenomedataDirtyWarning)
            try:
                target = Archive(archive, "r+")
            except NotAnArchiveError as exc:
                raise GenomedataError(
                    f"cannot open {archive} for writing ({exc}); is it open in another "
                    "process? Close other readers of the archive first") from exc
            try:
                if name in target.tracknames(strict=False):
                    if not overwrite:
                        raise GenomedataError(f"track {name!r} already exists in {archive}: "
                                              "pass overwrite=True to replace its values")
                else:
                    add_tracks(target, [name])
                summary = write_track_arrays(target, name, _spooled_pieces(spool, segments),
                                             in_gaps="drop")
            finally:
                target.close()
        del spool
    if summary.dropped:
        warnings.warn(f"{summary.dropped} non-NaN values lie in assembly gaps of {archive} and "
                      "were not written", UserWarning, stacklevel=3)
    if close:
        close_data(archive)
    else:
        warnings.warn(f"{archive} has modified data: run genomedata-close-data before reading "
                      "statistics", GenomedataDirtyWarning, stacklevel=3)


def _spooled_pieces(spool, segments) -> Iterator[tuple[str, int, np.ndarray]]:
    """``(chrom, start, values)`` pieces of the spool, EXPORT_BLOCK bases at a time."""
    for seg in segments:
        for a in range(seg.start, seg.end, EXPORT_BLOCK):
            b = min(seg.end, a + EXPORT_BLOCK)
            k = seg.index + a - seg.start
            yield seg.chrom, a, spool[k:k + b - a]
