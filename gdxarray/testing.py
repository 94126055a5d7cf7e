"""Tiny archives for tests, written straight with PyTables.

:func:`make_genome` does not go through gdxarray's loaders, so tests of the
loaders, the reader and the xarray backend can compare against an archive
built independently, with known values.

>>> import numpy as np, tempfile, pathlib
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> path, truth = make_genome(tmp / "g.genomedata", chroms={"chr1": 30_000},
...                           gaps={"chr1": [(10_000, 12_000)]}, tracks=["a", "b"])
>>> from gdxarray import Genome
>>> with Genome(path) as g:
...     np.testing.assert_array_equal(g["chr1"][0:100, "a"], truth["chr1"][0:100, 0])
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import tables

from . import format as fmt
from .store import ChromLayout, write_index


def _supercontigs(length: int, gaps) -> list[tuple[int, int]]:
    bounds, pos = [], 0
    for g0, g1 in sorted(gaps):
        if g0 > pos:
            bounds.append((pos, g0))
        pos = max(pos, g1)
    if pos < length:
        bounds.append((pos, length))
    return bounds


def make_genome(path: str | os.PathLike, *, chroms: dict[str, int] | None = None,
                tracks=("signal",), gaps: dict[str, list[tuple[int, int]]] | None = None,
                layout: str = "file", seed: int = 0, seq: bool = True, nan_fraction: float = 0.2,
                closed: bool = True, chunk_rows: int = fmt.CONTINUOUS_CHUNK_SHAPE[0],
                index: bool = True, filters: tables.Filters | None = None
                ) -> tuple[Path, dict[str, np.ndarray]]:
    """Write a small archive with random signal; return ``(path, truth)``.

    ``truth[chrom]`` is the full ``(length, ntracks)`` float32 matrix as it must
    read back (NaN in gaps and at ``nan_fraction`` of the other positions);
    ``truth[chrom + ":seq"]`` the uint8 sequence (``N`` in gaps).  Statistics
    are written as close-data would (``closed=True``) or left dirty.
    *filters* overrides the format's zlib + shuffle for ``continuous`` (e.g. the
    deflate-only arrays ``h5repack -f GZIP=1`` leaves).
    """
    chroms = chroms or {"chr1": 50_000, "chr2": 20_000}
    gaps = gaps or {}
    tracks = list(tracks)
    rng = np.random.default_rng(seed)
    path = Path(path)
    truth: dict[str, np.ndarray] = {}
    files: dict[str, tables.File] = {}
    if layout == "dir":
        path.mkdir(parents=True, exist_ok=True)
    else:
        files[""] = tables.open_file(str(path), "w")
    layouts = []
    try:
        for name, length in chroms.items():
            if layout == "dir":
                h5 = files[name] = tables.open_file(str(path / f"{name}{fmt.SUFFIX}"), "w")
                group = h5.root
            else:
                h5 = files[""]
                group = h5.create_group("/", name, filters=fmt.FILTERS)
            root_attrs = h5.root._v_attrs
            root_attrs[fmt.ATTR_FORMAT_VERSION] = fmt.FORMAT_VERSION
            if tracks:
                root_attrs[fmt.ATTR_TRACKNAMES] = np.array([t.encode() for t in tracks])
            attrs = group._v_attrs
            attrs[fmt.ATTR_START] = np.uint32(0)
            attrs[fmt.ATTR_END] = np.uint32(length)
            data = rng.normal(size=(length, len(tracks))).astype(np.float32)
            data[rng.random(data.shape) < nan_fraction] = np.nan
            sequence = rng.choice(np.frombuffer(b"ACGTacgtN", np.uint8), size=length)
            scs = _supercontigs(length, gaps.get(name, []))
            in_sc = np.zeros(length, bool)
            for i, (s0, s1) in enumerate(scs):
                in_sc[s0:s1] = True
                sc = h5.create_group(group, fmt.SUPERCONTIG_NAME_FMT % i, filters=fmt.FILTERS)
                sc._v_attrs[fmt.ATTR_START] = np.uint32(s0)
                sc._v_attrs[fmt.ATTR_END] = np.uint32(s1)
                if seq:
                    h5.create_carray(sc, fmt.NODE_SEQ, fmt.SEQ_ATOM, (s1 - s0,),
                                     filters=fmt.FILTERS, obj=sequence[s0:s1])
                if tracks:
                    arr = h5.create_earray(sc, fmt.NODE_CONTINUOUS, fmt.CONTINUOUS_ATOM,
                                           (s1 - s0, 0), chunkshape=(chunk_rows, 1),
                                           filters=filters or fmt.FILTERS)
                    arr.truncate(len(tracks))
                    arr[:, :] = data[s0:s1]
            data[~in_sc] = np.nan
            sequence = sequence.copy()
            sequence[~in_sc] = fmt.SEQ_GAP
            truth[name] = data
            truth[name + ":seq"] = sequence
            attrs[fmt.ATTR_DIRTY] = not closed
            if closed and tracks:
                finite = np.isfinite(data)
                attrs["mins"] = np.where(finite.any(0), np.nanmin(np.where(finite, data, np.inf), 0), np.inf).astype(np.float64)
                attrs["maxs"] = np.where(finite.any(0), np.nanmax(np.where(finite, data, -np.inf), 0), -np.inf).astype(np.float64)
                attrs["sums"] = np.where(finite, data, 0).astype(np.float64).sum(0)
                attrs["sums_squares"] = np.square(np.where(finite, data, 0).astype(np.float64)).sum(0)
                attrs["num_datapoints"] = finite.sum(0).astype(np.int64)
            layouts.append(ChromLayout(name, 0, length,
                                       np.array([s for s, _ in scs], np.int64),
                                       np.array([e for _, e in scs], np.int64),
                                       [fmt.SUPERCONTIG_NAME_FMT % i for i in range(len(scs))],
                                       None, f"/{name}"))
        if layout == "file" and index:
            write_index(files[""], layouts)
    finally:
        for h5 in files.values():
            h5.close()
    return path, truth


__all__ = ["make_genome"]
