"""Mask / region files (BED and the hardmask formats).

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

from _parser_helpers import concat, f32, intervals, raises_at, write, _rows  # noqa: F401


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
