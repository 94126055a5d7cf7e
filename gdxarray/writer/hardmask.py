"""hardmask: write NaN into tracks over the regions of a mask file.

Regions (optionally filtered on their value, e.g. ``lt0.5``) are merged,
clipped to the supercontigs (masking a gap is a no-op), grouped by HDF5
chunk, and every affected chunk of every chosen track is rewritten once.
"""

from __future__ import annotations

import operator
import re
from typing import Callable, Iterable

import numpy as np

from .. import intervals
from ..errors import ParseError, TrackNotFoundError
from ..store import HDF5_LOCK
from ._common import (
    begin_track_write, borrow, chrom_group, continuous_of, end_track_write, genome_tracknames,
    read_incomplete, read_tracknames, redo_marks, release, root_attrs, say,
)
from ._direct_io import ColumnChunks
from .close import close_archive

#: operator spelling -> (comparison of value against threshold, meaning)
HARDMASK_OPERATORS: dict[str, tuple[Callable, str]] = {
    "lt": (operator.lt, "<"),
    "le": (operator.le, "<="),
    "lte": (operator.le, "<="),
    "gt": (operator.gt, ">"),
    "ge": (operator.ge, ">="),
    "gte": (operator.ge, ">="),
    "eq": (operator.eq, "=="),
    "ne": (operator.ne, "!="),
}
_OPERATOR_RE = re.compile(r"^\s*(?P<op>[A-Za-z]+)\s*(?P<value>\S+)\s*$")


class HardmaskOperator:
    """``value OP threshold`` as a vectorised callable: True where a region is masked."""

    def __init__(self, name: str, threshold: float) -> None:
        self.name = name
        self.threshold = float(threshold)
        self._compare = HARDMASK_OPERATORS[name][0]

    def __call__(self, values):
        return self._compare(values, self.threshold)

    def __repr__(self) -> str:
        return f"<mask values {HARDMASK_OPERATORS[self.name][1]} {self.threshold:g}>"


def parse_hardmask_operator(text: str) -> HardmaskOperator:
    """Parse an operator such as ``lt0.5`` (mask values < 0.5) into a callable.

    Operators: ``lt``, ``le``/``lte``, ``gt``, ``ge``/``gte``, ``eq``, ``ne``
    followed by a number (space allowed, negatives and exponents accepted).

    >>> f = parse_hardmask_operator("lt0.5")
    >>> f(0.25), f(0.5)
    (True, False)
    >>> parse_hardmask_operator("ge -1e-3")(np.array([-1.0, 0.0])).tolist()
    [False, True]
    """
    valid = ", ".join(HARDMASK_OPERATORS)
    match = _OPERATOR_RE.match(text or "")
    name = match.group("op").lower() if match else None
    if name not in HARDMASK_OPERATORS:
        raise ParseError(f"could not understand the hardmask operator {text!r}: use one of "
                         f"{valid} followed by a number, e.g. lt0.5")
    try:
        threshold = float(match.group("value"))
    except ValueError:
        raise ParseError(f"could not understand the hardmask operator {text!r}: "
                         f"{match.group('value')!r} is not a number (e.g. {name}0.5)") from None
    if np.isnan(threshold):
        raise ParseError(f"hardmask threshold of {text!r} cannot be NaN")
    return HardmaskOperator(name, threshold)


def _keep(function: Callable | None, values: np.ndarray) -> np.ndarray:
    """Regions a filter selects; a region without a value (NaN) is always masked,
    as the reference masks BED3 lines whatever the operator."""
    if function is None:
        return np.ones(len(values), dtype=bool)
    try:
        selected = np.asarray(function(values), dtype=bool)
        if selected.shape != values.shape:
            raise TypeError
    except (TypeError, ValueError):  # a scalar-only callable
        selected = np.fromiter((bool(function(float(v))) for v in values), dtype=bool,
                               count=len(values))
    return selected | np.isnan(values)


def _read_regions(archive, path, function) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    from ..parsers import read_regions

    return read_regions(path, select=lambda values: _keep(function, values),
                        chroms=_ArchiveChroms(archive), chroms_name=f"the archive {archive.path}")


class _ArchiveChroms:
    """The archive's chromosome names as a container (``in`` asks the archive)."""

    def __init__(self, archive) -> None:
        self.archive = archive

    def __contains__(self, name) -> bool:
        return self.archive.has_chrom(name)


def _mask_supercontig(earray, cols: list[int], starts: np.ndarray, ends: np.ndarray) -> None:
    """NaN over sorted disjoint relative ranges; each affected stored chunk rewritten once."""
    io = ColumnChunks(earray)
    rows = io.rows
    _, chunks = intervals.expand_ranges(starts // rows, (ends - 1) // rows - starts // rows + 1)
    chunks = np.unique(chunks)
    # per affected chunk, the masked rows (a +1/-1 sweep over the chunk's ranges)
    lo = np.searchsorted(ends, chunks * rows, side="right")
    hi = np.searchsorted(starts, (chunks + 1) * rows, side="left")
    for chunk, i0, i1 in zip(chunks.tolist(), lo.tolist(), hi.tolist()):
        a = chunk * rows
        masked = intervals.cover_mask(starts[i0:i1] - a, ends[i0:i1] - a, rows)
        for col in cols:
            values = io.read(chunk, col)
            if values is None:
                continue  # never written: already NaN
            values[masked] = np.nan
            io.write(chunk, col, values)


def hardmask_data(gd_filename, hardmask_filename, track_names: Iterable[str] | str | None = None,
                  hardmask_function: Callable | None = None, verbose: bool = False,
                  keep_archive_open: bool = False, dry_run: bool = False) -> dict[str, list]:
    """Mask (set to NaN) track data over the regions of a BED/bedGraph/WIG file.

    Parameters
    ----------
    gd_filename : archive path.
    hardmask_filename : mask file; overlapping or adjacent regions are merged.
    track_names : tracks to mask (default: all).
    hardmask_function : keep only regions whose value passes it, e.g.
        ``parse_hardmask_operator("lt0.5")``; regions without a value always pass.
    keep_archive_open : skip the close-data step (statistics stay stale).
    dry_run : change nothing; with *verbose*, list the regions.

    Returns
    -------
    dict
        chromosome -> list of ``(start, end)`` regions masked (or that would be).

    Examples
    --------
    >>> hardmask_data("hg19.genomedata", "blacklist.bed")  # doctest: +SKIP
    """
    if isinstance(track_names, str):
        track_names = [track_names]
    report: dict[str, list] = {}
    with borrow(gd_filename) as archive:
        all_names = genome_tracknames(archive)
        names = list(track_names) if track_names else list(all_names)
        unknown = [n for n in names if n not in all_names]
        if unknown:
            raise TrackNotFoundError(f"{archive.path}: no track named {unknown[0]!r} "
                                     f"(tracks: {', '.join(all_names) or 'none'})")
        say(verbose, f"tracks for masking: {', '.join(names)}")
        regions = _read_regions(archive, hardmask_filename, hardmask_function)
        for chrom in sorted(regions):
            layout = archive.chrom(chrom)
            starts, ends = regions[chrom]
            # clip to the supercontigs: masking a gap (or past the end) is a no-op
            owner, starts, ends = intervals.clip(starts, ends, layout.sc_starts, layout.sc_ends)
            if not len(starts):
                continue
            report[chrom] = list(zip(starts.tolist(), ends.tolist()))
            if verbose:
                for s, e in report[chrom]:
                    say(True, f"{'would mask' if dry_run else 'masking out'} region: "
                              f"{chrom} {s} {e}")
            if dry_run or not names:
                continue
            sc = np.searchsorted(layout.sc_ends, starts, side="right")
            with HDF5_LOCK:
                file_names = read_tracknames(root_attrs(layout))
                cols = [file_names.index(n) for n in names]
                # marked incomplete on disk while chunks change; a mark a failed
                # load left stays, one a killed hardmask left goes
                group = chrom_group(layout)
                already = set(read_incomplete(group._v_attrs)) - set(redo_marks(group))
                begin_track_write(layout, names, redo=True)
                for i in np.unique(sc).tolist():
                    earray = continuous_of(layout, i)
                    if earray is None:
                        continue
                    sel = sc == i
                    base = int(layout.sc_starts[i])
                    _mask_supercontig(earray, cols, starts[sel] - base, ends[sel] - base)
                end_track_write(layout, [n for n in names if n not in already])
            release(archive, layout)
        if not keep_archive_open and not dry_run:
            close_archive(archive, verbose=verbose)
    return report

__all__ = [
    "HARDMASK_OPERATORS",
    "HardmaskOperator",
    "hardmask_data",
    "parse_hardmask_operator",
]
