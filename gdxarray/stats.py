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



# -- summaries of ranges and bins (Chromosome.summary, Genome.summary) ----------------------
#: What ``summary(stats=...)`` can ask for: the accumulated ones and three derived.
SUMMARY_STATS = ("count", "sum", "sum_squares", "min", "max", "mean", "var", "std")
DEFAULT_SUMMARY_STATS = ("count", "sum", "sum_squares", "min", "max")


def check_summary_stats(stats) -> tuple[str, ...]:
    """*stats* as a tuple of names; ValueError for an unknown one."""
    stats = (stats,) if isinstance(stats, str) else tuple(stats)
    bad = [s for s in stats if s not in SUMMARY_STATS]
    if bad or not stats:
        raise ValueError(f"unknown statistic(s) {bad or stats}: choose from "
                         f"{', '.join(SUMMARY_STATS)}")
    return stats


def bin_edges(start: int, end: int, bins: int | None = None,
              bin_size: int | None = None) -> np.ndarray:
    """Bin edges over ``[start, end)``: one bin; *bins* bins as pyBigWig's ``nBins``
    (bin i starts at ``start + (end - start) * i // bins``); or bins of *bin_size*
    bases from *start* (the last one shorter)."""
    if bins is not None and bin_size is not None:
        raise ValueError("give bins (a number of bins) or bin_size, not both")
    if bins is not None:
        bins = int(bins)
        if bins < 1:
            raise ValueError(f"bins must be >= 1, got {bins}")
        return start + (np.arange(bins + 1, dtype=np.int64) * (end - start)) // bins
    if bin_size is not None:
        bin_size = int(bin_size)
        if bin_size < 1:
            raise ValueError(f"bin_size must be >= 1, got {bin_size}")
        return np.append(np.arange(start, end, bin_size, dtype=np.int64), end) if end > start \
            else np.array([start, end], dtype=np.int64)
    return np.array([start, end], dtype=np.int64)


class Summary:
    """Statistics of the finite values of some tracks over a range, or per bin.

    ``s["mean"]`` or ``s.mean``: float64 arrays of shape ``(ntracks,)`` (no bins)
    or ``(nbins, ntracks)``, columns in the order of ``s.tracks``; ``count`` is
    int64.  Where a bin holds no finite value, ``count`` is 0, ``sum`` and
    ``sum_squares`` 0, and ``min``, ``max``, ``mean``, ``var``, ``std`` NaN.
    ``var``/``std`` are the population variance and deviation.  ``s.chrom``,
    ``s.start``, ``s.end``: where (per bin: arrays).  ``s.to_xarray()`` gives
    a Dataset (dims ``bin``, ``track``); ``dict(s)`` the requested statistics.
    """

    def __init__(self, acc: np.ndarray, tracks: list[str], stats: tuple[str, ...],
                 chrom, start, end, binned: bool) -> None:
        # acc: (ntracks, nbins, 5) float64 (count, sum, sum_squares, min, max)
        self._acc = acc
        self.tracks = list(tracks)
        self.stats = tuple(stats)
        self.chrom, self.start, self.end = chrom, start, end
        self.binned = binned

    def _base(self, k: int) -> np.ndarray:
        v = self._acc[:, :, k].T  # (nbins, ntracks)
        return v if self.binned else v[0]

    @property
    def count(self) -> np.ndarray:
        return self._base(0).astype(np.int64)

    @property
    def sum(self) -> np.ndarray:
        return self._base(1).copy()

    @property
    def sum_squares(self) -> np.ndarray:
        return self._base(2).copy()

    @property
    def min(self) -> np.ndarray:
        return np.where(self._base(0) > 0, self._base(3), np.nan)

    @property
    def max(self) -> np.ndarray:
        return np.where(self._base(0) > 0, self._base(4), np.nan)

    @property
    def mean(self) -> np.ndarray:
        n = self._base(0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(n > 0, self._base(1) / n, np.nan)

    @property
    def var(self) -> np.ndarray:
        n = self._base(0)
        mean = self.mean
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(n > 0, np.maximum(self._base(2) / n - mean * mean, 0.0), np.nan)

    @property
    def std(self) -> np.ndarray:
        return np.sqrt(self.var)

    def __getitem__(self, stat: str) -> np.ndarray:
        if stat not in SUMMARY_STATS:
            raise KeyError(stat)
        return getattr(self, stat)

    def keys(self) -> tuple[str, ...]:
        return self.stats

    def __iter__(self):
        return iter(self.stats)

    def __len__(self) -> int:
        return len(self.stats)

    def to_xarray(self):
        """The requested statistics as an :class:`xarray.Dataset`: dims ``track``
        (and ``bin``, with coordinates ``chrom``, ``start``, ``end``)."""
        import xarray as xr

        dims = ("bin", fmt.DIM_TRACK) if self.binned else (fmt.DIM_TRACK,)
        coords = {fmt.DIM_TRACK: self.tracks}
        if self.binned:
            chrom = np.broadcast_to(np.asarray(self.chrom), np.shape(self.start))
            coords.update({"chrom": ("bin", np.array(chrom)), "start": ("bin", self.start),
                           "end": ("bin", self.end)})
        return xr.Dataset({stat: (dims, self[stat]) for stat in self.stats}, coords=coords,
                          attrs={} if self.binned else {"chrom": str(self.chrom),
                                                        "start": int(self.start),
                                                        "end": int(self.end)})

    def __repr__(self) -> str:
        where = (f"{len(self.start)} bins" if self.binned else f"{self.chrom}:{self.start}-{self.end}")
        return f"<Summary {where}, tracks {self.tracks}, stats {list(self.stats)}>"


__all__ = ["DEFAULT_SUMMARY_STATS", "STAT_VARS", "SUMMARY_STATS", "Summary", "bin_edges",
           "check_summary_stats", "combine", "nan_stats", "source_stats"]
