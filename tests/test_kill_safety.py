"""Real SIGKILLs of writers: a killed write never corrupts a track (issue 12 §1).

Each case runs a writer command in a child process that SIGKILLs itself at a
deterministic point (``GDXARRAY_TEST_KILL_AT=point:N``, see
``gdxarray/writer/_undo.py``), or is killed from outside after a seeded delay,
and then checks, in this process:

* the archive opens and the tracks not being written hold exactly what was loaded;
* the written track is whole (exactly the old or the new values), or marked
  incomplete on disk: then close-data refuses, and every base is old or new;
* the same command again, or erase-data, succeeds and gives exact values.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
import tables

from gdxarray import Genome
from gdxarray.errors import (
    CorruptChunkError, GenomedataDirtyWarning, IncompleteTrackError, IncompleteTrackWarning,
)
from gdxarray.writer import (
    close_data, erase_data, hardmask_data, load_data, load_seq, open_data, write_arrays,
)

SIZES = {"chr1": 240_000, "chr2": 90_000}  # 24 and 9 chunks of 10 kb per track
TRACKS = ("a", "b", "c")


def _values(rng, n):
    """Runs of random values and NaN, so chunks compress to different sizes."""
    out = np.full(n, np.nan, np.float32)
    pos = 0
    while pos < n:
        run = int(rng.integers(50, 3_000))
        if rng.random() < 0.8:
            out[pos:pos + run] = np.round(rng.normal(0, 5, size=min(run, n - pos)), 2)
        pos += run
    return out


def _bedgraph(path, truth):
    with open(path, "w") as fh:
        for chrom, values in truth.items():
            ok = np.flatnonzero(~np.isnan(values))
            fh.writelines(f"{chrom}\t{i}\t{i + 1}\t{values[i]:g}\n" for i in ok[::7])
    # the exact values a bedGraph of every 7th finite base loads (NaN elsewhere)
    out = {}
    for chrom, values in truth.items():
        v = np.full(len(values), np.nan, np.float32)
        ok = np.flatnonzero(~np.isnan(values))[::7]
        v[ok] = np.float32([float(f"{x:g}") for x in values[ok]])
        out[chrom] = v
    return out


def _build_base(root, mode):
    """A closed archive (*mode* file or dir) with tracks a, b, c and the inputs of a second b."""
    rng = np.random.default_rng(12)
    sizes = root / "g.sizes"
    sizes.write_text("".join(f"{c}\t{n}\n" for c, n in SIZES.items()))
    path = root / "base.gd"
    load_seq(path, [sizes], seqfile_type="sizes", mode=mode)
    open_data(path, list(TRACKS))
    truth = {t: {c: _values(rng, n) for c, n in SIZES.items()} for t in TRACKS}
    for t in TRACKS:
        write_arrays(path, t, [(c, 0, v) for c, v in truth[t].items()])
    close_data(path)
    new_b = _bedgraph(root / "b2.bedGraph", {c: _values(rng, n) for c, n in SIZES.items()})
    mask = root / "mask.bed"
    mask.write_text("chr1\t5000\t65000\nchr1\t100000\t180000\nchr2\t1000\t80000\n")
    return {"path": path, "truth": truth, "new_b": new_b, "bedgraph": root / "b2.bedGraph",
            "mask": mask, "sizes": sizes}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return _build_base(tmp_path_factory.mktemp("kill"), "file")


@pytest.fixture(scope="module")
def dir_base(tmp_path_factory):
    """The same archive in the directory layout (one HDF5 file per chromosome)."""
    return _build_base(tmp_path_factory.mktemp("killdir"), "dir")


def _copy(base, tmp_path):
    target = tmp_path / "g.gd"
    if base["path"].is_dir():
        shutil.copytree(base["path"], target)
    else:
        target.write_bytes(base["path"].read_bytes())
    return target


def _files(path):
    """The HDF5 file and group of each chromosome."""
    if path.is_dir():
        return {c: (path / f"{c}.genomedata", "/") for c in SIZES}
    return {c: (path, f"/{c}") for c in SIZES}


def _undo_records(path):
    return sorted((path if path.is_dir() else path.parent).glob(".*.undo"))


def _masked(values_by_chrom, mask):
    out = {c: v.copy() for c, v in values_by_chrom.items()}
    for line in mask.read_text().splitlines():
        c, s, e = line.split("\t")
        out[c][int(s):int(e)] = np.nan
    return out


def _run_killed(args, kill_at=None, delay=None):
    """Run ``genomedata-<command>`` in a child; return its exit status."""
    env = dict(os.environ)
    if kill_at:
        env["GDXARRAY_TEST_KILL_AT"] = kill_at
    code = ("import sys; from gdxarray.cli.%s import main; sys.argv[0] = 'genomedata'; "
            "sys.exit(main(sys.argv[1:]))" % args[0])
    proc = subprocess.Popen([sys.executable, "-c", code, *map(str, args[1:])], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if delay is not None:
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=60)
    if kill_at:
        assert proc.returncode == -signal.SIGKILL, (proc.returncode, err)
    return proc.returncode


def _marks(path):
    """Incomplete marks per chromosome, read from the file with plain PyTables."""
    out = {}
    for chrom, (filename, where) in _files(path).items():
        with tables.open_file(str(filename)) as h5:
            attrs = h5.get_node(where)._v_attrs
            names = attrs["gdxarray_incomplete_tracks"] if \
                "gdxarray_incomplete_tracks" in attrs._v_attrnames else []
            out[chrom] = [n.decode() if isinstance(n, bytes) else str(n) for n in names]
    return out


def _read(path, track):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IncompleteTrackWarning)
        warnings.simplefilter("ignore", GenomedataDirtyWarning)
        with Genome(path) as genome:
            return {c: np.asarray(genome[c][0:n, track]).reshape(-1) for c, n in SIZES.items()}


def _same(got, want):
    return all(np.array_equal(got[c], want[c], equal_nan=True) for c in SIZES)


def _close_data_cli(path):
    """genomedata-close-data in a child: (exit status, stderr)."""
    code = ("import sys; from gdxarray.cli.close_data import main; sys.argv[0] = 'genomedata'; "
            "sys.exit(main(sys.argv[1:]))")
    run = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                         text=True, timeout=60)
    return run.returncode, run.stderr


def _check_after_kill(path, base, old_b, new_b, cli=False):
    """The invariants; returns True when track b was left marked incomplete.

    Per chromosome: b is exactly the old or the new values, or marked
    incomplete on disk (then every base is old or new).  With *cli*, the
    refusal of close-data is checked through the command (one line, exit 1).
    """
    marks = _marks(path)
    assert all(m in ([], ["b"]) for m in marks.values()), marks
    incomplete = any(marks.values())
    # a writer (close-data) must come first: it undoes a chunk left in flight
    if incomplete and cli:
        status, err = _close_data_cli(path)
        assert status != 0 and "Traceback" not in err, err
        assert len(err.strip().splitlines()) == 1 and "erase-data --trackname b" in err, err
    elif incomplete:
        with pytest.raises(IncompleteTrackError):
            close_data(path)
    assert _marks(path) == marks  # refusing changes nothing
    # the other tracks: exactly what was loaded
    for t in ("a", "c"):
        assert _same(_read(path, t), base["truth"][t]), t
    if incomplete:
        with warnings.catch_warnings(), pytest.warns(IncompleteTrackWarning):
            warnings.simplefilter("ignore", GenomedataDirtyWarning)
            with Genome(path) as genome:
                genome[next(c for c, m in marks.items() if m)][0:10, "b"]
    got = _read(path, "b")
    for c in SIZES:
        if marks[c]:  # every base old or new, nothing undecodable
            ok = ((got[c] == old_b[c]) | (got[c] == new_b[c])
                  | (np.isnan(got[c]) & (np.isnan(old_b[c]) | np.isnan(new_b[c]))))
            assert ok.all(), (c, np.flatnonzero(~ok)[:5])
        else:
            assert (np.array_equal(got[c], old_b[c], equal_nan=True)
                    or np.array_equal(got[c], new_b[c], equal_nan=True)), c
    assert not _undo_records(path), _undo_records(path)  # close-data took them
    return incomplete


REWRITE_KILLS = ["mark:1", "rewrite:1", "rewrite:9", "undo:30", "write:33"]


@pytest.mark.parametrize("kill_at", REWRITE_KILLS)
def test_killed_load_over_data(base, tmp_path, kill_at):
    path = _copy(base, tmp_path)
    old_b, new_b = base["truth"]["b"], base["new_b"]
    _run_killed(["load_data", path, "b", "--file", base["bedgraph"]], kill_at)
    # the bedGraph paints over b: new = old where the input has nothing
    painted = {c: np.where(np.isnan(new_b[c]), old_b[c], new_b[c]) for c in SIZES}
    assert _check_after_kill(path, base, old_b, painted)  # every point is past the mark
    # the same command again succeeds (once through the CLI); so does close-data after it
    if kill_at == "rewrite:9":
        assert _run_killed(["load_data", path, "b", "--file", base["bedgraph"]]) == 0
    else:
        load_data(path, "b", base["bedgraph"])
    close_data(path)
    assert _same(_read(path, "b"), painted)
    assert _marks(path) == {c: [] for c in SIZES}


@pytest.mark.parametrize("kill_at", ["rewrite:2", "rewrite:20", "undo:11"])
def test_killed_hardmask(base, tmp_path, kill_at):
    path = _copy(base, tmp_path)
    old_b = base["truth"]["b"]
    new_b = _masked(old_b, base["mask"])
    _run_killed(["hardmask", base["mask"], path, "-t", "b"], kill_at)
    assert _check_after_kill(path, base, old_b, new_b)
    # a killed hardmask leaves b incomplete: erase and reload is the way out, and
    # re-running the hardmask itself also works (masking twice is masking once)
    hardmask_data(path, base["mask"], ["b"], keep_archive_open=True)
    got = _read(path, "b")
    assert _same(got, new_b)


@pytest.mark.parametrize("kill_at", ["rewrite:3", "undo:25"])
def test_killed_erase_then_erase_again(base, tmp_path, kill_at):
    path = _copy(base, tmp_path)
    old_b = base["truth"]["b"]
    nan_b = {c: np.full(n, np.nan, np.float32) for c, n in SIZES.items()}
    _run_killed(["erase_data", path, "--trackname", "b"], kill_at)
    assert _check_after_kill(path, base, old_b, nan_b)
    erase_data(path, "b")
    close_data(path)
    assert _same(_read(path, "b"), nan_b)
    for t in ("a", "c"):
        assert _same(_read(path, t), base["truth"][t])


def test_timed_kills_of_replace_workflow(base, tmp_path):
    """The README's replace (erase, close, load) killed at seeded moments."""
    rng = np.random.default_rng(3)
    new_b = base["new_b"]
    nan_b = {c: np.full(n, np.nan, np.float32) for c, n in SIZES.items()}
    path = _copy(base, tmp_path)
    erase_data(path, "b")
    close_data(path)
    for delay in rng.uniform(0.45, 0.9, size=2):
        _run_killed(["load_data", path, "b", "--file", base["bedgraph"]], delay=float(delay))
        _check_after_kill(path, {"truth": base["truth"]}, nan_b, new_b)
    load_data(path, "b", base["bedgraph"])
    close_data(path)
    assert _same(_read(path, "b"), new_b)


def test_undecodable_chunk_is_a_one_line_error(base, tmp_path):
    """A writer meeting a chunk that does not decode names file, track, position and the way out."""
    path = _copy(base, tmp_path)
    with tables.open_file(str(path)) as h5:
        info = h5.get_node("/chr1/supercontig_0/continuous").chunk_info((30_000, 1))
    with open(path, "r+b") as fh:  # flip bytes in the middle of b's chunk at chr1:30000
        fh.seek(info.offset + info.size // 2)
        fh.write(b"\xff\x00\xff\x00\xff\x00\xff\x00")
    with tables.open_file(str(path), "r+") as h5:  # dirty, so close-data scans chr1
        h5.get_node("/chr1")._v_attrs["dirty"] = True
    with pytest.raises(CorruptChunkError, match=r"track 'b' at chr1:30000-40000.*erase"):
        close_data(path)
    for args in (["hardmask", base["mask"], path, "-t", "b"],
                 ["load_data", path, "b", "--file", base["bedgraph"]]):
        env = dict(os.environ)
        code = ("import sys; from gdxarray.cli.%s import main; "
                "sys.exit(main(sys.argv[1:]))" % args[0])
        run = subprocess.run([sys.executable, "-c", code, *map(str, args[1:])], env=env,
                             capture_output=True, text=True, timeout=60)
        assert run.returncode != 0
        assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
        assert "chr1:30000-40000" in run.stderr and "'b'" in run.stderr, run.stderr
        assert "genomedata-erase-data --trackname b" in run.stderr
    erase_data(path, "b")  # the way out works
    load_data(path, "b", base["bedgraph"])
    close_data(path)
    assert _same(_read(path, "a"), base["truth"]["a"])


def test_leftover_temporary_siblings_of_dead_writers_are_removed(tmp_path):
    sizes = tmp_path / "g.sizes"
    sizes.write_text("chr1\t1000\n")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    from gdxarray.writer import _undo

    host = _undo.host()
    stale = tmp_path / f".new.gd.tmp-{dead}@{host}-abc123"
    stale_dir = tmp_path / f".new.gd.tmp-{dead}@{host}-dir_9"
    live = tmp_path / f".new.gd.tmp-{os.getpid()}@{host}-live1"
    other_host = tmp_path / f".new.gd.tmp-{dead}@elsewhere-abc"
    legacy = tmp_path / ".new.gd.tmp-k2j3h4"
    stale_undo = tmp_path / f".{stale.name}.undo"
    for p in (stale, stale_undo, live, other_host, legacy):
        p.write_bytes(b"x" * 100)
    stale_dir.mkdir()
    (stale_dir / "chr1.genomedata").write_bytes(b"x")
    load_seq(tmp_path / "new.gd", [sizes], seqfile_type="sizes", mode="file")
    assert not stale.exists() and not stale_dir.exists() and not stale_undo.exists()
    assert live.exists() and other_host.exists() and legacy.exists()
    assert (tmp_path / "new.gd").is_file()


# -- directory layout: one HDF5 file (and undo record) per chromosome -----------
# load-data writes chr1 (24 chunks of b) then chr2 (9): rewrite:27 is in chr2's file
DIR_LOAD_KILLS = ["mark:1", "rewrite:5", "mark:2", "rewrite:27", "undo:33"]


@pytest.mark.parametrize("kill_at", DIR_LOAD_KILLS)
def test_dir_killed_load_over_data(dir_base, tmp_path, kill_at):
    base = dir_base
    path = _copy(base, tmp_path)
    old_b, new_b = base["truth"]["b"], base["new_b"]
    _run_killed(["load_data", path, "b", "--file", base["bedgraph"]], kill_at)
    painted = {c: np.where(np.isnan(new_b[c]), old_b[c], new_b[c]) for c in SIZES}
    assert _check_after_kill(path, base, old_b, painted, cli=kill_at == "rewrite:27")
    if kill_at == "mark:2":  # chr1 written and settled; marks are cleared at the end
        assert _marks(path) == {"chr1": ["b"], "chr2": ["b"]}
        assert np.array_equal(_read(path, "b")["chr1"], painted["chr1"], equal_nan=True)
    if kill_at in ("rewrite:5", "rewrite:27"):
        assert _run_killed(["load_data", path, "b", "--file", base["bedgraph"]]) == 0
    else:
        load_data(path, "b", base["bedgraph"])
    assert _run_killed(["close_data", path]) == 0
    assert _same(_read(path, "b"), painted)
    assert _marks(path) == {c: [] for c in SIZES}
    assert not _undo_records(path)


def test_dir_record_of_one_file_undone_by_a_writer_touching_another(dir_base, tmp_path):
    """A kill in chr2's file; the next writer only touches chr1, yet chr2 is repaired."""
    base = dir_base
    path = _copy(base, tmp_path)
    old_b, new_b = base["truth"]["b"], base["new_b"]
    painted = {c: np.where(np.isnan(new_b[c]), old_b[c], new_b[c]) for c in SIZES}
    _run_killed(["load_data", path, "b", "--file", base["bedgraph"]], "rewrite:27")
    assert [p.name for p in _undo_records(path)] == [".chr2.genomedata.undo"]
    write_arrays(path, "a", [("chr1", 0, base["truth"]["a"]["chr1"])])  # chr1 only
    assert not _undo_records(path)
    got = _read(path, "b")  # no writer has touched chr2, and yet every chunk decodes
    ok = ((got["chr2"] == old_b["chr2"]) | (got["chr2"] == painted["chr2"])
          | np.isnan(got["chr2"]) & (np.isnan(old_b["chr2"]) | np.isnan(painted["chr2"])))
    assert ok.all()
    assert _same(_read(path, "a"), base["truth"]["a"])


@pytest.mark.parametrize("kill_at", ["mark:2", "rewrite:3", "undo:20"])
def test_dir_killed_hardmask(dir_base, tmp_path, kill_at):
    base = dir_base
    path = _copy(base, tmp_path)
    old_b = base["truth"]["b"]
    new_b = _masked(old_b, base["mask"])
    _run_killed(["hardmask", base["mask"], path, "-t", "b"], kill_at)
    assert _check_after_kill(path, base, old_b, new_b, cli=kill_at == "undo:20")
    assert _run_killed(["hardmask", base["mask"], path, "-t", "b"]) == 0
    assert _same(_read(path, "b"), new_b)
    assert not _undo_records(path)


@pytest.mark.parametrize("kill_at", ["rewrite:4", "undo:27"])
def test_dir_killed_erase(dir_base, tmp_path, kill_at):
    base = dir_base
    path = _copy(base, tmp_path)
    old_b = base["truth"]["b"]
    nan_b = {c: np.full(n, np.nan, np.float32) for c, n in SIZES.items()}
    _run_killed(["erase_data", path, "--trackname", "b"], kill_at)
    assert _check_after_kill(path, base, old_b, nan_b)
    assert _run_killed(["erase_data", path, "--trackname", "b"]) == 0
    close_data(path)
    assert _same(_read(path, "b"), nan_b)
    for t in ("a", "c"):
        assert _same(_read(path, t), base["truth"][t])


def test_dir_timed_kills(dir_base, tmp_path):
    """load-data over data, then erase-data, killed from outside at seeded moments."""
    base = dir_base
    rng = np.random.default_rng(5)
    old_b, new_b = base["truth"]["b"], base["new_b"]
    painted = {c: np.where(np.isnan(new_b[c]), old_b[c], new_b[c]) for c in SIZES}
    path = _copy(base, tmp_path)
    for delay in rng.uniform(0.45, 0.9, size=2):
        _run_killed(["load_data", path, "b", "--file", base["bedgraph"]], delay=float(delay))
        _check_after_kill(path, base, old_b, painted)
    assert _run_killed(["load_data", path, "b", "--file", base["bedgraph"]]) == 0
    close_data(path)
    assert _same(_read(path, "b"), painted)
    nan_b = {c: np.full(n, np.nan, np.float32) for c, n in SIZES.items()}
    _run_killed(["erase_data", path, "--trackname", "b"], delay=float(rng.uniform(0.4, 0.6)))
    _check_after_kill(path, base, painted, nan_b)
    erase_data(path, "b")
    close_data(path)
    assert _same(_read(path, "b"), nan_b)


# -- genomedata-load and genomedata-load-seq: build in a temporary sibling, rename -----
@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """Inputs of two genomedata-load runs (tracks s from A, then from B), and the
    archives of run A in both layouts, to copy as "the previous archive"."""
    from gdxarray.writer import load_genomedata

    root = tmp_path_factory.mktemp("builds")
    rng = np.random.default_rng(21)
    sizes = root / "g.sizes"
    sizes.write_text("".join(f"{c}\t{n}\n" for c, n in SIZES.items()))
    out = {"sizes": sizes, "root": root}
    for run in ("A", "B"):
        out[run] = _bedgraph(root / f"{run}.bedGraph",
                             {c: _values(rng, n) for c, n in SIZES.items()})
    for mode in ("file", "dir"):
        out[mode] = root / f"prev-{mode}.gd"
        load_genomedata(out[mode], [("s", root / "A.bedGraph")], [sizes], seqfile_type="sizes",
                        mode=mode)
    return out


def _snapshot(path):
    """Every byte of an archive (a file, or each file of a directory), or None if absent."""
    if not path.exists():
        return None
    if path.is_file():
        return {"": path.read_bytes()}
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def _siblings(path):
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(f".{path.name}.tmp-"))


def _load_args(builds, path, mode, run="B"):
    return ["load", "--sizes", "-s", builds["sizes"], "-t", f"s={builds['root'] / run}.bedGraph",
            "-f" if mode == "file" else "-d", path]


@pytest.mark.parametrize("mode,kill_at", [
    ("file", "seq:1"), ("file", "write:20"), ("file", "install:1"),
    ("dir", "mark:2"), ("dir", "install:1")])
def test_killed_genomedata_load_leaves_previous_archive(builds, tmp_path, mode, kill_at):
    path = tmp_path / "g.gd"
    (shutil.copytree if mode == "dir" else shutil.copyfile)(builds[mode], path)
    before = _snapshot(path)
    _run_killed(_load_args(builds, path, mode), kill_at)
    assert _snapshot(path) == before  # the previous archive, byte for byte
    assert len(_siblings(path)) == 1  # what the killed run was building
    assert _same(_read(path, "s"), builds["A"])
    # the next run replaces the archive and removes the killed run's leftover
    assert _run_killed(_load_args(builds, path, mode)) == 0
    assert _siblings(path) == []
    assert path.is_dir() == (mode == "dir")
    assert _same(_read(path, "s"), builds["B"])
    assert _marks(path) == {c: [] for c in SIZES}


@pytest.mark.parametrize("mode,kill_at", [("file", "seq:2"), ("file", "install:1"),
                                          ("dir", "seq:1"), ("dir", "install:1")])
def test_killed_load_seq_leaves_no_archive(builds, tmp_path, mode, kill_at):
    path = tmp_path / "new.gd"
    args = ["load_seq", "--sizes", "-f" if mode == "file" else "-d", path, builds["sizes"]]
    _run_killed(args, kill_at)
    assert not path.exists()
    assert len(_siblings(path)) == 1
    assert _run_killed(args) == 0
    assert _siblings(path) == []
    with warnings.catch_warnings(), Genome(path) as genome:
        warnings.simplefilter("ignore", GenomedataDirtyWarning)  # no tracks, not closed
        assert {c.name: c.end for c in genome} == SIZES


def test_killed_load_seq_into_existing_directory_leaves_it_unchanged(builds, tmp_path):
    """load-seq fills an existing directory: killed, the directory is as it was."""
    path = tmp_path / "g.gd"
    shutil.copytree(builds["dir"], path)
    (path / "chr2.genomedata").unlink()  # the directory then gains chr2
    sizes = tmp_path / "chr2.sizes"
    sizes.write_text(f"chr2\t{SIZES['chr2']}\n")
    before = _snapshot(path)
    args = ["load_seq", "--sizes", "-d", path, sizes]
    _run_killed(args, "install:1")
    assert _snapshot(path) == before
    assert _run_killed(args) == 0
    assert _siblings(path) == []
    assert sorted(p.name for p in path.iterdir()) == ["chr1.genomedata", "chr2.genomedata"]
    assert (path / "chr1.genomedata").read_bytes() == before["chr1.genomedata"]


def test_timed_kills_of_genomedata_load(builds, tmp_path):
    """Killed from outside at seeded moments: the previous archive or the new one, whole."""
    rng = np.random.default_rng(8)
    for mode, delay in zip(("file", "dir"), rng.uniform(0.5, 1.0, size=2)):
        path = tmp_path / f"{mode}.gd"
        (shutil.copytree if mode == "dir" else shutil.copyfile)(builds[mode], path)
        before = _snapshot(path)
        status = _run_killed(_load_args(builds, path, mode), delay=float(delay))
        if status == 0:  # finished before the kill: the new archive
            assert _same(_read(path, "s"), builds["B"])
        else:
            assert _snapshot(path) == before, (mode, delay)
        assert _run_killed(_load_args(builds, path, mode)) == 0
        assert _siblings(path) == [] and _same(_read(path, "s"), builds["B"])


def test_temporary_sibling_of_a_live_writer_is_kept(builds, tmp_path):
    """A genomedata-load stopped mid-run (alive) keeps its sibling while another
    run replaces the archive; resumed, it finishes and installs its own."""
    path = tmp_path / "g.gd"
    shutil.copyfile(builds["file"], path)
    env = dict(os.environ, GDXARRAY_TEST_KILL_AT="write:5", GDXARRAY_TEST_KILL_SIGNAL="STOP")
    code = ("import sys; from gdxarray.cli.load import main; sys.argv[0] = 'genomedata'; "
            "sys.exit(main(sys.argv[1:]))")
    live = subprocess.Popen([sys.executable, "-c", code,
                             *map(str, _load_args(builds, path, "file", run="A")[1:])],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _, status = os.waitpid(live.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status), status
        ours = _siblings(path)
        assert len(ours) == 1 and f"tmp-{live.pid}@" in ours[0]
        assert _run_killed(_load_args(builds, path, "file")) == 0  # another run, to completion
        assert _siblings(path) == ours  # the live writer's work is left alone
        assert _same(_read(path, "s"), builds["B"])
    finally:
        live.send_signal(signal.SIGCONT)
        out, err = live.communicate(timeout=60)
    assert live.returncode == 0, err
    assert _siblings(path) == []
    assert _same(_read(path, "s"), builds["A"])  # the resumed run installed last
