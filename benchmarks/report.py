"""Result rows, target evaluation, the printed table and RESULTS.md."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import metadata

OURS, REF, BW = "gdxarray", "genomedata", "pyBigWig"
IMPLS = (OURS, REF, BW)
NA = "n/a (not available)"
#: Display order of sections in the table.
SECTION_ORDER = ("startup", "seq", "load", "small", "e2e", "close", "memory", "reads", "scan",
                 "dask", "xarray", "size", "limit")


@dataclass
class Row:
    key: str
    label: str
    section: str
    kind: str = "time"          # time | mem | size | ratio | rate
    target: tuple | None = None
    samples: dict = field(default_factory=dict)     # impl -> [float]
    errors: dict = field(default_factory=dict)      # impl -> str
    notes: list = field(default_factory=list)
    work: dict = field(default_factory=dict)        # e.g. {"bytes": n} for throughput notes
    cpu: dict = field(default_factory=dict)         # impl -> [cpu seconds] (child processes)

    def add(self, impl: str, value: float) -> None:
        self.samples.setdefault(impl, []).append(float(value))

    def fail(self, impl: str, message: str) -> None:
        self.errors[impl] = message

    def value(self, impl: str) -> float | None:
        vals = self.samples.get(impl)
        if not vals:
            return None
        if self.kind == "mem":
            return max(vals)
        return statistics.median(vals)

    def n(self, impl: str) -> int:
        return len(self.samples.get(impl, []))


class Results:
    def __init__(self) -> None:
        self.rows: dict[str, Row] = {}
        self.checks: list[tuple[str, bool, str]] = []
        self.problems: list[str] = []
        self.facts: list[str] = []

    def row(self, key: str, label: str | None = None, section: str = "", **kw) -> Row:
        if key not in self.rows:
            self.rows[key] = Row(key, label or key, section, **kw)
        return self.rows[key]

    def get(self, key: str) -> Row | None:
        return self.rows.get(key)

    def check(self, name: str, ok: bool, detail: str = "") -> None:
        self.checks.append((name, bool(ok), detail))


# --- formatting -----------------------------------------------------------------

def fmt_value(row: Row, impl: str) -> str:
    v = row.value(impl)
    if v is None:
        err = row.errors.get(impl)
        if err:
            return err if err.startswith("n/a") else "n/a (failed)"
        return ""
    if row.kind == "time":
        return fmt_time(v)
    if row.kind == "mem":
        return f"{v:,.0f} MB"
    if row.kind == "size":
        return f"{v / 1e6:,.1f} MB"
    if row.kind == "ratio":
        return f"{v:.2f}"
    if row.kind == "rate":
        return f"{v:,.1f}"
    return f"{v:.4g}"


def fmt_time(v: float) -> str:
    if v >= 100:
        return f"{v:,.0f} s"
    if v >= 1:
        return f"{v:.2f} s"
    if v >= 1e-3:
        return f"{v * 1e3:.1f} ms"
    return f"{v * 1e6:.0f} µs"


def ratio(row: Row, peer: str) -> float | None:
    a, b = row.value(OURS), row.value(peer)
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(r: float | None) -> str:
    return "" if r is None else f"{r:.2f}×"


def evaluate(row: Row, results: Results) -> tuple[str, str]:
    """(target text, PASS/FAIL/n/a/'') for a row."""
    t = row.target
    if not t:
        return "", ""
    kind = t[0]
    ours = row.value(OURS)
    if kind == "ref":                       # ours <= k x reference
        k = t[1]
        r = ratio(row, REF)
        text = f"≤ {k:g}× ref"
        if r is None:
            return text, "n/a"
        return text, "PASS" if r <= k else "FAIL"
    if kind == "ref_bw":                    # ours <= k1 x ref and <= k2 x pyBigWig
        k1, k2 = t[1], t[2]
        text = f"≤ {k1:g}× ref, ≤ {k2:g}× bw"
        r1, r2 = ratio(row, REF), ratio(row, BW)
        if r1 is None and r2 is None:
            return text, "n/a"
        ok = (r1 is None or r1 <= k1) and (r2 is None or r2 <= k2)
        partial = "" if (r1 is not None and r2 is not None) else " (partial)"
        return text, ("PASS" if ok else "FAIL") + partial
    if kind == "faster":                    # ours <= 1.0 x every peer present
        rs = [ratio(row, p) for p in (REF, BW)]
        rs = [r for r in rs if r is not None]
        text = "≤ 1× peers"
        if not rs:
            return text, "n/a"
        return text, "PASS" if max(rs) <= 1.0 else "FAIL"
    if kind == "max_s":
        text = f"< {t[1]:g} s"
        if ours is None:
            return text, "n/a"
        return text, "PASS" if ours < t[1] else "FAIL"
    if kind == "min_rate":                 # ours work/time >= rate
        work, unit = t[1], t[3]
        text = f"≥ {t[2]:g} {unit}"
        if ours is None:
            return text, "n/a"
        rate = work / ours
        return text, "PASS" if rate >= t[2] else "FAIL"
    if kind == "mem":
        text = f"≤ {t[1]:,.0f} MB"
        if ours is None:
            return text, "n/a"
        return text, "PASS" if ours <= t[1] else "FAIL"
    if kind == "min_value":
        text = f"≥ {t[1]:g}×"
        if ours is None:
            return text, "n/a"
        return text, "PASS" if ours >= t[1] else "FAIL"
    if kind == "max_value":
        text = f"≤ {t[1]:g}×"
        if ours is None:
            return text, "n/a"
        return text, "PASS" if ours <= t[1] else "FAIL"
    if kind == "scan":                      # <= k x ref and >= frac of raw decompression rate
        k, frac, limit_key, work = t[1], t[2], t[3], t[4]
        text = f"≤ {k:g}× ref, ≥ {frac:.0%} of raw inflate"
        r = ratio(row, REF)
        limit = results.get(limit_key)
        lim_t = limit.value(OURS) if limit else None
        parts = []
        if r is not None:
            parts.append(r <= k)
        if ours is not None and lim_t is not None:
            lim_rate = limit.work["bytes"] / lim_t
            scan_rate = work / ours
            row.work["fraction_of_inflate"] = scan_rate / lim_rate
            lib = results.get("limit_libdeflate")
            lib_t = lib.value(OURS) if lib else None
            if lib_t:
                row.work["fraction_of_libdeflate"] = scan_rate / (limit.work["bytes"] / lib_t)
            red = row.work.get("reduction_s")
            if red and ours > red:
                row.work["fraction_ex_reduction"] = work / (ours - red) / lim_rate
            parts.append(scan_rate >= frac * lim_rate)
        if not parts:
            return text, "n/a"
        partial = "" if len(parts) == 2 else " (partial)"
        return text, ("PASS" if all(parts) else "FAIL") + partial
    return str(t), ""


def table(results: Results) -> tuple[list[str], list[list[str]]]:
    header = ["section", "operation", OURS, REF, BW, "ours/ref", "ours/bw", "target", "result",
              "notes"]
    rows = []
    order = {name: i for i, name in enumerate(SECTION_ORDER)}
    ordered = sorted(results.rows.values(), key=lambda r: order.get(r.section, len(order)))
    for row in ordered:
        target, status = evaluate(row, results)
        notes = list(row.notes)
        if row.cpu:
            import statistics as st
            cpu = {k: st.median(v) for k, v in row.cpu.items() if v}
            notes.append("CPU " + ", ".join(f"{'ours' if k == OURS else 'ref'} {fmt_time(v)}"
                                             for k, v in cpu.items()))
        if "fraction_of_inflate" in row.work:
            notes.append(f"{row.work['fraction_of_inflate']:.0%} of raw zlib inflate rate")
        if "fraction_ex_reduction" in row.work:
            notes.append(f"{row.work['fraction_ex_reduction']:.0%} without the sums")
        if "fraction_of_libdeflate" in row.work:
            notes.append(f"{row.work['fraction_of_libdeflate']:.0%} of raw libdeflate rate")
        rows.append([row.section, row.label, fmt_value(row, OURS), fmt_value(row, REF),
                     fmt_value(row, BW), fmt_ratio(ratio(row, REF)), fmt_ratio(ratio(row, BW)),
                     target, status, "; ".join(n for n in notes if n)])
    return header, rows


def render_text(header, rows) -> str:
    widths = [len(h) for h in header]
    for r in rows:
        for i, c in enumerate(r[:-1]):
            widths[i] = max(widths[i], len(c))
    lines = ["  ".join(h.ljust(widths[i]) for i, h in enumerate(header))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(c.ljust(widths[i]) for i, c in enumerate(r)))
    return "\n".join(lines)


def render_md(header, rows) -> str:
    def esc(c: str) -> str:
        return c.replace("|", "\\|")
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        out.append("| " + " | ".join(esc(c) for c in r) + " |")
    return "\n".join(out)


# --- machine ---------------------------------------------------------------------

def _sh(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:  # noqa: BLE001
        return ""


def machine_info() -> dict[str, str]:
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    versions = []
    for pkg in ("gdxarray", "genomedata", "tables", "numpy", "pandas", "xarray", "dask",
                "distributed", "pyBigWig", "deflate", "blosc2"):
        try:
            versions.append(f"{pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            pass
    try:
        import zlib

        import tables
        versions.append(f"HDF5 {tables.hdf5_version}")
        versions.append(f"zlib {zlib.ZLIB_RUNTIME_VERSION}")
    except Exception:  # noqa: BLE001
        pass
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    git = _sh(["git", "-C", os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
               "describe", "--always", "--dirty"])
    return {
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "uname": _sh(["uname", "-a"]) or " ".join(platform.uname()),
        "cpu": cpu or platform.processor(),
        "cores": f"{os.cpu_count()} logical ({affinity} usable)",
        "ram": mem,
        "python": sys.version.split()[0] + f" ({sys.executable})",
        "packages": ", ".join(versions),
        "git": git,
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
