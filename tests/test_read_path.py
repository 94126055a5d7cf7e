"""The shared read path: long reads (batched chunk decoding), gap filling into a
caller's buffer, unwritten chunks, and ``iter_blocks`` with read-ahead."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import tables

from gdxarray import Genome, OverlapWarning
from gdxarray import _chunks
from gdxarray._read import READ_POOL, read_continuous
from gdxarray.testing import make_genome

CHUNK = 1_000  # small chunks: a 50 kb read crosses 50 of them, as a scan would


def quiet(func, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OverlapWarning)
        return func(*args, **kw)


@pytest.fixture(scope="module", params=[
    None,  # the format's zlib + shuffle
    {"complevel": 1, "complib": "zlib", "shuffle": False},
    {"complevel": 0, "shuffle": False},
], ids=["shuffle", "deflate", "none"])
def small_chunks(request, tmp_path_factory):
    filters = None if request.param is None else tables.Filters(**request.param)
    path, truth = make_genome(tmp_path_factory.mktemp("rp") / "g.genomedata",
                              chroms={"chr1": 123_457, "chr2": 5_001},
                              gaps={"chr1": [(40_000, 41_500), (90_003, 90_004)]},
                              tracks=["a", "b", "c"], chunk_rows=CHUNK, filters=filters, seed=11)
    return path, truth


def test_long_reads_match_truth(small_chunks):
    path, truth = small_chunks
    rng = np.random.default_rng(5)
    _chunks.CHUNK_CACHE.clear()
    with Genome(path) as genome:
        chrom = genome["chr1"]
        spans = [(0, 123_457), (0, 40_000), (41_500, 90_003), (999, 60_001)]
        spans += [(int(a), int(a) + int(n)) for a, n in
                  zip(rng.integers(0, 120_000, 30), rng.integers(4_000, 70_000, 30))]
        for a, b in spans:
            b = min(b, 123_457)
            np.testing.assert_array_equal(quiet(chrom.__getitem__, np.s_[a:b]), truth["chr1"][a:b])
            np.testing.assert_array_equal(quiet(chrom.__getitem__, np.s_[a:b, "b"]),
                                          truth["chr1"][a:b, 1])
            cols = [2, 0]
            np.testing.assert_array_equal(quiet(chrom.__getitem__, np.s_[a:b, cols]),
                                          truth["chr1"][a:b][:, cols])


@pytest.mark.parametrize("order", ["C", "F"])
def test_read_into_dirty_buffer_sets_gaps_to_nan(small_chunks, order):
    """A caller's buffer is overwritten everywhere, gaps and the ends included."""
    path, truth = small_chunks
    with Genome(path) as genome:
        layout = genome["chr1"]._layout
        for a, b in [(-500, 200), (35_000, 95_000), (123_000, 124_000), (40_100, 41_400)]:
            out = np.full((b - a, 3), 7.0, dtype=np.float32, order=order)
            got = read_continuous(layout, a, b, slice(None), 3, out=out)
            assert got is out
            want = np.full((b - a, 3), np.nan, dtype=np.float32)
            lo, hi = max(a, 0), min(b, 123_457)
            want[lo - a:hi - a] = truth["chr1"][lo:hi]
            np.testing.assert_array_equal(out, want)


@pytest.mark.parametrize("readahead", [True, False])
@pytest.mark.parametrize("block_rows", [1, 777, 10_000, 1 << 20])
def test_iter_blocks_cover_supercontigs(small_chunks, readahead, block_rows):
    path, truth = small_chunks
    with Genome(path) as genome:
        chrom = genome["chr1"]
        if block_rows == 1:  # one row per block: only check the first few
            it = chrom.iter_blocks(["c", "a"], block_rows=1, readahead=readahead)
            for (lo, block), want in zip(it, range(5)):
                assert lo == want
                np.testing.assert_array_equal(block, truth["chr1"][lo:lo + 1][:, [2, 0]])
            it.close()
            return
        seen = []
        for lo, block in chrom.iter_blocks(block_rows=block_rows, readahead=readahead):
            assert block.flags.f_contiguous and block.dtype == np.float32
            assert block.shape[0] <= block_rows
            np.testing.assert_array_equal(block, truth["chr1"][lo:lo + block.shape[0]])
            seen.append((lo, lo + block.shape[0]))
        covered = np.zeros(123_457, bool)
        for lo, hi in seen:
            assert not covered[lo:hi].any()
            covered[lo:hi] = True
        gap = np.zeros(123_457, bool)
        gap[40_000:41_500] = gap[90_003:90_004] = True
        np.testing.assert_array_equal(covered, ~gap)


def test_read_ahead_stopped_early_leaves_nothing_running():
    """Closing the iterator cancels blocks not started and waits for the rest."""
    import threading
    import time

    from gdxarray._read import read_ahead

    lock = threading.Lock()
    state = {"active": 0, "started": 0}

    def read(lo, hi, out):
        with lock:
            state["active"] += 1
            state["started"] += 1
        time.sleep(0.02)
        out[:] = np.arange(lo, hi, dtype=np.float32)[:, None]
        with lock:
            state["active"] -= 1

    spans = [(i * 100_000, (i + 1) * 100_000) for i in range(50)]
    it = read_ahead(read, spans, 2)
    lo, block = next(it)
    assert lo == 0 and block.flags.f_contiguous
    np.testing.assert_array_equal(block[:, 1], np.arange(100_000, dtype=np.float32))
    it.close()
    assert state["active"] == 0
    started = state["started"]
    time.sleep(0.1)
    assert state["started"] == started  # nothing starts after the close
    assert started <= 3 * READ_POOL.workers  # the first block and two ahead, split per worker


def test_read_ahead_passes_errors_to_the_caller():
    from gdxarray._read import read_ahead

    def read(lo, hi, out):
        if lo >= 200:
            raise OSError(f"bad block at {lo}")
        out[:] = 1.0

    it = read_ahead(read, [(0, 100), (100, 200), (200, 300), (300, 400)], 1)
    assert [lo for lo, _ in itertools.islice(it, 2)] == [0, 100]
    with pytest.raises(OSError, match="bad block at 200"):
        next(it)


def test_iter_blocks_then_close_genome(small_chunks):
    path, truth = small_chunks
    genome = Genome(path)
    it = genome["chr1"].iter_blocks(block_rows=2_000)
    lo, block = next(it)
    np.testing.assert_array_equal(block, truth["chr1"][lo:lo + 2_000])
    it.close()
    genome.close()
    with Genome(path) as again:  # the file is closed and reopens cleanly
        np.testing.assert_array_equal(again["chr2"][0:5_001], truth["chr2"])


def test_iter_blocks_rejects_bad_block_rows(small_chunks):
    path, _ = small_chunks
    with Genome(path) as genome:
        with pytest.raises(ValueError, match="block_rows"):
            next(genome["chr1"].iter_blocks(block_rows=0))


def test_unwritten_chunks_read_as_nan(tmp_path):
    """A small track in a large chromosome leaves most chunks unwritten."""
    import gdxarray

    sizes = tmp_path / "g.sizes"
    sizes.write_text("chr1\t250000\n")
    bedgraph = tmp_path / "t.bedGraph"
    rows = [(5_000, 5_010, 1.5), (120_000, 121_000, -2.0), (249_990, 250_000, 3.25)]
    bedgraph.write_text("".join(f"chr1\t{a}\t{b}\t{v}\n" for a, b, v in rows))
    path = tmp_path / "s.genomedata"
    gdxarray.load_genomedata(str(path), tracks=[("t", str(bedgraph))], seqfilenames=[str(sizes)],
                             seqfile_type="sizes")
    want = np.full(250_000, np.nan, dtype=np.float32)
    for a, b, v in rows:
        want[a:b] = v
    with Genome(path) as genome:
        chrom = genome["chr1"]
        np.testing.assert_array_equal(chrom[0:250_000, 0], want)
        np.testing.assert_array_equal(chrom[4_000:130_000, 0], want[4_000:130_000])
        blocks = list(chrom.iter_blocks(block_rows=60_000))
        np.testing.assert_array_equal(np.concatenate([b[:, 0] for _, b in blocks]), want)


@pytest.mark.parametrize("shape,order", [((10, 3), "C"), ((1_500_000, 3), "F"),
                                         ((1_000_001, 3), "C"), ((5_000_000,), "C")])
def test_empty_lays_large_arrays_on_huge_pages(shape, order):
    from gdxarray._read import empty

    a = empty(shape, np.float32, order=order)
    assert a.shape == shape and a.dtype == np.float32
    assert a.flags.f_contiguous if order == "F" else a.flags.c_contiguous
    assert a.flags.writeable and a.flags.owndata is (a.nbytes < 4 << 20)
    if a.nbytes >= 4 << 20:
        assert a.__array_interface__["data"][0] % (1 << 21) == 0
    a[...] = 1.5  # the whole array is usable
    assert float(a.sum(dtype=np.float64)) == 1.5 * a.size
