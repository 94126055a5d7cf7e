"""Normalizers of Cover datasets, by Janggu's names and classes.

Owns ``"zscore"``, ``"zscorelog"``, ``"binsizenorm"``, ``"perctrim"`` and
``"tpm"`` and the classes behind them (:class:`ZScore`, :class:`ZScoreLog`,
:class:`LogTransform`, :class:`PercentileTrimming`,
:class:`RegionLengthNormalization`), with Janggu's arithmetic: statistics are
taken over every bin of every region (padding included) per condition;
:class:`ZScore` keeps the mean and standard deviation it fitted, so the same
object applied to a test set reuses the training set's parameters.

A normalizer is *planned* against the whole dataset (statistics gathered in
one streaming pass per fitted normalizer, so a lazily backed dataset is never
loaded at once) and then applied, as a small picklable transform, to the
stored stack (``storage="ndarray"``) or to every batch read from an archive.
A plain callable gets a :class:`GenomicArray` (Janggu's ``garray`` with
``handle["data"]``) and may change it in place or return the new values.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator

import numpy as np

from ..errors import GenomedataError

__all__ = ["GenomicArray", "LogTransform", "PercentileTrimming", "RegionLengthNormalization",
           "ZScore", "ZScoreLog", "get_normalizer", "normalize_garray_tpm"]

#: ``batches()`` yields ``(values (k, bins, strand, condition), region lengths (k,))``.
Batches = Callable[[], Iterator[tuple[np.ndarray, np.ndarray]]]


class GenomicArray:
    """What a normalizer callable receives: Janggu's ``garray`` over a stack of windows.

    Attributes
    ----------
    handle : ``{"data": values}`` with values ``(regions, bins, strand, condition)``
    region_lengths : bases of every region (flank included)
    resolution, condition, stranded : as the dataset's
    """

    def __init__(self, values: np.ndarray, region_lengths: np.ndarray, resolution=None,
                 conditions=None, stranded: bool = False) -> None:
        self.handle = {"data": values}
        self.region_lengths = np.asarray(region_lengths)
        self.resolution = resolution
        self.condition = conditions
        self.stranded = stranded
        self._full_genome_stored = False

    @property
    def data(self) -> np.ndarray:
        return self.handle["data"]

    def weighted_mean(self) -> np.ndarray:
        """Mean per condition over all regions, bins and strands."""
        d = self.data
        return d.sum(axis=tuple(range(d.ndim - 1)), dtype=np.float64) / np.prod(d.shape[:-1])

    def weighted_sd(self) -> np.ndarray:
        """sqrt(sum(x**2) / (N - 1)) per condition (Janggu's, for centred data)."""
        d = self.data
        ss = np.square(d, dtype=np.float64).sum(axis=tuple(range(d.ndim - 1)))
        return np.sqrt(ss / (np.prod(d.shape[:-1]) - 1.0))

    def shift(self, means) -> None:
        self.data[...] -= np.asarray(means, dtype=self.data.dtype)

    def rescale(self, scale) -> None:
        self.data[...] /= np.asarray(scale, dtype=self.data.dtype)

    def sum(self) -> np.ndarray:
        d = self.data
        return d.sum(axis=tuple(range(d.ndim - 1)), dtype=np.float64)

    def scale_by_region_length(self) -> None:
        self.data[...] /= self.region_lengths.reshape(-1, *([1] * (self.data.ndim - 1))) \
            .astype(self.data.dtype)


# --- transforms (what a planned normalizer applies; picklable) -------------------------
class _Affine:
    def __init__(self, shift, scale) -> None:
        self.shift = np.asarray(shift, np.float64)
        self.scale = np.asarray(scale, np.float64)

    def __call__(self, values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        values -= self.shift.astype(values.dtype)
        values /= self.scale.astype(values.dtype)
        return values


class _Log:
    def __call__(self, values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        values += 1.0
        np.log(values, out=values)
        return values


class _Clip:
    def __init__(self, quants: np.ndarray) -> None:
        self.quants = quants  # (strand, condition)

    def __call__(self, values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        np.minimum(values, self.quants.astype(values.dtype), out=values)
        return values


class _PerLength:
    def __init__(self, factor=1.0) -> None:
        self.factor = np.asarray(factor, np.float64)

    def __call__(self, values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        values /= np.asarray(lengths, values.dtype).reshape(-1, 1, 1, 1)
        if np.any(self.factor != 1.0):
            values *= self.factor.astype(values.dtype)
        return values


class _Callable:
    def __init__(self, func, resolution, conditions, stranded) -> None:
        self.func, self.resolution = func, resolution
        self.conditions, self.stranded = conditions, stranded

    def __call__(self, values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        garray = GenomicArray(values, lengths, self.resolution, self.conditions, self.stranded)
        out = self.func(garray)
        if isinstance(out, np.ndarray):
            return out
        if isinstance(out, GenomicArray):
            return out.data
        return garray.data


def _moments(batches: Batches, shift=None) -> tuple[np.ndarray, np.ndarray, int]:
    """(sum, sum of squares of (x - shift), count) per condition, in float64."""
    total = sq = None
    count = 0
    for values, _ in batches():
        axes = tuple(range(values.ndim - 1))
        v = values.astype(np.float64)
        if shift is not None:
            v -= shift
        s, q = v.sum(axis=axes), np.square(v).sum(axis=axes)
        total = s if total is None else total + s
        sq = q if sq is None else sq + q
        count += int(np.prod(values.shape[:-1]))
    return total, sq, count


# --- Janggu's classes --------------------------------------------------------------------
class ZScore:
    """Centre on the mean and divide by the standard deviation, per condition.

    Parameters
    ----------
    mean, std : fixed parameters; those left None are fitted on the first
        dataset normalised and kept (Janggu's behaviour), so the object can be
        passed to the test set's constructor to reuse the training statistics.
    """

    def __init__(self, mean=None, std=None) -> None:
        self.mean = mean
        self.std = std

    def _plan(self, batches: Batches, **info) -> _Affine:
        if self.mean is None:
            total, _, count = _moments(batches)
            self.mean = total / count
        if self.std is None:
            _, sq, count = _moments(batches, shift=np.asarray(self.mean, np.float64))
            self.std = np.sqrt(sq / (count - 1.0))
        return _Affine(self.mean, self.std)

    def __call__(self, garray: GenomicArray) -> GenomicArray:
        if self.mean is None:
            self.mean = garray.weighted_mean()
        garray.shift(self.mean)
        if self.std is None:
            self.std = garray.weighted_sd()
        garray.rescale(self.std)
        return garray

    def __repr__(self) -> str:
        return f"ZScore({self.mean},{self.std})"


class LogTransform:
    """``log(x + 1)``."""

    def _plan(self, batches: Batches, **info) -> _Log:
        return _Log()

    def __call__(self, garray: GenomicArray) -> GenomicArray:
        garray.handle["data"] = _Log()(garray.data, garray.region_lengths)
        return garray

    def __repr__(self) -> str:
        return "Log"


class ZScoreLog:
    """:class:`LogTransform` then :class:`ZScore` (whose fitted parameters it keeps)."""

    def __init__(self, mean=None, std=None) -> None:
        self.logtr = LogTransform()
        self.zscore = ZScore(mean, std)

    def _plan(self, batches: Batches, **info):
        log = _Log()

        def logged():
            for values, lengths in batches():
                yield log(values.astype(np.float64), lengths), lengths

        return _Chain([log, self.zscore._plan(logged)])

    def __call__(self, garray: GenomicArray) -> GenomicArray:
        return self.zscore(self.logtr(garray))

    def __repr__(self) -> str:
        return repr(self.zscore) + repr(self.logtr)


class PercentileTrimming:
    """Clip values above the *percentile*-th percentile, per strand and condition.

    The percentile is recomputed for every dataset (as Janggu); it needs all
    values of the dataset at once, one condition and strand at a time.
    """

    def __init__(self, percentile: float) -> None:
        self.percentile = percentile

    def _plan(self, batches: Batches, **info) -> _Clip:
        parts = [values for values, _ in batches()]
        data = np.concatenate(parts, axis=0) if len(parts) > 1 else parts[0]
        quants = np.percentile(data, self.percentile, axis=(0, 1))
        return _Clip(np.asarray(quants))

    def __call__(self, garray: GenomicArray) -> GenomicArray:
        quants = np.percentile(garray.data, self.percentile, axis=(0, 1))
        garray.handle["data"] = _Clip(np.asarray(quants))(garray.data, garray.region_lengths)
        return garray

    def __repr__(self) -> str:
        return f"PercentileTrimming({self.percentile})"


class RegionLengthNormalization:
    """Divide every region's values by its length in bases (flank included)."""

    def __init__(self, regionmask=None) -> None:
        if regionmask is not None:
            raise GenomedataError("RegionLengthNormalization(regionmask=...) is not supported "
                                  "(Janggu ignores it as well)")
        self.regionmask = regionmask

    def _plan(self, batches: Batches, **info) -> _PerLength:
        return _PerLength()

    def __call__(self, garray: GenomicArray) -> GenomicArray:
        garray.scale_by_region_length()
        return garray

    def __repr__(self) -> str:
        return "RegionLengthNormalization(None)"


class _TPM:
    """Transcripts per million: per-kb region-length scaling, then to a million per condition."""

    def _plan(self, batches: Batches, **info) -> _PerLength:
        per_kb = _PerLength(1000.0)
        total = None
        for values, lengths in batches():
            v = per_kb(values.astype(np.float64), lengths)
            s = v.sum(axis=tuple(range(v.ndim - 1)))
            total = s if total is None else total + s
        return _PerLength(1000.0 / (total / 1e6))

    def __call__(self, garray: GenomicArray) -> GenomicArray:
        return normalize_garray_tpm(garray)

    def __repr__(self) -> str:
        return "tpm"


def normalize_garray_tpm(garray: GenomicArray) -> GenomicArray:
    """TPM normalisation of a :class:`GenomicArray` in place (Janggu's function)."""
    garray.scale_by_region_length()
    garray.rescale(1e-3)
    scale = garray.sum() / 1e6
    garray.rescale(scale)
    return garray


class _Chain:
    def __init__(self, steps) -> None:
        self.steps = steps

    def __call__(self, values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        for step in self.steps:
            values = step(values, lengths)
        return values


_NAMES = {
    "zscore": ZScore,
    "zscorelog": ZScoreLog,
    "binsizenorm": RegionLengthNormalization,
    "perctrim": lambda: PercentileTrimming(99),
    "tpm": _TPM,
}


def get_normalizer(normalizer):
    """A normalizer object for a name (a new one each call), or the object/callable itself."""
    if isinstance(normalizer, str):
        try:
            return _NAMES[normalizer]()
        except KeyError:
            raise GenomedataError(f"unknown normalizer {normalizer!r} (use "
                                  f"{', '.join(sorted(_NAMES))}, a normalizer object or a "
                                  "callable)") from None
    if normalizer is normalize_garray_tpm:
        return _TPM()
    if callable(normalizer):
        return normalizer
    raise GenomedataError(f"unknown normalizer {normalizer!r}")


def as_list(normalizer) -> list:
    if normalizer is None:
        return []
    items = normalizer if isinstance(normalizer, (list, tuple)) else [normalizer]
    return [get_normalizer(n) for n in items]


def plan(normalizers: Iterable, batches: Batches, *, resolution=None, conditions=None,
         stranded: bool = False) -> list:
    """Fit each normalizer on the data the ones before it produce; return the transforms."""
    steps: list = []

    def transformed():
        for values, lengths in batches():
            v = values.astype(np.float64 if steps else values.dtype, copy=True)
            for step in steps:
                v = step(v, lengths)
            yield v, lengths

    for norm in normalizers:
        if hasattr(norm, "_plan"):
            steps.append(norm._plan(transformed))
        else:
            steps.append(_Callable(norm, resolution, conditions, stranded))
    return steps


def apply(steps: list, values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    for step in steps:
        values = step(values, lengths)
    return values
