"""Region files (gdxarray.parsers.regions: BED, bedGraph and WIG masks).

Expected values come from the file contents themselves (Python's ``float``,
hand-computed coordinates) or from independent readers (pyBigWig, the
reference genomedata's own functions), never from the parser under test.
"""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from gdxarray.errors import GenomedataError
from gdxarray.parsers import read_mask, read_regions

from _parser_helpers import f32, raises_at, write, _rows


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

    def test_real_masks(self, realdata):
        rows = [r for b in read_mask(realdata / "genomedata" / "filter.bed") for r in _rows(b)]
        assert [(r[1], r[2], r[3]) for r in rows] == [
            (0, 100, 0.0), (100, 130, f32("0.4")), (130, 170, 1.0), (170, 200, f32("0.4")),
            (200, 210, 0.0)]
        unfiltered = [r[3] for b in read_mask(realdata / "genomedata" / "unfiltered.bed")
                      for r in _rows(b)]
        assert unfiltered[:3] == [0.0, f32("0.1"), f32("0.6")] and len(unfiltered) == 12
        gerp = list(read_mask(realdata / "debian_bedtools" / "gerp.chr1.bed.gz"))
        assert sum(len(b) for b in gerp) == 88_292
        assert {b.chrom for b in gerp} == {"chr1"}
        assert not any(np.isnan(b.values).any() for b in gerp)


# --- supercontigs ---------------------------------------------------------------------------------


class TestReadRegions:
    TEXT = ("track name=r\n"
            "chr2\t50\t60\tA\t0.2\n"
            "chr1\t10\t20\tB\t0.9\n"
            "chr1\t15\t30\n"          # overlaps the previous one
            "chr1\t30\t35\t0.1\n"     # touches it (bedGraph-like value)
            "chr1\t0\t5\tC\t0.7\n"    # unsorted
            "chr2\t0\t8\n")

    @staticmethod
    def expected(text, keep=lambda value: True):
        """Runs of the union of bases, from the text with plain Python."""
        covered: dict[str, set[int]] = {}
        for line in text.splitlines():
            fields = line.split()
            if fields[0] == "track":
                continue
            value = float(fields[4]) if len(fields) > 4 else (
                float(fields[3]) if len(fields) == 4 else float("nan"))
            bases = covered.setdefault(fields[0], set())
            if keep(value):
                bases.update(range(int(fields[1]), int(fields[2])))
        out = {}
        for chrom, bases in covered.items():
            runs: list[list[int]] = []
            for x in sorted(bases):
                if runs and runs[-1][1] == x:
                    runs[-1][1] += 1
                else:
                    runs.append([x, x + 1])
            out[chrom] = [tuple(r) for r in runs]
        return out

    @staticmethod
    def as_lists(regions):
        assert all(s.dtype == e.dtype == np.int64 for s, e in regions.values())
        return {c: list(zip(s.tolist(), e.tolist())) for c, (s, e) in regions.items()}

    def test_merged_runs_per_chromosome(self, tmp_path):
        got = read_regions(write(tmp_path, "r.bed", self.TEXT))
        assert list(got) == ["chr2", "chr1"]  # order of first appearance
        assert self.as_lists(got) == self.expected(self.TEXT) == {
            "chr2": [(0, 8), (50, 60)], "chr1": [(0, 5), (10, 35)]}

    def test_gzip_and_select(self, tmp_path):
        path = tmp_path / "r.bed.gz"
        path.write_bytes(gzip.compress(self.TEXT.encode()))
        got = read_regions(path, select=lambda v: ~(v < 0.5))  # NaN kept, like lt0.5
        assert self.as_lists(got) == self.expected(self.TEXT, lambda v: not v < 0.5) == {
            "chr2": [(0, 8)], "chr1": [(0, 5), (10, 30)]}

    def test_unknown_chromosome_names_file_and_line(self, tmp_path):
        path = write(tmp_path, "r.bed", self.TEXT)
        with pytest.raises(GenomedataError, match=r"r\.bed:3: chromosome 'chr1' of the mask "
                                                  r"is not in the archive x\.gd"):
            read_regions(path, chroms={"chr2"}, chroms_name="the archive x.gd")
