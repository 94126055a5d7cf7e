"""Helpers shared by the parser tests (tests/test_parsers_*.py)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from gdxarray.errors import ParseError
from gdxarray.parsers import IntervalBlock, read_track


def write(tmp_path: Path, name: str, data: bytes | str, *, gz: bool = False) -> Path:
    path = tmp_path / name
    raw = data.encode() if isinstance(data, str) else data
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def intervals(source, **kwargs) -> list[tuple[str, int, int, float, int]]:
    """All intervals of read_track as (chrom, start, end, value, line) tuples."""
    out = []
    for block in read_track(source, **kwargs):
        assert isinstance(block, IntervalBlock)
        out.extend(_rows(block))
    return out


def _rows(block: IntervalBlock) -> list[tuple[str, int, int, float, int]]:
    assert len(block) > 0
    assert block.starts.dtype == np.int64 and block.ends.dtype == np.int64
    assert block.values.dtype == np.float32 and block.lines.dtype == np.int64
    assert len(block.starts) == len(block.ends) == len(block.values) == len(block.lines)
    return [(block.chrom, s, e, v, ln) for s, e, v, ln in
            zip(block.starts.tolist(), block.ends.tolist(), block.values.tolist(),
                block.lines.tolist())]


def concat(blocks) -> dict[str, np.ndarray]:
    """Per chromosome (in first-seen order): an (n, 4) float64 array start, end, value, line."""
    out: dict[str, list] = {}
    for b in blocks:
        out.setdefault(b.chrom, []).append(
            np.stack([b.starts, b.ends, b.values.astype(np.float64), b.lines], axis=1))
    return {k: np.concatenate(v) for k, v in out.items()}


def f32(token: str) -> float:
    """What C strtof gives: the float32 nearest to the decimal (inf beyond float32)."""
    with np.errstate(over="ignore"):
        return float(np.float32(float(token)))


def raises_at(line: int | None, match: str):
    """pytest.raises(ParseError) that also checks the error's line."""
    class _Check:
        def __enter__(self):
            self._cm = pytest.raises(ParseError, match=match)
            self.info = self._cm.__enter__()
            return self.info

        def __exit__(self, *exc):
            result = self._cm.__exit__(*exc)
            assert self.info.value.line == line, str(self.info.value)
            return result
    return _Check()


