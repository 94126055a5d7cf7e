"""examples/train_regions.py end to end on its generated input (numpy model)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pyBigWig
import pytest

pytest.importorskip("matplotlib", reason="matplotlib is not installed")

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "train_regions.py"


def _load():
    spec = importlib.util.spec_from_file_location("train_regions", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_train_regions_example(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.setenv("GDXARRAY_OUTPUT", str(tmp_path / "cache"))
    mod = _load()
    res = mod.main([str(tmp_path / "out")])
    # the signal follows GC content, so the held-out chromosome is predicted well
    assert res["correlation"] > 0.9
    assert res["png"].stat().st_size > 5000
    (bw_path,) = res["bigwigs"]
    pred = res["predictions"]
    gi = res["predicted"].gindexer
    rows = gi.order(np.arange(len(gi)))
    with pyBigWig.open(bw_path) as bw:
        assert bw.chroms() == {"chr2": 100_000}  # the chromosomes it has windows on
        for i in (0, 7, len(gi) - 1):
            s = int(gi.starts[rows[i]])
            got = np.array(bw.values("chr2", s, s + 200)).reshape(4, 50)
            np.testing.assert_allclose(got, np.repeat(pred[i][:, None], 50, axis=1),
                                       rtol=1e-5)
    # the truth side: the archive's signal over the first test window, 50 bp means
    from gdxarray import Genome

    with Genome(res["archive"]) as genome:
        raw = genome["chr2"][0:200, "signal"]
    np.testing.assert_allclose(res["predicted"].interval_values("chr2", 0, 200)[:, 0, 0],
                               np.repeat(pred[0], 50), rtol=1e-5)
    assert np.corrcoef(raw.reshape(4, 50).mean(1), pred[0])[0, 1] > 0
