"""combine-tracks: a new track computed from others, window by window.

Each supercontig is read in windows of whole HDF5 chunks through the one read
path (:meth:`gdxarray.source.ArchiveSource.read_continuous`), reduced across
the input tracks with numpy, and written through the writer
(:func:`gdxarray.writer.write_track_arrays`: incomplete mark, dirty bit,
chunk by chunk).  Statistics are then recomputed by close-data for the
chromosomes written.

May import: store, source, errors, format, the writer.
"""

from __future__ import annotations

import warnings
from typing import Iterable

import numpy as np

from . import format as fmt
from .errors import (
    GenomedataDirtyWarning, GenomedataError, IncompleteTrackError, TrackExistsError,
    TrackNotFoundError, suggest,
)

#: How tracks may be combined.
HOWS = ("sum", "mean", "max", "min")
#: Rows read per step (rounded down to whole chunks): memory ~ rows x (tracks + 3) x 4-8 B.
WINDOW_ROWS = 1 << 20


def reduce_tracks(columns: list[np.ndarray], how: str) -> np.ndarray:
    """Combine 1-D float32 columns (one per input track) into one float32 column.

    NaN where every input is NaN; otherwise ``sum``/``mean`` are over the
    non-NaN inputs (accumulated in float64), ``max``/``min`` ignore NaN.
    Column by column, so every step runs on contiguous arrays.
    """
    if how in ("max", "min"):  # fmax/fmin give NaN only where both are NaN
        op = np.fmax if how == "max" else np.fmin
        out = np.array(columns[0], dtype=fmt.CONTINUOUS_DTYPE)
        for x in columns[1:]:
            op(out, x, out=out)
        return out
    total = np.zeros(len(columns[0]), dtype=np.float64)
    count = np.zeros(len(columns[0]), dtype=np.int32)
    for x in columns:
        present = ~np.isnan(x)
        np.add(total, x, out=total, where=present)
        count += present
    if how == "mean":
        np.divide(total, count, out=total, where=count > 0)
    total[count == 0] = np.nan
    return total.astype(fmt.CONTINUOUS_DTYPE)


class _Stats:
    """One track's close-data statistics of one chromosome, as close-data sums them."""

    def __init__(self) -> None:
        self.min, self.max, self.sum, self.sum_squares, self.count = np.inf, -np.inf, 0.0, 0.0, 0

    def add(self, values: np.ndarray) -> None:
        kept = values[np.isfinite(values)]
        if not len(kept):
            return
        self.count += len(kept)
        self.min = min(self.min, float(kept.min()))
        self.max = max(self.max, float(kept.max()))
        kept64 = kept.astype(np.float64)
        self.sum += float(kept64.sum())
        self.sum_squares += float(np.dot(kept64, kept64))

    def as_dict(self) -> dict[str, float]:
        return dict(zip(fmt.STAT_NAMES, (self.min, self.max, self.sum, self.sum_squares,
                                         self.count)))


def _windows(layout, rows: int):
    """(start, end) windows of whole chunks over each supercontig of a chromosome."""
    step = max(rows, (WINDOW_ROWS // rows) * rows)
    for s, e in zip(layout.sc_starts.tolist(), layout.sc_ends.tolist()):
        for a in range(s, e, step):
            yield a, min(e, a + step)


def combine_tracks(gdarchive, newtrack: str, tracks: Iterable[str], how: str = "sum",
                   replace: bool = False, *, verbose: bool = False):
    """Write ``how`` of *tracks* into the track *newtrack*, base by base.

    Parameters
    ----------
    gdarchive : archive path (file or directory), or an Archive opened ``r+``.
    newtrack : name of the track to create (or, with *replace*, overwrite).
    tracks : names of the input tracks (one or more; *newtrack* not among them).
    how : ``"sum"``, ``"mean"``, ``"max"`` or ``"min"``; NaN where every input
        is NaN, otherwise over the non-NaN inputs.
    replace : overwrite *newtrack* if it exists (every base is rewritten).

    Returns
    -------
    WriteArraysSummary
        Chromosomes written and values stored.

    Statistics of the chromosomes written are recomputed as close-data does
    (so the archive is left closed).

    Raises
    ------
    TrackNotFoundError
        An input track is not in the archive.
    TrackExistsError
        *newtrack* exists and *replace* is false.
    IncompleteTrackError
        An input track's last load failed part-way on some chromosome.

    Examples
    --------
    >>> combine_tracks("a.genomedata", "dnase", ["rep1", "rep2"], how="mean")  # doctest: +SKIP
    """
    from .source import ArchiveSource
    from .writer import add_track_statistics, add_tracks, close_archive, write_track_arrays
    from .writer._common import borrow, say

    if how not in HOWS:
        raise ValueError(f"how must be one of {', '.join(HOWS)}, not {how!r}")
    tracks = [tracks] if isinstance(tracks, str) else [str(t) for t in tracks]
    if not tracks:
        raise GenomedataError("combine-tracks needs at least one input track")
    if newtrack in tracks:
        raise GenomedataError(f"track {newtrack!r} cannot be both an input and the output of "
                              "combine-tracks; give the output another name")
    with borrow(gdarchive) as archive:
        names = archive.tracknames(strict=False)
        for name in tracks:
            if name not in names:
                raise TrackNotFoundError(f"{archive.path}: no track named {name!r}"
                                         + suggest(name, names))
        chroms = archive.chrom_names()
        for chrom in chroms:
            bad = [t for t in archive.incomplete_tracks(chrom) if t in tracks]
            if bad:
                raise IncompleteTrackError(
                    f"{archive.path}: the last load of track {bad[0]!r} into {chrom} failed "
                    "part-way; load it again or erase it before combining it")
        if newtrack in names:
            if not replace:
                raise TrackExistsError(f"{archive.path} already has a track named "
                                       f"{newtrack!r} (use --replace / replace=True to "
                                       "overwrite it)")
            # where the old values were may no longer hold data: close-data recomputes all
            clean = set()
        else:
            # a chromosome closed before keeps its statistics and chunk attributes: the new
            # track has values only where an input has, so only its own are to be added
            clean = {c for c in chroms if not archive.is_dirty(c)}
            add_tracks(archive, [newtrack], verbose=verbose)
            archive.invalidate()
            names = archive.tracknames(strict=False)
        source = ArchiveSource(archive)
        rows = source.chunk_rows()
        cols = [names.index(t) for t in tracks]
        ntracks = len(names)
        stats: dict[str, _Stats] = {}
        say(verbose, f"combining {', '.join(tracks)} into {newtrack} ({how})")

        def pieces():
            for chrom in chroms:
                layout = archive.chrom(chrom)
                acc = stats[chrom] = _Stats()
                for a, b in _windows(layout, rows):
                    # one column per read: an archive open for writing reads through
                    # PyTables, where a multi-column hyperslab costs several times more
                    values = reduce_tracks(
                        [source.read_continuous(chrom, a, b, [c], ntracks)[:, 0] for c in cols],
                        how)
                    acc.add(values)
                    yield chrom, a, values

        summary = write_track_arrays(archive, newtrack, pieces(), verbose=verbose)
        for chrom in chroms:
            if chrom in clean:
                add_track_statistics(archive, chrom, newtrack, stats[chrom].as_dict())
        archive.invalidate()
        try:
            close_archive(archive, verbose=verbose)  # the chromosomes dirty before
        except IncompleteTrackError as exc:  # another track's failed load: not ours to fix
            warnings.warn(f"{newtrack} was written, but statistics are not updated where "
                          f"another track is incomplete: {exc}", GenomedataDirtyWarning,
                          stacklevel=2)
        return summary


__all__ = ["HOWS", "combine_tracks", "reduce_tracks"]
