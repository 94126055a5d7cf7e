"""Chunk decoding: the C lane (libdeflate, blosc2's unshuffle) and the pure-Python
fallback give the same values, and a damaged chunk is a clear error in both."""

from __future__ import annotations

import threading
import warnings
import zlib

import numpy as np
import pytest
import tables

from gdxarray import CorruptChunkError, Genome, OverlapWarning
from gdxarray import _chunks, _native
from gdxarray.testing import make_genome

CHUNK = 1_000
LANES = ["native", "numpy-unshuffle", "python"]


@pytest.fixture(params=LANES)
def lane(request, monkeypatch):
    """Force the decoding lane; the cache is emptied so every read decodes."""
    if request.param != "native" and (_native.INFLATE is None or _native.UNSHUFFLE is None):
        pytest.skip("the C lane is not available here, so every lane is the fallback")
    if request.param in ("numpy-unshuffle", "python"):
        monkeypatch.setattr(_chunks, "UNSHUFFLE", None)
    if request.param == "python":
        monkeypatch.setattr(_chunks, "INFLATE", None)
    _chunks.CHUNK_CACHE.clear()
    yield request.param
    _chunks.CHUNK_CACHE.clear()


@pytest.fixture(scope="module", params=[
    None,  # the format's zlib + shuffle
    {"complevel": 1, "complib": "zlib", "shuffle": False},
    {"complevel": 0, "shuffle": False},  # (PyTables shuffles only what it compresses)
], ids=["shuffle", "deflate", "none"])
def archive(request, tmp_path_factory):
    filters = None if request.param is None else tables.Filters(**request.param)
    return make_genome(tmp_path_factory.mktemp("nat") / "g.genomedata",
                       chroms={"chr1": 60_321}, gaps={"chr1": [(20_000, 21_500)]},
                       tracks=["a", "b", "c"], chunk_rows=CHUNK, filters=filters, seed=3)


def _reads(chrom):
    """Long (batched), chunk-partial (>= 256 rows), few-row and single-track reads."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OverlapWarning)
        yield (0, 60_321), chrom[0:60_321]
        yield (21_500, 60_321), chrom[21_500:60_321]
        for a, b in [(123, 987), (5_010, 5_900), (999, 1_001), (37_777, 37_800), (59_000, 60_321)]:
            yield (a, b), chrom[a:b]
            yield (a, b, "b"), chrom[a:b, "b"]


def test_lanes_agree_with_the_truth(archive, lane):
    path, truth = archive
    want = truth["chr1"]
    with Genome(path) as genome:
        chrom = genome["chr1"]
        for key, got in _reads(chrom):
            a, b = key[0], key[1]
            expected = want[a:b, 1] if key[-1] == "b" else want[a:b]
            np.testing.assert_array_equal(got, expected, err_msg=f"{lane} {key}")
        # Fortran-ordered blocks decode each track straight into its column
        blocks = list(chrom.iter_blocks(block_rows=7_000))
        for lo, block in blocks:
            assert block.flags.f_contiguous
            np.testing.assert_array_equal(block, want[lo:lo + len(block)])
        assert sum(len(b) for _, b in blocks) == 60_321 - 1_500


@pytest.mark.parametrize("rows", [1, 255, 256, 300, 999, 1_000, 1_001, 2_500, 3_999])
def test_part_of_a_chunk(big_chunks, lane, rows):
    """A read inside one chunk: transposing copy, strided copies of its rows, or
    SIMD over the whole chunk, chosen by size; C-ordered and single-track outputs."""
    path, truth = big_chunks
    want = truth["chr1"]
    with Genome(path) as genome:
        chrom = genome["chr1"]
        for a in (4_000, 4_001, 8_000 - rows, 9_999 - rows):
            np.testing.assert_array_equal(chrom[a:a + rows], want[a:a + rows])
            np.testing.assert_array_equal(chrom[a:a + rows, "c"], want[a:a + rows, 2])


@pytest.fixture(scope="module")
def big_chunks(tmp_path_factory):
    return make_genome(tmp_path_factory.mktemp("big") / "g.genomedata", chroms={"chr1": 12_000},
                       tracks=["a", "b", "c"], chunk_rows=4_000, seed=9)


def test_threads_decode_independently(archive):
    """Each thread has its own libdeflate decompressor and scratch buffers."""
    path, truth = archive
    want = truth["chr1"]
    errors = []
    _chunks.CHUNK_CACHE.clear()

    def work(seed):
        rng = np.random.default_rng(seed)
        try:
            with Genome(path) as genome:
                chrom = genome["chr1"]
                for a in rng.integers(21_500, 50_000, 40):
                    b = int(a) + int(rng.integers(1, 10_000))
                    np.testing.assert_array_equal(chrom[int(a):b], want[int(a):b])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_native_inflate_and_unshuffle_match_zlib_and_numpy():
    if _native.INFLATE is None or _native.UNSHUFFLE is None:
        pytest.skip("the C lane is not available here")
    rng = np.random.default_rng(0)
    values = rng.normal(size=5_000).astype(np.float32)
    shuffled = values.view(np.uint8).reshape(-1, 4).T.copy().reshape(-1)  # HDF5's layout
    stream = np.frombuffer(zlib.compress(shuffled.tobytes(), 6), dtype=np.uint8)
    inflated = np.empty(shuffled.size, dtype=np.uint8)
    decompress, d = _native.INFLATE.decoder()
    assert decompress(d, _native.address(stream), stream.size, _native.address(inflated),
                      inflated.size, None) == 0
    np.testing.assert_array_equal(inflated, shuffled)
    out = np.empty_like(values)
    assert _native.UNSHUFFLE(4, inflated.size, _native.address(inflated),
                             _native.address(out)) == inflated.size
    np.testing.assert_array_equal(out, values)
    # a stream that decodes to another length than asked for is refused
    short = np.empty(shuffled.size + 4, dtype=np.uint8)
    rc = decompress(d, _native.address(stream), stream.size, _native.address(short),
                    short.size, None)
    assert "fewer bytes" in _native.INFLATE.reason(rc)
    bad = stream.copy()
    bad[len(bad) // 2:] ^= 0x5A
    assert decompress(d, _native.address(bad), bad.size, _native.address(inflated),
                      inflated.size, None) != 0


def _damage_chunk(path, k: int) -> int:
    """Flip bytes in the middle of stored chunk *k* of track 0; return its offset."""
    with tables.open_file(str(path)) as h5:
        leaf = next(n for n in h5.walk_nodes("/", "EArray") if n.name == "continuous")
        info = leaf.chunk_info((k * CHUNK, 0))
    with open(path, "r+b") as f:
        f.seek(info.offset + info.size // 2)
        chunk = bytearray(f.read(16))
        f.seek(info.offset + info.size // 2)
        f.write(bytes(b ^ 0xFF for b in chunk))
    return info.offset


@pytest.mark.parametrize("span", [(3_100, 3_200), (0, 20_000)], ids=["small", "long"])
def test_damaged_chunk_is_a_clear_error(tmp_path, lane, span):
    path, _ = make_genome(tmp_path / "g.genomedata", chroms={"chr1": 20_000},
                          tracks=["a"], chunk_rows=CHUNK, seed=1, nan_fraction=0.0)
    offset = _damage_chunk(path, 3)
    with Genome(path) as genome:
        chrom = genome["chr1"]
        np.testing.assert_array_equal(chrom[0:1_000].shape, (1_000, 1))  # others still read
        with pytest.raises(CorruptChunkError, match=f"stored at byte {offset:,} is corrupt"
                           ) as info:
            chrom[span[0]:span[1]]
        assert str(path) in str(info.value)
        assert isinstance(info.value, OSError)


def test_reads_without_preadv(archive, monkeypatch):
    """Where os.preadv is missing, batches are read with os.pread and copied."""
    monkeypatch.setattr(_chunks, "_PREADV", False)
    _chunks.CHUNK_CACHE.clear()
    path, truth = archive
    with Genome(path) as genome:
        chrom = genome["chr1"]
        np.testing.assert_array_equal(chrom[21_500:60_321], truth["chr1"][21_500:60_321])
        np.testing.assert_array_equal(chrom[0:20_000, "c"], truth["chr1"][0:20_000, 2])


def test_self_test_drops_a_routine_that_disagrees():
    """A routine from another build or ABI is checked on known bytes at import."""
    if _native.INFLATE is None or _native.UNSHUFFLE is None:
        pytest.skip("the C lane is not available here")
    assert _native._self_test(_native.INFLATE, _native.UNSHUFFLE) == (
        _native.INFLATE, _native.UNSHUFFLE)

    def does_nothing(typesize, nbytes, src, dst):
        return nbytes  # claims success, writes nothing

    class WrongInflate:
        def decoder(self):
            return (lambda d, src, nsrc, dst, ndst, actual: 0), None

    assert _native._self_test(WrongInflate(), does_nothing) == (None, None)


def test_shuffle_matches_hdf5s_layout_or_is_dropped():
    """The writers' SIMD shuffle gives HDF5's byte planes; a wrong routine is refused."""
    if _native.SHUFFLE is None:
        pytest.skip("blosc2_shuffle is not available here")
    values = np.random.default_rng(0).normal(size=10_000).astype(np.float32)
    out = np.empty(values.nbytes, dtype=np.uint8)
    _native.SHUFFLE(4, values.nbytes, _native.address(values), _native.address(out))
    np.testing.assert_array_equal(out, values.view(np.uint8).reshape(-1, 4).T.reshape(-1))
    assert _native._test_shuffle(lambda typesize, nbytes, src, dst: nbytes) is None
