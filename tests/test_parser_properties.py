"""Property tests: the vectorised parsers agree with a plain-Python reading of the same
text (issue 12, section 4).

Hypothesis writes bedGraph, WIG and chromosome-sizes text with the variations real
files have (tabs or spaces, CRLF, comment / track / browser lines, a byte-order mark,
a missing last newline, gzip, many number spellings); the oracle below reads it line by
line with ``str.split``, ``int`` and ``float``, as the formats document.  Runs are
derandomized, so the suite is deterministic.
"""

from __future__ import annotations

import gzip
import io

import numpy as np
from hypothesis import given, settings, strategies as st

from gdxarray.parsers import read_sizes, read_track
from gdxarray.writer.data import Coverage

SETTINGS = settings(max_examples=50, deadline=None, derandomize=True)
CHROMS = ["chr1", "chr2", "chrUn_gl000220", "scaffold_7"]

# values exactly representable in float32, spelled with at most 9 significant digits,
# so decimal -> float32 is the same whether or not it goes through a double
_f32 = st.floats(width=32, allow_nan=False, allow_infinity=False, allow_subnormal=False)


@st.composite
def value_text(draw) -> str:
    kind = draw(st.sampled_from(["repr", "g", "e", "fixed", "int", "plus", "special", "dot"]))
    if kind == "special":
        return draw(st.sampled_from(["nan", "NaN", "inf", "-inf", "Inf", "+inf", "-0", "0"]))
    if kind == "int":
        return str(draw(st.integers(-10**6, 10**6)))
    if kind == "dot":
        return "." + str(draw(st.integers(0, 99999)))
    value = float(np.float32(draw(_f32)))
    if kind == "repr":
        return repr(float(np.float32(value)))
    if kind == "g":
        return f"{value:g}"
    if kind == "e":
        return f"{value:.5e}"
    if kind == "plus":
        return f"{abs(value):+.3f}"
    return f"{value:.4f}"


def oracle_value(text: str) -> np.float32:
    return np.float32(float(text))


def _frame(lines: list[str], draw) -> bytes:
    """Join lines the ways real files do."""
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    text = eol.join(lines) + (eol if draw(st.booleans()) or not lines else "")
    data = text.encode()
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 4)) == 0:
        data = gzip.compress(data)
    return data


@st.composite
def bedgraph(draw):
    """(file bytes, expected [(chrom, start, end, float32 value, line)])."""
    lines, expected = [], []
    header = draw(st.lists(st.sampled_from(["track type=bedGraph name=x", "browser hide all",
                                            "# a comment", ""]), max_size=3))
    lines += header
    n = draw(st.integers(1, 40))
    for _ in range(n):
        chrom = draw(st.sampled_from(CHROMS))
        start = draw(st.integers(0, 10**9))
        end = start + draw(st.integers(1, 10**4))
        value = draw(value_text())
        sep = draw(st.sampled_from(["\t", " ", "  ", "\t "]))
        lines.append(sep.join([chrom, str(start), str(end), value]))
        expected.append((chrom, start, end, oracle_value(value), len(lines)))
        if draw(st.integers(0, 9)) == 0:
            lines.append("# between")
    return _frame(lines, draw), expected


@st.composite
def wiggle(draw):
    lines, expected = [], []
    for _ in range(draw(st.integers(1, 4))):
        chrom = draw(st.sampled_from(CHROMS))
        span = draw(st.integers(1, 50))
        if draw(st.booleans()):
            start = draw(st.integers(1, 10**8))
            step = draw(st.integers(span, span + 100))
            keys = [f"chrom={chrom}", f"start={start}", f"step={step}"]
            if span > 1 or draw(st.booleans()):
                keys.append(f"span={span}")
            lines.append(" ".join(["fixedStep"] + draw(st.permutations(keys))))
            for i in range(draw(st.integers(1, 20))):
                value = draw(value_text())
                lines.append(value)
                s = start - 1 + i * step
                expected.append((chrom, s, s + span, oracle_value(value), len(lines)))
        else:
            lines.append(f"variableStep chrom={chrom}" + (f" span={span}" if span > 1 else ""))
            pos = draw(st.integers(1, 1000))
            for _ in range(draw(st.integers(1, 20))):
                value = draw(value_text())
                sep = draw(st.sampled_from([" ", "\t"]))
                lines.append(f"{pos}{sep}{value}")
                expected.append((chrom, pos - 1, pos - 1 + span, oracle_value(value), len(lines)))
                pos += span + draw(st.integers(0, 30))
    return _frame(lines, draw), expected


def parsed(data: bytes, block_bytes: int) -> list[tuple]:
    out = []
    for block in read_track(io.BytesIO(data), name="prop", block_bytes=block_bytes):
        assert block.values.dtype == np.float32 and len(block) > 0
        out += zip([block.chrom] * len(block), block.starts.tolist(), block.ends.tolist(),
                   block.values.tolist(), block.lines.tolist())
    return out


def assert_same(got: list[tuple], expected: list[tuple]) -> None:
    assert [g[:3] + g[4:] for g in got] == [e[:3] + e[4:] for e in expected]
    np.testing.assert_array_equal(np.array([g[3] for g in got], dtype=np.float32),
                                  np.array([e[3] for e in expected], dtype=np.float32))


@SETTINGS
@given(bedgraph(), st.sampled_from([1 << 6, 1 << 12, 8 << 20]))
def test_bedgraph_matches_a_plain_reading(case, block_bytes):
    data, expected = case
    assert_same(parsed(data, block_bytes), expected)


@SETTINGS
@given(wiggle(), st.sampled_from([1 << 6, 1 << 12, 8 << 20]))
def test_wig_matches_a_plain_reading(case, block_bytes):
    data, expected = case
    assert_same(parsed(data, block_bytes), expected)


@st.composite
def sizes_file(draw):
    alphabet = "ABCXYZabcxyz0123456789_."
    names = draw(st.lists(st.text(alphabet, min_size=1, max_size=20), min_size=1, max_size=12,
                          unique=True))
    lines, expected = [], []
    for name in names:
        if draw(st.integers(0, 5)) == 0:
            lines.append(draw(st.sampled_from(["", "# header", "#name\tlength"])))
        length = draw(st.integers(1, 2**32 - 1))
        extra = draw(st.sampled_from(["", "\textra", " 1 2"]))
        sep = draw(st.sampled_from(["\t", " ", "   "]))
        lines.append(f"{name}{sep}{length}{extra}")
        expected.append((name, length, len(lines)))
    return _frame(lines, draw), expected


@SETTINGS
@given(sizes_file())
def test_sizes_match_a_plain_reading(case):
    data, expected = case
    got = [(r.name, r.length, r.line, r.starts.tolist(), r.ends.tolist())
           for r in read_sizes(io.BytesIO(data))]
    assert got == [(n, length, line, [0], [length]) for n, length, line in expected]


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 2000), st.integers(1, 30)), min_size=1, max_size=80),
       st.randoms(use_true_random=False), st.lists(st.tuples(st.integers(0, 2100),
                                                             st.integers(1, 40)), max_size=20))
def test_coverage_of_shuffled_batches_matches_a_set_of_bases(pieces, rng, probes):
    """load-data's overlap check (merged runs, built by insertion for unsorted input)
    against the plain set of bases loaded so far."""
    # disjoint intervals from the pieces, then fed in shuffled, sorted batches
    intervals, covered = [], set()
    for start, length in pieces:
        bases = set(range(start, start + length))
        if not bases & covered:
            intervals.append((start, start + length))
            covered |= bases
    rng.shuffle(intervals)
    coverage, seen = Coverage(), set()
    i = 0
    while i < len(intervals):
        batch = sorted(intervals[i:i + rng.randint(1, 8)])
        i += len(batch)
        starts = np.array([s for s, _ in batch], dtype=np.int64)
        ends = np.array([e for _, e in batch], dtype=np.int64)
        assert coverage.first_overlap(starts, ends) is None  # disjoint from what came before
        coverage.add(starts, ends)
        for s, e in batch:
            seen |= set(range(s, e))
        for s, length in probes:
            e = s + length
            hit = coverage.first_overlap(np.array([s], np.int64), np.array([e], np.int64))
            assert (hit is not None) == bool(seen & set(range(s, e))), (s, e)
            if hit is not None:  # the run reported holds a loaded base of the probe
                _, run_start, run_end = hit
                assert seen & set(range(max(s, run_start), min(e, run_end)))
