"""gdxarray.intervals against plain-Python reference implementations (sets of bases, loops)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdxarray import intervals as iv

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True)
LENGTH = 60


@st.composite
def interval_lists(draw, max_size=25, empty=True):
    n = draw(st.integers(0, max_size))
    starts, ends = [], []
    for _ in range(n):
        a = draw(st.integers(0, LENGTH - 1))
        b = draw(st.integers(max(0, a - 3) if empty else a + 1, LENGTH))
        starts.append(a)
        ends.append(b)
    return np.array(starts, np.int64), np.array(ends, np.int64)


@st.composite
def disjoint_lists(draw):
    """Sorted disjoint non-empty intervals (touching allowed)."""
    cuts = sorted(set(draw(st.lists(st.integers(0, LENGTH), max_size=20))))
    starts, ends = [], []
    for a, b in zip(cuts[:-1], cuts[1:]):
        if draw(st.booleans()):
            starts.append(a)
            ends.append(b)
    return np.array(starts, np.int64), np.array(ends, np.int64)


def bases(starts, ends) -> set[int]:
    return {x for a, b in zip(starts.tolist(), ends.tolist()) for x in range(a, b)}


def runs_of(points: set[int]) -> list[tuple[int, int]]:
    """Maximal runs of consecutive integers."""
    out: list[list[int]] = []
    for x in sorted(points):
        if out and out[-1][1] == x:
            out[-1][1] = x + 1
        else:
            out.append([x, x + 1])
    return [tuple(r) for r in out]


def pairs(starts, ends) -> list[tuple[int, int]]:
    return list(zip(starts.tolist(), ends.tolist()))


@SETTINGS
@given(interval_lists())
def test_merge_is_the_runs_of_the_union(ints):
    s, e = ints
    ms, me = iv.merge(s, e)
    assert ms.dtype == me.dtype == np.int64
    assert pairs(ms, me) == runs_of(bases(s, e))


@SETTINGS
@given(interval_lists())
def test_merge_labels_name_the_run_holding_each_interval(ints):
    s, e = ints
    ms, me, run_of = iv.merge(s, e, labels=True)
    for a, b, r in zip(s.tolist(), e.tolist(), run_of.tolist()):
        if b <= a:
            assert r == -1
        else:
            assert ms[r] <= a and b <= me[r]


@SETTINGS
@given(interval_lists(empty=False), disjoint_lists())
def test_clip_keeps_each_overlap_once(ints, runs):
    # (callers pass validated, non-empty intervals)
    s, e = ints
    rs, re_ = iv.merge(*runs)  # sorted, disjoint, touching ones joined
    owner, cs, ce = iv.clip(s, e, rs, re_)
    expected = []
    for i, (a, b) in enumerate(pairs(s, e)):
        for c, d in pairs(rs, re_):
            lo, hi = max(a, c), min(b, d)
            if lo < hi:
                expected.append((i, lo, hi))
    assert list(zip(owner.tolist(), cs.tolist(), ce.tolist())) == expected


@SETTINGS
@given(interval_lists(), st.integers(0, LENGTH + 5))
def test_complement_within_length(ints, length):
    s, e = ints
    cs, ce = iv.complement(s, e, length)
    assert pairs(cs, ce) == runs_of(set(range(length)) - bases(s, e))


@SETTINGS
@given(interval_lists(), st.integers(0, LENGTH + 5), st.booleans())
def test_coverage_depth_counts_and_weights(ints, length, weighted):
    s, e = ints
    rng = np.random.default_rng(len(s))
    weights = rng.normal(size=len(s)) if weighted else None
    depth = iv.coverage_depth(s, e, length, weights)
    expected = [0.0] * length
    for i, (a, b) in enumerate(pairs(s, e)):
        for x in range(max(a, 0), min(b, length)):
            expected[x] += 1 if weights is None else weights[i]
    assert depth.shape == (length,)
    if weights is None:
        assert depth.dtype == np.int64
        assert depth.tolist() == expected
    else:
        assert depth.dtype == np.float64
        np.testing.assert_allclose(depth, expected, atol=1e-9)
    assert iv.cover_mask(s, e, length).tolist() == [x > 0 for x in
                                                    iv.coverage_depth(s, e, length).tolist()]


def test_coverage_depth_weights_add_like_np_add_at():
    # the loaders' former sweep: np.add.at at starts, then at ends, then a running sum
    s = np.array([0, 0, 3, 1]), np.array([5, 2, 7, 7])
    w = np.array([0.1, 0.7, 1e16, -1e16])
    step = np.zeros(8)
    np.add.at(step, s[0], w)
    np.add.at(step, s[1], -w)
    assert iv.coverage_depth(*s, 7, w).tolist() == np.cumsum(step[:-1]).tolist()


def test_coverage_depth_clips_to_the_length():
    assert iv.coverage_depth([-5, 3], [2, 99], 5).tolist() == [1, 1, 0, 1, 1]


@SETTINGS
@given(disjoint_lists(), st.integers(0, 10))
def test_label_runs(runs, extra):
    s, e = runs
    length = LENGTH + extra
    labels = iv.label_runs(s, e, length)
    expected = [0] * length
    for i, (a, b) in enumerate(pairs(s, e)):
        for x in range(a, b):
            expected[x] = i + 1
    assert labels.tolist() == expected


values_st = st.lists(st.sampled_from([0.0, 1.0, -2.5, math.nan, math.inf]), max_size=40)


def reference_rle(values, keep_nan):
    out = []
    for i, v in enumerate(values):
        same = out and (out[-1][2] == v or (math.isnan(out[-1][2]) and math.isnan(v)))
        if same and out[-1][1] == i:
            out[-1][1] = i + 1
        else:
            out.append([i, i + 1, v])
    return [tuple(r) for r in out if keep_nan or not math.isnan(r[2])]


@SETTINGS
@given(values_st, st.booleans())
def test_rle_encode_and_decode(values, keep_nan):
    arr = np.array(values, dtype=np.float64)
    s, e, v = iv.rle_encode(arr, keep_nan=keep_nan)
    got = [(a, b, c) for a, b, c in zip(s.tolist(), e.tolist(), v.tolist())]
    expected = reference_rle(values, keep_nan)
    assert [(a, b) for a, b, _ in got] == [(a, b) for a, b, _ in expected]
    np.testing.assert_array_equal([c for *_, c in got], [c for *_, c in expected])
    # decoding the runs gives back the values (NaN where runs were dropped)
    back = iv.rle_decode(s, e, v, len(values))
    np.testing.assert_array_equal(back, arr)


def test_rle_encode_integers_and_empty():
    s, e, v = iv.rle_encode(np.array([3, 3, 1, 1, 1, 3], np.int8))
    assert (s.tolist(), e.tolist(), v.tolist(), v.dtype) == ([0, 2, 5], [2, 5, 6], [3, 1, 3],
                                                           np.int8)
    s, e, v = iv.rle_encode(np.array([], np.float32))
    assert len(s) == len(e) == len(v) == 0 and v.dtype == np.float32
    assert np.isnan(iv.rle_decode(s, e, v, 3)).all()


def test_rle_decode_fill_and_dtype():
    out = iv.rle_decode([1, 4], [3, 5], [7, 9], 6, fill=0, dtype=np.int32)
    assert out.dtype == np.int32 and out.tolist() == [0, 7, 7, 0, 9, 0]


@SETTINGS
@given(st.lists(st.tuples(st.integers(-5, 50), st.integers(0, 6)), max_size=20))
def test_expand_ranges(ranges):
    lo = np.array([a for a, _ in ranges], np.int64)
    count = np.array([c for _, c in ranges], np.int64)
    owner, member = iv.expand_ranges(lo, count)
    expected = [(i, a + k) for i, (a, c) in enumerate(ranges) for k in range(c)]
    assert list(zip(owner.tolist(), member.tolist())) == expected


@pytest.mark.parametrize("fn", [iv.merge, iv.clip, iv.complement, iv.coverage_depth])
def test_empty_inputs(fn):
    empty = np.array([], np.int64)
    args = {iv.merge: (empty, empty), iv.clip: (empty, empty, empty, empty),
            iv.complement: (empty, empty, 4), iv.coverage_depth: (empty, empty, 4)}[fn]
    out = fn(*args)
    if fn is iv.complement:
        assert pairs(*out) == [(0, 4)]
    elif fn is iv.coverage_depth:
        assert out.tolist() == [0, 0, 0, 0]
    else:
        assert all(len(a) == 0 for a in out)
