"""Input parsers: gzip/binary detection, track text (bedGraph, WIG), bigWig, masks,
FASTA, AGP, chromosome sizes and assembly reports.

Expected values come from the file contents themselves (Python's ``float``,
hand-computed coordinates) or from independent readers (pyBigWig, the
reference genomedata's own functions), never from the parser under test.
"""

from __future__ import annotations

import gzip
import io
import re
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from gdxarray.errors import GenomedataError, ParseError
from gdxarray.format import BIGWIG_MAGICS, HDF5_MAGIC
from gdxarray.parsers import (
    IntervalBlock,
    count_sequences,
    find_supercontigs,
    open_input,
    read_agp,
    read_assembly_report,
    read_fasta,
    read_mask,
    read_sizes,
    read_track,
    sniff_track_format,
)
from gdxarray.parsers._io import InputFileError
from gdxarray.parsers.sequence import NameTranslationError

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
needs_realdata = pytest.mark.skipif(not REALDATA.exists(), reason="../shared/realdata not present")


# --- helpers -------------------------------------------------------------------------

def write(tmp_path: Path, name: str, data: bytes | str, *, gz: bool = False) -> Path:
    path = tmp_path / name
    raw = data.encode() if isinstance(data, str) else data
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def intervals(source, **kwargs) -> list[tuple[str, int, int, float, int]]:
    """All intervals of read_track as (chrom, start, end, value, line) tuples."""
    out = []
    for block in read_track(source, **kwargs):
        assert isinstance(block, IntervalBlock)
        out.extend(_rows(block))
    return out


def _rows(block: IntervalBlock) -> list[tuple[str, int, int, float, int]]:
    assert len(block) > 0
    assert block.starts.dtype == np.int64 and block.ends.dtype == np.int64
    assert block.values.dtype == np.float32 and block.lines.dtype == np.int64
    assert len(block.starts) == len(block.ends) == len(block.values) == len(block.lines)
    return [(block.chrom, s, e, v, ln) for s, e, v, ln in
            zip(block.starts.tolist(), block.ends.tolist(), block.values.tolist(),
                block.lines.tolist())]


def concat(blocks) -> dict[str, np.ndarray]:
    """Per chromosome (in first-seen order): an (n, 4) float64 array start, end, value, line."""
    out: dict[str, list] = {}
    for b in blocks:
        out.setdefault(b.chrom, []).append(
            np.stack([b.starts, b.ends, b.values.astype(np.float64), b.lines], axis=1))
    return {k: np.concatenate(v) for k, v in out.items()}


def f32(token: str) -> float:
    """What C strtof gives: the float32 nearest to the decimal (inf beyond float32)."""
    with np.errstate(over="ignore"):
        return float(np.float32(float(token)))


def raises_at(line: int | None, match: str):
    """pytest.raises(ParseError) that also checks the error's line."""
    class _Check:
        def __enter__(self):
            self._cm = pytest.raises(ParseError, match=match)
            self.info = self._cm.__enter__()
            return self.info

        def __exit__(self, *exc):
            result = self._cm.__exit__(*exc)
            assert self.info.value.line == line, str(self.info.value)
            return result
    return _Check()


# --- open_input ----------------------------------------------------------------------------

class TestOpenInput:
    def test_plain_path_and_display_name(self, tmp_path):
        path = write(tmp_path, "a.txt", b"hello\n")
        with open_input(path) as (reader, shown):
            assert reader.read(100) == b"hello\n"
            assert reader.read(100) == b""
        assert shown == str(path)
        with open_input(str(path), name="shown.txt") as (_, shown):
            assert shown == "shown.txt"

    def test_gzip_detected_by_content_not_suffix(self, tmp_path):
        path = write(tmp_path, "plain_name.txt", b"chr1 0 10 1\n", gz=True)
        with open_input(path) as (reader, _):
            assert reader.read(-1) == b"chr1 0 10 1\n"

    def test_multi_member_gzip(self, tmp_path):
        data = gzip.compress(b"first\n") + gzip.compress(b"") + gzip.compress(b"second\n")
        path = write(tmp_path, "multi.gz", data + b"\x00" * 10)  # NUL padding is tolerated
        with open_input(path) as (reader, _):
            out = b"".join(iter(lambda: reader.read(3), b""))
        assert out == b"first\nsecond\n"

    def test_truncated_gzip(self, tmp_path):
        payload = np.random.default_rng(0).integers(0, 10, 200_000).astype(str)
        data = gzip.compress("\n".join(payload).encode())
        path = write(tmp_path, "cut.gz", data[: len(data) // 2])
        with pytest.raises(ParseError, match="truncated or corrupt gzip data") as info:
            with open_input(path) as (reader, _):
                while reader.read(1 << 16):
                    pass
        assert info.value.source == str(path)

    def test_corrupt_gzip(self, tmp_path):
        data = bytearray(gzip.compress(b"chr1 0 10 1\n" * 5000))
        data[40:60] = b"\xff" * 20
        path = write(tmp_path, "bad.gz", bytes(data))
        with pytest.raises(ParseError, match="truncated or corrupt gzip data"):
            list(read_track(path))

    def test_crc_mismatch_is_corrupt(self, tmp_path):
        data = bytearray(gzip.compress(b"chr1 0 10 1\n"))
        data[-8] ^= 0xFF  # CRC32 of the member
        path = write(tmp_path, "crc.gz", bytes(data))
        with pytest.raises(ParseError, match="truncated or corrupt gzip data"):
            list(read_track(path))

    def test_garbage_after_gzip(self, tmp_path):
        path = write(tmp_path, "tail.gz", gzip.compress(b"chr1 0 10 1\n") + b"garbage")
        with pytest.raises(ParseError, match="truncated or corrupt gzip data"):
            list(read_track(path))

    @pytest.mark.parametrize("head, what", [
        (b"chr1\t0\t10\t1\n\x00\x00", "NUL"),
        (HDF5_MAGIC + b"\x00" * 100, "HDF5"),
        (BIGWIG_MAGICS[0] + b"\x00" * 100, "bigWig"),
        (BIGWIG_MAGICS[1] + b"\x00" * 100, "bigWig"),
    ])
    def test_binary_input(self, tmp_path, head, what):
        path = write(tmp_path, "x.fa", head)
        with pytest.raises(ParseError, match=f"binary file, not text.*{what}"):
            list(read_fasta(path))

    def test_binary_inside_gzip(self, tmp_path):
        path = write(tmp_path, "x.gz", b"ACGT\x00\x00", gz=True)
        with pytest.raises(ParseError, match="binary file, not text"):
            list(read_sizes(path))

    def test_open_file_object_left_open(self):
        buffer = io.BytesIO(b"chr1 0 10 1.5\n")
        assert intervals(buffer) == [("chr1", 0, 10, 1.5, 1)]
        assert not buffer.closed

    def test_stdin(self, monkeypatch):
        class FakeStdin:
            buffer = io.BytesIO(b"chr1 0 10 2\nchr1 10 20 x\n")
        monkeypatch.setattr(sys, "stdin", FakeStdin())
        with pytest.raises(ParseError, match=r"^<stdin>:2: non-numeric value 'x'$") as info:
            list(read_track("-"))
        assert info.value.source == "<stdin>" and info.value.line == 2

    def test_missing_file(self, tmp_path):
        with pytest.raises(InputFileError) as info:
            list(read_track(tmp_path / "missing.bedGraph"))
        assert isinstance(info.value, GenomedataError) and isinstance(info.value, OSError)
        assert "missing.bedGraph" in str(info.value)


# --- bedGraph -----------------------------------------------------------------------------

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

    def test_many_random_values_match_python(self, tmp_path):
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

@needs_realdata
class TestBigWig:
    PAIRS = [
        ("pygenometracks/bigwig_chrx_2e6_5e6.bw", "pygenometracks/bedgraph_chrx_2e6_5e6.bg"),
        ("pygenometracks/bigwig2_X_2.5e6_3.5e6.bw", "pygenometracks/bedgraph2_X_2.5e6_3.5e6.bdg"),
        ("bigtools/valid.bigWig", "bigtools/single_chrom.bedGraph"),
    ]

    @pytest.mark.parametrize("bigwig, bedgraph", PAIRS, ids=lambda p: Path(p).name)
    def test_verified_pairs(self, bigwig, bedgraph):
        pyBigWig = pytest.importorskip("pyBigWig")
        from_text = concat(read_track(REALDATA / bedgraph))
        from_bw = concat(read_track(REALDATA / bigwig))
        bw = pyBigWig.open(str(REALDATA / bigwig))
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

    def test_multi_chromosome_bigwig_lines_are_ordinals(self):
        blocks = list(read_track(REALDATA / "genomedata" / "ENCFF324BPE.bigWig"))
        lines = np.concatenate([b.lines for b in blocks])
        assert len(lines) == 137_619
        assert np.array_equal(lines, np.arange(1, len(lines) + 1))
        assert len({b.chrom for b in blocks}) == 24

    def test_pybigwig_test_file(self):
        got = concat(read_track(REALDATA / "pybigwig" / "test.bw"))
        assert list(got) == ["1", "10"]

    def test_bigbed_is_rejected(self):
        with pytest.raises(ParseError, match="binary file, not text"):
            list(read_track(REALDATA / "pybigwig" / "test.bigBed"))

    def test_bigwig_on_a_stream_asks_for_the_path(self):
        data = (REALDATA / "pybigwig" / "test.bw").read_bytes()
        with pytest.raises(ParseError, match="bigWig.*file path"):
            list(read_track(io.BytesIO(data)))


# --- real text tracks ---------------------------------------------------------------------------

@needs_realdata
class TestRealTracks:
    G = REALDATA / "genomedata"

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

    def test_bgzf_equals_plain(self):
        plain = concat(read_track(REALDATA / "pygenometracks" / "bedgraph_chrx_2e6_5e6.bg"))
        bgzf = concat(read_track(REALDATA / "pygenometracks" / "bedgraph_chrx_2e6_5e6.bg.bgz"))
        assert list(plain) == list(bgzf) == ["chrX"]
        assert np.array_equal(plain["chrX"], bgzf["chrX"]) and len(plain["chrX"]) == 11244

    def test_unsorted_gzip_bedgraph_with_track_line(self):
        path = REALDATA / "pygenometracks" / "GSM3182415_E12PHL_WT_Hoxd11vp.bedgraph.gz"
        rows = [line.split() for line in gzip.open(path, "rb").read().splitlines()[1:]]
        got = intervals(path)
        assert len(got) == len(rows) == 169_132
        assert got[0][0] == "chr2"
        assert [g[1] for g in got] == [int(r[1]) for r in rows]
        assert [g[3] for g in got] == [f32(r[3].decode()) for r in rows]
        assert got[-1][4] == 169_133

    def test_na_value_is_an_error(self):
        with raises_at(11, "non-numeric value 'NA'"):
            list(read_track(REALDATA / "pygenometracks" / "bedgraph_withNA.bdg"))

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

class TestMask:
    def test_bed_values(self, tmp_path):
        text = ("track name=mask\n"
                "chr1\t0\t100\n"  # BED3: NaN
                "chr1\t100\t130\tA\t0.4\t+\n"  # score column
                "chr1\t130\t170\t2.5\n"  # numeric 4th column (bedGraph)
                "chr1\t170\t200\tname\n"  # BED4 with a name: NaN
                "chr1\t200\t210\t7\tx\n"  # score not numeric, 4th is
                "chr2 5 6 A 1e3\n")
        rows = [r for b in read_mask(write(tmp_path, "m.bed", text)) for r in _rows(b)]
        values = [r[3] for r in rows]
        assert [r[:3] for r in rows] == [("chr1", 0, 100), ("chr1", 100, 130),
                                          ("chr1", 130, 170), ("chr1", 170, 200),
                                          ("chr1", 200, 210), ("chr2", 5, 6)]
        assert np.isnan(values[0]) and np.isnan(values[3])
        assert values[1:3] + values[4:] == [f32("0.4"), 2.5, 7.0, 1000.0]
        assert [r[4] for r in rows] == [2, 3, 4, 5, 6, 7]

    def test_wig_mask_is_one_based(self, tmp_path):
        text = "fixedStep chrom=chr1 start=1 step=10 span=10\n0\n0.5\n"
        rows = [r for b in read_mask(write(tmp_path, "m.wig", text)) for r in _rows(b)]
        assert rows == [("chr1", 0, 10, 0.0, 2), ("chr1", 10, 20, 0.5, 3)]

    @pytest.mark.parametrize("text, line, message", [
        ("chr1 0 10\nchr1 10\n", 2, r"expected at least 3 fields \(chrom start end\), found 2"),
        ("chr1 0 10\nchr1 20 10\n", 2, "interval chr1:20-10 has start >= end"),
        ("chr1 0 x\n", 1, "non-integer end 'x'"),
        ("chr1 0 10\nvariableStep chrom=chr1\n", 2, "variableStep header in a BED file"),
        ("5 0.5\n", 1, "data line before any fixedStep/variableStep header"),
    ])
    def test_errors(self, tmp_path, text, line, message):
        with raises_at(line, message):
            list(read_mask(write(tmp_path, "bad.bed", text)))

    @needs_realdata
    def test_real_masks(self):
        rows = [r for b in read_mask(REALDATA / "genomedata" / "filter.bed") for r in _rows(b)]
        assert [(r[1], r[2], r[3]) for r in rows] == [
            (0, 100, 0.0), (100, 130, f32("0.4")), (130, 170, 1.0), (170, 200, f32("0.4")),
            (200, 210, 0.0)]
        unfiltered = [r[3] for b in read_mask(REALDATA / "genomedata" / "unfiltered.bed")
                      for r in _rows(b)]
        assert unfiltered[:3] == [0.0, f32("0.1"), f32("0.6")] and len(unfiltered) == 12
        gerp = list(read_mask(REALDATA / "debian_bedtools" / "gerp.chr1.bed.gz"))
        assert sum(len(b) for b in gerp) == 88_292
        assert {b.chrom for b in gerp} == {"chr1"}
        assert not any(np.isnan(b.values).any() for b in gerp)


# --- supercontigs ---------------------------------------------------------------------------------

def brute_force_supercontigs(seq: bytes, gap_length: int) -> list[tuple[int, int]]:
    gaps = [m.span() for m in re.finditer(rb"[^ACGTacgt]+", seq)
            if m.end() - m.start() >= gap_length]
    bounds = [0] + [x for g in gaps for x in g] + [len(seq)]
    return [(a, b) for a, b in zip(bounds[0::2], bounds[1::2]) if b > a]


class TestSupercontigs:
    @pytest.mark.parametrize("gap_length", [1, 3, 10, 2000])
    def test_random_sequences_match_brute_force(self, gap_length):
        rng = np.random.default_rng(gap_length)
        alphabet = np.frombuffer(b"ACGTacgtNnRY-", dtype=np.uint8)
        for _ in range(300):
            p = rng.random(len(alphabet))
            p[8:] *= rng.random() * 30
            n = int(rng.integers(1, 9000 if gap_length > 100 else 120))
            runs = rng.choice(alphabet, size=max(1, n // 50), p=p / p.sum())
            seq = np.repeat(runs, rng.integers(1, 2 * max(1, gap_length), len(runs)))[:n]
            starts, ends = find_supercontigs(seq.astype(np.uint8), gap_length)
            assert list(zip(starts.tolist(), ends.tolist())) == \
                brute_force_supercontigs(seq.tobytes(), gap_length)

    def test_edges(self):
        assert [a.tolist() for a in find_supercontigs(b"NNNN", 2)] == [[], []]
        assert [a.tolist() for a in find_supercontigs(b"NNACGTN", 3)] == [[0], [7]]
        assert [a.tolist() for a in find_supercontigs(b"NNNACGTNNN", 3)] == [[3], [7]]
        assert [a.tolist() for a in find_supercontigs(b"", 3)] == [[], []]
        with pytest.raises(ValueError):
            find_supercontigs(b"ACGT", 0)

    def test_default_gap_length_on_a_long_sequence(self):
        seq = np.full(1_000_000, ord("a"), dtype=np.uint8)
        seq[0:99_999] = ord("N")  # too short: stays in supercontig 0
        seq[300_000:400_000] = ord("n")  # exactly MIN_GAP_LEN
        seq[700_000:950_000] = ord("R")
        seq[999_000:] = ord("N")
        starts, ends = find_supercontigs(seq)
        assert starts.tolist() == [0, 400_000, 950_000]
        assert ends.tolist() == [300_000, 700_000, 1_000_000]


# --- FASTA ---------------------------------------------------------------------------------------

class TestFasta:
    def test_records(self, tmp_path):
        text = ("\n>chr1 some  description\t\r\n"
                "ACGTacgt\r\n"
                "NNNNnn\r\n"
                "  AC GT \r\n"
                ">chr2\n"
                "tttt\n"
                "\n"
                ">chrM\n"
                "A")
        records = list(read_fasta(write(tmp_path, "g.fa", text, gz=True), gap_length=4))
        assert [(r.name, r.length, r.line) for r in records] == [
            ("chr1_some_description", 18, 2), ("chr2", 4, 6), ("chrM", 1, 9)]
        assert records[0].seq.tobytes() == b"ACGTacgtNNNNnnACGT"
        assert records[0].starts.tolist() == [0, 14] and records[0].ends.tolist() == [8, 18]
        assert records[1].seq.dtype == np.uint8 and records[1].seq.tobytes() == b"tttt"
        assert all(r.source == str(tmp_path / "g.fa") for r in records)

    def test_all_gap_record_has_no_supercontig(self, tmp_path):
        (record,) = read_fasta(write(tmp_path, "n.fa", ">x\nNNNNNN\n"), gap_length=2)
        assert record.length == 6 and len(record.starts) == 0 and len(record.ends) == 0

    @pytest.mark.parametrize("text, line, message", [
        ("", None, "no FASTA records"),
        ("\n\n", None, "no FASTA records"),
        ("ACGT\n>chr1\nACGT\n", 1, "sequence data before the first '>' line"),
        ("\n\nACGT\n", 3, "sequence data before the first '>' line"),
        (">\nACGT\n", 1, "empty sequence name"),
        (">chr1\nACGT\n>chr2\nAC\n>chr1 \nGG\n", 5,
         r"duplicate sequence name 'chr1' \(first at line 1\)"),
        (">chr1\nACGT\nAC1T\n", 3, "invalid character '1' in the sequence of 'chr1'"),
        (">chr1\nACGT\n>chr2\nAC.T\n", 4, "invalid character '.'"),
        (">chr1\n>chr2\nACGT\n", 1, "sequence 'chr1' is empty"),
        (">chr1\nACGT\n>chr2\n", 3, "sequence 'chr2' is empty"),
    ])
    def test_errors(self, tmp_path, text, line, message):
        with raises_at(line, message):
            list(read_fasta(write(tmp_path, "bad.fa", text)))

    def test_count_sequences(self, tmp_path):
        a = write(tmp_path, "a.fa", ">x\nAC\n>y desc > z\nGT\n")
        b = write(tmp_path, "b.fa.gz", ">z\nAC\n", gz=True)
        assert count_sequences([a, b], "fasta") == 3
        assert count_sequences(a, "fasta") == 2
        sizes = write(tmp_path, "s.sizes", "chr1 10\n\n# c\nchr2 20\n")
        assert count_sequences([sizes], "sizes") == 2
        agp = write(tmp_path, "a.agp", "o1\t1\t5\t1\tW\tc\t1\t5\t+\no2\t1\t5\t1\tW\tc\t1\t5\t+\n")
        assert count_sequences([agp, agp], "agp") == 4
        with pytest.raises(ValueError, match="unknown sequence file kind"):
            count_sequences([a], "genbank")

    @needs_realdata
    def test_real_fasta(self):
        (chr1,) = read_fasta(REALDATA / "genomedata" / "chr1.short.fa")
        text = (REALDATA / "genomedata" / "chr1.short.fa").read_bytes().split(b"\n", 1)[1]
        assert chr1.name == "chr1" and chr1.length == 24_950
        assert chr1.seq.tobytes() == text.replace(b"\n", b"")
        assert (chr1.starts.tolist(), chr1.ends.tolist()) == ([0], [24_950])
        (chrY,) = read_fasta(REALDATA / "genomedata" / "chrY.short.fa.gz")
        assert chrY.name == "chrY" and chrY.length == 24_950

        (rdna,) = read_fasta(REALDATA / "pygenometracks" / "fasta_track.fasta")
        assert rdna.name == "rDNA_unit_8919x2_bp" and rdna.length == 17_843
        assert (rdna.starts.tolist(), rdna.ends.tolist()) == ([0], [17_843])
        assert b"N" in rdna.seq.tobytes()

        (ref,) = read_fasta(REALDATA / "debian_bedtools" / "test_ref.fa")
        assert ref.length == 50_000 and ref.seq[:10_000].tobytes() == b"N" * 10_000
        assert (ref.starts.tolist(), ref.ends.tolist()) == ([0], [50_000])
        (ref,) = read_fasta(REALDATA / "debian_bedtools" / "test_ref.fa", gap_length=1000)
        assert (ref.starts.tolist(), ref.ends.tolist()) == ([10_000], [50_000])

        plasmids = list(read_fasta(REALDATA / "debian_unicycler" /
                                   "shigella_sonnei_53G_plasmids.reference.fasta"))
        assert [(r.name.split("_Shigella")[0], r.length, r.line) for r in plasmids] == [
            ("NC_016833.1", 215_774, 1), ("NC_016823.1", 5_153, 3085),
            ("NC_016834.1", 8_953, 3160)]
        assert plasmids[1].name == ("NC_016823.1_Shigella_sonnei_53G_plasmid_B,_complete_genome_"
                                    "length=5153_circular=true")
        assert count_sequences([REALDATA / "debian_unicycler" /
                                "shigella_sonnei_53G_plasmids.reference.fasta",
                                REALDATA / "deeptools" / "phiX.fasta"], "fasta") == 4


# --- AGP ----------------------------------------------------------------------------------------

def agp_row(obj, beg, end, part, kind, *rest):
    if not rest:
        rest = ("100", "scaffold", "yes", "paired-ends") if kind in "NU" else ("ctg", "1", "9", "+")
    return "\t".join([obj, str(beg), str(end), str(part), kind, *rest]) + "\n"


class TestAgp:
    def test_merging_gaps_and_objects(self, tmp_path):
        text = ("# comment\n\n"
                + agp_row("chrB", 1, 100, 1, "W")
                + agp_row("chrB", 101, 200, 2, "F")  # touches: merged
                + agp_row("chrB", 201, 300, 3, "N")  # gap (any length) splits
                + agp_row("chrB", 301, 310, 4, "A")
                + agp_row("chrA", 1, 10, 1, "U")  # only gaps
                + agp_row("chrB", 401, 500, 5, "D")  # hole: a new supercontig
                + agp_row("chrB", 501, 600, 6, "N", "100", "telomere", "no")  # AGP 1.1: 8 columns
                + agp_row("chrC", 5, 9, 1, "O").replace("\n", "\r\n"))
        records = list(read_agp(write(tmp_path, "a.agp.gz", text, gz=True)))
        assert [(r.name, r.length, r.line, r.seq) for r in records] == [
            ("chrB", 500, 3, None), ("chrA", 10, 7, None), ("chrC", 9, 10, None)]
        b, a, c = records
        assert list(zip(b.starts.tolist(), b.ends.tolist())) == [(0, 200), (300, 310), (400, 500)]
        assert len(a.starts) == 0 and len(a.ends) == 0
        assert list(zip(c.starts.tolist(), c.ends.tolist())) == [(4, 9)]
        assert b.starts.dtype == np.int64

    @pytest.mark.parametrize("row, message", [
        ("chr1\t11\t20\t2\tW\tctg\t1\t10\n", r"expected 9 tab-separated AGP columns, found 8"),
        ("chr1 11 20 2 W ctg 1 10 +\n", r"expected 9 tab-separated AGP columns, found 1"),
        (agp_row("chr1", "x", 20, 2, "W"), r"object_beg 'x' is not a positive integer"),
        (agp_row("chr1", 11, "2e1", 2, "W"), r"object_end '2e1' is not a positive integer"),
        (agp_row("chr1", 0, 20, 2, "W"), r"object_beg '0' is not a positive integer"),
        (agp_row("chr1", 30, 20, 2, "W"), r"object_beg 30 > object_end 20"),
        (agp_row("chr1", 11, 20, 2, "X"), r"unknown component type 'X' \(valid: A D F G N O P U W\)"),
        (agp_row("chr1", 11, 20, "two", "W"), r"part_number 'two' is not a positive integer"),
        (agp_row("chr1", 5, 20, 2, "W"),
         r"rows of 'chr1' out of order or overlapping: 5-20 after a row ending at 10 \(line 1\)"),
    ])
    def test_errors(self, tmp_path, row, message):
        with raises_at(2, message):
            list(read_agp(write(tmp_path, "bad.agp", agp_row("chr1", 1, 10, 1, "W") + row)))

    # supercontigs as the reference's genomedata-load-seq --assembly writes them
    REFERENCE = {
        "chr1.agp.gz": ("NC_000001.11", 248_946_422, [
            (10000, 207666), (257666, 297968), (347968, 535988), (585988, 121976459),
            (122026459, 122224535), (122224635, 122503147), (122503247, 124785432),
            (124785532, 124849129), (124849229, 124932724), (124932824, 125184587),
            (143184587, 223558935), (223608935, 248946422)]),
        "chrY.agp.gz": ("CM000686.2", 57_217_415, [
            (10000, 1949345), (2132994, 9057608), (9107608, 9403713), (9453713, 10266944),
            (10316944, 10544039), (10594039, 10694192), (10744192, 11592902),
            (11642902, 21789281), (21805281, 26673214), (56673214, 56771509),
            (56821509, 57217415)]),
        "adjacent.agp.gz": ("chr10", 39_341_685, [
            (39239118, 39254773), (39254793, 39338430), (39338450, 39341685)]),
        "test_chunks.agp": ("chr1", 200_800, [
            (0, 100), (100000, 100200), (200300, 200400), (200500, 200600), (200700, 200800)]),
    }

    @needs_realdata
    @pytest.mark.parametrize("name", sorted(REFERENCE))
    def test_real_agp_matches_reference_supercontigs(self, name):
        (record,) = read_agp(REALDATA / "genomedata" / name)
        chrom, length, contigs = self.REFERENCE[name]
        assert record.name == chrom
        # as the reference: the length ends at the last component (non-gap row)
        assert record.length == length
        assert list(zip(record.starts.tolist(), record.ends.tolist())) == contigs


# --- sizes -----------------------------------------------------------------------------------------

class TestSizes:
    def test_sizes(self, tmp_path):
        text = "# header\nchr1\t1000\textra columns\n\n  \nchr2 20\r\nchrM    16569"
        records = list(read_sizes(write(tmp_path, "g.sizes", text, gz=True)))
        assert [(r.name, r.length, r.line, r.seq) for r in records] == [
            ("chr1", 1000, 2, None), ("chr2", 20, 5, None), ("chrM", 16569, 6, None)]
        assert [(r.starts.tolist(), r.ends.tolist()) for r in records] == [
            ([0], [1000]), ([0], [20]), ([0], [16569])]

    @pytest.mark.parametrize("line, message", [
        ("chr3", r"missing length after 'chr3'"),
        ("chr3 12.5", r"length '12.5' of 'chr3' is not a positive integer"),
        ("chr3 0", r"length '0' of 'chr3' is not a positive integer"),
        ("chr3 -4", r"length '-4' of 'chr3' is not a positive integer"),
        ("chr1 5", r"duplicate chromosome 'chr1' \(first at line 1\)"),
    ])
    def test_errors(self, tmp_path, line, message):
        with raises_at(3, message):
            list(read_sizes(write(tmp_path, "bad.sizes", f"chr1 10\nchr2 20\n{line}\n")))

    @needs_realdata
    @pytest.mark.parametrize("path, count, first", [
        ("debian_bedtools/human.hg19.genome", 94, ("chr1", 249_250_621)),  # has a blank line
        ("debian_bedtools/human.hg38.genome", 456, None),
        ("debian_bedtools/mouse.mm10.genome", 67, None),
        ("janggu/sacCer3.chrom.sizes", 17, ("chrIV", 1_531_933)),
        ("macs3/hg19.len", 93, None),
    ])
    def test_real_sizes(self, path, count, first):
        records = list(read_sizes(REALDATA / path))
        assert len(records) == count == count_sequences([REALDATA / path], "sizes")
        if first:
            assert (records[0].name, records[0].length) == first


# --- assembly report ----------------------------------------------------------------------------------

class TestAssemblyReport:
    TEXT = ("# Assembly name:  test\r\n"
            "#\r\n"
            "# Sequence-Name\tSequence-Role\tRefSeq-Accn\tUCSC-style-name\r\n"
            "1\tassembled-molecule\tNC_1\tchr1\r\n"
            "X\tassembled-molecule\tNC_X\tchrX\r\n"
            "HSCHR1_CTG\tunlocalized\tNC_1\tchr1_random\r\n"  # NC_1 repeated: first row wins
            "PATCH\tfix-patch\tna\tna\r\n"
            "\r\n")

    def test_translate(self, tmp_path):
        report = read_assembly_report(write(tmp_path, "r.txt", self.TEXT))
        assert report.styles == ("Sequence-Name", "Sequence-Role", "RefSeq-Accn",
                                 "UCSC-style-name")
        assert report.translate("1", "UCSC-style-name") == "chr1"
        assert report.translate("NC_1") == "chr1"
        assert report.translate("chrX", "Sequence-Name") == "X"
        assert report.translate("HSCHR1_CTG") == "chr1_random"
        assert report.translate("PATCH", "Sequence-Name") == "PATCH"
        assert "chr1" in report and "na" not in report

    @pytest.mark.parametrize("name, style, message", [
        ("chr9", "UCSC-style-name", r"cannot find 'chr9' in assembly report"),
        ("na", "UCSC-style-name", r"cannot find 'na'"),
        ("PATCH", "UCSC-style-name", r"'PATCH' has no UCSC-style-name in assembly report \(na\)"),
        ("1", "GenBank-Accn", r"unknown naming style 'GenBank-Accn'; valid styles: "
                              r"Sequence-Name, Sequence-Role, RefSeq-Accn, UCSC-style-name"),
    ])
    def test_errors(self, tmp_path, name, style, message):
        path = write(tmp_path, "r.txt", self.TEXT)
        report = read_assembly_report(path)
        with pytest.raises(NameTranslationError, match=message) as info:
            report.translate(name, style)
        error = info.value
        assert isinstance(error, ParseError) and isinstance(error, KeyError)
        assert isinstance(error, ValueError) and error.source == str(path)
        assert str(error).startswith(f"{path}: ")

    @needs_realdata
    def test_real_report_agrees_with_the_reference(self):
        load_seq = pytest.importorskip("genomedata._load_seq")
        path = REALDATA / "genomedata" / "assembly_report.txt"
        with open(path) as handle:
            reference_map = load_seq.read_chromosome_name_map(handle)
        report = read_assembly_report(path)
        assert report.styles == tuple(reference_map)
        names = {cell for column in reference_map.values() for cell in column} - {"na"}
        checked = 0
        for style in ("UCSC-style-name", "Sequence-Name", "RefSeq-Accn"):
            for name in sorted(names):
                expected = load_seq.get_chromosome_name(name, reference_map, style)
                if expected == "na":
                    with pytest.raises(NameTranslationError, match="has no"):
                        report.translate(name, style)
                else:
                    assert report.translate(name, style) == expected, name
                    checked += 1
        assert checked > 1500
        assert report.translate("NC_000001.11") == "chr1"
        assert report.translate("MT") == "chrM"


def test_zlib_sanity():  # the gzip reader relies on zlib's gzip wrapper checking the trailer
    bad = bytearray(gzip.compress(b"abc"))
    bad[-1] ^= 1
    with pytest.raises(zlib.error):
        zlib.decompressobj(wbits=31).decompress(bytes(bad))
