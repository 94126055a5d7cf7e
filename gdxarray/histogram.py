"""The histogram of one track's values, genome-wide or inside regions.

Owns the computation behind ``genomedata-histogram``: bins over the track's
[minimum, maximum] (its stored statistics, or a scan when they are stale),
counts accumulated block by block over supercontigs only (never a whole
track in memory), optionally restricted to regions (include) or outside them
(exclude).

May import: intervals, parsers (region files), errors; it reads through a
:class:`~gdxarray.genome.Genome` it is given.
"""

from __future__ import annotations

import math
import os
from typing import Iterator, Union

import numpy as np

from . import intervals
from .errors import ChromosomeDirtyError, ChromosomeNotFoundError, GenomedataError

__all__ = ["BLOCK_ROWS", "histogram"]

#: Rows read at a time: memory stays at a few MB whatever the genome size.
BLOCK_ROWS = 1_000_000

#: Sorted disjoint ``(starts, ends)`` runs per chromosome (what ``parsers.read_regions`` gives).
Regions = dict[str, tuple[np.ndarray, np.ndarray]]
RegionsLike = Union[Regions, str, os.PathLike]


def _as_regions(regions: RegionsLike | None) -> Regions | None:
    if regions is None or isinstance(regions, dict):
        return regions
    from .parsers import read_regions

    return read_regions(regions)


def _check_chroms(genome, regions: Regions, what: str) -> None:
    missing = sorted(set(regions) - {chrom.name for chrom in genome})
    if missing:
        raise ChromosomeNotFoundError(
            f"{what} names chromosomes not in the archive: "
            f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")


def _selected(genome, include: Regions | None, exclude: Regions | None) -> Regions | None:
    """The runs to count: *include* (or every chromosome) minus *exclude*."""
    if exclude is None:
        return include
    empty = np.empty(0, np.int64)
    out: Regions = {}
    for chrom in genome:
        if include is not None and chrom.name not in include:
            continue
        ex_s, ex_e = exclude.get(chrom.name, (empty, empty))
        keep_s, keep_e = intervals.complement(ex_s, ex_e, int(chrom.end))
        if include is not None:
            _, keep_s, keep_e = intervals.clip(*include[chrom.name], keep_s, keep_e)
            keep_s, keep_e = intervals.merge(keep_s, keep_e)
        out[chrom.name] = (keep_s, keep_e)
    return out


def _region_blocks(chrom, track_index: int, starts: np.ndarray, ends: np.ndarray
                   ) -> Iterator[np.ndarray]:
    """Values inside the regions, read window by window within supercontigs."""
    for supercontig in chrom.supercontigs[chrom.start:chrom.end]:
        sc_start, sc_end = int(supercontig.start), int(supercontig.end)
        for window in range(sc_start, sc_end, BLOCK_ROWS):
            w_end = min(window + BLOCK_ROWS, sc_end)
            first = int(np.searchsorted(ends, window, side="right"))
            last = int(np.searchsorted(starts, w_end, side="left"))
            if first >= last:
                continue
            r_starts = np.clip(starts[first:last], window, w_end)
            r_ends = np.clip(ends[first:last], window, w_end)
            lo, hi = int(r_starts[0]), int(r_ends[-1])
            values = np.asarray(chrom[lo:hi, track_index])
            yield values[intervals.cover_mask(r_starts - lo, r_ends - lo, hi - lo)]


def _blocks(genome, track_index: int, regions: Regions | None) -> Iterator[np.ndarray]:
    """The track's stored values block by block, inside *regions* if given.

    Only supercontigs are read (gaps hold no data), at most BLOCK_ROWS bases
    at a time.
    """
    for chrom in genome:
        if regions is None:
            for _, block in chrom.iter_blocks(track_index, BLOCK_ROWS):
                yield np.asarray(block).reshape(-1)
        elif chrom.name in regions:
            yield from _region_blocks(chrom, track_index, *regions[chrom.name])


def _finite(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values)]


def _track_range(genome, track_index: int) -> tuple[float, float]:
    """[min, max] of the track: the archive's statistics, or a scan if stale."""
    try:
        return float(genome.mins[track_index]), float(genome.maxs[track_index])
    except ChromosomeDirtyError:
        pass
    low, high = math.inf, -math.inf
    for block in _blocks(genome, track_index, None):
        block = _finite(block)
        if block.size:
            low, high = min(low, float(block.min())), max(high, float(block.max()))
    return low, high


def histogram(genome, trackname: str, bins: int = 100, *, include: RegionsLike | None = None,
              exclude: RegionsLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Counts and edges of the finite values of one track (NaN and ±inf not counted).

    The *bins* equal bins divide [minimum, maximum] of the whole track, also
    when regions restrict what is counted, so histograms of different regions
    share their bins.  The result equals ``numpy.histogram`` of all the
    counted values at once, accumulated block by block.

    Parameters
    ----------
    genome : an open :class:`~gdxarray.genome.Genome`
    trackname : the track
    bins : number of bins
    include : count only bases inside these regions (a region file path or
        ``{chrom: (starts, ends)}`` merged runs as :func:`gdxarray.parsers.read_regions` gives)
    exclude : do not count bases inside these regions

    Returns
    -------
    (counts int64 of length *bins*, edges float64 of length *bins* + 1)
    """
    track_index = genome.index_continuous(trackname)
    include, exclude = _as_regions(include), _as_regions(exclude)
    if include is not None:
        _check_chroms(genome, include, "the included regions")
    if exclude is not None:
        _check_chroms(genome, exclude, "the excluded regions")
    regions = _selected(genome, include, exclude)
    data_range = _track_range(genome, track_index)
    if not all(map(math.isfinite, data_range)):
        raise GenomedataError(f"track {trackname!r} has no finite values")
    # numpy float64 bounds (not Python floats, which numpy 2 treats as "weak"
    # and would demote to float32 for float32 data): float64 edges, as
    # genomedata 1.7 computed them from its float64 statistics
    data_range = (np.float64(data_range[0]), np.float64(data_range[1]))
    counts, edges = np.histogram(np.array([], dtype=np.float32), bins=bins, range=data_range)
    counts = counts.astype(np.int64)
    for block in _blocks(genome, track_index, regions):
        block = _finite(block)
        if block.size:
            counts += np.histogram(block, bins=bins, range=data_range)[0]
    return counts, edges
