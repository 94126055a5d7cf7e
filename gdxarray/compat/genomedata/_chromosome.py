"""``genomedata._chromosome``: the chromosome and supercontig classes and the
array dtypes, as the reference names them."""

from __future__ import annotations

from numpy import float32, nan, uint8  # noqa: F401 - the reference's module names

from gdxarray.errors import MissingContinuousData, OverlapWarning
from gdxarray.genome import Chromosome, Supercontig

#: dtype of continuous (track) arrays, as the reference spells it (``numpy.float32``)
CONTINUOUS_DTYPE = float32
#: dtype of sequence arrays (``numpy.uint8``)
SEQ_DTYPE = uint8

__all__ = ["CONTINUOUS_DTYPE", "Chromosome", "MissingContinuousData", "OverlapWarning",
           "SEQ_DTYPE", "Supercontig"]
