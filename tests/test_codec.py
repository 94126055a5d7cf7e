"""The opt-in codecs (``--compression blosc2-zstd|blosc2-lz4``): same values as zlib,
read by the reference genomedata unchanged, kept when tracks are added, decoded on
the raw lane, and a damaged chunk is a clear error."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import tables

from gdxarray import CorruptChunkError, Genome, GenomedataError
from gdxarray import _chunks, _native
from gdxarray import format as fmt
from gdxarray.cli import load as cli_load, open_data as cli_open_data
from gdxarray.writer import (
    close_data, erase_data, hardmask_data, load_data, load_genomedata, open_data,
)
from gdxarray.writer import _direct_io

CHROMS = {"chr1": 61_234, "chr2": 25_000}
CODECS = list(fmt.COMPRESSIONS)
BLOSC2 = ["blosc2-zstd", "blosc2-lz4"]


def _signal(rng, length: int) -> tuple[np.ndarray, list[tuple[int, int, float]]]:
    """Piecewise-constant runs with NaN gaps (as bedGraph intervals) and the dense truth."""
    truth = np.full(length, np.nan, dtype=np.float32)
    rows, pos = [], int(rng.integers(0, 500))
    while pos < length:
        run = int(rng.integers(1, 400))
        end = min(length, pos + run)
        if rng.random() < 0.75:
            value = float(np.float32(rng.integers(0, 10_000) / 1000))
            truth[pos:end] = value
            rows.append((pos, end, value))
        pos = end + (int(rng.integers(0, 3_000)) if rng.random() < 0.2 else 0)
    return truth, rows


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A sizes file, two bedGraph tracks and their truth (independent of the writer)."""
    root = tmp_path_factory.mktemp("codec_in")
    rng = np.random.default_rng(15)
    sizes = root / "genome.sizes"
    sizes.write_text("".join(f"{c}\t{n}\n" for c, n in CHROMS.items()))
    truth: dict[str, dict[str, np.ndarray]] = {}
    files = {}
    for track in ("a", "b"):
        path = root / f"{track}.bedGraph"
        with open(path, "w") as out:
            for chrom, length in CHROMS.items():
                values, rows = _signal(rng, length)
                truth.setdefault(chrom, {})[track] = values
                out.writelines(f"{chrom}\t{s}\t{e}\t{v:.3f}\n" for s, e, v in rows)
        files[track] = path
    return sizes, files, truth


def _build(tmp_path, inputs, codec: str, tracks=("a", "b")):
    sizes, files, _ = inputs
    path = tmp_path / f"{codec}.genomedata"
    load_genomedata(path, [(t, files[t]) for t in tracks], [sizes], mode="file",
                    seqfile_type="sizes", compression=codec)
    return path


def _truth(inputs, chrom: str, tracks=("a", "b")) -> np.ndarray:
    return np.stack([inputs[2][chrom][t] for t in tracks], axis=1)


def _regions(seed: int, n: int = 60):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        chrom = ("chr1", "chr2")[int(rng.integers(0, 2))]
        start = int(rng.integers(0, CHROMS[chrom] - 1))
        yield chrom, start, min(CHROMS[chrom], start + int(rng.integers(1, 25_000)))


@pytest.mark.parametrize("codec", CODECS)
def test_values_equal_the_input_whatever_the_codec(tmp_path, inputs, codec):
    path = _build(tmp_path, inputs, codec)
    with tables.open_file(str(path)) as h5:
        leaf = h5.get_node("/chr1/supercontig_0/continuous")
        assert fmt.compression_name(leaf.filters) == codec
    _chunks.CHUNK_CACHE.clear()
    with Genome(path) as genome:
        for chrom in CHROMS:
            np.testing.assert_array_equal(genome[chrom][0:CHROMS[chrom]], _truth(inputs, chrom))
        for chrom, a, b in _regions(1):
            np.testing.assert_array_equal(genome[chrom][a:b], _truth(inputs, chrom)[a:b])
            np.testing.assert_array_equal(genome[chrom][a:b, "b"], inputs[2][chrom]["b"][a:b])
        sums = np.zeros(2)
        for chrom in genome:
            for _, block in chrom.iter_blocks():
                sums += np.nansum(block, axis=0, dtype=np.float64)
        want = sum(np.nansum(_truth(inputs, c), axis=0, dtype=np.float64) for c in CHROMS)
        np.testing.assert_allclose(sums, want, rtol=1e-12)


@pytest.mark.parametrize("codec", BLOSC2)
def test_blosc2_is_smaller_than_raw_and_a_codec_of_the_cli(tmp_path, inputs, codec):
    sizes, files, truth = inputs
    path = tmp_path / "cli.genomedata"
    assert cli_load.main(["--sizes", "-s", str(sizes), "-t", f"a={files['a']}", "-f",
                          "--compression", codec, str(path)]) == 0
    with tables.open_file(str(path)) as h5:
        leaf = h5.get_node("/chr1/supercontig_0/continuous")
        assert leaf.filters.complib == codec.replace("-", ":")
        assert leaf.filters.shuffle
        # every chunk stored (see writer.tracks._store_nan), each well under 40 kB
        assert leaf.size_on_disk < leaf.shape[0] * leaf.shape[1] * 4 / 2
    with Genome(path) as genome:
        np.testing.assert_array_equal(genome["chr2"][:, "a"], truth["chr2"]["a"])


def test_reference_reads_blosc2_archives(tmp_path, inputs, reference):
    import genomedata

    for codec in BLOSC2:
        path = _build(tmp_path, inputs, codec)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with genomedata.Genome(str(path)) as genome:
                assert list(genome.tracknames_continuous) == ["a", "b"]
                for chrom in CHROMS:
                    np.testing.assert_array_equal(
                        np.asarray(genome[chrom][0:CHROMS[chrom]]), _truth(inputs, chrom))
                # small reads take PyTables' optimized blosc2 slice path
                for chrom, a, b in _regions(2, n=30):
                    np.testing.assert_array_equal(np.asarray(genome[chrom][a:b, 1]).reshape(-1),
                                                  inputs[2][chrom]["b"][a:b])
                total = sum(float(c.sums[0]) for c in genome)
        want = sum(np.nansum(inputs[2][c]["a"], dtype=np.float64) for c in CHROMS)
        assert total == pytest.approx(want, rel=1e-6)


def test_adding_a_track_keeps_the_codec(tmp_path, inputs, reference):
    import genomedata

    path = _build(tmp_path, inputs, "blosc2-lz4", tracks=("a",))
    with pytest.raises(GenomedataError, match="blosc2-lz4 compression"):
        open_data(path, ["b"], compression="zlib")
    assert cli_open_data.main([str(path), "--tracknames", "b"]) == 0  # no flag: the archive's
    with tables.open_file(str(path)) as h5:
        leaf = h5.get_node("/chr1/supercontig_0/continuous")
        assert fmt.compression_name(leaf.filters) == "blosc2-lz4" and leaf.shape[1] == 2
        # the new column is stored too (dense), as NaN
        stored, _ = _chunks.stored_chunks(leaf)
        assert stored.all()
    load_data(path, "b", inputs[1]["b"])
    close_data(path)
    with Genome(path) as genome:
        for chrom in CHROMS:
            np.testing.assert_array_equal(genome[chrom][0:CHROMS[chrom]], _truth(inputs, chrom))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with genomedata.Genome(str(path)) as genome:
            np.testing.assert_array_equal(np.asarray(genome["chr2"][100:20_000, 1]).reshape(-1),
                                          inputs[2]["chr2"]["b"][100:20_000])


def test_open_data_chooses_the_codec_of_a_new_track_array(tmp_path, inputs):
    sizes, files, truth = inputs
    path = _build(tmp_path, inputs, "zlib", tracks=())
    with pytest.raises(GenomedataError, match="unknown compression 'gzip'"):
        open_data(path, ["a"], compression="gzip")
    open_data(path, ["a"], compression="blosc2-zstd")
    load_data(path, "a", files["a"])
    close_data(path)
    with tables.open_file(str(path)) as h5:
        assert h5.get_node("/chr2/supercontig_0/continuous").filters.complib == "blosc2:zstd"
    with Genome(path) as genome:
        np.testing.assert_array_equal(genome["chr1"][:, "a"], truth["chr1"]["a"])


def test_erase_hardmask_and_close_data_on_blosc2(tmp_path, inputs, reference):
    path = _build(tmp_path, inputs, "blosc2-zstd")
    truth = {c: _truth(inputs, c).copy() for c in CHROMS}
    erase_data(path, "a")
    for c in CHROMS:
        truth[c][:, 0] = np.nan
    mask = tmp_path / "mask.bed"
    mask.write_text("chr1\t1000\t30500\nchr2\t0\t777\n")
    hardmask_data(path, mask, ["b"])
    truth["chr1"][1000:30500, 1] = np.nan
    truth["chr2"][0:777, 1] = np.nan
    with Genome(path) as genome:
        for c in CHROMS:
            np.testing.assert_array_equal(genome[c][0:CHROMS[c]], truth[c])
            chrom = genome[c]
            np.testing.assert_allclose(chrom.sums, np.nansum(truth[c], axis=0, dtype=np.float64),
                                       rtol=1e-12)
            assert list(chrom.num_datapoints) == list(np.isfinite(truth[c]).sum(axis=0))
    # the reference's close-data on our blosc2 archive
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    code = "import sys; from genomedata._close_data import close_data; close_data(sys.argv[1])"
    subprocess.run([sys.executable, "-c", code, str(path)], env=env, check=True,
                   capture_output=True)
    with Genome(path) as genome:
        np.testing.assert_allclose(genome["chr1"].sums,
                                   np.nansum(truth["chr1"], axis=0, dtype=np.float64), rtol=1e-5)


def test_blosc2_chunks_are_decoded_on_the_raw_lane(tmp_path, inputs, monkeypatch):
    if _native.BLOSC2 is None:
        pytest.skip("libblosc2 could not be loaded here")
    path = _build(tmp_path, inputs, "blosc2-lz4")
    calls = []
    real = _native.BLOSC2

    class Counting:
        def decode(self, *args):
            calls.append(args[3])
            return real.decode(*args)

    def no_pytables(*args, **kwargs):
        raise AssertionError("read through PyTables, not the raw lane")

    monkeypatch.setattr(_chunks, "BLOSC2", Counting())
    monkeypatch.setattr(tables.EArray, "__getitem__", no_pytables)
    _chunks.CHUNK_CACHE.clear()
    with Genome(path) as genome:
        np.testing.assert_array_equal(genome["chr1"][5:60_000], _truth(inputs, "chr1")[5:60_000])
        np.testing.assert_array_equal(genome["chr2"][12_345:12_350, "a"],
                                      inputs[2]["chr2"]["a"][12_345:12_350])
    assert len(calls) >= 2 * 6 + 1  # 2 tracks x 6 chunks of chr1, and the small read


def test_python_blosc2_fallback_gives_the_same_values(tmp_path, inputs, monkeypatch):
    path = _build(tmp_path, inputs, "blosc2-zstd")
    monkeypatch.setattr(_chunks, "BLOSC2", None)
    _chunks.CHUNK_CACHE.clear()
    with Genome(path) as genome:
        np.testing.assert_array_equal(genome["chr1"][0:CHROMS["chr1"]], _truth(inputs, "chr1"))
        np.testing.assert_array_equal(genome["chr1"][777:790, "b"],
                                      inputs[2]["chr1"]["b"][777:790])


def test_writer_slices_where_frames_cannot_be_made(tmp_path, inputs, monkeypatch):
    """Without the frame encoder the writer goes through PyTables (same archive content)."""
    monkeypatch.setattr(_direct_io, "encoder_for", lambda earray: None)
    path = _build(tmp_path, inputs, "blosc2-lz4")
    with Genome(path) as genome:
        for chrom in CHROMS:
            np.testing.assert_array_equal(genome[chrom][0:CHROMS[chrom]], _truth(inputs, chrom))


def test_damaged_blosc2_chunk_names_chromosome_and_position(tmp_path, inputs):
    path = _build(tmp_path, inputs, "blosc2-zstd")
    with tables.open_file(str(path)) as h5:
        info = h5.get_node("/chr1/supercontig_0/continuous").chunk_info((30_000, 1))
    with open(path, "r+b") as f:  # garble the compressed bytes past the frame's header
        f.seek(info.offset + 200)
        chunk = bytearray(f.read(64))
        f.seek(info.offset + 200)
        f.write(bytes(b ^ 0x5A for b in chunk))
    _chunks.CHUNK_CACHE.clear()
    with Genome(path) as genome:
        chrom = genome["chr1"]
        np.testing.assert_array_equal(chrom[0:30_000, "b"], inputs[2]["chr1"]["b"][:30_000])
        for a, b in ((30_100, 30_200), (0, CHROMS["chr1"])):
            with pytest.raises(CorruptChunkError) as err:
                chrom[a:b, "b"]
            text = str(err.value)
            assert f"stored at byte {info.offset:,} is corrupt" in text
            assert "chr1:30,001-40,000 of track column 1" in text
            assert str(path) in text


def test_blosc2_self_test_drops_a_decoder_that_disagrees():
    if _native.BLOSC2 is None:
        pytest.skip("libblosc2 could not be loaded here")
    assert _native._self_test_blosc2(_native.BLOSC2) is _native.BLOSC2

    class Wrong:
        def decode(self, buf, base, at, nbytes, dst, size):
            return None  # claims success, writes nothing

    assert _native._self_test_blosc2(Wrong()) is None


@pytest.mark.parametrize("codec", BLOSC2)
def test_fused_summary_decodes_blosc2_chunks(tmp_path, inputs, codec, monkeypatch):
    """Genome/Chromosome.summary over blosc2 chunks: decoded, then reduced by the kernel."""
    path = _build(tmp_path, inputs, codec)
    used = []
    real = _chunks.reduce_column

    def counting(*args, **kwargs):
        used.append(real(*args, **kwargs))
        return used[-1]

    monkeypatch.setattr(_chunks, "reduce_column", counting)
    truth = _truth(inputs, "chr1")
    with Genome(path) as genome:
        chrom = genome["chr1"]
        whole = chrom.summary(stats=("count", "sum", "min", "max"), zoom=False)
        np.testing.assert_array_equal(whole["count"], np.isfinite(truth).sum(axis=0))
        np.testing.assert_allclose(whole["sum"], np.nansum(truth, axis=0, dtype=np.float64),
                                   rtol=1e-12)
        np.testing.assert_array_equal(whole["max"], np.nanmax(truth, axis=0))
        binned = chrom.summary(123, 59_000, stats=("sum",), bins=7, zoom=False)
        edges = np.linspace(123, 59_000, 8).astype(np.int64)
        want = [[np.nansum(truth[a:b, j], dtype=np.float64) for a, b in zip(edges, edges[1:])]
                for j in range(2)]
        np.testing.assert_allclose(np.asarray(binned["sum"]).reshape(7, 2).T, want, rtol=1e-12)
    if _chunks._kernels.KERNEL is not None:
        assert used and all(used)  # the fused lane, not the fallback
