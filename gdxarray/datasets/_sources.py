"""Where a Cover's per-base signal comes from: bigWig files, archives, BED labels, BAM reads.

Owns one small class per input kind, each answering the same three questions:
which chromosomes of what length it has (``chrom_sizes``), how many columns it
gives (conditions x strands, condition-major), and the ``(hi - lo, ncols)``
float32 values of one stretch (``read``).  Sources hold paths, never open
handles, between calls (they pickle to loader workers); the BAM counting sits
behind :func:`_count_bam`, the one seam to swap for ``gdxarray.parsers.bam``.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np

from ..errors import ChromosomeNotFoundError, GenomedataError, NotAnArchiveError, ParseError
from ..intervals import cover_mask, coverage_depth
from ._cut import merge_runs
from ._regions import Regions, read_regions

__all__ = ["BamSource", "BedSource", "BigWigSource", "GenomedataSource", "file_digest"]


def file_digest(path, h=None):
    """SHA256 of a file's bytes (every file of a directory archive, in name order)."""
    h = h or hashlib.sha256()
    path = os.fspath(path)
    if os.path.isdir(path):
        for name in sorted(os.listdir(path)):
            h.update(name.encode())
            file_digest(os.path.join(path, name), h)
        return h
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h


def _check_files(files, what: str) -> list[str]:
    if isinstance(files, (str, os.PathLike)):
        files = [files]
    files = [os.fspath(f) for f in files]
    if not files:
        raise GenomedataError(f"no {what} files given")
    for f in files:
        if not os.path.exists(f):
            raise NotAnArchiveError(f"{f}: {what} file does not exist")
    return files


def conditions_from_files(files: list[str], conditions) -> list[str]:
    """Janggu's default condition names: file names without directory and extension."""
    if conditions is None:
        return [os.path.splitext(os.path.basename(f))[0] for f in files]
    conditions = [str(c) for c in conditions]
    if len(conditions) != len(files):
        raise GenomedataError(f"{len(conditions)} conditions given for {len(files)} files "
                              f"({', '.join(conditions)})")
    return conditions


class BigWigSource:
    """bigWig files, one condition each (pyBigWig ``values`` over whole runs)."""

    strands = 1

    def __init__(self, files, conditions=None, nan_to_num: bool = True) -> None:
        import pyBigWig

        self.files = _check_files(files, "bigWig")
        self.conditions = conditions_from_files(self.files, conditions)
        self.nan_to_num = nan_to_num
        sizes = None
        for f in self.files:
            try:
                bw = pyBigWig.open(f)
            except RuntimeError:
                bw = None
            if bw is None or not bw.isBigWig():
                raise NotAnArchiveError(f"{f}: not a bigWig file (pyBigWig cannot open it)")
            these = dict(bw.chroms())
            bw.close()
            sizes = these if sizes is None else {**these, **sizes}
        self.chrom_sizes = sizes
        self._handles: list | None = None

    @property
    def ncols(self) -> int:
        return len(self.files)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_handles"] = None
        return state

    def _open(self):
        if self._handles is None:
            import pyBigWig

            self._handles = [pyBigWig.open(f) for f in self.files]
        return self._handles

    def close(self) -> None:
        if self._handles:
            for bw in self._handles:
                bw.close()
        self._handles = None

    def read(self, chrom: str, lo: int, hi: int) -> np.ndarray:
        out = np.zeros((hi - lo, len(self.files)), dtype=np.float32)
        for k, bw in enumerate(self._open()):
            size = bw.chroms(chrom)
            if size is None or lo >= size:
                continue
            v = bw.values(chrom, lo, min(hi, size), numpy=True)
            out[:len(v), k] = v
        if self.nan_to_num:
            np.nan_to_num(out, copy=False, nan=0.0)
        return out

    def digest(self):
        h = hashlib.sha256()
        for f in self.files:
            file_digest(f, h)
        return h.hexdigest()


class GenomedataSource:
    """Tracks of a Genomedata archive (or a bigWig) read through :class:`gdxarray.Genome`."""

    strands = 1

    def __init__(self, archive, tracks=None, conditions=None, nan_to_num: bool = True) -> None:
        from ..genome import Genome

        self.path = os.fspath(archive)
        if not os.path.exists(self.path):
            raise NotAnArchiveError(f"{self.path}: archive does not exist")
        with Genome(self.path) as genome:
            names = genome.tracknames_continuous
            if tracks is None:
                tracks = names
            elif isinstance(tracks, str):
                tracks = [tracks]
            tracks = [str(t) for t in tracks]
            self.columns = [genome.index_continuous(t) for t in tracks]
            self.chrom_sizes = {c.name: int(c.end) for c in genome}
        if not tracks:
            raise GenomedataError(f"{self.path}: the archive has no tracks")
        self.tracks = tracks
        self.conditions = tracks if conditions is None else [str(c) for c in conditions]
        if len(self.conditions) != len(tracks):
            raise GenomedataError(f"{len(self.conditions)} conditions given for "
                                  f"{len(tracks)} tracks")
        self.nan_to_num = nan_to_num
        self.files = [self.path]
        self._genome = None
        self._cols = None

    @property
    def ncols(self) -> int:
        return len(self.columns)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_genome"] = None
        state["_cols"] = None
        return state

    def genome(self):
        if self._genome is None or not self._genome.isopen:
            from ..genome import Genome

            self._genome = Genome(self.path)
        return self._genome

    def _reader(self):
        """(source, columns, ntracks) of the open archive: reads skip the Genome layer."""
        genome = self.genome()
        src = genome._source
        if self._cols is None or self._cols[0] is not src:
            from .._read import all_columns, normalize_columns

            ntracks = genome.num_tracks_continuous
            cols = (all_columns(ntracks) if self.columns == list(range(ntracks))
                    else normalize_columns(self.columns, ntracks))
            self._cols = (src, cols, ntracks)
        return self._cols

    def close(self) -> None:
        if self._genome is not None:
            self._genome.close()
        self._genome = None
        self._cols = None

    def read(self, chrom: str, lo: int, hi: int) -> np.ndarray:
        """``(hi - lo, tracks)`` float32 through the one read path; 0 past the ends."""
        src, cols, ntracks = self._reader()
        size = self.chrom_sizes[chrom]
        lo_c, hi_c = max(lo, 0), min(hi, size)
        if lo_c == lo and hi_c == hi:
            out = src.read_continuous(chrom, lo, hi, cols, ntracks)
        else:
            out = np.zeros((hi - lo, len(self.columns)), dtype=np.float32)
            if hi_c > lo_c:
                src.read_continuous(chrom, lo_c, hi_c, cols, ntracks,
                                    out=out[lo_c - lo:hi_c - lo])
        if self.nan_to_num:
            nan = np.isnan(out)
            if nan.any():
                out[nan] = 0.0
        return out

    def digest(self):
        return file_digest(self.path).hexdigest() + repr(self.tracks)


_BED_MODES = ("binary", "score", "categorical", "score_category", "name_category", "bedgraph")


class BedSource:
    """BED label files painted per base (Janggu's ``create_from_bed`` modes).

    ``binary``: 1 where a feature lies; ``score``/``bedgraph``: its score
    (5th / last column); ``categorical`` (= ``score_category``) and
    ``name_category``: one condition per distinct score / name, 1 where a
    feature of that category lies.  Where features overlap the later line wins,
    as in Janggu.
    """

    strands = 1

    def __init__(self, files, mode: str = "binary", conditions=None) -> None:
        if mode not in _BED_MODES:
            raise GenomedataError(f"unknown BED mode {mode!r} (use {', '.join(_BED_MODES)})")
        self.files = _check_files(files, "BED")
        self.mode = "score_category" if mode == "categorical" else mode
        self.regions: list[Regions] = [read_regions(f, what="BED") for f in self.files]
        categorical = self.mode in ("score_category", "name_category")
        if categorical and len(self.files) > 1:
            raise GenomedataError(f"mode={mode!r} takes one BED file, got {len(self.files)}")
        for regs in self.regions:
            if self.mode in ("score", "score_category") and np.isnan(regs.score).any():
                i = int(np.flatnonzero(np.isnan(regs.score))[0])
                src, line = regs.where(i)
                raise ParseError(f"mode={mode!r} needs a score in column 5", source=src,
                                 line=line)
            if self.mode == "bedgraph" and np.isnan(regs.last).any():
                i = int(np.flatnonzero(np.isnan(regs.last))[0])
                src, line = regs.where(i)
                raise ParseError("mode='bedgraph' needs a value in the last column",
                                 source=src, line=line)
        if categorical:
            regs = self.regions[0]
            labels = self._labels(regs)
            if conditions is None:
                conditions = sorted(set(labels.tolist()))
            self.conditions = [str(c) for c in conditions]
            index = {c: i for i, c in enumerate(self.conditions)}
            self._category = np.array([index.get(x, -1) for x in labels.tolist()], np.int64)
        else:
            self.conditions = conditions_from_files(self.files, conditions)
            self._category = None
        sizes: dict[str, int] = {}
        for regs in self.regions:
            for c in np.unique(regs.chrom).tolist():
                sizes[c] = max(sizes.get(c, 0), int(regs.end[regs.chrom == c].max()))
        self.feature_extent = sizes
        self.chrom_sizes = None  # labels have no chromosome sizes: windows may lie anywhere
        self._by_chrom: dict[tuple[int, str], tuple] = {}

    def _labels(self, regs: Regions) -> np.ndarray:
        if self.mode == "name_category":
            return regs.name.astype(str)
        s = regs.score
        return np.array([str(int(v)) if float(v).is_integer() else str(v) for v in s.tolist()])

    @property
    def ncols(self) -> int:
        return len(self.conditions)

    def _chrom(self, k: int, chrom: str):
        key = (k, chrom)
        if key not in self._by_chrom:
            regs = self.regions[k]
            rows = np.flatnonzero(regs.chrom == chrom)
            s, e = regs.start[rows], regs.end[rows]
            if self.mode == "binary":
                v = np.ones(len(rows))
            elif self.mode == "score":
                v = regs.score[rows]
            elif self.mode == "bedgraph":
                v = regs.last[rows]
            else:
                v = self._category[rows].astype(np.float64)
            keep = v >= 0 if self._category is not None else np.ones(len(rows), bool)
            s, e, v = s[keep], e[keep], v[keep]
            ulo, uhi, _ = merge_runs(s, e) if len(s) else (s, e, None)
            covered = np.concatenate(([0], np.cumsum(uhi - ulo)))
            self._by_chrom[key] = (s, e, v, ulo, uhi, covered)
        return self._by_chrom[key]

    def read(self, chrom: str, lo: int, hi: int) -> np.ndarray:
        out = np.zeros((hi - lo, self.ncols), dtype=np.float32)
        for k in range(len(self.files)):
            s, e, v, *_ = self._chrom(k, chrom)
            sel = np.flatnonzero((s < hi) & (e > lo))
            if not len(sel):
                continue
            a = np.clip(s[sel] - lo, 0, hi - lo)
            b = np.clip(e[sel] - lo, 0, hi - lo)
            vals = v[sel]
            col = k
            if self._category is not None:
                # one-hot of the category painted last, as Janggu's single label per base
                label = _paint(a, b, vals + 1, hi - lo) - 1
                has = label >= 0
                out[np.flatnonzero(has), label[has].astype(np.int64)] = 1
                continue
            if self.mode == "binary":
                out[:, col] = cover_mask(a, b, hi - lo)
            else:
                out[:, col] = _paint(a, b, vals, hi - lo)
        return out

    def overlap_fraction(self, chrom: str, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Fraction of each ``[lo, hi)`` covered by features, per file: (n, nfiles)."""
        out = np.zeros((len(lo), len(self.files)))
        for k in range(len(self.files)):
            *_, ulo, uhi, covered = self._chrom(k, chrom)
            if not len(ulo):
                continue
            out[:, k] = (_covered_below(hi, ulo, uhi, covered)
                         - _covered_below(lo, ulo, uhi, covered)) / np.maximum(hi - lo, 1)
        return out

    def digest(self):
        h = hashlib.sha256()
        for f in self.files:
            file_digest(f, h)
        return h.hexdigest()

    def close(self) -> None:
        pass


def _covered_below(x: np.ndarray, ulo: np.ndarray, uhi: np.ndarray, covered: np.ndarray
                   ) -> np.ndarray:
    """Bases of the merged intervals below each position *x*."""
    i = np.searchsorted(ulo, x, side="right")  # intervals starting before x
    base = covered[np.maximum(i - 1, 0)]
    part = np.clip(x - ulo[np.maximum(i - 1, 0)], 0, uhi[np.maximum(i - 1, 0)]
                   - ulo[np.maximum(i - 1, 0)])
    return np.where(i > 0, base + part, 0)


def _paint(a: np.ndarray, b: np.ndarray, vals: np.ndarray, n: int) -> np.ndarray:
    """Per-base values where the later interval wins on overlaps."""
    out = np.zeros(n, dtype=np.float64)
    order = np.argsort(a, kind="stable")
    sa, sb = a[order], b[order]
    overlapping = len(sa) > 1 and bool(np.any(sa[1:] < np.maximum.accumulate(sb)[:-1]))
    if not overlapping:
        # disjoint: one vectorised fill through a step function
        return coverage_depth(sa, sb, n, weights=vals[order])
    for i in range(len(a)):  # overlapping labels: file order decides (rare, small)
        out[a[i]:b[i]] = vals[i]
    return out


class BamSource:
    """Read counts of BAM files at read 5' ends (or pair midpoints), stranded or not.

    Counting follows Janggu's ``BamLoader`` exactly (see :func:`_count_bam`).
    """

    def __init__(self, files, conditions=None, *, stranded: bool = True, min_mapq=None,
                 pairedend: str = "5prime", template_extension: int = 0) -> None:
        try:
            import pysam
        except ImportError:  # pragma: no cover - depends on the environment
            raise GenomedataError("create_from_bam needs pysam: pip install 'gdxarray[ml]'") \
                from None
        if pairedend not in ("5prime", "midpoint"):
            raise GenomedataError(f"pairedend must be '5prime' or 'midpoint', not {pairedend!r}")
        self.files = _check_files(files, "BAM")
        self.conditions = conditions_from_files(self.files, conditions)
        self.stranded = bool(stranded)
        self.min_mapq = 0 if min_mapq is None else int(min_mapq)
        self.pairedend = pairedend
        self.template_extension = int(template_extension)
        sizes = None
        for f in self.files:
            try:
                with pysam.AlignmentFile(f, "rb") as bam:
                    these = dict(zip(bam.references, map(int, bam.lengths)))
                    if not bam.has_index():
                        raise NotAnArchiveError(f"{f}: BAM file has no index (run samtools "
                                                "index)")
            except (ValueError, OSError) as exc:
                if isinstance(exc, GenomedataError):
                    raise
                raise NotAnArchiveError(f"{f}: not a readable BAM file ({exc})") from None
            sizes = these if sizes is None else {**these, **sizes}
        self.chrom_sizes = sizes

    strands = property(lambda self: 2 if self.stranded else 1)

    @property
    def ncols(self) -> int:
        return len(self.files) * self.strands

    def read(self, chrom: str, lo: int, hi: int) -> np.ndarray:
        out = np.zeros((hi - lo, self.ncols), dtype=np.float32)
        for k, f in enumerate(self.files):
            counts = _count_bam(f, chrom, lo, hi, min_mapq=self.min_mapq,
                                pairedend=self.pairedend,
                                template_extension=self.template_extension)
            if self.stranded:
                out[:, 2 * k:2 * k + 2] = counts
            else:
                out[:, k] = counts.sum(axis=1)
        return out

    def digest(self):
        h = hashlib.sha256()
        for f in self.files:
            file_digest(f, h)
        return h.hexdigest()

    def close(self) -> None:
        pass


def _count_bam(bamfile: str, chrom: str, lo: int, hi: int, *, min_mapq: int, pairedend: str,
               template_extension: int) -> np.ndarray:
    """Janggu's ``BamLoader`` counts over ``[lo, hi)``: ``(hi - lo, 2)`` (forward, reverse).

    The one seam for ``gdxarray.parsers.bam.count_reads``.  Janggu's rules,
    kept to the letter so the numbers match: unmapped reads and reads below
    *min_mapq* are skipped (secondary, duplicate and QC-failed ones are not);
    a single-end read counts at ``reference_start`` (forward) or
    ``reference_end`` (reverse: one past its last aligned base); a paired read
    counts only in a proper pair on one reference, at the fragment's
    ``min(reference_start, next_reference_start)`` (forward) or
    ``max(reference_end, next_reference_start + query_length)`` (reverse), or
    with ``pairedend="midpoint"`` once per pair (read 1) at
    ``min(reference_start, next_reference_start) + |template_length| // 2``
    on its own strand.  Reads are fetched over the stretch widened by
    *template_extension* so ends and midpoints of reads outside it count.
    """
    import pysam

    counts = np.zeros((hi - lo, 2), dtype=np.float32)
    with pysam.AlignmentFile(bamfile, "rb") as bam:
        # (bam.lengths, not the header text: real files carry headers htslib rejects)
        sizes = dict(zip(bam.references, bam.lengths))
        if chrom not in sizes:
            return counts
        size = sizes[chrom]
        a = max(0, lo - template_extension - 1)
        b = min(size, hi + template_extension + 1)
        if b <= a:
            return counts
        pos_list: list[int] = []
        rev_list: list[bool] = []
        tid = list(bam.references).index(chrom)
        for aln in bam.fetch(tid=tid, start=a, stop=b):
            if aln.is_unmapped or aln.mapping_quality < min_mapq:
                continue
            if aln.is_paired:
                if not (aln.is_proper_pair and aln.reference_id == aln.next_reference_id):
                    continue
                if pairedend == "midpoint":
                    if aln.is_read2:
                        continue
                    pos = min(aln.reference_start, aln.next_reference_start) \
                        + abs(aln.template_length) // 2
                elif aln.is_reverse:
                    pos = max(aln.reference_end, aln.next_reference_start + aln.query_length)
                else:
                    pos = min(aln.reference_start, aln.next_reference_start)
            else:
                pos = aln.reference_end if aln.is_reverse else aln.reference_start
            if pos is None:  # a mapped read with no aligned base
                continue
            pos_list.append(pos)
            rev_list.append(aln.is_reverse)
    if pos_list:
        pos = np.asarray(pos_list, np.int64) - lo
        rev = np.asarray(rev_list, np.int64)
        inside = (pos >= 0) & (pos < hi - lo)
        np.add.at(counts, (pos[inside], rev[inside]), 1)
    return counts


def check_roi(regions_chrom: np.ndarray, regions_end: np.ndarray, chrom_sizes, source: str,
              regs: Regions | None) -> None:
    """ROI chromosomes must be in the source, and regions must end inside them."""
    if chrom_sizes is None:
        return
    for c in np.unique(regions_chrom).tolist():
        rows = np.flatnonzero(regions_chrom == c)
        if c not in chrom_sizes:
            where = regs.where(int(rows[0])) if regs is not None else (None, None)
            raise ChromosomeNotFoundError(
                (f"{where[0]}:{where[1]}: " if where[1] else f"{where[0]}: " if where[0] else "")
                + f"ROI chromosome {c!r} is not in {source}")
        over = rows[regions_end[rows] > chrom_sizes[c]]
        if len(over):
            i = int(over[0])
            src, line = regs.where(i) if regs is not None else (None, None)
            raise ParseError(f"region {c}:{int(regions_end[i])} ends past the end of {c} "
                             f"({chrom_sizes[c]} bases in {source})", source=src, line=line)
