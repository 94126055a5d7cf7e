"""Per-track statistics combined across chromosomes: the one place it is done.

``genomedata-close-data`` stores, per chromosome and track, the minimum,
maximum, sum, sum of squares and count of the finite values
(:data:`gdxarray.format.STAT_NAMES`).  :func:`combine` turns any set of
chromosomes' vectors into genome-wide ones, with ``means`` and ``vars`` (the
reference's population variance); ``Genome.mins``/``means``/... and the xarray
backend's statistics variables both call it.

May import: format, errors.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping

import numpy as np

from . import format as fmt
from .errors import GenomedataDirtyWarning

#: The statistics a genome answers: the stored ones and the two derived.
STAT_VARS = (*fmt.STAT_NAMES, "means", "vars")


def _dtype(stat: str) -> np.dtype:
    return np.dtype(np.int64 if stat == "num_datapoints" else np.float64)


def combine(per_chrom: Iterable[Mapping[str, np.ndarray]], ntracks: int) -> dict[str, np.ndarray]:
    """Genome-wide statistics of *ntracks* tracks from per-chromosome vectors.

    Chromosomes whose vectors do not have *ntracks* entries (none computed:
    no data was ever loaded there) are left out.  With no chromosome left,
    minima are +inf, maxima -inf, sums and counts 0, means and variances NaN.

    >>> combine([{"mins": [1.0], "maxs": [3.0], "sums": [4.0], "sums_squares": [10.0],
    ...           "num_datapoints": [2]}], 1)["vars"]
    array([1.])
    """
    rows: dict[str, list[np.ndarray]] = {stat: [] for stat in fmt.STAT_NAMES}
    for stats in per_chrom:
        vectors = {stat: np.asarray(stats[stat]).reshape(-1) for stat in fmt.STAT_NAMES}
        if all(v.size == ntracks for v in vectors.values()):
            for stat, v in vectors.items():
                rows[stat].append(v)

    def stack(stat: str) -> np.ndarray:
        if not rows[stat]:
            return np.empty((0, ntracks), dtype=_dtype(stat))
        return np.vstack(rows[stat]).astype(_dtype(stat), copy=False)

    out = {
        "mins": np.min(stack("mins"), axis=0, initial=np.inf),
        "maxs": np.max(stack("maxs"), axis=0, initial=-np.inf),
        "sums": stack("sums").sum(axis=0),
        "sums_squares": stack("sums_squares").sum(axis=0),
        "num_datapoints": stack("num_datapoints").sum(axis=0).astype(np.int64),
    }
    n = out["num_datapoints"].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["means"] = np.where(n > 0, out["sums"] / n, np.nan)
        out["vars"] = np.where(n > 0, out["sums_squares"] / n - np.square(out["means"]), np.nan)
    return out


def source_stats(source, chroms: list[str], ntracks: int) -> dict[str, np.ndarray]:
    """Statistics of a source's chromosomes *chroms*, for the xarray backend.

    Where any of them is dirty or has none, every statistic reads as NaN (counts
    -1) with a :class:`GenomedataDirtyWarning`: an array cannot raise lazily.
    """
    per_chrom = []
    for name in chroms:
        if source.is_dirty(name):
            warnings.warn(f"{source.path}: statistics unavailable (chromosome {name} was "
                          "modified since genomedata-close-data); they read as NaN",
                          GenomedataDirtyWarning, stacklevel=2)
            return nan_stats(ntracks)
        values = source.chrom_stats(name)
        if any(v is None for v in values.values()):
            if ntracks == 0:
                continue
            warnings.warn(f"{source.path}: statistics unavailable (chromosome {name} has none: "
                          "run genomedata-close-data); they read as NaN",
                          GenomedataDirtyWarning, stacklevel=2)
            return nan_stats(ntracks)
        per_chrom.append(values)
    return combine(per_chrom, ntracks)


def nan_stats(ntracks: int) -> dict[str, np.ndarray]:
    """Statistics that cannot be given (stale): NaN, counts -1."""
    out = {stat: np.full(ntracks, np.nan) for stat in STAT_VARS}
    out["num_datapoints"] = np.full(ntracks, -1, dtype=np.int64)
    return out


__all__ = ["STAT_VARS", "combine", "nan_stats", "source_stats"]
