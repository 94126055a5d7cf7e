"""close-data: per-chromosome statistics and Segway's chunk attributes.

Statistics are accumulated in float64 over blocks of rows x all tracks (never
a whole track in memory); blocks whose chunks were never written are skipped
without reading.  ``chunk_starts``/``chunk_ends`` follow the reference's
algorithm exactly (``genomedata/_close_data.py``), computed from a streamed
"any track present" scan: first and last present row and the places where
two consecutive present rows are ``>= MIN_GAP_LEN`` apart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from .. import format as fmt
from .. import intervals
from ..errors import IncompleteTrackError
from ..store import (
    HDF5_LOCK, Archive, ChromLayout, read_dirty, read_incomplete, read_tracknames, write_index,
)
from . import zoom as _zoom
from ._direct_io import ColumnChunks
from ._common import (
    borrow, chrom_group, continuous_of, iter_layouts, release, root_attrs, say, set_dirty,
)

#: Values (rows x tracks) read per block.
_BLOCK_VALUES = 4 << 20
#: The reference's threshold (its MIN_GAP_LEN) for splitting chunks.
CHUNK_GAP = fmt.MIN_GAP_LEN


@dataclass
class _Presence:
    """Where any track has a finite value, in supercontig-relative rows."""

    first: int | None = None
    last: int | None = None  # inclusive
    # (end_inclusive, next_start) pairs at every break of >= CHUNK_GAP
    breaks: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)

    def add(self, rows: np.ndarray) -> None:
        if not len(rows):
            return
        if self.last is not None:
            rows_with_prev = np.concatenate(([self.last], rows))
        else:
            rows_with_prev = rows
            self.first = int(rows[0])
        signif = np.flatnonzero(np.diff(rows_with_prev) >= CHUNK_GAP)
        if len(signif):
            self.breaks.append((rows_with_prev[signif], rows_with_prev[signif + 1]))
        self.last = int(rows[-1])

    def add_mask(self, mask: np.ndarray, offset: int) -> None:
        """Same as ``add(np.flatnonzero(mask) + offset)`` without listing every present row.

        Only the edges of runs of present rows can start a break, so two cheap
        passes over the mask replace an index array as long as the data.
        """
        if not len(mask):
            return
        edges = np.flatnonzero(mask[1:] != mask[:-1]) + 1
        if not len(edges) and not mask[0]:
            return
        bounds = np.concatenate(([0], edges, [len(mask)]))
        firsts = bounds[:-1] if mask[0] else bounds[1:-1]
        runs_starts = firsts[::2] + offset
        runs_last = bounds[1:][(0 if mask[0] else 1)::2] - 1 + offset
        # the present rows reduced to their run edges keep every gap >= 1 between runs
        rows = np.empty(2 * len(runs_starts), dtype=np.int64)
        rows[0::2], rows[1::2] = runs_starts, runs_last
        self.add(rows)


def _scan_supercontig(earray, ncols: int, mins, maxs, sums, sums_squares, counts,
                      zoom=None, origin: int = 0, skip: frozenset = frozenset(),
                      known_runs=None) -> _Presence:
    """Accumulate one supercontig's statistics; return where any track is present.

    Reads whole chunks (blocks of chunks x all tracks, never a whole track);
    chunks never written are NaN and are skipped without reading.  Columns in
    *skip* are not read: their statistics are known, and *known_runs* (sorted
    disjoint ``(starts, ends)`` rows) says where they are present.
    """
    presence = _Presence()
    if earray is None or ncols == 0:
        return presence
    scan = [col for col in range(ncols) if col not in skip]
    has_known = known_runs is not None and len(known_runs[0]) > 0
    if not scan:  # every column known: presence straight from the runs
        if has_known:
            rows = np.empty(2 * len(known_runs[0]), dtype=np.int64)
            rows[0::2], rows[1::2] = known_runs[0], known_runs[1] - 1
            presence.add(rows)
        return presence
    with HDF5_LOCK:
        io = ColumnChunks(earray)
    rows = io.rows
    per_block = max(1, _BLOCK_VALUES // (rows * len(scan)))
    for k0 in range(0, io.nchunks, per_block):
        k1 = min(k0 + per_block, io.nchunks)
        present = None
        if has_known:
            lo, hi = k0 * rows, k1 * rows
            i0 = int(np.searchsorted(known_runs[1], lo, side="right"))
            i1 = int(np.searchsorted(known_runs[0], hi, side="left"))
            if i1 > i0:
                present = np.zeros((k1 - k0, rows), dtype=bool)
                flat = present.reshape(-1)
                for a, b in zip(known_runs[0][i0:i1].tolist(), known_runs[1][i0:i1].tolist()):
                    flat[max(a, lo) - lo:min(b, hi) - lo] = True
        for col in scan:
            with HDF5_LOCK:
                got = [(k - k0, v) for k in io.candidates(col, k0, k1)
                       if (v := io.read(k, col)) is not None]
            if not got:
                continue
            if zoom is not None:  # the zoom cells, from the same decoded chunks
                for slot, v in got:
                    zoom.add(col, origin + (k0 + slot) * rows, v)
            values = got[0][1] if len(got) == 1 else np.concatenate([v for _, v in got])
            finite = np.isfinite(values)
            kept = values[finite]
            if not len(kept):
                continue
            counts[col] += len(kept)
            mins[col] = min(mins[col], float(kept.min()))
            maxs[col] = max(maxs[col], float(kept.max()))
            kept64 = kept.astype(np.float64)
            sums[col] += kept64.sum()
            sums_squares[col] += np.dot(kept64, kept64)  # one fused pass, no squares array
            if present is None:
                present = np.zeros((k1 - k0, rows), dtype=bool)
            slots = [slot for slot, _ in got]
            present[slots] |= finite.reshape(len(got), rows)
        if present is not None:
            presence.add_mask(present.reshape(-1), k0 * rows)
    return presence


def _chunks(presences: list[_Presence], layout: ChromLayout) -> list[tuple[np.ndarray, np.ndarray]]:
    """The reference's chunk_starts/chunk_ends for every supercontig (in start order)."""
    n = len(presences)
    sc_starts = layout.sc_starts
    lengths = layout.sc_ends - layout.sc_starts
    # first present chromosome coordinate at or after supercontig i (reference:
    # find_next_present_coord, which looks from the *next* supercontig on)
    next_first: list[int | None] = [None] * (n + 1)
    for i in range(n - 1, -1, -1):
        p = presences[i]
        next_first[i] = int(sc_starts[i]) + p.first if p.first is not None else next_first[i + 1]
    out = []
    prev_chrom_end = 0
    for i, p in enumerate(presences):
        has_prev, has_next = i > 0, i < n - 1
        next_chrom_start = next_first[i + 1] if has_next else None
        length = int(lengths[i])
        if p.first is not None:
            if p.breaks:
                ends_incl = np.concatenate([e for e, _ in p.breaks] + [np.array([p.last])])
                starts = np.concatenate([np.array([p.first])] + [s for _, s in p.breaks])
                starts = starts.astype(np.int64)
                ends = (ends_incl + 1).astype(np.int64)
            else:
                starts = np.array([0], dtype=np.int64)
                ends = np.array([length], dtype=np.int64)
            first, last_excl = p.first, p.last + 1
            # trim_chunks_start
            if has_prev:
                if int(sc_starts[i]) + first - prev_chrom_end > CHUNK_GAP:
                    starts[0] = first
            else:
                starts[0] = first
            # trim_chunks_end
            if has_next:
                if (not next_chrom_start
                        or next_chrom_start - (int(sc_starts[i]) + last_excl) > CHUNK_GAP):
                    ends[-1] = last_excl
            else:
                ends[-1] = last_excl
            prev_chrom_end = int(sc_starts[i]) + int(ends[-1])
        elif not has_next:
            starts, ends = np.array([]), np.array([])
        elif next_chrom_start and next_chrom_start - prev_chrom_end < CHUNK_GAP:
            starts = np.array([0], dtype=np.int64)
            ends = np.array([length], dtype=np.int64)
        else:
            starts, ends = np.array([]), np.array([])
        out.append((starts, ends))
    return out


def close_chromosome(archive: Archive, layout: ChromLayout, *, verbose: bool = False,
                     zoom: bool = True, known=None) -> None:
    """Write the statistics, chunk attributes and (with *zoom*) zoom levels of one
    chromosome; clear dirty.

    *known*: trackname -> :class:`~gdxarray.writer._stats.TrackStats` of tracks
    whose statistics (and zoom cells) a writer gathered; they are not read back.
    """
    with HDF5_LOCK:
        group = chrom_group(layout)
        incomplete = read_incomplete(group._v_attrs)
        if incomplete:
            raise IncompleteTrackError(
                f"{archive.path}: the last load of track(s) {', '.join(incomplete)} into "
                f"{layout.name} failed part-way; load the track again (genomedata-load-data) "
                f"or erase it (genomedata-erase-data --trackname {' '.join(incomplete)}), "
                "then run genomedata-close-data")
        tracknames = read_tracknames(root_attrs(layout))
        ntracks = len(tracknames)
        if ntracks == 0:
            set_dirty(group, False)
            return
        earrays = [continuous_of(layout, i) for i in range(len(layout.sc_names))]
    zoom = _zoom.builder_for(layout, ntracks) if zoom else None
    say(verbose, f"writing metadata for {layout.name}")
    mins = np.full(ntracks, np.inf)
    maxs = np.full(ntracks, -np.inf)
    sums = np.zeros(ntracks)
    sums_squares = np.zeros(ntracks)
    counts = np.zeros(ntracks, dtype=np.int64)
    # known tracks are not read back; with zoom levels to build, only those
    # whose writer also gathered their zoom cells
    known = {name: st for name, st in (known or {}).items()
             if name in tracknames and (zoom is None or st.zoom is not None)}
    skip = frozenset(tracknames.index(name) for name in known)
    for name, st in known.items():
        col = tracknames.index(name)
        if zoom is not None:
            zoom.acc[col] = st.zoom.acc[0]
        if st.count:
            mins[col], maxs[col] = st.min, st.max
            sums[col], sums_squares[col], counts[col] = st.sum, st.sum_squares, st.count
    presences = []
    for i, earray in enumerate(earrays):
        ncols = 0 if earray is None else min(int(earray.shape[1]), ntracks)
        runs = None
        if skip:
            parts = [st.present(i) for st in known.values()]
            runs = intervals.merge(np.concatenate([p[0] for p in parts]),
                                   np.concatenate([p[1] for p in parts]))
        # views: a supercontig lacking columns (never the case for archives
        # written by the tools) contributes nothing to them
        presences.append(_scan_supercontig(earray, ncols, mins[:ncols], maxs[:ncols],
                                           sums[:ncols], sums_squares[:ncols], counts[:ncols],
                                           zoom, int(layout.sc_starts[i]), skip, runs))
    chunks = _chunks(presences, layout)
    with HDF5_LOCK:
        h5 = layout.file.acquire()
        for i, (starts, ends) in enumerate(chunks):
            sc_attrs = h5.get_node(layout.sc_path(i))._v_attrs
            sc_attrs[fmt.ATTR_CHUNK_STARTS] = starts
            sc_attrs[fmt.ATTR_CHUNK_ENDS] = ends
        attrs = group._v_attrs
        for name, value in zip(fmt.STAT_NAMES, (mins, maxs, sums, sums_squares, counts)):
            attrs[name] = value
        _zoom.write(h5, layout, zoom, tracknames, counts, sums)
        set_dirty(group, False)


def add_track_statistics(archive: Archive, name: str, trackname: str,
                         stats: dict[str, float]) -> bool:
    """Append the statistics of the archive's newest track to a chromosome; mark it clean.

    For a chromosome closed before *trackname* was added, when the new track
    has finite values only where another track has (a combination of
    tracks): the other statistics and the chunk attributes still hold, and
    scanning every track again (:func:`close_chromosome`) would only find the
    same.  *stats* maps each of ``fmt.STAT_NAMES`` to the new track's value.
    Returns False, changing nothing, where the chromosome has no statistics
    for exactly the tracks before *trackname*.
    """
    layout = archive.chrom(name)
    with HDF5_LOCK:
        group = chrom_group(layout)
        attrs = group._v_attrs
        tracknames = read_tracknames(root_attrs(layout))
        if not tracknames or tracknames[-1] != trackname or read_incomplete(attrs):
            return False
        before = len(tracknames) - 1
        current = {}
        for stat in fmt.STAT_NAMES:
            if stat not in attrs._v_attrnames:
                return False
            value = np.atleast_1d(np.asarray(attrs[stat]))
            if len(value) != before:
                return False
            current[stat] = value
        for stat, value in current.items():
            attrs[stat] = np.append(value, stats[stat]).astype(value.dtype)
        set_dirty(group, False)
    return True


def close_archive(archive: Archive, *, verbose: bool = False, zoom: bool = True,
                  known=None) -> None:
    """close-data on an archive opened ``r+`` (see :func:`close_data`).

    *known*: chromosome -> {trackname: TrackStats} gathered by a writer
    (``WriteArraysSummary.stats``); those tracks are not read back there.
    """
    failures: list[IncompleteTrackError] = []
    layouts = []
    for layout in iter_layouts(archive):
        layouts.append(layout)
        with HDF5_LOCK:
            group = chrom_group(layout)
            dirty = read_dirty(group._v_attrs) or (zoom and _zoom.missing(group, layout, archive))
        if dirty:
            try:
                close_chromosome(archive, layout, verbose=verbose, zoom=zoom,
                                 known=(known or {}).get(layout.name))
            except IncompleteTrackError as exc:
                failures.append(exc)
        release(archive, layout)
    if archive.layout == "file":
        with HDF5_LOCK:
            h5 = archive.chrom_file(layouts[0].name).acquire() if layouts else None
            if h5 is not None:
                write_index(h5, layouts)
                h5.flush()
    if failures:
        if len(failures) == 1:
            raise failures[0]
        raise IncompleteTrackError(f"{failures[0]} (and {len(failures) - 1} more "
                                   "chromosome(s) with incomplete tracks)")


def close_data(gdfilename: str | os.PathLike, verbose: bool = False, *, zoom: bool = True) -> None:
    """Compute the statistics of every dirty chromosome and mark it clean.

    Writes ``mins``, ``maxs``, ``sums``, ``sums_squares``, ``num_datapoints``
    (finite values only) per chromosome and ``chunk_starts``/``chunk_ends``
    per supercontig, as the reference does; with *zoom* (the default), also the
    zoom levels of every chromosome of at least ``format.ZOOM_MIN_LENGTH`` bases
    (and of clean ones that lack valid levels): see ``docs/format.md``.

    Raises
    ------
    IncompleteTrackError
        A chromosome holds a track whose load failed part-way; it stays
        dirty (the other chromosomes are closed).

    Examples
    --------
    >>> close_data("hg19.genomedata")  # doctest: +SKIP
    """
    with borrow(gdfilename) as archive:
        close_archive(archive, verbose=verbose, zoom=zoom)

__all__ = [
    "CHUNK_GAP",
    "close_archive",
    "close_chromosome",
    "close_data",
]
