"""Section ``robust``: what issue 12's reliability costs.

* load-data of a bedGraph whose lines are all shuffled (the memory bound must hold
  for every input order: one chromosome of float32 + 200 MB), ours and the
  reference's, from the benchmark's own bedGraph track with its lines permuted
  (seeded);
* opening an archive again and reading 1 bp (what Segway does per window): the
  structure check runs once per file version, so a re-open must stay cheap.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from benchmarks import _procs as P
from benchmarks.report import OURS, REF

#: The reference's load-data of a shuffled bedGraph is stopped after this long (lines
#: shuffled across chromosomes had it run for more than 4.5 CPU minutes at the quick
#: scale; shuffled within each chromosome it takes ~2 s there).
REF_TIMEOUT_S = 120.0


def _shuffled(src, dst) -> None:
    """*src*'s data lines in a seeded random order within each chromosome (chromosomes
    in their order; header lines first): the reliability report's case, every line of
    a chromosome shuffled.  (Lines shuffled across chromosomes are another matter: the
    loader then switches chromosome at almost every line, see the section notes.)"""
    if dst.exists() and dst.stat().st_mtime >= src.stat().st_mtime:
        return
    lines = src.read_bytes().splitlines(keepends=True)
    head = [line for line in lines[:5] if line.startswith((b"track", b"browser", b"#"))]
    data = lines[len(head):]
    rng = np.random.default_rng(12)
    by_chrom: dict[bytes, list[bytes]] = {}
    for line in data:
        by_chrom.setdefault(line.split(None, 1)[0], []).append(line)
    tmp = dst.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        fh.writelines(head)
        for chrom_lines in by_chrom.values():
            order = rng.permutation(len(chrom_lines))
            fh.writelines(chrom_lines[i] for i in order.tolist())
    tmp.replace(dst)


def _shuffled_across(src, dst) -> None:
    """*src*'s data lines in one seeded random order over the whole file: the
    chromosome changes at almost every line (header lines first)."""
    if dst.exists() and dst.stat().st_mtime >= src.stat().st_mtime:
        return
    lines = src.read_bytes().splitlines(keepends=True)
    head = [line for line in lines[:5] if line.startswith((b"track", b"browser", b"#"))]
    data = lines[len(head):]
    order = np.random.default_rng(13).permutation(len(data))
    tmp = dst.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        fh.writelines(head)
        fh.writelines(data[i] for i in order.tolist())
    tmp.replace(dst)


def _load_rows(bench, tmpl, path, key, label, note) -> None:
    row = bench.res.row(key, label, "load", target=("ref", 0.5))
    mem = bench.res.row(f"mem_{key}", f"peak RSS: {label}", "memory", kind="mem",
                        target=("mem", bench.mem_bound()))
    stopped = False
    for rep in range(bench.repeat):
        for impl in bench.order(rep):
            if tmpl[impl] is None or (impl == REF and stopped):
                continue
            dst = bench.tmp(f"{key}_{impl}.genomedata")
            P.copy_archive(tmpl[impl], dst)
            if impl == OURS:
                bench.record_proc(row, impl, bench.load_data(impl, dst, "t", path, False), mem)
            else:  # the reference's loader is very slow on unsorted input: bounded
                res = P.run(P.ref_cmd("_load_data", dst, "t"), stdin_path=path,
                            timeout=REF_TIMEOUT_S)
                if res.returncode == -9:
                    stopped = True
                    row.fail(REF, f"n/a (stopped after {REF_TIMEOUT_S:.0f} s)")
                    mem.fail(REF, "n/a (stopped)")
                else:
                    bench.record_proc(row, impl, res, mem)
            P.remove(dst)
    row.notes.append(note)


def run(bench) -> None:
    ds = bench.ds
    src = ds.tracks["bg"]["plain"]
    shuffled = src.with_name(src.stem + ".shuffled-within" + src.suffix)
    _shuffled(src, shuffled)
    tmpl = {impl: bench.template(impl) for impl in (OURS, REF)}
    label = "load-data bedGraph, every line shuffled"
    row = bench.res.row("load_bg_shuffled", label, "load", target=("ref", 0.5))
    mem = bench.res.row("mem_load_bg_shuffled", f"peak RSS: {label}", "memory", kind="mem",
                        target=("mem", bench.mem_bound()))
    stopped = False
    for rep in range(bench.repeat):
        for impl in bench.order(rep):
            if tmpl[impl] is None or (impl == REF and stopped):
                continue
            dst = bench.tmp(f"shuffled_{impl}.genomedata")
            P.copy_archive(tmpl[impl], dst)
            if impl == OURS:
                bench.record_proc(row, impl, bench.load_data(impl, dst, "t", shuffled, False),
                                  mem)
            else:  # the reference's loader is very slow on unsorted input: bounded
                res = P.run(P.ref_cmd("_load_data", dst, "t"), stdin_path=shuffled,
                            timeout=REF_TIMEOUT_S)
                if res.returncode == -9:
                    stopped = True
                    row.fail(REF, f"n/a (stopped after {REF_TIMEOUT_S:.0f} s)")
                    mem.fail(REF, "n/a (stopped)")
                else:
                    bench.record_proc(row, impl, res, mem)
            P.remove(dst)
    row.notes.append(f"{ds.lines['bg']:,} lines of {src.name}, each chromosome's in a seeded "
                     "random order")
    across = src.with_name(src.stem + ".shuffled-across" + src.suffix)
    _shuffled_across(src, across)
    _load_rows(bench, tmpl, across, "load_bg_shuffled_across",
               "load-data bedGraph, lines shuffled across chromosomes",
               f"{ds.lines['bg']:,} lines of {src.name} in one seeded random order (the "
               "chromosome changes at almost every line; ours holds other chromosomes' "
               "blocks, <= 64 MB, and writes each chromosome in a few visits)")

    # re-opening an archive (ours: checked once per file version in this process)
    reopen = bench.res.row("reopen_1bp", "open an archive again + read 1 bp", "reads",
                           target=("faster",))
    apis = {OURS: "gdxarray", REF: "genomedata"}
    closed = {}
    for impl in (OURS, REF):  # closed copies: the reference refuses dirty chromosomes
        if tmpl[impl] is not None:
            closed[impl] = bench.tmp(f"reopen_{impl}.genomedata")
            P.copy_archive(tmpl[impl], closed[impl])
            if not P.run(bench.close_cmd(impl, closed[impl])).ok:
                del closed[impl]
    for rep in range(bench.repeat):
        for impl in bench.order(rep):
            if impl not in closed:
                continue
            try:
                api = __import__(apis[impl])
            except ImportError:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with api.Genome(str(closed[impl])) as genome:
                    name = next(iter(genome)).name
                t = time.perf_counter()
                for _ in range(200):
                    with api.Genome(str(closed[impl])) as genome:
                        genome[name][0:1, 0]
                reopen.add(impl, (time.perf_counter() - t) / 200)
    for path in closed.values():
        P.remove(path)
    reopen.notes.append("median of 200 open + 1 bp read + close, per repetition")
