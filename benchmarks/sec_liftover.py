"""Section "liftover": genomedata-liftover vs CrossMap's bigwig conversion (hg38 -> hg19).

Data: UCSC's real hg38ToHg19 chain (``../shared/realdata/pyliftover/``) and a
generated signal on hg38 chr21 + chr22 (97 Mbp; with ``--quick`` 10 Mbp of chr22),
runs of constant value with a mean length of 50 bp (a bigWig of ~2 M intervals),
stored both as a bigWig (CrossMap's input) and as a gdxarray archive (ours).  The
target is an archive of every hg19 chromosome the chain names (sizes from the chain
headers), copied fresh for every run.

Rows: wall time and peak RSS of each command as a child process (interpreter start-up
and reading the chain file included; CrossMap writes a bigWig, ours writes the track
and its statistics); the speed-up CrossMap / gdxarray (target >= 10x); and, in this
process, the lift with statistics gathered while writing against the lift followed
by close-data's rescan.  The check compares the values of both outputs where both
have one (CrossMap sums values where chains overlap in the target and drops
intervals a chain gap splits, so a small disagreement is expected there).
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks import _procs as P
from benchmarks.report import NA, OURS, REF

CHAIN = Path(__file__).resolve().parents[1].parent / "shared" / "realdata" / "pyliftover" \
    / "hg38ToHg19.over.chain.gz"
MEAN_RUN = 50


def _regions(quick: bool, sizes: dict[str, int]) -> list[tuple[str, int, int]]:
    if quick:
        return [("chr22", 15_000_000, 25_000_000)]
    return [("chr21", 0, sizes["chr21"]), ("chr22", 0, sizes["chr22"])]


def _paths(work: Path, quick: bool) -> dict:
    from gdxarray.liftover import Liftover

    lo = Liftover(CHAIN)
    return {"bw": work / "src.bw", "src": work / "src.genomedata",
            "tmpl": work / "dst_template.genomedata", "lo": lo,
            "regions": _regions(quick, lo.source_sizes)}


def _generate(work: str, quick: bool) -> None:
    """Write the inputs into *work* (run in a child process: the parent's peak RSS,
    which forked children inherit in ``ru_maxrss``, stays small)."""
    import pyBigWig

    from gdxarray.writer import close_data, load_seq, open_data, write_arrays

    work = Path(work)
    paths = _paths(work, quick)
    lo, regions = paths["lo"], paths["regions"]
    work.mkdir(parents=True, exist_ok=True)
    done = work / "done"
    chroms = sorted({c for c, _, _ in regions})
    (work / "src.sizes").write_text("".join(f"{c}\t{lo.source_sizes[c]}\n" for c in chroms))
    (work / "dst.sizes").write_text("".join(f"{c}\t{n}\n" for c, n in lo.target_sizes.items()))
    for key in ("src", "tmpl"):
        P.remove(paths[key])
    load_seq(str(paths["src"]), [str(work / "src.sizes")], seqfile_type="sizes", mode="file")
    load_seq(str(paths["tmpl"]), [str(work / "dst.sizes")], seqfile_type="sizes", mode="file")
    open_data(str(paths["src"]), ["signal"])
    rng = np.random.default_rng(2026)
    bw = pyBigWig.open(str(paths["bw"]), "w")
    bw.addHeader([(c, lo.source_sizes[c]) for c in chroms], maxZooms=0)
    pieces = []
    intervals = 0
    for chrom, a, b in regions:
        lengths = rng.geometric(1 / MEAN_RUN, size=(b - a) // MEAN_RUN * 2)
        ends = np.cumsum(lengths)
        ends = ends[ends < b - a]
        ends = np.append(ends, b - a)
        starts = np.concatenate([[0], ends[:-1]])
        values = rng.random(len(starts)).astype(np.float32).round(3)
        bw.addEntries([chrom] * len(starts), (starts + a).tolist(), ends=(ends + a).tolist(),
                      values=values.astype(np.float64).tolist())
        pieces.append((chrom, a, np.repeat(values, ends - starts)))
        intervals += len(starts)
    bw.close()
    write_arrays(str(paths["src"]), "signal", pieces)
    close_data(str(paths["src"]))
    done.write_text(f"{intervals}\n")


def _crossmap() -> str | None:
    found = shutil.which("CrossMap") or shutil.which("CrossMap.py")
    if found:
        return found
    beside = Path(sys.executable).parent / "CrossMap"
    return str(beside) if beside.exists() else None


def _agreement(ours: Path, theirs: Path, lo, regions) -> tuple[int, int, int]:
    """On the target chromosomes named as the lifted ones (where nearly all lands):
    (bases where CrossMap's output has a value, of those where ours equals it, of the
    others those that only one source base reaches, i.e. not explained by CrossMap
    adding the values of chains overlapping in the target)."""
    import pyBigWig

    from gdxarray import Genome

    sources = [lo.source_names.index(c) for c, _, _ in regions]
    s_idx, s0, s1, t_idx, t0, _, _, _ = lo.best_segments()
    from_sources = np.isin(s_idx, sources)
    bw = pyBigWig.open(str(theirs))
    same = total = unexplained = 0
    with Genome(str(ours)) as genome:
        for chrom in sorted({c for c, _, _ in regions}):
            if chrom not in lo.target_names or chrom not in bw.chroms():
                continue
            m = from_sources & (t_idx == lo.target_names.index(chrom))
            a, b = int(t0[m].min()), int((t0[m] + s1[m] - s0[m]).max())
            theirs_v = bw.values(chrom, a, b, numpy=True).astype(np.float32)
            mine = genome[chrom][a:b, "signal"]
            has = np.isfinite(theirs_v)
            equal = has & (mine == theirs_v)
            total += int(has.sum())
            same += int(equal.sum())
            # target bases more than one source base reaches
            depth = np.zeros(b - a + 1, np.int32)
            np.add.at(depth, t0[m] - a, 1)
            np.add.at(depth, t0[m] + (s1[m] - s0[m]) - a, -1)
            multi = np.cumsum(depth[:-1]) > 1
            unexplained += int((has & ~equal & ~multi).sum())
    bw.close()
    return total, same, unexplained


def run(bench) -> None:
    res = bench.res
    row = res.row("liftover", "liftover: bigWig-sized track hg38 -> hg19 (ref column: CrossMap "
                  "bigwig)", "liftover")
    mem = res.row("mem_liftover", "peak RSS: liftover (ref column: CrossMap)", "liftover",
                  kind="mem")
    speed = res.row("liftover_speedup", "liftover: CrossMap time / gdxarray time", "liftover",
                    kind="ratio", target=("min_value", 10))
    if not CHAIN.is_file():
        for r in (row, mem, speed):
            r.fail(OURS, NA)
        res.problems.append(f"liftover: {CHAIN} not found; section skipped")
        return
    quick = bool(bench.args.quick)
    work = Path(bench.run_dir).parent / f"liftover-{'quick' if quick else 'full'}"
    if not (work / "done").exists():
        print("  generating the liftover inputs (untimed, child process) ...", file=sys.stderr,
              flush=True)
        code = ("import sys; sys.path.insert(0, sys.argv[1]); from benchmarks.sec_liftover "
                "import _generate; _generate(sys.argv[2], sys.argv[3] == '1')")
        gen = P.run(P.py_cmd(code, Path(__file__).resolve().parents[1], work, int(quick)))
        if not gen.ok:
            res.problems.append(f"liftover: input generation failed: {gen.stderr[-500:]}")
            return
    paths = _paths(work, quick)
    lo, regions = paths["lo"], paths["regions"]
    bases = sum(b - a for _, a, b in regions)
    intervals = int((work / "done").read_text())
    row.label = (f"liftover: {bases / 1e6:.0f} Mbp track ({intervals / 1e6:.1f} M bigWig "
                 "intervals) hg38 -> hg19 (ref column: CrossMap bigwig)")
    crossmap = _crossmap()
    reps = bench.repeat
    ours_t, theirs_t = [], []
    faults, other = {OURS: [], REF: []}, {OURS: [], REF: []}
    dst = bench.tmp("lifted.genomedata")
    out_prefix = bench.tmp("crossmap_out")
    for rep in range(reps):
        for impl in bench.order(rep):
            if impl == OURS:
                P.copy_archive(paths["tmpl"], dst)
                r = P.run(P.ours_cmd("liftover", paths["src"], dst, CHAIN))
                if bench.record_proc(row, OURS, r, mem):
                    ours_t.append(r.wall)
                    faults[OURS].append(r.majflt)
                    other[OURS].append(r.other_cpu)
            else:
                if crossmap is None:
                    row.fail(REF, "n/a (CrossMap not installed: pip install CrossMap)")
                    continue
                r = P.run([crossmap, "bigwig", str(CHAIN), str(paths["bw"]), str(out_prefix)],
                          cwd=bench.run_dir)
                if bench.record_proc(row, REF, r, mem):
                    theirs_t.append(r.wall)
                    faults[REF].append(r.majflt)
                    other[REF].append(r.other_cpu)
    if ours_t and theirs_t:
        speed.add(OURS, float(np.median(theirs_t) / np.median(ours_t)))
    else:
        speed.fail(OURS, NA)
    row.notes.append("both as child processes, chain file read included")
    if ours_t and theirs_t:
        # what else the machine did meanwhile: this row moves with it (see docs/liftover.md)
        row.notes.append(f"major page faults ours {int(np.median(faults[OURS]))}, CrossMap "
                         f"{int(np.median(faults[REF]))}; other CPU use during the runs ours "
                         f"{np.median(other[OURS]):.2f} s, CrossMap {np.median(other[REF]):.2f} s")
    out_bw = Path(str(out_prefix) + ".bw")
    if dst.exists() and out_bw.exists():
        total, same, unexplained = _agreement(dst, out_bw, lo, regions)
        res.check("liftover: values equal CrossMap's where CrossMap has one, except where "
                  "chains overlap in the target (CrossMap adds the values, we keep the best "
                  "chain's)", total > 0 and unexplained <= 0.001 * total,
                  f"equal on {same:,} of {total:,} bases ({same / max(total, 1):.2%}); "
                  f"differing outside target overlaps: {unexplained:,}")

    # in this process: statistics while writing vs close-data's rescan
    from gdxarray.liftover import liftover_tracks
    from gdxarray.writer import close_data

    inproc = res.row("liftover_inproc", "liftover in-process: lift + statistics gathered "
                     "while writing (ref column: lift, then close-data rescan)", "liftover")
    for rep in range(max(1, bench.cheap)):
        P.copy_archive(paths["tmpl"], dst)
        t0 = time.perf_counter()
        liftover_tracks(paths["src"], dst, lo)
        inproc.add(OURS, time.perf_counter() - t0)
        P.copy_archive(paths["tmpl"], dst)
        t0 = time.perf_counter()
        liftover_tracks(paths["src"], dst, lo, close=False)
        t1 = time.perf_counter()
        close_data(str(dst))
        inproc.add(REF, time.perf_counter() - t0)
        inproc.work["close_rescan_s"] = time.perf_counter() - t1
    inproc.notes.append(f"chain already indexed; close-data rescan alone "
                        f"{inproc.work['close_rescan_s']:.2f} s (last run)")
    for path in (dst, out_bw, Path(str(out_prefix) + ".sorted.bgr")):
        P.remove(path)
