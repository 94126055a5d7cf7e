"""Cover datasets against numpy over raw inputs (pyBigWig values, BED text, pysam reads).

Janggu's own outputs were compared case by case in a scratch environment
(docs/datasets.md); these tests compute every expected value independently.
"""

from __future__ import annotations

from pathlib import Path
import numpy as np
import pyBigWig
import pytest

from gdxarray.datasets import (
    Cover, LogTransform, PercentileTrimming, ZScore, ZScoreLog, view, split_train_test,
)
from gdxarray.errors import ChromosomeNotFoundError, GenomedataError, NotAnArchiveError, ParseError


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GDXARRAY_OUTPUT", str(tmp_path / "cache"))


@pytest.fixture
def J(realdata):
    return realdata / "janggu"


def bw_values(path, chrom, lo, hi):
    with pyBigWig.open(str(path)) as bw:
        size = bw.chroms(chrom)
        out = np.zeros(hi - lo, np.float32)
        a, b = max(lo, 0), min(hi, size)
        out[a - lo:b - lo] = np.nan_to_num(np.array(bw.values(chrom, a, b), np.float32))
    return out


def expected_windows(path, regions, binsize, step, flank, res, how, zero_padding=True):
    """Janggu's tiling, flank, padding, collapse and strand flip, spelled out per window."""
    rows = []
    for chrom, start, end, strand in regions:
        s = start
        while s + binsize <= end:
            rows.append((chrom, s, s + binsize, strand))
            s += step
        if zero_padding and s < end:
            rows.append((chrom, s, end, strand))
    out = []
    for chrom, s, e, strand in rows:
        length = binsize + 2 * flank
        v = np.zeros(length, np.float32)
        full = s - flank
        sig = bw_values(path, chrom, max(full, 0), e + flank)
        v[max(full, 0) - full:max(full, 0) - full + len(sig)] = sig
        if res is None:
            seg = v[max(full, 0) - full:e + flank - full]
            r = getattr(np, how)(seg)[None]
        else:
            r = getattr(np, how)(v.reshape(-1, res), axis=1)
        if strand == "-":
            r = r[::-1]
        out.append(r)
    return np.array(out)[:, :, None, None], rows


@pytest.mark.parametrize("res,how,flank", [(1, "mean", 0), (50, "mean", 100), (50, "max", 0),
                                           (20, "sum", 40), (None, "mean", 0), (None, "sum", 30)])
def test_bigwig_windows_match_numpy(J, res, how, flank):
    regions = [("chr1", 15000, 25000, "+"), ("chr2", 15000, 25000, "-")]
    cover = Cover.create_from_bigwig("s", J / "sample.bw", roi=J / "sample.bed", binsize=200,
                                     stepsize=200, resolution=res, flank=flank, collapser=how)
    want, rows = expected_windows(J / "sample.bw", regions, 200, 200, flank, res, how)
    got = cover[:]
    assert got.shape == want.shape == cover.shape
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    assert got[want != 0].size and (got != 0).any()  # the ROI holds signal
    assert cover.conditions == ["sample"]
    iv = cover.gindexer[len(cover) - 1]
    assert (iv.chrom, iv.strand) == ("chr2", "-")
    assert iv.start == max(rows[-1][1] - flank, 0) and iv.end == rows[-1][2] + flank


def test_partial_windows_are_padded_and_flipped(J):
    regions = [("chr1", 15000, 15950, "+"), ("chr2", 15500, 16330, "-")]
    cover = Cover.create_from_bigwig("s", J / "sample.bw", roi=regions, binsize=300,
                                     stepsize=150, resolution=30)
    want, rows = expected_windows(J / "sample.bw", regions, 300, 150, 0, 30, "mean")
    np.testing.assert_allclose(cover[:], want, rtol=1e-6, atol=1e-6)
    assert rows[-1][2] - rows[-1][1] < 300  # a short last window exists
    nopad = Cover.create_from_bigwig("s", J / "sample.bw", roi=regions, binsize=300,
                                     stepsize=150, resolution=30, zero_padding=False)
    assert len(nopad) == sum(1 for r in rows if r[2] - r[1] == 300)


def test_indexing_forms_and_multiple_conditions(J):
    cover = Cover.create_from_bigwig("s", [J / "sample.bw", J / "sample.bw"],
                                     conditions=["a", "b"], roi=J / "sample.bed", binsize=200,
                                     resolution=25)
    full = cover[:]
    assert full.shape == (100, 8, 1, 2)
    np.testing.assert_array_equal(full[..., 0], full[..., 1])
    np.testing.assert_array_equal(cover[3], full[3:4])
    np.testing.assert_array_equal(cover[2:7], full[2:7])
    np.testing.assert_array_equal(cover[[9, 1, 4]], full[[9, 1, 4]])
    np.testing.assert_array_equal(cover[-1], full[-1:])
    with pytest.raises(IndexError):
        cover[100]


def test_random_state_is_a_fixed_permutation(J):
    plain = Cover.create_from_bigwig("s", J / "sample.bw", roi=J / "sample.bed", binsize=200,
                                     resolution=50)
    shuffled = Cover.create_from_bigwig("s", J / "sample.bw", roi=J / "sample.bed",
                                        binsize=200, resolution=50, random_state=42)
    perm = np.random.RandomState(42).permutation(len(plain))
    np.testing.assert_array_equal(shuffled[:], plain[perm])


def _stack(J, **kw):
    return Cover.create_from_bigwig("s", J / "sample.bw", roi=J / "sample.bed", binsize=200,
                                    resolution=50, **kw)


def test_normalizers_by_name_and_object(J):
    raw = _stack(J)[:].astype(np.float64)
    z = _stack(J, normalizer="zscore")[:]
    mean = raw.mean()
    std = np.sqrt(((raw - mean) ** 2).sum() / (raw.size - 1))
    np.testing.assert_allclose(z, (raw - mean) / std, rtol=1e-5, atol=1e-6)
    zl = _stack(J, normalizer="zscorelog")[:]
    lg = np.log(raw + 1)
    np.testing.assert_allclose(zl, (lg - lg.mean()) / np.sqrt(((lg - lg.mean()) ** 2).sum()
                                                              / (lg.size - 1)), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(_stack(J, normalizer="binsizenorm")[:], raw / 200, rtol=1e-6)
    q = np.percentile(raw, 99)
    np.testing.assert_allclose(_stack(J, normalizer="perctrim")[:], np.minimum(raw, q),
                               rtol=1e-6)
    both = _stack(J, normalizer=[LogTransform(), PercentileTrimming(90)])[:]
    np.testing.assert_allclose(both, np.minimum(lg, np.percentile(lg, 90)), rtol=1e-6)
    doubled = _stack(J, normalizer=lambda garray: garray.data * 2)[:]
    np.testing.assert_allclose(doubled, raw * 2)


def test_tpm_with_one_value_per_region(J):
    raw = Cover.create_from_bigwig("s", J / "sample.bw", roi=J / "sample.bed", binsize=200,
                                   resolution=None, collapser="sum")[:].astype(np.float64)
    tpm = Cover.create_from_bigwig("s", J / "sample.bw", roi=J / "sample.bed", binsize=200,
                                   resolution=None, collapser="sum", normalizer="tpm")[:]
    per_kb = raw / 200 * 1000
    np.testing.assert_allclose(tpm, per_kb / (per_kb.sum() / 1e6), rtol=1e-5)
    assert tpm.shape == (100, 1, 1, 1)


def test_fitted_zscore_is_reused(J):
    z = ZScore()
    train = _stack(J, normalizer=z)
    mean, std = float(np.ravel(z.mean)[0]), float(np.ravel(z.std)[0])
    raw_train = _stack(J)[:]
    assert mean == pytest.approx(raw_train.mean(), rel=1e-6)
    roi = [("chr1", 16000, 18000)]
    test = Cover.create_from_bigwig("t", J / "sample.bw", roi=roi, binsize=200, resolution=50,
                                    normalizer=z)
    raw_test = Cover.create_from_bigwig("t", J / "sample.bw", roi=roi, binsize=200,
                                        resolution=50)[:]
    np.testing.assert_allclose(test[:], (raw_test - mean) / std, rtol=1e-5, atol=1e-6)
    assert float(np.ravel(z.mean)[0]) == mean  # not refitted
    zl = ZScoreLog()
    _stack(J, normalizer=zl)
    assert zl.zscore.mean is not None
    assert train.shape == (100, 4, 1, 1)


def test_callable_collapser_sees_bins_resolution_strand(J):
    seen = []

    def median(x):
        seen.append(x.shape)
        return np.median(x, axis=1)

    cover = _stack(J, collapser=median)
    want, _ = expected_windows(J / "sample.bw", [("chr1", 15000, 25000, "+"),
                                                 ("chr2", 15000, 25000, "-")], 200, 200, 0,
                               50, "median")
    np.testing.assert_allclose(cover[:], want, rtol=1e-6)
    assert all(len(s) == 3 and s[1] == 50 and s[2] == 1 for s in seen)


def _bed_rows(path):
    rows = []
    for line in Path(path).read_text().splitlines(keepends=True):
        f = line.split()
        rows.append((f[0], int(f[1]), int(f[2]), f[3], float(f[4])))
    return rows


@pytest.mark.parametrize("mode", ["binary", "score", "categorical", "name_category"])
def test_bed_modes_match_the_bed_text(J, mode):
    feats = _bed_rows(J / "scored_sample.bed")
    cover = Cover.create_from_bed("l", J / "scored_sample.bed", roi=J / "sample.bed",
                                  binsize=200, stepsize=200, resolution=50, mode=mode)
    if mode == "categorical":
        cats = sorted({str(int(f[4])) for f in feats})
    elif mode == "name_category":
        cats = sorted({f[3] for f in feats})
    else:
        cats = ["scored_sample"]
    assert cover.conditions == cats
    gi = cover.gindexer
    got = cover[:]
    for i in range(len(cover)):
        iv = gi[i]
        base = np.zeros((200, len(cats)))
        for chrom, s, e, name, score in feats:
            if chrom != iv.chrom:
                continue
            a, b = max(s, iv.start) - iv.start, min(e, iv.end) - iv.start
            if b <= a:
                continue
            if mode == "binary":
                base[a:b, 0] = 1
            elif mode == "score":
                base[a:b, 0] = score
            else:
                key = str(int(score)) if mode == "categorical" else name
                base[a:b] = 0
                base[a:b, cats.index(key)] = 1
        want = base.reshape(4, 50, -1).max(axis=1)
        if iv.strand == "-":
            want = want[::-1]
        np.testing.assert_array_equal(got[i, :, 0, :], want)
    assert got.sum() > 0


def test_bed_minoverlap_gates_whole_windows(J):
    feats = [(s, e) for c, s, e, *_ in _bed_rows(J / "scored_sample.bed") if c == "chr1"]
    cover = Cover.create_from_bed("l", J / "scored_sample.bed", roi=[("chr1", 15000, 17000)],
                                  binsize=400, stepsize=100, resolution=None, minoverlap=0.6)
    for i in range(len(cover)):
        iv = cover.gindexer[i]
        covered = np.zeros(iv.end - iv.start, bool)
        for s, e in feats:
            covered[max(s, iv.start) - iv.start:max(min(e, iv.end) - iv.start, 0)] = True
        assert cover[i][0, 0, 0, 0] == (1.0 if covered.mean() >= 0.6 else 0.0)
    assert cover[:].sum() > 0


def test_bedgraph_mode(J):
    cover = Cover.create_from_bed("l", J / "positive.bedgraph", roi=J / "positive.bed",
                                  binsize=200, stepsize=200, mode="bedgraph")
    rows = [(int(f[1]), int(f[2]), float(f[3])) for f in map(str.split, (J / "positive.bedgraph").read_text().splitlines())]
    iv = cover.gindexer[0]
    want = np.zeros(200)
    for s, e, v in rows:  # later lines win
        want[max(s, iv.start) - iv.start:max(min(e, iv.end) - iv.start, 0)] = v
    np.testing.assert_allclose(cover[0][0, :, 0, 0], want, rtol=1e-6)


def _janggu_counts(bamfile, chrom, size, pairedend="5prime", min_mapq=0):
    """Janggu's BamLoader rules in plain Python over pysam reads."""
    import pysam

    counts = np.zeros((size + 1, 2))
    with pysam.AlignmentFile(str(bamfile)) as bam:
        tid = list(bam.references).index(chrom)
        for aln in bam.fetch(tid=tid):
            if aln.is_unmapped or aln.mapping_quality < min_mapq:
                continue
            if aln.is_paired:
                if not (aln.is_proper_pair and aln.reference_id == aln.next_reference_id):
                    continue
                if pairedend == "midpoint":
                    if aln.is_read2:
                        continue
                    pos = min(aln.reference_start, aln.next_reference_start) + \
                        abs(aln.template_length) // 2
                elif aln.is_reverse:
                    pos = max(aln.reference_end, aln.next_reference_start + aln.query_length)
                else:
                    pos = min(aln.reference_start, aln.next_reference_start)
            else:
                pos = aln.reference_end if aln.is_reverse else aln.reference_start
            counts[pos, int(aln.is_reverse)] += 1
    return counts


@pytest.mark.parametrize("pairedend,mapq", [("5prime", None), ("5prime", 20),
                                            ("midpoint", None), ("midpoint", 20)])
def test_bam_counts_paired_and_single(J, pairedend, mapq):
    pytest.importorskip("pysam")
    roi = [("ref", 0, 46, "+"), ("ref2", 0, 46, "-")]
    cover = Cover.create_from_bam("r", J / "sample2.bam", roi=roi, binsize=46,
                                  pairedend=pairedend, min_mapq=mapq)
    got = cover[:]
    assert got.shape == (2, 46, 2, 1)
    for i, (chrom, *_, strand) in enumerate(roi):
        want = _janggu_counts(J / "sample2.bam", chrom, 46, pairedend, mapq or 0)[:46]
        if strand == "-":
            want = want[::-1, ::-1]
        np.testing.assert_array_equal(got[i, :, :, 0], want)
    assert got.sum() > 0


def test_bam_resolution_unstranded_and_messy_header(J):
    pytest.importorskip("pysam")
    cover = Cover.create_from_bam("r", J / "sample.bam", roi=J / "sample.bed", binsize=200,
                                  resolution=50, stranded=False)
    counts = {c: _janggu_counts(J / "sample.bam", c, 30000) for c in ("chr1", "chr2")}
    got = cover[:]
    for i in range(len(cover)):
        iv = cover.gindexer[i]
        want = counts[iv.chrom][iv.start:iv.end].sum(axis=1).reshape(4, 50).sum(axis=1)
        if iv.strand == "-":
            want = want[::-1]
        np.testing.assert_array_equal(got[i, :, 0, 0], want)
    assert got.sum() == sum(c[15000:25000].sum() for c in counts.values())


def test_view_and_split(J):
    cover = Cover.create_from_bigwig("s", J / "sample.bw", roi=J / "sample.bed", binsize=200,
                                     resolution=50)
    part = view(cover, [("chr2", 15000, 15400, "-")])
    np.testing.assert_array_equal(part[:], cover[50:52][::-1][::-1])
    with pytest.raises(GenomedataError, match="not among the stored regions"):
        view(cover, [("chr1", 100, 300)])
    whole = Cover.create_from_bigwig("s", J / "sample.bw", roi=J / "sample.bed", binsize=200,
                                     resolution=50, store_whole_genome=True)
    other = view(whole, [("chr1", 100, 300)])
    np.testing.assert_allclose(other[0][0, :, 0, 0],
                               bw_values(J / "sample.bw", "chr1", 100, 300).reshape(4, 50)
                               .mean(axis=1))
    train, test = split_train_test(cover, ["chr2"])
    assert len(train) == len(test) == 50
    assert set(test.gindexer.chrs) == {"chr2"}
    np.testing.assert_array_equal(test[:], cover[50:])


def test_create_from_array_round_trip_and_export(J, tmp_path):
    cover = Cover.create_from_bigwig("s", J / "sample.bw", roi=J / "sample.bed", binsize=200,
                                     resolution=50)
    pred = Cover.create_from_array("pred", cover[:] * 2, cover.gindexer,
                                   conditions=["x"])
    np.testing.assert_array_equal(pred[:], cover[:] * 2)
    (path,) = pred.export_to_bigwig(tmp_path / "out")
    assert path.endswith("pred.x.bigwig")
    with pyBigWig.open(path) as bw:
        for chrom in ("chr1", "chr2"):
            got = np.nan_to_num(np.array(bw.values(chrom, 15000, 25000)))
            want = bw_values(J / "sample.bw", chrom, 15000, 25000).reshape(-1, 50).mean(
                axis=1).repeat(50) * 2
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_to_xarray_coordinates(J):
    cover = Cover.create_from_bigwig("s", J / "sample.bw", roi=J / "sample.bed", binsize=200,
                                     resolution=50)
    da = cover.to_xarray()
    assert da.dims == ("region", "position", "strand", "condition")
    np.testing.assert_array_equal(da.values, cover[:])
    assert da.chrom.values[0] == "chr1" and da.start.values[1] == 15200
    assert da.region_strand.values[-1] == "-" and list(da.strand.values) == ["."] and list(da.condition.values) == ["sample"]


def test_bad_input_errors(J, tmp_path):
    bw = J / "sample.bw"
    with pytest.raises(ChromosomeNotFoundError, match=r"roi.bed:1: .*'pseudo1'"):
        Cover.create_from_bigwig("s", bw, roi=J / "roi.bed", binsize=200)
    with pytest.raises(ParseError, match=r"region_w_strand.bed:1: .*past the end of chr1"):
        Cover.create_from_bigwig("s", bw, roi=J / "region_w_strand.bed", binsize=200)
    with pytest.raises(GenomedataError, match="multiple of resolution"):
        Cover.create_from_bigwig("s", bw, roi=J / "sample.bed", binsize=200, resolution=30)
    with pytest.raises(GenomedataError, match="unknown normalizer 'zcore'"):
        Cover.create_from_bigwig("s", bw, roi=J / "sample.bed", binsize=200, normalizer="zcore")
    with pytest.raises(GenomedataError, match="unknown collapser 'median'"):
        Cover.create_from_bigwig("s", bw, roi=J / "sample.bed", binsize=200, resolution=50,
                                 collapser="median")
    with pytest.raises(NotAnArchiveError, match="not a bigWig"):
        Cover.create_from_bigwig("s", J / "sample.bed", roi=J / "sample.bed", binsize=200)
    with pytest.raises(GenomedataError, match="2 conditions given for 1 files"):
        Cover.create_from_bigwig("s", bw, roi=J / "sample.bed", conditions=["a", "b"])
    bad = tmp_path / "bad.bed"
    bad.write_text("chr1\t10\t20\nchr1\tten\t30\n")
    with pytest.raises(ParseError, match=r"bad.bed:2: start 'ten'"):
        Cover.create_from_bigwig("s", bw, roi=bad, binsize=10)
    notbam = tmp_path / "x.bam"
    notbam.write_bytes(b"not a bam")
    pytest.importorskip("pysam")
    with pytest.raises(NotAnArchiveError, match="x.bam"):
        Cover.create_from_bam("r", notbam, roi=J / "sample.bed", binsize=200)
