"""Side-by-side benchmark: gdxarray vs the reference genomedata 1.7.4 vs pyBigWig.

    python -m benchmarks                    # default scale (100M), < 10 min on 2 cores
    python -m benchmarks --quick            # ~1 minute smoke run (10M, fewer reads)
    python benchmarks/run.py --scale 1G --repeat 3 --only load,reads
    python -m benchmarks --list             # section names

Inputs are generated deterministically into benchmarks/_work/ (cached per
scale); every loader runs in its own child process (wall time and peak RSS of
that process); reads, scans, dask and xarray run in this process.  Peers are
interleaved within each repetition, alternating which goes first.  The table
(medians; peak RSS is the maximum) goes to stdout and to --out (RESULTS.md).
See benchmarks/README.md for what each row measures.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import shlex
import sys
import time
import traceback
import warnings
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"

from benchmarks import _procs as P
from benchmarks import datagen as D
from benchmarks.report import (
    BW,
    NA,
    OURS,
    REF,
    Results,
    machine_info,
    render_md,
    render_text,
    table,
)
from benchmarks.report import fmt_time as fmt_s

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"

SECTIONS = ("seq", "load", "small", "e2e", "close", "reads", "scan", "dask", "xarray", "size",
            "limit", "bam", "segway", "summary", "robust", "codec", "datasets",
            "liftover")
SECTION_DOC = {
    "datasets": "Janggu-style datasets: Cover build vs Janggu, 64-region batches vs pyBigWig/pybigtools",
    "startup": "interpreter start-up + import of each loader command (runs with any loader section)",
    "seq": "load-seq: ours on the full FASTA (Mbp/s); both on a small genome with long gaps",
    "load": "load-data per format (bedGraph, fixedStep, variableStep; plain and gzip)",
    "small": "load-data of a 1,000-line track into the full genome; interpreter+import cost",
    "e2e": "end-to-end load of 3 tracks (ours genomedata-load; reference step by step)",
    "close": "close-data of the 3-track archive",
    "reads": "10,000 random 1 bp and 1 kb reads through each Python API",
    "scan": "whole-genome scan: sum per track",
    "dask": "xarray+dask reduction: threads, LocalCluster 1 vs 2 processes",
    "xarray": "xarray region read vs the raw API",
    "size": "archive size on disk",
    "bam": "BAM → track (genomedata-load-bam) vs bedtools genomecov -bg (benchmarks/sec_bam.py)",
    "codec": "--compression zlib vs blosc2-zstd vs blosc2-lz4: size, load, reads, scan (sec_codec.py)",
    "limit": "physical limit: zlib.decompress of every stored chunk; plain file read",
    "segway": "Segway's access pattern: open+read per call, make_continuous_cells, itercontinuous scan",
    "summary": "fused reductions vs pyBigWig's scan and raw libdeflate; zoomed 1,000-bin summaries",
    "robust": "shuffled bedGraph load (memory bound); re-opening an archive",
    "liftover": "genomedata-liftover vs CrossMap bigwig on a 100 Mbp track (hg38 -> hg19)",
}
FORMAT_LABEL = {"bg": "bedGraph", "fixed": "fixedStep", "var": "variableStep"}
BLOCK = 1 << 20


#: Seconds spent inside colsums() since the last reset (the scans' own reduction cost).
SUM_CLOCK = [0.0]


def colsums(block: np.ndarray) -> np.ndarray:
    """NaN-skipping sum of each column of a (rows, tracks) or (rows,) block, float64.

    One contiguous column at a time (2x faster than ``np.nansum(block, axis=0)``
    on a C-ordered block); every peer's scan uses it, and its time is added up
    in SUM_CLOCK so the read cost can be told apart from the summing.
    """
    t0 = time.perf_counter()
    if block.ndim == 1:
        out = np.array([np.nansum(block, dtype=np.float64)])
    else:
        out = np.array([np.nansum(np.ascontiguousarray(block[:, k]), dtype=np.float64)
                        for k in range(block.shape[1])])
    SUM_CLOCK[0] += time.perf_counter() - t0
    return out


def log(*a) -> None:
    print(*a, file=sys.stderr, flush=True)


def mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def short_error(text: str) -> str:
    lines = [l for l in (text or "").strip().splitlines() if l.strip()]
    return lines[-1][:200] if lines else ""


def not_available(err: str) -> bool:
    return any(s in err for s in ("ModuleNotFoundError", "ImportError", "cannot import name",
                                  "No module named", "not available"))


class Bench:
    def __init__(self, args) -> None:
        self.args = args
        self.res = Results()
        self.scale = D.parse_scale(args.scale)
        self.repeat = max(1, args.repeat)
        #: repetitions of cheap in-process measurements
        self.cheap = self.repeat if args.quick else max(self.repeat, 2)
        # one scratch directory per run: concurrent runs must not share archives
        self.run_dir = WORK / f"run-{os.getpid()}"
        P.remove(self.run_dir)
        self.run_dir.mkdir(parents=True)
        self.ds: D.Dataset | None = None
        self.arch: dict[str, Path] = {}      # "ours_final", "ref_final", "ours_preclose", ...
        self.sums: dict[str, np.ndarray] = {}
        self.failed_once: set[str] = set()

    # -- helpers ---------------------------------------------------------------------
    def order(self, rep: int, impls=(OURS, REF)) -> list[str]:
        impls = list(impls)
        return impls if rep % 2 == 0 else impls[::-1]

    def tmp(self, name: str) -> Path:
        return self.run_dir / name

    def record_proc(self, row, impl: str, res: P.ProcResult, mem_row=None, what: str = "") -> bool:
        if res.ok:
            row.add(impl, res.wall)
            if row.kind == "time":
                row.cpu.setdefault(impl, []).append(res.cpu)
            if mem_row is not None:
                mem_row.add(impl, res.maxrss_mb)
            return True
        err = short_error(res.stderr) or f"exit {res.returncode}"
        tag = NA if not_available(res.stderr) else f"n/a (failed: {err})"
        row.fail(impl, tag)
        if mem_row is not None:
            mem_row.fail(impl, tag)
        key = (row.key, impl)
        if key not in self.failed_once:
            self.failed_once.add(key)
            self.res.problems.append(f"{row.label} [{impl}]{' ' + what if what else ''}: "
                                     f"exit {res.returncode}: {err}")
        return False

    def guard(self, row, impl: str, fn, *a, **kw):
        """Run fn; on exception mark the cell n/a and remember the error."""
        try:
            return fn(*a, **kw)
        except Exception as exc:  # noqa: BLE001
            text = f"{type(exc).__name__}: {exc}"
            tag = NA if isinstance(exc, (ImportError, AttributeError, NotImplementedError)) \
                else f"n/a (failed: {text[:120]})"
            if row is not None:
                row.fail(impl, tag)
            self.res.problems.append(f"{row.label if row is not None else '?'} [{impl}]: {text}\n"
                                     + "".join(traceback.format_exc().splitlines(True)[-6:]))
            return None

    def mem_bound(self) -> float:
        return self.ds.largest_chrom * 4 / 1e6 + 200

    # -- commands ----------------------------------------------------------------------
    def load_seq_cmd(self, impl: str, arch: Path, *inputs, sizes: bool = False) -> list[str]:
        flags = ["-f"] + (["--sizes"] if sizes else [])
        if impl == OURS:
            return P.ours_cmd("load_seq", *flags, arch, *inputs)
        return P.ref_cmd("_load_seq", *flags, arch, *inputs)

    def open_cmd(self, impl: str, arch: Path, tracks) -> list[str]:
        if impl == OURS:
            return P.ours_cmd("open_data", arch, "--tracknames", *tracks)
        return P.ref_cmd("_open_data", arch, "--tracknames", *tracks)

    def load_data(self, impl: str, arch: Path, track: str, path: Path, gz: bool) -> P.ProcResult:
        if impl == OURS:  # ours reads gzip from stdin itself
            return P.run(P.ours_cmd("load_data", arch, track), stdin_path=path)
        return P.run(P.ref_cmd("_load_data", arch, track), stdin_path=path, gunzip=gz)

    def close_cmd(self, impl: str, arch: Path) -> list[str]:
        if impl == OURS:
            return P.ours_cmd("close_data", arch)
        return P.ref_cmd("_close_data", arch)

    def template(self, impl: str, tracks=("t",)) -> Path | None:
        """Archive from the sizes file with *tracks* opened (cached for the run)."""
        key = f"tmpl_{impl}_{'_'.join(tracks)}"
        if key in self.arch:
            return self.arch[key]
        path = self.tmp(key + ".genomedata")
        P.remove(path)
        for what, cmd in (("load-seq --sizes", self.load_seq_cmd(impl, path, self.ds.sizes,
                                                                  sizes=True)),
                          ("open-data", self.open_cmd(impl, path, tracks))):
            res = P.run(cmd)
            if not res.ok:
                self.res.problems.append(f"{impl} {what} (template archive): exit "
                                         f"{res.returncode}: {short_error(res.stderr)}")
                return None
        self.arch[key] = path
        return path

    def time_setup(self) -> None:
        """load-seq --sizes and open-data (1 track): short commands, so several repetitions."""
        r_seq = self.res.row("seq_sizes", "load-seq --sizes (no sequence)", "seq",
                             target=("faster",))
        r_open = self.res.row("open_1", "open-data (1 track)", "load", target=("faster",))
        for rep in range(max(self.cheap, 3)):
            for impl in self.order(rep):
                path = self.tmp(f"setup_{impl}.genomedata")
                P.remove(path)
                res = P.run(self.load_seq_cmd(impl, path, self.ds.sizes, sizes=True))
                if self.record_proc(r_seq, impl, res):
                    self.record_proc(r_open, impl, P.run(self.open_cmd(impl, path, ("t",))))
                P.remove(path)

    # -- sections ----------------------------------------------------------------------
    def sec_seq(self) -> None:
        ds = self.ds
        nbp = ds.genome_bp
        ngaps = sum(len(g) for g in ds.gaps.values())
        row = self.res.row("seq_full", f"load-seq FASTA, full genome ({nbp / 1e6:g} Mbp, "
                           f"{ngaps} gaps ≥100 kb)", "seq",
                           target=("min_rate", nbp / 1e6, 50, "Mbp/s"))
        mem = self.res.row("mem_seq_full", "peak RSS: load-seq FASTA (full genome)", "memory",
                           kind="mem", target=("mem", self.mem_bound()))
        out = self.tmp("seq_full.genomedata")
        for rep in range(self.repeat):
            P.remove(out)
            res = P.run(self.load_seq_cmd(OURS, out, ds.fasta))
            self.record_proc(row, OURS, res, mem)
        v = row.value(OURS)
        if v:
            row.notes.append(f"ours {nbp / 1e6 / v:,.0f} Mbp/s")
            boot = self.startup()
            if boot and v > boot:
                row.notes.append(f"{nbp / 1e6 / (v - boot):,.0f} Mbp/s without start-up")
            self.res.rows["seq_full"].notes.append(
                "reference not run on it (~100 s CPU per gap, see small-genome row)")
            self.check_seq_layout(out)

        small = self.res.row("seq_small", f"load-seq FASTA, small genome "
                             f"({ds.small_fasta_bp / 1e6:g} Mbp, {ds.small_fasta_gaps} gap"
                             f"{'s' if ds.small_fasta_gaps > 1 else ''} ≥100 kb)", "seq",
                             target=("faster",))
        mem_s = self.res.row("mem_seq_small", "peak RSS: load-seq FASTA (small genome)",
                             "memory", kind="mem")
        out = self.tmp("seq_small.genomedata")
        for rep in range(self.repeat):
            P.remove(out)
            self.record_proc(small, OURS, P.run(self.load_seq_cmd(OURS, out, ds.small_fasta)),
                             mem_s)
        if self.args.skip_ref_seq:
            small.fail(REF, "n/a (skipped: --quick / --skip-ref-seq)")
            small.notes.append("reference: ~100 s CPU per ≥100 kb gap (FORMAT.md §4)")
        else:
            P.remove(out)
            log(f"  reference load-seq on the small genome (~{100 * ds.small_fasta_gaps} s) ...")
            res = P.run(self.load_seq_cmd(REF, out, ds.small_fasta),
                        timeout=400 * max(1, ds.small_fasta_gaps))
            if self.record_proc(small, REF, res, mem_s):
                t = res.wall
                small.notes.append(f"reference {ds.small_fasta_bp / 1e6 / t:.4f} Mbp/s, "
                                   f"{t / max(1, ds.small_fasta_gaps):.0f} s per gap")
        v = small.value(OURS)
        if v:
            small.notes.append(f"ours {ds.small_fasta_bp / 1e6 / v:,.1f} Mbp/s (incl. startup)")

    def check_seq_layout(self, path: Path) -> None:
        try:
            import gdxarray

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with gdxarray.Genome(str(path)) as g:
                    got = {c.name: [(s.start, s.end) for s in c] for c in g}
            ok = True
            for name, length in self.ds.chroms:
                exp, pos = [], 0
                for g0, g1 in self.ds.gaps[name]:
                    exp.append((pos, g0))
                    pos = g1
                exp.append((pos, length))
                ok &= got.get(name) == exp
            self.res.check("load-seq FASTA: supercontigs split exactly at the long N gaps", ok,
                           "" if ok else f"got {got}")
        except Exception as exc:  # noqa: BLE001
            self.res.check("load-seq FASTA: supercontigs split at the long N gaps", False,
                           f"{type(exc).__name__}: {exc}")

    def sec_load(self) -> None:
        ds = self.ds
        self.time_setup()
        tmpl = {impl: self.template(impl) for impl in (OURS, REF)}
        bound = self.mem_bound()
        variants = [(t, gz) for t in D.TRACKS for gz in (False, True)]
        for rep in range(self.repeat):
            for t, gz in variants:
                path = ds.tracks[t]["gz" if gz else "plain"]
                label = f"load-data {FORMAT_LABEL[t]} ({'gzip' if gz else 'plain'})"
                row = self.res.row(f"load_{t}_{int(gz)}", label, "load", target=("ref", 0.4))
                mem = self.res.row(f"mem_load_{t}_{int(gz)}", f"peak RSS: {label}", "memory",
                                   kind="mem", target=("mem", bound))
                raw = ds.size_of(ds.tracks[t]["plain"])
                row.work["bytes"] = raw
                for impl in self.order(rep):
                    if tmpl[impl] is None:
                        row.fail(impl, NA)
                        continue
                    dst = self.tmp(f"load_{impl}.genomedata")
                    P.copy_archive(tmpl[impl], dst)
                    res = self.load_data(impl, dst, "t", path, gz)
                    self.record_proc(row, impl, res, mem)
                    P.remove(dst)
        for t, gz in variants:
            row = self.res.rows.get(f"load_{t}_{int(gz)}")
            if row is None:
                continue
            raw = row.work["bytes"]
            parts = [f"{ds.lines[t]:,} lines, {mb(raw)}"
                     + (f" ({mb(ds.size_of(ds.tracks[t]['gz']))} gz)" if gz else "")]
            for impl, name in ((OURS, "ours"), (REF, "ref")):
                v = row.value(impl)
                if v:
                    parts.append(f"{name} {raw / 1e6 / v:,.1f} MB/s")
            boot = self.startup(OURS)
            v = row.value(OURS)
            if boot and v and v > boot:
                parts.append(f"ours {raw / 1e6 / (v - boot):,.1f} MB/s without start-up")
            row.notes.append(", ".join(parts))

    def sec_bam(self) -> None:
        from benchmarks import sec_bam; sec_bam.run(self)  # noqa: E702

    def sec_codec(self) -> None:
        from benchmarks import sec_codec; sec_codec.run(self)  # noqa: E702

    def sec_small(self) -> None:
        ds = self.ds
        tmpl = {impl: self.template(impl) for impl in (OURS, REF)}
        row = self.res.row("small", f"load-data 1,000 lines into {ds.genome_bp / 1e6:g} Mbp",
                           "small", target=("max_s", 1.0))
        for rep in range(self.cheap):
            for impl in self.order(rep):
                if tmpl[impl] is None:
                    row.fail(impl, NA)
                    continue
                dst = self.tmp(f"small_{impl}.genomedata")
                P.copy_archive(tmpl[impl], dst)
                self.record_proc(row, impl, self.load_data(impl, dst, "t", ds.small_track, False))
                P.remove(dst)
        if ds.genome_bp < 100_000_000:
            row.notes.append("target is stated for a 100 Mbp genome")
        row.notes.append("wall time of the command, interpreter start-up included")

    def sec_startup(self) -> None:
        """Interpreter start-up + import of a loader command: paid by every CLI call."""
        boot = self.res.row("startup", "start-up: interpreter + import of the load-data "
                            "command", "startup", target=("faster",))
        for rep in range(max(self.cheap, 3)):
            for impl in self.order(rep):
                mod = "gdxarray.cli.load_data" if impl == OURS else "genomedata._load_data"
                self.record_proc(boot, impl, P.run(P.py_cmd(f"import {mod}")))
        boot.notes.append("`python -c 'import <the command module>'`; included in every "
                          "loader row below")

    def startup(self, impl: str = OURS) -> float:
        row = self.res.get("startup")
        return (row.value(impl) if row is not None else None) or 0.0

    def build_ref(self, row=None, mem=None) -> bool:
        """The reference's genomedata-load without h5repack (benchmarks/_ref_pipeline.py)."""
        ds = self.ds
        final = self.tmp("ref_final.genomedata")
        pre = self.tmp("ref_preclose.genomedata")
        P.remove(final)
        P.remove(pre)
        cmd = [P.PY, str(HERE / "_ref_pipeline.py"), final, ds.sizes, pre]
        cmd += [f"{t}={ds.tracks[t]['plain']}" for t in D.TRACKS]
        res = P.run(cmd, capture=True)
        if not res.ok:
            if row is not None:
                self.record_proc(row, REF, res, mem)
            else:
                self.res.problems.append(f"reference build: {short_error(res.stderr)}")
            return False
        info = json.loads(res.stdout.strip().splitlines()[-1])
        if row is not None:
            row.add(REF, res.wall - info["copy"])
            row.cpu.setdefault(REF, []).append(res.cpu)   # wait4 counts waited-for children
            mem.add(REF, max(res.maxrss_mb, info["children_rss_mb"]))
            self.ref_steps = info["steps"]
        self.arch["ref_preclose"], self.arch["ref_final"] = pre, final
        return True

    def build_ours_e2e(self, row=None, mem=None) -> bool:
        ds = self.ds
        final = self.tmp("ours_final.genomedata")
        P.remove(final)
        args = ["-f", "--sizes", "-s", ds.sizes]
        for t in D.TRACKS:
            args += ["-t", f"{t}={ds.tracks[t]['plain']}"]
        res = P.run(P.ours_cmd("load", *args, final))
        if row is not None:
            ok = self.record_proc(row, OURS, res, mem)
        else:
            ok = res.ok
            if not ok:
                self.res.problems.append(f"gdxarray genomedata-load: {short_error(res.stderr)}")
        if ok:
            self.arch["ours_final"] = final
        return ok

    def build_ours_preclose(self) -> bool:
        ds = self.ds
        pre = self.tmp("ours_preclose.genomedata")
        P.remove(pre)
        for what, cmd in (("load-seq", self.load_seq_cmd(OURS, pre, ds.sizes, sizes=True)),
                          ("open-data", self.open_cmd(OURS, pre, D.TRACKS))):
            res = P.run(cmd)
            if not res.ok:
                self.res.problems.append(f"gdxarray pre-close build ({what}): "
                                         f"{short_error(res.stderr)}")
                return False
        for t in D.TRACKS:
            res = self.load_data(OURS, pre, t, ds.tracks[t]["plain"], False)
            if not res.ok:
                self.res.problems.append(f"gdxarray pre-close build (load-data {t}): "
                                         f"{short_error(res.stderr)}")
                return False
        self.arch["ours_preclose"] = pre
        return True

    def sec_e2e(self) -> None:
        row = self.res.row("e2e", "end-to-end load, 3 tracks (sizes + bedGraph + fixedStep + "
                           "variableStep)", "e2e", target=("faster",))
        mem = self.res.row("mem_e2e", "peak RSS: end-to-end load (largest step for reference)",
                           "memory", kind="mem", target=("mem", self.mem_bound()))
        for rep in range(self.repeat):
            for impl in self.order(rep):
                if impl == OURS:
                    self.build_ours_e2e(row, mem)
                else:
                    self.build_ref(row, mem)
        row.notes.append("reference: its genomedata-load steps in one process (load-data in a "
                         "child each) without the final h5repack (not installed); ours: "
                         "genomedata-load")
        steps = getattr(self, "ref_steps", None)
        if steps:
            row.notes.append("reference steps: " + ", ".join(f"{k} {fmt_s(v)}"
                                                           for k, v in steps.items()))

    def ensure_final(self) -> None:
        if "ours_final" not in self.arch:
            log("  building gdxarray's 3-track archive (untimed) ...")
            self.build_ours_e2e()
        if "ref_final" not in self.arch:
            log("  building the reference's 3-track archive (untimed) ...")
            self.build_ref()

    def sec_close(self) -> None:
        if "ref_preclose" not in self.arch:
            self.build_ref()
        if "ours_preclose" not in self.arch:
            self.build_ours_preclose()
        row = self.res.row("close", "close-data (3 tracks)", "close", target=("ref", 0.5))
        mem = self.res.row("mem_close", "peak RSS: close-data", "memory", kind="mem",
                           target=("mem", self.mem_bound()))
        cross = self.res.row("close_cross", "close-data of the reference-built archive "
                             "(gdxarray vs reference)", "close", target=("ref", 0.5))
        for rep in range(self.repeat):
            for impl in self.order(rep):
                src = self.arch.get(f"{'ours' if impl == OURS else 'ref'}_preclose")
                if src is None:
                    row.fail(impl, NA)
                    continue
                dst = self.tmp(f"close_{impl}.genomedata")
                P.copy_archive(src, dst)
                res = P.run(self.close_cmd(impl, dst))
                self.record_proc(row, impl, res, mem)
                if impl == REF:
                    self.record_proc(cross, REF, res)
                P.remove(dst)
            if "ref_preclose" in self.arch:
                dst = self.tmp("close_cross.genomedata")
                P.copy_archive(self.arch["ref_preclose"], dst)
                self.record_proc(cross, OURS, P.run(self.close_cmd(OURS, dst)))
                P.remove(dst)

    # -- in-process reads ------------------------------------------------------------------
    def open_readers(self):
        self.ensure_final()
        readers = {}
        import genomedata
        import pyBigWig

        import gdxarray

        if "ours_final" in self.arch:
            readers[OURS] = gdxarray.Genome(str(self.arch["ours_final"]))
        if "ref_final" in self.arch:
            readers[REF] = genomedata.Genome(str(self.arch["ref_final"]))
        readers[BW] = pyBigWig.open(str(self.ds.tracks["bg"]["bw"]))
        return readers

    def random_regions(self, n: int, width: int, seed: int) -> list[tuple[str, int, int]]:
        rng = np.random.default_rng(seed)
        names = [c for c, _ in self.ds.chroms]
        lengths = np.array([l for _, l in self.ds.chroms], dtype=np.float64)
        which = rng.choice(len(names), size=n, p=lengths / lengths.sum())
        starts = (rng.random(n) * (lengths[which] - width)).astype(np.int64)
        return [(names[w], int(s), int(s) + width) for w, s in zip(which, starts)]

    def sec_reads(self) -> None:
        readers = self.open_readers()
        n = self.args.reads
        reps = self.cheap
        try:
            for width, label in ((1, "1 bp"), (1000, "1 kb")):
                regions = self.random_regions(n, width, seed=width)
                row = self.res.row(f"reads_{width}", f"{n:,} random {label} reads, track 1",
                                   "reads", target=("ref_bw", 0.5, 1.0))
                fns = {}
                for impl, rd in readers.items():
                    if impl == BW:
                        fns[impl] = lambda rs, bw=rd: [bw.values(c, s, e, numpy=True)
                                                       for c, s, e in rs]
                    else:
                        chroms = {c: rd[c] for c, _ in self.ds.chroms}
                        fns[impl] = lambda rs, ch=chroms: [ch[c][s:e, 0] for c, s, e in rs]
                outputs = {}
                for impl, fn in fns.items():  # warm-up + results for the check
                    outputs[impl] = self.guard(row, impl, fn, regions[:200])
                # fresh regions for every (repetition, peer): no peer reads what another
                # (or its own previous pass) just left in a cache
                seed = 1000 * width
                for rep in range(reps):
                    for impl in self.order(rep, [i for i in fns if outputs.get(i) is not None]):
                        seed += 1
                        rs = self.random_regions(n, width, seed=seed)
                        gc.collect()
                        t0 = time.perf_counter()
                        fns[impl](rs)
                        row.add(impl, time.perf_counter() - t0)
                self.compare_reads(label, outputs)
                for impl, name in ((OURS, "ours"), (REF, "ref"), (BW, "bw")):
                    v = row.value(impl)
                    if v:
                        row.notes.append(f"{name} {v / n * 1e6:,.0f} µs/read")
                if OURS not in readers:
                    row.fail(OURS, NA)
                if REF not in readers:
                    row.fail(REF, NA)
        finally:
            for rd in readers.values():
                with contextlib.suppress(Exception):
                    rd.close()

    def compare_reads(self, label: str, outputs: dict) -> None:
        base = outputs.get(OURS)
        if base is None:
            return
        for peer in (REF, BW):
            other = outputs.get(peer)
            if other is None:
                continue
            ok = all(np.allclose(np.asarray(a, dtype=np.float32).ravel(),
                                 np.asarray(b, dtype=np.float32).ravel(), equal_nan=True,
                                 rtol=1e-6, atol=1e-6)
                     for a, b in zip(base, other))
            self.res.check(f"random {label} reads: gdxarray == {peer} (first 200)", ok)

    # -- scans -------------------------------------------------------------------------
    def scan_ours(self, g) -> np.ndarray:
        acc = np.zeros(len(g.tracknames_continuous))
        for chrom in g:
            if hasattr(chrom, "iter_blocks"):
                for _, block in chrom.iter_blocks(block_rows=BLOCK):
                    acc += colsums(block)
            else:
                for sc in chrom:
                    for lo in range(sc.start, sc.end, BLOCK):
                        acc += colsums(chrom[lo:min(sc.end, lo + BLOCK)])
        return acc

    @staticmethod
    def scan_ref(g) -> np.ndarray:
        acc = np.zeros(len(g.tracknames_continuous))
        for chrom in g:
            for sc, cont in chrom.itercontinuous():
                for lo in range(0, cont.shape[0], BLOCK):
                    acc += colsums(cont[lo:lo + BLOCK])
        return acc

    def scan_bw(self) -> np.ndarray:
        import pyBigWig

        acc = np.zeros(len(D.TRACKS))
        for k, t in enumerate(D.TRACKS):
            bw = pyBigWig.open(str(self.ds.tracks[t]["bw"]))
            for name, length in self.ds.chroms:
                for lo in range(0, length, BLOCK):
                    acc[k] += colsums(bw.values(name, lo, min(length, lo + BLOCK),
                                                numpy=True))[0]
            bw.close()
        return acc

    @staticmethod
    def _time(fn) -> float:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0

    def stored_bytes(self) -> int:
        """float32 bytes of every stored value (supercontig lengths x tracks x 4)."""
        return self.ds.genome_bp * len(D.TRACKS) * 4

    def sec_scan(self) -> None:
        self.ensure_final()
        import genomedata

        import gdxarray

        work = self.stored_bytes()
        row = self.res.row("scan", "whole-genome scan, sum per track (3 tracks, 1 process)",
                           "scan", target=("scan", 0.5, 0.6, "limit_zlib1", work))
        fns = {}
        if "ours_final" in self.arch:
            path = str(self.arch["ours_final"])

            def ours():
                with gdxarray.Genome(path) as g:
                    return self.scan_ours(g)
            fns[OURS] = ours
        else:
            row.fail(OURS, NA)
        if "ref_final" in self.arch:
            rpath = str(self.arch["ref_final"])

            def ref():
                with genomedata.Genome(rpath) as g:
                    return self.scan_ref(g)
            fns[REF] = ref
        else:
            row.fail(REF, NA)
        fns[BW] = self.scan_bw
        reps = self.repeat
        sum_time: dict[str, list[float]] = {}
        for rep in range(reps):
            for impl in self.order(rep, list(fns)):
                gc.collect()
                SUM_CLOCK[0] = 0.0
                t0 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    out = self.guard(row, impl, fns[impl])
                if out is None:
                    fns.pop(impl)
                    continue
                row.add(impl, time.perf_counter() - t0)
                sum_time.setdefault(impl, []).append(SUM_CLOCK[0])
                self.sums[impl] = out
        for impl, name in ((OURS, "ours"), (REF, "ref"), (BW, "bw")):
            v = row.value(impl)
            if v:
                row.notes.append(f"{name} {work / 1e6 / v:,.0f} MB/s")
        # the NaN-skipping sums inside each scan, timed block by block
        import statistics

        parts = []
        for impl, name in ((OURS, "ours"), (REF, "ref"), (BW, "bw")):
            if sum_time.get(impl):
                parts.append(f"{name} {fmt_s(statistics.median(sum_time[impl]))}")
        if parts:
            row.notes.append("of which the sums: " + ", ".join(parts))
        if sum_time.get(OURS):
            row.work["reduction_s"] = statistics.median(sum_time[OURS])
        expected = np.array([D.expected_sums(self.ds)[t] for t in D.TRACKS])
        for impl, s in self.sums.items():
            ok = s.shape == expected.shape and np.allclose(s, expected, rtol=1e-4)
            self.res.check(f"scan sums of {impl} match the bigWig headers' sumData", ok,
                           "" if ok else f"got {s.tolist()}, expected {expected.tolist()}")

    # -- xarray / dask --------------------------------------------------------------
    def dask_chunk(self) -> int:
        rows = max(10_000, (self.ds.genome_bp // 32) // 10_000 * 10_000)
        return min(self.args.dask_chunk, rows)

    def open_xr(self, chunks=None, group=None):
        import xarray as xr

        kw = {"engine": "genomedata"}
        if chunks is not None:
            kw["chunks"] = chunks
        if group is not None:
            kw["group"] = group
        return xr.open_dataset(str(self.arch["ours_final"]), **kw)

    def dask_reduce(self, ds, **compute_kw) -> np.ndarray:
        var = ds["continuous"]
        pos = [d for d in var.dims if d != "track"]
        return np.asarray(var.sum(pos, skipna=True).compute(**compute_kw).values,
                          dtype=np.float64)

    def sec_dask(self) -> None:
        self.ensure_final()
        threads = self.res.row("dask_threads", "dask reduction, threaded scheduler (2 threads)",
                               "dask")
        one = self.res.row("dask_p1", "dask reduction, LocalCluster 1 process", "dask")
        two = self.res.row("dask_p2", "dask reduction, LocalCluster 2 processes", "dask")
        scale = self.res.row("dask_scaling", "dask scaling: time(1 process) / time(2 processes)",
                             "dask", kind="ratio", target=("min_value", 1.7))
        if "ours_final" not in self.arch:
            for r in (threads, one, two, scale):
                r.fail(OURS, NA)
            return
        chunk = self.dask_chunk()
        chunks = {"position": chunk, "track": -1}
        for r in (threads, one, two):
            r.notes.append(f"chunks of {chunk:,} positions × all tracks")
        for r in (one, two):
            r.notes.append(f"worker-saturation={self.args.worker_saturation:g}")
        # a reduction takes 1-3 s and one run's time swings ±15% on a shared VM: five
        # repetitions give the ratio of medians a steadier footing
        reps = self.repeat if self.args.quick else max(self.repeat, 5)
        ds = self.guard(threads, OURS, self.open_xr, chunks)
        if ds is None:
            for r in (one, two, scale):
                r.fail(OURS, NA)
            return
        expected = self.sums.get(OURS)
        try:
            out = self.guard(threads, OURS, self.dask_reduce, ds, scheduler="threads",
                             num_workers=2)
            if out is not None:
                self.res.check("dask (threads) sums match the raw scan" if expected is not None
                               else "dask (threads) sums match the bigWig headers",
                               np.allclose(out, expected if expected is not None else
                                           [D.expected_sums(self.ds)[t] for t in D.TRACKS],
                                           rtol=1e-4), f"got {out.tolist()}")
                for _ in range(reps):
                    t0 = time.perf_counter()
                    self.dask_reduce(ds, scheduler="threads", num_workers=2)
                    threads.add(OURS, time.perf_counter() - t0)
            # peers for the threaded row: the one-process scans
            scan = self.res.get("scan")
            if scan is not None:
                for impl in (REF, BW):
                    for v in scan.samples.get(impl, []):
                        threads.add(impl, v)
                threads.notes.append("peers: their one-process scans (no dask engine)")
            for n_workers, row in ((1, one), (2, two)):
                self.guard(row, OURS, self.time_cluster, ds, n_workers, row, reps)
        finally:
            ds.close()
        a, b = one.value(OURS), two.value(OURS)
        if a and b:
            scale.add(OURS, a / b)
        else:
            scale.fail(OURS, NA)

    def time_cluster(self, ds, n_workers: int, row, reps: int) -> None:
        # distributed sets its workers' environment (MALLOC_TRIM_THRESHOLD_=65536,
        # OMP_NUM_THREADS=1, ...) in this process's os.environ and leaves it there:
        # every later child would inherit it (the liftover ran ~30% slower under it)
        saved = dict(os.environ)
        try:
            self._time_cluster(ds, n_workers, row, reps)
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def _time_cluster(self, ds, n_workers: int, row, reps: int) -> None:
        import logging

        import dask
        from dask.distributed import Client, LocalCluster

        # the scheduler reads worker-saturation when it starts
        with dask.config.set({"distributed.scheduler.worker-saturation":
                              self.args.worker_saturation}), \
                LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                             dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
                Client(cluster) as client:
            client.run(lambda: os.environ.pop("PYTHONUNBUFFERED", None))
            # warm-up: imports, file opens and chunk listings in every worker
            self.dask_reduce(ds)
            for _ in range(reps):
                t0 = time.perf_counter()
                self.dask_reduce(ds)
                row.add(OURS, time.perf_counter() - t0)

    def sec_xarray(self) -> None:
        self.ensure_final()
        import gdxarray

        if "ours_final" not in self.arch:
            return
        reps = self.cheap
        n100 = 100 if self.args.quick else 300
        specs = ((100_000, n100, "100 kb"), (1_000, 2_000, "1 kb"))
        g = gdxarray.Genome(str(self.arch["ours_final"]))
        try:
            for width, n, label in specs:
                row = self.res.row(f"xr_{width}", f"{n:,} random {label} region reads, all "
                                   "tracks: xarray (gdxarray col) vs raw API (ref col)",
                                   "xarray", target=("ref", 1.3) if width > 1_000 else None)
                if width <= 1_000:
                    # issue 15: xarray's own per-call cost (~50-90 us) is most of a 1 kb read;
                    # kept as a measurement, the many-small-regions path is the datasets loader
                    row.notes.append("measurement only: xarray's per-call floor; many small "
                                     "regions go through gdxarray.datasets")
                regions = self.random_regions(n, width, seed=7 + width)
                dss = {}
                for c, _ in self.ds.chroms:
                    d = self.guard(row, OURS, self.open_xr, None, c)
                    if d is None:
                        return
                    dss[c] = d
                chroms = {c: g[c] for c, _ in self.ds.chroms}
                # each side holds its per-chromosome object, as a loop over regions would:
                # the raw API its Chromosome, xarray the DataArray
                das = {c: d["continuous"] for c, d in dss.items()}

                def via_xr(rs, das=das):
                    return [das[c].isel(position=slice(s, e)).values for c, s, e in rs]

                def via_raw(rs, chroms=chroms):
                    return [chroms[c][s:e] for c, s, e in rs]

                a = self.guard(row, OURS, via_xr, regions[:50])
                b = via_raw(regions[:50])
                if a is None:
                    return
                ok = all(np.array_equal(x, y, equal_nan=True) for x, y in zip(a, b))
                self.res.check(f"xarray {label} region reads == raw API", ok)
                # the "reference" column of this row holds gdxarray's raw API
                # Both paths share gdxarray's caches (chunk locations, decoded chunks), so
                # they alternate read by read, each on its own fresh random regions: the
                # cache state is statistically the same for both.
                seed = 77 * width
                clock = time.perf_counter
                for _rep in range(reps):
                    rx = self.random_regions(n, width, seed=seed + 1)
                    rr = self.random_regions(n, width, seed=seed + 2)
                    seed += 2
                    spent = {OURS: 0.0, REF: 0.0}
                    xr_first = ((OURS, via_xr, rx), (REF, via_raw, rr))
                    raw_first = xr_first[::-1]
                    gc.collect()
                    for i in range(n):
                        for impl, fn, rs in (raw_first if i % 2 else xr_first):
                            t0 = clock()
                            fn(rs[i:i + 1])
                            spent[impl] += clock() - t0
                    row.add(OURS, spent[OURS])
                    row.add(REF, spent[REF])
                row.notes.append("both gdxarray; `da.isel(position=slice(s, e)).values` with "
                                 "`da = open_dataset(..., group=chrom).continuous` vs "
                                 "`chrom[s:e]`")
                self.xarray_floor(width, n, label, reps, das, via_raw)
                for d in dss.values():
                    d.close()
        finally:
            g.close()

    def xarray_floor(self, width: int, n: int, label: str, reps: int, das: dict,
                     via_raw) -> None:
        """xarray's own cost of the same call on in-memory data (no gdxarray involved).

        The same ``isel(position=slice(s, e)).values`` on a DataArray with the same
        coordinates over a numpy array of zeros (pages untouched until read) is
        the least any backend can cost through xarray; the row says how much of
        the region read's time that is.  Each call follows a raw read of another
        region (not timed), as in the region-read row, so caches are as cold.
        """
        import xarray as xr

        row = self.res.row(f"xr_floor_{width}", f"{n:,} random {label} region reads: the same "
                           "xarray call on an in-memory numpy DataArray", "xarray")
        floors = {c: xr.DataArray(np.zeros(da.shape, dtype=da.dtype), dims=da.dims,
                                  coords=da.coords, name=da.name)
                  for c, da in das.items()}
        clock = time.perf_counter
        seed = 91 * width
        for _rep in range(reps):
            regions = self.random_regions(n, width, seed=seed)
            others = self.random_regions(n, width, seed=seed + 1)
            seed += 2
            gc.collect()
            total = 0.0
            for (c, s, e), other in zip(regions, others):
                via_raw([other])
                t0 = clock()
                floors[c].isel(position=slice(s, e)).values
                total += clock() - t0
            row.add(OURS, total)
        ours = self.res.get(f"xr_{width}")
        if ours is not None and ours.value(OURS) and ours.value(REF) and row.value(OURS):
            fl, xv, raw = row.value(OURS), ours.value(OURS), ours.value(REF)
            row.notes.append(f"{fl / n * 1e6:,.0f} µs a call in xarray alone; the region read "
                             f"costs {(xv - raw) / n * 1e6:,.0f} µs more than the raw API, of "
                             f"which xarray's floor is {fl / max(xv - raw, 1e-12):.0%}; with "
                             f"that floor the least possible ratio here is "
                             f"{(raw + fl) / raw:.2f}×")

    def limit_processes(self, raws: list, r1, reps: int) -> None:
        """The machine's own 2-process scaling of the same inflate work.

        Two forked children inflate half of the chunks each (inherited, not sent);
        time(1 thread) / time(2 processes) shows how far two processes scale on this
        machine for work that is mostly inflating.  It includes the fork and the
        children's copy-on-write faults (touching each inherited chunk writes its
        reference count), so it is a reference point, not a ceiling: a dask
        cluster whose workers are already running can scale further.
        """
        import multiprocessing as mp
        import zlib

        def part(lo: int, hi: int) -> None:
            for r in raws[lo:hi]:
                zlib.decompress(r)

        try:
            ctx = mp.get_context("fork")
        except ValueError:  # pragma: no cover - no fork on this platform
            return
        row = self.res.row("limit_zlib2p", "raw zlib.decompress of every stored chunk, "
                           "2 processes", "limit")
        half = len(raws) // 2
        for _ in range(reps):
            t0 = time.perf_counter()
            procs = [ctx.Process(target=part, args=span)
                     for span in ((0, half), (half, len(raws)))]
            for pr in procs:
                pr.start()
            for pr in procs:
                pr.join()
            row.add(OURS, time.perf_counter() - t0)
        one, two = r1.value(OURS), row.value(OURS)
        if one and two:
            row.notes.append(f"scaling time(1 thread) / time(2 processes) = {one / two:.2f}×, "
                             "fork, start-up and copy-on-write faults included")
            scale = self.res.get("dask_scaling")
            if scale is not None and scale.value(OURS):
                scale.notes.append(f"this machine's own 2-process scaling of raw inflate in "
                                   f"the same run: {one / two:.2f}× (limit rows; fork and "
                                   "copy-on-write included)")

    def sec_size(self) -> None:
        self.ensure_final()
        row = self.res.row("size", "archive size on disk (3 tracks)", "size", kind="size")
        if "ours_final" in self.arch:
            row.add(OURS, P.disk_size(self.arch["ours_final"]))
        else:
            row.fail(OURS, NA)
        if "ref_final" in self.arch:
            row.add(REF, P.disk_size(self.arch["ref_final"]))
            row.notes.append("reference archive not h5repacked (h5repack absent)")
        row.add(BW, sum(P.disk_size(self.ds.tracks[t]["bw"]) for t in D.TRACKS))
        plain = sum(self.ds.size_of(self.ds.tracks[t]["plain"]) for t in D.TRACKS)
        gz = sum(self.ds.size_of(self.ds.tracks[t]["gz"]) for t in D.TRACKS)
        row.notes.append(f"bigWig: 3 files; text inputs {mb(plain)} ({mb(gz)} gzip)")

    # -- the physical limit ---------------------------------------------------------
    def collect_chunks(self, path: Path):
        import tables

        raws, sizes = [], 0
        for f in P.archive_files(path):
            with tables.open_file(str(f)) as h5:
                for leaf in h5.walk_nodes("/", classname="Leaf"):
                    if leaf.name != "continuous":
                        continue
                    rows = leaf.chunkshape[0]
                    ncols = leaf.shape[1] if len(leaf.shape) > 1 else 1
                    cols_per = leaf.chunkshape[1] if len(leaf.chunkshape) > 1 else 1
                    for r in range(0, leaf.shape[0], rows):
                        for c in range(0, ncols, cols_per):
                            coords = (r, c) if len(leaf.shape) > 1 else (r,)
                            info = leaf.chunk_info(coords)
                            if info.offset is None:
                                continue
                            raws.append(leaf.read_chunk(coords))
                            sizes += rows * cols_per * leaf.atom.size
        return raws, sizes

    def sec_segway(self) -> None:
        from benchmarks import sec_segway; sec_segway.run(self)  # noqa: E702

    def sec_robust(self) -> None:
        from benchmarks.sec_robust import run
        run(self)

    def sec_datasets(self) -> None:
        from benchmarks import sec_datasets; sec_datasets.run(self)  # noqa: E702

    def sec_liftover(self) -> None:
        from benchmarks import sec_liftover; sec_liftover.run(self)  # noqa: E702

    def sec_limit(self) -> None:
        self.ensure_final()
        path = self.arch.get("ours_final")
        if path is None:
            return
        import zlib
        from concurrent.futures import ThreadPoolExecutor

        t0 = time.perf_counter()
        raws, out_bytes = self.collect_chunks(path)
        t_collect = time.perf_counter() - t0
        comp = sum(len(r) for r in raws)
        reps = self.cheap
        r1 = self.res.row("limit_zlib1", "raw zlib.decompress of every stored chunk, 1 thread",
                          "limit")
        r1.work["bytes"] = out_bytes
        r2 = self.res.row("limit_zlib2", "raw zlib.decompress of every stored chunk, 2 threads",
                          "limit")
        rr = self.res.row("limit_read_chunk", "PyTables read_chunk of every chunk (no inflate)",
                          "limit")
        rr.add(OURS, t_collect)
        rf = self.res.row("limit_file", "plain read of the archive's file bytes (warm cache)",
                          "limit")
        dec = zlib.decompress

        def all1():
            for r in raws:
                dec(r)

        half = len(raws) // 2

        def part(lo, hi):
            for r in raws[lo:hi]:
                dec(r)

        for _ in range(reps):
            t0 = time.perf_counter()
            all1()
            r1.add(OURS, time.perf_counter() - t0)
        with ThreadPoolExecutor(2) as ex:
            for _ in range(reps):
                t0 = time.perf_counter()
                list(ex.map(lambda a: part(*a), [(0, half), (half, len(raws))]))
                r2.add(OURS, time.perf_counter() - t0)
        try:
            import deflate

            rl = self.res.row("limit_libdeflate", "raw libdeflate (deflate pkg) of every chunk, "
                              "1 thread", "limit")
            chunk_out = out_bytes // max(1, len(raws))
            for _ in range(reps):
                t0 = time.perf_counter()
                for r in raws:
                    deflate.zlib_decompress(r, chunk_out)
                rl.add(OURS, time.perf_counter() - t0)
            rl.notes.append(f"{out_bytes / 1e6 / rl.value(OURS):,.0f} MB/s out")
        except ImportError:
            pass
        files = P.archive_files(path)
        fbytes = sum(f.stat().st_size for f in files)
        for _ in range(reps):
            t0 = time.perf_counter()
            for f in files:
                with open(f, "rb", buffering=0) as fh:
                    while fh.read(1 << 24):
                        pass
            rf.add(OURS, time.perf_counter() - t0)
        r1.notes.append(f"{len(raws):,} chunks, {mb(comp)} → {mb(out_bytes)}; "
                        f"{out_bytes / 1e6 / r1.value(OURS):,.0f} MB/s out")
        r2.notes.append(f"{out_bytes / 1e6 / r2.value(OURS):,.0f} MB/s out")
        self.limit_processes(raws, r1, reps)
        rr.notes.append(f"{len(raws) / t_collect:,.0f} chunks/s incl. chunk_info")
        rf.notes.append(f"{mb(fbytes)}, {fbytes / 1e6 / rf.value(OURS):,.0f} MB/s")

    def sec_summary(self) -> None:
        from benchmarks import sec_summary
        sec_summary.run(self)

    # -- driver ------------------------------------------------------------------------
    def run(self) -> None:
        t_start = time.perf_counter()
        self.loadavg_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
        self.ds = D.generate(WORK, self.scale, ref_seq_gaps=self.args.ref_seq_gaps, log=log)
        ds = self.ds
        self.res.facts += [
            f"genome: {len(ds.chroms)} chromosomes, {ds.genome_bp:,} bp (largest "
            f"{ds.largest_chrom:,} bp); FASTA with a {D.LONG_GAP_LEN // 1000} kb N gap in "
            f"{sum(1 for g in ds.gaps.values() if g)} of them plus short N runs; data archives "
            "are built from the sizes file (one supercontig per chromosome), single-file mode",
            "tracks: " + "; ".join(
                f"{FORMAT_LABEL[t]} {ds.lines[t]:,} lines, {mb(ds.size_of(ds.tracks[t]['plain']))}"
                f" ({mb(ds.size_of(ds.tracks[t]['gz']))} gzip)" for t in D.TRACKS),
            f"loader peak-memory bound: largest chromosome × 4 B + 200 MB = "
            f"{self.mem_bound():,.0f} MB",
        ]
        wanted = [s for s in SECTIONS if s in self.args.only] if self.args.only else list(SECTIONS)
        if set(wanted) & {"seq", "load", "small", "e2e", "close"}:
            wanted.insert(0, "startup")
        for sec in wanted:
            log(f"[{time.perf_counter() - t_start:6.1f} s] {sec}: {SECTION_DOC[sec]}")
            try:
                getattr(self, f"sec_{sec}")()
            except Exception as exc:  # noqa: BLE001
                self.res.problems.append(f"section {sec} aborted: {type(exc).__name__}: {exc}\n"
                                         + traceback.format_exc()[-1500:])
                log(f"  section {sec} aborted: {type(exc).__name__}: {exc}")
        self.elapsed = time.perf_counter() - t_start
        log(f"[{self.elapsed:6.1f} s] done")


def write_report(bench: Bench, argv: list[str], out: Path | None) -> str:
    header, rows = table(bench.res)
    text = render_text(header, rows)
    info = machine_info()
    fails = [r for r in rows if r[8].startswith("FAIL")]
    passes = [r for r in rows if r[8].startswith("PASS")]
    lines = [text, "", f"{len(passes)} PASS, {len(fails)} FAIL"]
    for name, ok, detail in bench.res.checks:
        lines.append(f"check {'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")
    for p in bench.res.problems:
        lines.append("problem: " + p.splitlines()[0])
    printed = "\n".join(lines)
    print(printed)
    if out is None:
        return printed
    md = ["# gdxarray benchmark results", ""]
    md += [f"- date: {info['date']}", f"- command: `{' '.join(argv)}` "
           f"(elapsed {bench.elapsed:,.0f} s)",
           f"- machine: `{info['uname']}`", f"- CPU: {info['cpu']}; cores: {info['cores']}; "
           f"RAM: {info['ram']}; load average (1/5/15 min) at start {bench.loadavg_start}, "
           f"at end {info['loadavg']}", f"- Python {info['python']}", f"- packages: {info['packages']}",
           f"- gdxarray tree: {info['git']}"]
    md += [f"- {f}" for f in bench.res.facts]
    md += ["", "Medians over repetitions (peak RSS: maximum).  Ratios are gdxarray / peer "
           "(below 1 is faster).  Loaders run as child processes (interpreter start-up "
           "included, `PYTHONUNBUFFERED` unset); reads, scans, dask and xarray run in one "
           "process with a warm page cache.  `n/a (not available)`: that piece of gdxarray "
           "does not exist yet or the peer has no such operation.", ""]
    md.append(render_md(header, rows))
    md += ["", f"**{len(passes)} PASS, {len(fails)} FAIL**", ""]
    if fails:
        md.append("Failing targets:")
        for r in fails:
            peers = ", ".join(f"{name} {v}" for name, v in (("genomedata", r[3]), ("pyBigWig", r[4]))
                              if v)
            ratios = ", ".join(v for v in (r[5], r[6]) if v)
            md.append(f"- {r[1]}: gdxarray {r[2]}" + (f" vs {peers} ({ratios})" if peers else "")
                      + f"; target {r[7]}")
        md.append("")
    if bench.res.checks:
        md.append("Correctness checks:")
        md += [f"- {'ok' if ok else '**FAIL**'}: {name}{' — ' + d if d else ''}"
               for name, ok, d in bench.res.checks]
        md.append("")
    if bench.res.problems:
        md.append("Problems met while running:")
        md += ["```"] + [p.rstrip() for p in bench.res.problems] + ["```"]
    out.write_text("\n".join(md) + "\n")
    log(f"wrote {out}")
    return printed


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", default=None,
                   help="genome size, e.g. 10M, 100M, 1G (default 100M; 10M with --quick)")
    p.add_argument("--quick", action="store_true",
                   help="~1 minute smoke run: 10M genome, 2,000 reads, no reference load-seq")
    p.add_argument("--only", default=None,
                   help="comma-separated sections: " + ",".join(SECTIONS))
    p.add_argument("--repeat", type=int, default=1,
                   help="repetitions of every timed operation (cheap in-process ones run at "
                        "least 2-3 times); default 1")
    p.add_argument("--reads", type=int, default=None, help="random reads per size "
                   "(default 10,000; 2,000 with --quick)")
    p.add_argument("--ref-seq-gaps", type=int, default=1,
                   help="long gaps in the small genome the reference's load-seq gets "
                        "(~100 s each; default 1)")
    p.add_argument("--skip-ref-seq", action="store_true",
                   help="do not run the reference's load-seq (implied by --quick)")
    p.add_argument("--dask-chunk", type=int, default=2_000_000,
                   help="positions per dask chunk (at most genome/32); default 2,000,000")
    p.add_argument("--worker-saturation", type=float, default=float("inf"),
                   help="the LocalClusters' distributed.scheduler.worker-saturation; default "
                        "inf (no root-task queuing), as docs/xarray.md recommends for "
                        "reductions; 1.1 is dask's own default")
    p.add_argument("--out", default=str(HERE / "RESULTS.md"),
                   help="markdown report (default benchmarks/RESULTS.md); '-' for none")
    p.add_argument("--keep", action="store_true",
                   help="keep this run's archives (benchmarks/_work/run-<pid>/) for profiling")
    p.add_argument("--list", action="store_true", help="list the sections and exit")
    args = p.parse_args(argv)
    if args.scale is None:
        args.scale = "10M" if args.quick else "100M"
    if args.reads is None:
        args.reads = 2_000 if args.quick else 10_000
    if args.quick:
        args.skip_ref_seq = True
    if not args.worker_saturation > 0:
        p.error(f"--worker-saturation must be > 0 (or inf), not {args.worker_saturation}")
    if args.only:
        args.only = [s.strip() for s in args.only.split(",") if s.strip()]
        bad = [s for s in args.only if s not in SECTIONS and s != "memory"]
        if bad:
            p.error(f"unknown section(s) {bad}; choose from {', '.join(SECTIONS)}")
        if "memory" in args.only:  # peak memory is measured by the loader sections
            args.only += ["seq", "load", "e2e", "close"]
    return args


def _compile_gdxarray() -> None:
    """Byte-compile gdxarray as ``pip install`` does for a regular install.

    The reference comes from a wheel with its ``.pyc`` files; an editable
    gdxarray under ``PYTHONDONTWRITEBYTECODE=1`` (set in this sandbox) would
    otherwise recompile every module in every child process, ~0.1 s a start.
    """
    import compileall

    import gdxarray.cli

    import gdxarray

    for package in (gdxarray, gdxarray.cli):
        compileall.compile_dir(os.path.dirname(package.__file__), quiet=1)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.list:
        for s in SECTIONS:
            print(f"{s:8s} {SECTION_DOC[s]}")
        print("memory   (peak RSS rows come from seq, load, e2e, close)")
        return 0
    os.environ.pop("PYTHONUNBUFFERED", None)
    _compile_gdxarray()
    # dask workers inherit this: keeps PyTables' UnclosedFileWarning at worker exit quiet
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    warnings.simplefilter("ignore")
    bench = Bench(args)
    try:
        bench.run()
    finally:
        if not args.keep:
            P.remove(bench.run_dir)
    invoked = sys.argv[0]
    if invoked.endswith("__main__.py") or invoked == "-m":
        cmd = ["python", "-m", "benchmarks"]
    else:
        cmd = ["python", os.path.relpath(invoked)]
    cmd += sys.argv[1:] if argv is None else list(argv)
    out = None if args.out == "-" else Path(args.out)
    write_report(bench, [shlex.quote(c) for c in cmd], out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
