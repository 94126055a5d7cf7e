"""Liftover between assemblies through a UCSC chain file: coordinates and whole tracks.

:class:`Liftover` reads a chain file (:func:`gdxarray.parsers.chain.read_chains`)
and indexes its aligned blocks once, as numpy arrays over one genome-wide
source coordinate (chromosome offset + position):

* the *segments*: the source axis cut at every block start and end, each
  segment with the list of blocks covering it (CSR arrays), ordered best
  first: higher chain score, then earlier chain in the file.  A point query
  is one ``searchsorted``; a million positions is one vectorised call.
* the best block of each segment: UCSC liftOver's single-best-chain view, used
  by :meth:`Liftover.convert_positions`, :meth:`Liftover.convert_intervals`
  and :func:`liftover_tracks`.

:func:`liftover_tracks` copies tracks of one archive into an archive of
another assembly through those segments, as whole numpy block copies
(``docs/liftover.md`` says what happens where chains overlap).

May import: parsers, source (the one read path), writer, store, format, errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, Sequence

import numpy as np

from . import format as fmt
from .errors import GenomedataError, TrackExistsError, TrackNotFoundError
from .parsers.chain import ChainSet, read_chains

__all__ = ["LiftedIntervals", "LiftedPositions", "Liftover", "LiftoverSummary",
           "liftover_tracks", "parse_reverse_tracks"]


class LiftedPositions(NamedTuple):
    """Result of :meth:`Liftover.convert_positions` (arrays as long as the input).

    ``target``: index into ``Liftover.target_names`` (-1: unmapped); ``pos``:
    0-based target position (-1: unmapped); ``reverse``: the chain maps onto
    the target's ``-`` strand (the base's strand flips); ``score``: the
    chain's score (0 when unmapped); ``hits``: how many chains cover the
    position (the best one is reported; UCSC liftOver calls > 1
    "Duplicated in new" unless ``-multiple``).
    """

    target: np.ndarray
    pos: np.ndarray
    reverse: np.ndarray
    score: np.ndarray
    hits: np.ndarray


class LiftedIntervals(NamedTuple):
    """Result of :meth:`Liftover.convert_intervals`: one row per mapped piece.

    ``index``: the input interval each piece comes from (pieces are in input
    order, then source order); ``target``/``start``/``end``: the target
    interval (0-based, half-open, forward-strand coordinates); ``reverse``:
    mapped onto the ``-`` strand (the piece's bases run backwards);
    ``score``: the chain's score.
    """

    index: np.ndarray
    target: np.ndarray
    start: np.ndarray
    end: np.ndarray
    reverse: np.ndarray
    score: np.ndarray


class Liftover:
    """A UCSC chain file, indexed for coordinate conversion.

    Parameters
    ----------
    chainfile : path (plain or gzip, detected by content), ``"-"`` or a
        binary file object.

    Examples
    --------
    >>> lo = Liftover("hg38ToHg19.over.chain.gz")           # doctest: +SKIP
    >>> lo.convert_coordinate("chr1", 1_000_000)            # doctest: +SKIP
    [('chr1', 935380, '+', 20849626768)]
    """

    def __init__(self, chainfile) -> None:
        chains = chainfile if isinstance(chainfile, ChainSet) else read_chains(chainfile)
        self.chains = chains
        self.name = chains.name
        self.source_names: list[str] = chains.source_names
        self.target_names: list[str] = chains.target_names
        self.source_sizes = dict(zip(chains.source_names, chains.source_sizes.tolist()))
        self.target_sizes = dict(zip(chains.target_names, chains.target_sizes.tolist()))
        self._source_index = {name: i for i, name in enumerate(chains.source_names)}
        self._build()

    # -- the index -------------------------------------------------------------
    def _build(self) -> None:
        c = self.chains
        sizes = c.source_sizes
        # one genome-wide source axis; a chromosome's blocks never reach the next one
        self._offset = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        chain = c.block_chain
        g_start = self._offset[c.source[chain]] + c.block_source_start
        g_end = g_start + c.block_size
        keep = c.block_size > 0
        blocks = np.flatnonzero(keep)
        bounds = np.sort(np.concatenate([g_start[keep], g_end[keep]]))
        if len(bounds) > 1:  # unique of sorted values (np.unique would hash them)
            bounds = bounds[np.concatenate(([True], bounds[1:] != bounds[:-1]))]
        first = np.searchsorted(bounds, g_start[blocks])
        count = np.searchsorted(bounds, g_end[blocks]) - first
        # (block, segment) for every segment a block covers
        owner = np.repeat(blocks, count)
        seg = (np.arange(int(count.sum()), dtype=np.int64)
               - np.repeat(np.cumsum(count) - count - first, count))
        block_chain = chain[owner]
        order = np.lexsort((owner, block_chain, -c.score[block_chain], seg))
        owner, seg = owner[order], seg[order]
        nseg = len(bounds) - 1
        ptr = np.searchsorted(seg, np.arange(nseg + 1))
        self._bounds = bounds                         # segment k is [bounds[k], bounds[k+1])
        self._ptr = ptr                               # its blocks: _cover[ptr[k]:ptr[k+1]]
        self._cover = owner
        hits = np.diff(ptr)
        self._hits = hits
        best = np.full(nseg, -1, dtype=np.int64)
        covered = hits > 0
        best[covered] = owner[ptr[:-1][covered]]
        self._best = best
        self._tables: dict[int, tuple] = {}

    # -- single bases, as pyliftover ---------------------------------------------
    def convert_coordinate(self, chrom, pos: int, strand: str = "+"):
        """Every target of one base: a list of ``(chrom, pos, strand, score)``.

        What pyliftover's ``LiftOver.convert_coordinate`` answers: 0-based
        positions, best chain first (higher score; equal scores in file
        order), ``[]`` where no aligned block covers the base (a gap, or
        outside every chain), and ``None`` for a chromosome the chain file does
        not name.  On a chain to the ``-`` strand the position counts from the
        target chromosome's start and the strand flips.
        """
        if isinstance(chrom, bytes):
            chrom = chrom.decode("ascii")
        i = self._source_index.get(chrom)
        if i is None:
            return None
        pos = int(pos)
        if pos < 0 or pos >= int(self.chains.source_sizes[i]):
            return []
        g = int(self._offset[i]) + pos
        k = int(np.searchsorted(self._bounds, g, side="right")) - 1
        if k < 0 or k >= len(self._hits):
            return []
        c = self.chains
        out = []
        for b in self._cover[self._ptr[k]:self._ptr[k + 1]].tolist():
            ch = int(c.block_chain[b])
            t = int(c.block_target_start[b]) + pos - int(c.block_source_start[b])
            reverse = bool(c.reverse[ch])
            if reverse:
                t = int(c.target_sizes[c.target[ch]]) - 1 - t
            out_strand = ("-" if reverse else "+") if strand == "+" else ("+" if reverse else "-")
            out.append((self.target_names[int(c.target[ch])], t, out_strand, int(c.score[ch])))
        return out

    # -- vectorised ---------------------------------------------------------------------
    def _table(self, i: int) -> tuple:
        """Per-segment lookup arrays of source chromosome *i* (built once, cached).

        (bounds, target, delta, reverse, target size, score, hits): a position
        ``p`` in segment ``k`` lands on strand coordinate ``p + delta[k]``.
        """
        cached = self._tables.get(i)
        if cached is not None:
            return cached
        c = self.chains
        lo = int(np.searchsorted(self._bounds, self._offset[i], side="left"))
        hi = int(np.searchsorted(self._bounds, self._offset[i + 1], side="right"))
        bounds = self._bounds[lo:hi] - self._offset[i]
        best = self._best[lo:max(lo, hi - 1)]
        covered = best >= 0
        b = best[covered]
        ch = c.block_chain[b]
        target = np.full(len(best), -1, dtype=np.int32)
        target[covered] = c.target[ch]
        delta = np.zeros(len(best), dtype=np.int64)
        delta[covered] = c.block_target_start[b] - c.block_source_start[b]
        reverse = np.zeros(len(best), dtype=bool)
        reverse[covered] = c.reverse[ch]
        tsize = np.zeros(len(best), dtype=np.int64)
        tsize[covered] = c.target_sizes[c.target[ch]]
        score = np.zeros(len(best), dtype=np.int64)
        score[covered] = c.score[ch]
        hits = self._hits[lo:max(lo, hi - 1)].astype(np.int32)
        table = (bounds, target, delta, reverse, tsize, score, hits)
        self._tables[i] = table
        return table

    def convert_positions(self, chrom: str, positions) -> LiftedPositions:
        """Lift many 0-based positions of one source chromosome through the best chain.

        Vectorised (one ``searchsorted`` and a few gathers; no Python call per
        position).  The best chain is the first that :meth:`convert_coordinate`
        lists; a chromosome the chain file does not name leaves everything
        unmapped.
        """
        pos = np.asarray(positions, dtype=np.int64).reshape(-1)
        n = len(pos)
        i = self._source_index.get(chrom)
        if i is None or not n:
            return LiftedPositions(np.full(n, -1, np.int32), np.full(n, -1, np.int64),
                                   np.zeros(n, bool), np.zeros(n, np.int64), np.zeros(n, np.int32))
        bounds, target, delta, reverse, tsize, score, hits = self._table(i)
        k = np.searchsorted(bounds, pos, side="right") - 1
        # outside [bounds[0], bounds[-1]): no segment (index -1 or past the last)
        outside = (k < 0) | (k >= len(target))
        if outside.any():
            k[outside] = 0
            t_idx = target[k]
            t_idx[outside] = -1
        else:
            t_idx = target[k]
        mapped = t_idx >= 0
        rev = reverse[k] & mapped
        out = pos + delta[k]
        np.subtract(tsize[k] - 1, out, out=out, where=rev)
        out[~mapped] = -1
        sc = score[k]
        sc[~mapped] = 0
        h = hits[k]
        h[~mapped] = 0
        return LiftedPositions(t_idx, out, rev, sc, h)

    def _best_rows(self, chrom: str | None) -> np.ndarray:
        """Covered segments (of source chromosome *chrom*, or all), in source order."""
        seg = np.flatnonzero(self._best >= 0)
        if chrom is None:
            return seg
        i = self._source_index.get(chrom)
        if i is None:
            return seg[:0]
        starts = self._bounds[seg]
        lo = np.searchsorted(starts, self._offset[i], side="left")
        hi = np.searchsorted(starts, self._offset[i + 1], side="left")
        return seg[lo:hi]

    def best_segments(self, chrom: str | None = None):
        """The single-best-chain map as arrays, one row per aligned segment.

        Returns ``(source, start, end, target, target_start, reverse, score,
        chain)``: source chromosome index, source ``[start, end)``, target
        chromosome index and the forward-strand target start of the piece
        (``[target_start, target_start + end - start)``; on ``reverse`` rows
        source base ``start`` lands on the *last* of those target bases).
        Rows are in source order; only source chromosome *chrom*'s when given.
        """
        return self._segment_arrays(self._best_rows(chrom))

    def _segment_arrays(self, seg: np.ndarray):
        c = self.chains
        block = self._best[seg]
        ch = c.block_chain[block]
        src = c.source[ch]
        start = self._bounds[seg] - self._offset[src]
        end = self._bounds[seg + 1] - self._offset[src]
        t0 = c.block_target_start[block] + start - c.block_source_start[block]
        reverse = c.reverse[ch]
        # on the - strand, strand coordinates [t0, t0+len) are forward [size-t0-len, size-t0)
        t_fwd = np.where(reverse, c.target_sizes[c.target[ch]] - t0 - (end - start), t0)
        return src, start, end, c.target[ch], t_fwd, reverse, c.score[ch], ch

    def convert_intervals(self, chrom: str, starts, ends) -> LiftedIntervals:
        """Lift BED-like intervals of one source chromosome, piece by aligned piece.

        Each interval is cut where its best chain's aligned blocks end (the
        chain's gaps are dropped: their bases have no target) and each piece
        is mapped whole.  Vectorised; pieces of one block are joined, so an
        interval inside one aligned block gives one piece.
        """
        starts = np.asarray(starts, dtype=np.int64).reshape(-1)
        ends = np.asarray(ends, dtype=np.int64).reshape(-1)
        if starts.shape != ends.shape:
            raise ValueError("starts and ends differ in length")
        rows = self._best_rows(chrom)
        _, s0, s1, tgt, t_fwd, rev, score, _ = self._segment_arrays(rows)
        block_of = self._best[rows]
        lo = np.searchsorted(s1, starts, side="right")
        hi = np.searchsorted(s0, ends, side="left")
        count = np.maximum(hi - lo, 0)
        owner = np.repeat(np.arange(len(starts)), count)
        first = np.cumsum(count) - count
        seg = np.arange(int(count.sum()), dtype=np.int64) - np.repeat(first - lo, count)
        a = np.maximum(starts[owner], s0[seg])
        b = np.minimum(ends[owner], s1[seg])
        keep = b > a
        owner, seg, a, b = owner[keep], seg[keep], a[keep], b[keep]
        r = rev[seg]
        ta = np.where(r, t_fwd[seg] + (s1[seg] - b), t_fwd[seg] + (a - s0[seg]))
        tb = ta + (b - a)
        # segments of one block that another chain's overlap cut apart: join them back
        if len(owner) > 1:
            block = block_of[seg]
            join = np.zeros(len(owner), dtype=bool)
            join[1:] = (owner[1:] == owner[:-1]) & (block[1:] == block[:-1]) & (a[1:] == b[:-1])
            if join.any():
                head = np.flatnonzero(~join)
                last = np.append(head[1:], len(owner)) - 1
                rh = r[head]
                ta, tb = np.where(rh, ta[last], ta[head]), np.where(rh, tb[head], tb[last])
                owner, seg, r = owner[head], seg[head], rh
        return LiftedIntervals(owner, tgt[seg].astype(np.int32), ta, tb, r, score[seg])


# -- tracks --------------------------------------------------------------------------
def parse_reverse_tracks(pairs: Sequence[str] | None) -> list[tuple[str, str]]:
    """``["plus:minus", ...]`` -> ``[("plus", "minus"), ...]`` (a tuple pair is taken as is)."""
    out = []
    for item in pairs or ():
        if isinstance(item, (tuple, list)) and len(item) == 2:
            a, b = item
        else:
            parts = str(item).split(":")
            if len(parts) != 2 or not all(parts):
                raise GenomedataError(f"--reverse-track takes PLUS:MINUS (two track names "
                                      f"joined by ':'), not {item!r}")
            a, b = parts
        if a == b:
            raise GenomedataError(f"--reverse-track {a}:{b} pairs a track with itself")
        out.append((str(a), str(b)))
    seen: set[str] = set()
    for a, b in out:
        for name in (a, b):
            if name in seen:
                raise GenomedataError(f"track {name!r} is in two --reverse-track pairs")
            seen.add(name)
    return out


@dataclass
class LiftoverSummary:
    """What :func:`liftover_tracks` did."""

    tracks: list[str]
    chromosomes: list[str] = field(default_factory=list)  #: target chromosomes written
    bases: int = 0  #: target bases a block reached (per track)
    overlapped: int = 0  #: of those, bases two or more source bases landed on (best chain kept)
    dropped: int = 0  #: non-NaN values landing in target assembly gaps, not stored
    #: target chromosomes of the chain file that the target archive lacks -> bases not lifted
    missing_target: dict[str, int] = field(default_factory=dict)
    #: source chromosomes of the chain file that the source archive lacks
    missing_source: list[str] = field(default_factory=list)


#: Target rows lifted per step (bounds memory: a few of these x tracks x 4 B).
WINDOW = 1 << 22
#: Source reads closer than this are merged into one read.
MERGE_GAP = 1 << 16


def _check_sizes(what: str, path: str, chain_sizes: dict[str, int], archive_sizes: dict[str, int],
                 chainfile: str) -> None:
    for name, size in chain_sizes.items():
        have = archive_sizes.get(name)
        if have is not None and have != size:
            raise GenomedataError(
                f"{chainfile}: {what} chromosome {name} is {size} bp in the chain file but "
                f"{have} bp in {path}: the chain is for another assembly")


def liftover_tracks(source, target, chainfile, tracks: Sequence[str] | None = None,
                    reverse_tracks: Sequence[str] = (), *, verbose: bool = False,
                    close: bool = True) -> LiftoverSummary:
    """Copy tracks of *source* into the archive *target* on another assembly.

    Parameters
    ----------
    source : archive (or bigWig) on the chain file's source (UCSC "t") assembly.
    target : existing archive on the target ("q") assembly, with its sequence
        or chromosome sizes (``genomedata-load-seq``); the tracks are created
        in it (as open-data) and must not exist there yet.
    chainfile : UCSC chain file (plain or gzip) or a :class:`Liftover`.
    tracks : source track names (default: all).
    reverse_tracks : strand-specific pairs ``"PLUS:MINUS"`` (both among
        *tracks*): on blocks mapping to the ``-`` strand each takes the
        other's values (a + strand signal becomes a - strand one there).
    close : compute the statistics afterwards (as close-data; the lifted
        tracks' from the values while they are written, without rereading).

    Each target base takes the value of the source base its best chain maps
    onto it; bases no aligned block reaches are NaN.  Blocks on the ``-``
    strand are copied reversed.  Where several source bases land on one
    target base (chains overlapping in the target), the highest-scoring
    chain's base wins (equal scores: the earlier chain in the file), the
    single-best-chain rule of UCSC liftOver.

    Returns
    -------
    LiftoverSummary
    """
    from .source import open_source
    from .writer import add_tracks, close_archive
    from .writer._common import borrow
    from .writer.data import ArrayWriter

    lo = chainfile if isinstance(chainfile, Liftover) else Liftover(chainfile)
    pairs = parse_reverse_tracks(reverse_tracks)
    src = open_source(source)
    try:
        names = src.tracknames()
        wanted = list(names) if tracks is None else list(dict.fromkeys(tracks))
        for name in wanted:
            if name not in names:
                raise TrackNotFoundError(f"{src.path}: no track named {name!r} "
                                         f"(tracks: {', '.join(names) or 'none'})")
        if not wanted:
            raise GenomedataError(f"{src.path}: no track to lift")
        for a, b in pairs:
            for name in (a, b):
                if name not in wanted:
                    raise GenomedataError(f"--reverse-track {a}:{b}: track {name!r} is not "
                                          "among the tracks lifted")
        cols = np.array([names.index(n) for n in wanted], dtype=np.int64)
        # on reverse blocks, output column j reads source column swap[j]
        swap = np.arange(len(wanted))
        for a, b in pairs:
            ia, ib = wanted.index(a), wanted.index(b)
            swap[ia], swap[ib] = ib, ia
        src_sizes = src.chrom_sizes()
        _check_sizes("source", src.path, lo.source_sizes, src_sizes, lo.name)
        with borrow(target) as archive:
            tgt_sizes = dict(zip(archive.layout_table().names,
                                 archive.layout_table().lengths.tolist()))
            _check_sizes("target", str(archive.path), lo.target_sizes, tgt_sizes, lo.name)
            existing = archive.tracknames(strict=False)
            clash = [n for n in wanted if n in existing]
            if clash:
                raise TrackExistsError(f"{archive.path}: track {clash[0]!r} exists already "
                                       "(erase it first with genomedata-erase-data)")
            summary = LiftoverSummary(list(wanted))
            summary.missing_source = [n for n in lo.source_names if n not in src_sizes]
            # incomplete everywhere until every chromosome is lifted (the writer alone
            # would mark only the chromosomes it had reached)
            add_tracks(archive, wanted, verbose=verbose, incomplete=True)
            writer = ArrayWriter(archive, wanted, in_gaps="drop", verbose=verbose, stats=close)
            try:
                _lift(lo, src, writer, cols, swap, src_sizes, tgt_sizes, summary)
                done = writer.finish()
            except BaseException:
                writer.abort()
                raise
            _clear_incomplete(archive, wanted)
            summary.dropped = sum(s.dropped for s in done)
            if close:
                known: dict[str, dict] = {}
                for s in done:
                    for chrom, st in s.stats.items():
                        known.setdefault(chrom, {})[s.trackname] = st
                close_archive(archive, verbose=verbose, known=known)
    finally:
        src.close()
    return summary


def _clear_incomplete(archive, tracks: list[str]) -> None:
    from .store import HDF5_LOCK
    from .writer._common import chrom_group, clear_incomplete, iter_layouts, release

    for layout in iter_layouts(archive):
        with HDF5_LOCK:
            group = chrom_group(layout)
            for name in tracks:
                clear_incomplete(group, name)
        release(archive, layout)


def _lift(lo: Liftover, src, writer, cols: np.ndarray, swap: np.ndarray,
          src_sizes: dict[str, int], tgt_sizes: dict[str, int], summary: LiftoverSummary) -> None:
    s_idx, s0, s1, t_idx, t0, rev, score, chain = lo.best_segments()
    # only sources the archive has
    src_ok = np.array([n in src_sizes for n in lo.source_names], dtype=bool)
    keep = src_ok[s_idx] if len(s_idx) else np.zeros(0, bool)
    s_idx, s0, s1, t_idx, t0, rev, score, chain = (x[keep] for x in
                                                    (s_idx, s0, s1, t_idx, t0, rev, score, chain))
    length = s1 - s0
    t1 = t0 + length
    ntracks = len(cols)
    ncols_src = len(src.tracknames())
    has_swap = bool(np.any(swap != np.arange(ntracks)))
    order = np.argsort(t_idx, kind="stable")
    splits = np.searchsorted(t_idx[order], np.arange(len(lo.target_names) + 1))
    # reused buffers (fresh ones per window cost their page faults every time)
    from ._read import empty

    window = empty((WINDOW, ntracks), fmt.CONTINUOUS_DTYPE, order="F")
    pools = [empty((2 * WINDOW, ntracks), fmt.CONTINUOUS_DTYPE) for _ in range(2)]

    def windows():
        """(target chrom, window start, pieces) of every window a block reaches, in
        write order: the pieces' target ranges a-b, reverse flags and source ranges."""
        for ti, tname in enumerate(lo.target_names):
            rows = order[splits[ti]:splits[ti + 1]]
            if not len(rows):
                continue
            if tname not in tgt_sizes:
                summary.missing_target[tname] = int(length[rows].sum())
                continue
            # paint order: worst first, so the best chain's base is the one left
            rows = rows[np.lexsort((-chain[rows], score[rows]))]
            a_all, b_all = t0[rows], t1[rows]
            size = tgt_sizes[tname]
            for w0 in range(0, size, WINDOW):
                w1 = min(size, w0 + WINDOW)
                here = rows[(a_all < w1) & (b_all > w0)]
                if not len(here):
                    continue
                a = np.maximum(t0[here], w0)
                b = np.minimum(t1[here], w1)
                r = rev[here]
                # source range of each clipped piece (reverse pieces run backwards)
                sa = np.where(r, s0[here] + (t1[here] - b), s0[here] + (a - t0[here]))
                yield tname, a, b, r, s_idx[here], sa, sa + (b - a)

    def fetch(job, pool):
        return _read_spans(src, lo.source_names, job[4], job[5], job[6], cols, ncols_src, pool)

    # the next window's source is read (and inflated, outside the GIL) while this
    # one is painted and written
    from concurrent.futures import ThreadPoolExecutor

    jobs = windows()
    with ThreadPoolExecutor(1, thread_name_prefix="gdxarray-lift") as reader:
        job = next(jobs, None)
        pending = reader.submit(fetch, job, pools[0]) if job is not None else None
        k = 0
        while job is not None:
            reads = pending.result()
            nxt = next(jobs, None)
            k += 1
            pending = reader.submit(fetch, nxt, pools[k % 2]) if nxt is not None else None
            _paint(job, reads, window, writer, has_swap, swap, summary)
            job = nxt


def _paint(job, reads, window, writer, has_swap, swap, summary) -> None:
    """Paint one window's pieces from their source *reads* and write what they reach."""
    tname, a, b, r = job[:4]
    # only the span the pieces reach is held; NaN only where no piece lands.  The
    # buffer is reused: the writer copies (or writes) what it keeps before returning
    lo_w, hi_w = int(a.min()), int(b.max())
    out = window[:hi_w - lo_w]
    ua, ub = _runs(a - lo_w, b - lo_w, 1)
    out[:int(ua[0])] = np.nan
    for x, y in zip(ub[:-1].tolist(), ua[1:].tolist()):
        out[x:y] = np.nan
    for pa, pb, key, off, reverse in zip((a - lo_w).tolist(), (b - lo_w).tolist(),
                                         reads[0], reads[1], r.tolist()):
        block = reads[2][key][off:off + pb - pa]
        if reverse:
            block = block[::-1]
            if has_swap:
                block = block[:, swap]
        out[pa:pb] = block
    # runs of target bases reached; gaps shorter than a chunk are written as NaN
    ra, rb = _runs(ua, ub, fmt.CONTINUOUS_CHUNK_SHAPE[0])
    for x, y in zip(ra.tolist(), rb.tolist()):
        writer.write(tname, lo_w + x, out[x:y])
    reached, twice = _coverage(a, b)
    summary.bases += reached
    summary.overlapped += twice
    if not summary.chromosomes or summary.chromosomes[-1] != tname:
        summary.chromosomes.append(tname)


def _runs(a: np.ndarray, b: np.ndarray, gap: int) -> tuple[np.ndarray, np.ndarray]:
    """Union of intervals, joining those less than *gap* apart."""
    order = np.argsort(a, kind="stable")
    a, b = a[order], b[order]
    reach = np.maximum.accumulate(b)
    new = np.empty(len(a), dtype=bool)
    new[0] = True
    new[1:] = a[1:] >= reach[:-1] + gap
    heads = np.flatnonzero(new)
    return a[heads], np.maximum.reduceat(b, heads)


def _coverage(a: np.ndarray, b: np.ndarray) -> tuple[int, int]:
    """Bases covered by the intervals ``[a, b)`` at least once, and at least twice."""
    if len(a) == 1:
        return int(b[0] - a[0]), 0
    points = np.concatenate([a, b])
    steps = np.concatenate([np.ones(len(a), np.int64), -np.ones(len(b), np.int64)])
    order = np.argsort(points, kind="stable")
    points, depth = points[order], np.cumsum(steps[order])
    widths = np.diff(points)
    return int(widths[depth[:-1] >= 1].sum()), int(widths[depth[:-1] >= 2].sum())


def _read_spans(src, source_names, s_idx, sa, sb, cols, ncols_src, pool=None):
    """Read the source ranges of pieces with few, merged reads through the one read path.

    Returns (span key per piece, offset of the piece in its span, spans), each
    span a ``(rows, tracks)`` array.
    """
    n = len(sa)
    key = [0] * n
    offset = [0] * n
    spans: list[np.ndarray] = []
    order = np.lexsort((sa, s_idx))
    cur = None  # (source index, start, end, members)
    groups = []
    for i in order.tolist():
        si, x, y = int(s_idx[i]), int(sa[i]), int(sb[i])
        if cur is not None and cur[0] == si and x <= cur[2] + MERGE_GAP:
            cur[2] = max(cur[2], y)
            cur[3].append(i)
        else:
            if cur is not None:
                groups.append(cur)
            cur = [si, x, y, [i]]
    if cur is not None:
        groups.append(cur)
    used = 0
    for si, x, y, members in groups:
        if pool is not None and used + (y - x) <= len(pool):
            data = src.read_continuous(source_names[si], x, y, cols, ncols_src,
                                       out=pool[used:used + (y - x)])
            used += y - x
        else:
            data = src.read_continuous(source_names[si], x, y, cols, ncols_src)
        k = len(spans)
        spans.append(data)
        for i in members:
            key[i] = k
            offset[i] = int(sa[i]) - x
    return key, offset, spans
