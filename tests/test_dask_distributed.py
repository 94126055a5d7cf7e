"""Genome-wide reductions on a real ``dask.distributed.LocalCluster`` with worker
processes, compared with numpy on the same data (make_genome's truth).

One module-scoped cluster (2 worker processes, 1 thread each) serves every
test; the datasets are pickled to the workers, which open their own files.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import xarray as xr

import gdxarray  # noqa: F401 - registers the .gd accessor
from gdxarray.testing import make_genome

distributed = pytest.importorskip("distributed")

CHROMS = {"chr1": 90_000, "chr2": 40_000, "chrX": 55_555}
GAPS = {"chr1": [(20_000, 45_000)], "chrX": [(50_000, 55_555)]}
TRACKS = ["t0", "t1", "t2", "t3"]
ORDER = sorted(CHROMS)


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield client


@pytest.fixture(scope="module", params=["file", "dir"])
def genome(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"dist-{request.param}")
    path, truth = make_genome(tmp / "g.genomedata", chroms=CHROMS, tracks=TRACKS, gaps=GAPS,
                              layout=request.param, seed=11)
    full = np.concatenate([truth[c] for c in ORDER]).astype(np.float64)
    return path, truth, full


@pytest.fixture
def ds(genome):
    import dask

    path, _, _ = genome
    # small "auto" chunks: many tasks per track even for this tiny genome, all of
    # them on HDF5 chunk boundaries or supercontig edges
    with dask.config.set({"array.chunk-size": "256KiB"}):
        ds = xr.open_dataset(path, engine="genomedata", chunks="auto")
    assert ds.continuous.data.npartitions >= 8
    with ds:
        yield ds


def _open_hdf5_files() -> list[str]:
    import tables

    return sorted(tables.file._open_files.filenames)


def test_reductions_match_numpy(client, ds, genome):
    _, _, full = genome
    x = ds.continuous
    got = xr.Dataset({
        "mean": x.mean("position"), "std": x.std("position"), "min": x.min("position"),
        "max": x.max("position"), "count": x.count("position"),
    }).compute()
    np.testing.assert_allclose(got["mean"], np.nanmean(full, 0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(got["std"], np.nanstd(full, 0), rtol=1e-5)
    np.testing.assert_array_equal(got["min"], np.nanmin(full, 0))
    np.testing.assert_array_equal(got["max"], np.nanmax(full, 0))
    np.testing.assert_array_equal(got["count"], np.isfinite(full).sum(0))
    # the worker processes did the reading, each with its own handles
    opened = client.run(_open_hdf5_files)
    assert len(opened) == 2 and all(files for files in opened.values())
    # and the close-data statistics agree with what the workers computed
    np.testing.assert_allclose(ds.means.values, got["mean"].values, rtol=1e-5, atol=1e-7)


def test_histogram_matches_numpy(client, ds, genome):
    import dask.array as da

    _, _, full = genome
    bins = np.linspace(-4, 4, 33)
    column = ds.continuous.sel(track="t2").data
    counts, _ = da.histogram(column[~da.isnan(column)], bins=bins)
    expected, _ = np.histogram(full[:, 2][np.isfinite(full[:, 2])], bins=bins)
    np.testing.assert_array_equal(counts.compute(), expected)


def test_correlation_matrix_matches_numpy(client, ds, genome):
    _, _, full = genome
    x = ds.continuous.astype(np.float64)
    xm = x.where(x.notnull().all("track"))  # positions where every track has a value
    centered = (xm - xm.mean("position")).fillna(0.0)
    cov = xr.dot(centered, centered.rename(track="track2"), dim="position")
    sd = np.sqrt(xr.dot(centered, centered, dim="position").compute())
    corr = (cov / (sd * sd.rename(track="track2"))).compute()
    rows = full[np.isfinite(full).all(1)]
    np.testing.assert_allclose(corr.values, np.corrcoef(rows, rowvar=False), rtol=1e-4, atol=1e-6)


def test_binned_means_match_numpy(client, ds, genome):
    _, truth, _ = genome
    binned = ds.continuous.gd.bin(7_000, how="mean").compute()
    k = 0
    for chrom in ORDER:
        data = truth[chrom].astype(np.float64)
        for start in range(0, CHROMS[chrom], 7_000):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN bin
                expected = np.nanmean(data[start:start + 7_000], axis=0)
            assert str(binned.chrom.values[k]) == chrom and int(binned.start[k]) == start
            assert int(binned.end[k]) == min(start + 7_000, CHROMS[chrom])
            np.testing.assert_allclose(binned.values[k], expected, rtol=1e-5, atol=1e-7)
            k += 1
    assert k == binned.sizes["bin"]


def test_region_selection_on_workers(client, ds, genome):
    _, truth, _ = genome
    region = ds.gd.region("chrX:49,991-50,010").continuous.compute()
    np.testing.assert_array_equal(region.values, truth["chrX"][49_990:50_010])


def test_to_genomedata_after_workers_read_the_archive(client, tmp_path):
    """Workers hold read handles (and HDF5 file locks); writing a prediction back
    releases them first, and the new track reads back on the workers."""
    path, truth = make_genome(tmp_path / "w.genomedata", chroms={"c1": 30_000, "c2": 12_345},
                              tracks=["x"], seed=2)
    with xr.open_dataset(path, engine="genomedata", chunks="auto") as ds:
        ds.continuous.mean().compute()  # the workers open the archive
        (ds.continuous.sel(track="x") * 2).gd.to_genomedata(path, "twice")
    with xr.open_dataset(path, engine="genomedata", chunks="auto") as back:
        got = back.continuous.sel(track="twice").sel(chrom="c2").compute().values
    np.testing.assert_allclose(got, truth["c2"][:, 0] * 2, rtol=1e-6)
