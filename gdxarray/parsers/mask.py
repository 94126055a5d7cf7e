"""Mask input for ``genomedata-hardmask``: BED (3+ columns) or WIG, by content.

Each interval's value is what ``--hardmask`` filters on: for BED the 5th
column (score) when present and numeric, else a numeric 4th column (so a
bedGraph works as a mask), else NaN; for WIG the data value.

Unlike the reference (FORMAT.md section 7), WIG coordinates are converted
from 1-based to 0-based here, exactly as for track data.
"""

from __future__ import annotations

from typing import Iterator

from ._io import Source
from .tracks import IntervalBlock, _read_text_intervals

__all__ = ["read_mask"]


def read_mask(source: Source, *, name: str | None = None, block_bytes: int = 8 << 20
              ) -> Iterator[IntervalBlock]:
    """Read a BED or WIG mask file as blocks of intervals (see :func:`read_track`).

    Examples
    --------
    >>> import io
    >>> bed = io.BytesIO(b"chr1\\t0\\t100\\tA\\t0.4\\nchr1\\t100\\t130\\nchr1\\t130\\t170\\t2\\n")
    >>> [(b.starts.tolist(), b.ends.tolist(), b.values.tolist()) for b in read_mask(bed)]
    [([0, 100, 130], [100, 130, 170], [0.4000000059604645, nan, 2.0])]
    """
    yield from _read_text_intervals(source, "mask", name=name, block_bytes=block_bytes)
