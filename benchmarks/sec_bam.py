"""BAM → track: ``genomedata-load-bam`` against ``bedtools genomecov -bg`` on the same reads.

The reads are generated once with pysam (cached in ``benchmarks/_work/bam/``):
100 bp single-end reads, uniformly placed, half on the reverse strand, one in
ten spliced (``50M1000N50M``), on two chromosomes (60 + 40 Mbp).  Both tools
run in child processes (wall time, peak RSS); ours loads into a fresh copy of
an archive with the track opened, bedtools writes its bedGraph to /dev/null
(what a user would pipe into load-data).  The peer's numbers sit in the
"genomedata" column of the table, as the notes say.  A check compares, per
chromosome, the sum and the covered length of ours and of bedtools' output.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks import _procs as P
from benchmarks.report import NA, REF

CHROMS = (("chr1", 60_000_000), ("chr2", 40_000_000))
READ_LEN = 100


def generate(path: Path, n: int, log) -> Path:
    """*n* coordinate-sorted reads (deterministic), written with pysam; cached."""
    if path.exists():
        return path
    import pysam

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.bam")
    t0 = time.perf_counter()
    rng = np.random.default_rng(14)
    total = sum(n_bp for _, n_bp in CHROMS)
    header = {"HD": {"VN": "1.6", "SO": "coordinate"},
              "SQ": [{"SN": c, "LN": n_bp} for c, n_bp in CHROMS]}
    qual = pysam.qualitystring_to_array("I" * READ_LEN)
    seq = "ACGT" * (READ_LEN // 4)
    with pysam.AlignmentFile(str(tmp), "wb", header=header) as out:
        for tid, (_, n_bp) in enumerate(CHROMS):
            k = n * n_bp // total
            pos = np.sort(rng.integers(0, n_bp - READ_LEN - 1000, k)).tolist()
            rev = (rng.random(k) < 0.5).tolist()
            spliced = (rng.random(k) < 0.1).tolist()
            a = pysam.AlignedSegment()
            a.reference_id, a.mapping_quality = tid, 60
            for i, (p, r, s) in enumerate(zip(pos, rev, spliced)):
                a.query_name = f"r{tid}.{i}"
                a.reference_start, a.flag = p, 16 if r else 0
                a.cigarstring = "50M1000N50M" if s else f"{READ_LEN}M"
                a.query_sequence, a.query_qualities = seq, qual
                out.write(a)
    tmp.rename(path)
    log(f"  generated {n:,} reads in {time.perf_counter() - t0:.1f} s: {path}")
    return path


def _template(bench, workdir: Path) -> Path:
    sizes = workdir / "bam.sizes"
    sizes.write_text("".join(f"{c}\t{n_bp}\n" for c, n_bp in CHROMS))
    arch = workdir / "bam_template.genomedata"
    for cmd in (P.ours_cmd("load_seq", "-f", "--sizes", arch, sizes),
                P.ours_cmd("open_data", arch, "--tracknames", "t")):
        res = P.run(cmd)
        if not res.ok:
            raise RuntimeError(f"building the BAM archive failed: {res.stderr[-300:]}")
    return arch


def _bedgraph_totals(path: Path) -> dict[str, tuple[float, int]]:
    """chrom -> (sum of values over bases, covered bases) of a bedGraph."""
    from gdxarray.parsers import read_track

    out: dict[str, list] = {}
    for block in read_track(path):
        lengths = block.ends - block.starts
        acc = out.setdefault(block.chrom, [0.0, 0])
        acc[0] += float(np.dot(lengths.astype(np.float64), block.values))
        acc[1] += int(lengths.sum())
    return {c: (s, n) for c, (s, n) in out.items()}


def _track_totals(arch: Path) -> dict[str, tuple[float, int]]:
    import warnings

    from gdxarray import Genome
    from gdxarray.errors import GenomedataDirtyWarning

    out = {}
    with warnings.catch_warnings(), Genome(arch) as genome:
        warnings.simplefilter("ignore", GenomedataDirtyWarning)
        for chrom in genome:
            total, covered = 0.0, 0
            for a in range(0, chrom.end, 1 << 22):
                v = chrom[a:min(chrom.end, a + (1 << 22)), "t"]
                total += float(v.sum(dtype=np.float64))
                covered += int(np.count_nonzero(v))
            out[chrom.name] = (total, covered)
    return out


def run(bench) -> None:
    n = 1_000_000 if bench.args.quick else 4_000_000
    bam = generate(Path(bench.run_dir).parent / "bam" / f"reads_{n}.bam", n,
                   lambda *a: print(*a, file=sys.stderr, flush=True))
    template = _template(bench, Path(bench.run_dir))
    bedtools = shutil.which("bedtools")
    reps = bench.cheap
    cases = (("coverage", ["-split"], "read depth (coverage; genomecov -bg -split)"),
             ("5p", ["-5"], "5' ends (genomecov -bg -5)"))
    for count, flags, what in cases:
        label = f"BAM → track, {n / 1e6:g}M reads, {what}"
        row = bench.res.row(f"bam_{count}", label, "bam", target=("ref", 1.0))
        mem = bench.res.row(f"mem_bam_{count}", f"peak RSS: {label}", "bam", kind="mem")
        for rep in range(reps):
            for impl in bench.order(rep):
                if impl != REF:
                    dst = bench.tmp(f"bam_{count}.genomedata")
                    P.copy_archive(template, dst)
                    res = P.run(P.ours_cmd("load_bam", dst, "t", bam, "--count", count))
                    bench.record_proc(row, impl, res, mem)
                    if rep == 0 and count == "coverage" and res.ok and bedtools:
                        _check(bench, bedtools, bam, dst, flags)
                    P.remove(dst)
                elif bedtools is None:
                    row.fail(REF, NA)
                    mem.fail(REF, NA)
                else:
                    res = P.run([bedtools, "genomecov", "-ibam", str(bam), "-bg", *flags])
                    bench.record_proc(row, REF, res, mem)
        peer = "bedtools genomecov (bedGraph to /dev/null)" if bedtools else \
            "bedtools not installed: peer column empty"
        row.notes.append(f"peer column = {peer}; ours includes interpreter start-up and "
                         "writing the compressed track")
    _combine(bench, template, bam, reps)
    bench.res.facts.append(f"BAM: {n:,} generated reads (100 bp, 10% spliced), "
                           f"{bam.stat().st_size / 1e6:,.1f} MB, "
                           + ", ".join(f"{c} {n_bp / 1e6:g} Mbp" for c, n_bp in CHROMS))


def _combine(bench, template: Path, bam: Path, reps: int) -> None:
    """genomedata-combine-tracks of two 100 Mbp tracks (depth + 5' ends), archive closed."""
    base = bench.tmp("combine_base.genomedata")
    P.copy_archive(template, base)
    steps = [P.ours_cmd("open_data", base, "--tracknames", "u"),
             P.ours_cmd("load_bam", base, "t", bam),
             P.ours_cmd("load_bam", base, "u", bam, "--count", "5p"),
             P.ours_cmd("close_data", base)]
    row = bench.res.row("bam_combine", "combine-tracks: sum of two 100 Mbp tracks into a "
                        "new one (statistics included)", "bam")
    mem = bench.res.row("mem_bam_combine", "peak RSS: combine-tracks", "bam", kind="mem")
    for cmd in steps:
        res = P.run(cmd)
        if not res.ok:
            bench.record_proc(row, "gdxarray", res, mem, what="preparing the archive")
            return
    for _ in range(reps):
        dst = bench.tmp("combine.genomedata")
        P.copy_archive(base, dst)
        bench.record_proc(row, "gdxarray", P.run(P.ours_cmd("combine_tracks", dst, "s", "t", "u")),
                          mem)
        P.remove(dst)
    P.remove(base)
    row.notes.append("no peer (bedtools unionbedg + awk would be the bedGraph way)")


def _check(bench, bedtools: str, bam: Path, arch: Path, flags) -> None:
    out = bench.tmp("bedtools.bedGraph")
    with open(out, "wb") as fh:
        subprocess.run([bedtools, "genomecov", "-ibam", str(bam), "-bg", *flags], stdout=fh,
                       check=True)
    theirs, ours = _bedgraph_totals(out), _track_totals(arch)
    same = all(theirs.get(c, (0.0, 0)) == ours[c] for c in ours)
    bench.res.check("load-bam coverage == bedtools genomecov -split (sum, covered bases per "
                    "chromosome)", same, "" if same else f"ours {ours} bedtools {theirs}")
    P.remove(out)
