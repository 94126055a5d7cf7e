"""load_genomedata: the whole pipeline, atomic replacement, and the reference's steps."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from gdxarray.errors import GenomedataError, ParseError
from gdxarray.writer import load_genomedata

FASTA = ">chr1\n" + "ACGT" * 5000 + "\n>chr2\n" + "GGCCAATT" * 1000 + "\n"


def _inputs(tmp_path):
    fa = tmp_path / "g.fa"
    fa.write_text(FASTA)
    bg = tmp_path / "s.bedGraph"
    bg.write_text("chr1\t0\t100\t1.5\nchr1\t200\t300\t-2\nchr2\t10\t8000\t0.25\n")
    wig = tmp_path / "w.wig"
    wig.write_text("fixedStep chrom=chr2 start=1 step=1\n" + "\n".join(str(i / 8) for i in range(500)) + "\n")
    return fa, bg, wig


def _reference_steps(path, fa, tracks, mode, reference):
    """The reference's own steps: load-seq, open-data, C load-data, close-data."""
    seq = pytest.importorskip("genomedata._load_seq")
    opener = pytest.importorskip("genomedata._open_data")
    closer = pytest.importorskip("genomedata._close_data")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seq.load_seq(str(path), [str(fa)], mode=mode)
        opener.open_data(str(path), list(dict.fromkeys(n for n, _ in tracks)), False)
        for name, src in tracks:
            reference.load_data(path, name, src)
        closer.close_data(str(path))


def test_pipeline_matches_reference_steps(tmp_path, writer_mode, reference):
    fa, bg, wig = _inputs(tmp_path)
    tracks = [("signal", bg), ("wig", wig)]
    ours = tmp_path / "ours.gd"
    assert load_genomedata(ours, tracks, [fa], mode=writer_mode) == ours
    theirs = tmp_path / "theirs.gd"
    _reference_steps(theirs, fa, tracks, writer_mode, reference)
    assert ours.is_dir() == (writer_mode == "dir")
    reference.assert_equal(reference.snapshot(ours), reference.snapshot(theirs))
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_replaces_existing_output_and_takes_a_dict(tmp_path, writer_mode, reference):
    fa, bg, wig = _inputs(tmp_path)
    out = tmp_path / "out.gd"
    load_genomedata(out, {"only": bg}, [fa], mode=writer_mode)
    load_genomedata(out, {"a": bg, "b": wig}, [fa], mode=writer_mode, chunk_size=1000)
    snap = reference.snapshot(out)
    assert snap["tracknames"] == ["a", "b"]
    np.testing.assert_array_equal(snap["chr1"]["data"][:3, 0], [1.5] * 3)


def test_failure_leaves_output_as_it_was(tmp_path, writer_mode, reference):
    fa, bg, wig = _inputs(tmp_path)
    out = tmp_path / "out.gd"
    load_genomedata(out, [("s", bg)], [fa], mode=writer_mode)
    before = reference.snapshot(out)
    bad = tmp_path / "bad.bedGraph"
    bad.write_text("chr1\t0\t10\t1\nchr1\t5\t20\t2\n")
    with pytest.raises(ParseError, match=r"bad\.bedGraph:2: .*overlaps"):
        load_genomedata(out, [("s", bg), ("t", bad)], [fa], mode=writer_mode)
    reference.assert_equal(reference.snapshot(out), before)
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_default_mode_and_argument_errors(tmp_path):
    fa, bg, _ = _inputs(tmp_path)
    load_genomedata(tmp_path / "auto.gd", [("s", bg)], [fa])
    assert (tmp_path / "auto.gd").is_dir()  # 2 sequences < 100: directory
    with pytest.raises(GenomedataError, match="No sequence files"):
        load_genomedata(tmp_path / "x.gd", [("s", bg)], [])
    with pytest.raises(ParseError, match="missing.bg: cannot open track file"):
        load_genomedata(tmp_path / "x.gd", [("s", tmp_path / "missing.bg")], [fa])
    assert not (tmp_path / "x.gd").exists()


def test_mask_file(tmp_path, reference):
    fa, bg, _ = _inputs(tmp_path)
    mask = tmp_path / "m.bed"
    mask.write_text("chr1\t50\t250\n")
    load_genomedata(tmp_path / "m.gd", [("s", bg)], [fa], mode="file", maskfilename=mask)
    data = reference.snapshot(tmp_path / "m.gd")["chr1"]["data"][:, 0]
    assert np.isnan(data[:50]).all() and (data[50:100] == 1.5).all()
    assert np.isnan(data[100:200]).all() and (data[200:250] == -2).all() and np.isnan(data[250:]).all()
