"""Where a built dataset lives: in memory, sparse in memory, or in a Genomedata archive.

Owns the three storages of Janggu's ``storage=`` and the cache:

* ``ndarray``: the stacked windows ``(regions, bins, strand, condition)`` in
  genome orientation, normalised once;
* ``sparse``: the same rows kept as CSR (non-zero values and their offsets);
* ``hdf5``: the per-base signal of the windows' merged extent written into a
  Genomedata archive (one track per condition and strand) with the public
  writer (``load_seq`` of a sizes file, ``open_data``, ``write_arrays``,
  ``close_data``) and read back lazily through :class:`gdxarray.Genome`.

``cache=True`` keeps such an archive under ``$GDXARRAY_OUTPUT`` (default
``~/.cache/gdxarray``) named by a SHA256 of the inputs' bytes, the source's
options and the stored extent, and reuses it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np

from ..intervals import expand_ranges

__all__ = ["SparseRows", "cache_dir", "cache_path", "write_archive"]


def cache_dir() -> Path:
    """``$GDXARRAY_OUTPUT``, else ``$XDG_CACHE_HOME/gdxarray``, else ``~/.cache/gdxarray``."""
    env = os.environ.get("GDXARRAY_OUTPUT")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gdxarray"


def cache_path(name: str, parts: list) -> Path:
    """Archive path for a dataset *name* keyed by a SHA256 of *parts* (strings, arrays)."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            h.update(np.ascontiguousarray(part).tobytes())
        else:
            h.update(repr(part).encode())
        h.update(b"\0")
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name) or "dataset"
    return cache_dir() / safe / f"{h.hexdigest()}.genomedata"


def track_names(conditions: list[str], strands: int) -> list[str]:
    if strands == 1:
        return list(conditions)
    return [f"{c}:{s}" for c in conditions for s in "+-"]


def write_archive(path: Path, chrom_sizes: dict[str, int], runs: dict[str, tuple],
                  read, tracks: list[str]) -> None:
    """Write the per-base values of *runs* into a new archive at *path* (atomically).

    *runs* maps chromosome -> (starts, ends); *read(chrom, lo, hi)* gives the
    ``(hi - lo, len(tracks))`` values.  The archive is built next to *path* and
    renamed into place, so an interrupted build never leaves a usable-looking file.
    """
    from ..writer import close_data, load_seq, open_data, write_arrays

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmpdir = Path(tempfile.mkdtemp(prefix=".build-", dir=path.parent))
    try:
        sizes = tmpdir / "chrom.sizes"
        chroms = [c for c in chrom_sizes if c in runs] or list(chrom_sizes)
        sizes.write_text("".join(f"{c}\t{chrom_sizes[c]}\n" for c in chroms))
        tmp = tmpdir / path.name
        load_seq(tmp, [sizes], seqfile_type="sizes", mode="file")
        open_data(tmp, tracks)
        for chrom in chroms:
            starts, ends = runs.get(chrom, (np.zeros(0, int), np.zeros(0, int)))
            pieces = [(int(a), read(chrom, int(a), int(b))) for a, b in zip(starts, ends)]
            for k, track in enumerate(tracks):
                write_arrays(tmp, track, ((chrom, a, v[:, k]) for a, v in pieces))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            close_data(tmp)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


class SparseRows:
    """Rows of a stack as CSR: ``indptr``, flat ``indices`` and ``data`` (Janggu's sparse)."""

    def __init__(self, stack: np.ndarray) -> None:
        self.row_shape = stack.shape[1:]
        self.dtype = stack.dtype
        flat = stack.reshape(len(stack), -1)
        rows, cols = np.nonzero(flat)
        self.indptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=len(stack)))))
        self.indices = cols.astype(np.int32 if flat.shape[1] < 2**31 else np.int64)
        self.data = flat[rows, cols]
        self.nrows = len(stack)

    def __len__(self) -> int:
        return self.nrows

    def take(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, np.int64)
        width = int(np.prod(self.row_shape))
        out = np.zeros((len(rows), width), dtype=self.dtype)
        lo, hi = self.indptr[rows], self.indptr[rows + 1]
        counts = hi - lo
        if counts.sum():
            which, pos = expand_ranges(lo, counts)
            out[which, self.indices[pos]] = self.data[pos]
        return out.reshape((len(rows),) + tuple(self.row_shape))

    @property
    def nbytes(self) -> int:
        return self.indptr.nbytes + self.indices.nbytes + self.data.nbytes
