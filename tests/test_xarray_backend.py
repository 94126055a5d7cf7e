"""The xarray backend (``engine="genomedata"``): layouts, laziness, chunks, pickling.

Archives come from :func:`gdxarray.testing.make_genome` (written straight with
PyTables, so the backend is checked against an independent writer); bigWig
files are written here with pyBigWig or taken from ``shared/realdata``.
"""

from __future__ import annotations

import os
import pickle
import tracemalloc

import dask
import numpy as np
import pytest
import xarray as xr

import gdxarray
from gdxarray import _read
from gdxarray import format as fmt
from gdxarray.backends.entrypoint import GenomedataBackendEntrypoint
from gdxarray.indexes import GenomeIndex
from gdxarray.errors import ChromosomeNotFoundError
from gdxarray.testing import make_genome


CHROMS = {"chr1": 60_000, "chr2": 25_000, "chr10": 33_333}
GAPS = {"chr1": [(12_000, 31_500)], "chr10": [(0, 5_000), (30_000, 33_333)]}
TRACKS = ["dnase", "h3k4me3", "ctcf"]
ORDER = sorted(CHROMS)  # the archive's chromosome order: plain string order


class RaisingScheduler:
    """A dask scheduler that fails the test if anything is computed (STYLE 15)."""

    def __init__(self, allowed: int = 0) -> None:
        self.allowed = allowed
        self.calls = 0

    def __call__(self, dsk, keys, **kwargs):
        self.calls += 1
        if self.calls > self.allowed:
            raise AssertionError(f"dask computed {self.calls} time(s); expected {self.allowed}")
        return dask.get(dsk, keys, **kwargs)


@pytest.fixture(scope="module", params=["file", "dir"])
def genome(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"xr-{request.param}")
    path, truth = make_genome(tmp / "g.genomedata", chroms=CHROMS, tracks=TRACKS, gaps=GAPS,
                              layout=request.param, seed=3)
    return path, truth


def whole(truth, key=""):
    return np.concatenate([truth[c + key] for c in ORDER])


@pytest.fixture
def no_reads(monkeypatch):
    """Fail if the core read path is entered (open/select/graph building must not read)."""
    def boom(*args, **kwargs):
        raise AssertionError("signal was read")
    monkeypatch.setattr(_read, "read_continuous", boom)
    monkeypatch.setattr(_read, "read_seq", boom)


# --- the entrypoint ------------------------------------------------------------------------
def test_entrypoint_is_registered_and_follows_conventions():
    engine = xr.backends.list_engines()["genomedata"]
    assert isinstance(engine, GenomedataBackendEntrypoint)
    assert engine.description and engine.url
    assert set(engine.open_dataset_parameters) >= {"filename_or_obj", "drop_variables", "group"}
    assert hasattr(engine, "open_datatree") and hasattr(engine, "open_groups_as_dict")


def test_guess_can_open_recognises_content_and_never_raises(realdata, genome, tmp_path):
    path, _ = genome
    entry = GenomedataBackendEntrypoint()
    assert entry.guess_can_open(path)
    assert entry.guess_can_open(str(path))
    renamed = tmp_path / "archive.h5"  # a file archive is recognised by content
    if path.is_file():
        renamed.write_bytes(path.read_bytes())
        assert entry.guess_can_open(renamed)
    (tmp_path / "notes.txt").write_text("chr1 100\n")
    assert not entry.guess_can_open(tmp_path / "notes.txt")
    assert not entry.guess_can_open(tmp_path / "missing.genomedata")
    assert not entry.guess_can_open(object())
    assert not entry.guess_can_open(b"\x00\x01")
    bw = realdata / "genomedata" / "ENCFF324BPE.bigWig"
    if bw.exists():
        assert entry.guess_can_open(bw)


# --- the whole genome ----------------------------------------------------------------------
def test_whole_genome_values_coords_and_stats(genome):
    path, truth = genome
    with xr.open_dataset(path, engine="genomedata") as ds:
        assert dict(ds.sizes) == {"position": sum(CHROMS.values()), "track": 3}
        assert list(ds.track.values) == TRACKS
        assert ds.continuous.dtype == np.float32 and ds.seq.dtype == np.uint8
        assert isinstance(ds.xindexes["chrom"], GenomeIndex)
        np.testing.assert_array_equal(ds.continuous.values, whole(truth))
        np.testing.assert_array_equal(ds.seq.values, whole(truth, ":seq"))
        # chrom / pos computed lazily, equal to the explicit values
        expected_chrom = np.concatenate([[c] * CHROMS[c] for c in ORDER])
        np.testing.assert_array_equal(ds.chrom.values, expected_chrom)
        np.testing.assert_array_equal(ds.pos.values,
                                      np.concatenate([np.arange(CHROMS[c]) for c in ORDER]))
        # statistics from the archive's close-data attributes
        full = whole(truth).astype(np.float64)
        np.testing.assert_allclose(ds.means.values, np.nanmean(full, axis=0), rtol=1e-6)
        np.testing.assert_allclose(ds.vars.values, np.nanvar(full, axis=0), rtol=1e-6)
        np.testing.assert_array_equal(ds.num_datapoints.values, np.isfinite(full).sum(0))
        np.testing.assert_allclose(ds.mins.values, np.nanmin(full, axis=0))
        np.testing.assert_allclose(ds.maxs.values, np.nanmax(full, axis=0))
        assert ds.attrs["genomedata_format_version"] == 1


@pytest.mark.parametrize("chrom,start,stop", [("chr2", 1000, 1999), ("chr1", 11_990, 31_510),
                                              ("chr10", 0, 33_332), ("chr1", 59_990, None)])
def test_sel_by_chrom_and_pos(genome, chrom, start, stop):
    path, truth = genome
    with xr.open_dataset(path, engine="genomedata") as ds:
        sub = ds.sel(chrom=chrom, pos=slice(start, stop))  # label slices include the end
        end = CHROMS[chrom] if stop is None else stop + 1
        np.testing.assert_array_equal(sub.continuous.values, truth[chrom][start:end])
        np.testing.assert_array_equal(sub.pos.values, np.arange(start, end))
        assert set(sub.chrom.values) == {chrom}
        assert isinstance(sub.xindexes["chrom"], GenomeIndex)  # slicing keeps the index
        # a chromosome-only selection, then pos alone
        sub2 = ds.sel(chrom=chrom).sel(pos=slice(start, stop))
        np.testing.assert_array_equal(sub2.seq.values, truth[chrom + ":seq"][start:end])


def test_sel_points_tracks_and_errors(genome):
    path, truth = genome
    with xr.open_dataset(path, engine="genomedata") as ds:
        one = ds.continuous.sel(chrom="chr10", pos=7_000, track="ctcf")
        assert float(one) == pytest.approx(truth["chr10"][7_000, 2], nan_ok=True)
        pts = ds.continuous.sel(chrom=["chr2", "chr1"], pos=[5, 50_000], track=["ctcf", "dnase"])
        np.testing.assert_array_equal(pts.values, np.array([truth["chr2"][5, [2, 0]],
                                                            truth["chr1"][50_000, [2, 0]]]))
        vec = ds.continuous.sel(chrom=xr.DataArray(["chr1", "chr2"], dims="peak"),
                                pos=xr.DataArray([10, 20], dims="peak"))
        assert vec.dims == ("peak", "track")
        np.testing.assert_array_equal(vec.values, np.stack([truth["chr1"][10], truth["chr2"][20]]))
        with pytest.raises(ChromosomeNotFoundError, match="chrX"):
            ds.sel(chrom="chrX")
        with pytest.raises(KeyError, match="outside chromosome chr2"):
            ds.sel(chrom="chr2", pos=CHROMS["chr2"])
        with pytest.raises(KeyError, match="needs a single chromosome"):
            ds.sel(pos=3)


def test_open_and_select_are_lazy(genome, no_reads):
    path, _ = genome
    with xr.open_dataset(path, engine="genomedata") as ds:
        sub = ds.sel(chrom="chr1", pos=slice(100, 200)).sel(track=["ctcf"])
        repr(sub), repr(ds), repr(ds.chrom), repr(ds.continuous)
        assert sub.continuous.shape == (101, 1)
    with dask.config.set(scheduler=RaisingScheduler(0)):
        with xr.open_dataset(path, engine="genomedata", chunks="auto") as ds:
            graph = (ds.continuous.sel(chrom="chr2").mean("position")
                     + ds.continuous.std("position") + ds.gd.region("chr1:1-100").continuous.sum())
            binned = ds.continuous.gd.bin(1000)
            repr(graph), repr(binned), repr(ds)


def test_tracks_read_only_what_is_selected(genome, monkeypatch):
    path, truth = genome
    seen = []
    real = _read.read_continuous

    def spy(chrom, start, end, cols, ntracks, **kw):
        seen.append(tuple(np.asarray(_read.normalize_columns(cols, ntracks)).tolist()))
        return real(chrom, start, end, cols, ntracks, **kw)

    monkeypatch.setattr(_read, "read_continuous", spy)
    with xr.open_dataset(path, engine="genomedata") as ds:
        got = ds.continuous.sel(track=["ctcf", "dnase"]).sel(chrom="chr2", pos=slice(0, 9)).values
    np.testing.assert_array_equal(got, truth["chr2"][0:10][:, [2, 0]])
    assert seen and all(set(cols) <= {0, 2} for cols in seen)


def test_no_genome_length_array_for_many_scaffolds(tmp_path):
    """1,000 scaffolds (10 Mbp): open, sel and isel stay O(chromosomes) in memory.

    The 39,000-scaffold timing is measured by examples/open_many_scaffolds.py
    (building that archive with PyTables takes ~12 minutes)."""
    n = 1000
    sizes = {f"scaffold_{i:04d}": 10_000 for i in range(n)}
    path, truth = make_genome(tmp_path / "many.genomedata", chroms=sizes, tracks=["a"],
                              seq=False, nan_fraction=0.0)
    xr.open_dataset(path, engine="genomedata", chunks="auto").close()  # imports, caches
    tracemalloc.start()
    try:
        ds = xr.open_dataset(path, engine="genomedata", chunks="auto")
        sub = ds.sel(chrom="scaffold_0500", pos=slice(10, 19))
        sub2 = ds.isel(position=slice(5_000_000, 5_000_100))
        assert "scaffold_0000" in repr(ds)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    genome_len = n * 10_000
    # a genome-length bool mask would be 10 MB, an int64 array 80 MB
    assert peak < genome_len / 2, peak
    np.testing.assert_array_equal(sub.continuous.values, truth["scaffold_0500"][10:20])
    assert str(sub2.chrom.values[0]) == "scaffold_0500"
    assert ds.continuous.data.npartitions < 100  # "auto" merges the tiny scaffolds
    ds.close()


# --- one chromosome, the tree ------------------------------------------------------------------
def test_group_is_one_chromosome(genome):
    path, truth = genome
    with xr.open_dataset(path, engine="genomedata", group="chr10") as ds:
        assert dict(ds.sizes) == {"position": CHROMS["chr10"], "track": 3}
        assert str(ds.chrom.values) == "chr10"
        idx = ds.indexes["position"]
        assert type(idx).__name__ == "RangeIndex"  # lazy: never an array
        np.testing.assert_array_equal(ds.continuous.values, truth["chr10"])
        np.testing.assert_array_equal(ds.seq.values, truth["chr10:seq"])
        sub = ds.sel(position=slice(4_990, 5_009), track="h3k4me3")
        np.testing.assert_array_equal(sub.continuous.values, truth["chr10"][4_990:5_010, 1])
        full = truth["chr10"].astype(np.float64)
        np.testing.assert_array_equal(ds.num_datapoints.values, np.isfinite(full).sum(0))
    with xr.open_dataset(path, engine="genomedata", group="/chr2",
                         drop_variables=["seq", "vars"]) as ds:
        assert "seq" not in ds and "vars" not in ds and "means" in ds
    with pytest.raises(ChromosomeNotFoundError, match="did you mean 'chr1'"):
        xr.open_dataset(path, engine="genomedata", group="chr11")


def test_datatree(genome):
    path, truth = genome
    tree = xr.open_datatree(path, engine="genomedata")
    try:
        assert sorted(tree.children) == ORDER
        assert list(tree.track.values) == TRACKS
        assert tree.attrs["genomedata_format_version"] == 1
        for name in ORDER:
            node = tree[name]
            assert node.sizes["position"] == CHROMS[name]
            np.testing.assert_array_equal(node.continuous.values, truth[name])
        groups = GenomedataBackendEntrypoint().open_groups_as_dict(path)
        assert set(groups) == {"/"} | {f"/{c}" for c in ORDER}
    finally:
        tree.close()


def test_archive_without_sequence_has_no_seq(tmp_path):
    path, _ = make_genome(tmp_path / "noseq.genomedata", chroms={"c": 1000}, seq=False)
    with xr.open_dataset(path, engine="genomedata") as ds:
        assert "seq" not in ds and "continuous" in ds


def test_dirty_chromosome_statistics_are_nan_with_warning(tmp_path):
    path, _ = make_genome(tmp_path / "dirty.genomedata", chroms={"c": 1000}, closed=False)
    with pytest.warns(gdxarray.GenomedataDirtyWarning):
        ds = xr.open_dataset(path, engine="genomedata", group="c")
    with pytest.warns(gdxarray.GenomedataDirtyWarning):
        assert np.isnan(ds.means.values).all()
    ds.close()


# --- chunks --------------------------------------------------------------------------------
def _boundaries(chunks) -> set[int]:
    return set(np.cumsum(chunks).tolist())


def _check_boundaries(bounds: set[int], rows=fmt.CONTINUOUS_CHUNK_SHAPE[0]) -> None:
    """Each boundary is a chromosome end, a supercontig edge, an HDF5 chunk boundary
    (supercontig start + k * rows) or lies in a gap (which has no storage to split)."""
    off = 0
    for name in ORDER:
        length = CHROMS[name]
        scs, pos = [], 0
        for g0, g1 in sorted(GAPS.get(name, [])):
            if g0 > pos:
                scs.append((pos, g0))
            pos = max(pos, g1)
        if pos < length:
            scs.append((pos, length))
        for b in (x - off for x in bounds if off <= x <= off + length):
            inside = [(s, e) for s, e in scs if s < b < e]
            assert not inside or (b - inside[0][0]) % rows == 0, (name, b)
        off += length


@pytest.mark.parametrize("chunks", [{}, "auto", {"track": 1}])
def test_dask_chunks_fall_on_storage_chunks_or_supercontig_edges(genome, chunks):
    path, truth = genome
    with dask.config.set({"array.chunk-size": "64KiB"}):  # several chunks even here
        with xr.open_dataset(path, engine="genomedata", chunks=chunks) as ds:
            enc = ds.continuous.encoding["preferred_chunks"]
            assert enc["track"] == 1 and sum(enc["position"]) == ds.sizes["position"]
            pos_chunks = ds.continuous.chunks[0]
            assert len(pos_chunks) > 3
            _check_boundaries(_boundaries(pos_chunks))
            np.testing.assert_array_equal(ds.continuous.values, whole(truth))


def test_chunks_wholly_in_a_gap_do_no_io(genome, monkeypatch):
    """Spy on FileManager.acquire, which every HDF5 access of the read path goes through."""
    from gdxarray.store import FileManager

    path, truth = genome
    touched = []
    real = FileManager.acquire

    def spy(self):
        touched.append(self.path)
        return real(self)

    with xr.open_dataset(path, engine="genomedata", chunks={}) as ds:
        data = ds.continuous.data
        bounds = np.cumsum((0,) + data.chunks[0])
        gap = (12_000, 31_500)  # in chr1, the first chromosome
        in_gap = [i for i in range(len(bounds) - 1)
                  if gap[0] <= bounds[i] and bounds[i + 1] <= gap[1]]
        assert len(in_gap) >= 2
        dask.compute(data.blocks[0, 0], scheduler="sync")  # warm the layout caches
        monkeypatch.setattr(FileManager, "acquire", spy)
        blocks = [data.blocks[i, j] for i in in_gap for j in range(data.numblocks[1])]
        values = dask.compute(*blocks, scheduler="sync")
        assert all(np.isnan(v).all() for v in values)
        assert touched == []
        # a chunk with data does go to the file
        got, = dask.compute(data.blocks[in_gap[-1] + 1, 1], scheduler="sync")
        assert touched
        k = int(bounds[in_gap[-1] + 1])
        np.testing.assert_array_equal(got[:, 0], truth["chr1"][k:k + got.shape[0], 1])


def test_threaded_scheduler_is_correct_under_concurrency(genome):
    path, truth = genome
    full = whole(truth)
    # chunks that cut HDF5 chunks work, and xarray says they are slower
    with pytest.warns(UserWarning, match="separate the stored chunks"):
        ds = xr.open_dataset(path, engine="genomedata", chunks={"position": 7_000})
    with ds:
        with dask.config.set(scheduler="threads", num_workers=8):
            for _ in range(3):
                np.testing.assert_array_equal(ds.continuous.values, full)
                sums = ds.continuous.sum("position").values
        np.testing.assert_allclose(sums, np.nansum(full.astype(np.float64), 0), rtol=1e-5)


def test_pickles_without_open_handles(genome):
    path, truth = genome
    with xr.open_dataset(path, engine="genomedata", chunks={}) as ds:
        assert ds.continuous[:10].values.shape == (10, 3)  # opens handles in this process
        blob = pickle.dumps(ds)
        assert b"tables.file" not in blob and len(blob) < 2_000_000
        back = pickle.loads(blob)
        np.testing.assert_array_equal(back.sel(chrom="chr2").continuous.values, truth["chr2"])
        lazy = pickle.loads(pickle.dumps(xr.open_dataset(path, engine="genomedata")))
        np.testing.assert_array_equal(lazy.sel(chrom="chr10").seq.values, truth["chr10:seq"])
        lazy.close()


# --- bigWig --------------------------------------------------------------------------------
def _write_bigwig(path, chroms: dict[str, int], intervals):
    import pyBigWig

    bw = pyBigWig.open(os.fspath(path), "w")
    bw.addHeader(list(chroms.items()))
    for chrom, start, end, value in intervals:
        bw.addEntries([chrom], [start], ends=[end], values=[float(value)])
    bw.close()
    return path


@pytest.fixture
def bigwigs(tmp_path):
    a = _write_bigwig(tmp_path / "alpha.sample.bw", {"chr1": 1000, "chr2": 500},
                      [("chr1", 10, 20, 1.5), ("chr1", 100, 200, 2.0), ("chr2", 0, 5, -1.0)])
    b = _write_bigwig(tmp_path / "beta.bw", {"chr2": 500, "chr3": 300},
                      [("chr2", 2, 8, 4.0), ("chr3", 290, 300, 7.0)])
    return a, b


def test_bigwig_layouts(bigwigs):
    a, _ = bigwigs
    with xr.open_dataset(a, engine="genomedata") as ds:
        assert list(ds.track.values) == ["alpha"] and "seq" not in ds
        assert ds.sizes["position"] == 1500
        v = ds.continuous.sel(chrom="chr1", pos=slice(9, 20), track="alpha").values
        np.testing.assert_array_equal(v, [np.nan] + [1.5] * 10 + [np.nan])
        assert float(ds.num_datapoints[0]) == 10 + 100 + 5
        assert float(ds.maxs[0]) == 2.0
    with xr.open_dataset(a, engine="genomedata", group="chr2") as ds:
        np.testing.assert_array_equal(ds.continuous.values[:6, 0], [-1.0] * 5 + [np.nan])
        assert float(ds.sums[0]) == -5.0


def test_bigwig_mfdataset_with_different_chromosomes(bigwigs):
    a, b = bigwigs
    # the same layout for every file: no alignment at all
    with xr.open_mfdataset([a, b], engine="genomedata", combine="nested", concat_dim="track",
                           chrom_sizes=[a, b]) as ds:
        assert list(ds.track.values) == ["alpha", "beta"]
        assert list(ds.xindexes["chrom"].layout.names) == ["chr1", "chr2", "chr3"]
        got = ds.continuous.sel(chrom="chr2", pos=slice(0, 8)).values
        np.testing.assert_array_equal(got[:, 0], [-1.0] * 5 + [np.nan] * 4)
        np.testing.assert_array_equal(got[:, 1], [np.nan] * 2 + [4.0] * 6 + [np.nan])
        assert np.isnan(ds.continuous.sel(chrom="chr3", track="alpha").values).all()
        assert np.isnan(ds.continuous.sel(chrom="chr1", track="beta").values).all()
    # no chrom_sizes: xarray aligns the whole-genome indexes (outer join by chromosome)
    with pytest.warns(FutureWarning, match="join"):
        ds = xr.open_mfdataset([a, b], engine="genomedata", combine="nested", concat_dim="track")
    with ds:
        assert list(ds.xindexes["chrom"].layout.names) == ["chr1", "chr2", "chr3"]
        np.testing.assert_array_equal(
            ds.continuous.sel(chrom="chr3", pos=slice(288, 299)).values[:, 1],
            [np.nan, np.nan] + [7.0] * 10)
        assert np.isnan(ds.continuous.sel(chrom="chr3", track="alpha").values).all()
    with xr.open_mfdataset([a, b], engine="genomedata", combine="nested", concat_dim="track",
                           join="outer") as ds:
        assert ds.sizes["position"] == 1800


def test_real_bigwigs_mfdataset(realdata):
    import pyBigWig

    files = [realdata / "pygenometracks" / "bigwig2_X_2.5e6_3.5e6.bw",
             realdata / "pygenometracks" / "bigwig3_X_2.5e6_3.5e6.bw",
             realdata / "genomedata" / "ENCFF324BPE.bigWig"]
    with xr.open_mfdataset(files, engine="genomedata", combine="nested", concat_dim="track",
                           chrom_sizes=files) as ds:
        assert list(ds.track.values) == ["bigwig2_X_2", "bigwig3_X_2", "ENCFF324BPE"]
        layout = ds.xindexes["chrom"].layout
        assert {"X", "2L", "chr1", "chrX"} <= set(layout.names) and layout.size > 3e9
        region = ds.continuous.sel(chrom="X", pos=slice(2_700_000, 2_700_999)).values
        for k, f in enumerate(files[:2]):
            bw = pyBigWig.open(str(f))
            np.testing.assert_array_equal(region[:, k], bw.values("X", 2_700_000, 2_701_000))
        assert np.isnan(region[:, 2]).all()
        bw = pyBigWig.open(str(files[2]))
        start, end, _ = bw.intervals("chr1")[0]
        got = ds.continuous.sel(chrom="chr1", pos=slice(start, start + 99)).values
        np.testing.assert_array_equal(got[:, 2], bw.values("chr1", start, start + 100))
        assert np.isnan(got[:, :2]).all()
        assert np.isnan(ds.continuous.sel(chrom="2L", pos=slice(0, 10), track="bigwig2_X_2")).all()


@pytest.mark.parametrize("name", ["v0.genomedata", "v1.genomedata"])
def test_reference_archives_match_the_python_api(realdata, name):
    """Archives written by the reference tools read the same through both faces."""
    path = realdata / "genomedata" / name
    with xr.open_dataset(path, engine="genomedata") as ds, gdxarray.Genome(path) as genome:
        assert list(ds.track.values) == genome.tracknames_continuous
        for chrom in genome:
            got = ds.sel(chrom=chrom.name).continuous.values
            np.testing.assert_array_equal(got[chrom.start:chrom.end],
                                          chrom[chrom.start:chrom.end])
        np.testing.assert_allclose(ds.means.values, genome.means)


def test_point_selections_and_concatenation_keep_the_index(genome):
    path, truth = genome
    with xr.open_dataset(path, engine="genomedata") as ds:
        pts = ds.isel(position=[5, 3, CHROMS["chr1"] + 1])  # chr1:5, chr1:3, chr10:1
        assert isinstance(pts.xindexes["chrom"], GenomeIndex)
        assert list(pts.pos.values) == [5, 3, 1]
        np.testing.assert_array_equal(pts.sel(chrom="chr1", pos=3).continuous.values,
                                      truth["chr1"][3])
        opts = {"dim": "position", "data_vars": "minimal", "coords": "minimal",
                "compat": "override"}
        both = xr.concat([ds.gd.region("chr2", 10, 20), ds.gd.region("chr1", 0, 5)], **opts)
        assert isinstance(both.xindexes["chrom"], GenomeIndex)
        np.testing.assert_array_equal(both.continuous.values,
                                      np.concatenate([truth["chr2"][10:20], truth["chr1"][0:5]]))
        assert [(s.chrom, s.start, s.end) for s in both.gd.segments()] == [
            ("chr2", 10, 20), ("chr1", 0, 5)]
        np.testing.assert_array_equal(both.sel(chrom=["chr1", "chr2"]).pos.values,
                                      list(range(5)) + list(range(10, 20)))
        joined = xr.concat([ds.gd.region("chr2", 0, 10), ds.gd.region("chr2", 10, 30)], **opts)
        assert joined.xindexes["chrom"].equals(ds.gd.region("chr2", 0, 30).xindexes["chrom"])


def test_chained_lazy_indexing_matches_numpy(genome):
    """Slices of slices (any step, negative too), integers and arrays, composed
    lazily before one read, give what numpy gives on the same values."""
    path, truth = genome
    ds = xr.open_dataset(path, engine="genomedata", group="chr10")
    full, seq = truth["chr10"], truth["chr10:seq"]
    rng = np.random.default_rng(17)

    def random_key(size: int):
        kind = rng.integers(0, 5)
        if kind == 0:
            return int(rng.integers(-size, size))
        if kind == 1:
            return np.sort(rng.choice(size, size=min(size, 5), replace=False))
        a, b = sorted(int(x) for x in rng.integers(-size - 2, size + 2, 2))
        step = int(rng.choice([1, 1, 2, 3, -1, -4]))
        return slice(a, b, step) if step > 0 else slice(b, a, step)

    for _ in range(200):
        var, want = ds["continuous"].variable, full
        for _depth in range(int(rng.integers(1, 4))):
            if var.ndim == 0 or 0 in var.shape:
                break
            # one key per remaining dimension, outer (numpy per-axis) semantics
            keys = [random_key(size) if rng.random() < 0.8 else slice(None) for size in var.shape]
            if sum(isinstance(k, np.ndarray) for k in keys) > 1:
                keys[0] = slice(None)
            var = var.isel(dict(zip(var.dims, keys)))
            for axis in reversed(range(len(keys))):  # apply per axis, last first
                want = want[(slice(None),) * axis + (keys[axis],)]
        np.testing.assert_array_equal(var.values, want)
    sub = ds["seq"].isel(position=slice(40, 4, -3)).isel(position=slice(1, None, 2))
    np.testing.assert_array_equal(sub.values, seq[40:4:-3][1::2])
    np.testing.assert_array_equal(
        ds["continuous"].isel(position=slice(100, 200)).isel(position=-1, track=0).values,
        full[199, 0])
