"""Mask input for ``genomedata-hardmask``: BED (3+ columns) or WIG, by content.

Each interval's value is what ``--hardmask`` filters on: for BED the 5th
column (score) when present and numeric, else a numeric 4th column (so a
bedGraph works as a mask), else NaN; for WIG the data value.

WIG coordinates are 1-based and converted to 0-based here, exactly as for
track data.  The reference's hardmask reads WIG masks as 0-based (no
correction), and masks written for it may hold position 0 (``start=0`` or a
variableStep position 0), which no 1-based file can: such a file is read the
reference's way as a whole, with a :class:`~gdxarray.errors.MaskCoordinateWarning`.
"""

from __future__ import annotations

import warnings
from typing import Iterator

import numpy as np

from ..errors import MaskCoordinateWarning
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
    # Masks are region lists (the writers hold all of a mask's regions anyway), so the
    # file is read whole before deciding how its WIG positions count.
    blocks = list(_read_text_intervals(source, "mask", name=name, block_bytes=block_bytes))
    first = next((b for b in blocks if len(b) and int(b.starts.min()) < 0), None)
    if first is not None:  # only a WIG position 0 reads as a negative start
        at = int(first.lines[int(first.starts.argmin())])
        warnings.warn(f"{first.source}:{at}: WIG mask with position 0: reading all its "
                      "positions as 0-based, as genomedata 1.7's hardmask does (WIG "
                      "positions are 1-based otherwise)", MaskCoordinateWarning, stacklevel=2)
        for b in blocks:
            np.add(b.starts, 1, out=b.starts)
            np.add(b.ends, 1, out=b.ends)
    yield from blocks
