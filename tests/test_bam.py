"""load-bam: read counts against plain-Python counts over pysam's reads (CIGAR walked
base by base), against bedtools genomecov where it is installed, and against the
expected outputs of bedtools' own genomecov tests; every bad input."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest

pysam = pytest.importorskip("pysam")

import gdxarray  # noqa: E402
from gdxarray import Genome  # noqa: E402
from gdxarray.errors import (  # noqa: E402
    GenomedataDirtyWarning, GenomedataError, TrackNotOpenError,
)
from gdxarray.parsers import bam as bamparser  # noqa: E402
from gdxarray.writer import load_bam, load_genomedata, load_seq, open_data  # noqa: E402

BEDTOOLS = shutil.which("bedtools")
needs_bedtools = pytest.mark.skipif(BEDTOOLS is None, reason="bedtools is not installed")


# -- helpers --------------------------------------------------------------------
def _archive(tmp_path, sizes: dict, tracks=("t",), name="g.gd", mode="file"):
    src = tmp_path / f"{name}.sizes"
    src.write_text("".join(f"{c}\t{n}\n" for c, n in sizes.items()))
    path = tmp_path / name
    load_seq(path, [src], mode=mode, seqfile_type="sizes")
    if tracks:
        open_data(path, list(tracks))
    return path


def _header_sizes(path) -> dict:
    with pysam.AlignmentFile(str(path)) as f:
        return dict(zip(f.references, map(int, f.lengths)))


def _track(archive, name="t") -> dict:
    """Every chromosome's values of track *name* (statistics may be stale: not read)."""
    with warnings.catch_warnings(), Genome(archive) as genome:
        warnings.simplefilter("ignore", GenomedataDirtyWarning)
        out = {}
        for chrom in genome:
            col = genome.tracknames_continuous.index(name)
            out[chrom.name] = chrom[0:chrom.end][:, col]
        return out


def expected(path, count="coverage", strand=None, min_mapq=0, extend=0, dups=False) -> dict:
    """Counts in plain Python over pysam's reads: the CIGAR walked op by op, base by base."""
    with pysam.AlignmentFile(str(path)) as f:
        out = {n: np.zeros(n_bp) for n, n_bp in zip(f.references, f.lengths)}
        for r in f.fetch(until_eof=True):
            if r.is_unmapped or r.is_secondary or r.is_qcfail or (r.is_duplicate and not dups):
                continue
            if (strand == "+" and r.is_reverse) or (strand == "-" and not r.is_reverse):
                continue
            if r.mapping_quality < min_mapq:
                continue
            arr = out[r.reference_name]
            size = len(arr)
            if count == "coverage":
                if extend:
                    a, b = ((r.reference_end - extend, r.reference_end) if r.is_reverse
                            else (r.reference_start, r.reference_start + extend))
                    for p in range(max(a, 0), min(b, size)):
                        arr[p] += 1
                    continue
                pos = r.reference_start
                for op, n in r.cigartuples:
                    if op in (0, 7, 8):  # M, =, X cover the reference
                        for p in range(pos, min(pos + n, size)):
                            arr[p] += 1
                    if op in (0, 2, 3, 7, 8):  # M, D, N, =, X advance on it
                        pos += n
                continue
            if count == "midpoint":
                if not (r.is_paired and r.is_proper_pair and r.is_read1
                        and r.next_reference_id == r.reference_id):
                    continue
                p = min(r.reference_start, r.next_reference_start) + abs(r.template_length) // 2
            elif count == "left":
                p = r.reference_start
            elif (count == "5p") != r.is_reverse:  # 5p forward, 3p reverse: leftmost base
                p = r.reference_start
            else:
                p = r.reference_end - 1
            if 0 <= p < size:
                arr[p] += 1
    return out


def bedtools_counts(path, sizes: dict, *flags) -> dict:
    """``bedtools genomecov -ibam PATH -bg FLAGS`` as dense arrays."""
    out = subprocess.run([BEDTOOLS, "genomecov", "-ibam", str(path), "-bg", *flags],
                         capture_output=True, text=True, check=True).stdout
    dense = {c: np.zeros(n) for c, n in sizes.items()}
    for line in out.splitlines():
        c, s, e, v = line.split("\t")
        dense[c][int(s):int(e)] = float(v)
    return dense


def assert_counts(ours: dict, theirs: dict) -> None:
    assert set(theirs) <= set(ours)
    for chrom, values in theirs.items():
        np.testing.assert_array_equal(ours[chrom], values.astype(np.float32), err_msg=chrom)


def write_bam(path, refs, reads, *, sort=True, index=False, sam=False):
    """A BAM (or SAM) of *reads*: dicts of AlignedSegment attributes."""
    header = {"HD": {"VN": "1.6", "SO": "coordinate" if sort else "unsorted"},
              "SQ": [{"SN": n, "LN": l} for n, l in refs]}
    names = [n for n, _ in refs]
    segs = []
    for i, spec in enumerate(reads):
        a = pysam.AlignedSegment()
        a.query_name = spec.get("name", f"r{i}")
        a.flag = spec.get("flag", 0)
        a.reference_id = names.index(spec.get("chrom", names[0]))
        a.reference_start = spec["pos"]
        a.mapping_quality = spec.get("mapq", 60)
        a.cigarstring = spec.get("cigar", "10M")
        qlen = a.query_length or sum(n for op, n in a.cigartuples if op in (0, 1, 4, 7, 8))
        a.query_sequence = "A" * qlen
        a.query_qualities = pysam.qualitystring_to_array("I" * qlen)
        if "mate" in spec:
            a.next_reference_id = a.reference_id
            a.next_reference_start = spec["mate"]
            a.template_length = spec.get("tlen", 0)
        segs.append(a)
    if sort:
        segs.sort(key=lambda a: (a.reference_id, a.reference_start))
    with pysam.AlignmentFile(str(path), "w" if sam else "wb", header=header) as f:
        for a in segs:
            f.write(a)
    if index:
        pysam.index(str(path))
    return path


def relocated_copy(src, dest, *, margin=100):
    """The reads of *src*, moved so that its first read starts near 0, on references
    cut to just past the last read (real reads, a test-sized genome)."""
    with pysam.AlignmentFile(str(src)) as f:
        reads = [r for r in f.fetch(until_eof=True)]
        refs = list(f.references)
    used = sorted({r.reference_id for r in reads if not r.is_unmapped})
    lo = {t: min(r.reference_start for r in reads if r.reference_id == t) for t in used}
    hi = {t: max(r.reference_end for r in reads if r.reference_id == t) for t in used}
    shift = {t: max(0, lo[t] - margin) for t in used}
    header = {"HD": {"VN": "1.6", "SO": "coordinate"},
              "SQ": [{"SN": refs[t], "LN": hi[t] - shift[t] + margin} for t in used]}
    with pysam.AlignmentFile(str(dest), "wb", header=header) as out:
        for r in reads:
            if r.is_unmapped:
                continue
            d = r.to_dict()
            d["ref_name"] = refs[r.reference_id]
            d["ref_pos"] = str(r.reference_start - shift[r.reference_id] + 1)
            if r.next_reference_id == r.reference_id:
                d["next_ref_name"] = "="
                d["next_ref_pos"] = str(r.next_reference_start - shift[r.reference_id] + 1)
            out.write(pysam.AlignedSegment.from_dict(d, out.header))
    return dest


# -- bedtools' own genomecov tests (expected outputs from test-genomecov.sh) ---------
GENOMECOV_SPLIT = {  # file -> bedGraph of `genomecov -bg -split`
    "one_block.sam": [(0, 30, 1)],
    "two_blocks.sam": [(0, 15, 1), (25, 40, 1)],
    "three_blocks.sam": [(0, 10, 1), (20, 30, 1), (40, 50, 1)],   # genomecov.t2
    "sam-w-del.sam": [(0, 10, 1), (11, 21, 1)],                   # genomecov.t7
    "chip.sam": [(1, 76, 1), (225, 300, 1)],
    "pair-chip.sam": [(0, 75, 1), (128, 203, 1)],
}


def _dense(runs, size=1000) -> np.ndarray:
    out = np.zeros(size)
    for s, e, v in runs:
        out[s:e] = v
    return out


@pytest.mark.parametrize("name", sorted(GENOMECOV_SPLIT))
def test_genomecov_cases(realdata, tmp_path, name):
    src = realdata / "bedtools_genomecov" / name
    archive = _archive(tmp_path, {"chr1": 1000})
    summary = load_bam(archive, "t", src)
    got = _track(archive)["chr1"]
    np.testing.assert_array_equal(got, _dense(GENOMECOV_SPLIT[name]))
    assert_counts({"chr1": got}, expected(src))
    assert summary.chromosomes == ["chr1"] and summary.counted == summary.reads


def test_genomecov_merged_blocks(realdata, tmp_path):
    """genomecov.t5: the three spliced files merged, -split."""
    reads = []
    for name in ("one_block.sam", "two_blocks.sam", "three_blocks.sam"):
        with pysam.AlignmentFile(str(realdata / "bedtools_genomecov" / name)) as f:
            reads += [r.to_dict() for r in f.fetch(until_eof=True)]
    merged = tmp_path / "merged.bam"
    with pysam.AlignmentFile(str(realdata / "bedtools_genomecov" / "one_block.sam")) as f:
        header = f.header
    with pysam.AlignmentFile(str(merged), "wb", header=header) as out:
        for d in reads:
            out.write(pysam.AlignedSegment.from_dict(d, header))
    archive = _archive(tmp_path, {"chr1": 1000})
    load_bam(archive, "t", merged)
    want = _dense([(0, 10, 3), (10, 15, 2), (15, 20, 1), (20, 25, 2), (25, 30, 3), (30, 50, 1)])
    np.testing.assert_array_equal(_track(archive)["chr1"], want)


def test_genomecov_fragment_size(realdata, tmp_path):
    """genomecov.t15: -fs 100 on the ChIP reads."""
    archive = _archive(tmp_path, {"chr1": 1000})
    src = realdata / "bedtools_genomecov" / "chip.sam"
    load_bam(archive, "t", src, extend=100)
    got = _track(archive)["chr1"]
    np.testing.assert_array_equal(got, _dense([(1, 101, 1), (200, 300, 1)]))
    assert_counts({"chr1": got}, expected(src, extend=100))


def test_genomecov_chroms_without_reads(realdata, tmp_path):
    """genomecov.t9/t10: y.bam; references without reads are all zeros (not NaN)."""
    src = realdata / "bedtools_genomecov" / "y.bam"
    archive = _archive(tmp_path, {"1": 100, "2": 100, "3": 100, "extra": 50})
    load_bam(archive, "t", src)
    got = _track(archive)
    np.testing.assert_array_equal(got["1"], _dense([(15, 17, 1), (17, 20, 2), (20, 22, 1)], 100))
    np.testing.assert_array_equal(got["2"], np.zeros(100))
    np.testing.assert_array_equal(got["3"], np.zeros(100))
    assert np.isnan(got["extra"]).all()  # not in the BAM header: untouched


def test_empty_bam(realdata, tmp_path):
    archive = _archive(tmp_path, {"1": 100, "2": 100, "3": 100})
    summary = load_bam(archive, "t", realdata / "bedtools_genomecov" / "empty.bam")
    assert summary.reads == 0
    assert all((v == 0).all() for v in _track(archive).values())


@needs_bedtools
@pytest.mark.parametrize("name", ["three_blocks.sam", "sam-w-del.sam", "chip.sam",
                                  "pair-chip.sam", "y.bam"])
@pytest.mark.parametrize("count,flags", [("coverage", ["-split"]), ("5p", ["-5"]),
                                         ("3p", ["-3"])])
def test_against_bedtools(realdata, tmp_path, name, count, flags):
    src = realdata / "bedtools_genomecov" / name
    sizes = _header_sizes(src)
    archive = _archive(tmp_path, sizes)
    load_bam(archive, "t", src, count=count)
    ours = _track(archive)
    assert_counts(ours, bedtools_counts(src, sizes, *flags))
    assert_counts(ours, expected(src, count))


@needs_bedtools
@pytest.mark.parametrize("strand", ["+", "-"])
def test_strand_against_bedtools(realdata, tmp_path, strand):
    src = realdata / "bedtools_genomecov" / "chip.sam"
    archive = _archive(tmp_path, {"chr1": 1000})
    load_bam(archive, "t", src, count="5p", strand=strand)
    ours = _track(archive)
    assert_counts(ours, bedtools_counts(src, {"chr1": 1000}, "-5", "-strand", strand))
    assert ours["chr1"].sum() == 1


# -- pysam's and Janggu's files -------------------------------------------------------
@pytest.mark.parametrize("name", ["ex_spliced.bam", "example_reverse_complement.bam",
                                  "ex3.bam"])
@pytest.mark.parametrize("count", ["coverage", "5p", "3p", "left"])
def test_pysam_files(realdata, tmp_path, name, count):
    src = relocated_copy(realdata / "pysam" / name, tmp_path / "reads.bam")
    archive = _archive(tmp_path, _header_sizes(src))
    load_bam(archive, "t", src, count=count)
    ours = _track(archive)
    want = expected(src, count)
    assert_counts(ours, want)
    assert sum(v.sum() for v in want.values()) > 0


def test_spliced_reads_skip_introns(realdata, tmp_path):
    """ex_spliced: 13 primary spliced reads (88 secondary ones not counted); no
    base inside an N run of a lone read is covered."""
    src = relocated_copy(realdata / "pysam" / "ex_spliced.bam", tmp_path / "reads.bam")
    archive = _archive(tmp_path, _header_sizes(src))
    summary = load_bam(archive, "t", src)
    assert (summary.reads, summary.counted) == (101, 13)
    got = _track(archive)["1"]
    with pysam.AlignmentFile(str(src)) as f:
        primary = [r for r in f.fetch(until_eof=True) if not r.is_secondary]
    aligned = sum(r.get_cigar_stats()[0][0] for r in primary)  # M bases
    assert got.sum() == aligned
    assert got.sum() < sum(r.reference_length for r in primary)  # introns are long


@needs_bedtools
def test_spliced_against_bedtools(realdata, tmp_path):
    """bedtools counts secondary alignments; with those left out of the input the
    numbers are the same as ours."""
    src = relocated_copy(realdata / "pysam" / "ex_spliced.bam", tmp_path / "reads.bam")
    primary = tmp_path / "primary.bam"
    with pysam.AlignmentFile(str(src)) as f, \
            pysam.AlignmentFile(str(primary), "wb", header=f.header) as out:
        for r in f.fetch(until_eof=True):
            if not r.is_secondary:
                out.write(r)
    sizes = _header_sizes(src)
    archive = _archive(tmp_path, sizes)
    load_bam(archive, "t", src)
    assert_counts(_track(archive), bedtools_counts(primary, sizes, "-split"))


@pytest.mark.parametrize("name", ["sample.bam", "sample2.bam"])
@pytest.mark.parametrize("options", [{"count": "midpoint"}, {"count": "5p", "strand": "-"},
                                     {"count": "left", "min_mapq": 30},
                                     {"count": "coverage", "min_mapq": 1}])
def test_janggu_files(realdata, tmp_path, name, options):
    src = realdata / "janggu" / name
    archive = _archive(tmp_path, _header_sizes(src))
    load_bam(archive, "t", src, **options)
    want = expected(src, **options)
    assert_counts(_track(archive), want)


def test_janggu_midpoints_counted(realdata, tmp_path):
    src = realdata / "janggu" / "sample2.bam"
    archive = _archive(tmp_path, _header_sizes(src))
    summary = load_bam(archive, "t", src, count="midpoint")
    got = _track(archive)
    pairs = sum(v.sum() for v in got.values())
    assert pairs == summary.counted and pairs > 0  # one count per proper pair


# -- generated reads: flags, options, batching ------------------------------------------
FLAGGED = [
    {"pos": 0, "flag": 0},
    {"pos": 5, "flag": 16},
    {"pos": 10, "flag": 0x4},      # unmapped (placed): never
    {"pos": 10, "flag": 0x100},    # secondary: never
    {"pos": 10, "flag": 0x200},    # QC fail: never
    {"pos": 20, "flag": 0x400},    # duplicate: with include_duplicates
    {"pos": 30, "flag": 0x800},    # supplementary: counted (as bedtools)
    {"pos": 40, "flag": 0, "mapq": 5},
    {"pos": 50, "flag": 16, "cigar": "3S4M2D4M1I3M"},
    {"pos": 95, "flag": 16, "cigar": "5M"},   # the chromosome's last bases
]


def test_flags_and_options(tmp_path):
    src = write_bam(tmp_path / "f.bam", [("c", 100)], FLAGGED)
    archive = _archive(tmp_path, {"c": 100}, tracks=("a", "b", "c", "d", "e"))
    load_bam(archive, "a", src)
    load_bam(archive, "b", src, include_duplicates=True)
    load_bam(archive, "c", src, min_mapq=10, strand="-")
    load_bam(archive, "d", src, count="3p", extend=0)
    load_bam(archive, "e", src, extend=30)
    got = {t: _track(archive, t)["c"] for t in "abcde"}
    np.testing.assert_array_equal(got["a"], expected(src)["c"])
    np.testing.assert_array_equal(got["b"], expected(src, dups=True)["c"])
    np.testing.assert_array_equal(got["c"], expected(src, min_mapq=10, strand="-")["c"])
    np.testing.assert_array_equal(got["d"], expected(src, "3p")["c"])
    np.testing.assert_array_equal(got["e"], expected(src, extend=30)["c"])
    assert got["b"][20] - got["a"][20] == 1          # the duplicate
    assert got["a"][30] == 1                          # the supplementary alignment
    assert got["a"][52] == 1 and got["a"][55] == 0    # deleted bases are not covered
    assert got["e"][0] == 2 and got["e"][99] == 1     # fragments clipped to the chromosome


def test_midpoint_pairs(tmp_path):
    reads = [
        {"pos": 10, "flag": 0x1 | 0x2 | 0x20 | 0x40, "mate": 60, "tlen": 61},
        {"pos": 60, "flag": 0x1 | 0x2 | 0x10 | 0x80, "mate": 10, "tlen": -61},
        {"pos": 20, "flag": 0x1 | 0x20 | 0x40, "mate": 70, "tlen": 60},   # not proper
        {"pos": 30, "flag": 0x1 | 0x2 | 0x10 | 0x40, "mate": 5, "tlen": -35},  # read 1 is right
        {"pos": 5, "flag": 0x1 | 0x2 | 0x20 | 0x80, "mate": 30, "tlen": 35},
    ]
    src = write_bam(tmp_path / "p.bam", [("c", 100)], reads)
    archive = _archive(tmp_path, {"c": 100})
    load_bam(archive, "t", src, count="midpoint")
    got = _track(archive)["c"]
    assert np.flatnonzero(got).tolist() == [5 + 17, 10 + 30]
    np.testing.assert_array_equal(got, expected(src, "midpoint")["c"])


@pytest.mark.parametrize("count", ["coverage", "5p", "left"])
def test_many_batches(tmp_path, monkeypatch, count):
    """Random spliced/deleted reads over two references, in batches of 7 reads."""
    rng = np.random.default_rng(7)
    reads = []
    for chrom, size in (("c1", 3000), ("c2", 2000)):
        for pos in rng.integers(0, size - 60, 300).tolist():
            cigar = str(rng.choice(["20M", "5M10N5M", "4M2D6M", "2S8M3I4M", "30M"]))
            reads.append({"chrom": chrom, "pos": pos, "flag": int(rng.choice([0, 16])),
                          "cigar": cigar, "mapq": int(rng.integers(0, 60))})
    src = write_bam(tmp_path / "m.bam", [("c1", 3000), ("c2", 2000)], reads)
    monkeypatch.setattr(bamparser, "BATCH", 7)
    monkeypatch.setattr(bamparser, "PIECE", 999)  # many pieces per chromosome
    archive = _archive(tmp_path, {"c1": 3000, "c2": 2000}, mode="dir")
    load_bam(archive, "t", src, count=count, min_mapq=10)
    assert_counts(_track(archive), expected(src, count, min_mapq=10))


def test_sam_text_and_cli(tmp_path, capsys):
    from gdxarray.cli import load_bam as cli

    src = write_bam(tmp_path / "r.sam", [("c", 100)], FLAGGED[:2], sam=True)
    archive = _archive(tmp_path, {"c": 100})
    assert cli.main([str(archive), "t", str(src), "--count", "5p"]) == 0
    np.testing.assert_array_equal(_track(archive)["c"], expected(src, "5p")["c"])
    assert capsys.readouterr().err == ""


def test_genomedata_load_detects_bam(realdata, tmp_path):
    """genomedata-load -t NAME=FILE.bam: the format comes from the content."""
    fasta = tmp_path / "g.fa"
    fasta.write_text(">chr1\n" + "ACGT" * 250 + "\n")
    src = tmp_path / "reads.data"  # no telling suffix
    shutil.copy(realdata / "bedtools_genomecov" / "three_blocks.sam", src)
    out = tmp_path / "out.gd"
    load_genomedata(out, [("cov", str(src))], [str(fasta)], mode="file")
    with Genome(out) as genome:
        np.testing.assert_array_equal(genome["chr1"][0:1000, "cov"],
                                      _dense(GENOMECOV_SPLIT["three_blocks.sam"]))
        assert genome.sums.tolist() == [30.0]  # closed: statistics written


def test_genomedata_load_command_with_bam(realdata, tmp_path, capsys):
    from gdxarray.cli import load as cli

    sizes = tmp_path / "g.sizes"
    sizes.write_text("1\t100\n2\t100\n3\t100\n")
    out = tmp_path / "out.gd"
    src = realdata / "bedtools_genomecov" / "y.bam"
    assert cli.main(["--sizes", "-s", str(sizes), "-t", f"y={src}", str(out)]) == 0
    with Genome(out) as genome:
        np.testing.assert_array_equal(genome["1"][0:100, "y"],
                                      _dense([(15, 17, 1), (17, 20, 2), (20, 22, 1)], 100))
    # a BAM on another assembly: one line, no archive left behind
    sizes.write_text("1\t100\n2\t99\n3\t100\n")
    bad = tmp_path / "bad.gd"
    assert cli.main(["--sizes", "-s", str(sizes), "-t", f"y={src}", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "chromosome 2 is 100 bp in the alignment header" in err
    assert not bad.exists()


# -- bad input ------------------------------------------------------------------------
def _cli_error(capsys, *argv) -> str:
    from gdxarray.cli import load_bam as cli

    assert cli.main([str(a) for a in argv]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("genomedata-load-bam: error: ")
    return err


def test_length_mismatch(tmp_path, capsys):
    src = write_bam(tmp_path / "r.bam", [("c", 100), ("d", 80)], FLAGGED[:2])
    archive = _archive(tmp_path, {"c": 100, "d": 90})
    err = _cli_error(capsys, archive, "t", src)
    assert "chromosome d is 80 bp in the alignment header but 90 bp in the archive" in err
    assert np.isnan(_track(archive)["c"]).all()  # refused before any write


def test_unknown_reference(tmp_path, capsys):
    from gdxarray.store import Archive

    reads = [{"chrom": "c", "pos": 1}, {"chrom": "z", "pos": 3}]
    src = write_bam(tmp_path / "r.bam", [("c", 25_000), ("z", 50)], reads)
    archive = _archive(tmp_path, {"c": 25_000})
    err = _cli_error(capsys, archive, "t", src)
    assert "record 2: reference 'z' is not a chromosome of the archive" in err
    # the first chunks of c were written before z was met: c is marked incomplete
    arch = Archive(archive)
    assert arch.incomplete_tracks("c") == ["t"]
    arch.close()
    summary = load_bam(archive, "t", src, skip_unknown_chroms=True)
    assert summary.skipped == {"z": 1}
    assert _track(archive)["c"].sum() == 10
    assert "skipped 1 read(s)" in capsys.readouterr().err
    arch = Archive(archive)
    assert arch.incomplete_tracks("c") == []
    arch.close()


def test_unknown_reference_found_by_index(tmp_path, capsys):
    reads = [{"chrom": "c", "pos": 1}, {"chrom": "z", "pos": 3}]
    src = write_bam(tmp_path / "r.bam", [("c", 100), ("z", 50)], reads, index=True)
    archive = _archive(tmp_path, {"c": 100})
    err = _cli_error(capsys, archive, "t", src)
    assert "reference 'z' (1 mapped reads) is not a chromosome" in err
    assert np.isnan(_track(archive)["c"]).all()  # the index told before any write


def test_unsorted(tmp_path, capsys):
    reads = [{"chrom": "c", "pos": 1}, {"chrom": "d", "pos": 3}, {"chrom": "c", "pos": 5}]
    src = write_bam(tmp_path / "r.bam", [("c", 100), ("d", 50)], reads, sort=False)
    archive = _archive(tmp_path, {"c": 100, "d": 50})
    err = _cli_error(capsys, archive, "t", src)
    assert "reads are not sorted: record 3 is on c after reads on d" in err
    assert "samtools sort" in err


def test_name_sorted(tmp_path, capsys):
    src = write_bam(tmp_path / "r.bam", [("c", 100)], FLAGGED[:2])
    text = pysam.view("-h", str(src)).replace("SO:coordinate", "SO:queryname")
    sam = tmp_path / "q.sam"
    sam.write_text(text)
    archive = _archive(tmp_path, {"c": 100})
    assert "sorted by name" in _cli_error(capsys, archive, "t", sam)


def test_truncated_and_corrupt(tmp_path, capsys):
    reads = [{"pos": p} for p in range(0, 5000, 3)]
    src = write_bam(tmp_path / "r.bam", [("c", 6000)], reads)
    data = src.read_bytes()
    archive = _archive(tmp_path, {"c": 6000})
    cut = tmp_path / "cut.bam"
    cut.write_bytes(data[:len(data) // 2])
    assert "truncated BAM file" in _cli_error(capsys, archive, "t", cut)
    # a damaged block inside a complete file
    bad = bytearray(data)
    for i in range(200, 260):
        bad[i] ^= 0x5A
    broken = tmp_path / "broken.bam"
    broken.write_bytes(bytes(bad))
    err = _cli_error(capsys, archive, "t", broken)
    assert "broken.bam: corrupt or truncated data at record 1" in err
    assert np.isnan(_track(archive)["c"]).all()


def test_bad_sam_line(tmp_path, capsys):
    src = write_bam(tmp_path / "r.sam", [("c", 100)], FLAGGED[:2], sam=True)
    lines = src.read_text().splitlines()
    lines.insert(4, "bad\tline\twith\tfew\tfields")
    src.write_text("\n".join(lines) + "\n")
    archive = _archive(tmp_path, {"c": 100})
    err = _cli_error(capsys, archive, "t", src)
    assert "r.sam:5: bad SAM record" in err


def test_not_alignments(tmp_path, capsys):
    text = tmp_path / "x.bed"
    text.write_text("c\t0\t10\t1\n")
    gz = tmp_path / "x.bed.gz"
    gz.write_bytes(gzip.compress(b"c\t0\t10\t1\n"))
    archive = _archive(tmp_path, {"c": 100})
    for path in (text, gz):
        assert "not a BAM, CRAM or SAM file" in _cli_error(capsys, archive, "t", path)
    assert "No such file" in _cli_error(capsys, archive, "t", tmp_path / "missing.bam")


def test_track_not_open_and_bad_options(tmp_path):
    src = write_bam(tmp_path / "r.bam", [("c", 100)], FLAGGED[:2])
    archive = _archive(tmp_path, {"c": 100})
    with pytest.raises(TrackNotOpenError):
        load_bam(archive, "nope", src)
    with pytest.raises(ValueError, match="count must be one of"):
        load_bam(archive, "t", src, count="depth")
    with pytest.raises(ValueError, match="extend applies"):
        load_bam(archive, "t", src, count="5p", extend=10)
    with pytest.raises(ValueError, match="strand does not apply"):
        load_bam(archive, "t", src, count="midpoint", strand="+")


def test_without_pysam(tmp_path, monkeypatch):
    src = write_bam(tmp_path / "r.bam", [("c", 100)], FLAGGED[:2])
    archive = _archive(tmp_path, {"c": 100})
    monkeypatch.setitem(sys.modules, "pysam", None)
    with pytest.raises(GenomedataError, match=r"pip install 'gdxarray\[bam\]'"):
        gdxarray.load_bam(archive, "t", src)



def test_cram(tmp_path):
    ref = tmp_path / "ref.fa"
    ref.write_text(">c\n" + "ACGT" * 250 + "\n")
    pysam.faidx(str(ref))
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": "c", "LN": 1000}]}
    src = tmp_path / "r.cram"
    with pysam.AlignmentFile(str(src), "wc", header=header, reference_filename=str(ref)) as f:
        for pos, cigar in ((5, "10M"), (8, "4M20N6M"), (200, "10M")):
            a = pysam.AlignedSegment()
            a.query_name, a.reference_id, a.reference_start = f"r{pos}", 0, pos
            a.mapping_quality, a.cigarstring = 60, cigar
            a.query_sequence = "ACGTACGTAC"
            a.query_qualities = pysam.qualitystring_to_array("I" * 10)
            f.write(a)
    assert bamparser.sniff_alignments(src) == "cram"
    archive = _archive(tmp_path, {"c": 1000})
    load_bam(archive, "t", src)
    got = _track(archive)["c"]
    assert_counts({"c": got}, expected(src))
    assert got[8:12].tolist() == [2, 2, 2, 2] and got[12] == 1 and got[30] == 0


def test_grouped_but_unsorted_within_a_chromosome(tmp_path):
    """Only grouping by reference matters: events add up in any order."""
    rng = np.random.default_rng(3)
    reads = [{"chrom": c, "pos": int(p), "cigar": "5M3N5M"}
             for c in ("c", "d") for p in rng.permutation(np.arange(0, 900, 7))]
    src = write_bam(tmp_path / "r.bam", [("c", 1000), ("d", 1000)], reads, sort=False)
    archive = _archive(tmp_path, {"c": 1000, "d": 1000})
    load_bam(archive, "t", src)
    assert_counts(_track(archive), expected(src))


def test_mapped_read_without_cigar(tmp_path, capsys):
    """(htslib turns such a SAM line into an unmapped read; a BAM keeps it mapped.)"""
    src = tmp_path / "r.bam"
    with pysam.AlignmentFile(str(src), "wb", header={"SQ": [{"SN": "c", "LN": 100}]}) as f:
        a = pysam.AlignedSegment()
        a.query_name, a.reference_id, a.reference_start, a.flag = "x", 0, 9, 16
        a.query_sequence = "ACGT"
        f.write(a)
    archive = _archive(tmp_path, {"c": 100})
    err = _cli_error(capsys, archive, "t", src, "--count", "5p")
    assert "record 1: a mapped read without a CIGAR" in err
    load_bam(archive, "t", src)  # coverage: no aligned blocks, nothing counted
    assert _track(archive)["c"].sum() == 0


@needs_bedtools
def test_supplementary_and_duplicates_as_bedtools(tmp_path):
    """bedtools counts supplementary alignments and duplicates: so do we (duplicates
    with include_duplicates); on the rest of FLAGGED it counts what we skip."""
    kept = [r for r in FLAGGED if not r["flag"] & (0x4 | 0x100 | 0x200)]
    src = write_bam(tmp_path / "f.bam", [("c", 100)], kept)
    archive = _archive(tmp_path, {"c": 100})
    load_bam(archive, "t", src, include_duplicates=True)
    assert_counts(_track(archive), bedtools_counts(src, {"c": 100}, "-split"))
