"""Dataset wrappers (Janggu's ``janggu.data.nparr``), views and train/test splits.

Owns :class:`ReduceDim`, :class:`SqueezeDim`, :class:`Transpose`,
:class:`NanToNumConverter` and the augmentations :class:`RandomOrientation`,
:class:`RandomShift`, :class:`RandomSignalScale`, plus :func:`view`,
:func:`subset` and :func:`split_train_test`.  A wrapper indexes like the dataset
it wraps (``w[i]`` keeps the region axis) and shares its storage.
"""

from __future__ import annotations

import copy

import numpy as np

from ..errors import GenomedataError
from ._base import Dataset
from .gindexer import GenomicIndexer

__all__ = ["NanToNumConverter", "RandomOrientation", "RandomShift", "RandomSignalScale",
           "ReduceDim", "SqueezeDim", "Transpose", "split_train_test", "subset", "view"]

_AGG = {"sum": np.sum, "mean": np.mean, "max": np.max}


class Wrapper(Dataset):
    """A dataset seen through a transformation of its batches."""

    def __init__(self, data, *args) -> None:
        super().__init__(data.name)
        self.data = data
        self.args = args

    def __len__(self) -> int:
        return len(self.data)

    @property
    def gindexer(self) -> GenomicIndexer:
        return self.data.gindexer

    @property
    def conditions(self):
        return getattr(self.data, "conditions", None)

    @property
    def shape(self) -> tuple:
        return self.data.shape

    def _get(self, idx: np.ndarray) -> np.ndarray:
        return self._transform(np.asarray(self.data[idx]))

    def _transform(self, data: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.data!r})"


class ReduceDim(Wrapper):
    """Aggregate axes (default ``(1, 2)``: positions and strands) to get a table.

    Parameters
    ----------
    aggregator : ``"sum"`` (default), ``"mean"``, ``"max"`` or a callable taking ``axis=``.
    axis : axes to aggregate.
    """

    def __init__(self, array, aggregator=None, axis=None) -> None:
        super().__init__(array, aggregator, axis)
        aggregator = "sum" if aggregator is None else aggregator
        if callable(aggregator):
            self.aggregator = aggregator
        elif aggregator in _AGG:
            self.aggregator = _AGG[aggregator]
        else:
            raise GenomedataError(f"unknown ReduceDim aggregator {aggregator!r} (use 'sum', "
                                  "'mean', 'max' or a callable)")
        self.axis = tuple(axis) if axis is not None else (1, 2)

    def _transform(self, data):
        return self.aggregator(data, axis=self.axis)

    @property
    def shape(self) -> tuple:
        s = self.data.shape
        return tuple(v for i, v in enumerate(s) if i == 0 or i not in self.axis)


class SqueezeDim(Wrapper):
    """Drop axes of length 1 (all, or those in *axis*), never the region axis."""

    def __init__(self, array, axis=None) -> None:
        super().__init__(array, axis)
        self.axis = axis

    def _axes(self, shape) -> tuple:
        return tuple(i for i, v in enumerate(shape) if i > 0 and v == 1
                     and (self.axis is None or i in np.atleast_1d(self.axis)))

    def _transform(self, data):
        return np.squeeze(data, axis=self._axes(data.shape))

    @property
    def shape(self) -> tuple:
        s = self.data.shape
        drop = self._axes(s)
        return tuple(v for i, v in enumerate(s) if i not in drop)


class Transpose(Wrapper):
    """Permute axes (e.g. ``(0, 3, 1, 2)`` for channel-first models)."""

    def __init__(self, array, axis) -> None:
        super().__init__(array, axis)
        self.axis = tuple(axis)

    def _transform(self, data):
        return np.transpose(data, self.axis)

    @property
    def shape(self) -> tuple:
        return tuple(self.data.shape[i] for i in self.axis)


class NanToNumConverter(Wrapper):
    """Replace NaN by 0."""

    def __init__(self, array) -> None:
        super().__init__(array)

    def _transform(self, data):
        return np.nan_to_num(data)


class RandomOrientation(Wrapper):
    """Reverse positions and strands of each region with probability 1/2."""

    def __init__(self, array, seed=None) -> None:
        super().__init__(array)
        self.rng = np.random.default_rng(seed)

    def _transform(self, data):
        flip = np.flatnonzero(self.rng.random(len(data)) < 0.5)
        data[flip] = data[flip, ::-1, ::-1, :]
        return data


class RandomShift(Wrapper):
    """Shift each region by up to *shift* positions either way, padding with 0.

    ``batchwise=True`` shifts a whole batch by one amount.
    """

    def __init__(self, array, shift: int, batchwise: bool = False, seed=None) -> None:
        super().__init__(array, shift, batchwise)
        self.shift = int(shift)
        self.batchwise = batchwise
        self.rng = np.random.default_rng(seed)

    def _transform(self, data):
        n = len(data)
        shifts = self.rng.integers(-self.shift, self.shift + 1, size=1 if self.batchwise else n)
        shifts = np.broadcast_to(shifts, (n,))
        out = np.zeros_like(data)
        for s in np.unique(shifts).tolist():
            rows = np.flatnonzero(shifts == s)
            if s > 0:
                out[rows, s:] = data[rows, :-s]
            elif s < 0:
                out[rows, :s] = data[rows, -s:]
            else:
                out[rows] = data[rows]
        return out


class RandomSignalScale(Wrapper):
    """Multiply each region and condition by ``1 + uniform(-deviance, deviance)``."""

    def __init__(self, array, deviance: float, seed=None) -> None:
        super().__init__(array, deviance)
        self.deviance = float(deviance)
        self.rng = np.random.default_rng(seed)

    def _transform(self, data):
        scales = 1 + self.rng.uniform(-self.deviance, self.deviance,
                                      size=(data.shape[0], data.shape[-1]))
        return (data * scales[:, None, None, :]).astype(data.dtype, copy=False)


def _with_gindexer(dataset, gindexer):
    if isinstance(dataset, Wrapper):
        new = copy.copy(dataset)
        new.data = _with_gindexer(dataset.data, gindexer)
        return new
    new = copy.copy(dataset)
    new.gindexer = gindexer  # validates against the stored regions
    return new


def view(dataset, use_regions):
    """The dataset over other regions, sharing its storage (Janggu's ``view``).

    *use_regions* is tiled with the dataset's binsize, stepsize and flank.
    An in-memory dataset can only show windows it stores; one built with
    ``store_whole_genome=True`` or ``storage="hdf5"`` any window of its extent.
    """
    gi = dataset.gindexer
    new = GenomicIndexer.create_from_file(use_regions, gi.binsize, gi.stepsize, gi.flank,
                                          zero_padding=gi.zero_padding, collapse=gi.collapse,
                                          random_state=gi.random_state)
    return _with_gindexer(dataset, new)


def subset(dataset, include_regions=None, exclude_regions=None):
    """The dataset restricted to (or without) some chromosomes."""
    if include_regions is None and exclude_regions is None:
        raise GenomedataError("subset needs include_regions or exclude_regions")
    new = dataset.gindexer.filter_by_region(include_regions, exclude_regions)
    return _with_gindexer(dataset, new)


def split_train_test(datasets, holdout_chroms):
    """Split by chromosome: (training without *holdout_chroms*, test with only them).

    *datasets* is a dataset, a list or dict of them, or an ``(inputs, outputs)`` tuple.
    """
    if isinstance(datasets, tuple) and not hasattr(datasets, "gindexer"):
        inputs = split_train_test(datasets[0], holdout_chroms)
        outputs = split_train_test(datasets[1], holdout_chroms)
        return (inputs[0], outputs[0]), (inputs[1], outputs[1])
    if isinstance(datasets, dict):
        datasets = list(datasets.values())
    if isinstance(datasets, list):
        pairs = [split_train_test(d, holdout_chroms) for d in datasets]
        return [p[0] for p in pairs], [p[1] for p in pairs]
    return (subset(datasets, exclude_regions=holdout_chroms),
            subset(datasets, include_regions=holdout_chroms))
