"""The opt-in codecs (``--compression``) side by side: zlib, blosc2-zstd, blosc2-lz4.

For each codec, the same 3 tracks (the run's generated bedGraph, fixedStep and
variableStep inputs) are loaded with ``genomedata-load --compression C`` in a
child process (wall time), then, in this process: the archive's size, 10,000
random 1 kb reads of track 1 (fresh regions per repetition) and the
whole-genome scan of the ``scan`` section (sum per track through
``iter_blocks``).  Codecs are interleaved within each repetition, alternating
the order; a last row per codec times the scan's reads alone (the blocks
decoded, not summed: numpy's NaN-skipping sums are most of a scan).  Every value sits in the gdxarray column; the ratio rows give
zlib time / codec time (scan) and codec size / zlib size, with the issue's
targets (scan ≥ 2×, size ≤ 1.1×).  Checks: every codec's scan sums and reads
equal zlib's, and the reference genomedata reads the blosc2 archives' values.
"""

from __future__ import annotations

import gc
import os
import time
import warnings

import numpy as np

from benchmarks import _procs as P
from benchmarks import datagen as D
from benchmarks.report import OURS

CODECS = ("zlib", "blosc2-zstd", "blosc2-lz4")


def _load(bench, codec: str):
    ds = bench.ds
    path = bench.tmp(f"codec_{codec}.genomedata")
    P.remove(path)
    args = ["-f", "--sizes", "-s", ds.sizes, "--compression", codec]
    for t in D.TRACKS:
        args += ["-t", f"{t}={ds.tracks[t]['plain']}"]
    return path, P.run(P.ours_cmd("load", *args, path))


def _reads(path, regions) -> list:
    import gdxarray

    with gdxarray.Genome(str(path)) as g:
        chroms = {c.name: c for c in g}
        return [chroms[c][s:e, 0] for c, s, e in regions]


def _scan(bench, path) -> np.ndarray:
    import gdxarray

    with gdxarray.Genome(str(path)) as g:
        return bench.scan_ours(g)


def _decode_only(path) -> int:
    """The scan's reads without the sums: every block decoded, nothing reduced."""
    import gdxarray

    n = 0
    with gdxarray.Genome(str(path)) as g:
        for chrom in g:
            for _, block in chrom.iter_blocks(block_rows=1 << 20):
                n += block.shape[0]
    return n


def _fused(path) -> np.ndarray:
    """Genome.summary: the fused decode + reduce kernel (zoom levels not used)."""
    import gdxarray

    with gdxarray.Genome(str(path)) as g:
        return np.asarray(g.summary(stats=("sum",), zoom=False)["sum"], dtype=np.float64)


def run(bench) -> None:
    reps = bench.repeat
    n = bench.args.reads
    rows = {}
    for c in CODECS:
        rows[c] = {
            "load": bench.res.row(f"codec_load_{c}", f"codec {c}: genomedata-load, 3 tracks",
                                  "codec"),
            "size": bench.res.row(f"codec_size_{c}", f"codec {c}: archive size", "codec",
                                  kind="size"),
            "reads": bench.res.row(f"codec_reads_{c}", f"codec {c}: {n:,} random 1 kb reads, "
                                   "track 1", "codec"),
            "scan": bench.res.row(f"codec_scan_{c}", f"codec {c}: whole-genome scan, sum per "
                                  "track (3 tracks, 1 process)", "codec"),
            "decode": bench.res.row(f"codec_decode_{c}", f"codec {c}: the scan's reads without "
                                    "the sums (iter_blocks only)", "codec"),
            "fused": bench.res.row(f"codec_fused_{c}", f"codec {c}: whole-genome sums through "
                                   "Genome.summary (fused kernel, zoom=False)", "codec"),
        }
    paths, sums, fused = {}, {}, {}
    loads = []
    seed = 77_000
    for rep in range(reps):
        order = list(CODECS) if rep % 2 == 0 else list(CODECS)[::-1]
        for c in order:
            path, res = _load(bench, c)
            if not bench.record_proc(rows[c]["load"], OURS, res):
                continue
            paths[c] = path
            rows[c]["size"].add(OURS, P.disk_size(path))
        loads.append(os.getloadavg()[0])
        for c in order:
            if c not in paths:
                continue
            seed += 1
            regions = bench.random_regions(n, 1000, seed=seed)
            _reads(paths[c], regions[:200])  # warm-up: open, locate chunks
            gc.collect()
            t0 = time.perf_counter()
            _reads(paths[c], regions)
            rows[c]["reads"].add(OURS, time.perf_counter() - t0)
            gc.collect()
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sums[c] = _scan(bench, paths[c])
            rows[c]["scan"].add(OURS, time.perf_counter() - t0)
            gc.collect()
            t0 = time.perf_counter()
            _decode_only(paths[c])
            rows[c]["decode"].add(OURS, time.perf_counter() - t0)
            gc.collect()
            t0 = time.perf_counter()
            fused[c] = bench.guard(rows[c]["fused"], OURS, _fused, paths[c])
            rows[c]["fused"].add(OURS, time.perf_counter() - t0)
        loads.append(os.getloadavg()[0])
    base = {k: rows["zlib"][k].value(OURS)
            for k in ("load", "size", "reads", "scan", "decode", "fused")}
    for c in CODECS[1:]:
        scan, size = rows[c]["scan"].value(OURS), rows[c]["size"].value(OURS)
        r = bench.res.row(f"codec_scan_speedup_{c}", f"codec {c}: scan speed-up over zlib "
                          "(zlib time / codec time)", "codec", kind="ratio",
                          target=("min_value", 2.0))
        if scan and base["scan"]:
            r.add(OURS, base["scan"] / scan)
        s = bench.res.row(f"codec_size_ratio_{c}", f"codec {c}: size / zlib size", "codec",
                          kind="ratio", target=("max_value", 1.1))
        if size and base["size"]:
            s.add(OURS, size / base["size"])
        f = rows[c]["fused"].value(OURS)
        r = bench.res.row(f"codec_fused_speedup_{c}", f"codec {c}: fused-summary speed-up over "
                          "zlib's fused summary", "codec", kind="ratio")
        if f and base["fused"]:
            r.add(OURS, base["fused"] / f)
        for k in ("load", "reads", "decode"):
            v = rows[c][k].value(OURS)
            if v and base[k]:
                rows[c][k].notes.append(f"{v / base[k]:.2f}× zlib")
    # the same values whatever the codec
    regions = bench.random_regions(200, 1000, seed=5)
    if "zlib" in paths:
        truth = _reads(paths["zlib"], regions)
        for c in CODECS[1:]:
            if c not in paths:
                continue
            ok = np.allclose(sums[c], sums["zlib"], rtol=1e-12) and (
                fused.get(c) is None or np.allclose(fused[c], fused["zlib"], rtol=1e-12)) and all(
                np.array_equal(a, b, equal_nan=True)
                for a, b in zip(_reads(paths[c], regions), truth))
            bench.res.check(f"codec {c}: scan sums, fused sums and 200 reads equal zlib's", ok)
            try:
                import genomedata

                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    with genomedata.Genome(str(paths[c])) as g:
                        theirs = [np.asarray(g[ch][s:e, 0]).reshape(-1) for ch, s, e in regions]
                ok = all(np.array_equal(a, b, equal_nan=True) for a, b in zip(theirs, truth))
                bench.res.check(f"codec {c}: the reference genomedata reads the same values", ok)
            except ImportError:
                pass
    for c in CODECS:
        P.remove(bench.tmp(f"codec_{c}.genomedata"))
    if loads:
        rows["zlib"]["scan"].notes.append(
            f"1-min load average during the section {min(loads):.1f}-{max(loads):.1f} "
            f"on {os.cpu_count()} CPUs")
