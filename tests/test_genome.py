"""The read API (Genome / Chromosome / Supercontig) against known values and the reference."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import tables
import pytest

from gdxarray import (
    ChromosomeDirtyError, ChromosomeNotFoundError, Genome, GenomedataDirtyWarning, GenomedataError,
    NotAnArchiveError, OverlapWarning, ReadOnlyError, TrackNotFoundError, UnsupportedError,
)
from gdxarray.testing import make_genome

genomedata = pytest.importorskip("genomedata", reason="reference genomedata package not installed")

CHROMS = {"chr1": 45_000, "chr10": 12_345, "chr2": 30_000}
GAPS = {"chr1": [(10_000, 12_500), (30_000, 30_001)], "chr2": [(0, 1_000), (29_000, 30_000)]}
TRACKS = ["alpha", "beta", "gamma"]


@pytest.fixture(params=["file", "dir"], ids=["file", "dir"], scope="module")
def archive(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(request.param)
    path, truth = make_genome(tmp / "g.genomedata", chroms=CHROMS, gaps=GAPS, tracks=TRACKS,
                              layout=request.param, seed=3)
    return path, truth


def quiet(func, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OverlapWarning)
        warnings.simplefilter("ignore", _reference_overlap_warning())
        return func(*args)


def _reference_overlap_warning():
    try:
        from genomedata._util import OverlapWarning as theirs
    except ImportError:
        return OverlapWarning
    return theirs


def test_chromosomes_sorted_and_metadata(archive):
    path, _ = archive
    with Genome(path) as genome:
        assert [c.name for c in genome] == sorted(CHROMS)
        assert genome.tracknames_continuous == TRACKS
        assert genome.num_tracks_continuous == 3
        assert genome.index_continuous("gamma") == 2
        assert genome.format_version == 1
        assert "chr10" in genome and "chrZ" not in genome
        chrom = genome["chr2"]
        assert (chrom.start, chrom.end, chrom.name, str(chrom)) == (0, 30_000, "chr2", "chr2")
        assert [(s.start, s.end) for s in chrom] == [(1_000, 29_000)]
        assert [s.name for s in chrom.supercontigs[0:100]] == []
        assert [(s.start, s.end) for s in genome["chr1"].supercontigs[5_000:12_600]] == [
            (0, 10_000), (12_500, 30_000)]


@pytest.mark.parametrize("key, expect", [
    (np.s_[100:200], lambda t: t[100:200]),
    (np.s_[9_990:12_510], lambda t: t[9_990:12_510]),
    (np.s_[44_990:45_100], lambda t: np.vstack([t[44_990:45_000], np.full((100, 3), np.nan)])),
    (np.s_[500:600, "beta"], lambda t: t[500:600, 1]),
    (np.s_[500:600, 2], lambda t: t[500:600, 2]),
    (np.s_[500:600, -1], lambda t: t[500:600, 2]),
    (np.s_[500:600, 0:2], lambda t: t[500:600, 0:2]),
    (np.s_[500:600, ["gamma", "alpha"]], lambda t: t[500:600][:, [2, 0]]),
    (np.s_[500:600, [2, 2]], lambda t: t[500:600][:, [2, 2]]),
    (np.s_[500:600, np.array([1, 0])], lambda t: t[500:600][:, [1, 0]]),
    (np.s_[777], lambda t: t[777]),
    (np.s_[777, "alpha"], lambda t: t[777, 0]),
    (np.s_[np.int64(777), "alpha"], lambda t: t[777, 0]),
    (np.s_[11_000:11_050], lambda t: t[11_000:11_050]),
])
def test_chromosome_getitem_matches_truth(archive, key, expect):
    path, truth = archive
    with Genome(path) as genome:
        got = quiet(genome["chr1"].__getitem__, key)
        want = expect(truth["chr1"])
        assert got.dtype == np.float32
        assert got.shape == np.shape(want)
        np.testing.assert_array_equal(got, want)


def test_reads_equal_reference_package(archive):
    """The same keys through genomedata.Genome and gdxarray.Genome give the same arrays."""
    path, _ = archive
    rng = np.random.default_rng(0)
    with Genome(path) as ours, genomedata.Genome(str(path)) as ref:
        for name in CHROMS:
            for _ in range(20):
                a = int(rng.integers(0, CHROMS[name]))
                b = int(min(CHROMS[name], a + rng.integers(1, 5_000)))
                for key in [np.s_[a:b], np.s_[a:b, "beta"], np.s_[a:b, ["gamma", "alpha"]], np.s_[a]]:
                    np.testing.assert_array_equal(quiet(ours[name].__getitem__, key),
                                                  quiet(ref[name].__getitem__, key))
                np.testing.assert_array_equal(quiet(ours[name].seq.__getitem__, np.s_[a:b]),
                                              quiet(ref[name].seq.__getitem__, np.s_[a:b]))


def test_overlap_warnings_as_reference(archive):
    path, _ = archive
    with Genome(path) as genome:
        chrom = genome["chr1"]
        with pytest.warns(OverlapWarning, match="does not overlap any supercontig"):
            assert np.isnan(chrom[10_100:10_200]).all()
        with pytest.warns(OverlapWarning, match="spans more than one supercontig"):
            chrom[9_000:13_000]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            chrom[44_000:46_000]  # merely running past the end does not warn
        with pytest.warns(OverlapWarning, match="filling with 'N'"):
            assert chrom.seq[10_100:10_105].tobytes() == b"NNNNN"


def test_sequence(archive):
    path, truth = archive
    with Genome(path) as genome:
        chrom = genome["chr2"]
        np.testing.assert_array_equal(quiet(chrom.seq.__getitem__, np.s_[0:30_000]), truth["chr2:seq"])
        assert chrom.seq[5_000] == truth["chr2:seq"][5_000]
        assert chrom.seq[5:5].size == 0


def test_empty_and_bad_keys(archive):
    path, _ = archive
    with Genome(path) as genome:
        chrom = genome["chr1"]
        assert chrom[10:10].size == 0
        with pytest.raises(IndexError):
            chrom[20:10]
        with pytest.raises(NotImplementedError):
            chrom[-5:10]
        with pytest.raises(NotImplementedError):
            chrom[0:10:2]
        with pytest.raises(TrackNotFoundError, match="Could not find continuous track: betta.*beta"):
            chrom[0:10, "betta"]
        with pytest.raises(KeyError):
            genome.index_continuous("nope")
        with pytest.raises(ChromosomeNotFoundError, match="Could not find chromosome: chrZ"):
            genome["chrZ"]
        with pytest.raises(KeyError):
            genome["chrZ"]


def test_statistics_genome_and_chromosome(archive):
    path, truth = archive
    with Genome(path) as genome, genomedata.Genome(str(path)) as ref:
        allv = np.vstack([truth[c] for c in CHROMS]).astype(np.float64)
        np.testing.assert_allclose(genome.means, np.nanmean(allv, axis=0), rtol=1e-9)
        np.testing.assert_allclose(genome.vars, np.nanvar(allv, axis=0), rtol=1e-6)
        np.testing.assert_array_equal(genome.num_datapoints, np.isfinite(allv).sum(0))
        np.testing.assert_array_equal(genome.mins, np.nanmin(allv, 0))
        np.testing.assert_array_equal(genome.maxs, ref.maxs)
        np.testing.assert_array_equal(genome["chr10"].sums, ref["chr10"].sums)


def test_iteration_helpers(archive):
    path, truth = archive
    with Genome(path) as genome:
        chrom = genome["chr1"]
        pairs = list(chrom.itercontinuous())
        assert [sc.start for sc, _ in pairs] == [0, 12_500, 30_001]
        sc, cont = pairs[1]
        np.testing.assert_array_equal(cont[0:10, 1], truth["chr1"][12_500:12_510, 1])
        assert sc.project(12_600) == 100 and sc.project(0, bound=True) == 0
        assert repr(sc) == "<Supercontig 'supercontig_1', [12500:30000]>"
        total = sum(np.nansum(block[:, 0], dtype=np.float64) for _, block in chrom.iter_blocks(block_rows=4_096))
        assert total == pytest.approx(np.nansum(truth["chr1"][:, 0], dtype=np.float64), rel=1e-9)


def test_lifecycle_and_pickle(archive):
    path, _ = archive
    genome = Genome(path)
    with genome:
        with genome:  # nested with is reference-counted
            pass
        assert genome.isopen
        chrom = genome["chr1"]
    assert not genome.isopen
    genome.close()  # twice is fine
    with pytest.raises(GenomedataError, match="closed"):
        genome["chr1"]
    with pytest.raises(GenomedataError, match="closed"):
        chrom[0:10]
    assert "closed" in str(genome)
    from gdxarray.store import Archive

    arch = Archive(path)
    arch.chrom("chr1")
    clone = pickle.loads(pickle.dumps(arch))
    try:
        assert clone.chrom("chr1").sc_starts.tolist() == [0, 12_500, 30_001]
    finally:
        arch.close()
        clone.close()


def test_not_an_archive(tmp_path):
    with pytest.raises(NotAnArchiveError, match="Could not find Genomedata archive"):
        Genome(tmp_path / "missing.genomedata")
    junk = tmp_path / "junk.genomedata"
    junk.write_text("chr1\t0\t10\t1.0\n")
    with pytest.raises(NotAnArchiveError, match="not a Genomedata archive"):
        Genome(junk)
    with pytest.raises(OSError):
        Genome(junk)
    empty = tmp_path / "empty"
    empty.mkdir()
    with Genome(empty) as genome:
        assert list(genome) == [] and genome.format_version is None


def test_dirty_archive_reads_but_statistics_refuse(tmp_path):
    path, truth = make_genome(tmp_path / "d.genomedata", chroms={"chr1": 5_000}, closed=False)
    with pytest.warns(GenomedataDirtyWarning):
        with Genome(path) as genome:
            np.testing.assert_array_equal(genome["chr1"][0:100], truth["chr1"][0:100])
            # never computed: nothing to return
            with pytest.raises(ChromosomeDirtyError, match="genomedata-close-data"):
                genome.mins
            with pytest.raises(genome["chr1"].ChromosomeDirtyError):
                genome["chr1"].sums


@pytest.mark.filterwarnings("ignore:closing chromosome:gdxarray.errors.GenomedataDirtyWarning")
def test_stale_statistics_warn_and_return_the_stored_values(tmp_path):
    # as the reference: scripts open r+, add or change a track, then read statistics
    path, truth = make_genome(tmp_path / "s.genomedata", chroms={"chr1": 5_000, "chr2": 3_000})
    finite = {c: np.isfinite(truth[c]) for c in ("chr1", "chr2")}
    expect_n = sum(f.sum(axis=0) for f in finite.values())
    with Genome(path, "r+") as genome:
        genome["chr1"][0:10, "signal"] = 1.0
        with pytest.warns(GenomedataDirtyWarning, match="stale"):
            n = genome.num_datapoints
        np.testing.assert_array_equal(n, expect_n)  # the stored (stale) counts
    with pytest.warns(GenomedataDirtyWarning):
        with Genome(path) as genome:
            assert genome["chr1"].dirty
            np.testing.assert_array_equal(genome.num_datapoints, expect_n)


def test_repr_is_the_references_and_str_summarises(tmp_path):
    path, _ = make_genome(tmp_path / "r.genomedata", chroms={"chr1": 5_000})
    ref = genomedata.Genome(str(path))
    try:
        for args, kwargs in (((), {}), (("r",), {}), ((), {"mode": "r"})):
            with Genome(str(path), *args, **kwargs) as genome, \
                    genomedata.Genome(str(path), *args, **kwargs) as theirs:
                assert repr(genome) == repr(theirs)
                assert repr(genome["chr1"]).replace(str(path), "P") == \
                    repr(theirs["chr1"]).replace(str(path), "P")
                assert "1 chromosomes" in str(genome) and "1 tracks" in str(genome)
    finally:
        ref.close()


def test_a_closed_genomes_chromosomes_refuse_use(tmp_path):
    path, _ = make_genome(tmp_path / "c.genomedata", chroms={"chr1": 5_000})
    genome = Genome(path)
    chrom = genome["chr1"]
    genome.close()
    for use in (lambda: list(chrom), lambda: chrom[0:10], lambda: chrom.seq[0:10],
                lambda: chrom.mins, lambda: list(chrom.itercontinuous()),
                lambda: chrom.supercontigs[0:10], lambda: chrom.attrs):
        with pytest.raises(GenomedataError, match="closed"):
            use()


@pytest.mark.filterwarnings("ignore:closing chromosome:gdxarray.errors.GenomedataDirtyWarning")
def test_write_modes(tmp_path):
    path, truth = make_genome(tmp_path / "w.genomedata", chroms={"chr1": 25_000},
                              gaps={"chr1": [(10_000, 12_000)]}, tracks=["a", "b"])
    with Genome(path) as genome:
        with pytest.raises(ReadOnlyError):
            genome["chr1"][0:10, "a"] = 1.0
    with Genome(path, "r+") as genome:
        chrom = genome["chr1"]
        chrom[100:110, "b"] = np.arange(10)
        chrom[200:202] = 7.0
        with pytest.raises(ValueError, match="nothing written"):
            chrom[9_990:12_010, "a"] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GenomedataDirtyWarning)
        with Genome(path) as genome:
            chrom = genome["chr1"]
            assert chrom.dirty
            np.testing.assert_array_equal(chrom[100:110, "b"], np.arange(10, dtype=np.float32))
            np.testing.assert_array_equal(chrom[200:202], np.full((2, 2), 7, np.float32))
            np.testing.assert_array_equal(chrom[9_990:10_000, "a"], truth["chr1"][9_990:10_000, 0])
    from genomedata._chromosome import Chromosome as RefChromosome

    ref = genomedata.Genome(str(path))
    try:
        with pytest.raises(RefChromosome.ChromosomeDirtyError):
            ref["chr1"]  # the reference refuses a dirty chromosome: the bit is a real HDF5 bool
    finally:
        ref._chromosomes.h5file.close()
        ref._isopen = False  # its own close() would re-open the dirty chromosome and raise


@pytest.mark.parametrize("name", ["v0.genomedata", "v1.genomedata"])
def test_reference_archives_identical(realdata, name):
    path = realdata / "genomedata" / name
    with Genome(path) as ours, genomedata.Genome(str(path)) as ref:
        assert ours.format_version == ref.format_version
        assert ours.tracknames_continuous == ref.tracknames_continuous
        assert [c.name for c in ours] == [c.name for c in ref]
        for mine, theirs in zip(ours, ref):
            assert (mine.start, mine.end) == (theirs.start, theirs.end)
            assert [(s.name, s.start, s.end) for s in mine] == [(s.name, s.start, s.end) for s in theirs]
            np.testing.assert_array_equal(mine[mine.start:mine.end], theirs[theirs.start:theirs.end])
            np.testing.assert_array_equal(mine.seq[mine.start:mine.end], theirs.seq[theirs.start:theirs.end])
            for stat in ("mins", "maxs", "sums", "sums_squares", "num_datapoints"):
                np.testing.assert_array_equal(getattr(mine, stat), getattr(theirs, stat))
        for stat in ("mins", "maxs", "sums", "sums_squares", "num_datapoints", "means", "vars"):
            np.testing.assert_array_equal(getattr(ours, stat), getattr(ref, stat))


def test_bigwig_genome(realdata):
    import pyBigWig

    path = realdata / "pybigwig" / "test.bw"
    bw = pyBigWig.open(str(path))
    with Genome(path) as genome:
        assert genome.tracknames_continuous == ["test"]
        assert genome.format_version is None
        assert [c.name for c in genome] == sorted(bw.chroms())
        chrom = genome["1"]
        assert (chrom.start, chrom.end) == (0, bw.chroms("1"))
        got = chrom[0:200]
        assert got.shape == (200, 1)
        np.testing.assert_array_equal(got[:, 0], bw.values("1", 0, 200, numpy=True).astype(np.float32))
        np.testing.assert_array_equal(chrom[0:200, "test"], got[:, 0])
        assert genome.num_datapoints[0] == bw.header()["nBasesCovered"]
        # exact, from the intervals (pyBigWig's header truncates sumData to an integer)
        exact = sum((e - s) * v for c in bw.chroms() for s, e, v in bw.intervals(c))
        assert genome.sums[0] == pytest.approx(exact)
        assert int(genome.sums[0]) == bw.header()["sumData"]
        assert genome.mins[0] == min(chrom.mins[0] for chrom in genome)
        with pytest.raises(UnsupportedError):
            chrom.seq[0:10]
        with pytest.raises(UnsupportedError):
            genome.add_track_continuous("x")
    with pytest.raises(UnsupportedError, match="read-only"):
        Genome(path, "r+")


def test_loader_functions_exported_with_reference_names():
    import inspect

    import gdxarray
    import gdxarray.writer as load
    from genomedata import load_genomedata as ref_load

    for name in ("close_data", "erase_data", "hardmask_data", "load_data", "load_genomedata",
                 "load_seq", "open_data"):
        assert getattr(gdxarray, name) is getattr(load, name)
    ours = list(inspect.signature(gdxarray.load_genomedata).parameters)
    theirs = list(inspect.signature(ref_load.load_genomedata).parameters)
    assert ours[:len(theirs)] == theirs
    with pytest.raises(AttributeError):
        gdxarray.no_such_thing


@pytest.mark.parametrize("filters", [
    {"complevel": 1, "complib": "zlib", "shuffle": False},   # what h5repack -f GZIP=1 leaves
    {"complevel": 0, "shuffle": False},                       # uncompressed
    {"complevel": 1, "complib": "zlib", "shuffle": True, "fletcher32": True},  # not raw-readable
], ids=["deflate", "none", "fletcher32"])
def test_reads_through_every_filter_pipeline(tmp_path, filters):
    """The raw-chunk lane and the PyTables fallback give the same values."""
    import tables

    from gdxarray import _chunks

    path, truth = make_genome(tmp_path / "f.genomedata", chroms={"chr1": 64_321},
                              gaps={"chr1": [(20_000, 21_000)]}, tracks=["a", "b"],
                              filters=tables.Filters(**filters))
    rng = np.random.default_rng(2)
    _chunks.CHUNK_CACHE.clear()
    with Genome(path) as genome:
        chrom = genome["chr1"]
        for _ in range(40):
            a = int(rng.integers(0, 64_000))
            b = int(min(64_321, a + rng.integers(1, 30_000)))
            np.testing.assert_array_equal(quiet(chrom.__getitem__, np.s_[a:b]), truth["chr1"][a:b])
            np.testing.assert_array_equal(quiet(chrom.__getitem__, np.s_[a, "b"]), truth["chr1"][a, 1])


@pytest.mark.filterwarnings("ignore:closing chromosome:gdxarray.errors.GenomedataDirtyWarning")
@pytest.mark.parametrize("layout", ["file", "dir"])
def test_supercontig_continuous_behaves_as_the_references_earray(tmp_path, layout):
    path, truth = make_genome(tmp_path / f"g{layout}.gd", chroms={"chr1": 30_000},
                              gaps={"chr1": [(10_000, 12_000)]}, tracks=["a", "b", "c"],
                              layout=layout)
    keys = [np.s_[...], np.s_[:], np.s_[5:100], np.s_[5:100, 1], np.s_[7], np.s_[7, 2],
            np.s_[-3:], np.s_[::7, [0, 2]], np.s_[[3, 1, 8], :], np.s_[3:900, 1:3]]
    with Genome(path) as ours, genomedata.Genome(str(path)) as ref:
        pairs = list(zip(ours["chr1"].itercontinuous(), ref["chr1"].itercontinuous()))
        assert len(pairs) == 2
        for (sc, cont), (ref_sc, ref_cont) in pairs:
            assert (sc.start, sc.end) == (ref_sc.start, ref_sc.end)
            for key in keys:
                got, want = cont[key], ref_cont[key]
                assert got.shape == want.shape and got.dtype == want.dtype, key
                np.testing.assert_array_equal(got, want)
            for args in [(), (1, 2), (0, 3, 2), (2,)]:  # along the EArray's track dimension
                np.testing.assert_array_equal(cont.read(*args), ref_cont.read(*args))
            assert [col.shape for col in cont] == [col.shape for col in ref_cont]
            assert (cont.shape, cont.nrows, len(cont)) == (ref_cont.shape, ref_cont.nrows,
                                                           len(ref_cont))
            assert cont.chunkshape == ref_cont.chunkshape  # other attributes: the EArray's
            np.testing.assert_array_equal(np.asarray(cont), truth["chr1"][sc.start:sc.end])
    with Genome(path, "r+") as genome:
        sc, cont = next(genome["chr1"].itercontinuous())
        cont[0:10, 1] = 5.0
        np.testing.assert_array_equal(cont[0:10, 1], np.full(10, 5, np.float32))


@pytest.mark.filterwarnings("ignore:slice of chromosome data spans:gdxarray.errors.OverlapWarning")
@pytest.mark.parametrize("layout", ["file", "dir"])
def test_reopening_reuses_what_was_read_of_the_same_file_version(tmp_path, monkeypatch, layout):
    import os

    import gdxarray.store as store
    from gdxarray.writer import write_arrays

    monkeypatch.setattr(store, "META_MIN_AGE_NS", 0)  # the test's files are seconds old
    path, truth = make_genome(tmp_path / f"m{layout}.gd", chroms={"chr1": 30_000, "chr2": 5_000},
                              gaps={"chr1": [(10_000, 12_000)]}, tracks=["a", "b"], layout=layout)
    reads = []
    real = store._read_index_table
    monkeypatch.setattr(store, "_read_index_table", lambda h5: reads.append(1) or real(h5))
    for _ in range(3):
        with Genome(path) as genome:
            np.testing.assert_array_equal(genome["chr1"][9_000:13_000, ["b"]],
                                          truth["chr1"][9_000:13_000, [1]])
            assert genome.tracknames_continuous == ["a", "b"]
            assert not genome["chr1"].dirty
    assert len(reads) == (1 if layout == "file" else 0)  # dir archives have no index table
    # a write makes a new version: nothing cached of the old one is used
    write_arrays(path, "b", [("chr1", 9_000, np.full(100, 3.0, np.float32))])
    with pytest.warns(GenomedataDirtyWarning):
        with Genome(path) as genome:
            assert genome["chr1"].dirty
            np.testing.assert_array_equal(genome["chr1"][9_000:9_100, "b"],
                                          np.full(100, 3.0, np.float32))
    # another process's change shows as a new stamp (size, mtime or ctime)
    target = path if layout == "file" else path / "chr2.genomedata"
    with tables.open_file(str(target), "r+") as h5:
        group = h5.get_node("/chr2") if layout == "file" else h5.root
        group._v_attrs.dirty = True
    os.utime(target, ns=(1, 1))
    with pytest.warns(GenomedataDirtyWarning):
        with Genome(path) as genome:
            assert genome["chr2"].dirty


def test_release_read_handles_lets_a_writer_in_and_readers_reopen(tmp_path):
    import tables

    from gdxarray.store import release_read_handles

    for layout in ("file", "dir"):
        path, truth = make_genome(tmp_path / f"r-{layout}.genomedata", layout=layout,
                                  chroms={"chr1": 3_000, "chr2": 2_000})
        target = path if layout == "file" else path / "chr1.genomedata"
        with Genome(path) as genome:
            before = genome["chr1"][0:100, 0]
            with pytest.raises(ValueError, match="read-only"):  # PyTables: open "r" here
                tables.open_file(str(target), "r+")
            assert release_read_handles(path) >= 1
            tables.open_file(str(target), "r+").close()
            # the reader's file managers reopen on demand
            np.testing.assert_array_equal(genome["chr1"][0:100, 0], before)
            np.testing.assert_array_equal(genome["chr2"][0:100, 0], truth["chr2"][0:100, 0])
