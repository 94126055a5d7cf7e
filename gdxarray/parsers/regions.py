"""Region files: BED (3+ columns), bedGraph or WIG, detected by content.

Owns reading region files (masks of ``genomedata-hardmask`` and
``genomedata-load-data --maskfile``, ``--include-coords`` of
``genomedata-histogram``) as interval blocks (:func:`read_mask`) or as
per-chromosome arrays of merged runs (:func:`read_regions`).

May import: format, errors, intervals and the sibling parsers.

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
from collections.abc import Callable, Container
from typing import Iterator

import numpy as np

from .. import intervals
from ..errors import ChromosomeNotFoundError, MaskCoordinateWarning
from ._io import Source
from .tracks import IntervalBlock, _read_text_intervals

__all__ = ["read_mask", "read_regions"]

#: Sorted disjoint ``(starts, ends)`` int64 runs per chromosome.
Regions = dict[str, tuple[np.ndarray, np.ndarray]]


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


def read_regions(source: Source, *, select: Callable[[np.ndarray], np.ndarray] | None = None,
                 chroms: Container[str] | None = None, chroms_name: str = "the archive",
                 name: str | None = None) -> Regions:
    """A region file read into merged runs per chromosome.

    Overlapping and touching regions become one run, so no base counts twice.

    Parameters
    ----------
    source : path (plain or compressed) or binary file object; BED, bedGraph or WIG
    select : optional ``values (float64) -> bool array``: keep only these regions
        (the value is the one :func:`read_mask` gives each interval)
    chroms : optional set of known chromosomes; a region on another one raises
        :class:`~gdxarray.errors.ChromosomeNotFoundError` naming file and line
    chroms_name : how the message names *chroms* (e.g. ``"the archive x.gd"``)
    name : display name of *source* in errors

    Returns
    -------
    ``{chrom: (starts, ends)}`` in order of first appearance: sorted disjoint
    int64 runs.

    Examples
    --------
    >>> import io
    >>> bed = io.BytesIO(b"chr2\\t5\\t9\\nchr1\\t0\\t4\\nchr1\\t4\\t6\\nchr2\\t0\\t2\\n")
    >>> {c: (s.tolist(), e.tolist()) for c, (s, e) in read_regions(bed).items()}
    {'chr2': ([0, 5], [2, 9]), 'chr1': ([0], [6])}
    """
    parts: dict[str, tuple[list, list]] = {}
    for block in read_mask(source, name=name):
        if chroms is not None and block.chrom not in chroms:
            raise ChromosomeNotFoundError(
                f"{block.source}:{int(block.lines[0])}: chromosome {block.chrom!r} of the "
                f"mask is not in {chroms_name}")
        starts = np.asarray(block.starts, np.int64)
        ends = np.asarray(block.ends, np.int64)
        if select is not None:
            keep = select(np.asarray(block.values, dtype=np.float64))
            starts, ends = starts[keep], ends[keep]
        lists = parts.setdefault(block.chrom, ([], []))
        lists[0].append(starts)
        lists[1].append(ends)
    return {chrom: intervals.merge(np.concatenate(s), np.concatenate(e))
            for chrom, (s, e) in parts.items()}
