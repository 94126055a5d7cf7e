"""The read API: :class:`Genome`, :class:`Chromosome`, :class:`Supercontig`.

Names and semantics follow Genomedata 1.7 so that scripts switch by changing
the import.  A Genome holds one signal source (:mod:`gdxarray.source`: an
archive, or a bigWig file) and every chromosome delegates reads, state and
statistics to it; nothing here knows which kind of file is behind it.

May import: source, store (the lock), _read (array helpers), stats, format,
errors; and the writer for the reference's write methods.

Differences from the reference, all deliberate (see README):

* Reading a chromosome that is dirty (modified since ``genomedata-close-data``)
  works and warns :class:`GenomedataDirtyWarning` (the reference refuses it in
  mode ``r``); its statistics warn too and return the stored, stale values, as
  the reference's do in mode ``r+``.
* Numpy integer scalars, negative track indices and open slices (``chrom[:]``)
  are accepted.
* A bigWig file opens as a one-track genome with the same shapes as an archive.

>>> from gdxarray import Genome                      # doctest: +SKIP
>>> with Genome("archive.genomedata") as genome:     # doctest: +SKIP
...     chrom = genome["chr1"]
...     chrom[1000:1005, "signal"]                   # 1-D float32
...     chrom[1000:1005]                             # (5, ntracks)
...     chrom.seq[1000:1005].tobytes()               # b'ACGTN'
"""

from __future__ import annotations

import os
import warnings
from typing import Iterator

import numpy as np
import tables

from . import format as fmt
from . import stats as _stats
from ._read import empty, normalize_columns, read_ahead
from .errors import (
    ChromosomeDirtyError, ChromosomeNotFoundError, GenomedataDirtyWarning, GenomedataError,
    IncompleteTrackWarning, MissingContinuousData, OverlapWarning, ReadOnlyError,
    TrackNotFoundError, UnsupportedError, suggest,
)
from .source import open_source
from .source import summarize as _summarize
from .store import HDF5_LOCK, ChromLayout

_WRITE_MODES = frozenset({"r+", "a", "w"})


def _key_to_range(key, length_hint: int) -> tuple[int, int, bool]:
    """Base key -> (start, stop, direct_index)."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        start = int(key)
        if start < 0:
            raise UnsupportedError("Negative (wrapping) indices not supported")
        return start, start + 1, True
    if isinstance(key, slice):
        if key.step not in (None, 1):
            raise UnsupportedError("Chromosome slicing does not support non-contiguous retrieval")
        start = 0 if key.start is None else int(key.start)
        stop = length_hint if key.stop is None else int(key.stop)
        if start < 0 or stop < 0:
            raise UnsupportedError("Negative (wrapping) indices not supported")
        if start > stop:
            raise IndexError("Start index can be at most the end index")
        return start, stop, False
    raise UnsupportedError(f"Unsupported index found: {key!r}")


class Supercontig:
    """A stretch of a chromosome outside assembly gaps, with its stored arrays."""

    def __init__(self, chromosome: "Chromosome", index: int) -> None:
        self._chromosome = chromosome
        self._index = index

    @property
    def name(self) -> str:
        return self._chromosome._layout.sc_names[self._index]

    @property
    def start(self) -> int:
        return int(self._chromosome._layout.sc_starts[self._index])

    @property
    def end(self) -> int:
        return int(self._chromosome._layout.sc_ends[self._index])

    def __len__(self) -> int:
        return self.end - self.start

    def project(self, pos: int, bound: bool = False) -> int:
        """Chromosome coordinate -> supercontig coordinate (clipped if *bound*)."""
        if bound:
            pos = min(max(pos, self.start), self.end)
        return int(pos - self.start)

    @property
    def continuous(self) -> "SupercontigArray":
        """The stored ``(length, ntracks)`` float32 array (supercontig-relative rows).

        An array-like that reads through gdxarray's read path and behaves as the
        PyTables ``EArray`` the reference returns (slicing, ``.read()``,
        ``.shape``, ``.nrows``, ``numpy.asarray``; writes and other attributes go
        to the EArray itself).  MissingContinuousData when no track is open.
        """
        chrom = self._chromosome
        chrom._check_open()
        node = chrom._source.continuous_array(chrom.name, self._index)
        return SupercontigArray(chrom, self, node)

    @property
    def seq(self) -> tables.CArray:
        chrom = self._chromosome
        return chrom._source.seq_array(chrom.name, self._index)

    @property
    def attrs(self) -> tables.AttributeSet:
        chrom = self._chromosome
        return chrom._source.supercontig_attrs(chrom.name, self._index)

    def __repr__(self) -> str:
        return f"<Supercontig '{self.name}', [{self.start}:{self.end}]>"

    def __str__(self) -> str:
        return self.name


def _row_range(key, nrows: int) -> tuple[int, int, int, bool]:
    """A row key of an EArray -> (start, stop, step, scalar)."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        i = int(key)
        if i < 0:
            i += nrows
        if not 0 <= i < nrows:
            raise IndexError(f"row index {int(key)} out of range for {nrows} rows")
        return i, i + 1, 1, True
    if isinstance(key, slice):
        start, stop, step = key.indices(nrows)
        return start, stop, step, False
    raise TypeError(f"unsupported row index for a continuous array: {key!r}")


class SupercontigArray:
    """A supercontig's ``continuous`` data, read through the one read path.

    What ``Supercontig.continuous`` and ``Chromosome.itercontinuous()`` hand
    out in place of PyTables' ``EArray``, with its semantics: indexing
    ``[rows]``, ``[rows, tracks]`` and ``[...]``, ``shape``/``dtype``/``ndim``,
    and, along the EArray's extendable dimension (tracks), ``nrows``,
    ``len()``, ``read(start, stop, step)`` and iteration (one track's column at
    a time).  Reads take gdxarray's raw-chunk lane (the reference's scripts and
    Segway read archives this way); ``numpy.asarray()`` gives the whole
    ``(length, ntracks)`` matrix.  Assignment and any other attribute
    (``attrs``, ``chunkshape``, ``filters``, ...) go to the EArray itself.
    """

    __slots__ = ("_chromosome", "_start", "_length", "_node", "shape")

    dtype = fmt.CONTINUOUS_DTYPE
    ndim = 2

    def __init__(self, chromosome: "Chromosome", supercontig: "Supercontig", node) -> None:
        self._chromosome = chromosome
        self._start = supercontig.start
        self._length = supercontig.end - supercontig.start
        self._node = node
        self.shape = (self._length, int(node.shape[1]))

    @property
    def nrows(self) -> int:
        """Length along the extendable dimension: the number of tracks (as PyTables)."""
        return self.shape[1]

    @property
    def size(self) -> int:
        return self.shape[0] * self.shape[1]

    def __len__(self) -> int:
        return self.shape[1]

    def _rows(self, a: int, b: int, cols) -> np.ndarray:
        chrom = self._chromosome
        chrom._check_open()
        return chrom._source.read_continuous(chrom.name, self._start + a, self._start + b, cols,
                                             self.shape[1])

    def __getitem__(self, key) -> np.ndarray:
        if key is Ellipsis:
            key = (slice(None), slice(None))
        rows, cols = key if isinstance(key, tuple) else (key, slice(None))
        if rows is Ellipsis:
            rows = slice(None)
        if cols is Ellipsis:
            cols = slice(None)
        if isinstance(rows, (list, np.ndarray)):  # coordinate lists: one read over their span
            idx = np.asarray(rows, dtype=np.int64).reshape(-1)
            idx = np.where(idx < 0, idx + self._length, idx)
            if not len(idx):
                return self[0:0, cols]
            lo, hi = int(idx.min()), int(idx.max()) + 1
            return self[lo:hi, cols][idx - lo]
        start, stop, step, scalar_row = _row_range(rows, self._length)
        scalar_col = isinstance(cols, (int, np.integer)) and not isinstance(cols, bool)
        if scalar_col:
            c = int(cols)
            cols = np.array([c + self.shape[1] if c < 0 else c], dtype=np.int64)
        if step < 0:
            span = range(start, stop, step)
            data = (self._rows(span[-1], span[0] + 1, cols)[::-1][::-step] if len(span)
                    else self._rows(0, 0, cols))
        else:
            data = self._rows(start, max(start, stop), cols)
            if step != 1:
                data = data[::step]
        if scalar_col:
            data = data[:, 0]
        if scalar_row:
            data = data[0]
        return data

    def read(self, start=None, stop=None, step=None, out=None) -> np.ndarray:
        """Tracks ``[start:stop:step]``, every base (``EArray.read`` along its
        extendable dimension)."""
        data = self[:, slice(start, stop, step)]
        if out is not None:
            out[...] = data
            return out
        return data

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        data = self[:, :]
        return data if dtype is None else data.astype(dtype)

    def __iter__(self):
        """One track's column at a time (as iterating an EArray does)."""
        for k in range(self.shape[1]):
            yield self[:, k]

    def __setitem__(self, key, value) -> None:
        self._node[key] = value

    def __getattr__(self, name: str):
        return getattr(self._node, name)

    def __repr__(self) -> str:
        return (f"<SupercontigArray {self._chromosome.name}:{self._start}-"
                f"{self._start + self._length} {self.shape} float32>")


class _Supercontigs:
    def __init__(self, chromosome: "Chromosome") -> None:
        self._chromosome = chromosome

    def __getitem__(self, key) -> list[Supercontig]:
        chrom = self._chromosome
        chrom._check_open()
        start, end, _ = _key_to_range(key, chrom.end)
        start, end = max(start, chrom.start), min(end, chrom.end)
        return [Supercontig(chrom, i) for i in chrom._layout.overlapping(start, end)]


class _SeqSlice:
    def __init__(self, chromosome: "Chromosome") -> None:
        self._chromosome = chromosome

    def __getitem__(self, key) -> np.ndarray:
        chrom = self._chromosome
        chrom._check_open()
        start, end, direct = _key_to_range(key, chrom.end)
        if end <= start:
            return np.array([], dtype=fmt.SEQ_DTYPE)
        chrom._warn_overlap(start, end, "sequence", "'N'")
        seq = chrom._read_seq(start, end)
        return seq[0] if direct else seq


class Chromosome:
    """Data of one chromosome: ``chrom[start:end, tracks]`` and ``chrom.seq[start:end]``.

    Coordinates are 0-based half-open.  Bases outside supercontigs read as NaN
    (signal) or ``N`` (sequence), with an :class:`OverlapWarning` as in the reference.
    """

    #: Kept as a class attribute: reference scripts catch ``Chromosome.ChromosomeDirtyError``.
    ChromosomeDirtyError = ChromosomeDirtyError
    default_mode = "r"

    def __init__(self, genome: "Genome", layout: ChromLayout) -> None:
        self._genome = genome
        self._source = genome._source
        self._layout = layout
        self._isopen = True
        self._seq = _SeqSlice(self)
        self._supercontigs = _Supercontigs(self)

    # -- identity ----------------------------------------------------------
    @property
    def name(self) -> str:
        return self._layout.name

    @property
    def start(self) -> int:
        return self._layout.start

    @property
    def end(self) -> int:
        return self._layout.end

    @property
    def filename(self) -> str:
        return self._source.filename(self.name)

    @property
    def mode(self) -> str:
        return self._genome.mode

    @property
    def isopen(self) -> bool:
        return self._isopen and self._genome.isopen

    def __len__(self) -> int:
        return self.end - self.start

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Chromosome '{self.name}', file='{self.filename}'>"

    def __iter__(self) -> Iterator[Supercontig]:
        """Supercontigs in start order."""
        self._check_open()
        return (Supercontig(self, i) for i in range(len(self._layout.sc_names)))

    # -- tracks --------------------------------------------------------------
    @property
    def tracknames_continuous(self) -> list[str]:
        return self._genome.tracknames_continuous

    @property
    def num_tracks_continuous(self) -> int:
        return self._genome.num_tracks_continuous

    def index_continuous(self, trackname: str) -> int:
        return self._genome.index_continuous(trackname)

    def _track_columns(self, track_key) -> tuple[np.ndarray, bool]:
        ntracks = self.num_tracks_continuous
        if isinstance(track_key, str):
            return np.array([self.index_continuous(track_key)]), True
        if isinstance(track_key, (int, np.integer)) and not isinstance(track_key, bool):
            c = int(track_key)
            if -ntracks <= c < 0:
                c += ntracks
            return normalize_columns(np.array([c], dtype=np.int64), ntracks), True
        if isinstance(track_key, slice):
            return normalize_columns(track_key, ntracks), False
        if isinstance(track_key, (list, tuple, np.ndarray)):
            items = list(np.asarray(track_key).reshape(-1)) if isinstance(track_key, np.ndarray) else list(track_key)
            idx = [self.index_continuous(str(t)) if isinstance(t, (str, np.str_)) else int(t) for t in items]
            return normalize_columns(idx, ntracks), False
        raise TypeError(f"Unrecognized track indexing method: {track_key!r}")

    # -- reads ---------------------------------------------------------------
    def _warn_overlap(self, start: int, end: int, what: str, fill: str) -> None:
        n = len(self._layout.overlapping(max(start, self.start), min(end, self.end)))
        if n == 0:
            warnings.warn(f"slice of chromosome {what} does not overlap any supercontig"
                          f" (filling with {fill})", OverlapWarning, stacklevel=3)
        elif n > 1:
            warnings.warn(f"slice of chromosome {what} spans more than one supercontig"
                          f" (filling gaps with {fill})", OverlapWarning, stacklevel=3)

    def _read(self, start: int, end: int, cols: np.ndarray,
              out: np.ndarray | None = None) -> np.ndarray:
        return self._source.read_continuous(self.name, start, end, cols,
                                            self.num_tracks_continuous, out)

    def _read_seq(self, start: int, end: int) -> np.ndarray:
        return self._source.read_seq(self.name, start, end)

    def _check_open(self) -> None:
        if not self.isopen:
            raise GenomedataError(f"chromosome {self.name} of {self._genome.filename} is closed")

    def __getitem__(self, key) -> np.ndarray:
        """Signal for ``chrom[bases]`` or ``chrom[bases, tracks]`` (numpy-like shapes)."""
        self._check_open()
        base_key, track_key = key if isinstance(key, tuple) else (key, slice(None))
        start, end, base_direct = _key_to_range(base_key, self.end)
        cols, track_direct = self._track_columns(track_key)
        if end <= start or cols.size == 0:
            return np.array([], dtype=fmt.CONTINUOUS_DTYPE)
        self._warn_overlap(start, end, "data", "'NaN'")
        data = self._read(start, end, cols)
        if track_direct:
            data = data[:, 0]
        if base_direct:
            data = data[0]
        return data

    def __setitem__(self, key, value) -> None:
        """Write signal (mode ``r+``); the range must lie inside one run of supercontigs."""
        self._check_open()
        if self.mode not in _WRITE_MODES:
            raise ReadOnlyError("Genomedata archive not opened for writing")
        base_key, track_key = key if isinstance(key, tuple) else (key, slice(None))
        start, end, _ = _key_to_range(base_key, self.end)
        cols, _ = self._track_columns(track_key)
        layout = self._layout
        idx = layout.overlapping(start, end)
        if len(idx) == 0:
            raise ValueError(f"{self.name} {start} {end} sequence does not overlap any "
                             "supercontig (nothing written)")
        if start < layout.sc_starts[idx[0]] or end > layout.sc_ends[idx[-1]] or any(
                layout.sc_starts[j] > layout.sc_ends[j - 1] for j in idx[1:]):
            raise ValueError(f"{self.name} {start} {end} sequence overlaps gaps in "
                             "supercontigs (nothing written)")
        nrows = end - start
        value = np.asarray(value, dtype=fmt.CONTINUOUS_DTYPE)
        if value.ndim == 1 and value.shape[0] == nrows and (cols.size == 1 or nrows != cols.size):
            value = value[:, np.newaxis]  # one value per base
        value = np.broadcast_to(value, (nrows, cols.size))
        with HDF5_LOCK:
            self._genome._mark_dirty(self.name)
            for i in idx:
                lo, hi = max(start, int(layout.sc_starts[i])), min(end, int(layout.sc_ends[i]))
                node = self._source.continuous_array(self.name, i)
                a = lo - int(layout.sc_starts[i])
                for k, c in enumerate(cols):
                    node[a:a + hi - lo, int(c)] = np.ascontiguousarray(value[lo - start:hi - start, k])

    @property
    def seq(self) -> _SeqSlice:
        """``chrom.seq[start:end]``: uint8 sequence codes, ``N`` outside supercontigs."""
        return self._seq

    @property
    def supercontigs(self) -> _Supercontigs:
        """``chrom.supercontigs[start:end]``: the supercontigs overlapping a range."""
        return self._supercontigs

    def itercontinuous(self) -> Iterator[tuple[Supercontig, SupercontigArray]]:
        """(Supercontig, continuous array) pairs in start order, skipping those without data."""
        for sc in self:
            try:
                yield sc, sc.continuous
            except MissingContinuousData:
                continue

    def iter_blocks(self, tracks=slice(None), block_rows: int = 1 << 20, *,
                    readahead: bool = True) -> Iterator[tuple[int, np.ndarray]]:
        """Stored signal block by block: ``(chromosome start, (rows, ntracks) array)``.

        Walks the supercontigs only (gaps are skipped), ``block_rows`` rows at a
        time, so a genome-wide scan never holds a whole track in memory.  Blocks
        are Fortran-ordered (``block[:, k]`` is contiguous, the layout a per-track
        reduction wants).  With *readahead* the next two blocks are decoded by
        worker threads while the caller works on the current one (inflating
        releases the GIL), so three blocks are alive at a time.  Each yielded
        block is a new array the caller may keep.
        """
        self._check_open()
        cols, _ = self._track_columns(tracks)
        if block_rows < 1:
            raise ValueError(f"block_rows must be positive, got {block_rows}")
        layout = self._layout
        spans = ((lo, min(int(layout.sc_ends[i]), lo + block_rows))
                 for i in range(len(layout.sc_names))
                 for lo in range(int(layout.sc_starts[i]), int(layout.sc_ends[i]), block_rows))

        def read(lo: int, hi: int, out: np.ndarray) -> None:
            self._read(lo, hi, cols, out)

        if readahead:
            yield from read_ahead(read, spans, cols.size)
            return
        for lo, hi in spans:
            out = empty((hi - lo, cols.size), fmt.CONTINUOUS_DTYPE, order="F")
            read(lo, hi, out)
            yield lo, out

    def summary(self, start: int = 0, end: int | None = None, tracks=None,
                stats=_stats.DEFAULT_SUMMARY_STATS, bins: int | None = None,
                bin_size: int | None = None, zoom: bool = True) -> _stats.Summary:
        """Statistics of the finite values in ``[start, end)``, per track, optionally per bin.

        One pass over the stored chunks: each is inflated and reduced while in
        cache (count, sum, sum of squares, min, max in float64; NaN and ±inf
        skipped, as close-data's statistics), on the read-ahead threads; gaps
        cost nothing and no block of values is built.  ``bins=N`` cuts the range
        into N bins as pyBigWig's ``stats(..., nBins=N, exact=True)`` does;
        ``bin_size=W`` into bins of W bases from *start*.  Where the archive
        holds zoom levels (written by close-data) whole cells come from them and
        only the bins' edges are decoded; the numbers are the same (``zoom=False``
        decodes everything).

        *stats*: any of ``count, sum, sum_squares, min, max, mean, var, std``.
        Returns a :class:`gdxarray.stats.Summary` (``s["mean"]``, ``s.tracks``,
        ``s.to_xarray()``).

        >>> chrom.summary(tracks=["dnase"], stats=("mean", "max"), bins=1000)  # doctest: +SKIP
        """
        self._check_open()
        stats = _stats.check_summary_stats(stats)
        end = self.end if end is None else int(end)
        start = int(start)
        if start < 0 or end < start:
            raise ValueError(f"bad range [{start}, {end}) of {self.name}")
        cols, _ = self._track_columns(slice(None) if tracks is None else tracks)
        edges = _stats.bin_edges(start, end, bins, bin_size)
        acc = _summarize(self._source, self.name, start, end, cols, self.num_tracks_continuous,
                         edges, zoom=zoom)
        names = [self.tracknames_continuous[int(c)] for c in cols]
        binned = bins is not None or bin_size is not None
        return _stats.Summary(acc, names, stats, self.name, edges[:-1] if binned else start,
                              edges[1:] if binned else end, binned)

    # -- attributes and statistics -------------------------------------------
    @property
    def attrs(self) -> tables.AttributeSet:
        """HDF5 attributes of the chromosome (in directory mode, also the genome-wide ones)."""
        self._check_open()
        return self._source.chrom_attrs(self.name)

    @property
    def dirty(self) -> bool:
        return self._source.is_dirty(self.name)

    @property
    def incomplete_tracks(self) -> list[str]:
        """Tracks whose last load into this chromosome failed part-way."""
        return self._source.incomplete_tracks(self.name)

    def _stats(self) -> dict[str, np.ndarray]:
        """Every stored statistic.

        Stale ones (the chromosome is dirty, or open for writing) are returned,
        as the reference does, with a :class:`GenomedataDirtyWarning`; none
        stored at all is a :class:`ChromosomeDirtyError`.
        """
        self._check_open()
        values = self._source.chrom_stats(self.name)
        if any(v is None for v in values.values()):
            if self.num_tracks_continuous == 0:
                return {stat: np.array([], dtype=np.int64 if stat == "num_datapoints"
                                       else np.float64) for stat in values}
            raise ChromosomeDirtyError(
                f"chromosome {self.name} of {self._genome.filename} has no statistics: run "
                "genomedata-close-data on the archive")
        if self.dirty:
            warnings.warn(f"chromosome {self.name} of {self._genome.filename} was modified since "
                          "its statistics were computed: they are stale (run "
                          "genomedata-close-data)", GenomedataDirtyWarning, stacklevel=4)
        return values

    def _stat(self, name: str) -> np.ndarray:
        return self._stats()[name]

    mins = property(lambda self: self._stat("mins"), doc="Per-track minimum (finite values).")
    maxs = property(lambda self: self._stat("maxs"), doc="Per-track maximum (finite values).")
    sums = property(lambda self: self._stat("sums"), doc="Per-track sum.")
    sums_squares = property(lambda self: self._stat("sums_squares"), doc="Per-track sum of squares.")
    num_datapoints = property(lambda self: self._stat("num_datapoints"),
                              doc="Per-track count of finite values.")

    def close(self) -> None:
        """Mark closed (the Genome owns the files); warns if the chromosome is dirty."""
        if self._isopen and self._genome.isopen and self.mode in _WRITE_MODES and self.dirty:
            warnings.warn(f"closing chromosome {self.name} with modified data: run "
                          "genomedata-close-data before reading statistics",
                          GenomedataDirtyWarning, stacklevel=2)
        self._isopen = False


class Genome:
    """A Genomedata archive (directory or single file) or a bigWig file.

    Parameters
    ----------
    filename : path of the archive directory, archive file, or bigWig file.
    mode : ``"r"`` (default) or ``"r+"`` to add, write or erase tracks.

    Use as a context manager (nested ``with`` blocks are reference-counted);
    iteration yields chromosomes in sorted name order.

    Examples
    --------
    >>> with Genome("archive.genomedata") as genome:   # doctest: +SKIP
    ...     for chrom in genome:
    ...         print(chrom.name, chrom.end, genome.tracknames_continuous)
    """

    def __init__(self, filename, *args, **kwargs) -> None:
        self._isopen = False
        self.filename = filename
        # as the reference: (mode, ...) positionally or mode= by keyword; kept for repr
        self.args, self.kwargs = args, kwargs
        mode = args[0] if args else kwargs.get("mode", "r")
        self.mode = mode
        self._context_count = 0
        self._chromosomes: dict[str, Chromosome] = {}
        self._dirtied: set[str] = set()
        self._source = open_source(os.fspath(filename), mode)
        self.layout = self._source.layout_kind
        self._isopen = True
        try:
            self._source.check_readable()
        except GenomedataError:
            self.close()
            raise

    # -- lifecycle -----------------------------------------------------------
    @property
    def isopen(self) -> bool:
        return self._isopen

    def _check_open(self) -> None:
        if not self._isopen:
            raise GenomedataError(f"Genome {os.fspath(self.filename)!r} is closed")

    def close(self) -> None:
        """Close every file this Genome opened; closing twice is fine."""
        if not self._isopen:
            return
        for chrom in self._chromosomes.values():
            chrom.close()
        self._source.close()
        self._chromosomes.clear()
        self._isopen = False

    def __enter__(self) -> "Genome":
        self._check_open()
        self._context_count += 1
        return self

    def __exit__(self, *exc) -> None:
        self._context_count -= 1
        if self._context_count <= 0:
            self.close()

    def __del__(self) -> None:
        try:
            if self._isopen:
                self.close()
        except Exception:  # noqa: BLE001 - never raise from a finalizer
            pass

    def __repr__(self) -> str:
        """The reference's: ``Genome('path', *args, **kwargs)`` as the Genome was made."""
        items = [f"'{self.filename}'"]
        if self.args:  # the reference formats the tuple itself: *'r' for ('r',)
            items.append("*%r" % (self.args if len(self.args) == 1 else (self.args,)))
        if self.kwargs:
            items.append("**%r" % (self.kwargs,))
        return "Genome(%s)" % ", ".join(items)

    def __str__(self) -> str:
        """A summary: path, layout, chromosomes, tracks and mode."""
        if not self._isopen:
            return f"<Genome {os.fspath(self.filename)!r} (closed)>"
        ntracks = self.num_tracks_continuous
        return (f"<Genome {os.fspath(self.filename)!r} ({self.layout}, "
                f"{len(self.chromosome_names)} chromosomes, {ntracks} tracks, mode {self.mode!r})>")

    # -- chromosomes ---------------------------------------------------------
    @property
    def chromosome_names(self) -> list[str]:
        """Chromosome names in sorted order (no file is opened)."""
        self._check_open()
        return self._source.chrom_names()

    def __iter__(self) -> Iterator[Chromosome]:
        self._check_open()
        for name in self.chromosome_names:
            yield self[name]

    def __len__(self) -> int:
        return len(self.chromosome_names)

    def __contains__(self, name) -> bool:
        self._check_open()
        return self._source.has_chrom(name)

    def __getitem__(self, name: str) -> Chromosome:
        self._check_open()
        chrom = self._chromosomes.get(name)
        if chrom is not None and chrom._isopen:
            return chrom
        try:
            layout = self._source.chrom(name)
        except ChromosomeNotFoundError:
            raise ChromosomeNotFoundError(
                f"Could not find chromosome: {name}" + suggest(name, self.chromosome_names)
            ) from None
        chrom = Chromosome(self, layout)
        self._on_open_chromosome(chrom)
        self._chromosomes[name] = chrom
        return chrom

    def _on_open_chromosome(self, chrom: Chromosome) -> None:
        if self.mode in _WRITE_MODES:
            # As the reference: a chromosome opened for writing may be changed
            # through its EArrays directly, so its statistics become suspect.
            self._mark_dirty(chrom.name)
            return
        if chrom.dirty:
            warnings.warn(f"chromosome {chrom.name} of {os.fspath(self.filename)} was modified "
                          "since genomedata-close-data: statistics are stale",
                          GenomedataDirtyWarning, stacklevel=3)
        incomplete = chrom.incomplete_tracks
        if incomplete:
            warnings.warn(f"chromosome {chrom.name}: the last load of track(s) "
                          f"{', '.join(incomplete)} failed part-way; their data is incomplete",
                          IncompleteTrackWarning, stacklevel=3)

    def _mark_dirty(self, name: str) -> None:
        if name in self._dirtied:
            return
        self._source.mark_dirty(name)
        self._dirtied.add(name)

    # -- tracks ---------------------------------------------------------------
    @property
    def tracknames_continuous(self) -> list[str]:
        """Track names in column order."""
        self._check_open()
        return self._source.tracknames()

    @property
    def num_tracks_continuous(self) -> int:
        return len(self.tracknames_continuous)

    def index_continuous(self, trackname: str) -> int:
        """Column of *trackname*; TrackNotFoundError (a KeyError) if absent."""
        names = self.tracknames_continuous
        try:
            return names.index(trackname)
        except ValueError:
            alias = self._source.track_alias(trackname)
            if alias is not None:
                return alias
            raise TrackNotFoundError(
                f"Could not find continuous track: {trackname}" + suggest(trackname, names)
            ) from None

    @property
    def format_version(self) -> int | None:
        """``genomedata_format_version`` (None for a bigWig or an empty directory)."""
        self._check_open()
        return self._source.format_version()

    def add_track_continuous(self, trackname: str, *, chunk_size: int = fmt.CONTINUOUS_CHUNK_SHAPE[0]) -> None:
        """Add an empty (all-NaN) track; mode ``r+``."""
        archive = self._writable_archive("add a track")
        from .writer import add_tracks

        add_tracks(archive, [trackname], chunk_size=chunk_size)
        self._dirtied.update(archive.chrom_names())

    def erase_data(self, trackname: str) -> None:
        """Write NaN over a track in every chromosome; mode ``r+``."""
        archive = self._writable_archive("erase a track")
        from .writer import erase_tracks

        erase_tracks(archive, [trackname])
        self._dirtied.update(archive.chrom_names())

    def _writable_archive(self, what: str):
        self._check_open()
        return self._source.require_writable(what)

    # -- statistics -----------------------------------------------------------
    def summary(self, tracks=None, stats=_stats.DEFAULT_SUMMARY_STATS, bins: int | None = None,
                bin_size: int | None = None, chroms=None, zoom: bool = True) -> _stats.Summary:
        """Statistics of every chromosome's finite values (see :meth:`Chromosome.summary`).

        Without bins: genome-wide totals per track.  With ``bins=N`` (N bins per
        chromosome) or ``bin_size``: the bins of every chromosome in
        :attr:`chromosome_names` order, ``s.chrom`` naming each bin's
        chromosome.  *chroms* restricts to some chromosomes.
        """
        self._check_open()
        stats = _stats.check_summary_stats(stats)
        names = self.chromosome_names if chroms is None else [str(c) for c in chroms]
        parts = [self[name].summary(tracks=tracks, stats=stats, bins=bins, bin_size=bin_size,
                                    zoom=zoom) for name in names]
        binned = bins is not None or bin_size is not None
        if not parts:
            cols = self[names[0]]._track_columns(slice(None) if tracks is None else tracks)[0] \
                if names else np.arange(0)
            acc = np.zeros((cols.size, 1, 5))
            acc[..., 3], acc[..., 4] = np.inf, -np.inf
            return _stats.Summary(acc, [self.tracknames_continuous[int(c)] for c in cols], stats,
                                  "genome", 0, 0, False)
        if binned:
            acc = np.concatenate([p._acc for p in parts], axis=1)
            chrom = np.concatenate([np.full(len(p.start), p.chrom, dtype=object) for p in parts])
            return _stats.Summary(acc, parts[0].tracks, stats, chrom.astype(str),
                                  np.concatenate([p.start for p in parts]),
                                  np.concatenate([p.end for p in parts]), True)
        acc = parts[0]._acc.copy()
        from ._kernels import merge

        for p in parts[1:]:
            merge(acc, p._acc)
        return _stats.Summary(acc, parts[0].tracks, stats, "genome", 0,
                              sum(len(self[n]) for n in names), False)

    def _genome_stats(self) -> dict[str, np.ndarray]:
        return _stats.combine((chrom._stats() for chrom in self), self.num_tracks_continuous)

    @property
    def mins(self) -> np.ndarray:
        return self._genome_stats()["mins"]

    @property
    def maxs(self) -> np.ndarray:
        return self._genome_stats()["maxs"]

    @property
    def sums(self) -> np.ndarray:
        return self._genome_stats()["sums"]

    @property
    def sums_squares(self) -> np.ndarray:
        return self._genome_stats()["sums_squares"]

    @property
    def num_datapoints(self) -> np.ndarray:
        return self._genome_stats()["num_datapoints"]

    @property
    def means(self) -> np.ndarray:
        return self._genome_stats()["means"]

    @property
    def vars(self) -> np.ndarray:
        """Population variance, ``sums_squares / n - mean**2`` (the reference's formula)."""
        return self._genome_stats()["vars"]


__all__ = ["Chromosome", "Genome", "Supercontig", "SupercontigArray"]
