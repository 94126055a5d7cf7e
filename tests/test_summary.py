"""Fused reductions (Chromosome.summary / Genome.summary) and close-data's zoom levels.

Every number is checked against numpy float64 over the values ``chrom[a:b]``
returns (finite values only, as close-data's statistics), the binned ones also
against pyBigWig's exact ``stats``; zoomed answers against unzoomed ones.
"""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pytest
import tables

from gdxarray import Genome, _chunks, _kernels, _zoom
from gdxarray import format as fmt
from gdxarray.errors import GenomedataDirtyWarning, OverlapWarning
from gdxarray.stats import bin_edges
from gdxarray.testing import make_genome
from gdxarray.writer import close_data, erase_data, hardmask_data, write_arrays

LONG = 1_234_567  # > ZOOM_MIN_LENGTH: gets zoom levels
GAPS = {"chr1": [(30_000, 245_500), (700_001, 700_003)]}


def _build(path, layout="file"):
    path, truth = make_genome(path, chroms={"chr1": LONG, "chr2": 40_001}, gaps=GAPS,
                              tracks=["a", "b"], closed=False, nan_fraction=0.4, layout=layout,
                              seq=False)
    close_data(path)
    return path, truth


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("summary") / "g.genomedata")


@pytest.fixture
def copy(archive, tmp_path):
    path, truth = archive
    dst = tmp_path / "copy.genomedata"
    shutil.copy(path, dst)
    return dst, {k: v.copy() for k, v in truth.items()}


def expected(values: np.ndarray, edges: np.ndarray, start: int) -> dict[str, np.ndarray]:
    """numpy float64 per bin over a (rows, tracks) block starting at *start*."""
    out = {k: [] for k in ("count", "sum", "sum_squares", "min", "max")}
    for a, b in zip(edges[:-1], edges[1:]):
        v = values[a - start:b - start].astype(np.float64)
        finite = np.isfinite(v)
        z = np.where(finite, v, 0.0)
        out["count"].append(finite.sum(0))
        out["sum"].append(z.sum(0))
        out["sum_squares"].append((z * z).sum(0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out["min"].append(np.nanmin(np.where(finite, v, np.nan), axis=0))
            out["max"].append(np.nanmax(np.where(finite, v, np.nan), axis=0))
    return {k: np.array(v) for k, v in out.items()}


def assert_summary(s, exp, binned=True):
    for stat in ("count", "sum", "sum_squares", "min", "max"):
        got = s[stat] if binned else s[stat][np.newaxis]
        if stat in ("count", "min", "max"):
            np.testing.assert_array_equal(got, exp[stat], err_msg=stat)
        else:
            np.testing.assert_allclose(got, exp[stat], rtol=1e-12, atol=1e-9, err_msg=stat)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(exp["count"] > 0, exp["sum"] / exp["count"], np.nan)
    np.testing.assert_allclose(s.mean if binned else s.mean[np.newaxis], mean, rtol=1e-12)


@pytest.fixture(params=["kernel", "numpy"])
def kernel(request, monkeypatch):
    """Both the C kernel and the numpy fallback."""
    if request.param == "kernel":
        if _kernels.KERNEL is None:
            pytest.skip("the C kernel (gdxarray/_reduce.c) is not built")
    else:
        monkeypatch.setattr(_kernels, "KERNEL", None)
    return request.param


@pytest.mark.parametrize("a, b", [(0, None), (1_234, 99_999), (5, 7), (29_990, 245_510),
                                  (699_995, 700_010), (LONG - 3, LONG)])
def test_range_matches_numpy(archive, kernel, a, b):
    path, _ = archive
    with Genome(path) as g:
        chrom = g["chr1"]
        b = chrom.end if b is None else b
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = chrom[a:b]
        s = chrom.summary(a, b)
        assert s.tracks == ["a", "b"] and (s.chrom, s.start, s.end) == ("chr1", a, b)
        assert_summary(s, expected(values, np.array([a, b]), a), binned=False)


@pytest.mark.parametrize("kw", [dict(bins=7), dict(bins=1000), dict(bin_size=100_000),
                                dict(bin_size=10_000, start=5_000, end=1_005_001),
                                dict(bins=3, start=12_345, end=1_111_111, tracks=["b", "a", "b"])])
def test_bins_match_numpy(archive, kernel, kw):
    path, _ = archive
    with Genome(path) as g:
        chrom = g["chr1"]
        start, end = kw.get("start", 0), kw.get("end", chrom.end)
        s = chrom.summary(**kw)
        edges = bin_edges(start, end, kw.get("bins"), kw.get("bin_size"))
        np.testing.assert_array_equal(s.start, edges[:-1])
        np.testing.assert_array_equal(s.end, edges[1:])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = chrom[start:end, kw.get("tracks", slice(None))]
        assert_summary(s, expected(values, edges, start))


def test_kernel_and_fallback_agree(archive, monkeypatch):
    if _kernels.KERNEL is None:
        pytest.skip("the C kernel is not built")
    path, _ = archive
    with Genome(path) as g:
        fast = g["chr1"].summary(bins=50)._acc
        monkeypatch.setattr(_kernels, "KERNEL", None)
        slow = g["chr1"].summary(bins=50)._acc
    np.testing.assert_array_equal(fast[..., [0, 3, 4]], slow[..., [0, 3, 4]])
    np.testing.assert_allclose(fast[..., 1:3], slow[..., 1:3], rtol=1e-13)


def test_derived_stats_and_xarray(archive):
    path, truth = archive
    with Genome(path) as g:
        s = g["chr2"].summary(stats=("mean", "std", "var", "max"), bins=4)
    v = truth["chr2"].astype(np.float64)
    assert list(s.keys()) == ["mean", "std", "var", "max"]
    for j, (a, b) in enumerate(zip(s.start, s.end)):
        np.testing.assert_allclose(s.std[j], np.nanstd(v[a:b], axis=0), rtol=1e-9)
    ds = s.to_xarray()
    assert set(ds.data_vars) == {"mean", "std", "var", "max"}
    assert ds["mean"].dims == ("bin", "track") and list(ds.track.values) == ["a", "b"]
    np.testing.assert_array_equal(ds.start.values, s.start)
    with Genome(path) as g, pytest.raises(ValueError, match="median"):
        g["chr2"].summary(stats=("median",))


def test_empty_bins_are_nan(archive):
    path, _ = archive
    with Genome(path) as g:
        s = g["chr1"].summary(100_000, 200_000, bins=2)  # inside the long gap
    assert (s.count == 0).all() and (s.sum == 0).all()
    assert np.isnan(s.min).all() and np.isnan(s.mean).all()


def test_genome_summary_equals_stored_statistics(archive):
    path, truth = archive
    with Genome(path) as g:
        s = g.summary()
        np.testing.assert_array_equal(s.count, g.num_datapoints)
        np.testing.assert_allclose(s.sum, g.sums, rtol=1e-12)
        np.testing.assert_allclose(s.sum_squares, g.sums_squares, rtol=1e-12)
        np.testing.assert_array_equal(s.min, g.mins)
        np.testing.assert_array_equal(s.max, g.maxs)
        binned = g.summary(bins=3, tracks="b")
    assert list(binned.chrom) == ["chr1"] * 3 + ["chr2"] * 3
    np.testing.assert_allclose(binned.sum.sum(0), s.sum[1:], rtol=1e-12)


def test_bins_like_pybigwig_exact(archive, tmp_path):
    pyBigWig = pytest.importorskip("pyBigWig")
    _, truth = archive
    values = truth["chr2"][:, 0]
    bw_path = tmp_path / "t.bw"
    bw = pyBigWig.open(str(bw_path), "w")
    bw.addHeader([("chr2", values.size)])
    keep = np.flatnonzero(np.isfinite(values))
    bw.addEntries("chr2", keep.tolist(), values=values[keep].astype(np.float64).tolist(), span=1)
    bw.close()
    bw = pyBigWig.open(str(bw_path))
    with Genome(bw_path) as g:
        for n, (a, b) in [(7, (0, values.size)), (1000, (123, 39_000)), (3, (5, 11))]:
            ours = g["chr2"].summary(a, b, bins=n)
            for stat, kind in (("mean", "mean"), ("max", "max"), ("min", "min"),
                               ("count", "coverage"), ("std", "std")):
                theirs = np.array(bw.stats("chr2", a, b, type=kind, nBins=n, exact=True),
                                  dtype=np.float64)
                got = ours[stat][:, 0].astype(np.float64)
                if stat == "count":
                    got = got / (ours.end - ours.start)  # pyBigWig: covered fraction,
                    theirs = np.nan_to_num(theirs)        # NaN where nothing is covered
                if stat == "std":
                    # pyBigWig's is the sample deviation (n - 1)
                    n_ = ours.count[:, 0]
                    with np.errstate(invalid="ignore", divide="ignore"):
                        got = np.where(n_ > 1, got * np.sqrt(n_ / np.maximum(n_ - 1, 1)), np.nan)
                    theirs = np.where(n_ > 1, theirs, np.nan)
                np.testing.assert_allclose(got, theirs, rtol=1e-5, atol=1e-6, equal_nan=True,
                                           err_msg=stat)
    bw.close()


# -- zoom levels ----------------------------------------------------------------------
def _zoom_nodes(path, chrom="chr1"):
    with tables.open_file(str(path)) as h5:
        return sorted(n._v_name for n in h5.get_node(f"/{chrom}/supercontig_0")._f_iter_nodes("Leaf")
                      if n._v_name.startswith(fmt.ZOOM_PREFIX))


def test_close_data_writes_zoom_levels(archive):
    path, truth = archive
    assert _zoom_nodes(path) == [fmt.zoom_node_name(10_000), fmt.zoom_node_name(10_000, "range")]
    assert _zoom_nodes(path, "chr2") == []  # short: no zoom
    with tables.open_file(str(path)) as h5:
        cells = h5.get_node(f"/chr1/supercontig_0/{fmt.zoom_node_name(10_000)}")[:]
        ranges = h5.get_node(f"/chr1/supercontig_0/{fmt.zoom_node_name(10_000, 'range')}")[:]
    width = 10_000
    assert cells.shape == (3, 2, -(-LONG // width)) and cells.dtype == np.float64
    assert ranges.shape == (2, 2, -(-LONG // width)) and ranges.dtype == np.float32
    exp = expected(truth["chr1"], np.append(np.arange(0, LONG, width), LONG), 0)
    np.testing.assert_array_equal(cells[0].T, exp["count"])
    np.testing.assert_allclose(cells[1].T, exp["sum"], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(cells[2].T, exp["sum_squares"], rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(np.where(cells[0] > 0, ranges[0], np.nan).T, exp["min"])
    np.testing.assert_array_equal(np.where(cells[0] > 0, ranges[1], np.nan).T, exp["max"])
    with Genome(path) as g:  # the coarser levels, summed when read
        levels = dict(_zoom.pyramid(g._source.archive, "chr1").levels)
    coarse = levels[1_000_000][:, :, :-1]
    exp = expected(truth["chr1"], np.array([0, 1_000_000, LONG]), 0)
    np.testing.assert_array_equal(coarse[0].T, exp["count"])
    np.testing.assert_allclose(coarse[1].T, exp["sum"], rtol=1e-12)
    np.testing.assert_array_equal(coarse[3].T, exp["min"])
    np.testing.assert_array_equal(coarse[4].T, exp["max"])
    with Genome(path) as g:
        assert g._source.archive.zoom_widths("chr1") == list(fmt.ZOOM_WIDTHS)
    with tables.open_file(str(path)) as h5:
        zoom = sum(n.size_on_disk for n in h5.walk_nodes("/chr1", "Leaf") if "zoom" in n._v_name)
        data = sum(n.size_on_disk for n in h5.walk_nodes("/chr1", "Leaf")
                   if n._v_name == fmt.NODE_CONTINUOUS)
    assert 0 < zoom < 0.01 * data  # the cost: a small fraction of the data's


class _Decoded:
    """Counts the rows the fused kernel decodes."""

    def __init__(self, monkeypatch):
        self.rows = 0
        real = _chunks.reduce_column

        def counting(leaf, plan, col, spans, *args):
            self.rows += sum(b - a for a, b in spans)
            return real(leaf, plan, col, spans, *args)

        monkeypatch.setattr(_chunks, "reduce_column", counting)


@pytest.mark.parametrize("kw", [dict(bins=1000), dict(bins=10), dict(bin_size=100_000),
                                dict(bins=7, start=3, end=1_200_001, tracks=["b"])])
def test_zoom_equals_no_zoom_and_decodes_only_edges(archive, monkeypatch, kw):
    path, _ = archive
    decoded = _Decoded(monkeypatch)
    with Genome(path) as g:
        chrom = g["chr1"]
        start, end = kw.get("start", 0), kw.get("end", chrom.end)
        zoomed = chrom.summary(**kw)
        zoom_rows = decoded.rows
        edges = bin_edges(start, end, kw.get("bins"), kw.get("bin_size"))
        cols = chrom._track_columns(kw.get("tracks", slice(None)))[0]
        plain = g._source.summarize("chr1", start, end, cols, 2, edges, zoom=False)
    np.testing.assert_array_equal(zoomed._acc[..., [0, 3, 4]], plain[..., [0, 3, 4]])
    np.testing.assert_allclose(zoomed._acc[..., 1:3], plain[..., 1:3], rtol=1e-12, atol=1e-9)
    nbins = edges.size - 1
    if end - start >= 2 * nbins * 10_000:  # wide bins: only each bin's edge pieces decoded
        assert zoom_rows <= 2 * (nbins + 1) * 10_000 * cols.size
        assert zoom_rows < 0.5 * (end - start) * cols.size


def _assert_invalid_then_rebuilt(path, truth_chr1):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GenomedataDirtyWarning)
        warnings.simplefilter("ignore", OverlapWarning)
        with Genome(path) as g:
            assert g._source.archive.zoom_widths("chr1") == []
            values = g["chr1"][0:LONG]
            s = g["chr1"].summary(bins=10)
    edges = bin_edges(0, LONG, 10)
    exp = expected(values, edges, 0)
    assert_summary(s, exp)
    if truth_chr1 is not None:
        np.testing.assert_array_equal(values, truth_chr1)
    close_data(path)
    with Genome(path) as g:
        assert g._source.archive.zoom_widths("chr1") == list(fmt.ZOOM_WIDTHS)
        assert_summary(g["chr1"].summary(bins=10), exp)


def test_load_invalidates_zoom(copy):
    path, truth = copy
    new = np.full(50_000, 7.5, dtype=np.float32)
    write_arrays(path, "a", [("chr1", 500_000, new)])
    truth["chr1"][500_000:550_000, 0] = new
    _assert_invalid_then_rebuilt(path, truth["chr1"])


def test_erase_invalidates_zoom(copy):
    path, truth = copy
    erase_data(path, "b")
    truth["chr1"][:, 1] = np.nan
    _assert_invalid_then_rebuilt(path, truth["chr1"])


def test_hardmask_invalidates_zoom(copy, tmp_path):
    path, truth = copy
    mask = tmp_path / "mask.bed"
    mask.write_text("chr1\t600000\t650000\n")
    hardmask_data(path, mask, keep_archive_open=True)
    truth["chr1"][600_000:650_000] = np.nan
    _assert_invalid_then_rebuilt(path, truth["chr1"])


def test_stale_stamp_is_not_trusted(copy):
    """Data changed and the dirty flag cleared by another tool (new statistics, old zoom)."""
    path, truth = copy
    with tables.open_file(str(path), "r+") as h5:
        node = h5.get_node("/chr1/supercontig_0/continuous")
        node[0:10, 0] = np.float32(1000.0)
        attrs = h5.get_node("/chr1")._v_attrs
        attrs["sums"] = attrs["sums"] + 1.0  # what a reference close-data would leave: new sums
    with Genome(path) as g:
        assert g._source.archive.zoom_widths("chr1") == []
        s = g["chr1"].summary(bins=4)
    assert s.max[0, 0] == 1000.0
    close_data(path)  # a clean chromosome whose zoom is stale is rebuilt
    with Genome(path) as g:
        assert g._source.archive.zoom_widths("chr1") == list(fmt.ZOOM_WIDTHS)
        assert g["chr1"].summary(bins=4).max[0, 0] == 1000.0


def test_writable_genome_summary_reads_through_pytables(archive):
    path, _ = archive
    with Genome(path) as g:
        ro = g["chr1"].summary(bins=5)._acc
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GenomedataDirtyWarning)
        tmp = path.parent / "rw.genomedata"
        shutil.copy(path, tmp)
        with Genome(tmp, "r+") as g:
            rw = g["chr1"].summary(bins=5)._acc
    np.testing.assert_array_equal(ro[..., [0, 3, 4]], rw[..., [0, 3, 4]])
    np.testing.assert_allclose(ro[..., 1:3], rw[..., 1:3], rtol=1e-12)


@pytest.mark.parametrize("layout", ["file", "dir"])
def test_reference_reads_zoomed_archives(tmp_path, reference, layout):
    path, truth = _build(tmp_path / "z.genomedata", layout=layout)
    if layout == "dir":
        with tables.open_file(str(path / "chr1.genomedata")) as h5:
            assert fmt.zoom_node_name(10_000, "range") in h5.root.supercontig_0
    else:
        assert fmt.zoom_node_name(10_000) in _zoom_nodes(path)
    snap = reference.snapshot(path)
    assert sorted(k for k in snap if k.startswith("chr")) == ["chr1", "chr2"]
    for name in ("chr1", "chr2"):
        np.testing.assert_array_equal(snap[name]["data"], truth[name])
        assert snap[name]["supercontigs"] == [(0, 30_000), (245_500, 700_001), (700_003, LONG)] \
            if name == "chr1" else [(0, 40_001)]
        np.testing.assert_array_equal(snap[name]["num_datapoints"],
                                      np.isfinite(truth[name]).sum(0))


def test_reference_load_data_invalidates_zoom(copy, reference, tmp_path):
    """The reference's own loader into a zoomed archive: it works, and the zoom goes stale."""
    path, truth = copy
    bed = tmp_path / "t.bedGraph"
    bed.write_text("chr1\t800000\t800100\t42.5\n")
    reference.load_data(path, "a", bed)
    # the reference's loader leaves the dirty flag alone (its statistics go stale
    # too); its close-data recomputes them, which the zoom's stamp then tells
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from genomedata._close_data import close_data as reference_close

        reference_close(str(path))
    truth["chr1"][800_000:800_100, 0] = 42.5
    _assert_invalid_then_rebuilt(path, truth["chr1"])


def test_close_data_without_zoom(copy):
    path, truth = copy
    erase_data(path, "b")
    close_data(path, zoom=False)
    assert _zoom_nodes(path) == []
    with Genome(path) as g:
        assert g._source.archive.zoom_widths("chr1") == []
        s = g["chr1"].summary(bins=3, tracks="a")
    edges = bin_edges(0, LONG, 3)
    assert_summary(s, expected(truth["chr1"][:, :1], edges, 0))


@pytest.mark.parametrize("how", ["mean", "sum", "min", "max", "std", "count"])
def test_gd_bin_reaches_the_archive(archive, how, monkeypatch):
    """``.gd.bin`` of the stored signal reduces straight from the archive (zoom levels
    and the fused kernel), giving what binning the loaded values gives."""
    xr = pytest.importorskip("xarray")
    path, _ = archive
    with xr.open_dataset(path, engine="genomedata") as ds:
        region = ds.continuous.gd.region("chr1", 5_000, 1_205_000)
        decoded = _Decoded(monkeypatch)
        lazy = region.gd.bin(100_000, how=how)
        assert decoded.rows < 0.1 * region.size  # the zoom answered most of it
        loaded = region.load().gd.bin(100_000, how=how)  # numpy over the values
        one = ds.continuous.sel(track="b").gd.bin(250_000, how=how)
        one_loaded = ds.continuous.sel(track="b").load().gd.bin(250_000, how=how)
    with xr.open_dataset(path, engine="genomedata", chunks={}) as ds:  # preferred chunks
        region = ds.continuous.gd.region("chr1", 5_000, 1_205_000)
        decoded.rows = 0
        chunked = region.gd.bin(100_000, how=how)
        assert chunked.chunks is not None  # still lazy: one task per few Mbp of bins
        chunked = chunked.compute(scheduler="threads")
        assert decoded.rows < 0.1 * region.size  # the tasks took the archive's route
        decoded.rows = 0
        changed = (region * 1).gd.bin(100_000, how=how).compute()  # values changed: blocks
        assert decoded.rows == 0  # read as blocks, each reduced in one kernel pass
        picked = ds.continuous.sel(track=["b", "a"]).gd.bin(250_000, how=how).compute()
        picked_loaded = ds.continuous.sel(track=["b", "a"]).load().gd.bin(250_000, how=how)
    for a, b in ((lazy, loaded), (chunked, loaded), (changed, loaded), (one, one_loaded),
                 (picked, picked_loaded)):
        assert a.dims == b.dims and a.shape == b.shape
        np.testing.assert_array_equal(a.start, b.start)
        if how in ("count", "min", "max"):
            np.testing.assert_array_equal(a.values, b.values)
        else:
            np.testing.assert_allclose(a.values, b.values, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("span", [(3_100, 3_200), (0, 20_000)], ids=["short", "long"])
def test_damaged_chunk_is_a_clear_error(tmp_path, span):
    from gdxarray import CorruptChunkError

    path, _ = make_genome(tmp_path / "g.genomedata", chroms={"chr1": 20_000}, tracks=["a"],
                          chunk_rows=1_000, seed=1, nan_fraction=0.0)
    with tables.open_file(str(path)) as h5:
        info = h5.get_node("/chr1/supercontig_0/continuous").chunk_info((3_000, 0))
    with open(path, "r+b") as f:
        f.seek(info.offset + info.size // 2)
        chunk = f.read(16)
        f.seek(info.offset + info.size // 2)
        f.write(bytes(b ^ 0xFF for b in chunk))
    with Genome(path) as g:
        assert g["chr1"].summary(0, 2_000).count[0] == 2_000  # others still reduce
        with pytest.raises(CorruptChunkError, match=f"stored at byte {info.offset:,} is corrupt"):
            g["chr1"].summary(*span)


def test_directory_layout_zoom(tmp_path):
    path, truth = _build(tmp_path / "d.genomedata", layout="dir")
    with Genome(path) as g:
        assert g._source.archive.zoom_widths("chr1") == list(fmt.ZOOM_WIDTHS)
        s = g["chr1"].summary(bins=9)
        total = g.summary()
    assert_summary(s, expected(truth["chr1"], bin_edges(0, LONG, 9), 0))
    np.testing.assert_array_equal(total.count, np.isfinite(truth["chr1"]).sum(0)
                                  + np.isfinite(truth["chr2"]).sum(0))


def test_combine_tracks_leaves_stale_zoom_unused(copy, monkeypatch):
    """combine-tracks appends a track with its statistics to closed chromosomes: the
    zoom cells no longer cover every track, so they are ignored (not rescanned),
    and summaries of every track stay right."""
    from gdxarray.combine import combine_tracks

    path, truth = copy
    rescans = []
    from gdxarray.writer import close as close_module

    real = close_module.close_chromosome
    monkeypatch.setattr(close_module, "close_chromosome",
                        lambda archive, layout, **kw: rescans.append(layout.name)
                        or real(archive, layout, **kw))
    combine_tracks(path, "ab", ["a", "b"], how="sum")
    assert rescans == []  # nothing rescanned because of the zoom levels
    with Genome(path) as g:
        assert g.tracknames_continuous == ["a", "b", "ab"]
        assert g._source.archive.zoom_widths("chr1") == []
        values = g["chr1"][700_003:LONG]
        s = g["chr1"].summary(700_003, LONG, bins=4)
    assert_summary(s, expected(values, bin_edges(700_003, LONG, 4), 700_003))
