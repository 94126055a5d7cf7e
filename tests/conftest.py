"""Shared pytest fixtures: real test files, both archive layouts, the reference package."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

# ---------------------------------------------------------------------------
# Writer fixtures (tests/test_writer*.py): real data, both layouts, and the
# reference genomedata package as an oracle.
# ---------------------------------------------------------------------------

#: The workplace's real test files: ``$GDXARRAY_REALDATA`` or ``../shared/realdata``
#: beside the repository (never copied into it).
REALDATA = Path(os.environ.get("GDXARRAY_REALDATA")
                or Path(__file__).resolve().parents[1].parent / "shared" / "realdata")


@pytest.fixture
def realdata() -> Path:
    """The real test files' folder; skips the test with the reason when it is absent."""
    if not REALDATA.is_dir():
        pytest.skip(f"real test data not found at {REALDATA} "
                    "(set GDXARRAY_REALDATA or put the shared folder beside the repository)")
    return REALDATA


@pytest.fixture(params=["file", "dir"])
def writer_mode(request) -> str:
    """Both archive layouts, with ids "file" and "dir"."""
    return request.param


def _reference():
    return pytest.importorskip("genomedata", reason="the reference genomedata package is needed")


def reference_snapshot(path) -> dict:
    """Everything the reference reader sees in an archive (small archives only)."""
    genomedata = _reference()
    out: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with genomedata.Genome(str(path)) as genome:
            try:
                out["tracknames"] = list(genome.tracknames_continuous or [])
            except AttributeError:  # no track opened yet
                out["tracknames"] = []
            out["format_version"] = genome.format_version
            for chrom in genome:
                info: dict = {"start": int(chrom.start), "end": int(chrom.end),
                              "supercontigs": [(sc.start, sc.end) for sc in chrom]}
                first = next(iter(chrom), None)
                if first is not None and "seq" in first.h5group:
                    info["seq"] = chrom.seq[chrom.start:chrom.end].tobytes()
                if out["tracknames"]:
                    info["data"] = np.asarray(chrom[chrom.start:chrom.end])
                    for stat in ("mins", "maxs", "sums", "sums_squares", "num_datapoints"):
                        info[stat] = np.asarray(getattr(chrom, stat))
                    info["chunks"] = [(np.asarray(sc.attrs.chunk_starts),
                                       np.asarray(sc.attrs.chunk_ends)) for sc in chrom]
                out[chrom.name] = info
    return out


def assert_snapshots_equal(ours: dict, theirs: dict) -> None:
    """Same sequence, signal, tracks, supercontigs and statistics (sums: rtol 1e-6)."""
    assert ours.keys() == theirs.keys()
    assert ours["tracknames"] == theirs["tracknames"]
    for name, a in ours.items():
        if name in ("tracknames", "format_version"):
            assert a == theirs[name]
            continue
        b = theirs[name]
        assert a.keys() == b.keys(), name
        for key in a:
            if key == "data":
                np.testing.assert_array_equal(a[key], b[key], err_msg=name)
            elif key in ("sums", "sums_squares"):
                np.testing.assert_allclose(a[key], b[key], rtol=1e-6, err_msg=name)
            elif key == "chunks":
                for (s1, e1), (s2, e2) in zip(a[key], b[key]):
                    assert s1.dtype == s2.dtype and e1.dtype == e2.dtype, name
                    np.testing.assert_array_equal(s1, s2)
                    np.testing.assert_array_equal(e1, e2)
            elif isinstance(a[key], np.ndarray):
                assert a[key].dtype == b[key].dtype, (name, key)
                np.testing.assert_array_equal(a[key], b[key], err_msg=f"{name} {key}")
            else:
                assert a[key] == b[key], (name, key)


def reference_load_data(archive, trackname: str, datafile) -> None:
    """The reference's C loader (genomedata-load-data) in a subprocess, stdin from a file."""
    _reference()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    code = ("import sys; from genomedata._c_load_data import load_data_from_stdin; "
            "load_data_from_stdin(sys.argv[1], sys.argv[2], False)")
    with open(datafile, "rb") as stdin:
        subprocess.run([sys.executable, "-c", code, str(archive), trackname], stdin=stdin,
                       env=env, check=True)


@pytest.fixture
def reference():
    """Helpers around the reference package: snapshot, compare, load_data."""
    _reference()

    class _Reference:
        snapshot = staticmethod(reference_snapshot)
        assert_equal = staticmethod(assert_snapshots_equal)
        load_data = staticmethod(reference_load_data)

    return _Reference
