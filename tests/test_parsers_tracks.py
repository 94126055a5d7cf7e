"""Track text (bedGraph, WIG) and bigWig input, and real track files.

Expected values come from the file contents themselves (Python's ``float``,
hand-computed coordinates) or from independent readers (pyBigWig, the
reference genomedata's own functions), never from the parser under test.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pytest

from gdxarray.errors import ParseError
from gdxarray.parsers import (
    read_track,
    sniff_track_format,
)

from _parser_helpers import concat, f32, intervals, raises_at, write, _rows  # noqa: F401


class TestBedGraph:
    def test_fields_whitespace_and_skipped_lines(self, tmp_path):
        text = ("browser position chr1:1-100\r\n"
                "# comment\r\n"
                "track type=bedGraph name=x\r\n"
                "chr1\t0\t10\t1.5\r\n"
                "\r\n"
                "chr1  10 \t 20   -2 \t \r\n"
                "   \n"
                "# another comment\n"
                "chr2 5 6 3e2\n"
                "track name=again\n"
                "chr2\t6\t9\t+0.25")  # no final newline
        assert intervals(write(tmp_path, "a.txt", text)) == [
            ("chr1", 0, 10, 1.5, 4), ("chr1", 10, 20, -2.0, 6),
            ("chr2", 5, 6, 300.0, 9), ("chr2", 6, 9, 0.25, 11)]

    def test_values_like_strtof(self, tmp_path):
        tokens = ["nan", "NaN", "inf", "-inf", "Infinity", "1e3", "+1.5", "-0.25", ".5", "5.",
                  "1E-2", "0.30000000000000004", "123456789.123", "3.4028236e38", "1e-50",
                  "-0", "0.0715384615384615", "7", "-12.5e+1"]
        text = "".join(f"chr1\t{i}\t{i + 1}\t{t}\n" for i, t in enumerate(tokens))
        got = [v for *_, v, _ in intervals(write(tmp_path, "v.bg", text))]
        for token, value in zip(tokens, got):
            expected = f32(token)
            assert (np.isnan(value) and np.isnan(expected)) or value == expected, token
        assert np.signbit(np.float32(got[tokens.index("-0")]))

    @pytest.mark.parametrize("c_parser", [True, False], ids=["c", "numpy"])
    def test_many_random_values_match_python(self, tmp_path, monkeypatch, c_parser):
        from gdxarray.parsers import _vec
        if c_parser and _vec.PARSE_FLOATS is None:
            pytest.skip("the C extension is not built (numpy path only)")
        if not c_parser:
            monkeypatch.setattr(_vec, "PARSE_FLOATS", None)
        rng = np.random.default_rng(3)
        values = rng.normal(size=5000) * 10.0 ** rng.integers(-8, 8, 5000)
        formats = ["%g", "%.3f", "%e", "%.17g", "%.9g", "%.1E"]
        tokens = [formats[i % len(formats)] % v for i, v in enumerate(values)]
        text = "".join(f"chrA {i} {i + 1} {t}\n" for i, t in enumerate(tokens))
        got = np.array([v for *_, v, _ in intervals(write(tmp_path, "r.bg", text))])
        assert np.array_equal(got, np.array([f32(t) for t in tokens]))

    def test_chromosome_changes_split_blocks_in_input_order(self, tmp_path):
        text = "chr2 0 1 1\nchr1 0 1 2\nchr1 1 2 3\nchr2 5 6 4\nchr10 0 1 5\nchr1 9 10 6\n"
        blocks = list(read_track(write(tmp_path, "u.bg", text)))
        assert [b.chrom for b in blocks] == ["chr2", "chr1", "chr2", "chr10", "chr1"]
        assert [b.lines.tolist() for b in blocks] == [[1], [2, 3], [4], [5], [6]]

    def test_long_chromosome_names(self, tmp_path):
        a, b = "chrUn_" + "x" * 40 + "1", "chrUn_" + "x" * 40 + "2"
        text = f"{a} 0 1 1\n{a} 1 2 1\n{b} 0 1 1\n"
        assert [bl.chrom for bl in read_track(write(tmp_path, "l.bg", text))] == [a, b]

    @pytest.mark.parametrize("line, message", [
        ("chr1 0 10", r"expected 4 fields \(chrom start end value\), found 3: 'chr1 0 10'"),
        ("chr1 0 10 name 5 +", r"found 6: 'chr1 0 10 name 5 \+' \(a BED file with a name column"),
        ("chr1 1e3 2000 1", r"non-integer start '1e3'"),
        ("chr1 1.5 20 1", r"non-integer start '1.5'"),
        ("chr1 0 20.0 1", r"non-integer end '20.0'"),
        ("chr1 -5 20 1", r"negative start -5"),
        ("chr1 500 400 1", r"^.*:3: interval chr1:500-400 has start >= end$"),
        ("chr1 400 400 1", r"interval chr1:400-400 has start >= end"),
        ("chr1 0 10 NA", r"non-numeric value 'NA'"),
        ("chr1 0 10 abc", r"non-numeric value 'abc'"),
        ("chr1 0 10 1,5", r"non-numeric value '1,5'"),
        ("chr1 0 10 0x10", r"non-numeric value '0x10'"),
        ("chr1 0 123456789012345678901 1", r"end 123456789012345678901 is too large"),
        ("fixedStep chrom=chr1 start=1 step=1", r"fixedStep header in a bedGraph file"),
    ])
    def test_errors(self, tmp_path, line, message):
        text = f"track type=bedGraph\nchr1 0 1 1\n{line}\nchr1 1000 1001 1\n"
        path = write(tmp_path, "e.bg", text)
        with raises_at(3, message) as info:
            list(read_track(path))
        assert info.value.source == str(path)
        assert str(info.value).startswith(f"{path}:3: ")

    def test_first_error_in_file_order(self, tmp_path):
        text = "chr1 0 1 1\nchr1 1 2 bad\nchr1 2 3\nchr1 3 2 1\n"
        with raises_at(2, "non-numeric value 'bad'"):
            list(read_track(write(tmp_path, "o.bg", text)))
        text = "chr1 0 1 1\nchr1 5 2 1\nchr1 1 2 bad\n"
        with raises_at(2, "start >= end"):
            list(read_track(write(tmp_path, "o2.bg", text)))

    def test_error_line_numbers_far_into_the_file(self, tmp_path):
        lines = [f"chr1\t{i}\t{i + 1}\t{i % 7}" for i in range(20000)]
        lines[15000] = "chr1\t15000\t15001\tNA"
        path = write(tmp_path, "far.bg", "# head\n" + "\n".join(lines) + "\n")
        for block_bytes in (512, 65536, 8 << 20):
            with raises_at(15002, "non-numeric value 'NA'"):
                list(read_track(path, block_bytes=block_bytes))

    def test_non_ascii_chromosome(self, tmp_path):
        with raises_at(1, "non-ASCII chromosome name"):
            list(read_track(write(tmp_path, "n.bg", "chré 0 1 1\n".encode("utf-8"))))

    def test_lines_shuffled_across_chromosomes(self, tmp_path, monkeypatch):
        """Chromosome runs of a line or two (many per parsed block) come out as one block
        per run, in input order, with the same values and lines as the text says,
        whether the inner runs are made at once or as consumed."""
        from gdxarray.parsers import tracks as tracks_mod

        rng = np.random.default_rng(11)
        names = ["chr1", "chr2", "chrUn_x"]
        chroms = rng.integers(0, 3, 6000)
        rows = [(names[c], 7 * i, 7 * i + 3, float(np.float32(rng.normal())))
                for i, c in enumerate(chroms.tolist())]
        text = "track type=bedGraph\n" + "".join(f"{c}\t{s}\t{e}\t{v!r}\n" for c, s, e, v in rows)
        path = write(tmp_path, "x.bg", text)
        expected = [(c, s, e, v, i + 2) for i, (c, s, e, v) in enumerate(rows)]
        # runs of equal chromosomes, as blocks
        runs = 1 + int(np.count_nonzero(chroms[1:] != chroms[:-1]))
        for lazy in (4, 10**9):
            monkeypatch.setattr(tracks_mod, "_LAZY_RUNS", lazy)
            for block_bytes in (4096, 8 << 20):
                blocks = list(read_track(path, block_bytes=block_bytes))
                assert intervals(path, block_bytes=block_bytes) == expected
                if block_bytes > len(text):  # (a parsed block's last run ends a block)
                    assert len(blocks) == runs
                    assert all(a.chrom != b.chrom for a, b in zip(blocks, blocks[1:]))
                assert all(b.starts.dtype == np.int64 and b.values.dtype == np.float32
                           and b.starts.flags.c_contiguous for b in blocks)

    def test_non_ascii_chromosome_among_many_runs(self, tmp_path, monkeypatch):
        from gdxarray.parsers import tracks as tracks_mod

        monkeypatch.setattr(tracks_mod, "_LAZY_RUNS", 4)
        lines = [f"chr{1 + i % 2}\t{i}\t{i + 1}\t1" for i in range(100)]
        lines[57] = "chré\t57\t58\t1"
        with raises_at(58, "non-ASCII chromosome name"):
            list(read_track(write(tmp_path, "n.bg", ("\n".join(lines) + "\n").encode())))

    def test_empty_and_comment_only_inputs(self, tmp_path):
        assert intervals(write(tmp_path, "empty.bg", b"")) == []
        assert intervals(write(tmp_path, "c.bg", "track type=bedGraph\n# x\n\n")) == []


# --- WIG --------------------------------------------------------------------------------------

class TestWig:
    def test_fixed_step(self, tmp_path):
        text = ("track type=wiggle_0\n"
                "fixedStep chrom=chr1 start=11 step=5 span=2\n"
                "0.5\n1.5\n\n2.5\n"
                "fixedStep\tspan=3\tstep=10\tchrom=chr2\tstart=1\n"  # any key order, tabs
                "7\n"
                "fixedStep chrom=chr2 start=101\n"  # defaults step=1 span=1
                "8\n9\r\n")
        assert intervals(write(tmp_path, "f.wig", text)) == [
            ("chr1", 10, 12, 0.5, 3), ("chr1", 15, 17, 1.5, 4), ("chr1", 20, 22, 2.5, 6),
            ("chr2", 0, 3, 7.0, 8), ("chr2", 100, 101, 8.0, 10), ("chr2", 101, 102, 9.0, 11)]

    def test_variable_step_and_span_change(self, tmp_path):
        text = ("variableStep chrom=chr1 span=100\n"
                "1\t0\n"
                "variableStep chrom=chr1 span=10\n"
                "101 0.4\n111      0.45\n"
                "# comment inside\n"
                "121\t-inf\n"
                "variableStep chrom=chr3\n"
                "5 1\n")
        assert intervals(write(tmp_path, "v.wig", text)) == [
            ("chr1", 0, 100, 0.0, 2), ("chr1", 100, 110, f32("0.4"), 4),
            ("chr1", 110, 120, f32("0.45"), 5), ("chr1", 120, 130, float("-inf"), 7),
            ("chr3", 4, 5, 1.0, 9)]

    def test_sections_continue_across_blocks(self, tmp_path):
        values = [f"{i / 8:g}" for i in range(3000)]
        text = "fixedStep chrom=chrX start=1001 step=3 span=2\n" + "\n".join(values) + "\n"
        path = write(tmp_path, "big.wig", text)
        for block_bytes in (64, 1000, 8 << 20):
            got = concat(read_track(path, block_bytes=block_bytes))["chrX"]
            k = np.arange(3000)
            assert np.array_equal(got[:, 0], 1000 + 3 * k)
            assert np.array_equal(got[:, 1], 1002 + 3 * k)
            assert np.array_equal(got[:, 2], [f32(v) for v in values])
            assert np.array_equal(got[:, 3], k + 2)

    @pytest.mark.parametrize("header, message", [
        ("fixedStep chrom=chr1 start=1 step=1 color=red",
         r"bad fixedStep header: unknown key 'color'"),
        ("fixedStep start=1 step=1", r"bad fixedStep header: missing chrom="),
        ("fixedStep chrom=chr1 start=0 step=1",
         r"bad fixedStep header: start=0 is not a positive integer \(wig positions are 1-based\)"),
        ("fixedStep chrom=chr1 start=1 step=-1",
         r"bad fixedStep header: step=-1 is not a positive integer"),
        ("fixedStep chrom=chr1 start=1 step=1 span=1.5", r"span=1.5 is not a positive integer"),
        ("fixedStep chrom=chr1 start=1 start=2", r"start= given twice"),
        ("fixedStep chrom", r"expected key=value, found 'chrom'"),
        ("variableStep chrom=chr1 start=5", r"bad variableStep header: unknown key 'start'"),
        ("variableStep span=5", r"bad variableStep header: missing chrom="),
    ])
    def test_header_errors(self, tmp_path, header, message):
        with raises_at(2, message):
            list(read_track(write(tmp_path, "h.wig", f"track type=wiggle_0\n{header}\n1\n")))

    @pytest.mark.parametrize("text, line, message", [
        ("0.5\nfixedStep chrom=chr1 start=1 step=1\n1\n", 1,
         "data line before any fixedStep/variableStep header: '0.5'"),
        ("# c\n10 0.5\nvariableStep chrom=chr1\n", 2, "data line before any fixedStep"),
        ("fixedStep chrom=chr1 start=1 step=1\n1\nchr1 0 10 1\n", 3,
         r"expected 1 field \(a value\) per line in a fixedStep section, found 4: "
         r"'chr1 0 10 1' \(bedGraph data in a wig file\?\)"),
        ("fixedStep chrom=chr1 start=1 step=1\n1\nNA\n", 3, "non-numeric value 'NA'"),
        ("variableStep chrom=chr1\n5 1\n6\n", 3,
         r"expected 2 fields \(position value\) per line in a variableStep section, found 1: '6'"),
        ("variableStep chrom=chr1\n5 1\n0 1\n", 3, "position 0 in a variableStep section"),
        ("variableStep chrom=chr1\n5 1\n-3 1\n", 3, "negative position -3"),
        ("variableStep chrom=chr1\n5 1\n6.5 1\n", 3, "non-integer position '6.5'"),
        ("variableStep chrom=chr1\n5 1\n6 x\n", 3, "non-numeric value 'x'"),
    ])
    def test_data_errors(self, tmp_path, text, line, message):
        with raises_at(line, message):
            list(read_track(write(tmp_path, "d.wig", text)))

    def test_sniff_track_format(self):
        assert sniff_track_format(["track type=wiggle_0", "", "variableStep chrom=c"]) == "wig"
        assert sniff_track_format([b"# x", b"browser hide all", b"fixedStep chrom=c"]) == "wig"
        assert sniff_track_format(["0.5"]) == "wig"
        assert sniff_track_format(["track type=bedGraph", "chr1 0 10 1"]) == "bedgraph"
        assert sniff_track_format(["chr1\t0\t10"]) == "bedgraph"
        assert sniff_track_format([]) == "bedgraph"


class TestBlocks:
    def test_tiny_blocks_give_identical_intervals(self, tmp_path):
        rng = np.random.default_rng(9)
        parts = ["track type=bedGraph\n"]
        pos = 0
        for i in range(400):
            chrom = f"chr{1 + i // 150}"
            if i % 150 == 0:
                pos = 0
            width = int(rng.integers(1, 30))
            sep = "\t" if i % 3 else "  "
            parts.append(f"{chrom}{sep}{pos}{sep}{pos + width}{sep}{rng.normal():.4g}\n")
            if i % 37 == 0:
                parts.append("# comment\n\n")
            pos += width
        path = write(tmp_path, "mix.bg", "".join(parts))
        reference = intervals(path)
        assert len(reference) == 400
        for block_bytes in (1, 7, 64, 1000):
            blocks = list(read_track(path, block_bytes=block_bytes))
            assert all(len(b) for b in blocks)
            assert [r for b in blocks for r in _rows(b)] == reference

    def test_line_longer_than_block(self, tmp_path):
        long_chrom = "c" * 500
        path = write(tmp_path, "long.bg", f"{long_chrom} 0 1 1\nchr1 0 1 2\n")
        assert intervals(path, block_bytes=16) == [(long_chrom, 0, 1, 1.0, 1), ("chr1", 0, 1, 2.0, 2)]


# --- bigWig -------------------------------------------------------------------------------------

class TestBigWig:
    PAIRS = [
        ("pygenometracks/bigwig_chrx_2e6_5e6.bw", "pygenometracks/bedgraph_chrx_2e6_5e6.bg"),
        ("pygenometracks/bigwig2_X_2.5e6_3.5e6.bw", "pygenometracks/bedgraph2_X_2.5e6_3.5e6.bdg"),
        ("bigtools/valid.bigWig", "bigtools/single_chrom.bedGraph"),
    ]

    @pytest.mark.parametrize("bigwig, bedgraph", PAIRS, ids=lambda p: Path(p).name)
    def test_verified_pairs(self, realdata, bigwig, bedgraph):
        pyBigWig = pytest.importorskip("pyBigWig")
        from_text = concat(read_track(realdata / bedgraph))
        from_bw = concat(read_track(realdata / bigwig))
        bw = pyBigWig.open(str(realdata / bigwig))
        try:
            assert list(from_text) == list(from_bw) == [c for c in bw.chroms()
                                                         if bw.intervals(c)]
            for chrom, got in from_text.items():
                expected = np.array(bw.intervals(chrom), dtype=np.float64)
                assert np.array_equal(got[:, :2], expected[:, :2])
                assert np.array_equal(got[:, 2], expected[:, 2].astype(np.float32))
                assert np.array_equal(from_bw[chrom][:, :3], expected)
        finally:
            bw.close()

    def test_multi_chromosome_bigwig_lines_are_ordinals(self, realdata):
        blocks = list(read_track(realdata / "genomedata" / "ENCFF324BPE.bigWig"))
        lines = np.concatenate([b.lines for b in blocks])
        assert len(lines) == 137_619
        assert np.array_equal(lines, np.arange(1, len(lines) + 1))
        assert len({b.chrom for b in blocks}) == 24

    def test_pybigwig_test_file(self, realdata):
        got = concat(read_track(realdata / "pybigwig" / "test.bw"))
        assert list(got) == ["1", "10"]

    def test_bigbed_is_rejected(self, realdata):
        with pytest.raises(ParseError, match="binary file, not text"):
            list(read_track(realdata / "pybigwig" / "test.bigBed"))

    def test_bigwig_on_a_stream_asks_for_the_path(self, realdata):
        data = (realdata / "pybigwig" / "test.bw").read_bytes()
        with pytest.raises(ParseError, match="bigWig.*file path"):
            list(read_track(io.BytesIO(data)))


# --- real text tracks ---------------------------------------------------------------------------

class TestRealTracks:
    @pytest.fixture(autouse=True)
    def _g(self, realdata):
        self.G = realdata / "genomedata"

    @pytest.mark.parametrize("stem", ["wgEncodeDukeDNaseSeqBaseOverlapSignalK562V2.wigVar",
                                      "wgEncodeDukeDNaseSeqBaseOverlapSignalK562V2.bedGraph"])
    def test_dos_variants_equal_plain(self, stem):
        plain = intervals(self.G / stem)
        dos = intervals(self.G / stem.replace("V2.", "V2.dos."))
        assert plain == dos and plain

    def test_duke_wigvar_values(self):
        got = intervals(self.G / "wgEncodeDukeDNaseSeqBaseOverlapSignalK562V2.wigVar")
        assert got[0] == ("chr2", 0, 1, 0.0, 2)
        assert got[1] == ("chr1", 155, 156, 0.0, 4)
        assert got[2:13] == [("chr1", p - 1, p, 1.0, p - 152) for p in range(157, 168)]
        assert got[-1] == ("chr10", 99, 100, 0.0, 19)  # last line has no newline

    def test_duke_bed_is_bedgraph(self):
        assert intervals(self.G / "wgEncodeDukeDNaseSeqBaseOverlapSignalK562V2.bed") == [
            ("chr2", 0, 1, 0.0, 1), ("chr1", 0, 156, 0.0, 2), ("chr1", 156, 167, 1.0, 3),
            ("chr1", 167, 190, 0.0, 4), ("chr10", 0, 100, 0.0, 5)]

    def test_bgzf_equals_plain(self, realdata):
        plain = concat(read_track(realdata / "pygenometracks" / "bedgraph_chrx_2e6_5e6.bg"))
        bgzf = concat(read_track(realdata / "pygenometracks" / "bedgraph_chrx_2e6_5e6.bg.bgz"))
        assert list(plain) == list(bgzf) == ["chrX"]
        assert np.array_equal(plain["chrX"], bgzf["chrX"]) and len(plain["chrX"]) == 11244

    def test_unsorted_gzip_bedgraph_with_track_line(self, realdata):
        path = realdata / "pygenometracks" / "GSM3182415_E12PHL_WT_Hoxd11vp.bedgraph.gz"
        rows = [line.split() for line in gzip.open(path, "rb").read().splitlines()[1:]]
        got = intervals(path)
        assert len(got) == len(rows) == 169_132
        assert got[0][0] == "chr2"
        assert [g[1] for g in got] == [int(r[1]) for r in rows]
        assert [g[3] for g in got] == [f32(r[3].decode()) for r in rows]
        assert got[-1][4] == 169_133

    def test_na_value_is_an_error(self, realdata):
        with raises_at(11, "non-numeric value 'NA'"):
            list(read_track(realdata / "pygenometracks" / "bedgraph_withNA.bdg"))

    def test_phylop_wigfix(self):
        got = concat(read_track(self.G / "phyloP44way.placental.short.wigFix"))
        assert list(got) == ["chr1", "chrY"]
        text = (self.G / "phyloP44way.placental.short.wigFix").read_text().splitlines()
        n_values = sum(1 for t in text if t and t[0] not in "tf#")
        assert sum(len(v) for v in got.values()) == n_values

    def test_placental_tab_header(self):
        got = intervals(self.G / "chr1.phyloP44way.placental.short.wigFix")
        assert got[:2] == [("chr1", 280, 281, f32("0.371"), 3), ("chr1", 281, 282, f32("0.372"), 4)]

    def test_reference_zero_based_wig_inputs_are_errors(self):
        # the reference's hardmask tests use 0-based wig coordinates (FORMAT.md 7)
        with raises_at(1, "start=0 is not a positive integer"):
            list(read_track(self.G / "filter_fixed.wig"))
        with raises_at(2, "position 0 in a variableStep section"):
            list(read_track(self.G / "filter_variable.wig.gz"))


# --- masks ------------------------------------------------------------------------------------
