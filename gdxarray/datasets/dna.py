"""Bioseq: one-hot DNA (or protein) datasets ``(regions, length, 1, letters ** order)``.

Owns Janggu's ``Bioseq.create_from_refgenome`` (a FASTA file or an archive's
stored sequence) and ``Bioseq.create_from_seq``.  Windows are cut exactly as
Cover cuts them; bases are kept as int8 letter codes (``A C G T`` = 0..3,
anything else -1) and turned into order-k one-hot at read time; ``-`` strand
windows are reverse-complemented (complement the codes, reverse, then form
k-mers: the same as Janggu's reverse-complement table of k-mer indices).
"""

from __future__ import annotations

import os
from itertools import product

import numpy as np

from ..errors import ChromosomeNotFoundError, GenomedataError, NotAnArchiveError
from ._base import Dataset
from ._cut import Collapser, Windows, cut_windows
from ._regions import read_regions
from ._sources import check_roi, file_digest
from ._store import cache_path
from .gindexer import GenomicIndexer

__all__ = ["Bioseq"]

DNA = "ACGT"
PROTEIN = "ACDEFGHIKLMNPQRSTVWY"


def _code_table(alphabet: str) -> np.ndarray:
    table = np.full(256, -1, dtype=np.int8)
    for i, ch in enumerate(alphabet):
        table[ord(ch)] = i
        table[ord(ch.lower())] = i
    return table


class _FastaSeq:
    """Sequences of a FASTA file, read once (only the chromosomes asked for are kept)."""

    def __init__(self, path, needed=None) -> None:
        from ..parsers import read_fasta

        self.files = [os.fspath(path)]
        self.seqs: dict[str, np.ndarray] = {}
        for rec in read_fasta(path):
            if needed is None or rec.name in needed:
                self.seqs[rec.name] = rec.seq
        self.chrom_sizes = {k: len(v) for k, v in self.seqs.items()}

    def read(self, chrom: str, lo: int, hi: int) -> np.ndarray:
        return self.seqs[chrom][lo:hi]

    def digest(self) -> str:
        return file_digest(self.files[0]).hexdigest()


class _ArchiveSeq:
    """Stored sequence of an archive, read through :class:`gdxarray.Genome`."""

    def __init__(self, path) -> None:
        from ..genome import Genome

        self.path = os.fspath(path)
        with Genome(self.path) as genome:
            self.chrom_sizes = {c.name: int(c.end) for c in genome}
        self.files = [self.path]
        self._genome = None

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_genome"] = None
        return state

    def read(self, chrom: str, lo: int, hi: int) -> np.ndarray:
        import warnings

        from ..genome import Genome, OverlapWarning

        if self._genome is None or not self._genome.isopen:
            self._genome = Genome(self.path)
        from ..errors import GenomedataDirtyWarning

        with warnings.catch_warnings():
            # sequence does not depend on the (stale) statistics a dirty flag is about
            warnings.simplefilter("ignore", OverlapWarning)
            warnings.simplefilter("ignore", GenomedataDirtyWarning)
            try:
                return self._genome[chrom].seq[lo:hi]
            except GenomedataError as exc:
                raise GenomedataError(f"{self.path}: no stored sequence to read ({exc})") \
                    from None

    def digest(self) -> str:
        return file_digest(self.path).hexdigest()


def _is_archive(path) -> bool:
    from ..store import detect_layout

    try:
        return detect_layout(os.fspath(path)) in ("file", "dir")
    except GenomedataError:
        return False


class Bioseq(Dataset):
    """One-hot sequence dataset (Janggu's ``Bioseq``).

    ``ds[idx]`` is int8 ``(regions, binsize + 2 * flank - order + 1, 1,
    len(alphabet) ** order)``; windows holding a letter outside the alphabet
    (``N``) or padding are all-zero.  ``conditions`` are the k-mers in order.
    """

    def __init__(self, name: str, *, gindexer, source, order: int, alphabet: str,
                 chrom_sizes, codes=None) -> None:
        super().__init__(name)
        if not isinstance(order, (int, np.integer)) or order < 1:
            raise GenomedataError(f"order must be a positive integer, not {order!r}")
        self.order = int(order)
        self._alphabet = alphabet
        self._table = _code_table(alphabet)
        self._source = source
        self._codes = codes
        self._chrom_sizes = chrom_sizes
        self._gindexer = gindexer
        self.conditions = ["".join(p) for p in product(sorted(alphabet), repeat=self.order)]
        self.garray = self  # Janggu code reads ds.garray.order
        self._built_on = gindexer
        self._rows = None if gindexer is None else np.arange(len(gindexer))

    def _set_gindexer(self, gindexer) -> None:
        if gindexer is not None and self._codes is not None:
            keys = {(c, int(a), int(b)): i for i, (c, a, b) in enumerate(zip(
                self._built_on.chrs.tolist(), self._built_on.starts.tolist(),
                self._built_on.ends.tolist()))}
            rows = np.empty(len(gindexer), np.int64)
            for i, key in enumerate(zip(gindexer.chrs.tolist(), gindexer.starts.tolist(),
                                        gindexer.ends.tolist())):
                if key not in keys:
                    raise GenomedataError(
                        f"{self.name}: window {key[0]}:{key[1]}-{key[2]} is not among the "
                        "stored regions (use storage='hdf5' to view other regions)")
                rows[i] = keys[key]
            self._rows = rows
        elif gindexer is not None:
            missing = set(np.unique(gindexer.chrs.astype(str)).tolist()) - set(self._chrom_sizes)
            if missing:
                raise ChromosomeNotFoundError(f"{self.name}: no sequence for {sorted(missing)}")
        self._gindexer = gindexer

    @property
    def shape(self) -> tuple:
        return (len(self), self._length() - self.order + 1, 1,
                len(self._alphabet) ** self.order)

    @property
    def storage(self) -> str:
        return "ndarray" if self._codes is not None else "hdf5"

    def _length(self) -> int:
        gi = self.gindexer
        return gi.binsize + 2 * gi.flank

    def _cut_codes(self, rows: np.ndarray) -> np.ndarray:
        gi = self.gindexer
        length = self._length()
        out = np.full((len(rows), length), -1, dtype=np.int8)
        names = gi.chrs[rows].astype(str)
        for chrom in np.unique(names).tolist():
            sel = np.flatnonzero(names == chrom)
            s, e = gi.starts[rows][sel], gi.ends[rows][sel]
            full = s - gi.flank
            win = Windows(full, np.maximum(full, 0),
                          np.maximum(np.minimum(e + gi.flank, self._chrom_sizes[chrom]),
                                     np.maximum(full, 0)), length)
            table = self._table

            def read(a, b, c=chrom):
                return table[np.asarray(self._source.read(c, a, b), dtype=np.uint8)][:, None]

            out[sel] = cut_windows(read, win, 1, resolution=1, collapser=Collapser("max"),
                                   strands=1, dtype=np.int8, pad_value=-1)[:, :, 0]
        return out

    def _get(self, idx: np.ndarray) -> np.ndarray:
        gi = self.gindexer
        rows = gi.order(idx)
        codes = self._codes[self._rows[rows]] if self._codes is not None \
            else self._cut_codes(rows)
        codes = codes.astype(np.int16)
        minus = np.flatnonzero(gi.strand[rows] == "-")
        if len(minus):
            if len(self._alphabet) != 4:
                raise GenomedataError("reverse complement needs a DNA alphabet")
            rc = codes[minus, ::-1]
            codes[minus] = np.where(rc >= 0, 3 - rc, -1)
        k = self.order
        nletters = len(self._alphabet)
        if k > 1:
            n = codes.shape[1] - k + 1
            kmer = np.zeros((len(codes), n), np.int64)
            bad = np.zeros((len(codes), n), bool)
            for i in range(k):
                part = codes[:, i:i + n]
                kmer = kmer * nletters + part
                bad |= part < 0
            kmer[bad] = -1
        else:
            kmer = codes
        onehot = np.zeros(kmer.shape + (1, nletters ** k), dtype=np.int8)
        r, c = np.nonzero(kmer >= 0)
        onehot[r, c, 0, kmer[r, c]] = 1
        return onehot

    # -- constructors ---------------------------------------------------------------
    @classmethod
    def create_from_refgenome(cls, name: str, refgenome, roi=None, binsize=None,
                              stepsize=None, flank: int = 0, order: int = 1,
                              storage: str = "ndarray", datatags=None, cache: bool = False,
                              overwrite: bool = False, random_state=None,
                              store_whole_genome: bool = False, verbose: bool = False
                              ) -> "Bioseq":
        """One-hot DNA of ROI windows from a FASTA file or an archive's stored sequence.

        Parameters
        ----------
        refgenome : FASTA path (plain or gzip) or a Genomedata archive holding sequence.
        roi, binsize, stepsize, flank, random_state : as :meth:`Cover.create_from_bigwig`.
        order : k of the one-hot k-mers (4**k columns).
        storage : ``"ndarray"`` (codes in memory) or ``"hdf5"`` (read lazily from
            an archive: the given one, or one made from the FASTA with
            ``load_seq`` in the cache folder).
        cache : with a FASTA, keep the archive made from it and reuse it.
        """
        if storage not in ("ndarray", "hdf5"):
            raise GenomedataError("Bioseq storage must be 'ndarray' or 'hdf5'")
        if roi is None:
            raise GenomedataError("give roi=... (Bioseq keeps the windows of a ROI)")
        regs = read_regions(roi)
        gindexer = GenomicIndexer.create_from_file(regs, binsize, stepsize, flank,
                                                   random_state=random_state)
        path = os.fspath(refgenome)
        if not os.path.exists(path):
            raise NotAnArchiveError(f"{path}: reference genome does not exist")
        if _is_archive(path):
            source = _ArchiveSeq(path)
        elif storage == "hdf5" or cache:
            import warnings

            from ..writer import close_data, load_seq

            target = cache_path(name, ["fasta", file_digest(path).hexdigest()])
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(target.name + f".tmp{os.getpid()}")
                load_seq(tmp, [path], mode="file")
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    close_data(tmp)  # a clean archive: no dirty warnings on every read
                os.replace(tmp, target)
            source = _ArchiveSeq(target)
        else:
            source = _FastaSeq(path, set(np.unique(regs.chrom).tolist()))
        check_roi(regs.chrom, regs.end, source.chrom_sizes, path, regs)
        ds = cls(name, gindexer=gindexer, source=source, order=order, alphabet=DNA,
                 chrom_sizes=source.chrom_sizes)
        if storage == "ndarray":
            ds._codes = ds._cut_codes(np.arange(len(gindexer)))
            ds._source = None
            ds._rows = np.arange(len(gindexer))
        return ds

    @classmethod
    def create_from_seq(cls, name: str, fastafile, storage: str = "ndarray",
                        seqtype: str = "dna", order: int = 1, fixedlen=None, datatags=None,
                        cache: bool = False, overwrite: bool = False, verbose: bool = False
                        ) -> "Bioseq":
        """One-hot of the sequences of FASTA file(s), one region per sequence.

        Parameters
        ----------
        fastafile : a FASTA path or a list of them.
        seqtype : ``"dna"`` (ACGT) or ``"protein"`` (20 amino acids).
        fixedlen : truncate or pad every sequence to this length; None: all
            sequences must have the same length.
        """
        from ..parsers import read_fasta

        if storage != "ndarray":
            raise GenomedataError("Bioseq.create_from_seq keeps sequences in memory "
                                  "(storage='ndarray')")
        if seqtype not in ("dna", "protein"):
            raise GenomedataError(f"seqtype must be 'dna' or 'protein', not {seqtype!r}")
        files = [fastafile] if isinstance(fastafile, (str, os.PathLike)) else list(fastafile)
        ids, seqs = [], []
        for f in files:
            if not os.path.exists(f):
                raise NotAnArchiveError(f"{f}: FASTA file does not exist")
            for rec in read_fasta(f, gap_length=1 << 62):
                ids.append(rec.name)
                seqs.append(rec.seq)
        if len(set(ids)) != len(ids):
            raise GenomedataError("sequence names must be unique")
        lengths = np.array([len(s) for s in seqs])
        if fixedlen is None:
            if len(set(lengths.tolist())) > 1:
                raise GenomedataError(f"sequences differ in length ({lengths.min()}-"
                                      f"{lengths.max()}): give fixedlen=...")
            fixedlen = int(lengths[0])
        alphabet = DNA if seqtype == "dna" else PROTEIN
        table = _code_table(alphabet)
        codes = np.full((len(seqs), fixedlen), -1, dtype=np.int8)
        for i, s in enumerate(seqs):
            codes[i, :min(len(s), fixedlen)] = table[s[:fixedlen]]
        gindexer = GenomicIndexer(fixedlen, 1, 0, zero_padding=False)
        gindexer.chrs = np.array(ids, dtype=object)
        gindexer.starts = np.zeros(len(ids), np.int64)
        gindexer.ends = np.full(len(ids), fixedlen, np.int64)
        gindexer.strand = np.full(len(ids), ".", dtype="<U1")
        return cls(name, gindexer=gindexer, source=None, order=order, alphabet=alphabet,
                   chrom_sizes=dict(zip(ids, lengths.tolist())), codes=codes)

    def to_xarray(self):
        """``xarray.DataArray`` ``(region, position, strand, condition)`` of the one-hot."""
        import xarray as xr

        data = self[:]
        return xr.DataArray(data, dims=("region", "position", "strand", "condition"),
                            coords={**self._region_coords(), "strand": ["."],
                                    "condition": self.conditions}, name=self.name)
