"""Deterministic benchmark inputs: a genome (FASTA with long N gaps + a sizes
file) and three tracks (bedGraph, fixedStep WIG, variableStep WIG, each plain
and gzip), plus a bigWig of each track written with pyBigWig's addEntries.

Everything is a pure function of (scale, seed, DATA_VERSION); files are cached
under ``benchmarks/_work/data-<scale>-v<version>/`` and regenerated only when
missing.  Text is produced with numpy (fixed-width digit arithmetic and ``S``
arrays), never one Python object per line.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DATA_VERSION = 3
SEED = 20240611

#: Share of the genome per chromosome (6 chromosomes, like a small assembly).
CHROM_WEIGHTS = (0.26, 0.22, 0.18, 0.14, 0.11, 0.09)
#: A long N gap (>= 100 kb, so it splits supercontigs) per chromosome.
LONG_GAP_LEN = 150_000
#: FASTA line width.
LINE = 60

# Track densities (per base of genome).  At 100 Mbp: ~1.4 M bedGraph lines
# (~43 MB), ~15 M fixedStep lines (~90 MB), ~0.8 M variableStep lines (~12 MB),
# i.e. several seconds each for the reference loader (5 / 14 / 2 MB/s).
BG_MEAN_LEN = 40          # bedGraph interval length (mean)
FIXED_FRACTION = 0.15     # share of each chromosome covered by fixedStep blocks
FIXED_BLOCK = 100_000     # mean fixedStep block length
VAR_SPAN = 25             # variableStep span
VAR_MEAN_GAP = 100        # mean distance between variableStep items beyond the span
SMALL_TRACK_LINES = 1_000

TRACKS = ("bg", "fixed", "var")
TRACK_FORMATS = {"bg": "bedGraph", "fixed": "fixedStep WIG", "var": "variableStep WIG"}


def parse_scale(text: str) -> int:
    text = str(text).strip().upper().replace("BP", "")
    mult = {"K": 1_000, "M": 1_000_000, "G": 1_000_000_000}
    if text and text[-1] in mult:
        return int(float(text[:-1]) * mult[text[-1]])
    return int(float(text))


def format_bp(n: int) -> str:
    for unit, size in (("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if n >= size and n % (size // 1000 or 1) == 0:
            value = n / size
            return f"{value:g}{unit}"
    return str(n)


@dataclass
class Dataset:
    """Paths and facts about one generated input set."""
    root: Path
    scale: int
    chroms: list[tuple[str, int]]
    gaps: dict[str, list[tuple[int, int]]]          # long N gaps per chromosome
    fasta: Path
    sizes: Path
    small_fasta: Path                               # for the reference's load-seq
    small_fasta_bp: int
    small_fasta_gaps: int
    tracks: dict[str, dict[str, Path]] = field(default_factory=dict)   # name -> {plain, gz, bw}
    small_track: Path | None = None
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def largest_chrom(self) -> int:
        return max(n for _, n in self.chroms)

    @property
    def genome_bp(self) -> int:
        return sum(n for _, n in self.chroms)

    def size_of(self, path: Path) -> int:
        return os.path.getsize(path)


# --- text helpers -------------------------------------------------------------

def _ints_S(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.int64).astype("S")


def _vals_fixed3(k: np.ndarray) -> np.ndarray:
    """Values k/1000 (0 <= k < 10000) as 'd.ddd' (uint8 matrix, 5 columns)."""
    k = np.asarray(k, dtype=np.int64)
    out = np.empty((k.size, 5), dtype=np.uint8)
    out[:, 0] = k // 1000 + 48
    out[:, 1] = ord(".")
    out[:, 2] = (k // 100) % 10 + 48
    out[:, 3] = (k // 10) % 10 + 48
    out[:, 4] = k % 10 + 48
    return out


def _vals_S(k: np.ndarray) -> np.ndarray:
    return _vals_fixed3(k).view("S5").reshape(-1)


def _join_lines(*cols) -> bytes:
    """Tab-joined columns (S arrays or scalars), one line each."""
    line = cols[0]
    for col in cols[1:]:
        line = np.char.add(np.char.add(line, b"\t"), col)
    line = np.char.add(line, b"\n")
    return b"".join(np.atleast_1d(line).tolist())


def _signal(rng: np.random.Generator, n: int) -> np.ndarray:
    """Piecewise-constant noisy values in [0, 10): integers k for k/1000."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    runs = rng.geometric(1 / 8, size=n // 4 + 2)
    levels = rng.integers(0, 5000, size=runs.size)
    base = np.repeat(levels, runs)[:n]
    if base.size < n:
        base = np.concatenate([base, np.full(n - base.size, 1000)])
    noise = rng.integers(-50, 51, size=n)
    return np.clip(base + noise, 0, 9999)


# --- genome -------------------------------------------------------------------

def _genome_layout(scale: int) -> tuple[list[tuple[str, int]], dict[str, list[tuple[int, int]]]]:
    chroms = []
    for i, w in enumerate(CHROM_WEIGHTS):
        length = max(20_000, int(round(scale * w / 1000)) * 1000)
        chroms.append((f"chr{i + 1}", length))
    gaps = {}
    for name, length in chroms:
        if length >= 4 * LONG_GAP_LEN:
            # one long gap at ~40% of the chromosome
            g0 = (int(length * 0.4) // 1000) * 1000
            gaps[name] = [(g0, g0 + LONG_GAP_LEN)]
        else:
            gaps[name] = []
    return chroms, gaps


def _write_fasta_record(out, name: str, seq: np.ndarray) -> None:
    out.write(b">" + name.encode() + b"\n")
    n = seq.size
    full = n // LINE
    body = np.empty((full, LINE + 1), dtype=np.uint8)
    body[:, :LINE] = seq[:full * LINE].reshape(full, LINE)
    body[:, LINE] = 10
    out.write(body.tobytes())
    if n % LINE:
        out.write(seq[full * LINE:].tobytes() + b"\n")


def _chrom_seq(rng: np.random.Generator, length: int, gaps: list[tuple[int, int]]) -> np.ndarray:
    acgt = np.frombuffer(b"ACGTacgt", dtype=np.uint8)
    seq = acgt[rng.integers(0, 8, size=length, dtype=np.uint8)]
    # a 10 kb leading N run and a few short N runs (stay inside supercontigs)
    seq[:min(10_000, length // 10)] = ord("N")
    for frac, run in ((0.15, 500), (0.25, 5_000), (0.7, 60_000)):
        p = int(length * frac)
        if p + run < length and run < length // 8:
            seq[p:p + run] = ord("N")
    for g0, g1 in gaps:
        seq[g0:g1] = ord("N")
    return seq


def _write_small_fasta(path: Path, ngaps: int, rng: np.random.Generator) -> int:
    """A small genome with ``ngaps`` long gaps (one per 400 kb chromosome)."""
    total = 0
    with open(path, "wb") as out:
        for i in range(max(1, ngaps)):
            length = 400_000
            gaps = [(150_000, 260_000)] if i < ngaps else []
            _write_fasta_record(out, f"chrS{i + 1}", _chrom_seq(rng, length, gaps))
            total += length
    return total


# --- tracks -------------------------------------------------------------------

def _allowed(length: int, gaps: list[tuple[int, int]], margin: int = 1_000) -> list[tuple[int, int]]:
    """Regions of a chromosome away from its long gaps."""
    out, pos = [], 0
    for g0, g1 in gaps:
        if g0 - margin > pos:
            out.append((pos, g0 - margin))
        pos = g1 + margin
    if length > pos:
        out.append((pos, length))
    return out


def _bedgraph_intervals(rng, lo: int, hi: int, density: float = 1.0):
    n_est = int((hi - lo) / (BG_MEAN_LEN + 30) * 1.2 * density) + 16
    lens = rng.geometric(1 / BG_MEAN_LEN, size=n_est)
    gaps = np.where(rng.random(n_est) < 0.7, 0, rng.geometric(1 / 100, size=n_est))
    starts = lo + np.cumsum(gaps + lens) - lens
    ends = starts + lens
    keep = ends <= hi
    return starts[keep], ends[keep]


def generate(root: Path, scale: int, *, ref_seq_gaps: int = 1, log=print) -> Dataset:
    """The inputs for *scale*, generated once (under a lock: runs may be concurrent)."""
    import fcntl

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".generate.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _generate(root, scale, ref_seq_gaps=ref_seq_gaps, log=log)


def _generate(root: Path, scale: int, *, ref_seq_gaps: int, log) -> Dataset:
    tag = f"data-{format_bp(scale)}-v{DATA_VERSION}"
    ddir = root / tag
    manifest = ddir / "manifest.json"
    chroms, gaps = _genome_layout(scale)
    ds = Dataset(root=ddir, scale=scale, chroms=chroms, gaps=gaps,
                 fasta=ddir / "genome.fa", sizes=ddir / "genome.sizes",
                 small_fasta=ddir / f"small_{ref_seq_gaps}gap.fa", small_fasta_bp=0,
                 small_fasta_gaps=ref_seq_gaps)
    for t in TRACKS:
        ext = {"bg": "bedGraph", "fixed": "wig", "var": "wig"}[t]
        ds.tracks[t] = {"plain": ddir / f"{t}.{ext}", "gz": ddir / f"{t}.{ext}.gz",
                        "bw": ddir / f"{t}.bw"}
    ds.small_track = ddir / "small.bedGraph"
    ds.small_fasta_bp = 400_000 * max(1, ref_seq_gaps)
    if not ds.small_fasta.exists():
        ddir.mkdir(parents=True, exist_ok=True)
        _write_small_fasta(ds.small_fasta, ref_seq_gaps, np.random.default_rng(SEED + 1))
    if manifest.exists():
        ds.lines = json.loads(manifest.read_text())["lines"]
        return ds
    ddir.mkdir(parents=True, exist_ok=True)
    log(f"generating benchmark inputs in {ddir} (once per scale) ...")
    rng = np.random.default_rng(SEED)

    # genome
    with open(ds.sizes, "w") as f:
        f.writelines(f"{name}\t{length}\n" for name, length in chroms)
    with open(ds.fasta, "wb") as out:
        for name, length in chroms:
            _write_fasta_record(out, name, _chrom_seq(rng, length, gaps[name]))

    import pyBigWig

    lines = {}
    # bedGraph
    bw = pyBigWig.open(str(ds.tracks["bg"]["bw"]), "w")
    bw.addHeader(chroms, maxZooms=10)
    n = 0
    with open(ds.tracks["bg"]["plain"], "wb") as out:
        out.write(b"track type=bedGraph name=bg\n")
        for name, length in chroms:
            starts, ends = [], []
            for lo, hi in _allowed(length, gaps[name]):
                s, e = _bedgraph_intervals(rng, lo, hi)
                starts.append(s)
                ends.append(e)
            s, e = np.concatenate(starts), np.concatenate(ends)
            k = _signal(rng, s.size)
            out.write(_join_lines(name.encode(), _ints_S(s), _ints_S(e), _vals_S(k)))
            bw.addEntries([name] * s.size, s.tolist(), ends=e.tolist(),
                          values=(k / 1000.0).tolist())
            n += s.size
    bw.close()
    lines["bg"] = n

    # fixedStep: blocks of step=1 span=1
    bw = pyBigWig.open(str(ds.tracks["fixed"]["bw"]), "w")
    bw.addHeader(chroms, maxZooms=10)
    n = 0
    with open(ds.tracks["fixed"]["plain"], "wb") as out:
        for name, length in chroms:
            for lo, hi in _allowed(length, gaps[name]):
                span = hi - lo
                nblocks = max(1, int(round(span * FIXED_FRACTION / FIXED_BLOCK)))
                blen = max(1_000, min(FIXED_BLOCK, span // (2 * nblocks)))
                slot = span // nblocks
                for b in range(nblocks):
                    off = int(rng.integers(0, max(1, slot - blen)))
                    bs = lo + b * slot + off
                    be = min(hi, bs + blen)
                    k = _signal(rng, be - bs)
                    out.write(f"fixedStep chrom={name} start={bs + 1} step=1\n".encode())
                    body = np.empty((k.size, 6), dtype=np.uint8)
                    body[:, :5] = _vals_fixed3(k)
                    body[:, 5] = 10
                    out.write(body.tobytes())
                    bw.addEntries(name, int(bs), values=(k / 1000.0).astype(np.float64),
                                  span=1, step=1)
                    n += k.size
    bw.close()
    lines["fixed"] = n

    # variableStep, span 25
    bw = pyBigWig.open(str(ds.tracks["var"]["bw"]), "w")
    bw.addHeader(chroms, maxZooms=10)
    n = 0
    with open(ds.tracks["var"]["plain"], "wb") as out:
        for name, length in chroms:
            out.write(f"variableStep chrom={name} span={VAR_SPAN}\n".encode())
            allp = []
            for lo, hi in _allowed(length, gaps[name]):
                m = int((hi - lo) / (VAR_SPAN + VAR_MEAN_GAP) * 1.2) + 8
                step = VAR_SPAN + rng.geometric(1 / VAR_MEAN_GAP, size=m)
                pos = lo + np.cumsum(step) - step
                allp.append(pos[pos + VAR_SPAN <= hi])
            pos = np.concatenate(allp)
            k = _signal(rng, pos.size)
            out.write(_join_lines(_ints_S(pos + 1), _vals_S(k)))
            bw.addEntries(name, pos.tolist(), values=(k / 1000.0).tolist(), span=VAR_SPAN)
            n += pos.size
    bw.close()
    lines["var"] = n

    # small track: 1,000 bedGraph lines of 100 bp scattered over the genome
    lengths = np.array([l for _, l in chroms], dtype=np.int64)
    with open(ds.small_track, "wb") as out:
        which = np.sort(rng.choice(len(chroms), size=SMALL_TRACK_LINES,
                                   p=lengths / lengths.sum()))
        for ci, (name, length) in enumerate(chroms):
            cnt = int((which == ci).sum())
            if not cnt:
                continue
            regions = _allowed(length, gaps[name])
            lo, hi = regions[0]
            slots = np.sort(rng.choice((hi - lo) // 200, size=cnt, replace=False))
            s = lo + slots * 200
            out.write(_join_lines(name.encode(), _ints_S(s), _ints_S(s + 100),
                                  _vals_S(_signal(rng, cnt))))
    lines["small"] = SMALL_TRACK_LINES

    for t in TRACKS:
        plain, gz = ds.tracks[t]["plain"], ds.tracks[t]["gz"]
        if shutil.which("gzip"):
            with open(gz, "wb") as out:
                subprocess.run(["gzip", "-6", "-n", "-c", str(plain)], stdout=out, check=True)
        else:
            with open(plain, "rb") as src, gzip.GzipFile(gz, "wb", 6, mtime=0) as dst:
                shutil.copyfileobj(src, dst, 1 << 22)
    ds.lines = lines
    manifest.write_text(json.dumps({"scale": scale, "version": DATA_VERSION, "lines": lines,
                                    "chroms": chroms}, indent=1))
    return ds


def expected_sums(ds: Dataset) -> dict[str, float]:
    """Sum of each track's values over the genome (from the bigWigs' headers)."""
    import pyBigWig

    out = {}
    for t in TRACKS:
        bw = pyBigWig.open(str(ds.tracks[t]["bw"]))
        out[t] = float(bw.header()["sumData"])
        bw.close()
    return out
