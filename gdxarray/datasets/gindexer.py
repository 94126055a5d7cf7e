"""The windows a dataset is made of: :class:`GenomicIndexer` and :class:`Interval`.

Owns Janggu's tiling rule (``binsize`` windows every ``stepsize`` bases over each
region of interest, a shorter last window when ``zero_padding``), ``flank``,
the optional ``random_state`` permutation, and selections by chromosome.  Unlike
Janggu's list-of-Python-ints indexer, every column is a numpy array and all
regions are tiled at once.
"""

from __future__ import annotations

from typing import Iterator, NamedTuple, Sequence

import numpy as np

from ..errors import GenomedataError
from ..intervals import expand_ranges
from ._regions import read_regions

__all__ = ["GenomicIndexer", "Interval"]


class Interval(NamedTuple):
    """One window: ``chrom, start, end, strand`` (0-based, half-open, flank included)."""

    chrom: str
    start: int
    end: int
    strand: str = "."

    @property
    def length(self) -> int:
        return self.end - self.start


def _check_positive(name: str, value) -> None:
    if value is not None and (not isinstance(value, (int, np.integer)) or value <= 0):
        raise GenomedataError(f"{name} must be a positive integer or None, not {value!r}")


def tile(start: np.ndarray, end: np.ndarray, binsize: int | None, stepsize: int | None,
         zero_padding: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Janggu's ``add_interval`` over all regions: (region index, window start, window end)."""
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    length = end - start
    if binsize is None:  # one window per region (resolution=None)
        idx = np.arange(len(start))
        return idx, start.copy(), end.copy()
    step = binsize if stepsize is None else stepsize
    if step <= binsize:
        val = length - binsize + step
    else:
        val = length.copy()
    # Janggu's val // step goes negative for regions shorter than binsize - step,
    # and its padded window then starts before the region: such a region gets
    # one (padded) window starting at the region start here.
    nfull = np.maximum(val, 0) // step
    partial = np.where(val > 0, val % step > 0, length > 0) if zero_padding \
        else np.zeros(len(start), bool)
    nwin = nfull + partial
    region, k = expand_ranges(np.zeros_like(nwin), nwin)  # window k of its region
    wstart = start[region] + k * step
    wend = wstart + binsize
    is_partial = k >= np.repeat(nfull, nwin)
    # (Janggu's partial window can exceed binsize when stepsize > binsize)
    wend[is_partial] = np.minimum(end[region[is_partial]], wstart[is_partial] + binsize)
    return region, wstart, wend


class GenomicIndexer:
    """Maps integer indices to genomic windows (Janggu's ``GenomicIndexer``).

    Parameters
    ----------
    binsize, stepsize : window length and step in bases (None: one window per region).
    flank : bases added on both sides of every window.
    zero_padding : keep a shorter last window per region (padded when read).
    collapse : one summary value per window (``resolution=None``).
    random_state : seed of a fixed permutation of the windows (Janggu's option).

    Indexing ``gindexer[i]`` gives an :class:`Interval` with the flank added
    (the start clipped at 0, as Janggu); ``chrs``, ``starts``, ``ends`` and
    ``strand`` hold the windows without flank, in ROI order.

    Examples
    --------
    >>> gi = GenomicIndexer.create_from_file([("chr1", 0, 250, "-")], binsize=100,
    ...                                      stepsize=100, flank=10)
    >>> len(gi), gi[2]
    (3, Interval(chrom='chr1', start=190, end=260, strand='-'))
    """

    def __init__(self, binsize: int | None, stepsize: int | None, flank: int = 0,
                 zero_padding: bool = True, collapse: bool = False, random_state=None):
        _check_positive("binsize", binsize)
        _check_positive("stepsize", stepsize)
        if not isinstance(flank, (int, np.integer)) or flank < 0:
            raise GenomedataError(f"flank must be a non-negative integer, not {flank!r}")
        self.binsize = None if binsize is None else int(binsize)
        self.stepsize = None if stepsize is None else int(stepsize)
        self.flank = int(flank)
        self.zero_padding = bool(zero_padding)
        self.collapse = bool(collapse)
        self._random_state = random_state
        self._randomidx: np.ndarray | None = None
        self.chrs = np.array([], dtype=object)
        self.starts = np.array([], dtype=np.int64)
        self.ends = np.array([], dtype=np.int64)
        self.strand = np.array([], dtype="<U1")

    # -- construction ----------------------------------------------------------
    @classmethod
    def create_from_file(cls, regions, binsize: int | None, stepsize: int | None,
                         flank: int = 0, zero_padding: bool = True, collapse: bool = False,
                         random_state=None) -> "GenomicIndexer":
        """Tile regions (BED/GFF file, list of intervals, DataFrame) into windows.

        ``binsize=None`` takes the longest region's length (or, with
        ``collapse``, one window per region); ``stepsize=None`` equals binsize.
        """
        regs = read_regions(regions)
        if binsize is None and not collapse:
            binsize = int((regs.end - regs.start).max())
        gind = cls(binsize, stepsize if stepsize is not None or binsize is None else binsize,
                   flank, zero_padding=zero_padding, collapse=collapse,
                   random_state=random_state)
        gind.regions = regs
        gind._add(regs.chrom, regs.start, regs.end, regs.strand)
        return gind

    @classmethod
    def create_from_region(cls, chrom: str, start: int, end: int, strand: str = ".",
                           binsize: int | None = None, stepsize: int | None = None,
                           flank: int = 0, zero_padding: bool = True) -> "GenomicIndexer":
        """Tile one region."""
        binsize = end - start if binsize is None else binsize
        return cls.create_from_file([(chrom, start, end, strand)], binsize,
                                    stepsize or binsize, flank, zero_padding)

    @classmethod
    def create_from_genomesize(cls, gsize: dict[str, int]) -> "GenomicIndexer":
        """One window per chromosome, as Janggu's whole-genome indexer."""
        gind = cls(None, None, 0, zero_padding=False)
        gind._add(np.array(list(gsize), dtype=object), np.zeros(len(gsize), np.int64),
                  np.array(list(gsize.values()), np.int64), np.full(len(gsize), "."))
        return gind

    def _add(self, chrom, start, end, strand) -> None:
        region, wstart, wend = tile(start, end, self.binsize, self.stepsize, self.zero_padding)
        self.chrs = np.concatenate((self.chrs, np.asarray(chrom, dtype=object)[region]))
        self.starts = np.concatenate((self.starts, wstart))
        self.ends = np.concatenate((self.ends, wend))
        self.strand = np.concatenate((self.strand, np.asarray(strand, dtype="<U1")[region]))
        self._randomidx = None

    def add_interval(self, chrom: str, start: int, end: int, strand: str = ".") -> "GenomicIndexer":
        """Tile one more region onto the indexer."""
        self._add(np.array([chrom], dtype=object), np.array([start]), np.array([end]),
                  np.array([strand]))
        return self

    def _subset(self, rows: np.ndarray) -> "GenomicIndexer":
        new = GenomicIndexer(self.binsize, self.stepsize, self.flank, self.zero_padding,
                             self.collapse, self.random_state)
        new.chrs, new.starts = self.chrs[rows], self.starts[rows]
        new.ends, new.strand = self.ends[rows], self.strand[rows]
        return new

    # -- properties --------------------------------------------------------------
    @property
    def random_state(self):
        return self._random_state

    @random_state.setter
    def random_state(self, value) -> None:
        self._random_state = value
        self._randomidx = None

    @property
    def randomidx(self) -> np.ndarray | None:
        """The permutation ``random_state`` defines (numpy's legacy RandomState, as Janggu)."""
        if self._random_state is not None and self._randomidx is None:
            state = self._random_state
            rng = state if isinstance(state, np.random.RandomState) else np.random.RandomState(state)
            self._randomidx = rng.permutation(len(self))
        return self._randomidx

    def order(self, idx) -> np.ndarray:
        """Row numbers (into ``chrs``/``starts``/...) of dataset indices *idx*."""
        idx = np.asarray(idx, dtype=np.int64).reshape(-1)
        n = len(self)
        if len(idx) and (idx.min() < -n or idx.max() >= n):
            bad = idx[(idx < -n) | (idx >= n)][0]
            raise IndexError(f"index {bad} is out of range for {n} regions")
        idx = np.where(idx < 0, idx + n, idx)
        perm = self.randomidx
        return idx if perm is None else perm[idx]

    def __len__(self) -> int:
        return len(self.starts)

    def __repr__(self) -> str:
        return (f"GenomicIndexer(<{len(self)} regions>, binsize={self.binsize}, "
                f"stepsize={self.stepsize}, flank={self.flank})")

    def flanked(self, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Window starts and ends with the flank (start clipped at 0) for *rows*."""
        s = self.starts if rows is None else self.starts[rows]
        e = self.ends if rows is None else self.ends[rows]
        return np.maximum(s - self.flank, 0), e + self.flank

    def __getitem__(self, index) -> Interval:
        if not isinstance(index, (int, np.integer)):
            raise IndexError(f"Cannot interpret index: {type(index).__name__}")
        row = int(self.order([index])[0])
        s, e = int(self.starts[row]), int(self.ends[row])
        if e == s:
            e += 1
        return Interval(str(self.chrs[row]), max(0, s - self.flank), e + self.flank,
                        str(self.strand[row]))

    def __iter__(self) -> Iterator[Interval]:
        for i in range(len(self)):
            yield self[i]

    def tostr(self) -> list[str]:
        """``chrom:start-end`` of every window (flank included)."""
        rows = self.order(np.arange(len(self)))
        s, e = self.flanked(rows)
        return [f"{c}:{a}-{b}" for c, a, b in zip(self.chrs[rows], s.tolist(), e.tolist())]

    # -- selections --------------------------------------------------------------
    def idx_by_region(self, include: str | Sequence[str] | None = None,
                      exclude: str | Sequence[str] | None = None,
                      start: int | None = None, end: int | None = None) -> list[int]:
        """Rows on chromosomes *include* (all if None), not on *exclude*, overlapping start/end."""
        include = [include] if isinstance(include, str) else include
        exclude = [exclude] if isinstance(exclude, str) else exclude
        chrs = self.chrs.astype(str)
        keep = np.ones(len(self), bool) if not include else np.isin(chrs, list(include))
        if exclude:
            keep &= ~np.isin(chrs, list(exclude))
        if start is not None:
            keep &= (self.ends + self.flank) > start
        if end is not None:
            keep &= (self.starts - self.flank) < end
        return np.flatnonzero(keep).tolist()

    def filter_by_region(self, include=None, exclude=None, start=None, end=None
                         ) -> "GenomicIndexer":
        """A new indexer of the rows :meth:`idx_by_region` selects (same settings)."""
        return self._subset(np.asarray(self.idx_by_region(include, exclude, start, end),
                                       dtype=np.int64))

    def export_to_bed(self, filename) -> None:
        """Write the windows (flank included) as BED6."""
        s, e = self.flanked()
        with open(filename, "w") as out:
            for c, a, b, st in zip(self.chrs, s.tolist(), e.tolist(), self.strand):
                out.write(f"{c}\t{a}\t{b}\t-\t-\t{st}\n")

    def to_dataframe(self):
        """The windows (flank included, dataset order) as a pandas DataFrame."""
        import pandas as pd

        rows = self.order(np.arange(len(self)))
        s, e = self.flanked(rows)
        return pd.DataFrame({"chrom": self.chrs[rows].astype(str), "start": s, "end": e,
                             "strand": self.strand[rows]})
