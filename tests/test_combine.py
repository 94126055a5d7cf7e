"""combine-tracks: values against numpy over the inputs, the whole archive (data,
statistics, chunk attributes) against the reference genomedata loading and closing
the same numbers; gaps, windows, replace, every refusal."""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pytest

from gdxarray import Genome
from gdxarray import combine as combine_module
from gdxarray.combine import combine_tracks
from gdxarray.errors import (
    GenomedataDirtyWarning, IncompleteTrackError, IncompleteTrackWarning, OverlapWarning,
    TrackExistsError, TrackNotFoundError,
)
from gdxarray.writer import close_data, load_data, load_seq, open_data

SIZES = {"chr1": 30_000, "chr2": 12_345}


def _bedgraph(path, rng, sizes, n=40, span=2_000):
    lines = []
    for chrom, size in sizes.items():
        starts = np.sort(rng.choice(size - span, n, replace=False))
        ends = np.minimum(starts + rng.integers(1, span, n), np.append(starts[1:], size))
        for s, e in zip(starts.tolist(), ends.tolist()):
            if e > s:
                v = float(np.float32(rng.normal(0, 3)))
                lines.append(f"{chrom}\t{s}\t{e}\t{v!r}\n")
    path.write_text("".join(lines))
    return path


def _build(tmp_path, mode="file", sizes=SIZES, seqfile=None, tracks=("a", "b", "c"), seed=1,
           close=True):
    rng = np.random.default_rng(seed)
    if seqfile is None:
        seqfile = tmp_path / "g.sizes"
        seqfile.write_text("".join(f"{c}\t{n}\n" for c, n in sizes.items()))
        kind = "sizes"
    else:
        kind = "agp"
    path = tmp_path / f"g_{mode}.gd"
    load_seq(path, [seqfile], mode=mode, seqfile_type=kind)
    open_data(path, list(tracks))
    for t in tracks:
        load_data(path, t, _bedgraph(tmp_path / f"{t}.bg", rng, sizes))
    if close:
        close_data(path)
    return path


def _values(path) -> dict:
    """chrom -> (rows, tracks) of everything stored, and the track names."""
    with warnings.catch_warnings(), Genome(path) as genome:
        warnings.simplefilter("ignore", GenomedataDirtyWarning)
        warnings.simplefilter("ignore", OverlapWarning)  # reading across assembly gaps
        warnings.simplefilter("ignore", IncompleteTrackWarning)
        names = list(genome.tracknames_continuous)
        return {c.name: np.asarray(c[0:c.end]) for c in genome}, names


def numpy_combine(block: np.ndarray, how: str) -> np.ndarray:
    """The rule, with numpy's NaN-aware reductions (silenced on all-NaN rows)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        f = {"sum": np.nansum, "mean": np.nanmean, "max": np.nanmax, "min": np.nanmin}[how]
        out = f(block.astype(np.float64), axis=1)
    out[np.isnan(block).all(axis=1)] = np.nan
    return out.astype(np.float32)


@pytest.mark.parametrize("how", ["sum", "mean", "max", "min"])
def test_values(tmp_path, writer_mode, how, monkeypatch):
    monkeypatch.setattr(combine_module, "WINDOW_ROWS", 1)  # one chunk per step: many steps
    path = _build(tmp_path, writer_mode)
    before, _ = _values(path)
    summary = combine_tracks(path, "new", ["a", "c", "b"], how=how)
    after, names = _values(path)
    assert names == ["a", "b", "c", "new"]
    assert sorted(summary.chromosomes) == sorted(SIZES)
    for chrom, block in before.items():
        np.testing.assert_array_equal(after[chrom][:, :3], block)  # inputs untouched
        np.testing.assert_allclose(after[chrom][:, 3], numpy_combine(block, how), rtol=1e-6)
        assert np.isnan(after[chrom][:, 3]).sum() == np.isnan(block).all(axis=1).sum()
    with Genome(path) as genome:  # closed: statistics are current (no warning)
        for chrom in genome:
            col = after[chrom.name][:, 3]
            finite = col[np.isfinite(col)]
            assert chrom.num_datapoints[3] == len(finite)
            np.testing.assert_allclose(chrom.sums[3], finite.astype(np.float64).sum(), rtol=1e-6)
            assert chrom.maxs[3] == finite.max() and chrom.mins[3] == finite.min()


@pytest.mark.parametrize("closed", [True, False])
def test_statistics(tmp_path, closed):
    """Closed before: the new track's statistics are appended; dirty before: the
    chromosome is closed as close-data does. Either way, numpy's numbers."""
    path = _build(tmp_path, close=closed)
    combine_tracks(path, "new", ["a", "b"], how="mean")
    values, _ = _values(path)
    with Genome(path) as genome:  # no GenomedataDirtyWarning: everything is closed
        for chrom in genome:
            block = values[chrom.name]
            for col in range(4):
                finite = block[:, col][np.isfinite(block[:, col])].astype(np.float64)
                assert chrom.num_datapoints[col] == len(finite)
                np.testing.assert_allclose(chrom.sums[col], finite.sum(), rtol=1e-9)
                np.testing.assert_allclose(chrom.sums_squares[col], finite @ finite, rtol=1e-9)
                assert chrom.mins[col] == finite.min() and chrom.maxs[col] == finite.max()


def test_archive_as_the_reference_closes_it(tmp_path, reference):
    """Our combined archive == a copy into which the reference loaded the numpy
    combination and which the reference closed (data, statistics, chunk attributes)."""
    from genomedata._close_data import close_data as ref_close
    from genomedata._open_data import open_data as ref_open

    path = _build(tmp_path)
    copy = tmp_path / "ref.gd"
    shutil.copy(path, copy)
    combine_tracks(path, "sum", ["a", "b", "c"])
    values, _ = _values(copy)
    lines = []
    for chrom, block in values.items():
        combined = numpy_combine(block, "sum")
        for pos in np.flatnonzero(~np.isnan(combined)).tolist():
            lines.append(f"{chrom}\t{pos}\t{pos + 1}\t{float(combined[pos])!r}\n")
    bedgraph = tmp_path / "sum.bg"
    bedgraph.write_text("".join(lines))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref_open(str(copy), ["sum"], False)
        reference.load_data(copy, "sum", bedgraph)
        ref_close(str(copy))
    ours, theirs = reference.snapshot(path), reference.snapshot(copy)
    assert ours["tracknames"] == theirs["tracknames"] == ["a", "b", "c", "sum"]
    for chrom in SIZES:
        a, b = ours[chrom], theirs[chrom]
        np.testing.assert_array_equal(a["data"], b["data"])
        for stat in ("mins", "maxs", "num_datapoints"):
            np.testing.assert_array_equal(a[stat], b[stat])
        for stat in ("sums", "sums_squares"):  # the reference accumulates in float32
            np.testing.assert_allclose(a[stat], b[stat], rtol=1e-5)
        for (s1, e1), (s2, e2) in zip(a["chunks"], b["chunks"]):
            np.testing.assert_array_equal(s1, s2)
            np.testing.assert_array_equal(e1, e2)


def test_gaps_stay_nan(tmp_path, writer_mode):
    agp = tmp_path / "g.agp"
    agp.write_text("chr1\t1\t10000\t1\tW\tX1\t1\t10000\t+\n"
                   "chr1\t10001\t12000\t2\tN\t2000\tscaffold\tyes\tpaired-ends\n"
                   "chr1\t12001\t30000\t3\tW\tX2\t1\t18000\t+\n")
    path = tmp_path / "gap.gd"
    load_seq(path, [agp], mode=writer_mode, seqfile_type="agp")
    open_data(path, ["a", "b"])
    (tmp_path / "a.bg").write_text("chr1\t0\t10000\t1.5\nchr1\t12000\t30000\t2\n")
    (tmp_path / "b.bg").write_text("chr1\t5000\t10000\t1\nchr1\t20000\t21000\t-4\n")
    load_data(path, "a", tmp_path / "a.bg")
    load_data(path, "b", tmp_path / "b.bg")
    combine_tracks(path, "m", ["a", "b"], how="max")
    values, _ = _values(path)
    m = values["chr1"][:, 2]
    assert np.isnan(m[10000:12000]).all()
    assert (m[:10000] == 1.5).all() and (m[12000:30000] == 2).all()


def test_replace(tmp_path, capsys):
    from gdxarray.cli import combine_tracks as cli

    path = _build(tmp_path)
    assert cli.main([str(path), "s", "a", "b"]) == 0
    err = _error(capsys, cli, path, "s", "a", "b", "--how", "max")
    assert "already has a track named 's'" in err and "--replace" in err
    assert cli.main([str(path), "s", "a", "b", "--how", "min", "--replace"]) == 0
    values, names = _values(path)
    assert names == ["a", "b", "c", "s"]
    for block in values.values():
        np.testing.assert_array_equal(block[:, 3], numpy_combine(block[:, :2], "min"))


def _error(capsys, cli, *argv) -> str:
    assert cli.main([str(a) for a in argv]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("genomedata-combine-tracks: error: ")
    return err


def test_refusals(tmp_path, capsys):
    from gdxarray.cli import combine_tracks as cli

    path = _build(tmp_path, tracks=("a", "b"))
    assert "no track named 'bb' (did you mean 'b'?)" in _error(capsys, cli, path, "s", "a", "bb")
    assert "both an input and the output" in _error(capsys, cli, path, "a", "a", "b")
    with pytest.raises(TrackNotFoundError):
        combine_tracks(path, "s", ["zzz"])
    with pytest.raises(TrackExistsError):
        combine_tracks(path, "b", ["a"])
    with pytest.raises(ValueError, match="how must be one of"):
        combine_tracks(path, "s", ["a"], how="median")
    _, names = _values(path)
    assert names == ["a", "b"]  # nothing added by a refusal


def test_incomplete_input_refused(tmp_path):
    from gdxarray.store import HDF5_LOCK, Archive
    from gdxarray.writer._common import chrom_group, mark_incomplete

    path = _build(tmp_path, tracks=("a", "b"))
    arch = Archive(path, "r+")  # what a load that failed part-way on chr2 leaves
    with HDF5_LOCK:
        mark_incomplete(chrom_group(arch.chrom("chr2")), "b")
    arch.close()
    with pytest.raises(IncompleteTrackError, match="'b' into chr2"):
        combine_tracks(path, "s", ["a", "b"])
    with pytest.warns(GenomedataDirtyWarning, match="statistics are not updated"):
        combine_tracks(path, "s", ["a"])  # the complete input alone is combined
    values, _ = _values(path)
    np.testing.assert_array_equal(values["chr2"][:, 2], values["chr2"][:, 0])
