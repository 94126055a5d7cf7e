"""load-data: values against numpy and against the reference's C loader; every
validation error; nothing lost after a failure."""

from __future__ import annotations

import io
import shutil
import sys
import warnings

import numpy as np
import pytest
import tables

from gdxarray import format as fmt
from gdxarray.errors import GenomedataError, IncompleteTrackError, ParseError, TrackNotOpenError
from gdxarray.writer import close_data, erase_data, load_data, load_seq, open_data

SIZES = {"chr1": 60_000, "chr2": 25_000, "chr10": 1_000}


def _sizes_archive(tmp_path, mode, sizes=SIZES, tracks=("a", "b"), name="g.gd"):
    src = tmp_path / f"{name}.sizes"
    src.write_text("".join(f"{c}\t{n}\n" for c, n in sizes.items()))
    path = tmp_path / name
    load_seq(path, [src], mode=mode, seqfile_type="sizes")
    if tracks:
        open_data(path, list(tracks))
    return path


def _agp_archive(tmp_path, mode, name="gap.gd"):
    """chr1 = [0, 1000) + gap [1000, 1100) + [1100, 3000)."""
    agp = tmp_path / f"{name}.agp"
    agp.write_text("chr1\t1\t1000\t1\tW\tX1\t1\t1000\t+\n"
                   "chr1\t1001\t1100\t2\tN\t100\tscaffold\tyes\tpaired-ends\n"
                   "chr1\t1101\t3000\t3\tW\tX2\t1\t1900\t+\n")
    path = tmp_path / name
    load_seq(path, [agp], mode=mode, seqfile_type="agp")
    open_data(path, ["a", "b"])
    return path


def _read(path, chrom, col):
    """A chromosome's column (NaN in gaps), read with plain PyTables."""
    files = [path] if path.is_file() else [path / f"{chrom}.genomedata"]
    with tables.open_file(str(files[0])) as h5:
        group = h5.get_node(f"/{chrom}") if path.is_file() else h5.root
        out = np.full(int(group._v_attrs.end), np.nan, np.float32)
        for sc in group._f_iter_nodes("Group"):
            out[int(sc._v_attrs.start):int(sc._v_attrs.end)] = sc.continuous[:, col]
        return out


def _attr(path, chrom, name):
    files = [path] if path.is_file() else [path / f"{chrom}.genomedata"]
    with tables.open_file(str(files[0])) as h5:
        group = h5.get_node(f"/{chrom}") if path.is_file() else h5.root
        return group._v_attrs[name] if name in group._v_attrs._v_attrnames else None


def _bedgraph(path, rows):
    path.write_text("".join(f"{c}\t{s}\t{e}\t{v}\n" for c, s, e, v in rows))
    return path


# -- values -------------------------------------------------------------------
def _random_inputs(tmp_path, rng):
    """A bedGraph (with gaps between intervals), a fixedStep and a variableStep wig."""
    rows, truth = [], {c: np.full(n, np.nan, np.float32) for c, n in SIZES.items()}
    for chrom in ("chr1", "chr2"):
        pos = 0
        while True:
            pos += int(rng.integers(0, 40))
            end = pos + int(rng.integers(1, 300))
            if end > SIZES[chrom]:
                break
            value = float(np.float32(round(float(rng.normal()), 3)))
            rows.append((chrom, pos, end, value))
            truth[chrom][pos:end] = value
            pos = end
    bg = _bedgraph(tmp_path / "t.bedGraph", rows)
    fixed_truth = np.full(SIZES["chr1"], np.nan, np.float32)
    values = np.round(rng.normal(size=5000), 3).astype(np.float32)
    lines = ["fixedStep chrom=chr1 start=20001 step=3 span=2"]
    for k, v in enumerate(values):
        lines.append(repr(float(v)))
        fixed_truth[20000 + 3 * k:20000 + 3 * k + 2] = v
    fixed = tmp_path / "t.wigFix"
    fixed.write_text("\n".join(lines) + "\n")
    var_truth = np.full(SIZES["chr2"], np.nan, np.float32)
    lines = ["variableStep chrom=chr2 span=4"]
    for pos in range(1, 24_000, 7):
        v = np.float32(pos % 97 / 10)
        lines.append(f"{pos}\t{float(v)!r}")
        var_truth[pos - 1:pos + 3] = v
    var = tmp_path / "t.wigVar"
    var.write_text("\n".join(lines) + "\n")
    return (bg, truth), (fixed, fixed_truth), (var, var_truth)


def test_values_match_numpy_and_reference(tmp_path, writer_mode, reference):
    rng = np.random.default_rng(0)
    (bg, bg_truth), (fixed, fixed_truth), (var, var_truth) = _random_inputs(tmp_path, rng)
    base = _sizes_archive(tmp_path, writer_mode, tracks=("bg", "fix", "var"))
    theirs = tmp_path / "theirs.gd"
    if base.is_dir():
        shutil.copytree(base, theirs)
    else:
        shutil.copy(base, theirs)
    for name, src in (("bg", bg), ("fix", fixed), ("var", var)):
        load_data(base, name, src)
        reference.load_data(theirs, name, src)
    np.testing.assert_array_equal(_read(base, "chr1", 0), bg_truth["chr1"])
    np.testing.assert_array_equal(_read(base, "chr2", 0), bg_truth["chr2"])
    np.testing.assert_array_equal(_read(base, "chr1", 1), fixed_truth)
    np.testing.assert_array_equal(_read(base, "chr2", 2), var_truth)
    close_data(base)
    genomedata = pytest.importorskip("genomedata._close_data")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        genomedata.close_data(str(theirs))
    reference.assert_equal(reference.snapshot(base), reference.snapshot(theirs))
    # statistics against numpy (float64 accumulation)
    data = bg_truth["chr1"][np.isfinite(bg_truth["chr1"])].astype(np.float64)
    assert _attr(base, "chr1", "num_datapoints")[0] == len(data)
    np.testing.assert_allclose(_attr(base, "chr1", "sums")[0], data.sum(), rtol=1e-9)
    np.testing.assert_allclose(_attr(base, "chr1", "sums_squares")[0], (data ** 2).sum(), rtol=1e-9)
    assert _attr(base, "chr1", "mins")[0] == data.min()
    assert _attr(base, "chr10", "mins").tolist() == [np.inf] * 3
    assert _attr(base, "chr10", "num_datapoints").dtype == np.int64


def test_unsorted_input_and_reappearing_chromosome(tmp_path, writer_mode):
    path = _sizes_archive(tmp_path, writer_mode)
    rows = [("chr1", 50_000, 50_010, 1), ("chr2", 5, 10, 2), ("chr1", 100, 200, 3),
            ("chr1", 30_000, 45_000, 4), ("chr2", 0, 5, 5), ("chr1", 0, 100, 6)]
    load_data(path, "b", _bedgraph(tmp_path / "u.bg", rows))
    truth = {c: np.full(n, np.nan, np.float32) for c, n in SIZES.items()}
    for c, s, e, v in rows:
        truth[c][s:e] = v
    for chrom in ("chr1", "chr2", "chr10"):
        np.testing.assert_array_equal(_read(path, chrom, 1), truth[chrom])
        assert np.isnan(_read(path, chrom, 0)).all()
    assert _attr(path, "chr1", fmt.ATTR_INCOMPLETE) is None
    assert bool(_attr(path, "chr1", "dirty"))


def test_loading_again_paints_over(tmp_path, writer_mode):
    path = _sizes_archive(tmp_path, writer_mode)
    load_data(path, "a", _bedgraph(tmp_path / "1.bg", [("chr1", 0, 30_000, 1.0)]))
    close_data(path)
    assert not bool(_attr(path, "chr1", "dirty"))
    load_data(path, "a", _bedgraph(tmp_path / "2.bg", [("chr1", 10_000, 10_010, 2.0),
                                                       ("chr1", 20_000, 40_000, "nan")]))
    # loading marks the archive dirty, so statistics are never stale
    assert bool(_attr(path, "chr1", "dirty"))
    values = _read(path, "chr1", 0)
    expected = np.full(SIZES["chr1"], np.nan, np.float32)
    expected[:20_000] = 1.0
    expected[10_000:10_010] = 2.0
    np.testing.assert_array_equal(values, expected)


def test_nan_in_gap_is_fine_values_are_not(tmp_path, writer_mode):
    path = _agp_archive(tmp_path, writer_mode)
    load_data(path, "a", _bedgraph(tmp_path / "ok.bg", [("chr1", 990, 1110, "nan"),
                                                        ("chr1", 1110, 1120, 5)]))
    values = _read(path, "chr1", 0)
    assert np.isnan(values[:1110]).all() and (values[1110:1120] == 5).all()
    with pytest.raises(ParseError, match=r"bad\.bg:2: interval chr1:995-1005 with value 7 .*"
                                         r"gap chr1:1000-1100"):
        load_data(path, "b", _bedgraph(tmp_path / "bad.bg", [("chr1", 0, 10, 1),
                                                             ("chr1", 995, 1005, 7)]))
    with pytest.raises(ParseError, match=r"gap chr1:1000-1100"):
        load_data(path, "b", _bedgraph(tmp_path / "bad2.bg", [("chr1", 1050, 1200, 7)]))


def test_mask_keeps_only_masked_regions(tmp_path, writer_mode):
    path = _sizes_archive(tmp_path, writer_mode)
    mask = tmp_path / "mask.bed"
    mask.write_text("chr1\t100\t200\nchr1\t150\t300\nchr1\t300\t310\nchr1\t1000\t1010\n")
    data = _bedgraph(tmp_path / "d.bg", [("chr1", 0, 250, 1), ("chr1", 250, 2000, 2),
                                         ("chr2", 0, 100, 3)])
    load_data(path, "a", data, maskfile=mask)
    expected = np.full(SIZES["chr1"], np.nan, np.float32)
    expected[100:250] = 1
    expected[250:310] = 2
    expected[1000:1010] = 2
    np.testing.assert_array_equal(_read(path, "chr1", 0), expected)
    assert np.isnan(_read(path, "chr2", 0)).all()


def test_file_object_stdin_and_progress(tmp_path, writer_mode, monkeypatch, capsys):
    path = _sizes_archive(tmp_path, writer_mode)
    text = b"chr1\t0\t10\t1\nchr2\t0\t10\t2\n"
    load_data(path, "a", io.BytesIO(text))
    assert (_read(path, "chr2", 0)[:10] == 2).all()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"chr10\t5\t6\t9\n")))
    load_data(path, "b", "-")
    assert _read(path, "chr10", 1)[5] == 9
    seen = []
    src = _bedgraph(tmp_path / "p.bg", [("chr1", i * 10, i * 10 + 5, i) for i in range(2000)])
    load_data(path, "b", src, progress=seen.append, verbose=True)
    assert seen and seen == sorted(seen) and seen[-1] == src.stat().st_size
    assert "load-data b" in capsys.readouterr().err


# -- errors -------------------------------------------------------------------
def _assert_intact(path, writer_mode):
    """The archive opens, and track a (loaded before the failure) is unchanged."""
    values = _read(path, "chr1", 0)
    assert (values[:100] == 1).all() and np.isnan(values[100:]).all()


@pytest.mark.parametrize("rows, message", [
    ([("chrZ", 0, 10, 1)], r"e\.bg:1: chromosome 'chrZ' is not in the archive"),
    ([("chr1", 0, 10, 1), ("chr10", 990, 1001, 1)],
     r"e\.bg:2: interval chr10:990-1001 extends past the end of chr10 \(1000 bp\)"),
    ([("chr1", 0, 10, 1), ("chr1", 5, 20, 1)],
     r"e\.bg:2: interval chr1:5-20 overlaps chr1:0-10 \(line 1\)"),
    ([("chr1", 50, 60, 1), ("chr1", 0, 10, 1), ("chr1", 5, 8, 2)],
     r"e\.bg:3: interval chr1:5-8 overlaps chr1:0-10 \(line 2\)"),
    ([("chr1", 0, 10, 1), ("chr2", 0, 10, 1), ("chr1", 9, 12, 1)],
     r"e\.bg:3: interval chr1:9-12 overlaps data loaded earlier at chr1:0-10"),
    ([("chr1", 10, 10, 1)], r"e\.bg:1: interval chr1:10-10 has start >= end"),
])
def test_bad_input_is_an_error_and_nothing_is_lost(tmp_path, writer_mode, rows, message):
    path = _sizes_archive(tmp_path, writer_mode)
    load_data(path, "a", _bedgraph(tmp_path / "a.bg", [("chr1", 0, 100, 1)]))
    close_data(path)
    with pytest.raises(ParseError, match=message):
        load_data(path, "b", _bedgraph(tmp_path / "e.bg", rows), strict_chromosomes=True)
    _assert_intact(path, writer_mode)


def test_failure_marks_touched_chromosomes_incomplete(tmp_path, writer_mode, reference):
    path = _sizes_archive(tmp_path, writer_mode)
    load_data(path, "a", _bedgraph(tmp_path / "a.bg", [("chr1", 0, 100, 1)]))
    close_data(path)
    rows = [("chr2", 0, 10, 4), ("chr1", 0, 10, 1), ("chr1", 5, 20, 1)]
    with pytest.raises(ParseError):
        load_data(path, "b", _bedgraph(tmp_path / "e.bg", rows))
    _assert_intact(path, writer_mode)
    # chr2 was written before the error: marked; chr1 was not written at all
    assert [v.decode() for v in _attr(path, "chr2", fmt.ATTR_INCOMPLETE)] == ["b"]
    assert _attr(path, "chr1", fmt.ATTR_INCOMPLETE) is None
    assert bool(_attr(path, "chr2", "dirty"))
    with pytest.raises(IncompleteTrackError, match=r"track\(s\) b into chr2.*genomedata-erase-data"):
        close_data(path)
    assert bool(_attr(path, "chr2", "dirty"))
    assert not bool(_attr(path, "chr1", "dirty"))
    erase_data(path, "b")
    assert _attr(path, "chr2", fmt.ATTR_INCOMPLETE) is None
    close_data(path)
    snap = reference.snapshot(path)
    assert np.isnan(snap["chr2"]["data"][:, 1]).all()
    assert (snap["chr1"]["data"][:100, 0] == 1).all()


@pytest.mark.parametrize("how", [{}, {"skip_unknown_chroms": True}])
def test_unknown_chromosomes_are_skipped_with_one_warning_line(tmp_path, writer_mode, capsys,
                                                                how, reference):
    # as the reference: whole-genome tracks loaded into an archive of a few chromosomes
    path = _sizes_archive(tmp_path, writer_mode)
    rows = [("chrZ", 0, 10, 1), ("chr1", 0, 10, 2), ("chrZ", 20, 30, 1), ("chrQ", 0, 1, 1)]
    summary = load_data(path, "a", _bedgraph(tmp_path / "s.bg", rows), **how)
    assert summary.skipped == {"chrQ": 1, "chrZ": 2} and summary.skipped_lines == 3
    assert summary.chromosomes == ["chr1"]
    err = capsys.readouterr().err.splitlines()
    assert err == ["load-data a: warning: skipped 3 line(s) on chromosome(s) not in the "
                   "archive: chrQ (1), chrZ (2)"]
    assert (_read(path, "chr1", 0)[:10] == 2).all()
    close_data(path)
    # the reference's loader skips the same lines (silently) and stores the same values
    (tmp_path / "ref").mkdir()
    theirs = _sizes_archive(tmp_path / "ref", writer_mode)
    reference.load_data(theirs, "a", tmp_path / "s.bg")
    close_data(theirs)
    reference.assert_equal(reference.snapshot(path), reference.snapshot(theirs))


def test_strict_chromosomes_makes_unknown_chromosomes_an_error(tmp_path, writer_mode):
    path = _sizes_archive(tmp_path, writer_mode)
    rows = [("chr1", 0, 10, 2), ("chrZ", 0, 10, 1)]
    with pytest.raises(ParseError, match=r"s\.bg:2: chromosome 'chrZ' is not in the archive"):
        load_data(path, "a", _bedgraph(tmp_path / "s.bg", rows), strict_chromosomes=True)
    with pytest.raises(GenomedataError, match="contradict"):
        load_data(path, "a", _bedgraph(tmp_path / "s.bg", rows), strict_chromosomes=True,
                  skip_unknown_chroms=True)


def test_track_must_be_open(tmp_path, writer_mode):
    path = _sizes_archive(tmp_path, writer_mode)
    with pytest.raises(TrackNotOpenError, match="genomedata-open-data .* --tracknames nope"):
        load_data(path, "nope", _bedgraph(tmp_path / "x.bg", [("chr1", 0, 1, 1)]))


# -- cost follows the input ---------------------------------------------------
def test_small_track_on_large_genome_touches_only_its_chunks(tmp_path):
    path = _sizes_archive(tmp_path, "file", sizes={"chrBig": 100_000_000}, tracks=("t",))
    rng = np.random.default_rng(3)
    starts = np.sort(rng.choice(99_999_000 // 50, size=1000, replace=False)) * 50
    rows = [("chrBig", int(s), int(s) + 20, 1.5) for s in starts]
    load_data(path, "t", _bedgraph(tmp_path / "small.bg", rows))
    with tables.open_file(str(path)) as h5:
        earray = h5.root.chrBig.supercontig_0.continuous
        rows_per_chunk = earray.chunkshape[0]
        expected = set((starts // rows_per_chunk).tolist()) | set(((starts + 19) // rows_per_chunk).tolist())
        written = {k for k in expected if earray.chunk_info((k * rows_per_chunk, 0)).offset is not None}
        assert written == expected
        # and nothing else: spot-check every 97th chunk
        others = [k for k in range(0, earray.nrows // rows_per_chunk, 97) if k not in expected]
        assert all(earray.chunk_info((k * rows_per_chunk, 0)).offset is None for k in others)
    assert path.stat().st_size < 5_000_000


# -- real data ------------------------------------------------------------------
DUKE = "wgEncodeDukeDNaseSeqBaseOverlapSignalK562V2"


@pytest.mark.parametrize("name", [f"{DUKE}.bedGraph", f"{DUKE}.bed", f"{DUKE}.wigVar",
                                  f"{DUKE}.dos.bedGraph", f"{DUKE}.dos.bed", f"{DUKE}.dos.wigVar"])
def test_real_tiny_formats(tmp_path, realdata, reference, name):
    path = _sizes_archive(tmp_path, "dir", sizes={"chr1": 1000, "chr2": 100, "chr10": 200},
                          tracks=("t",))
    load_data(path, "t", realdata / "genomedata" / name)
    close_data(path)
    snap = reference.snapshot(path)
    chr1 = snap["chr1"]["data"][:, 0]
    np.testing.assert_array_equal(chr1[155:168], [0] + [1] * 11 + [0])
    if "wigVar" in name:  # 1-based positions, span 1
        assert np.isfinite(chr1).sum() == 14 and snap["chr10"]["data"][99, 0] == 0
    else:
        assert np.isfinite(chr1).sum() == 190 and np.isfinite(snap["chr10"]["data"]).sum() == 100
    assert snap["chr2"]["data"][0, 0] == 0 and snap["chr2"]["num_datapoints"][0] == 1
    # the reference's C loader agrees, given a final newline (it aborts without one)
    fixed = tmp_path / "with_newline.txt"
    text = (realdata / "genomedata" / name).read_bytes()
    fixed.write_bytes(text if text.endswith(b"\n") else text + b"\n")
    theirs = _sizes_archive(tmp_path, "dir", sizes={"chr1": 1000, "chr2": 100, "chr10": 200},
                            tracks=("t",), name="theirs.gd")
    reference.load_data(theirs, "t", fixed)
    close_data(theirs)
    reference.assert_equal(snap, reference.snapshot(theirs))


def test_real_fasta_and_wigfix_like_reference_tests(tmp_path, realdata, writer_mode, reference):
    data = realdata / "genomedata"
    path = tmp_path / "g.gd"
    load_seq(path, [data / "chr1.short.fa", data / "chrY.short.fa.gz"], mode=writer_mode)
    names = ["placental", "primate", "vertebrate"]
    open_data(path, names)
    for name in names:
        load_data(path, name, data / f"chr1.phyloP44way.{name}.short.wigFix")
    close_data(path)
    snap = reference.snapshot(path)
    assert snap["chr1"]["end"] == 24950
    assert snap["chr1"]["seq"][:20].lower() == b"taaccctaaccctaacccta"
    np.testing.assert_array_equal(snap["chr1"]["data"][290], np.float32([-2.297, -2.327, -2.320]))
    np.testing.assert_array_equal(snap["chr1"]["data"][305:310, 1],
                                  np.float32([-2.653, 0.372, 0.372, 0.372, 0.371]))


def test_real_gerp_into_hg19_sizes(tmp_path, realdata, reference):
    path = tmp_path / "hg19.gd"
    load_seq(path, [realdata / "debian_bedtools" / "human.hg19.genome"], seqfile_type="sizes",
             mode="file")
    open_data(path, ["gerp"])
    summary = load_data(path, "gerp", realdata / "debian_bedtools" / "gerp.chr1.bed.gz")
    assert summary.lines == 88_292 and summary.chromosomes == ["chr1"]
    close_data(path)
    with tables.open_file(str(path)) as h5:
        attrs = h5.root.chr1._v_attrs
        earray = h5.root.chr1.supercontig_0.continuous
        assert earray[13219, 0] == np.float32(4.21522e-07) and np.isnan(earray[13218, 0])
        assert attrs.num_datapoints[0] > 0 and not attrs.dirty


def test_real_macs_bedgraph(tmp_path, realdata):
    path = tmp_path / "hg19.gd"
    load_seq(path, [realdata / "macs3" / "hg19.len"], seqfile_type="sizes", mode="dir")
    open_data(path, ["pileup"])
    src = realdata / "macs3" / "run_callpeak_narrow0_treat_pileup.bdg"
    load_data(path, "pileup", src)
    close_data(path)
    table = np.loadtxt(src, dtype=str)
    starts, ends = table[:, 1].astype(np.int64), table[:, 2].astype(np.int64)
    truth = np.full(51_304_566, np.nan, np.float32)
    truth[:ends[-1]] = np.repeat(table[:, 3].astype(np.float32), ends - starts)
    np.testing.assert_array_equal(_read(path, "chr22", 0), truth)
    finite = truth[np.isfinite(truth)].astype(np.float64)
    assert _attr(path, "chr22", "num_datapoints")[0] == len(finite)
    np.testing.assert_allclose(_attr(path, "chr22", "sums")[0], finite.sum(), rtol=1e-9)


def test_real_bigwig_equals_its_bedgraph(tmp_path, realdata):
    pytest.importorskip("pyBigWig")
    data = realdata / "pygenometracks"
    path = _sizes_archive(tmp_path, "file", sizes={"chrX": 22_422_827}, tracks=("bw", "bg"))
    load_data(path, "bw", data / "bigwig_chrx_2e6_5e6.bw")
    load_data(path, "bg", data / "bedgraph_chrx_2e6_5e6.bg")
    np.testing.assert_array_equal(_read(path, "chrX", 0), _read(path, "chrX", 1))
    assert np.isfinite(_read(path, "chrX", 0)).sum() > 1000


# --- progress on a terminal ------------------------------------------------------------------

class _FakeTerminal:
    def __init__(self) -> None:
        self.text = ""

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def test_progress_redraws_one_line_on_a_terminal(monkeypatch):
    from gdxarray.writer._common import Progress

    term = _FakeTerminal()
    monkeypatch.setattr("sys.stderr", term)
    monkeypatch.delenv("GDXARRAY_PROGRESS", raising=False)
    progress = Progress("load-data t", 3_000_000, None, verbose=False, every=0.0)
    assert progress.active and progress.tty
    progress.add(1_000_000)
    progress.add(2_000_000)
    progress.finish()
    lines = term.text.split("\r")[1:]
    assert lines[0].startswith("load-data t: 1.0 of 3.0 MB read")
    assert lines[1].startswith("load-data t: 3.0 of 3.0 MB read")
    assert term.text.endswith("done\n") and term.text.count("\n") == 1
    monkeypatch.setenv("GDXARRAY_PROGRESS", "0")
    assert not Progress("x", None, None, verbose=False).active


def test_dense_fixedstep_runs_paint_over_existing_values(tmp_path):
    """fixedStep runs (the slice-copy fast path) starting and ending mid-chunk, onto
    a track that already has data, in both orders, equal a numpy model."""
    from gdxarray import Genome
    from gdxarray.writer import load_data, load_seq, open_data

    sizes = tmp_path / "g.sizes"
    sizes.write_text("chrA\t35000\n")
    arch = tmp_path / "g.genomedata"
    load_seq(str(arch), [str(sizes)], mode="file", seqfile_type="sizes")
    open_data(str(arch), ["t"], chunk_size=1000)
    model = np.full(35_000, np.nan, np.float32)
    rng = np.random.default_rng(5)
    first = tmp_path / "first.bedGraph"
    first.write_text("chrA\t0\t35000\t-1\n")
    load_data(str(arch), "t", str(first))
    model[:] = -1
    runs = [(12_345, 3_210), (250, 1_700), (20_000, 1_000), (30_999, 4_001)]
    wig = tmp_path / "runs.wig"
    with open(wig, "w") as fh:
        for start, length in runs:  # not in coordinate order: chrA reappears out of order
            values = rng.normal(size=length).astype(np.float32).round(3)
            fh.write(f"fixedStep chrom=chrA start={start + 1} step=1\n")
            fh.write("\n".join(f"{v:.3f}" for v in values) + "\n")
            model[start:start + length] = values
    load_data(str(arch), "t", str(wig))
    with Genome(str(arch)) as genome, pytest.warns(Warning):
        got = genome["chrA"][0:35_000, "t"]
    np.testing.assert_array_equal(got, model)


# -- dense arrays ---------------------------------------------------------------
def test_write_arrays_paints_pieces_in_any_order(tmp_path, writer_mode):
    from gdxarray.writer import write_arrays

    path = _agp_archive(tmp_path, writer_mode)
    rng = np.random.default_rng(7)
    truth = np.full(3000, np.nan, np.float32)
    truth[:1000] = rng.normal(size=1000)
    truth[1100:] = rng.normal(size=1900)
    # out of order, overlapping (the later piece wins), NaN across the gap
    pieces = [("chr1", 1100, truth[1100:3000]), ("chr1", 0, np.zeros(1000, np.float32)),
              ("chr1", 0, truth[0:1500])]
    summary = write_arrays(path, "b", pieces)
    assert summary.chromosomes == ["chr1"] and summary.dropped == 0
    np.testing.assert_array_equal(_read(path, "chr1", 1), truth)
    assert np.isnan(_read(path, "chr1", 0)).all()  # the other track untouched
    assert _attr(path, "chr1", fmt.ATTR_DIRTY)
    assert _attr(path, "chr1", fmt.ATTR_INCOMPLETE) is None


def test_write_arrays_refuses_values_in_gaps_or_drops_them(tmp_path, writer_mode):
    from gdxarray.errors import GenomedataError
    from gdxarray.writer import write_arrays

    path = _agp_archive(tmp_path, writer_mode)
    values = np.arange(3000, dtype=np.float32)
    with pytest.raises(GenomedataError, match=r"chr1:1000 lies in an assembly gap"):
        write_arrays(path, "a", [("chr1", 0, values)])
    summary = write_arrays(path, "a", [("chr1", 0, values)], in_gaps="drop")
    assert summary.dropped == 100 and summary.values == 2900
    expect = values.copy()
    expect[1000:1100] = np.nan
    np.testing.assert_array_equal(_read(path, "chr1", 0), expect)
    with pytest.raises(GenomedataError, match="outside chr1"):
        write_arrays(path, "a", [("chr1", 2990, np.ones(20))])
    with pytest.raises(TrackNotOpenError):
        write_arrays(path, "nope", [("chr1", 0, np.ones(2))])


# -- statistics gathered while writing (ArrayWriter(stats=True)) ----------------------
def test_write_arrays_stats_are_close_datas_numbers(tmp_path, writer_mode):
    """Exact chromosomes only: stats equal numpy over what was stored, and close_archive
    given them writes what a full rescan writes."""
    from gdxarray.writer import close_archive, close_data, write_arrays
    from gdxarray.writer._common import open_for_writing
    from gdxarray.writer._stats import TrackStats

    path = _agp_archive(tmp_path, writer_mode)
    rng = np.random.default_rng(21)
    values = rng.normal(size=3000).astype(np.float32)
    values[rng.random(3000) < 0.2] = np.nan
    values[1000:1100] = np.nan  # the gap
    # in order, not overlapping, into an empty track: exact
    pieces = [("chr1", 0, values[:700]), ("chr1", 700, values[700:3000])]
    summary = write_arrays(path, "a", pieces, stats=True)
    st = summary.stats["chr1"]
    assert isinstance(st, TrackStats)
    kept = values[np.isfinite(values)].astype(np.float64)
    assert st.count == len(kept) and st.min == kept.min() and st.max == kept.max()
    np.testing.assert_allclose([st.sum, st.sum_squares], [kept.sum(), (kept ** 2).sum()],
                               rtol=1e-12)
    # presence runs (supercontig-relative) are exactly the finite rows
    rows0 = np.zeros(1000, bool)
    for a, b in zip(*st.present(0)):
        rows0[a:b] = True
    np.testing.assert_array_equal(rows0, np.isfinite(values[:1000]))
    # overlapping pieces, a revisit, or a track holding data already: no statistics
    again = write_arrays(path, "a", [("chr1", 0, values[:10])], stats=True)
    assert again.stats == {}
    overlap = write_arrays(path, "b", [("chr1", 0, values[:20]), ("chr1", 10, values[:5])],
                           stats=True)
    assert overlap.stats == {}

    # close with the known numbers == close by rescanning
    fresh = _agp_archive(tmp_path, writer_mode, name="fresh.gd")
    known = write_arrays(fresh, "a", pieces, stats=True).stats
    write_arrays(fresh, "b", [("chr1", 1500, values[1500:1600])])  # scanned as usual
    with open_for_writing(fresh) as archive:
        close_archive(archive, known={"chr1": {"a": known["chr1"]}})
    lifted = {n: _attr(fresh, "chr1", n) for n in ("mins", "maxs", "sums", "sums_squares",
                                                   "num_datapoints")}
    with tables.open_file(str(fresh if fresh.is_file() else fresh / "chr1.genomedata")) as h5:
        group = h5.get_node("/chr1") if fresh.is_file() else h5.root
        chunks = [(sc._v_attrs.chunk_starts.tolist(), sc._v_attrs.chunk_ends.tolist())
                  for sc in group._f_iter_nodes("Group")]
    with tables.open_file(str(fresh if fresh.is_file() else fresh / "chr1.genomedata"),
                          "r+") as h5:
        (h5.get_node("/chr1") if fresh.is_file() else h5.root)._v_attrs.dirty = True
    close_data(fresh)
    for name, value in lifted.items():
        np.testing.assert_allclose(_attr(fresh, "chr1", name), value, rtol=1e-12)
    with tables.open_file(str(fresh if fresh.is_file() else fresh / "chr1.genomedata")) as h5:
        group = h5.get_node("/chr1") if fresh.is_file() else h5.root
        assert chunks == [(sc._v_attrs.chunk_starts.tolist(), sc._v_attrs.chunk_ends.tolist())
                          for sc in group._f_iter_nodes("Group")]


def test_known_statistics_carry_the_zoom_cells(tmp_path, writer_mode):
    """A chromosome long enough for zoom levels: the cells gathered while writing (a
    column of a multi-track write, with NaN runs) equal the cells of a full rescan."""
    from gdxarray.writer import ArrayWriter, close_archive
    from gdxarray.writer._common import open_for_writing

    length = fmt.ZOOM_MIN_LENGTH + 234_567
    path = _sizes_archive(tmp_path, writer_mode, sizes={"chr1": length})
    rng = np.random.default_rng(23)
    values = rng.normal(size=(length, 2)).astype(np.float32)
    values[rng.random(length) < 0.3, 0] = np.nan
    values[200_000:450_000, 0] = np.nan  # whole cells empty
    with open_for_writing(path) as archive:
        writer = ArrayWriter(archive, ["b", "a"], stats=True)
        for start in range(0, length, 300_001):
            writer.write("chr1", start, values[start:start + 300_001])
        done = writer.finish()
        known = {"chr1": {"b": done[0].stats["chr1"]}}  # "a" is scanned as usual
        close_archive(archive, known=known)

    def zoom_cells():
        name = path if path.is_file() else path / "chr1.genomedata"
        with tables.open_file(str(name)) as h5:
            group = h5.get_node("/chr1") if path.is_file() else h5.root
            sc = group.supercontig_0
            return [sc._f_get_child(fmt.zoom_node_name(fmt.ZOOM_WIDTHS[0], part))[:]
                    for part in ("cells", "range")]

    lifted = zoom_cells()
    name = path if path.is_file() else path / "chr1.genomedata"
    with tables.open_file(str(name), "r+") as h5:
        (h5.get_node("/chr1") if path.is_file() else h5.root)._v_attrs.dirty = True
    close_data(path)
    rescanned = zoom_cells()
    np.testing.assert_array_equal(lifted[0][0], rescanned[0][0])  # counts
    np.testing.assert_allclose(lifted[0][1:], rescanned[0][1:], rtol=1e-12)
    np.testing.assert_array_equal(lifted[1], rescanned[1])  # min, max
    # and the cells are numpy's over the written column
    width = fmt.ZOOM_WIDTHS[0]
    col = values[:, 0]
    counts = np.add.reduceat(np.isfinite(col), np.arange(0, length, width))
    np.testing.assert_array_equal(lifted[0][0, 1], counts)  # "b" is the archive's column 1


def test_array_writer_writes_several_tracks_at_once(tmp_path, writer_mode):
    from gdxarray.writer import ArrayWriter
    from gdxarray.writer._common import open_for_writing

    path = _agp_archive(tmp_path, writer_mode)
    rng = np.random.default_rng(22)
    values = rng.normal(size=(1900, 2)).astype(np.float32)
    with open_for_writing(path) as archive:
        writer = ArrayWriter(archive, ["b", "a"])
        writer.write("chr1", 1100, values)
        done = writer.finish()
    assert [s.trackname for s in done] == ["b", "a"] and done[0].values == 1900
    np.testing.assert_array_equal(_read(path, "chr1", 1)[1100:], values[:, 0])
    np.testing.assert_array_equal(_read(path, "chr1", 0)[1100:], values[:, 1])
    with open_for_writing(path) as archive, pytest.raises(ValueError, match="shape"):
        ArrayWriter(archive, ["a", "b"]).write("chr1", 0, np.ones(5))

def test_lines_shuffled_across_chromosomes_load_as_sorted(tmp_path, writer_mode, monkeypatch):
    """Interleaved chromosomes are held and written per chromosome (a few visits,
    not one per switch); the values equal numpy painting of the raw lines, also
    when the held buffer fills up mid-file."""
    from gdxarray import Genome
    from gdxarray.writer import data as data_mod

    monkeypatch.setattr(data_mod, "MAX_PENDING_BYTES", 2000)  # several drains
    rng = np.random.default_rng(3)
    sizes = {"chr1": 30_000, "chr2": 20_000, "chr3": 9_000}
    rows = []
    for chrom, size in sizes.items():
        edges = np.unique(rng.integers(0, size, 600))
        for s, e in zip(edges[:-1:2].tolist(), edges[1::2].tolist()):
            rows.append((chrom, s, e, round(float(rng.normal()), 3)))
    shuffled = [rows[i] for i in rng.permutation(len(rows))]
    path = _sizes_archive(tmp_path, writer_mode, sizes=sizes, tracks=("t",))
    load_data(path, "t", _bedgraph(tmp_path / "s.bg", shuffled))
    close_data(path)
    with Genome(str(path)) as genome:
        for chrom, size in sizes.items():
            truth = np.full(size, np.nan, dtype=np.float32)
            for c, s, e, v in rows:
                if c == chrom:
                    truth[s:e] = v
            got = genome[chrom][0:size, 0]
            np.testing.assert_array_equal(np.ravel(got), truth)


def test_shuffled_chromosomes_report_the_first_bad_line(tmp_path, writer_mode):
    rows = [("chr1", 0, 10, 1), ("chr2", 0, 10, 2), ("chr1", 20, 30, 1),
            ("chr2", 5, 8, 3), ("chr1", 40, 50, 1)]
    path = _sizes_archive(tmp_path, writer_mode)
    with pytest.raises(ParseError, match=r"e\.bg:4: interval chr2:5-8 overlaps data loaded "
                                         r"earlier at chr2:0-10"):
        load_data(path, "b", _bedgraph(tmp_path / "e.bg", rows))


def test_held_blocks_cost_what_they_account_for():
    """Lines shuffled across chromosomes arrive about one per block: the holder's
    accounting (which bounds the memory held) must be its real cost, not ~20x less."""
    import tracemalloc

    from gdxarray.writer.data import _Held

    n = 50_000
    rng = np.random.default_rng(5)
    starts = np.sort(rng.integers(0, 10**8, n)).astype(np.int64)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        held = _Held("x.bg")
        accounted = held.nbytes
        for i in range(n):
            accounted += held.append(starts[i:i + 1], starts[i:i + 1] + 5,
                                     np.float32([i]), np.int64([i + 1]))
        real = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert accounted == held.nbytes
    assert real <= 1.2 * accounted + 65_536
    assert accounted <= 2 * n * (8 + 8 + 4 + 8) + 2 * 8 * n
    got = held.joined()
    np.testing.assert_array_equal(got[0], starts)
    np.testing.assert_array_equal(got[2], np.arange(n, dtype=np.float32))
    blocks = list(held.blocks())
    assert len(blocks) == n and blocks[7][3].tolist() == [8]
