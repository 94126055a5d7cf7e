"""ds.gd.regions(roi, ...): the datasets' windows as a lazy dask-backed DataArray."""

from __future__ import annotations

import numpy as np
import pytest

xr = pytest.importorskip("xarray")
da = pytest.importorskip("dask.array")

import gdxarray  # noqa: E402,F401  (registers the engine and the accessor)
from gdxarray.datasets import Cover  # noqa: E402
from gdxarray.errors import GenomedataError  # noqa: E402
from gdxarray.testing import make_genome  # noqa: E402


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GDXARRAY_OUTPUT", str(tmp_path / "cache"))


ROI = [("chr1", 1000, 21000, "+"), ("chr2", 3000, 9000, "-"), ("chr1", 40000, 45500, "+")]


def test_regions_lazy_equal_to_cover_to_xarray(tmp_path):
    path, truth = make_genome(tmp_path / "g.genomedata", chroms={"chr1": 60_000,
                                                                  "chr2": 20_000},
                              tracks=["a", "b", "c"], nan_fraction=0.1)
    kw = dict(binsize=1000, stepsize=500, flank=100, resolution=100, how="max")
    with xr.open_dataset(path, engine="genomedata") as ds:
        lazy = ds.gd.regions(ROI, batch_regions=16, **kw)
        assert isinstance(lazy.data, da.Array)
        n = lazy.sizes["region"]
        # one task per batch of 16 regions
        assert lazy.data.numblocks == (-(-n // 16), 1, 1, 1)
        assert lazy.dims == ("region", "position", "strand", "condition")
        assert list(lazy.condition.values) == ["a", "b", "c"]
        got = lazy.compute()
        sel = ds.continuous.sel(track=["c", "a"]).gd.regions(ROI, **kw).compute()
    cover = Cover.create_from_genomedata("regions", path, roi=ROI, binsize=1000, stepsize=500,
                                         flank=100, resolution=100, collapser="max",
                                         storage="ndarray")
    xr.testing.assert_identical(got, cover.to_xarray())
    assert list(sel.condition.values) == ["c", "a"]
    np.testing.assert_array_equal(sel.values, got.sel(condition=["c", "a"]).values)
    # independently: every window from the raw matrix (NaN -> 0, pad past 0, '-' reversed)
    for i in range(n):
        chrom = str(got.chrom[i].values)
        s, e = int(got.start[i].values), int(got.end[i].values)
        v = np.nan_to_num(truth[chrom][s:e])  # no window reaches past a chromosome end
        want = v.reshape(-1, 100, 3).max(axis=1)
        if str(got.region_strand[i].values) == "-":
            want = want[::-1]
        np.testing.assert_allclose(got.values[i, :, 0, :], want, rtol=1e-6)


def test_regions_over_a_bigwig_and_errors(tmp_path, realdata):
    bw = realdata / "janggu" / "sample.bw"
    with xr.open_dataset(bw, engine="genomedata") as ds:
        lazy = ds.gd.regions(str(realdata / "janggu" / "sample.bed"), binsize=200,
                             resolution=50)
        got = lazy.compute()
    cover = Cover.create_from_genomedata("regions", bw, roi=str(realdata / "janggu" /
                                                                "sample.bed"),
                                         binsize=200, resolution=50, storage="ndarray")
    xr.testing.assert_identical(got, cover.to_xarray())
    ref = Cover.create_from_bigwig("regions", str(bw), roi=str(realdata / "janggu" /
                                                               "sample.bed"),
                                   binsize=200, resolution=50)
    np.testing.assert_allclose(got.values, ref[:], rtol=1e-6)
    with pytest.raises(GenomedataError, match="engine='genomedata'"):
        xr.Dataset({"x": ("a", [1.0])}).gd.regions(ROI, binsize=100)
