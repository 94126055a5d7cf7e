"""Cover: signal datasets ``(regions, length // resolution, strand, condition)``.

Owns Janggu's ``Cover`` constructors (``create_from_bigwig``, ``create_from_bed``,
``create_from_bam``, ``create_from_array``) and the new
``create_from_genomedata``, their storages, ``export_to_bigwig`` and
``to_xarray``.  Every constructor builds the same way: tile the ROI, merge the
windows of each chromosome into runs, read each run once from the source, cut
and collapse all windows with numpy (:mod:`._cut`), then store the stack or
(``storage="hdf5"``) the per-base runs in an archive read lazily per batch.
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from ..errors import ChromosomeNotFoundError, GenomedataError
from ..intervals import coverage_depth
from . import normalizers as _norm
from ._base import Dataset
from ._cut import Collapser, Windows, cut_windows, merge_runs
from ._regions import Regions, read_regions
from ._sources import (
    BamSource, BedSource, BigWigSource, GenomedataSource, check_roi,
)
from ._store import SparseRows, cache_path, track_names, write_archive
from .gindexer import GenomicIndexer

__all__ = ["Cover"]

_STORAGES = ("ndarray", "hdf5", "sparse")
#: Regions per step when a lazily stored dataset is streamed (normaliser fits).
_STREAM_REGIONS = 4096


def _check_resolution(resolution, gindexer: GenomicIndexer | None) -> None:
    if resolution is None:
        return
    if not isinstance(resolution, (int, np.integer)) or resolution <= 0:
        raise GenomedataError(f"resolution must be a positive integer or None, not "
                              f"{resolution!r}")
    if gindexer is not None and gindexer.binsize is not None \
            and gindexer.binsize % resolution:
        raise GenomedataError(f"binsize must be a multiple of resolution (binsize="
                              f"{gindexer.binsize}, resolution={resolution})")


class _Geometry:
    """How windows are cut: flank, binsize, resolution, collapser, strands, columns."""

    def __init__(self, *, flank: int, binsize, resolution, collapser: Collapser,
                 strands: int, nconds: int, chrom_sizes: dict | None, dtype) -> None:
        self.flank, self.binsize, self.resolution = flank, binsize, resolution
        self.collapser, self.strands, self.nconds = collapser, strands, nconds
        self.chrom_sizes, self.dtype = chrom_sizes, np.dtype(dtype)

    @property
    def bins(self) -> int:
        if self.resolution is None:
            return 1
        return -(-(self.binsize + 2 * self.flank) // self.resolution)

    def windows(self, chrom: str, starts: np.ndarray, ends: np.ndarray) -> Windows:
        f = self.flank
        full = starts - f
        limit = np.iinfo(np.int64).max if not self.chrom_sizes else self.chrom_sizes[chrom]
        hi = np.minimum(ends + f, limit)
        lo = np.maximum(full, 0)
        length = (ends - starts + 2 * f) if self.resolution is None else self.binsize + 2 * f
        return Windows(full, lo, np.maximum(hi, lo), length)

    def cut(self, read, chrs: np.ndarray, starts: np.ndarray, ends: np.ndarray,
            gate=None) -> np.ndarray:
        """``(k, bins, strand, condition)`` in genome orientation (not normalised)."""
        k = len(starts)
        ncols = self.nconds * self.strands
        out = np.zeros((k, self.bins, ncols), dtype=self.dtype)
        names = chrs.astype(str)
        for chrom in np.unique(names).tolist():
            sel = np.flatnonzero(names == chrom)
            win = self.windows(chrom, starts[sel], ends[sel])
            out[sel] = cut_windows(lambda a, b, c=chrom: read(c, a, b), win, ncols,
                                   resolution=self.resolution, collapser=self.collapser,
                                   strands=self.strands, dtype=self.dtype)
            if gate is not None:
                source, minoverlap = gate
                frac = source.overlap_fraction(chrom, win.lo, starts[sel] + self.flank
                                               + (ends[sel] - starts[sel]))
                passed = frac >= minoverlap  # (k, files)
                if passed.shape[1] == 1:
                    out[sel] *= passed[:, :1, None]
                else:
                    out[sel] *= np.repeat(passed, self.strands, axis=1)[:, None, :]
        out = out.reshape(k, self.bins, self.nconds, self.strands).transpose(0, 1, 3, 2)
        return np.ascontiguousarray(out)


class Cover(Dataset):
    """Coverage dataset (Janggu's ``Cover``).

    Build it with one of the ``create_from_*`` constructors.  Indexing returns
    numpy arrays of shape ``(regions, length // resolution, strand, condition)``
    (``length = binsize + 2 * flank``); windows on the ``-`` strand are
    reversed along positions and strands.

    Examples
    --------
    >>> cover = Cover.create_from_bigwig("signal", "sample.bw", roi="sample.bed",
    ...                                  binsize=200, resolution=50)  # doctest: +SKIP
    >>> cover.shape                                                    # doctest: +SKIP
    (100, 4, 1, 1)
    """

    def __init__(self, name: str, *, gindexer, geometry: _Geometry, conditions: list[str],
                 stack=None, sparse: SparseRows | None = None, source=None, steps=(),
                 gate=None, extents=None, padding_value: float = 0.0) -> None:
        super().__init__(name)
        self._geom = geometry
        self._conditions = list(conditions)
        self._stack = stack
        self._sparse = sparse
        self._source = source
        self._steps = list(steps)
        self._gate = gate
        self._extents = extents
        self.padding_value = padding_value
        self._rows = None
        self._keys = None
        self._gindexer = gindexer
        self._built_on = gindexer
        if gindexer is not None and (stack is not None or sparse is not None):
            self._rows = np.arange(len(gindexer))

    # -- Janggu attributes -------------------------------------------------------
    @property
    def conditions(self) -> list[str]:
        return list(self._conditions)

    @property
    def resolution(self):
        return self._geom.resolution

    @property
    def stranded(self) -> bool:
        return self._geom.strands == 2

    @property
    def storage(self) -> str:
        return "ndarray" if self._stack is not None else "sparse" if self._sparse is not None \
            else "hdf5"

    @property
    def archive(self) -> str | None:
        """Path of the archive backing a lazily stored dataset (None in memory)."""
        return self._source.path if isinstance(self._source, GenomedataSource) else None

    @property
    def shape(self) -> tuple:
        return (len(self), self._geom.bins, self._geom.strands, len(self._conditions))

    shape_static = shape

    # -- rows ----------------------------------------------------------------------
    @staticmethod
    def _key_index(gindexer: GenomicIndexer) -> dict:
        return {(c, int(s), int(e)): i for i, (c, s, e) in
                enumerate(zip(gindexer.chrs.tolist(), gindexer.starts.tolist(),
                              gindexer.ends.tolist()))}

    def _set_gindexer(self, gindexer) -> None:
        if gindexer is not None and (self._stack is not None or self._sparse is not None):
            if self._keys is None:
                if self._built_on is None:
                    raise GenomedataError(f"{self.name}: built without regions")
                self._keys = self._key_index(self._built_on)
            rows = np.empty(len(gindexer), np.int64)
            for i, key in enumerate(zip(gindexer.chrs.tolist(), gindexer.starts.tolist(),
                                        gindexer.ends.tolist())):
                try:
                    rows[i] = self._keys[key]
                except KeyError:
                    raise GenomedataError(
                        f"{self.name}: window {key[0]}:{key[1]}-{key[2]} is not among the "
                        "stored regions (build with store_whole_genome=True or "
                        "storage='hdf5' to view other regions)") from None
            self._rows = rows
        elif gindexer is not None and self._extents is not None:
            self._check_extents(gindexer)
        self._gindexer = gindexer

    def _check_extents(self, gindexer: GenomicIndexer) -> None:
        g = self._geom
        for chrom in np.unique(gindexer.chrs.astype(str)).tolist():
            sel = gindexer.chrs.astype(str) == chrom
            if chrom not in self._extents:
                raise ChromosomeNotFoundError(f"{self.name}: chromosome {chrom!r} is not stored")
            win = g.windows(chrom, gindexer.starts[sel], gindexer.ends[sel])
            lo, hi = self._extents[chrom]
            i = np.searchsorted(lo, win.lo, side="right") - 1
            bad = (i < 0) | (win.hi > hi[np.maximum(i, 0)])
            bad &= win.hi > win.lo
            if bad.any():
                j = int(np.flatnonzero(bad)[0])
                raise GenomedataError(
                    f"{self.name}: window {chrom}:{int(win.lo[j])}-{int(win.hi[j])} lies "
                    "outside the stored extent (build with store_whole_genome=True)")

    def _lengths(self, rows: np.ndarray) -> np.ndarray:
        s, e = self.gindexer.flanked(rows)
        return e - s

    def _read_rows(self, rows: np.ndarray) -> np.ndarray:
        """Stored windows of indexer *rows* in genome orientation, normalised."""
        if self._stack is not None:
            return self._stack[self._rows[rows]]
        if self._sparse is not None:
            return self._sparse.take(self._rows[rows])
        gi = self.gindexer
        values = self._geom.cut(self._source.read, gi.chrs[rows], gi.starts[rows],
                                gi.ends[rows], self._gate)
        if self._steps:
            values = _norm.apply(self._steps, values, self._lengths(rows))
            values = values.astype(self._geom.dtype, copy=False)
        return values

    def _get(self, idx: np.ndarray) -> np.ndarray:
        rows = self.gindexer.order(idx)
        data = self._read_rows(rows)
        minus = np.flatnonzero(self.gindexer.strand[rows] == "-")
        if len(minus):
            data[minus] = data[minus, ::-1, ::-1, :]
        return data

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        return state

    def close(self) -> None:
        """Close the files a lazily stored dataset opened (reopened on next use)."""
        if self._source is not None and hasattr(self._source, "close"):
            self._source.close()

    # -- construction ---------------------------------------------------------------
    @classmethod
    def _build(cls, name: str, source, *, roi, binsize, stepsize, resolution, flank,
               storage, dtype, cache, store_whole_genome, zero_padding, normalizer,
               collapser, random_state, genomesize=None, gate=None, lazy_source=False,
               extra_key=()) -> "Cover":
        if storage not in _STORAGES:
            raise GenomedataError(f"storage must be one of {', '.join(_STORAGES)}, not "
                                  f"{storage!r}")
        collapse = resolution is None
        collapser = Collapser(collapser)
        gindexer = None
        regs: Regions | None = None
        if roi is not None:
            regs = read_regions(roi)
            gindexer = GenomicIndexer.create_from_file(regs, binsize, stepsize, flank,
                                                       zero_padding, collapse, random_state)
        elif not store_whole_genome:
            raise GenomedataError("give roi=... or store_whole_genome=True")
        _check_resolution(resolution, gindexer)
        chrom_sizes = source.chrom_sizes
        if chrom_sizes is None:  # BED labels: genomesize, else the ROI and features
            chrom_sizes = dict(genomesize) if genomesize else {}
            if not genomesize:
                ext = dict(getattr(source, "feature_extent", {}))
                if gindexer is not None:
                    for c in np.unique(gindexer.chrs.astype(str)).tolist():
                        ext[c] = max(ext.get(c, 0), int(
                            gindexer.ends[gindexer.chrs.astype(str) == c].max())
                            + gindexer.flank)
                chrom_sizes = ext
            label_sizes = True
        else:
            label_sizes = False
        if regs is not None and not label_sizes:
            check_roi(regs.chrom, regs.end, chrom_sizes, _describe(source), regs)
        elif regs is not None and genomesize:
            check_roi(regs.chrom, regs.end, chrom_sizes, "genomesize", regs)
        nconds = len(source.conditions)
        if len(set(source.conditions)) != nconds:
            raise GenomedataError(f"condition names repeat: {source.conditions}")
        geom = _Geometry(flank=0 if gindexer is None else gindexer.flank,
                         binsize=None if gindexer is None else gindexer.binsize,
                         resolution=resolution, collapser=collapser, strands=source.strands,
                         nconds=nconds,
                         chrom_sizes=chrom_sizes if not label_sizes or genomesize else None,
                         dtype=dtype)
        if store_whole_genome or gindexer is None:
            chroms = (np.unique(gindexer.chrs.astype(str)).tolist() if gindexer is not None
                      else list(chrom_sizes))
            extents = {c: (np.array([0]), np.array([chrom_sizes[c]])) for c in chroms}
        else:
            extents = _extents(geom, gindexer)
        normalizers = _norm.as_list(normalizer)
        if gindexer is None and normalizers:
            raise GenomedataError("normalizers need regions: give roi=...")
        data = source
        if lazy_source:  # an archive already: read it in place
            pass
        elif storage == "hdf5" or cache or store_whole_genome:
            if storage == "hdf5" or cache:
                path = cache_path(name, [type(source).__name__, source.digest(),
                                         _source_options(source), sorted(chrom_sizes.items()),
                                         *[(c, extents[c][0], extents[c][1])
                                           for c in sorted(extents)], *extra_key])
                tracks = track_names(source.conditions, source.strands)
                if not path.exists():
                    write_archive(path, chrom_sizes, extents, source.read, tracks)
                data = GenomedataSource(path, tracks,
                                        nan_to_num=getattr(source, "nan_to_num", True))
                data.conditions = tracks
            else:  # store_whole_genome in memory: per-base chromosomes
                data = _MemorySource(source, extents)
        gate_arg = (gate[0], gate[1]) if gate is not None and gate[1] is not None else None
        cover_kw = dict(gindexer=gindexer, geometry=geom, conditions=source.conditions,
                        gate=gate_arg)
        in_memory = storage in ("ndarray", "sparse") and not store_whole_genome
        if in_memory:
            stack = geom.cut(data.read, gindexer.chrs, gindexer.starts, gindexer.ends,
                             gate_arg)
            if normalizers:
                fs, fe = gindexer.flanked()
                lengths = fe - fs
                steps = _norm.plan(normalizers, lambda: iter([(stack, lengths)]),
                                   resolution=resolution, conditions=source.conditions,
                                   stranded=source.strands == 2)
                stack = _norm.apply(steps, stack, lengths).astype(geom.dtype, copy=False)
            if storage == "sparse":
                return cls(name, sparse=SparseRows(stack), **cover_kw)
            return cls(name, stack=stack, **cover_kw)
        cover = cls(name, source=data, extents=extents, **cover_kw)
        if normalizers:
            cover._steps = _norm.plan(normalizers, cover._stream, resolution=resolution,
                                      conditions=source.conditions,
                                      stranded=source.strands == 2)
        return cover

    def _stream(self):
        """(values, lengths) of all regions, a few thousand at a time (before normalising)."""
        gi = self.gindexer
        steps, self._steps = self._steps, []
        try:
            for a in range(0, len(gi), _STREAM_REGIONS):
                rows = np.arange(a, min(a + _STREAM_REGIONS, len(gi)))
                yield self._read_rows(rows), self._lengths(rows)
        finally:
            self._steps = steps

    @classmethod
    def create_from_bigwig(cls, name: str, bigwigfiles, roi=None, genomesize=None,
                           conditions=None, binsize=None, stepsize=None, resolution=1,
                           flank: int = 0, storage: str = "ndarray", dtype="float32",
                           overwrite: bool = False, datatags=None, cache: bool = False,
                           store_whole_genome: bool = False, zero_padding: bool = True,
                           normalizer=None, collapser=None, random_state=None,
                           nan_to_num: bool = True, verbose: bool = False) -> "Cover":
        """Signal of bigWig files (one condition per file).

        Parameters
        ----------
        name : dataset name.
        bigwigfiles : a bigWig path or a list of them.
        roi : regions of interest (BED/GFF file, list of intervals, DataFrame).
        conditions : condition names (default: file names without extension).
        binsize, stepsize : window length and step (default: the region length).
        resolution : bases per bin (None: one value per window).
        flank : bases added on both sides of each window.
        storage : ``"ndarray"``, ``"sparse"`` or ``"hdf5"`` (a lazily read archive).
        dtype : dtype of the values.
        cache : keep the per-base signal in an archive keyed by the inputs and reuse it.
        store_whole_genome : keep whole chromosomes (so any other ROI can be viewed).
        zero_padding : keep a shorter, padded last window per region.
        normalizer : a name, object or callable, or a list of them (applied in order).
        collapser : ``"mean"`` (default), ``"sum"``, ``"max"`` or a function
            reducing axis 1 of ``(bins, resolution, strand)``.
        random_state : seed of a fixed permutation of the regions.
        nan_to_num : read missing bases as 0 (else NaN).
        overwrite, datatags, verbose : accepted for Janggu compatibility; no effect.

        Raises
        ------
        NotAnArchiveError
            A file that is missing or not a bigWig.
        ChromosomeNotFoundError, ParseError
            A ROI chromosome the bigWig files lack, or a region past a chromosome end.
        """
        _janggu_noops(overwrite, datatags)
        source = BigWigSource(bigwigfiles, conditions, nan_to_num)
        return cls._build(name, source, roi=roi, binsize=binsize, stepsize=stepsize,
                          resolution=resolution, flank=flank, storage=storage, dtype=dtype,
                          cache=cache, store_whole_genome=store_whole_genome,
                          zero_padding=zero_padding, normalizer=normalizer,
                          collapser=collapser, random_state=random_state,
                          genomesize=genomesize)

    @classmethod
    def create_from_genomedata(cls, name: str, archive, tracks=None, roi=None,
                               conditions=None, binsize=None, stepsize=None, resolution=1,
                               flank: int = 0, storage: str = "hdf5", dtype="float32",
                               cache: bool = False, store_whole_genome: bool = False,
                               zero_padding: bool = True, normalizer=None, collapser=None,
                               random_state=None, nan_to_num: bool = True) -> "Cover":
        """Tracks of a Genomedata archive (or a bigWig) as conditions, read through ``Genome``.

        With the default ``storage="hdf5"`` the archive itself backs the dataset:
        nothing is copied, each batch is read from it (one read per run of
        neighbouring windows).  ``"ndarray"``/``"sparse"`` load the windows once.
        Other parameters as :meth:`create_from_bigwig`; *tracks* selects and
        orders the tracks (default: all), *conditions* renames them.
        """
        source = GenomedataSource(archive, tracks, conditions, nan_to_num)
        return cls._build(name, source, roi=roi, binsize=binsize, stepsize=stepsize,
                          resolution=resolution, flank=flank, storage=storage, dtype=dtype,
                          cache=False, store_whole_genome=store_whole_genome,
                          zero_padding=zero_padding, normalizer=normalizer,
                          collapser=collapser, random_state=random_state,
                          lazy_source=(storage == "hdf5" or store_whole_genome))

    @classmethod
    def create_from_bed(cls, name: str, bedfiles, roi=None, genomesize=None, conditions=None,
                        binsize=None, stepsize=None, resolution=1, flank: int = 0,
                        storage: str = "ndarray", dtype="float32", mode: str = "binary",
                        store_whole_genome: bool = False, overwrite: bool = False,
                        zero_padding: bool = True, normalizer=None, collapser=None,
                        minoverlap=None, random_state=None, datatags=None,
                        cache: bool = False, verbose: bool = False) -> "Cover":
        """Labels from BED files.

        Parameters
        ----------
        mode : ``"binary"`` (1 where a feature lies), ``"score"`` (its score),
            ``"categorical"``/``"score_category"`` or ``"name_category"`` (one
            condition per distinct score / name, one-hot), ``"bedgraph"`` (the
            last column's value).
        minoverlap : a window counts only if at least this fraction of it is
            covered by features (else it is all 0); None: any overlap.
        collapser : default ``"max"``.

        Other parameters as :meth:`create_from_bigwig`; *genomesize* bounds
        the chromosomes (default: the ROI and the features).
        """
        _janggu_noops(overwrite, datatags)
        source = BedSource(bedfiles, mode, conditions)
        return cls._build(name, source, roi=roi, binsize=binsize, stepsize=stepsize,
                          resolution=resolution, flank=flank, storage=storage, dtype=dtype,
                          cache=cache, store_whole_genome=store_whole_genome,
                          zero_padding=zero_padding, normalizer=normalizer,
                          collapser=collapser if collapser is not None else "max",
                          random_state=random_state, genomesize=genomesize,
                          gate=(source, minoverlap), extra_key=(mode, minoverlap))

    @classmethod
    def create_from_bam(cls, name: str, bamfiles, roi=None, genomesize=None, conditions=None,
                        min_mapq=None, binsize=None, stepsize=None, flank: int = 0,
                        resolution=1, storage: str = "ndarray", dtype="float32",
                        stranded: bool = True, overwrite: bool = False,
                        pairedend: str = "5prime", template_extension: int = 0,
                        datatags=None, cache: bool = False, normalizer=None,
                        zero_padding: bool = True, random_state=None,
                        store_whole_genome: bool = False, collapser=None,
                        verbose: bool = False) -> "Cover":
        """Read counts of BAM files at read 5' ends (or fragment midpoints).

        Parameters
        ----------
        min_mapq : skip reads with a lower mapping quality (None: keep all).
        stranded : two strands (forward, reverse) or their sum.
        pairedend : ``"5prime"`` or ``"midpoint"`` for properly paired reads.
        template_extension : bases beyond each stretch over which reads are
            fetched, so ends and midpoints of reads lying outside it count.
        collapser : default ``"sum"`` (counts per bin).

        Other parameters as :meth:`create_from_bigwig`.  Counting follows
        Janggu's rules exactly; see :func:`gdxarray.datasets._sources._count_bam`.
        """
        _janggu_noops(overwrite, datatags)
        source = BamSource(bamfiles, conditions, stranded=stranded, min_mapq=min_mapq,
                           pairedend=pairedend, template_extension=template_extension)
        return cls._build(name, source, roi=roi, binsize=binsize, stepsize=stepsize,
                          resolution=resolution, flank=flank, storage=storage, dtype=dtype,
                          cache=cache, store_whole_genome=store_whole_genome,
                          zero_padding=zero_padding, normalizer=normalizer,
                          collapser=collapser if collapser is not None else "sum",
                          random_state=random_state, genomesize=genomesize)

    @classmethod
    def create_from_array(cls, name: str, array, gindexer: GenomicIndexer, genomesize=None,
                          conditions=None, resolution=None, storage: str = "ndarray",
                          overwrite: bool = False, cache: bool = False, datatags=None,
                          padding_value: float = 0.0, store_whole_genome: bool = False,
                          verbose: bool = False) -> "Cover":
        """Wrap an array (e.g. model predictions) on the windows of *gindexer*.

        *array* is ``(regions, bins, strand, condition)`` as a dataset returns
        it (``-`` strand rows reversed), or ``(regions, condition)`` for one
        value per region; ``resolution`` defaults to ``binsize // bins``.
        The result indexes back to *array* and exports with
        :meth:`export_to_bigwig`.
        """
        _janggu_noops(overwrite, datatags)
        array = np.asarray(array)
        if array.ndim == 2:
            array = array[:, None, None, :]
        if array.ndim != 4:
            raise GenomedataError(f"array must be 2-D (regions, conditions) or 4-D (regions, "
                                  f"bins, strand, conditions), not {array.ndim}-D")
        if len(gindexer) != array.shape[0]:
            raise GenomedataError(f"array has {array.shape[0]} regions but the gindexer "
                                  f"{len(gindexer)}")
        if storage not in ("ndarray", "sparse"):
            raise GenomedataError("create_from_array keeps the array in memory: use "
                                  "storage='ndarray' or 'sparse'")
        if conditions is None:
            conditions = [f"Cond_{i}" for i in range(array.shape[-1])]
        conditions = [str(c) for c in conditions]
        if len(conditions) != array.shape[-1]:
            raise GenomedataError(f"{len(conditions)} conditions for an array with "
                                  f"{array.shape[-1]}")
        if resolution is None:
            resolution = None if gindexer.collapse or gindexer.binsize is None else \
                max(1, (gindexer.binsize + 2 * gindexer.flank) // array.shape[1])
        bins = 1 if resolution is None else -(-(gindexer.binsize + 2 * gindexer.flank)
                                              // resolution)
        if array.shape[1] != bins:
            raise GenomedataError(f"array has {array.shape[1]} bins per region, the gindexer "
                                  f"with resolution {resolution} {bins}")
        if array.shape[2] not in (1, 2):
            raise GenomedataError(f"strand axis must have 1 or 2 entries, not {array.shape[2]}")
        # stored in genome orientation: undo the flip of '-' rows (indexer order)
        stack = np.empty_like(array)
        rows = gindexer.order(np.arange(len(gindexer)))
        stack[rows] = array
        minus = np.flatnonzero(gindexer.strand == "-")
        stack[minus] = stack[minus, ::-1, ::-1, :]
        sizes = dict(genomesize) if genomesize else None
        geom = _Geometry(flank=gindexer.flank, binsize=gindexer.binsize, resolution=resolution,
                         collapser=Collapser("mean"), strands=array.shape[2],
                         nconds=len(conditions), chrom_sizes=sizes, dtype=array.dtype)
        kw = dict(gindexer=gindexer, geometry=geom, conditions=conditions,
                  padding_value=padding_value)
        if storage == "sparse":
            return cls(name, sparse=SparseRows(stack), **kw)
        return cls(name, stack=stack, **kw)

    # -- evaluation -----------------------------------------------------------------
    def export_to_bigwig(self, output_dir, genomesize=None) -> list[str]:
        """Write one bigWig per condition, ``{output_dir}/{name}.{condition}.bigwig``.

        Values go back to genome coordinates (``-`` strand windows un-reversed,
        strands summed, as Janggu); where windows overlap, the base gets the
        mean of their values.  Returns the paths written.

        Parameters
        ----------
        genomesize : chromosome sizes for the header (default: the source's,
            else each chromosome's last window end).
        """
        import pyBigWig

        os.makedirs(output_dir, exist_ok=True)
        gi = self.gindexer
        rows = gi.order(np.arange(len(gi)))
        values = self._read_rows(rows).sum(axis=2)  # genome orientation, strands summed
        chrs = gi.chrs[rows].astype(str)
        g = self._geom
        sizes = dict(genomesize) if genomesize else dict(g.chrom_sizes or {})
        order = list(dict.fromkeys(gi.chrs.astype(str).tolist()))
        for c in order:
            if c not in sizes:
                sel = chrs == c
                sizes[c] = int((gi.ends[rows][sel] + g.flank).max())
        paths = [os.path.join(output_dir, f"{self.name}.{cond}.bigwig")
                 for cond in self._conditions]
        handles = [pyBigWig.open(p, "w") for p in paths]
        try:
            for bw in handles:
                bw.addHeader([(c, int(sizes[c])) for c in order])
            for c in order:
                sel = np.flatnonzero(chrs == c)
                starts, ends = gi.starts[rows][sel], gi.ends[rows][sel]
                if g.resolution is None:
                    lo = np.maximum(starts - g.flank, 0)
                    hi = np.minimum(ends + g.flank, sizes[c])
                    blo, bhi = lo[:, None], hi[:, None]
                else:
                    r = g.resolution
                    full = starts - g.flank
                    blo = full[:, None] + r * np.arange(g.bins)
                    bhi = np.minimum(blo + r, (ends + g.flank)[:, None])
                    blo = np.clip(blo, 0, sizes[c])
                    bhi = np.clip(bhi, 0, sizes[c])
                vals = values[sel]  # (k, bins, conditions)
                for k, bw in enumerate(handles):
                    _write_mean_runs(bw, c, blo.ravel(), bhi.ravel(), vals[:, :, k].ravel())
        finally:
            for bw in handles:
                bw.close()
        return paths

    def interval_values(self, chrom: str, start: int, end: int) -> np.ndarray:
        """Values of ``chrom:[start, end)`` per base, ``(end - start, strand, condition)``.

        The dataset's windows put back on genome coordinates (``-`` strand
        windows un-reversed, each bin spread over its bases); where windows
        overlap a base gets their mean, where none lies it is NaN.  This is what
        :func:`plotGenomeTrack` draws.
        """
        start, end = int(start), int(end)
        g = self._geom
        ncols = g.strands * len(self._conditions)
        out = np.full((max(end - start, 0), g.strands, len(self._conditions)), np.nan)
        gi = self.gindexer
        if end <= start or not len(gi):
            return out
        if g.resolution is None:
            wlo = np.maximum(gi.starts - g.flank, 0)
            whi = gi.ends + g.flank
        else:
            wlo = gi.starts - g.flank
            whi = np.minimum(wlo + g.bins * g.resolution, gi.ends + g.flank)
        rows = np.flatnonzero((gi.chrs.astype(str) == chrom) & (wlo < end) & (whi > start))
        if not len(rows):
            return out
        vals = self._read_rows(rows).reshape(len(rows), g.bins, ncols).astype(np.float64)
        if g.resolution is None:
            blo, bhi = wlo[rows][:, None], whi[rows][:, None]
        else:
            blo = wlo[rows][:, None] + g.resolution * np.arange(g.bins)
            bhi = np.minimum(blo + g.resolution, (gi.ends[rows] + g.flank)[:, None])
        blo = np.clip(blo, start, end).ravel() - start
        bhi = np.clip(bhi, start, end).ravel() - start
        vals = vals.reshape(-1, ncols)
        keep = bhi > blo
        blo, bhi, vals = blo[keep], bhi[keep], vals[keep]
        n = end - start
        total = np.zeros((n + 1, ncols))
        count = np.zeros(n + 1)
        np.add.at(total, blo, vals)
        np.add.at(total, bhi, -vals)
        np.add.at(count, blo, 1)
        np.add.at(count, bhi, -1)
        total = np.cumsum(total[:-1], axis=0)
        count = np.rint(np.cumsum(count[:-1]))
        mean = np.where(count[:, None] > 0, total / np.maximum(count, 1)[:, None], np.nan)
        return mean.reshape(n, g.strands, len(self._conditions))

    def to_xarray(self, data=None):
        """The dataset as an ``xarray.DataArray`` ``(region, position, strand, condition)``.

        ``region`` carries ``chrom``, ``start``, ``end`` and ``region_strand``
        coordinates (the windows, flank included, in dataset order; the name
        ``strand`` belongs to the strand axis, ``["+", "-"]`` or ``["."]``).
        *data* (an array of the dataset's shape, e.g. a dask array) replaces
        ``self[:]``.
        """
        import xarray as xr

        if data is None:
            data = self[:]
        strands = ["+", "-"] if self.stranded else ["."]
        return xr.DataArray(data, dims=("region", "position", "strand", "condition"),
                            coords={**self._region_coords(), "strand": strands,
                                    "condition": self.conditions,
                                    "position": np.arange(data.shape[1]) * (self.resolution or 1)},
                            name=self.name, attrs={"resolution": self.resolution or 0})


def _write_mean_runs(bw, chrom: str, lo: np.ndarray, hi: np.ndarray, vals: np.ndarray) -> None:
    """Add entries with the mean of overlapping ``[lo, hi)`` bins, runs of equal value merged."""
    keep = hi > lo
    lo, hi, vals = lo[keep], hi[keep], vals[keep].astype(np.float64)
    if not len(lo):
        return
    a0 = int(lo.min())
    n = int(hi.max()) - a0
    total = coverage_depth(lo - a0, hi - a0, n, weights=vals)
    count = coverage_depth(lo - a0, hi - a0, n)
    covered = count > 0
    mean = np.where(covered, total / np.maximum(count, 1), 0.0).astype(np.float32)
    change = np.ones(n, bool)
    change[1:] = (mean[1:] != mean[:-1]) | (covered[1:] != covered[:-1])
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], n)
    use = covered[starts]
    starts, ends = starts[use], ends[use]
    bw.addEntries([chrom] * len(starts), (starts + a0).tolist(), ends=(ends + a0).tolist(),
                  values=mean[starts].astype(float).tolist())


def _extents(geom: _Geometry, gindexer: GenomicIndexer) -> dict:
    """Merged signal intervals of all windows, per chromosome."""
    out = {}
    names = gindexer.chrs.astype(str)
    for chrom in np.unique(names).tolist():
        sel = names == chrom
        win = geom.windows(chrom, gindexer.starts[sel], gindexer.ends[sel])
        has = win.hi > win.lo
        lo, hi, _ = merge_runs(win.lo[has], win.hi[has], 0)
        out[chrom] = (lo, hi)
    return out


class _MemorySource:
    """Whole chromosomes of a source held in memory (``store_whole_genome=True``)."""

    def __init__(self, source, extents: dict) -> None:
        self.conditions = source.conditions
        self.strands = source.strands
        self.chrom_sizes = source.chrom_sizes
        self.data = {c: source.read(c, int(lo[0]), int(hi[-1])) for c, (lo, hi) in
                     extents.items()}

    def read(self, chrom: str, lo: int, hi: int) -> np.ndarray:
        d = self.data[chrom]
        out = np.zeros((hi - lo, d.shape[1]), d.dtype)
        a, b = max(lo, 0), min(hi, len(d))
        if b > a:
            out[a - lo:b - lo] = d[a:b]
        return out


def _describe(source) -> str:
    files = getattr(source, "files", None)
    return ", ".join(files) if files else type(source).__name__


def _source_options(source) -> tuple:
    keys = ("nan_to_num", "mode", "stranded", "min_mapq", "pairedend", "template_extension",
            "conditions", "tracks")
    return tuple((k, getattr(source, k)) for k in keys if hasattr(source, k))


def _janggu_noops(overwrite, datatags) -> None:
    if overwrite or datatags is not None:
        warnings.warn("overwrite and datatags have no effect (the cache is keyed by the "
                      "inputs' contents), as in Janggu 0.10", FutureWarning, stacklevel=3)
