"""The ``.gd`` accessor: regions, per-chromosome binning, bigWig/bedGraph export,
and writing predictions back into an archive."""

from __future__ import annotations

import warnings

import dask
import numpy as np
import pytest
import xarray as xr

import gdxarray
from gdxarray.accessor import BIN_HOW, parse_region
from gdxarray.errors import ChromosomeNotFoundError, GenomedataError
from gdxarray.testing import make_genome

pytestmark = pytest.mark.filterwarnings("error")

CHROMS = {"chr1": 23_456, "chr2": 10_000, "chr3": 7_001}
GAPS = {"chr1": [(5_000, 9_000)]}
TRACKS = ["a", "b"]
ORDER = sorted(CHROMS)


@pytest.fixture(scope="module", params=["file", "dir"])
def genome(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"acc-{request.param}")
    return make_genome(tmp / "g.genomedata", chroms=CHROMS, tracks=TRACKS, gaps=GAPS,
                       layout=request.param, seed=5)


@pytest.fixture(params=["numpy", "dask"])
def ds(request, genome):
    path, _ = genome
    chunks = None if request.param == "numpy" else {"position": 10_000}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # 10,000 does not follow supercontigs
        ds = xr.open_dataset(path, engine="genomedata", chunks=chunks)
    with ds:
        yield ds


def test_parse_region():
    assert parse_region("chr2:1,001-2,000") == ("chr2", 1000, 2000)
    assert parse_region("chrUn_gl000220:7") == ("chrUn_gl000220", 6, 7)
    assert parse_region("chr2") == ("chr2", None, None)
    with pytest.raises(ValueError, match="1 <= start <= end"):
        parse_region("chr2:0-10")
    with pytest.raises(ValueError, match="cannot parse region"):
        parse_region("chr2:a-b")


def test_region_whole_genome_and_one_chromosome(ds, genome):
    path, truth = genome
    ucsc = ds.gd.region("chr2:1,001-2,000")
    zero = ds.gd.region("chr2", 1000, 2000)
    np.testing.assert_array_equal(ucsc.continuous.values, truth["chr2"][1000:2000])
    np.testing.assert_array_equal(zero.pos.values, np.arange(1000, 2000))
    clipped = ds.continuous.gd.region("chr3", 6_990, 9_999_999)
    assert clipped.sizes["position"] == 11
    whole_chrom = ds.gd.region("chr1")
    assert whole_chrom.sizes["position"] == CHROMS["chr1"]
    with pytest.raises(ChromosomeNotFoundError, match="chr4"):
        ds.gd.region("chr4:1-10")
    with xr.open_dataset(path, engine="genomedata", group="chr1") as one:
        sub = one.continuous.gd.region("chr1:101-110")
        np.testing.assert_array_equal(sub.values, truth["chr1"][100:110])
        np.testing.assert_array_equal(sub.position.values, np.arange(100, 110))
        # a region of a region uses chromosome coordinates
        np.testing.assert_array_equal(sub.gd.region("chr1", 105, 107).values,
                                      truth["chr1"][105:107])
        with pytest.raises(ChromosomeNotFoundError, match="holds chromosome chr1"):
            one.gd.region("chr2", 0, 10)


def _expected_bins(data: np.ndarray, size: int, how: str) -> np.ndarray:
    rows = []
    for start in range(0, data.shape[0], size):
        block = data[start:start + size].astype(np.float64)
        finite = np.isfinite(block)
        n = finite.sum(0)
        clean = np.where(finite, block, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            value = {"mean": np.nanmean(clean, 0), "sum": np.nansum(clean, 0),
                     "max": np.nanmax(clean, 0), "min": np.nanmin(clean, 0),
                     "std": np.nanstd(clean, 0), "count": n}[how]
        if how != "count":
            value = np.where(n > 0, value, np.nan)
        rows.append(value)
    return np.array(rows)


@pytest.mark.parametrize("how", BIN_HOW)
def test_bin_per_chromosome(ds, genome, how):
    _, truth = genome
    with dask.config.set(scheduler="sync"):
        binned = ds.continuous.gd.bin(3_000, how=how)
        if ds.continuous.chunks:
            assert binned.chunks is not None  # lazy on dask
        values = binned.values
    expected = np.concatenate([_expected_bins(truth[c], 3_000, how) for c in ORDER])
    np.testing.assert_allclose(values, expected, rtol=1e-6, atol=1e-9)
    # bins never cross a chromosome end: the last bin of each chromosome is short
    ends = binned.end.values[binned.chrom.values == "chr1"]
    assert ends[-1] == CHROMS["chr1"] and ends[-2] == 21_000
    assert binned.attrs["bin_size"] == 3_000 and binned.dims == ("bin", "track")


def test_bin_a_region_starts_at_the_region(ds, genome):
    _, truth = genome
    binned = ds.gd.region("chr2", 1_005, 1_305).gd.bin(100)
    assert list(binned.start.values) == [1_005, 1_105, 1_205]
    np.testing.assert_allclose(binned.continuous.values,
                               _expected_bins(truth["chr2"][1_005:1_305], 100, "mean"), rtol=1e-6)
    assert "seq" not in binned  # only float variables are binned
    with pytest.raises(ValueError, match="how must be one of"):
        ds.continuous.gd.bin(10, how="median")


def _read_bedgraph(path):
    with open(path) as fh:
        rows = [line.split("\t") for line in fh.read().splitlines()]
    return [(c, int(s), int(e), np.float32(v)) for c, s, e, v in rows]


def _expand(rows, chrom, length):
    out = np.full(length, np.nan, dtype=np.float32)
    for c, s, e, v in rows:
        if c == chrom:
            assert np.isnan(out[s:e]).all()
            out[s:e] = v
    return out


def test_to_bedgraph_round_trip_merges_runs(tmp_path, genome):
    path, truth = genome
    with xr.open_dataset(path, engine="genomedata", chunks="auto") as ds:
        # runs of equal values across chunk boundaries become one line
        steps = xr.where(ds.continuous.pos < 15_000, 1.5, ds.continuous)
        written = steps.sel(track="b").gd.to_bedgraph(tmp_path / "b.bedGraph")
    rows = _read_bedgraph(written[0])
    for chrom in ORDER:
        expected = truth[chrom][:, 1].copy()
        expected[:15_000] = 1.5
        np.testing.assert_array_equal(_expand(rows, chrom, CHROMS[chrom]), expected)
    assert ("chr1", 0, 15_000, np.float32(1.5)) in rows
    assert all(not np.isnan(v) for *_, v in rows)


def test_to_bigwig_one_file_per_track(tmp_path, genome):
    import pyBigWig

    path, truth = genome
    with xr.open_dataset(path, engine="genomedata", chunks={}) as ds:
        with pytest.raises(GenomedataError, match="2 tracks to export"):
            ds.gd.to_bigwig(tmp_path / "x.bw")
        written = ds.gd.to_bigwig(tmp_path / "{track}.bw")
    assert [p.name for p in written] == ["a.bw", "b.bw"]
    for k, p in enumerate(written):
        bw = pyBigWig.open(str(p))
        assert bw.chroms() == CHROMS
        for chrom in ORDER:
            got = np.asarray(bw.values(chrom, 0, CHROMS[chrom]), dtype=np.float32)
            np.testing.assert_array_equal(got, truth[chrom][:, k])
        bw.close()
    # and a bigWig reads back through the backend
    with xr.open_dataset(written[0], engine="genomedata") as back:
        assert list(back.track.values) == ["a"]
        np.testing.assert_array_equal(back.continuous.sel(chrom="chr3").values[:, 0],
                                      truth["chr3"][:, 0])


def test_binned_export(tmp_path, genome):
    import pyBigWig

    path, truth = genome
    with xr.open_dataset(path, engine="genomedata", group="chr2") as ds:
        binned = ds.continuous.sel(track="a").gd.bin(1_000, "max")
        bw_path = binned.gd.to_bigwig(tmp_path / "max.bw")[0]
        bg_path = binned.gd.to_bedgraph(tmp_path / "max.bedGraph")[0]
    bw = pyBigWig.open(str(bw_path))
    expected = _expected_bins(truth["chr2"][:, :1], 1_000, "max")[:, 0]
    got = [bw.values("chr2", s, s + 1)[0] for s in range(0, 10_000, 1_000)]
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert len(_read_bedgraph(bg_path)) == 10


def test_to_genomedata_round_trip(tmp_path):
    path, truth = make_genome(tmp_path / "p.genomedata", chroms=CHROMS, tracks=TRACKS, gaps=GAPS)
    with xr.open_dataset(path, engine="genomedata", chunks="auto") as ds:
        prediction = (ds.continuous.sel(track="a").fillna(0) * 2 + 1).rename("prediction")
        with pytest.warns(UserWarning, match="lie in assembly gaps"):
            prediction.gd.to_genomedata(path, "pred")
    with xr.open_dataset(path, engine="genomedata") as back:
        assert list(back.track.values) == TRACKS + ["pred"]
        for chrom in ORDER:
            expected = np.nan_to_num(truth[chrom][:, 0]) * 2 + 1
            if chrom in GAPS:
                for g0, g1 in GAPS[chrom]:
                    expected[g0:g1] = np.nan
            got = back.continuous.sel(chrom=chrom, track="pred").values
            np.testing.assert_allclose(got, expected, rtol=1e-6)
        # statistics were recomputed (close=True)
        assert np.isfinite(back.means.sel(track="pred").values)
    with gdxarray.Genome(path) as g:
        assert g.tracknames_continuous[-1] == "pred"
    # a region of one chromosome, overwriting part of the track
    with xr.open_dataset(path, engine="genomedata", group="chr3") as one:
        part = xr.full_like(one.continuous.sel(track="b").gd.region("chr3", 100, 200), -7.0)
        with pytest.raises(GenomedataError, match="already exists"):
            part.gd.to_genomedata(path, "pred")
        part.gd.to_genomedata(path, "pred", overwrite=True)
    with xr.open_dataset(path, engine="genomedata", group="chr3") as one:
        got = one.continuous.sel(track="pred").values
        np.testing.assert_array_equal(got[100:200], -7)
        np.testing.assert_allclose(got[:100], np.nan_to_num(truth["chr3"][:100, 0]) * 2 + 1,
                                   rtol=1e-6)


def test_to_genomedata_without_close_counts_gap_values_and_leaves_dirty(tmp_path):
    path, truth = make_genome(tmp_path / "q.genomedata", chroms=CHROMS, tracks=TRACKS, gaps=GAPS)
    in_gaps = sum(g1 - g0 for gaps in GAPS.values() for g0, g1 in gaps)
    with xr.open_dataset(path, engine="genomedata") as ds:
        ones = xr.ones_like(ds.continuous.sel(track="a"))  # non-NaN everywhere, gaps too
        with pytest.warns(UserWarning, match=rf"^{in_gaps} non-NaN values lie in assembly gaps"), \
                pytest.warns(gdxarray.GenomedataDirtyWarning, match="close-data"):
            ones.gd.to_genomedata(path, "ones", close=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gdxarray.GenomedataDirtyWarning)
        warnings.simplefilter("ignore", gdxarray.OverlapWarning)  # whole chromosomes, gaps too
        with gdxarray.Genome(path) as g:
            for chrom in ORDER:
                got = g[chrom][:, "ones"]
                assert g[chrom].dirty
                expected = np.ones(len(truth[chrom]), np.float32)
                for g0, g1 in GAPS.get(chrom, []):
                    expected[g0:g1] = np.nan
                np.testing.assert_array_equal(got, expected)


def test_accessor_registered_lazily_without_importing_xarray_first():
    """`import gdxarray` does not import xarray (CLI start-up) yet `.gd` works after it is."""
    import subprocess
    import sys

    code = ("import sys, gdxarray; assert 'xarray' not in sys.modules; "
            "import xarray as xr; print(type(xr.DataArray([1.0]).gd).__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "GenomedataAccessor"
