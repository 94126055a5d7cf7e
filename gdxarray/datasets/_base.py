"""What Cover and Bioseq share: indexing, batches, pickling and the xarray face.

Owns the dataset protocol Janggu users rely on (``len``, ``ds[i]``,
``ds[i:j]``, ``ds[[i, j]]`` as numpy arrays, ``shape``, ``conditions``,
``gindexer``) and the framework-neutral loader: :meth:`Dataset.batches` and
:func:`batch_order`, whose shuffled order keeps the regions of one archive
chunk (10 kb) together, so a lazily backed dataset decodes each chunk about
once per epoch.  A dataset holds paths and arrays, never open files, so it
pickles into loader worker processes (``torch.utils.data.DataLoader`` with
``num_workers > 0``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Iterator, Sequence

import numpy as np

from .. import format as fmt
from ..errors import GenomedataError
from .gindexer import GenomicIndexer

__all__ = ["Dataset", "batch_order", "batches"]


def _as_index(idxs, n: int) -> np.ndarray:
    if isinstance(idxs, (int, np.integer)) and not isinstance(idxs, bool):
        return np.array([int(idxs)])
    if isinstance(idxs, slice):
        return np.arange(n)[idxs]
    arr = np.asarray(idxs)
    if arr.dtype == bool:
        if len(arr) != n:
            raise IndexError(f"boolean index of length {len(arr)} for {n} regions")
        return np.flatnonzero(arr)
    if arr.ndim != 1 or (len(arr) and not np.issubdtype(arr.dtype, np.integer)):
        raise IndexError(f"cannot index a dataset with {idxs!r} (use an int, a slice or a "
                         "list of ints)")
    return arr.astype(np.int64)


def batch_order(gindexer: GenomicIndexer, *, shuffle: bool = True, seed=None,
                chunk: int = fmt.CONTINUOUS_CHUNK_SHAPE[0]) -> np.ndarray:
    """Dataset indices in batch order.

    Without shuffling: ``0 .. n-1``.  With shuffling: regions are grouped by
    chromosome and ``start // chunk`` (the archive chunk holding their start),
    the groups are shuffled and so are the regions inside each group, so
    neighbours stay within one or two consecutive batches.
    """
    n = len(gindexer)
    if not shuffle:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    rows = gindexer.order(np.arange(n))
    chrom_codes = np.unique(gindexer.chrs[rows].astype(str), return_inverse=True)[1]
    block = gindexer.starts[rows] // chunk
    keys = chrom_codes.astype(np.int64) * (int(block.max()) + 1 if n else 1) + block
    group_ids, group = np.unique(keys, return_inverse=True)
    group_rank = rng.permutation(len(group_ids))[group]
    within = rng.random(n)
    return np.lexsort((within, group_rank))


def batches(datasets: Sequence["Dataset"], batch_size: int, *, shuffle: bool = True,
            seed=None, drop_last: bool = False, threads: int = 0) -> Iterator[tuple]:
    """Yield tuples of aligned numpy batches of several datasets over the same regions.

    Parameters
    ----------
    datasets : datasets of equal length (e.g. DNA inputs and signal labels).
    batch_size : regions per batch.
    shuffle, seed : random order (grouped by archive chunk) from ``seed``.
    drop_last : drop a last batch shorter than *batch_size*.
    threads : read this many batches ahead in worker threads (0: none).
    """
    datasets = list(datasets)
    n = len(datasets[0])
    for ds in datasets[1:]:
        if len(ds) != n:
            raise GenomedataError(f"datasets differ in length ({n} and {len(ds)} regions)")
    order = batch_order(datasets[0].gindexer, shuffle=shuffle, seed=seed)
    stops = list(range(0, n, batch_size))
    if drop_last and n % batch_size:
        stops = stops[:-1]

    def load(start: int) -> tuple:
        idx = order[start:start + batch_size]
        return tuple(ds[idx] for ds in datasets)

    if threads <= 0:
        for start in stops:
            yield load(start)
        return
    with ThreadPoolExecutor(threads) as pool:
        pending = [pool.submit(load, s) for s in stops[:threads + 1]]
        nxt = threads + 1
        while pending:
            batch = pending.pop(0).result()
            if nxt < len(stops):
                pending.append(pool.submit(load, stops[nxt]))
                nxt += 1
            yield batch


class Dataset:
    """Base of :class:`Cover` and :class:`Bioseq` (Janggu's ``Dataset``)."""

    _gindexer: GenomicIndexer | None = None

    def __init__(self, name: str) -> None:
        if not isinstance(name, str):
            raise GenomedataError(f"dataset name must be a string, not {name!r}")
        self.name = name

    # -- Janggu's protocol ----------------------------------------------------
    @property
    def gindexer(self) -> GenomicIndexer:
        if self._gindexer is None:
            raise GenomedataError(f"{self.name}: no GenomicIndexer (give roi=... or set "
                                  "dataset.gindexer)")
        return self._gindexer

    @gindexer.setter
    def gindexer(self, gindexer: GenomicIndexer | None) -> None:
        self._set_gindexer(gindexer)

    def _set_gindexer(self, gindexer) -> None:
        self._gindexer = gindexer

    def __len__(self) -> int:
        return len(self.gindexer)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __getitem__(self, idxs) -> np.ndarray:
        idx = _as_index(idxs, len(self))
        return self._get(idx)

    def _get(self, idx: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- loaders ----------------------------------------------------------------
    def batches(self, batch_size: int = 32, *, shuffle: bool = True, seed=None,
                drop_last: bool = False, threads: int = 0) -> Iterator[np.ndarray]:
        """Yield numpy batches ``(batch, ...)`` (see :func:`batches` for the order).

        Examples
        --------
        >>> for x in cover.batches(64, seed=0):   # doctest: +SKIP
        ...     model.train_on_batch(x)
        """
        for (batch,) in batches([self], batch_size, shuffle=shuffle, seed=seed,
                                drop_last=drop_last, threads=threads):
            yield batch

    def batch_sampler(self, batch_size: int = 32, *, shuffle: bool = True, seed=None,
                      drop_last: bool = False) -> list[np.ndarray]:
        """Index batches for ``DataLoader(ds, sampler=..., batch_size=None)`` (one epoch)."""
        order = batch_order(self.gindexer, shuffle=shuffle, seed=seed)
        out = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
        if drop_last and out and len(out[-1]) < batch_size:
            out.pop()
        return out

    # -- pickling ----------------------------------------------------------------
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        for key in ("_thread_local",):
            state.pop(key, None)
        return state

    # -- xarray ------------------------------------------------------------------
    def _region_coords(self) -> dict:
        gi = self.gindexer
        rows = gi.order(np.arange(len(gi)))
        s, e = gi.flanked(rows)
        return {"chrom": ("region", gi.chrs[rows].astype(str)), "start": ("region", s),
                "end": ("region", e),
                # "strand" names the strand axis, so the windows' own strand is region_strand
                "region_strand": ("region", gi.strand[rows].astype(str))}

    def __repr__(self) -> str:
        n = len(self._gindexer) if self._gindexer is not None else "no"
        return f"{type(self).__name__}({self.name!r}, {n} regions)"
