"""load-data: stream one track's intervals into its column, chunk by chunk.

Design (the costs are measured, see the module tests and the report):

* Per chromosome, a dict ``chunk key -> float32 buffer`` holds the HDF5 chunks
  of the target column that the input touches.  A chunk is read from disk the
  first time it is touched (so loading onto an existing track paints over
  it), painted with numpy (``np.repeat`` index arithmetic over a staging
  matrix, never a Python loop per line or per base), and written back with one
  ``earray[a:b, col] = buf`` per run of consecutive chunks.
* Sorted input keeps only the chunk under the current position in memory;
  unsorted input keeps what it touched (bounded by :data:`MAX_BUFFER_BYTES`).
* Every block is validated first: unknown chromosome, start >= end, negative
  start, end past the chromosome, non-NaN data in a gap, and overlaps (also
  with intervals of earlier blocks, kept per chromosome as merged runs).
* Nothing lost: before the first write into a chromosome the track is added
  to the chromosome's ``ATTR_INCOMPLETE`` mark (and the chromosome set dirty),
  flushed to disk; the mark is removed when the whole input has loaded, after
  the chunk index is on disk.  Rewrites of stored chunks follow the undo
  protocol of :mod:`._undo`, so a killed load leaves old or new values.
"""

from __future__ import annotations

import io
import os
import sys
from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .. import format as fmt
from .. import intervals
from ..errors import GenomedataError, ParseError, TrackNotOpenError
from ..store import HDF5_LOCK, Archive, ChromLayout, is_bigwig
from ._direct_io import ColumnChunks, encode_chunks
from . import zoom as _zoom
from ._stats import TrackStats
from ._common import (
    Progress, begin_track_write, borrow, continuous_of, end_track_write, genome_tracknames,
    release, say, track_column,
)

#: Values painted per staging matrix (bounds the temporary memory of one step:
#: a 4 MB stage and ~20 MB of painting temporaries; 4M values cost ~80 MB at the
#: peak of a shuffled bedGraph load, measured on a 50 Mbp chromosome).
STAGE_VALUES = 1 << 20
#: Unsorted input flushes everything once its buffers exceed this.
MAX_BUFFER_BYTES = 512 << 20
#: Lines shuffled across chromosomes: validated pieces of the chromosomes other
#: than the current one wait here (~28 bytes a line) until this much is held,
#: then each chromosome is written in one visit, so a chromosome is rewritten a
#: few times per load instead of at every switch.
MAX_PENDING_BYTES = 64 << 20


class _Held:
    """One chromosome's held blocks from one source, appended into growable arrays.

    Input shuffled across chromosomes arrives about one line per block; a list
    of small arrays per block cost ~600 bytes a line in object overhead (1 GB on
    a 1.4 M-line bedGraph), far past :data:`MAX_PENDING_BYTES`.  Block bounds
    are kept so a failed joined check can replay the blocks one by one.
    """

    __slots__ = ("source", "n", "arrays", "bounds")

    def __init__(self, source) -> None:
        self.source = source
        self.n = 0
        self.arrays: list[np.ndarray] | None = None
        self.bounds = array("q", [0])

    @property
    def nbytes(self) -> int:
        held = sum(a.nbytes for a in self.arrays) if self.arrays is not None else 0
        return held + self.bounds.itemsize * len(self.bounds)

    def append(self, *columns: np.ndarray) -> int:
        """Add one block (starts, ends, values, lines); return the bytes newly allocated."""
        k = columns[0].size
        before = self.nbytes
        if self.arrays is None:
            self.arrays = [np.empty(max(k, 256), dtype=c.dtype) for c in columns]
        elif self.n + k > self.arrays[0].size:
            size = max(2 * self.arrays[0].size, self.n + k)
            grown = [np.empty(size, dtype=a.dtype) for a in self.arrays]
            for new, old in zip(grown, self.arrays):
                new[:self.n] = old[:self.n]
            self.arrays = grown
        for a, c in zip(self.arrays, columns):
            a[self.n:self.n + k] = c
        self.n += k
        self.bounds.append(self.n)
        return self.nbytes - before

    def joined(self) -> list[np.ndarray]:
        return [a[:self.n] for a in self.arrays]

    def blocks(self):
        for x, y in zip(self.bounds[:-1], self.bounds[1:]):
            yield [a[x:y] for a in self.arrays]


class Coverage:
    """Merged runs a chromosome's input has covered so far (overlap detection)."""

    def __init__(self) -> None:
        self._segments: list[tuple[np.ndarray, np.ndarray]] = []
        self._max_end = -1

    def _consolidated(self) -> tuple[np.ndarray, np.ndarray]:
        if len(self._segments) != 1:
            if not self._segments:
                return np.empty(0, np.int64), np.empty(0, np.int64)
            self._segments = [intervals.merge(np.concatenate([s for s, _ in self._segments]),
                                              np.concatenate([e for _, e in self._segments]))]
        return self._segments[0]

    def first_overlap(self, starts: np.ndarray, ends: np.ndarray) -> tuple[int, int, int] | None:
        """(index, run start, run end) of the first interval hitting a covered run."""
        if starts[0] >= self._max_end:  # sorted input: the common, O(1) case
            return None
        run_starts, run_ends = self._consolidated()
        i = np.searchsorted(run_ends, starts, side="right")
        inside = i < len(run_starts)
        hit = np.zeros(len(starts), dtype=bool)
        hit[inside] = run_starts[i[inside]] < ends[inside]
        if not hit.any():
            return None
        j = int(np.argmax(hit))
        return j, int(run_starts[i[j]]), int(run_ends[i[j]])

    def add(self, starts: np.ndarray, ends: np.ndarray) -> None:
        """Add sorted, disjoint intervals (already checked against the cover)."""
        runs = intervals.merge(starts, ends)
        if starts[0] >= self._max_end:
            self._segments.append(runs)
        else:
            # two sorted disjoint run lists merged by insertion, so merge() needs no
            # argsort (shuffled input has ~a million runs half-way, and a sort's
            # temporaries were the biggest part of its peak memory)
            cur_starts, cur_ends = self._consolidated()
            self._segments = []
            at = np.searchsorted(cur_starts, runs[0])
            all_starts = np.insert(cur_starts, at, runs[0])
            del cur_starts
            all_ends = np.insert(cur_ends, at, runs[1])
            del cur_ends, at
            self._segments = [intervals.merge(all_starts, all_ends)]
        self._max_end = max(self._max_end, int(ends.max()))


class Mask:
    """Regions of a mask file (BED/bedGraph/WIG), merged per chromosome."""

    def __init__(self, source) -> None:
        from ..parsers import read_regions

        self.runs = read_regions(source)

    def clip(self, chrom: str, starts, ends) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What ``bedtools intersect -a data -b mask`` keeps: (owner, start, end)."""
        runs = self.runs.get(chrom)
        if runs is None:
            empty = np.empty(0, np.int64)
            return empty, empty, empty
        return intervals.clip(starts, ends, *runs)


# -- the loader ---------------------------------------------------------------
@dataclass
class LoadDataSummary:
    """What :func:`load_data` did."""

    trackname: str
    lines: int = 0  #: data lines (intervals) read
    chromosomes: list[str] = field(default_factory=list)  #: chromosomes written to
    skipped: dict[str, int] = field(default_factory=dict)  #: unknown chromosome -> lines

    @property
    def skipped_lines(self) -> int:
        return sum(self.skipped.values())


def _where(chrom: str, start, end) -> str:
    return f"{chrom}:{int(start)}-{int(end)}"


class _ChromWriter:
    """Buffers and writes the target column of one chromosome (one visit).

    Chunks are identified by a *key*: ``offset[sc] + chunk index`` over the
    supercontigs in start order, so sorting keys sorts by position.
    """

    def __init__(self, loader: "_Loader", layout: ChromLayout) -> None:
        self.loader = loader
        self.layout = layout
        self.name = layout.name
        self.col = track_column(loader.archive, layout, loader.trackname)
        n = len(layout.sc_names)
        with HDF5_LOCK:
            earrays = [continuous_of(layout, i) for i in range(n)]
            missing = [layout.sc_names[i] for i, e in enumerate(earrays) if e is None]
            if missing:
                raise GenomedataError(f"{loader.archive.path}: {self.name}/{missing[0]} has no "
                                      "continuous data array; run genomedata-open-data first")
            self.chunks = [ColumnChunks(e) for e in earrays]
        self.nrows = (layout.sc_ends - layout.sc_starts).astype(np.int64)
        self.rows = np.array([c.rows for c in self.chunks], dtype=np.int64)
        nchunks = np.array([c.nchunks for c in self.chunks], dtype=np.int64)
        self.offset = np.concatenate([[0], np.cumsum(nchunks)]).astype(np.int64)
        self.max_rows = int(self.rows.max()) if n else 1
        self.uniform_rows = self.max_rows if n and bool(np.all(self.rows == self.max_rows)) else 0
        self.buffers: dict[int, np.ndarray] = {}
        self.in_order = True
        self.last_end = -1

    def was_empty(self) -> bool:
        """The column held nothing on this chromosome when this writer started (known for sure)."""
        return all(c.stored is not None and not c.stored[self.col].any() for c in self.chunks)

    def _split(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(supercontig, chunk index) of keys."""
        sc = np.searchsorted(self.offset, keys, side="right") - 1
        return sc, keys - self.offset[sc]

    # painting ----------------------------------------------------------------
    def paint(self, sc: np.ndarray, rel_starts: np.ndarray, rel_ends: np.ndarray,
              values: np.ndarray) -> None:
        """Paint supercontig-relative pieces (all inside their supercontig)."""
        if not len(sc):
            return
        # the usual case, one chunk height everywhere, avoids per-piece gathers
        rows = self.uniform_rows if self.uniform_rows else self.rows[sc]
        c0 = rel_starts // rows
        c1 = (rel_ends - 1) // rows
        if bool(np.array_equal(c0, c1)):
            chunk = c0
        else:
            owner, chunk = intervals.expand_ranges(c0, c1 - c0 + 1)
            sc, rel_starts, rel_ends, values = (
                sc[owner], rel_starts[owner], rel_ends[owner], values[owner])
            if not self.uniform_rows:
                rows = rows[owner]
        base = chunk * rows
        local_starts = rel_starts - base
        local_ends = np.minimum(rel_ends - base, rows)
        local_starts[local_starts < 0] = 0
        keys = chunk if len(self.chunks) == 1 else self.offset[sc] + chunk
        if len(keys) > 1 and not bool(np.all(keys[1:] >= keys[:-1])):
            order = np.argsort(keys, kind="stable")
            keys, local_starts, local_ends, values = (
                keys[order], local_starts[order], local_ends[order], values[order])
        new_key = np.empty(len(keys), dtype=bool)
        new_key[0] = True
        np.not_equal(keys[1:], keys[:-1], out=new_key[1:])
        slots = np.cumsum(new_key) - 1
        heads = np.flatnonzero(new_key)
        unique = keys[heads]
        group = max(1, STAGE_VALUES // self.max_rows)
        for g0 in range(0, len(unique), group):
            g1 = min(g0 + group, len(unique))
            p0 = int(heads[g0])
            p1 = int(heads[g1]) if g1 < len(unique) else len(keys)
            self._paint_group(unique[g0:g1], slots[p0:p1] - g0, local_starts[p0:p1],
                              local_ends[p0:p1], values[p0:p1])
            if self.in_order:
                # sorted input never comes back before the last chunk it touched
                self.flush(below=int(unique[g1 - 1]))
        if not self.in_order and len(self.buffers) * self.max_rows * 4 > MAX_BUFFER_BYTES:
            self.flush()

    def _paint_group(self, unique: np.ndarray, slot: np.ndarray, starts: np.ndarray,
                     ends: np.ndarray, values: np.ndarray) -> None:
        width = self.max_rows
        lengths = ends - starts
        sc, chunk = self._split(unique)
        valid = np.minimum(self.rows[sc], self.nrows[sc] - chunk * self.rows[sc])
        # a chunk the input covers completely need not be read first
        covered = np.bincount(slot, weights=lengths, minlength=len(unique))
        stage = np.empty((len(unique), width), dtype=fmt.CONTINUOUS_DTYPE)
        key_list = unique.tolist()
        with HDF5_LOCK:
            for i, key in enumerate(key_list):
                buf = self.buffers.get(key)
                if buf is None:
                    if covered[i] >= valid[i]:
                        stage[i] = np.nan
                        continue
                    buf = self.chunks[sc[i]].read_or_nan(int(chunk[i]), self.col)
                stage[i, :len(buf)] = buf
        flat_stage = stage.reshape(-1)
        if bool(np.all(lengths == 1)):  # WIG with span 1: one value per base
            flat_stage[slot * width + starts] = values
        else:
            total = int(lengths.sum())
            first = slot * width + starts
            if total * 4 >= len(flat_stage) and len(values) < 2**31 - 1:
                # dense: one sweep labels each base with its piece (pieces are disjoint)
                run = intervals.label_runs(first, first + lengths, len(flat_stage))
                inside = run > 0
                flat_stage[inside] = values[run[inside] - 1]
            else:  # sparse: index only the painted bases
                _, flat = intervals.expand_ranges(first, lengths)
                flat_stage[flat] = np.repeat(values, lengths)
        if self.in_order:  # flushed at once: views of the stage are fine
            for i, key in enumerate(key_list):
                self.buffers[key] = stage[i, :self.rows[sc[i]]]
            return
        # unsorted input keeps its chunks for long: each in its own array, since a
        # view would keep its whole stage alive until that chunk is painted again
        # (memory would grow with the stages made, not with the chunks held)
        buffers = self.buffers
        for i, key in enumerate(key_list):
            row = stage[i, :self.rows[sc[i]]]
            buf = buffers.get(key)
            if buf is not None and buf.base is None and len(buf) == len(row):
                buf[:] = row
            else:
                buffers[key] = row.copy()

    def paint_run(self, sc: int, start: int, values: np.ndarray) -> None:
        """Paint ``values`` over rows ``[start, start + len(values))`` of supercontig *sc*."""
        rows, nrows, base = int(self.rows[sc]), int(self.nrows[sc]), int(self.offset[sc])
        end = start + len(values)
        pos, k, key = start, start // rows, base
        while pos < end:
            chunk_start = k * rows
            hi = min(end, chunk_start + rows, nrows)
            key = base + k
            buf = self.buffers.get(key)
            if buf is None:
                if (self.in_order and pos == chunk_start and hi == chunk_start + rows
                        and hi < end):
                    # a whole chunk that the flush below writes before this returns:
                    # the caller's values themselves, no copy
                    self.buffers[key] = values[pos - start:hi - start]
                    pos, k = hi, k + 1
                    continue
                if pos == chunk_start and hi == min(chunk_start + rows, nrows):
                    buf = np.full(rows, np.nan, dtype=fmt.CONTINUOUS_DTYPE)  # fully covered
                else:
                    with HDF5_LOCK:
                        buf = self.chunks[sc].read_or_nan(k, self.col)
                self.buffers[key] = buf
            buf[pos - chunk_start:hi - chunk_start] = values[pos - start:hi - start]
            pos, k = hi, k + 1
        if self.in_order:
            self.flush(below=key)  # sorted input never returns before its last chunk
        elif len(self.buffers) * self.max_rows * 4 > MAX_BUFFER_BYTES:
            self.flush()

    # writing -----------------------------------------------------------------
    def flush(self, below: int | None = None) -> None:
        """Write buffered chunks (those with key < *below*, or all) and drop them."""
        if not self.buffers:
            return
        keys = sorted(self.buffers) if below is None else sorted(k for k in self.buffers if k < below)
        if not keys:
            return
        self.loader.before_write(self)
        key_array = np.asarray(keys, dtype=np.int64)
        sc, chunk = self._split(key_array)
        if all(self.chunks[i].direct for i in set(sc.tolist())):
            todo = []
            for key, i, c in zip(keys, sc.tolist(), chunk.tolist()):
                buf = self.buffers[key]
                io = self.chunks[i]
                # an all-NaN chunk never stored reads back as NaN already: no write
                if (io.stored is not None and not io.stored[self.col, c]
                        and np.isnan(buf[0]) and np.isnan(buf).all()):
                    continue
                todo.append((io, c, buf))
            # encoded together (in threads when many, and without the HDF5 lock: a
            # reader in another thread goes on meanwhile), then stored in order
            blobs = encode_chunks([(io, buf) for io, _, buf in todo])
            with HDF5_LOCK:
                for (io, c, _), blob in zip(todo, blobs):
                    io.write_encoded(c, self.col, blob)
        else:
            with HDF5_LOCK:  # one slicing call per run of consecutive chunks
                breaks = np.flatnonzero((np.diff(key_array) != 1) | (np.diff(sc) != 0)) + 1
                for run in np.split(np.arange(len(keys)), breaks):
                    first = int(run[0])
                    data = np.concatenate([self.buffers[keys[j]] for j in run])
                    self.chunks[int(sc[first])].write_run(int(chunk[first]), self.col, data)
        for key in keys:
            del self.buffers[key]

    def discard(self) -> None:
        self.buffers.clear()


class _Loader:
    def __init__(self, archive: Archive, trackname: str, mask: Mask | None,
                 skip_unknown: bool, verbose: bool) -> None:
        self.archive = archive
        self.trackname = trackname
        self.mask = mask
        self.skip_unknown = skip_unknown
        self.verbose = verbose
        self.current: _ChromWriter | None = None
        self.coverage: dict[str, Coverage] = {}
        self.touched: list[str] = []
        self.skipped: Counter = Counter()
        self.lines = 0
        # chromosome interleaving: once a chromosome comes back after another,
        # pieces of non-current chromosomes are held in `pending` (file order)
        self.seen: set[str] = set()  # chromosomes left for another
        self.last_chrom: str | None = None
        self.interleaved = False
        self.pending: dict[str, list[_Held]] = {}
        self.pending_bytes = 0

    # state ---------------------------------------------------------------------
    def before_write(self, writer: _ChromWriter) -> None:
        """First write into a chromosome: mark the track incomplete there (and dirty)."""
        if writer.name in self.touched:
            return
        with HDF5_LOCK:
            begin_track_write(writer.layout, [self.trackname])
        self.touched.append(writer.name)

    def _settle(self, writer: _ChromWriter) -> None:
        """Done with a chromosome for now: its writes indexed on disk, no undo record."""
        if writer.name in self.touched:
            with HDF5_LOCK:
                end_track_write(writer.layout)

    def _switch(self, name: str) -> _ChromWriter:
        current = self.current
        if current is not None and current.name == name:
            return current
        if current is not None:
            current.flush()
            self._settle(current)
            release(self.archive, current.layout)
            self.current = None
        say(self.verbose, f"  {name}")
        self.current = _ChromWriter(self, self.archive.chrom(name))
        return self.current

    def _emit(self, chrom: str, piece: tuple) -> None:
        """Paint a validated piece into its chromosome."""
        self._apply(self._switch(chrom), piece)

    def _drain(self) -> None:
        """Load every held block, one visit per chromosome (the current one first).

        A chromosome's held blocks are validated and painted as one block; if
        that fails they are replayed one by one, so the error is the one the
        line-by-line load gives (same line, same message)."""
        pending, self.pending, self.pending_bytes = self.pending, {}, 0
        names = list(pending)
        if self.current is not None and self.current.name in pending:
            names.remove(self.current.name)
            names.insert(0, self.current.name)
        for name in names:
            groups = pending[name]
            if len(groups) == 1 and len(groups[0].bounds) == 2:
                self._add(name, groups[0].source, *groups[0].joined())
                continue
            parts = [g.joined() for g in groups]
            joined = parts[0] if len(parts) == 1 else [np.concatenate(c) for c in zip(*parts)]
            try:
                self._add(name, groups[0].source, *joined, check_only=True)
            except ParseError:
                for g in groups:
                    for block in g.blocks():
                        self._add(name, g.source, *block)
                raise AssertionError("held blocks failed together but not one by one")
            # valid in file order, so painted in position order: the visit streams
            # its chunks out instead of holding the whole chromosome unsorted
            starts = joined[0]
            if starts.size > 1 and not bool(np.all(starts[1:] >= starts[:-1])):
                order = np.argsort(starts, kind="stable")
                joined = [c[order] for c in joined]
            self._add(name, groups[0].source, *joined)

    @staticmethod
    def _apply(writer: _ChromWriter, piece: tuple) -> None:
        kind, first_start, last_end, in_order = piece[0], piece[-3], piece[-2], piece[-1]
        if not in_order or first_start < writer.last_end:
            writer.in_order = False
        writer.last_end = max(writer.last_end, last_end)
        if kind == "run":
            writer.paint_run(*piece[1:4])
        else:
            writer.paint(*piece[1:5])

    # one block -------------------------------------------------------------------
    def add(self, block) -> None:
        chrom = block.chrom
        starts = np.asarray(block.starts, dtype=np.int64)
        ends = np.asarray(block.ends, dtype=np.int64)
        values = np.asarray(block.values, dtype=fmt.CONTINUOUS_DTYPE)
        lines = np.asarray(block.lines)
        n = len(starts)
        if n == 0:
            return
        self.lines += n
        if not self.archive.has_chrom(chrom):
            if self.skip_unknown:
                self.skipped[chrom] += n
                return
            raise ParseError(
                f"chromosome {chrom!r} is not in the archive {self.archive.path} (such lines "
                "are an error with --strict-chromosomes / strict_chromosomes=True; without it "
                "they are skipped)", source=block.source, line=int(lines[0]))
        if self.last_chrom is not None and chrom != self.last_chrom:
            if not self.interleaved and chrom in self.seen:
                self.interleaved = True  # a chromosome came back: hold blocks from now on
            self.seen.add(self.last_chrom)
        self.last_chrom = chrom
        if not self.interleaved:
            self._switch(chrom)  # the previous chromosome is written before this is checked
            self._add(chrom, block.source, starts, ends, values, lines)
            return
        # copied into the holder: a held view would pin the parser's whole buffer
        groups = self.pending.setdefault(chrom, [])
        if not groups or groups[-1].source != block.source:
            groups.append(_Held(block.source))
        self.pending_bytes += groups[-1].append(starts, ends, values, lines)
        if self.pending_bytes > MAX_PENDING_BYTES:
            self._drain()

    def _add(self, chrom: str, source, starts: np.ndarray, ends: np.ndarray, values: np.ndarray,
             lines: np.ndarray, check_only: bool = False) -> None:
        """Validate one block of a known chromosome and paint it (or only validate)."""
        layout = self.archive.chrom(chrom)

        def fail(i: int, problem: str) -> ParseError:
            return ParseError(problem, source=source, line=int(lines[i]))

        bad = np.flatnonzero((starts < 0) | (ends <= starts))
        if len(bad):
            i = int(bad[0])
            problem = "has a negative start" if starts[i] < 0 else "has start >= end"
            raise fail(i, f"interval {_where(chrom, starts[i], ends[i])} {problem}")
        past = np.flatnonzero(ends > layout.end)
        if len(past):
            i = int(past[0])
            raise fail(i, f"interval {_where(chrom, starts[i], ends[i])} extends past the end "
                          f"of {chrom} ({layout.end} bp)")

        # overlaps, within the block and with everything loaded before
        in_order = bool(np.all(starts[1:] >= starts[:-1]))
        order = None if in_order else np.argsort(starts, kind="stable")
        s_sorted = starts if order is None else starts[order]
        e_sorted = ends if order is None else ends[order]
        clash = np.flatnonzero(s_sorted[1:] < e_sorted[:-1])
        if len(clash):
            j = int(clash[0]) + 1
            i_new = j if order is None else int(order[j])
            i_old = j - 1 if order is None else int(order[j - 1])
            raise fail(i_new, f"interval {_where(chrom, starts[i_new], ends[i_new])} overlaps "
                              f"{_where(chrom, starts[i_old], ends[i_old])} "
                              f"(line {int(lines[i_old])})")
        coverage = self.coverage.setdefault(chrom, Coverage())
        hit = coverage.first_overlap(s_sorted, e_sorted)
        if hit is not None:
            j, run_start, run_end = hit
            i = j if order is None else int(order[j])
            raise fail(i, f"interval {_where(chrom, starts[i], ends[i])} overlaps data loaded "
                          f"earlier at {_where(chrom, run_start, run_end)}")
        order_info = (int(s_sorted[0]), int(e_sorted[-1]), in_order)

        # the mask keeps only what lies inside its regions
        if self.mask is not None:
            owner, starts, ends = self.mask.clip(chrom, starts, ends)
            values, lines = values[owner], lines[owner]
            if not len(starts):
                if not check_only:
                    coverage.add(s_sorted, e_sorted)
                return

        # a dense run inside one supercontig (fixedStep, step = span = 1): the
        # intervals are sorted and disjoint, so unit lengths spanning exactly n
        # bases mean contiguous; paint it with slice copies, chunk by chunk
        sc_starts, sc_ends = layout.sc_starts, layout.sc_ends
        n = len(starts)
        if (self.mask is None and in_order and n > 1 and int(ends[-1]) - int(starts[0]) == n
                and bool(np.all(ends - starts == 1))):
            s0, e0 = int(starts[0]), int(ends[-1])
            k = int(np.searchsorted(sc_ends, s0, side="right"))
            if k < len(sc_starts) and int(sc_starts[k]) <= s0 and e0 <= int(sc_ends[k]):
                if check_only:
                    return
                coverage.add(s_sorted, e_sorted)
                self._emit(chrom, ("run", k, s0 - int(sc_starts[k]), values, *order_info))
                return

        # supercontigs: non-NaN data must lie inside one; NaN is clipped to them
        nsc = len(sc_starts)
        if nsc == 1:
            lo = np.zeros(len(starts), dtype=np.int64)
            lo[starts >= sc_ends[0]] = 1
        else:
            lo = np.searchsorted(sc_ends, starts, side="right")
        inside = lo < nsc
        inside[inside] = (starts[inside] >= sc_starts[lo[inside]]) & \
            (ends[inside] <= sc_ends[lo[inside]])
        if not inside.all():
            wrong = np.flatnonzero(~inside & ~np.isnan(values))
            if len(wrong):
                i = int(wrong[0])
                k = int(lo[i])
                if k < nsc and starts[i] >= sc_starts[k]:
                    gap = (int(sc_ends[k]), int(sc_starts[k + 1]) if k + 1 < nsc else layout.end)
                else:
                    gap = (int(sc_ends[k - 1]) if k > 0 else 0,
                           int(sc_starts[k]) if k < nsc else layout.end)
                raise fail(i, f"interval {_where(chrom, starts[i], ends[i])} with value "
                              f"{values[i]:g} lies (partly) in the gap {_where(chrom, *gap)} "
                              "between supercontigs, where only NaN can be given")
            owner, starts, ends = intervals.clip(starts, ends, sc_starts, sc_ends)
            values = values[owner]
            sc = np.searchsorted(sc_ends, starts, side="right")
        else:
            sc = lo
        if check_only:
            return
        coverage.add(s_sorted, e_sorted)
        base = sc_starts[sc]
        self._emit(chrom, ("paint", sc, starts - base, ends - base, values, *order_info))

    def finish(self) -> LoadDataSummary:
        self._drain()
        if self.current is not None:
            self.current.flush()
            self._settle(self.current)
            release(self.archive, self.current.layout)
            self.current = None
        for name in self.touched:
            layout = self.archive.chrom(name)
            with HDF5_LOCK:
                end_track_write(layout, [self.trackname])
            release(self.archive, layout)
        return LoadDataSummary(self.trackname, self.lines, list(self.touched),
                               dict(sorted(self.skipped.items())))

    def abort(self) -> None:
        self.pending, self.pending_bytes = {}, 0
        if self.current is not None:
            self.current.discard()
            try:
                self._settle(self.current)  # the marks stay: the load did not complete
            except Exception:  # noqa: BLE001 - keep the error that stopped the load
                pass
            self.current = None


class _CountingReader(io.RawIOBase):
    """A binary reader that reports the bytes it hands out."""

    def __init__(self, raw, progress: Progress) -> None:
        super().__init__()
        self._raw = raw
        self._progress = progress
        self.name = getattr(raw, "name", None)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._progress.add(len(data))
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _display(datafile) -> str:
    if isinstance(datafile, (str, os.PathLike)):
        path = os.fspath(datafile)
        return "<stdin>" if path == "-" else path
    name = getattr(datafile, "name", None)
    return name if isinstance(name, str) else "<stream>"


def _skip_unknown(skip_unknown_chroms: bool, strict_chromosomes: bool) -> bool:
    if skip_unknown_chroms and strict_chromosomes:
        raise GenomedataError("skip_unknown_chroms and strict_chromosomes contradict each other: "
                              "give one of them")
    return not strict_chromosomes


def load_track(archive: Archive, trackname: str, datafile, *, maskfile=None,
               verbose: bool = False, skip_unknown_chroms: bool = False,
               strict_chromosomes: bool = False,
               progress: Callable[[int], object] | None = None) -> LoadDataSummary:
    """load-data into an archive opened ``r+`` (see :func:`load_data`)."""
    from ..parsers import read_track

    skip = _skip_unknown(skip_unknown_chroms, strict_chromosomes)

    if trackname not in genome_tracknames(archive):
        raise TrackNotOpenError(
            f"{archive.path}: track {trackname!r} is not open; create it first with "
            f"genomedata-open-data {archive.path} --tracknames {trackname}")
    if isinstance(datafile, (str, os.PathLike)) and os.fspath(datafile) != "-":
        from .bam import is_alignment_file, load_bam_track

        if is_alignment_file(datafile):  # reads: counted with the defaults (coverage)
            if maskfile is not None:
                raise GenomedataError(f"{_display(datafile)}: a mask does not apply to reads "
                                      "(BAM/SAM/CRAM input)")
            return load_bam_track(archive, trackname, datafile, verbose=verbose,
                                  skip_unknown_chroms=skip_unknown_chroms)
    mask = Mask(maskfile) if maskfile is not None else None
    shown = _display(datafile)
    total = None
    reporter = Progress(f"load-data {trackname}", None, progress, verbose)
    source, owned = datafile, None
    if reporter.active and not (isinstance(datafile, (str, os.PathLike))
                                and os.fspath(datafile) != "-" and is_bigwig(datafile)):
        if isinstance(datafile, (str, os.PathLike)):
            if os.fspath(datafile) == "-":
                raw = sys.stdin.buffer
            else:
                raw = owned = open(datafile, "rb")
                total = os.fstat(raw.fileno()).st_size
        else:
            raw = datafile
        reporter.total = total
        source = _CountingReader(raw, reporter)
    say(verbose, f"loading {shown} into track {trackname}")
    loader = _Loader(archive, trackname, mask, skip, verbose)
    try:
        for block in read_track(source, name=shown):
            loader.add(block)
        summary = loader.finish()
    except BaseException:
        reporter.abandon()
        loader.abort()
        raise
    finally:
        if owned is not None:
            owned.close()
    reporter.finish()
    if summary.skipped:
        listed = ", ".join(f"{chrom} ({n})" for chrom, n in summary.skipped.items())
        print(f"load-data {trackname}: warning: skipped {summary.skipped_lines} line(s) on "
              f"chromosome(s) not in the archive: {listed}", file=sys.stderr)
    return summary


def load_data(gdfilename, trackname: str, datafile, maskfile=None, verbose: bool = False, *,
              skip_unknown_chroms: bool = False, strict_chromosomes: bool = False,
              progress: Callable[[int], object] | None = None) -> LoadDataSummary:
    """Load one track's data (WIG, bedGraph, BED3+1, bigWig) into an opened track.

    Parameters
    ----------
    gdfilename : archive path (file or directory).
    trackname : a track created by :func:`open_data`.
    datafile : path (plain or gzip; bigWig by magic number), ``"-"`` for
        standard input, or an open binary file.
    maskfile : BED file; only the parts of intervals inside its regions are
        loaded (what ``bedtools intersect -a data -b mask`` keeps).
    strict_chromosomes : make a line on a chromosome the archive lacks an
        error.  By default such lines are skipped, as the reference does
        (whole-genome tracks loaded into an archive of a few chromosomes), and
        one warning line on stderr names the chromosomes and counts the lines.
    skip_unknown_chroms : accepted for scripts written for earlier gdxarray
        versions; skipping is the default.
    progress : called with the number of input bytes read so far.

    Returns
    -------
    LoadDataSummary
        Lines read, chromosomes written, and skipped lines per chromosome.

    Raises
    ------
    TrackNotOpenError
        The track was not opened with ``genomedata-open-data``.
    ParseError
        Bad input, naming file and line: unknown chromosome (with *strict_chromosomes*), interval
        past the chromosome end, non-NaN data in an assembly gap, overlapping intervals.
        Chromosomes already written keep the track marked incomplete (see
        :func:`close_data`); other tracks are untouched.

    Examples
    --------
    >>> load_data("hg19.genomedata", "dnase", "dnase.bedGraph.gz")  # doctest: +SKIP
    """
    with borrow(gdfilename) as archive:
        return load_track(archive, trackname, datafile, maskfile=maskfile, verbose=verbose,
                          skip_unknown_chroms=skip_unknown_chroms,
                          strict_chromosomes=strict_chromosomes, progress=progress)


@dataclass
class WriteArraysSummary:
    """What :func:`write_arrays` did."""

    trackname: str
    chromosomes: list[str] = field(default_factory=list)  #: chromosomes written to
    values: int = 0  #: values written (inside supercontigs)
    dropped: int = 0  #: non-NaN values in assembly gaps, not stored (``in_gaps="drop"``)
    #: with ``stats=True``: chromosome -> the track's close-data statistics there,
    #: for each chromosome where they are exact (the track held nothing there
    #: before and no piece overlapped another); pass them to ``close_archive(known=)``
    stats: dict[str, TrackStats] = field(default_factory=dict)


class ArrayWriter:
    """Write dense values into one or more opened tracks, piece by piece.

    The engine of :func:`write_arrays`, for writers that produce several tracks
    at once (a lifted archive, combined tracks): ``write(chrom, start,
    values)`` takes a ``(n, len(tracknames))`` array (or ``(n,)`` for one
    track); chromosomes are switched for all tracks together.  ``finish()``
    returns one :class:`WriteArraysSummary` per track; after an exception call
    ``abort()`` (the touched chromosomes keep the tracks marked incomplete).

    With ``stats=True`` each summary's ``stats`` holds the close-data
    statistics gathered from the values as they were stored (see
    :mod:`gdxarray.writer._stats`), so :func:`close_archive` need not reread
    the tracks.
    """

    def __init__(self, archive: Archive, tracknames, *, in_gaps: str = "error",
                 verbose: bool = False, stats: bool = False) -> None:
        if in_gaps not in ("error", "drop"):
            raise ValueError(f"in_gaps must be 'error' or 'drop', not {in_gaps!r}")
        self.tracknames = [tracknames] if isinstance(tracknames, str) else list(tracknames)
        known = genome_tracknames(archive)
        for name in self.tracknames:
            if name not in known:
                raise TrackNotOpenError(
                    f"{archive.path}: track {name!r} is not open; create it first with "
                    f"genomedata-open-data {archive.path} --tracknames {name}")
        self.archive = archive
        self.in_gaps = in_gaps
        self.record = stats
        self.summaries = [WriteArraysSummary(name) for name in self.tracknames]
        self.loaders = [_Loader(archive, name, None, False, verbose and i == 0)
                        for i, name in enumerate(self.tracknames)]
        self.chrom: str | None = None
        self.writers: list[_ChromWriter] = []
        self.stats: list[TrackStats | None] = []
        self.visited: set[str] = set()

    def _switch(self, chrom: str) -> None:
        if chrom == self.chrom:
            return
        self._leave()
        if not self.archive.has_chrom(chrom):
            raise GenomedataError(f"{self.archive.path}: no chromosome {chrom!r} to write "
                                  f"track(s) {', '.join(self.tracknames)} into")
        layout = self.archive.chrom(chrom)
        say(self.loaders[0].verbose, f"  {chrom}")
        self.writers = [_ChromWriter(loader, layout) for loader in self.loaders]
        for loader, writer in zip(self.loaders, self.writers):
            loader.current = writer
        revisit = chrom in self.visited
        self.visited.add(chrom)
        self.stats = [TrackStats(len(layout.sc_names), _zoom.builder_for(layout, 1),
                                 layout.sc_starts)
                      if self.record and not revisit and w.was_empty() else None
                      for w in self.writers]
        self.chrom = chrom

    def _leave(self) -> None:
        if self.chrom is None:
            return
        for writer, loader in zip(self.writers, self.loaders):
            writer.flush()
            loader._settle(writer)
            loader.current = None
        for summary, st in zip(self.summaries, self.stats):
            if st is not None:
                summary.stats[self.chrom] = st
            else:
                summary.stats.pop(self.chrom, None)  # a revisit spoils what the first visit saw
        release(self.archive, self.writers[0].layout)
        self.chrom, self.writers, self.stats = None, [], []

    def write(self, chrom: str, start: int, values) -> None:
        """Write ``values`` (``(n,)`` or ``(n, ntracks)``) over ``[start, start + n)`` of *chrom*."""
        values = np.asarray(values, dtype=fmt.CONTINUOUS_DTYPE)
        ntracks = len(self.tracknames)
        if values.ndim == 1 and ntracks == 1:
            values = values[:, None]
        if values.ndim != 2 or values.shape[1] != ntracks:
            raise ValueError(f"values of shape {values.shape} for {ntracks} track(s)")
        start = int(start)
        end = start + len(values)
        if not len(values):
            return
        self._switch(chrom)
        layout = self.writers[0].layout
        if start < 0 or end > layout.end:
            raise GenomedataError(
                f"{self.archive.path}: values for {_where(chrom, start, end)} lie outside "
                f"{chrom} [0, {layout.end})")
        for j, writer in enumerate(self.writers):
            if start < writer.last_end:
                writer.in_order = False
                self.stats[j] = None  # overlapping pieces: the later wins, the sums would not
            writer.last_end = max(writer.last_end, end)
        for j, (writer, summary) in enumerate(zip(self.writers, self.summaries)):
            column = values[:, j]
            st = self.stats[j]
            pos = start  # first base not yet accounted for (gaps between supercontigs)
            for k in layout.overlapping(start, end):
                sc0 = int(layout.sc_starts[k])
                lo, hi = max(start, sc0), min(end, int(layout.sc_ends[k]))
                summary.dropped += _gap_values(column[pos - start:lo - start], chrom, pos,
                                               self.in_gaps, self.archive)
                part = column[lo - start:hi - start]
                writer.paint_run(k, lo - sc0, part)
                if st is not None:
                    st.add(k, lo - sc0, part)
                summary.values += hi - lo
                pos = hi
            summary.dropped += _gap_values(column[pos - start:], chrom, pos, self.in_gaps,
                                           self.archive)

    def finish(self) -> list[WriteArraysSummary]:
        self._leave()
        for loader, summary in zip(self.loaders, self.summaries):
            summary.chromosomes = loader.finish().chromosomes
        return self.summaries

    def abort(self) -> None:
        for writer in self.writers:
            writer.discard()
        for loader in self.loaders:
            loader.abort()  # the marks stay: the write did not complete
        self.chrom, self.writers, self.stats = None, [], []


def write_track_arrays(archive: Archive, trackname: str, pieces, *, in_gaps: str = "error",
                       verbose: bool = False, stats: bool = False) -> WriteArraysSummary:
    """:func:`write_arrays` into an archive opened ``r+``."""
    writer = ArrayWriter(archive, [trackname], in_gaps=in_gaps, verbose=verbose, stats=stats)
    try:
        for chrom, start, values in pieces:
            writer.write(chrom, start, np.asarray(values, dtype=fmt.CONTINUOUS_DTYPE).reshape(-1))
        return writer.finish()[0]
    except BaseException:
        writer.abort()
        raise


def _gap_values(values: np.ndarray, chrom: str, start: int, in_gaps: str, archive) -> int:
    """Count (or refuse) non-NaN values that fall between supercontigs."""
    if not len(values):
        return 0
    bad = np.flatnonzero(~np.isnan(values))
    if len(bad) and in_gaps == "error":
        pos = start + int(bad[0])
        raise GenomedataError(
            f"{archive.path}: value {values[bad[0]]:g} at {chrom}:{pos} lies in an assembly gap "
            "(between supercontigs), where only NaN can be stored")
    return len(bad)


def write_arrays(gdfilename, trackname: str, pieces, *, in_gaps: str = "error",
                 verbose: bool = False, stats: bool = False) -> WriteArraysSummary:
    """Write dense per-base values into an opened track, chunk by chunk.

    The array counterpart of :func:`load_data`, for values computed in Python
    (combined tracks, lifted tracks, read counts, model predictions).

    Parameters
    ----------
    gdfilename : archive path (file or directory), or an Archive opened ``r+``.
    trackname : a track created by :func:`open_data`.
    pieces : iterable of ``(chrom, start, values)``: float32-convertible 1-D
        arrays written over ``[start, start + len(values))``.  Pieces may come
        in any order (sorted ones keep one chunk in memory); where two overlap,
        the later one wins, as with numpy assignment.
    in_gaps : ``"error"`` (default): a non-NaN value between supercontigs is a
        GenomedataError; ``"drop"``: such values are skipped and counted.
    stats : also gather close-data's statistics from the values as they are
        stored (``summary.stats``; exact chromosomes only), for
        ``close_archive(archive, known=...)``.

    Returns
    -------
    WriteArraysSummary
        Chromosomes written, values stored and non-NaN values dropped in gaps.

    As :func:`load_data`, the track is marked incomplete on each chromosome
    before the first write there and the mark is cleared when every piece is
    written; the chromosomes are left dirty (run :func:`close_data`).
    """
    with borrow(gdfilename) as archive:
        return write_track_arrays(archive, trackname, pieces, in_gaps=in_gaps, verbose=verbose,
                                  stats=stats)


__all__ = [
    "ArrayWriter",
    "Coverage",
    "LoadDataSummary",
    "Mask",
    "WriteArraysSummary",
    "load_data",
    "load_track",
    "write_arrays",
    "write_track_arrays",
]
