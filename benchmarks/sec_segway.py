"""Section ``segway``: Segway's access pattern, gdxarray vs genomedata 1.7.4.

Segway opens an archive for every window (``segway.observations.
make_continuous_cells`` does ``with Genome(name) as genome: genome[chrom][s:e,
[k]]`` per track), locates its windows from the supercontigs, and its
statistics from the genome's attributes.  Rows, for each of four archives
(single file and directory layouts, each built by gdxarray's and by the
reference's commands; 3 Mbp: chrA 1.5 Mbp, chrB 1 Mbp, chrC 0.5 Mbp from a
sizes file, so one supercontig each; 3 tracks: dense fixedStep, a bedGraph
over about half the bases, a sparse variableStep):

* open the archive + read 1 track x 10 kb, per call (a new ``Genome`` each time);
* Segway's own ``make_continuous_cells`` (3 tracks, so 3 opens) per window,
  its module's ``Genome`` set to each side's class (Segway's code otherwise
  unchanged); the same pattern re-implemented where Segway is not importable;
* the full scan ``for sc, cont in chrom.itercontinuous(): cont[...]``;
* read 1 track x 10 kb with the archive held open, per call.

Each side reads the same seeded windows; the values read are compared
(md5).  Archives are left still for 2.5 s after they are built, as the
archives Segway reads are (gdxarray caches what it read of a file version
only for files unchanged for 2 s).  Target: each row <= 0.5x the reference.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import time
import warnings

import numpy as np

from benchmarks import _procs as P
from benchmarks.report import OURS, REF

CHROMS = (("chrA", 1_500_000), ("chrB", 1_000_000), ("chrC", 500_000))
QUICK_CHROMS = (("chrA", 750_000), ("chrB", 500_000), ("chrC", 250_000))
TRACKS = ("dense", "half", "sparse")
WIDTH = 10_000
TARGET = ("ref", 0.5)


def _write_inputs(work, chroms) -> dict:
    """A sizes file and the three tracks (plain text)."""
    rng = np.random.default_rng(2026)
    sizes = work / "segway.sizes"
    sizes.write_text("".join(f"{c}\t{n}\n" for c, n in chroms))
    paths = {t: work / f"segway_{t}.txt" for t in TRACKS}
    with open(paths["dense"], "w") as out:  # fixedStep step 10 span 10: every base
        for c, n in chroms:
            out.write(f"fixedStep chrom={c} start=1 step=10 span=10\n")
            np.savetxt(out, rng.normal(size=n // 10).astype(np.float32), fmt="%.4g")
    with open(paths["half"], "w") as out:  # bedGraph, 200 bp intervals on every other 200
        for c, n in chroms:
            starts = np.arange(0, n - 200, 400)
            values = rng.gamma(2.0, size=len(starts)).astype(np.float32)
            out.write("".join(f"{c}\t{s}\t{s + 200}\t{v:.4g}\n"
                              for s, v in zip(starts.tolist(), values.tolist())))
    with open(paths["sparse"], "w") as out:  # variableStep span 5 at 1 % of positions
        for c, n in chroms:
            out.write(f"variableStep chrom={c} span=5\n")
            pos = np.sort(rng.choice(np.arange(1, n - 5, 5), size=n // 100, replace=False))
            values = rng.normal(size=len(pos)).astype(np.float32)
            out.write("".join(f"{p} {v:.4g}\n" for p, v in zip(pos.tolist(), values.tolist())))
    return {"sizes": sizes, "tracks": paths}


def _build(bench, impl: str, layout: str, inputs: dict):
    """Build an archive with *impl*'s own commands (one child process each)."""
    path = bench.tmp(f"segway_{impl}_{layout}.genomedata")
    P.remove(path)
    flag = "-f" if layout == "file" else "-d"
    if impl == OURS:
        steps = [(P.ours_cmd("load_seq", flag, "--sizes", path, inputs["sizes"]), None),
                 (P.ours_cmd("open_data", path, "--tracknames", *TRACKS), None),
                 *[(P.ours_cmd("load_data", path, t), inputs["tracks"][t]) for t in TRACKS],
                 (P.ours_cmd("close_data", path), None)]
    else:
        steps = [(P.ref_cmd("_load_seq", flag, "--sizes", path, inputs["sizes"]), None),
                 (P.ref_cmd("_open_data", path, "--tracknames", *TRACKS), None),
                 *[(P.ref_cmd("_load_data", path, t), inputs["tracks"][t]) for t in TRACKS],
                 (P.ref_cmd("_close_data", path), None)]
    for cmd, stdin in steps:
        res = P.run(cmd, stdin_path=stdin)
        if not res.ok:
            bench.res.problems.append(f"segway: building the {layout} archive with {impl}: "
                                      f"exit {res.returncode}: {res.stderr.strip()[-200:]}")
            return None
    return path


def _segway_cells():
    """Segway's make_continuous_cells with its module's Genome swappable, or
    the same access pattern re-implemented (and said so)."""
    saved_print = np.get_printoptions()
    try:  # importing Segway sets numpy's print options to legacy="1.13": put them back
        import segway.observations as observations
    except Exception as exc:  # noqa: BLE001 - any failure to import Segway
        from numpy import append, copy

        def make_continuous_cells(genome_cls, track_indexes, genomedata_names, chrom, start,
                                  end):
            cells = None
            for track_index, name in zip(track_indexes, genomedata_names):
                with genome_cls(name) as genome:
                    chromosome = genome[chrom]
                    if cells is None:
                        cells = copy(chromosome[start:end, [track_index]])
                    else:
                        cells = append(cells, chromosome[start:end, [track_index]], 1)
            return cells

        return make_continuous_cells, f"re-implemented (Segway not importable: {exc})"
    finally:
        np.set_printoptions(**saved_print)

    def make_continuous_cells(genome_cls, *args):
        saved = observations.Genome
        observations.Genome = genome_cls
        try:
            return observations.make_continuous_cells(*args)
        finally:
            observations.Genome = saved

    import segway

    return make_continuous_cells, f"Segway {segway.__version__}'s own function"


def _windows(chroms, n: int, seed: int) -> list[tuple[str, int, int, int]]:
    rng = np.random.default_rng(seed)
    names = [c for c, _ in chroms]
    lengths = np.array([n_ for _, n_ in chroms], dtype=np.float64)
    which = rng.choice(len(names), size=n, p=lengths / lengths.sum())
    starts = (rng.random(n) * (lengths[which] - WIDTH)).astype(np.int64)
    tracks = rng.integers(0, len(TRACKS), size=n)
    return [(names[w], int(s), int(s) + WIDTH, int(k))
            for w, s, k in zip(which, starts, tracks)]


def run(bench) -> None:
    import genomedata

    import gdxarray

    genome_cls = {OURS: gdxarray.Genome, REF: genomedata.Genome}
    quick = bench.args.quick
    chroms = QUICK_CHROMS if quick else CHROMS
    n_calls = 300 if quick else 1000
    n_windows = 100 if quick else 300
    reps = max(bench.cheap, 3)
    inputs = _write_inputs(bench.run_dir, chroms)
    cells, how = _segway_cells()
    archives = {}
    for builder in (OURS, REF):
        for layout in ("file", "dir"):
            path = _build(bench, builder, layout, inputs)
            if path is not None:
                archives[(builder, layout)] = path
    time.sleep(2.5)  # still archives, as Segway's are
    genome_bp = sum(n for _, n in chroms)
    bench.res.facts.append(
        f"segway: {genome_bp / 1e6:g} Mbp x {len(TRACKS)} tracks ({', '.join(TRACKS)}); "
        f"{n_calls} open+read calls and {n_windows} make_continuous_cells windows of "
        f"{WIDTH // 1000} kb per repetition, {reps} repetitions; make_continuous_cells: {how}")
    seed = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the reference's PyTables/NaturalNameWarnings
        for (builder, layout), path in archives.items():
            tag = f"{layout}, built by {builder}"
            name = str(path)
            rows = {
                "open": bench.res.row(f"segway_open_{builder}_{layout}",
                                      f"open + read 1 track x 10 kb, per call ({tag})",
                                      "segway", target=TARGET),
                "cells": bench.res.row(f"segway_cells_{builder}_{layout}",
                                       f"Segway make_continuous_cells, 3 tracks, per window "
                                       f"({tag})", "segway", target=TARGET),
                "scan": bench.res.row(f"segway_scan_{builder}_{layout}",
                                      f"full scan itercontinuous cont[...] ({tag})",
                                      "segway", target=TARGET),
                "held": bench.res.row(f"segway_held_{builder}_{layout}",
                                      f"read 1 track x 10 kb, archive held open, per call "
                                      f"({tag})", "segway", target=TARGET),
            }
            digests = {}
            for impl in (OURS, REF):  # warm-up, and the values for the check
                cls = genome_cls[impl]
                ws = _windows(chroms, 50, seed=10_000)
                h = hashlib.md5()
                for c, s, e, k in ws:
                    with cls(name) as g:
                        h.update(np.ascontiguousarray(g[c][s:e, [k]]).tobytes())
                    h.update(np.ascontiguousarray(
                        cells(cls, [0, 1, 2], [name] * 3, c, s, e)).tobytes())
                with cls(name) as g:
                    for chrom in g:
                        for _, cont in chrom.itercontinuous():
                            h.update(np.ascontiguousarray(cont[...]).tobytes())
                digests[impl] = h.hexdigest()
            bench.res.check(f"segway ({tag}): values read identical (md5 of windows, cells, "
                            "scan)", digests[OURS] == digests[REF])
            for rep in range(reps):
                for impl in bench.order(rep):
                    cls = genome_cls[impl]
                    seed += 1
                    ws = _windows(chroms, n_calls, seed)
                    gc.collect()
                    t0 = time.perf_counter()
                    for c, s, e, k in ws:
                        with cls(name) as g:
                            g[c][s:e, [k]]
                    rows["open"].add(impl, (time.perf_counter() - t0) / n_calls)

                    ws = _windows(chroms, n_windows, seed + 500_000)
                    gc.collect()
                    t0 = time.perf_counter()
                    for c, s, e, _ in ws:
                        cells(cls, [0, 1, 2], [name] * 3, c, s, e)
                    rows["cells"].add(impl, (time.perf_counter() - t0) / n_windows)

                    gc.collect()
                    t0 = time.perf_counter()
                    with cls(name) as g:
                        for chrom in g:
                            for _, cont in chrom.itercontinuous():
                                cont[...]
                    rows["scan"].add(impl, time.perf_counter() - t0)

                    ws = _windows(chroms, n_calls, seed + 900_000)
                    with cls(name) as g:
                        chromosomes = {c: g[c] for c, _ in chroms}
                        gc.collect()
                        t0 = time.perf_counter()
                        for c, s, e, k in ws:
                            chromosomes[c][s:e, [k]]
                        rows["held"].add(impl, (time.perf_counter() - t0) / n_calls)
                        with contextlib.suppress(Exception):
                            del chromosomes
