"""The lazy xarray face of the datasets: ``ds.gd.regions(roi, ...)``.

Owns :func:`lazy_regions`: a ROI tiled as :class:`Cover` tiles it, over an
archive's (or a bigWig's) tracks, as an ``xarray.DataArray`` ``(region,
position, strand, condition)`` backed by dask with one task per batch of
regions.  Each task indexes a lazily stored Cover (``storage="hdf5"`` over the
file itself, nothing copied), so it reads through the one read path with the
windows of its batch merged into runs; the Cover pickles without open files,
so the graph runs on threads, processes or dask.distributed.  The result equals
``Cover.create_from_genomedata(...).to_xarray()`` for the same arguments.
"""

from __future__ import annotations

import numpy as np

from .coverage import Cover

__all__ = ["lazy_regions"]

#: Regions per dask task (4,096 x 1 kb x 4 tracks: 64 MB of float32).
BATCH_REGIONS = 4096


def _read_batch(cover: Cover, i: int, j: int) -> np.ndarray:
    return cover[i:j]


def lazy_regions(path, roi, *, tracks=None, binsize=None, stepsize=None, flank: int = 0,
                 resolution=1, how="mean", zero_padding: bool = True, random_state=None,
                 nan_to_num: bool = True, batch_regions: int = BATCH_REGIONS, name="regions"):
    """Windows of *roi* over the tracks of *path*, lazily (see :meth:`GenomedataAccessor.regions`)."""
    import dask.array as da
    from dask.base import tokenize

    cover = Cover.create_from_genomedata(
        name, path, tracks=tracks, roi=roi, binsize=binsize, stepsize=stepsize,
        resolution=resolution, flank=flank, storage="hdf5", zero_padding=zero_padding,
        collapser=how, random_state=random_state, nan_to_num=nan_to_num)
    cover.close()  # tasks open their own handles (per process)
    n, bins, strands, conds = cover.shape
    batch_regions = max(1, int(batch_regions))
    stops = list(range(0, n, batch_regions))
    key = "gd-regions-" + tokenize(path, roi if isinstance(roi, (str, bytes)) else repr(roi),
                                   tracks, binsize, stepsize, flank, resolution,
                                   getattr(how, "__qualname__", how), zero_padding,
                                   random_state, nan_to_num, batch_regions)
    graph = {(key, k, 0, 0, 0): (_read_batch, cover, a, min(a + batch_regions, n))
             for k, a in enumerate(stops)}
    chunks = (tuple(min(batch_regions, n - a) for a in stops) or (0,), (bins,), (strands,),
              (conds,))
    data = da.Array(graph, key, chunks, dtype=cover._geom.dtype)
    return cover.to_xarray(data=data)
