"""plotGenomeTrack draws the dataset's values (checked against pyBigWig and the arrays)."""

from __future__ import annotations

import numpy as np
import pyBigWig
import pytest

matplotlib = pytest.importorskip("matplotlib", reason="matplotlib is not installed")
matplotlib.use("Agg")

from gdxarray.datasets import (  # noqa: E402
    Cover, GenomicIndexer, HeatTrack, LineTrack, SeqTrack, plotGenomeTrack,
)
from gdxarray.errors import GenomedataError  # noqa: E402


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GDXARRAY_OUTPUT", str(tmp_path / "cache"))


@pytest.fixture
def J(realdata):
    return realdata / "janggu"


def _bw(path, chrom, lo, hi):
    with pyBigWig.open(str(path)) as bw:
        return np.nan_to_num(np.array(bw.values(chrom, lo, hi), np.float64))


def test_line_track_is_the_signal_per_base(J):
    cover = Cover.create_from_bigwig("sig", str(J / "sample.bw"), roi=str(J / "sample.bed"),
                                     binsize=200, resolution=50)
    fig = plotGenomeTrack(cover, "chr1", 15000, 16000)
    assert isinstance(fig, matplotlib.figure.Figure)
    # title, side bar, one line axis
    assert len(fig.axes) == 3
    assert fig.axes[0].get_title() == "chr1"
    assert [t.get_text() for t in fig.axes[1].get_yticklabels()] == ["sig"]
    (line,) = fig.axes[2].get_lines()
    x, y = line.get_xdata(), line.get_ydata()
    np.testing.assert_array_equal(x, np.arange(1000))
    # 50 bp means of the raw values, spread back over their bases
    expect = np.repeat(_bw(J / "sample.bw", "chr1", 15000, 16000).reshape(-1, 50).mean(1), 50)
    np.testing.assert_allclose(y, expect, rtol=1e-6)


def test_minus_strand_windows_go_back_to_genome_order(J):
    # chr2 of sample.bed is a '-' region: ds[i] is reversed, the plot is not
    cover = Cover.create_from_bigwig("sig", str(J / "sample.bw"), roi=str(J / "sample.bed"),
                                     binsize=200, resolution=1)
    fig = plotGenomeTrack([cover], "chr2", 15000, 15400)
    y = fig.axes[2].get_lines()[0].get_ydata()
    np.testing.assert_allclose(y, _bw(J / "sample.bw", "chr2", 15000, 15400), rtol=1e-6)


def test_predictions_and_labels_heat_and_gaps(J):
    gi = GenomicIndexer.create_from_file(str(J / "sample.bed"), 200, 200)
    rng = np.random.default_rng(1)
    pred = rng.random((len(gi), 4, 1, 2)).astype(np.float32)
    cover = Cover.create_from_array("pred", pred, gi, conditions=["a", "b"])
    fig = plotGenomeTrack([cover, cover], "chr1", 14800, 15400,
                          plottypes=["line", "heatmap"], figsize=(6, 4))
    # title, (bar + 2 condition axes), (bar + heat axis)
    assert len(fig.axes) == 6
    first = gi.order(np.arange(len(gi)))
    i0 = int(np.flatnonzero((gi.chrs[first] == "chr1") & (gi.starts[first] == 15000))[0])
    i1 = int(np.flatnonzero((gi.chrs[first] == "chr1") & (gi.starts[first] == 15200))[0])
    want_a = np.repeat(np.concatenate([pred[i0, :, 0, 0], pred[i1, :, 0, 0]]), 50)
    line_a = fig.axes[2].get_lines()[0]
    # no window before 15000: those bases are not drawn
    np.testing.assert_array_equal(line_a.get_xdata(), np.arange(200, 600))
    np.testing.assert_allclose(line_a.get_ydata(), want_a, rtol=1e-6)
    np.testing.assert_allclose(fig.axes[3].get_lines()[0].get_ydata(),
                               np.repeat(np.concatenate([pred[i0, :, 0, 1],
                                                         pred[i1, :, 0, 1]]), 50), rtol=1e-6)
    heat = fig.axes[5].collections[0].get_array()
    assert heat.shape == (2, 600)
    assert heat.mask[:, :200].all() and not heat.mask[:, 200:].any()
    np.testing.assert_allclose(heat[0, 200:], want_a, rtol=1e-6)
    assert [t.get_text() for t in fig.axes[5].get_yticklabels()] == ["a", "b"]


def test_seq_track_stacks_letter_scores(J, tmp_path):
    gi = GenomicIndexer.create_from_file(str(J / "sample.bed"), 200, 200)
    scores = np.random.default_rng(2).random((len(gi), 200, 1, 4)).astype(np.float32)
    attr = Cover.create_from_array("attr", scores, gi, conditions=list("ACGT"))
    fig = plotGenomeTrack(SeqTrack(attr), "chr1", 15000, 15200)
    bars = fig.axes[2].containers
    assert [b.get_label() for b in bars] == list("ACGT")
    i0 = int(np.flatnonzero((gi.chrs == "chr1") & (gi.starts == 15000))[0])
    row = gi.order(np.arange(len(gi))).tolist().index(i0)
    heights = np.array([[r.get_height() for r in b] for b in bars]).T
    np.testing.assert_allclose(heights, scores[row, :, 0, :], rtol=1e-6)
    fig.savefig(tmp_path / "seq.png")
    assert (tmp_path / "seq.png").stat().st_size > 1000
    bad = Cover.create_from_array("x", scores, gi, conditions=list("wxyz"))
    with pytest.raises(GenomedataError, match="DNA letters"):
        plotGenomeTrack(SeqTrack(bad), "chr1", 15000, 15200)


def test_stranded_lines_and_bad_arguments(J):
    gi = GenomicIndexer.create_from_file(str(J / "sample.bed"), 200, 200)
    arr = np.random.default_rng(3).random((len(gi), 4, 2, 1)).astype(np.float32)
    cover = Cover.create_from_array("st", arr, gi)
    fig = plotGenomeTrack(LineTrack(cover), "chr1", 15000, 15200)
    plus, minus = fig.axes[2].get_lines()
    i0 = int(np.flatnonzero((gi.chrs == "chr1") & (gi.starts == 15000))[0])
    row = gi.order(np.arange(len(gi))).tolist().index(i0)
    np.testing.assert_allclose(plus.get_ydata(), np.repeat(arr[row, :, 0, 0], 50), rtol=1e-6)
    np.testing.assert_allclose(minus.get_ydata(), np.repeat(arr[row, :, 1, 0], 50), rtol=1e-6)
    assert HeatTrack(cover).height == 3
    with pytest.raises(GenomedataError, match="plottypes"):
        plotGenomeTrack([cover], "chr1", 0, 10, plottypes=["line", "line"])
    with pytest.raises(GenomedataError, match="unknown plottype"):
        plotGenomeTrack([cover], "chr1", 0, 10, plottypes=["pie"])
