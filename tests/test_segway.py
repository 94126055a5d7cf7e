"""Segway, the main real client of the format, reads archives through gdxarray.

Segway's own archive-reading code (``segway.run.Runner``: the archive check,
``set_tracknames``, ``subset_metadata``; ``segway.observations``:
``Observations.locate_windows`` from the supercontigs' ``chunk_starts`` /
``chunk_ends`` and ``make_continuous_cells``) runs once under the reference
genomedata (plain ``python``) and once under ``python -m gdxarray.compat``, on
the same archives built by gdxarray; the outputs must be identical.  GMTK (its
training backend) is not needed for any of this.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("genomedata", reason="the reference genomedata package is needed")


def _segway_importable() -> str | None:
    """Why Segway cannot be used, or None.  Checked in a child process: importing
    segway.run sets numpy's print options to legacy="1.13" for the whole
    process, which would change how other tests' floats print."""
    if importlib.util.find_spec("segway") is None:
        return "Segway is not installed (pip install segway)"
    res = subprocess.run([sys.executable, "-c", "import segway.run, segway.observations"],
                         capture_output=True, text=True, timeout=120)
    if res.returncode:
        lines = res.stderr.strip().splitlines() or [f"exit {res.returncode}"]
        return f"Segway cannot be imported: {lines[-1]}"
    return None


_WHY_NOT = _segway_importable()
pytestmark = pytest.mark.skipif(_WHY_NOT is not None, reason=_WHY_NOT or "")

PROBE = textwrap.dedent('''\
    """What Segway reads of its archives, printed."""
    import hashlib, os, sys, tempfile
    import numpy as np
    import genomedata
    from genomedata import Genome
    from segway.run import parse_options, Runner
    from segway.observations import Observations, make_continuous_cells

    print("served by", genomedata.Genome.__module__.split(".")[0], file=sys.stderr)
    extra, archives = sys.argv[1].split(), sys.argv[2:]
    traindir = os.path.join(tempfile.mkdtemp(), "train")
    if "train" not in extra:  # global options, then the command and its options
        extra = ["train", *extra]
    task_spec, options, archives, traindir, annotatedir = parse_options(
        [*extra, *archives, traindir])
    runner = Runner.fromoptions(task_spec, archives, traindir, annotatedir, options)
    print("check", runner.check_genomedata_archives())
    runner.set_tracknames()
    for t in runner.tracks:
        print("track", t.name, t.index, archives.index(t.genomedata_name))
    runner.subset_metadata()
    for name in ("mins", "sums", "sums_squares", "num_datapoints"):
        v = getattr(runner, name)
        print(name, v.dtype, [float("%.6g" % x) for x in v])
    obs = Observations(runner)
    genomes = [Genome(n) for n in runner.genomedata_names]
    try:
        obs.locate_windows(genomes)
    finally:
        for g in genomes:
            g.close()
    idx = [t.index for t in runner.tracks]
    names = [t.genomedata_name for t in runner.tracks]
    for w in obs.windows:
        cells = make_continuous_cells(idx, names, w.chrom, w.start, w.end)
        print("window", w.world, w.chrom, w.start, w.end, cells.shape, cells.dtype,
              int(np.isfinite(cells).sum()),
              hashlib.md5(np.ascontiguousarray(cells).tobytes()).hexdigest())
''')


def _write_inputs(tmp):
    """chr1: 50 kb, a 100 kb N run (two supercontigs), 40 kb; chr2: 20 kb.
    Tracks with a 120 kb stretch without data on chr1, so close-data splits
    the chunks Segway makes its windows from."""
    rng = np.random.default_rng(5)
    seqs = {"chr1": "".join(rng.choice(list("ACGT"), 50_000)) + "N" * 100_000
            + "".join(rng.choice(list("acgtACGT"), 40_000)),
            "chr2": "".join(rng.choice(list("ACGT"), 20_000))}
    with open(tmp / "genome.fa", "w") as fasta:
        for name, seq in seqs.items():
            fasta.write(f">{name}\n" + "\n".join(seq[i:i + 80] for i in range(0, len(seq), 80))
                        + "\n")
    tracks = []
    for t, step in (("sig", 40), ("cov", 300), ("peaks", 2000)):
        path = tmp / f"{t}.bedGraph"
        with open(path, "w") as out:
            for name, seq in seqs.items():
                for s in range(0, len(seq) - step, step):
                    if seq[s] in "Nn" or seq[s + step - 1] in "Nn" or (name == "chr1" and 10_000 <= s < 30_000):
                        continue
                    out.write(f"{name}\t{s}\t{s + step // 2}\t{rng.normal(2, 1):.4f}\n")
        tracks.append((t, str(path)))
    return tmp / "genome.fa", tracks


@pytest.fixture(scope="module")
def archives(tmp_path_factory):
    """Three archives built by gdxarray: all tracks (dir), all tracks (file),
    and one extra track alone, for Segway's several-archives mode."""
    from gdxarray import load_genomedata

    tmp = tmp_path_factory.mktemp("segway")
    fasta, tracks = _write_inputs(tmp)
    out = {}
    for mode in ("dir", "file"):
        out[mode] = tmp / f"{mode}.genomedata"
        load_genomedata(str(out[mode]), tracks=tracks[:2], seqfilenames=[str(fasta)], mode=mode)
    out["extra"] = tmp / "extra.genomedata"
    load_genomedata(str(out["extra"]), tracks=tracks[2:], seqfilenames=[str(fasta)], mode="dir")
    probe = tmp / "probe.py"
    probe.write_text(PROBE)
    out["probe"] = probe
    return out


def _env():
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONUNBUFFERED", "PYTHONPATH")}
    env["PYTHONWARNINGS"] = "ignore"
    return env


def _run(args):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=_env(),
                          timeout=180)


@pytest.mark.parametrize("case", [
    ("dir", "", ["dir"]),
    ("file", "", ["file"]),
    ("two archives", "", ["dir", "extra"]),
    ("split windows", "--split-sequences=7000 train --resolution=10", ["file", "extra"]),
], ids=lambda case: case[0])
def test_segway_reads_the_same_through_gdxarray(archives, case):
    _, options, names = case
    paths = [str(archives[name]) for name in names]
    ref = _run([str(archives["probe"]), options, *paths])
    ours = _run(["-m", "gdxarray.compat", str(archives["probe"]), options, *paths])
    assert ref.returncode == 0, ref.stderr
    assert ours.returncode == 0, ours.stderr
    assert "served by genomedata" in ref.stderr and "served by gdxarray" in ours.stderr
    assert ours.stdout == ref.stdout
    windows = [line for line in ours.stdout.splitlines() if line.startswith("window")]
    # chr1's data gaps (20 kb without data, the 100 kb N run) split its windows
    assert sum(" chr1 " in w for w in windows) >= 2, ours.stdout
    assert any(line.startswith("track peaks") for line in ours.stdout.splitlines()) == \
        ("extra" in names)


def _segway_script() -> str | None:
    """The ``segway`` console script of this interpreter's installation: a
    Python file (a pyenv shim on PATH is a shell script and cannot be run
    by ``python -m gdxarray.compat``)."""
    dirs = [os.path.dirname(sys.executable), os.path.join(sys.base_prefix, "bin")]
    for where in [*dirs, None]:
        found = shutil.which("segway", path=where)
        if found is None:
            continue
        with open(found, "rb") as f:
            first = f.readline()
        if first.startswith(b"#!") and b"python" in first:
            return found
    return None


def test_segway_console_program_runs_through_the_runner(archives):
    """``python -m gdxarray.compat "$(which segway)"``: the console-script file
    imports segway.run, which needs genomedata._util.fill_array."""
    segway = _segway_script()
    if segway is None:
        pytest.skip("no segway console script (a Python file) beside this interpreter or on PATH")
    ours = _run(["-m", "gdxarray.compat", segway, "--version"])
    ref = _run([segway, "--version"])
    assert ours.returncode == ref.returncode == 0, ours.stderr + ref.stderr
    assert ours.stdout == ref.stdout and ours.stdout.strip()
