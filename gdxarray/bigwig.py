"""bigWig files as a signal source (pyBigWig): one track named after the file stem.

:class:`BigWigSource` has the methods of :class:`gdxarray.source.ArchiveSource`,
so ``Genome``, ``Chromosome`` and the xarray backend read a bigWig file through
the same code as an archive.  Each chromosome is one supercontig
``[0, length)``; positions without data read as NaN.  Shapes follow the archive
API (``chrom[a:b]`` is ``(b - a, 1)``), so code written for archives works on
bigWig files unchanged.

May import: store (layout types), format, errors.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from . import format as fmt
from .errors import ChromosomeNotFoundError, NotAnArchiveError, UnsupportedError
from .store import ChromLayout, LayoutTable

_LOCK = threading.RLock()  # a pyBigWig handle is not thread-safe

#: Read-block (and preferred-chunk) length along ``position`` for bigWig files,
#: which have no storage chunks of their own.
BIGWIG_BLOCK = 1_000_000


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
    """A bigWig file: one track named after the file stem, one supercontig per chromosome."""

    kind = "bigwig"
    layout_kind = "bigwig"
    mode = "r"
    writable = False

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = str(Path(os.path.expanduser(os.fspath(path))).resolve())
        self.file = BigWigFile(self.path)
        self._given = os.fspath(path)
        self._layouts: dict[str, ChromLayout] = {}

    def __getstate__(self) -> dict:
        return {"path": self.path, "file": self.file, "given": self._given}

    def __setstate__(self, state: dict) -> None:
        self.path, self.file, self._given = state["path"], state["file"], state["given"]
        self._layouts = {}

    @property
    def trackname(self) -> str:
        return Path(self.path).name.split(".")[0] or Path(self.path).stem

    def require_writable(self, what: str):
        raise UnsupportedError(f"bigWig files are read-only: cannot {what}")

    # -- names and layout ---------------------------------------------------------
    def chrom_names(self) -> list[str]:
        return sorted(self.file.chroms)

    def has_chrom(self, name) -> bool:
        return name in self.file.chroms

    def chrom(self, name: str) -> ChromLayout:
        layout = self._layouts.get(name)
        if layout is None:
            if name not in self.file.chroms:
                raise ChromosomeNotFoundError(f"Could not find chromosome: {name}")
            length = int(self.file.chroms[name])
            layout = self._layouts[name] = ChromLayout(
                name, 0, length, np.array([0], dtype=np.int64), np.array([length], dtype=np.int64),
                [fmt.SUPERCONTIG_NAME_FMT % 0], None, "")
        return layout

    def chrom_sizes(self) -> dict[str, int]:
        return {name: int(self.file.chroms[name]) for name in sorted(self.file.chroms)}

    def layout_table(self) -> LayoutTable:
        sizes = self.chrom_sizes()
        lengths = np.array(list(sizes.values()), dtype=np.int64)
        return LayoutTable(list(sizes), lengths, np.arange(lengths.size), np.zeros_like(lengths),
                           lengths.copy(), np.zeros_like(lengths))

    def filename(self, name: str) -> str:
        return self._given

    def tracknames(self) -> list[str]:
        return [self.trackname]

    def track_alias(self, trackname) -> int | None:
        """The reference names a bigWig's one track by the file's path."""
        try:
            given = os.fspath(trackname)
        except TypeError:
            return None
        return 0 if given in (self._given, self.path, os.path.abspath(self._given)) else None

    def format_version(self) -> None:
        return None

    def check_readable(self) -> None:
        return None

    def chunk_rows(self) -> int:
        return BIGWIG_BLOCK

    def has_seq(self) -> bool:
        return False

    # -- reads -------------------------------------------------------------------------
    def read_continuous(self, name: str, start: int, end: int, cols, ntracks: int,
                        out: np.ndarray | None = None) -> np.ndarray:
        vals = self.file.values(name, start, end)
        ncols = len(range(ntracks)[cols]) if isinstance(cols, slice) else len(cols)
        if out is None:
            return np.repeat(vals[:, None], ncols, axis=1)
        out[...] = vals[:, None]
        return out

    def read_seq(self, name: str, start: int, end: int) -> np.ndarray:
        raise UnsupportedError("a bigWig file has no sequence")

    def continuous_array(self, name: str, i: int) -> _BigWigNode:
        return _BigWigNode(int(self.file.chroms[name]))

    def seq_array(self, name: str, i: int):
        raise UnsupportedError("a bigWig file has no sequence")

    # -- attributes, state and statistics ---------------------------------------------
    def chrom_attrs(self, name: str) -> dict:
        layout = self.chrom(name)
        return {"start": layout.start, "end": layout.end}

    def supercontig_attrs(self, name: str, i: int) -> dict:
        return self.chrom_attrs(name)

    def is_dirty(self, name: str) -> bool:
        return False

    def incomplete_tracks(self, name: str) -> list[str]:
        return []

    def chrom_stats(self, name: str) -> dict[str, np.ndarray]:
        """Exact statistics of one chromosome, from its intervals."""
        ivs = self.file.intervals(name)
        if len(ivs):
            arr = np.asarray(ivs, dtype=np.float64)
            spans, values = arr[:, 1] - arr[:, 0], arr[:, 2]
            ok = np.isfinite(values)
            spans, values = spans[ok], values[ok]
        else:
            spans = values = np.empty(0)
        n = int(spans.sum())
        return {
            "mins": np.array([values.min() if values.size else np.inf]),
            "maxs": np.array([values.max() if values.size else -np.inf]),
            "sums": np.array([float(np.dot(spans, values))]),
            "sums_squares": np.array([float(np.dot(spans, values * values))]),
            "num_datapoints": np.array([n], dtype=np.int64),
        }

    def mark_dirty(self, name: str) -> None:
        raise UnsupportedError("bigWig files are read-only")

    def close(self) -> None:
        self.file.close()


class _BigWigNode:
    """What stands for a supercontig's stored EArray in a bigWig file: its shape.

    ``Supercontig.continuous`` wraps it in a :class:`gdxarray.genome.SupercontigArray`,
    which reads through :meth:`BigWigSource.read_continuous`.
    """

    def __init__(self, length: int) -> None:
        self.shape = (length, 1)

    def __setitem__(self, key, value) -> None:
        raise UnsupportedError("bigWig files are read-only")


__all__ = ["BIGWIG_BLOCK", "BigWigFile", "BigWigSource"]
