"""The read API over a bigWig file (pyBigWig): one track named after the file stem.

Each chromosome is one supercontig ``[0, length)``; positions without data read
as NaN.  Shapes follow the archive API (``chrom[a:b]`` is ``(b - a, 1)``), so
code written for archives works on bigWig files unchanged.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from . import format as fmt
from .errors import ChromosomeNotFoundError, NotAnArchiveError, UnsupportedError
from .genome import Chromosome, Supercontig
from .store import ChromLayout

_LOCK = threading.RLock()  # a pyBigWig handle is not thread-safe


def _open(path: str):
    try:
        import pyBigWig
    except ImportError as exc:  # pragma: no cover - pyBigWig is a core dependency
        raise ImportError("reading bigWig files needs pyBigWig: pip install pyBigWig") from exc
    bw = pyBigWig.open(path)
    if bw is None or not bw.isBigWig():
        if bw is not None:
            bw.close()
        raise NotAnArchiveError(f"{path}: not a readable bigWig file")
    return bw


class BigWigFile:
    """Picklable owner of one pyBigWig handle (reopened per process)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)
        self._bw = None
        self._pid: int | None = None
        with _LOCK:
            bw = self.acquire()
            self.chroms: dict[str, int] = dict(bw.chroms())
            self.header: dict = dict(bw.header())

    def acquire(self):
        if self._bw is None or self._pid != os.getpid():
            self._bw, self._pid = _open(self.path), os.getpid()
        return self._bw

    def values(self, chrom: str, start: int, end: int) -> np.ndarray:
        """float32 values of ``[start, end)``, NaN where there is no data or past the end."""
        out = np.full(max(0, end - start), np.nan, dtype=fmt.CONTINUOUS_DTYPE)
        length = self.chroms.get(chrom, 0)
        hi = min(end, length)
        if hi > start:
            with _LOCK:
                vals = self.acquire().values(chrom, start, hi, numpy=True)
            out[: hi - start] = vals
        return out

    def intervals(self, chrom: str, start: int | None = None, end: int | None = None):
        with _LOCK:
            bw = self.acquire()
            if start is None:
                return bw.intervals(chrom) or ()
            return bw.intervals(chrom, start, end) or ()

    def stats(self, chrom: str, kind: str) -> float:
        with _LOCK:
            value = self.acquire().stats(chrom, type=kind, exact=True)[0]
        return np.nan if value is None else float(value)

    def close(self) -> None:
        if self._bw is not None and self._pid == os.getpid():
            with _LOCK:
                self._bw.close()
        self._bw = None

    def __getstate__(self) -> dict:
        return {"path": self.path, "chroms": self.chroms, "header": self.header}

    def __setstate__(self, state: dict) -> None:
        self.path, self.chroms, self.header = state["path"], state["chroms"], state["header"]
        self._bw, self._pid = None, None


class BigWigSource:
    """What :class:`gdxarray.genome.Genome` needs of a bigWig file."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)
        self.file = BigWigFile(path)
        self.trackname = Path(self.path).name.split(".")[0] or Path(self.path).stem

    def chrom_names(self) -> list[str]:
        return sorted(self.file.chroms)

    def chromosome(self, genome, name: str):
        if name not in self.file.chroms:
            raise ChromosomeNotFoundError(f"Could not find chromosome: {name}")
        length = int(self.file.chroms[name])
        layout = ChromLayout(name, 0, length, np.array([0], dtype=np.int64),
                             np.array([length], dtype=np.int64), ["supercontig_0"], None, "")
        return BigWigChromosome(genome, layout, self)

    def stat(self, name: str) -> np.ndarray:
        h = self.file.header
        value = {"mins": h["minVal"], "maxs": h["maxVal"], "sums": h["sumData"],
                 "sums_squares": h["sumSquared"], "num_datapoints": h["nBasesCovered"]}[name]
        return np.array([value], dtype=np.int64 if name == "num_datapoints" else np.float64)

    def close(self) -> None:
        self.file.close()


class _BigWigContinuous:
    """Array-like stand-in for a supercontig's ``continuous`` EArray."""

    def __init__(self, source: BigWigSource, chrom: str, length: int) -> None:
        self._source, self._chrom = source, chrom
        self.shape = (length, 1)
        self.dtype = fmt.CONTINUOUS_DTYPE

    def __getitem__(self, key):
        rows, cols = key if isinstance(key, tuple) else (key, slice(None))
        if isinstance(rows, (int, np.integer)):
            data = self._source.file.values(self._chrom, int(rows), int(rows) + 1)[:, None][0]
        else:
            start, stop, _ = rows.indices(self.shape[0])
            data = self._source.file.values(self._chrom, start, stop)[:, None]
        return data[..., cols]

    def read(self) -> np.ndarray:
        return self[0:self.shape[0]]


class _BigWigSupercontig(Supercontig):
    @property
    def continuous(self):
        chrom = self._chromosome
        return _BigWigContinuous(chrom._source, chrom.name, chrom.end)

    @property
    def seq(self):
        raise UnsupportedError("a bigWig file has no sequence")

    @property
    def attrs(self):
        return {"start": self.start, "end": self.end}


class BigWigChromosome(Chromosome):
    """A chromosome of a bigWig file: one track, one supercontig ``[0, length)``."""

    def __init__(self, genome, layout, source: BigWigSource) -> None:
        super().__init__(genome, layout)
        self._source = source

    def __iter__(self):
        return iter([_BigWigSupercontig(self, 0)])

    @property
    def filename(self) -> str:
        return self._source.path

    def _read(self, start, end, cols, out=None):
        vals = self._source.file.values(self.name, start, end)
        if out is None:
            return np.repeat(vals[:, None], len(cols), axis=1)
        out[...] = vals[:, None]
        return out

    def _read_seq(self, start, end):
        raise UnsupportedError("a bigWig file has no sequence")

    @property
    def attrs(self):
        return {"start": self.start, "end": self.end}

    @property
    def dirty(self) -> bool:
        return False

    @property
    def incomplete_tracks(self) -> list[str]:
        return []

    def _stat(self, name: str) -> np.ndarray:
        f = self._source.file
        if name == "num_datapoints":
            covered = sum(e - s for s, e, _ in f.intervals(self.name))
            return np.array([covered], dtype=np.int64)
        if name == "sums_squares":
            total = 0.0
            for s, e, v in f.intervals(self.name):
                total += (e - s) * float(v) * float(v)
            return np.array([total])
        kind = {"mins": "min", "maxs": "max", "sums": "sum"}[name]
        value = f.stats(self.name, kind)
        if name == "sums":
            value = 0.0 if np.isnan(value) else value
        elif np.isnan(value):
            value = np.inf if name == "mins" else -np.inf
        return np.array([value])


__all__ = ["BigWigChromosome", "BigWigFile", "BigWigSource"]
