"""Storages, cache, archives, batches, pickling and PyTorch use of the datasets."""

from __future__ import annotations

import pickle

import numpy as np
import pyBigWig
import pytest

from gdxarray import Genome
from gdxarray.datasets import Bioseq, Cover, batch_order, batches
from gdxarray.testing import make_genome


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GDXARRAY_OUTPUT", str(tmp_path / "cache"))


@pytest.fixture
def J(realdata):
    return realdata / "janggu"


def _cover(J, **kw):
    return Cover.create_from_bigwig("s", J / "sample.bw", roi=J / "sample.bed", binsize=200,
                                    resolution=50, **kw)


def test_hdf5_is_an_archive_read_lazily(J, tmp_path):
    mem = _cover(J)
    lazy = _cover(J, storage="hdf5")
    assert lazy.storage == "hdf5" and lazy.archive.endswith(".genomedata")
    np.testing.assert_array_equal(lazy[:], mem[:])
    np.testing.assert_array_equal(lazy[[7, 3, 60]], mem[[7, 3, 60]])
    with Genome(lazy.archive) as g, pyBigWig.open(str(J / "sample.bw")) as bw:
        assert g.tracknames_continuous == ["sample"]
        got = g["chr1"][15000:25000, 0]
        np.testing.assert_array_equal(got, np.array(bw.values("chr1", 15000, 25000), np.float32))
        assert np.isnan(g["chr1"][0:100, 0]).all()  # outside the windows: nothing stored
    sparse = _cover(J, storage="sparse")
    np.testing.assert_array_equal(sparse[:], mem[:])
    z_mem, z_lazy = _cover(J, normalizer="zscore"), _cover(J, normalizer="zscore", storage="hdf5")
    np.testing.assert_allclose(z_lazy[:], z_mem[:], rtol=1e-5, atol=1e-6)


def test_stranded_bam_archive_has_a_track_per_strand(J):
    pytest.importorskip("pysam")
    mem = Cover.create_from_bam("r", J / "sample.bam", roi=J / "sample.bed", binsize=200,
                                resolution=25)
    lazy = Cover.create_from_bam("r", J / "sample.bam", roi=J / "sample.bed", binsize=200,
                                 resolution=25, storage="hdf5")
    np.testing.assert_array_equal(lazy[:], mem[:])
    with Genome(lazy.archive) as g:
        assert g.tracknames_continuous == ["sample:+", "sample:-"]


def test_cache_hit_and_misses(J, tmp_path, monkeypatch):
    import gdxarray.datasets._store as store

    written = []
    real = store.write_archive
    monkeypatch.setattr("gdxarray.datasets.coverage.write_archive",
                        lambda *a, **k: (written.append(a[0]), real(*a, **k)))
    first = _cover(J, cache=True)
    second = _cover(J, cache=True)
    assert len(written) == 1  # reused
    np.testing.assert_array_equal(first[:], second[:])
    _cover(J, cache=True, flank=50)  # another stored extent
    _cover(J, cache=True, nan_to_num=False)  # another option
    assert len(written) == 3
    changed = tmp_path / "sample.bw"
    changed.write_bytes((J / "sample.bw").read_bytes())
    Cover.create_from_bigwig("s", changed, roi=J / "sample.bed", binsize=200, resolution=50,
                             cache=True)
    assert len(written) == 3  # same bytes, same key
    with pyBigWig.open(str(changed), "w") as bw:  # new contents
        bw.addHeader([("chr1", 30000), ("chr2", 30000)])
        bw.addEntries(["chr1"], [15000], ends=[15100], values=[7.0])
    again = Cover.create_from_bigwig("s", changed, roi=J / "sample.bed", binsize=200,
                                     resolution=50, cache=True)
    assert len(written) == 4
    assert again[0][0, 0, 0, 0] == pytest.approx(7.0 * 50 / 50)


def test_create_from_genomedata_tracks_become_conditions(tmp_path):
    path, truth = make_genome(tmp_path / "g.genomedata", chroms={"chr1": 60_000},
                              tracks=["a", "b", "c"], nan_fraction=0.1)
    roi = [("chr1", 1000, 21000, "+"), ("chr1", 30000, 40000, "-")]
    for storage in ("hdf5", "ndarray"):
        cover = Cover.create_from_genomedata("g", path, tracks=["c", "a"], roi=roi,
                                             binsize=1000, stepsize=500, resolution=100,
                                             storage=storage)
        assert cover.conditions == ["c", "a"] and cover.shape[1:] == (10, 1, 2)
        data = np.nan_to_num(truth["chr1"][:, [2, 0]])
        got = cover[:]
        for i in range(len(cover)):
            iv = cover.gindexer[i]
            want = data[iv.start:iv.end].reshape(10, 100, 2).mean(axis=1)
            if iv.strand == "-":
                want = want[::-1]
            np.testing.assert_allclose(got[i, :, 0, :], want, rtol=1e-5, atol=1e-6)


def test_batches_keep_chunk_neighbours_together(tmp_path):
    path, _ = make_genome(tmp_path / "g.genomedata", chroms={"chr1": 400_000}, tracks=["a"])
    cover = Cover.create_from_genomedata("g", path, roi=[("chr1", 0, 400_000)], binsize=1000,
                                         stepsize=500)
    order = batch_order(cover.gindexer, shuffle=True, seed=1)
    assert sorted(order.tolist()) == list(range(len(cover)))
    assert not np.array_equal(order, np.arange(len(cover)))
    chunk_of = cover.gindexer.starts[order] // 10_000
    # a chunk's regions are consecutive in the order: each chunk appears in one run
    runs = 1 + np.count_nonzero(np.diff(chunk_of))
    assert runs == len(np.unique(chunk_of))
    np.testing.assert_array_equal(order, batch_order(cover.gindexer, shuffle=True, seed=1))
    seen = np.concatenate([b for b in cover.batches(64, seed=1)])
    np.testing.assert_array_equal(seen, cover[order])
    xs = list(batches([cover, cover], 50, seed=2, threads=2))
    assert all(np.array_equal(a, b) for a, b in xs) and sum(len(a) for a, _ in xs) == len(cover)


def test_datasets_pickle_without_handles(J, tmp_path):
    lazy = _cover(J, storage="hdf5")
    lazy[0]  # opens the archive
    clone = pickle.loads(pickle.dumps(lazy))
    np.testing.assert_array_equal(clone[:], lazy[:])
    dna = Bioseq.create_from_refgenome("d", J / "sample_genome.fa", roi=J / "sample.bed",
                                       binsize=200, storage="hdf5")
    dna[0]
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(dna))[:], dna[:])


def test_torch_dataloader_with_workers(J):
    torch = pytest.importorskip("torch", reason="torch is not installed (pip install "
                                                "'gdxarray[torch]')")
    from torch.utils.data import DataLoader

    lazy = _cover(J, storage="hdf5")
    loader = DataLoader(lazy, batch_size=16, num_workers=2, shuffle=False)
    items = torch.cat(list(loader)).numpy()
    np.testing.assert_array_equal(items[:, 0], lazy[:])
    sampler = lazy.batch_sampler(32, seed=0)
    loader = DataLoader(lazy, sampler=sampler, batch_size=None, num_workers=2)
    got = np.concatenate([b.numpy() for b in loader])
    np.testing.assert_array_equal(got, lazy[np.concatenate(sampler)])
