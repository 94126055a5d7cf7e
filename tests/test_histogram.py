"""gdxarray.histogram against numpy.histogram over the values the test archive was written from."""

from __future__ import annotations

import numpy as np
import pytest

from gdxarray import Genome
from gdxarray.errors import ChromosomeNotFoundError, GenomedataError
from gdxarray.histogram import histogram
from gdxarray.testing import make_genome


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    path, truth = make_genome(tmp_path_factory.mktemp("hist") / "g.genomedata",
                              chroms={"chr1": 20_000, "chr2": 5_000},
                              gaps={"chr1": [(3_000, 4_000)]}, tracks=["a", "s"], seed=5)
    return path, truth


def expected(truth, bins, keep: dict[str, np.ndarray]):
    """numpy.histogram of track 's' where keep[chrom] is True, bins over the whole track."""
    every = np.concatenate([truth[c][:, 1] for c in ("chr1", "chr2")])
    every = every[np.isfinite(every)]
    chosen = np.concatenate([truth[c][:, 1][keep[c]] for c in ("chr1", "chr2")])
    chosen = chosen[np.isfinite(chosen)]
    return np.histogram(chosen, bins=bins, range=(np.float64(every.min()), np.float64(every.max())))


def mask(length, runs):
    out = np.zeros(length, bool)
    for a, b in runs:
        out[a:b] = True
    return out


def runs(pairs):
    return (np.array([a for a, _ in pairs], np.int64), np.array([b for _, b in pairs], np.int64))


INCLUDE = {"chr1": [(100, 260), (2_500, 4_500), (19_990, 20_000)]}
EXCLUDE = {"chr1": [(0, 150), (4_000, 10_000)], "chr2": [(1_000, 1_200)]}


@pytest.mark.parametrize("include, exclude", [(None, None), (INCLUDE, None), (None, EXCLUDE),
                                              (INCLUDE, EXCLUDE)])
def test_histogram_matches_numpy(archive, include, exclude):
    path, truth = archive
    sizes = {"chr1": 20_000, "chr2": 5_000}
    keep = {c: np.ones(n, bool) for c, n in sizes.items()}
    if include is not None:
        keep = {c: mask(n, include.get(c, [])) for c, n in sizes.items()}
    if exclude is not None:
        keep = {c: keep[c] & ~mask(n, exclude.get(c, [])) for c, n in sizes.items()}
    with Genome(path) as genome:
        counts, edges = histogram(
            genome, "s", 11,
            include=None if include is None else {c: runs(p) for c, p in include.items()},
            exclude=None if exclude is None else {c: runs(p) for c, p in exclude.items()})
    want_counts, want_edges = expected(truth, 11, keep)
    assert counts.dtype == np.int64 and edges.dtype == np.float64
    np.testing.assert_array_equal(counts, want_counts)
    np.testing.assert_array_equal(edges, want_edges)


def test_region_files_and_errors(archive, tmp_path):
    path, truth = archive
    bed = tmp_path / "ex.bed"
    bed.write_text("chr2\t0\t5000\nchr1\t10\t20\n")
    with Genome(path) as genome:
        counts, edges = histogram(genome, "s", 5, exclude=bed)
        keep = {"chr1": ~mask(20_000, [(10, 20)]), "chr2": np.zeros(5_000, bool)}
        np.testing.assert_array_equal(counts, expected(truth, 5, keep)[0])
        unknown = tmp_path / "q.bed"
        unknown.write_text("chrQ\t0\t10\n")
        with pytest.raises(ChromosomeNotFoundError, match="chrQ"):
            histogram(genome, "s", 5, include=unknown)
        # an assembly gap holds no values; the bins are still the whole track's
        counts, gap_edges = histogram(genome, "s", 5, include={"chr1": runs([(3_000, 4_000)])})
        assert counts.tolist() == [0] * 5 and gap_edges.tolist() == edges.tolist()


def test_track_without_finite_values(tmp_path):
    path, _ = make_genome(tmp_path / "nan.genomedata", chroms={"chr1": 3_000}, tracks=["t"],
                          nan_fraction=1.0)
    with Genome(path) as genome, pytest.raises(GenomedataError, match="no finite values"):
        histogram(genome, "t", 5)
