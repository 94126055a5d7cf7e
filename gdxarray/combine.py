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
    GenomedataDirtyWarning, GenomedataError, IncompleteTrackError, TrackExistsError, TrackNotFoundError, suggest,
)

#: How tracks may be combined.
HOWS = ("sum", "mean", "max", "min")
#: Rows read per step (rounded down to whole chunks): memory ~ rows x (tracks + 3) x 4-8 B.
WINDOW_ROWS = 1 << 20


def reduce_tracks(block: np.ndarray, how: str) -> np.ndarray:
    """Combine the columns of a ``(rows, tracks)`` float32 block into float32 rows.

    NaN where every input is NaN; otherwise ``sum``/``mean`` are over the
    non-NaN inputs (accumulated in float64), ``max``/``min`` ignore NaN.
    """
    if how in ("max", "min"):  # fmax/fmin return NaN only when both are NaN
        op = np.fmax if how == "max" else np.fmin
        return op.reduce(block, axis=1).astype(fmt.CONTINUOUS_DTYPE, copy=False)
    present = ~np.isnan(block)
    n = present.sum(axis=1)
    total = np.where(present, block, 0).sum(axis=1, dtype=np.float64)
    none = n == 0
    if how == "mean":
        total /= np.maximum(n, 1)
    total[none] = np.nan
    return total.astype(fmt.CONTINUOUS_DTYPE)


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
    >>> combine_tracks("a.genomedata", "dnase", ["dnase_rep1", "dnase_rep2"], how="mean")  # doctest: +SKIP
    """
    from .source import ArchiveSource
    from .writer import add_tracks, close_archive, write_track_arrays
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
        else:
            add_tracks(archive, [newtrack], verbose=verbose)
            archive.invalidate()
            names = archive.tracknames(strict=False)
        source = ArchiveSource(archive)
        rows = source.chunk_rows()
        cols = np.array([names.index(t) for t in tracks], dtype=np.int64)
        ntracks = len(names)
        say(verbose, f"combining {', '.join(tracks)} into {newtrack} ({how})")

        def pieces():
            for chrom in chroms:
                layout = archive.chrom(chrom)
                for a, b in _windows(layout, rows):
                    block = source.read_continuous(chrom, a, b, cols, ntracks)
                    yield chrom, a, reduce_tracks(block, how)

        summary = write_track_arrays(archive, newtrack, pieces(), verbose=verbose)
        try:
            close_archive(archive, verbose=verbose)
        except IncompleteTrackError as exc:  # another track's failed load: not ours to fix
            warnings.warn(f"{newtrack} was written, but statistics are not updated where "
                          f"another track is incomplete: {exc}", GenomedataDirtyWarning,
                          stacklevel=2)
        return summary


__all__ = ["HOWS", "combine_tracks", "reduce_tracks"]
