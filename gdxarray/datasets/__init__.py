"""Genomic datasets for machine learning, with Janggu's names: Cover, Bioseq and friends.

``gdxarray.datasets`` is the successor of ``janggu.data`` (Kopp et al. 2020):
regions of interest tiled into windows, signal (bigWig, BAM, BED, archives) and
one-hot DNA as numpy arrays, normalised, batched, and put back on genome
coordinates.  See ``docs/datasets.md`` for what maps to what.
"""

from __future__ import annotations

from ._base import Dataset, batch_order, batches
from .coverage import Cover
from .dna import Bioseq
from .gindexer import GenomicIndexer, Interval
from .normalizers import (
    GenomicArray, LogTransform, PercentileTrimming, RegionLengthNormalization, ZScore,
    ZScoreLog, get_normalizer, normalize_garray_tpm,
)
from .nparr import (
    NanToNumConverter, RandomOrientation, RandomShift, RandomSignalScale, ReduceDim,
    SqueezeDim, Transpose, split_train_test, subset, view,
)
from .visualization import HeatTrack, LineTrack, SeqTrack, Track, plotGenomeTrack

__all__ = sorted([
    "Bioseq", "Cover", "Dataset", "NanToNumConverter", "RandomOrientation", "RandomShift",
    "RandomSignalScale", "ReduceDim", "SqueezeDim", "Transpose", "split_train_test",
    "subset", "view", "GenomicArray", "GenomicIndexer", "Interval", "LogTransform",
    "PercentileTrimming", "RegionLengthNormalization", "ZScore", "ZScoreLog", "batch_order",
    "batches", "get_normalizer", "normalize_garray_tpm", "HeatTrack", "LineTrack",
    "SeqTrack", "Track", "plotGenomeTrack",
])
