"""Property-based reads: random archives (both layouts, random gaps, NaNs and
tracks) read at random ``chrom[a:b, tracks]`` keys, through the xarray face and
by the reference package, must equal numpy indexing of the values written."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gdxarray import Genome, OverlapWarning
from gdxarray.testing import make_genome

TRACKS = ["a", "b", "c"]
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def archives(draw):
    length = draw(st.integers(1, 40_000))
    cuts = sorted(draw(st.lists(st.integers(0, length), max_size=4)))
    gaps = [(a, b) for a, b in zip(cuts[::2], cuts[1::2]) if b > a]
    ntracks = draw(st.integers(1, len(TRACKS)))
    layout = draw(st.sampled_from(["file", "dir"]))
    seed = draw(st.integers(0, 2**16))
    return length, gaps, TRACKS[:ntracks], layout, seed


@st.composite
def keys(draw, length, tracks):
    a = draw(st.integers(0, length - 1))
    b = draw(st.integers(a + 1, length))
    picked = draw(st.one_of(st.none(), st.sampled_from(tracks),
                            st.lists(st.sampled_from(tracks), min_size=1, max_size=3)))
    return a, b, picked


def _build(tmp_path_factory, spec):
    length, gaps, tracks, layout, seed = spec
    path = tmp_path_factory.mktemp("prop") / "g.genomedata"
    _, truth = make_genome(path, chroms={"chr1": length}, gaps={"chr1": gaps}, tracks=tracks,
                           layout=layout, seed=seed)
    return path, truth["chr1"]


def _expected(values, tracks, a, b, picked):
    if picked is None:
        return values[a:b]
    if isinstance(picked, str):
        return values[a:b, tracks.index(picked)]
    return values[a:b][:, [tracks.index(t) for t in picked]]


@SETTINGS
@given(data=st.data(), spec=archives())
def test_random_reads_equal_numpy(tmp_path_factory, data, spec):
    path, values = _build(tmp_path_factory, spec)
    tracks = spec[2]
    with Genome(path) as genome, warnings.catch_warnings():
        warnings.simplefilter("ignore", OverlapWarning)
        chrom = genome["chr1"]
        for _ in range(5):
            a, b, picked = data.draw(keys(spec[0], tracks))
            key = (slice(a, b),) if picked is None else (slice(a, b), picked)
            got = chrom[key if len(key) > 1 else key[0]]
            np.testing.assert_array_equal(got, _expected(values, tracks, a, b, picked))
            # a single base, as an int key
            np.testing.assert_array_equal(chrom[a], values[a])


@SETTINGS
@given(data=st.data(), spec=archives())
def test_random_xarray_reads_equal_numpy(tmp_path_factory, data, spec):
    xr = pytest.importorskip("xarray")
    path, values = _build(tmp_path_factory, spec)
    tracks = spec[2]
    with xr.open_dataset(path, engine="genomedata", group="chr1") as ds:
        for _ in range(3):
            a, b, picked = data.draw(keys(spec[0], tracks))
            sel = ds.continuous.isel(position=slice(a, b))
            if picked is not None:
                sel = sel.sel(track=picked)
            np.testing.assert_array_equal(sel.values, _expected(values, tracks, a, b, picked))


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), spec=archives())
def test_random_reads_equal_the_reference(tmp_path_factory, data, spec):
    genomedata = pytest.importorskip("genomedata")
    path, _ = _build(tmp_path_factory, spec)
    with Genome(path) as ours, genomedata.Genome(str(path)) as ref, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(3):
            a, b, picked = data.draw(keys(spec[0], spec[2]))
            key = slice(a, b) if picked is None else (slice(a, b), picked)
            np.testing.assert_array_equal(ours["chr1"][key], ref["chr1"][key])
