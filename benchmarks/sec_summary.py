"""Section ``summary``: fused reductions and zoomed summaries (issue 15 §1, §2).

Rows:

* whole-genome count/sum/sum of squares/min/max of the 3 tracks of the run's
  archive (mean, std derived): ours ``Genome.summary(zoom=False)`` (chunks
  decoded and reduced by the fused kernel on the read threads), pyBigWig's scan
  (``values()`` per 2^20-base block, the same statistics with numpy), and the
  raw libdeflate time of the same chunks (ctypes, GIL released) on 1 and 2
  threads, with ours / pyBigWig and ours / libdeflate(2 threads) as ratio rows;
* a 1,000-bin mean of every track over one long chromosome (250 Mbp; 10 Mbp
  with ``--quick``), built once into ``benchmarks/_work/``: ours from the zoom
  levels (exact), ours decoding everything (``zoom=False``), pyBigWig
  ``stats(nBins=1000)`` with and without ``exact=True`` (one bigWig per track);
  once with bins on 10 kb cell edges and once over ``[0, 248,956,422)`` (hg38
  chr1's length), whose bin edges fall inside cells and are decoded;
* the zoom levels' share of the archive's size.
"""

from __future__ import annotations

import gc
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from benchmarks import datagen as D
from benchmarks.report import BW, OURS, REF
from benchmarks.report import fmt_time as fmt_s

BLOCK = 1 << 20
#: hg38 chr1: bins of 1,000 over it do not fall on 10 kb cell edges.
CHR1_HG38 = 248_956_422
LONG_VERSION = 2


def _bw_scan_stats(paths: list[Path], chroms) -> np.ndarray:
    """pyBigWig: values() per block, then what an analyst computes with numpy."""
    import pyBigWig

    out = np.zeros((len(paths), 5))
    out[:, 3], out[:, 4] = np.inf, -np.inf
    for k, path in enumerate(paths):
        bw = pyBigWig.open(str(path))
        for name, length in chroms:
            for lo in range(0, length, BLOCK):
                v = bw.values(name, lo, min(length, lo + BLOCK), numpy=True)
                kept = v[np.isfinite(v)].astype(np.float64)
                if kept.size:
                    out[k, 0] += kept.size
                    out[k, 1] += kept.sum()
                    out[k, 2] += np.dot(kept, kept)
                    out[k, 3] = min(out[k, 3], kept.min())
                    out[k, 4] = max(out[k, 4], kept.max())
        bw.close()
    return out


def _stored_chunks(path: Path) -> tuple[list[np.ndarray], int]:
    """Every stored ``continuous`` chunk's bytes (through the read lane's own listing)."""
    import tables

    from gdxarray import _chunks

    raws, rows = [], 0
    with tables.open_file(str(path)) as h5:
        for leaf in h5.walk_nodes("/", classname="Leaf"):
            if leaf.name != "continuous":
                continue
            rows = int(leaf.chunkshape[0])
            listing = _chunks.stored_chunks(leaf)
            stored, where = listing
            base = _chunks.base_address(str(path)) or 0
            with open(path, "rb") as fh:
                for c, k in zip(*np.nonzero(stored)):
                    addr, size, _ = where[c, k]
                    fh.seek(int(addr) + base)
                    raws.append(np.frombuffer(fh.read(int(size)), dtype=np.uint8).copy())
    return raws, rows * 4


def _inflate_all(raws, out_size: int, threads: int) -> float:
    """Raw libdeflate (the read lane's ctypes call, GIL released) of every chunk."""
    from gdxarray._native import INFLATE, address

    def part(chunk):
        decompress, d = INFLATE.decoder()
        buf = np.empty(out_size, dtype=np.uint8)
        bp = address(buf)
        for r in chunk:
            decompress(d, address(r), r.size, bp, out_size, None)

    pieces = [raws[i::threads] for i in range(threads)]
    with ThreadPoolExecutor(threads) as ex:
        t0 = time.perf_counter()
        list(ex.map(part, pieces))
        return time.perf_counter() - t0


def _long_archive(bench, length: int) -> tuple[Path, list[Path]] | None:
    """A one-chromosome archive of *length* bp with 3 piecewise-constant tracks (and
    the same tracks as bigWigs), built once per length into benchmarks/_work/."""
    import pyBigWig

    from gdxarray import writer

    root = bench.run_dir.parent / f"summary-long-{length}-v{LONG_VERSION}"
    arch = root / "long.genomedata"
    bws = [root / f"t{k}.bw" for k in range(3)]
    if (root / "done").exists():
        writer.close_data(arch)  # no-op, or rebuilds zoom levels of an older layout
        return arch, bws
    root.mkdir(parents=True, exist_ok=True)
    for p in [arch, *bws]:
        if p.exists():
            p.unlink()
    sizes = root / "long.sizes"
    sizes.write_text(f"chrL\t{length}\n")
    writer.load_seq(arch, [sizes], mode="file", seqfile_type="sizes")
    names = [f"t{k}" for k in range(3)]
    writer.open_data(arch, names)
    for k, name in enumerate(names):
        rng = np.random.default_rng(1000 + k)
        bw = pyBigWig.open(str(bws[k]), "w")
        bw.addHeader([("chrL", length)])

        def pieces():
            step = 10_000_000
            for lo in range(0, length, step):
                n = min(step, length - lo)
                # runs of 1-100 bp (a bedGraph's), ~70% of them with a value
                runs = rng.integers(1, 100, size=n // 25 + 2)
                ends = np.minimum(np.cumsum(runs), n)
                ends = np.unique(ends[ends > 0])
                if ends[-1] != n:
                    ends = np.append(ends, n)
                starts = np.concatenate(([0], ends[:-1]))
                vals = rng.gamma(2.0, 1.5, size=ends.size).astype(np.float32)
                vals[rng.random(ends.size) < 0.3] = np.nan
                keep = np.isfinite(vals)
                bw.addEntries(["chrL"] * int(keep.sum()), (starts[keep] + lo).tolist(),
                              ends=(ends[keep] + lo).tolist(),
                              values=vals[keep].astype(np.float64).tolist())
                yield "chrL", lo, np.repeat(vals, ends - starts)

        writer.write_arrays(arch, name, pieces())
        bw.close()
    writer.close_data(arch)
    (root / "done").write_text("ok\n")
    return arch, bws


def run(bench) -> None:
    import gdxarray
    from gdxarray import _kernels

    bench.ensure_final()
    path = bench.arch.get("ours_final")
    res = bench.res
    reps = bench.cheap
    if _kernels.KERNEL is None:
        res.problems.append("summary: the C kernel is not built (pip install -e .): numpy fallback")
    ds = bench.ds
    bws = [ds.tracks[t]["bw"] for t in D.TRACKS]

    # -- whole-genome statistics ------------------------------------------------------
    fused = res.row("summary_genome", "whole-genome count/sum/sum²/min/max, 3 tracks "
                    "(Genome.summary, zoom off) vs pyBigWig scan", "summary")
    lim1 = res.row("summary_inflate1", "raw libdeflate of the same chunks, 1 thread", "summary")
    lim2 = res.row("summary_inflate2", "raw libdeflate of the same chunks, 2 threads", "summary")
    r_bw = res.row("summary_vs_bw", "fused summary / pyBigWig scan (same statistics)", "summary",
                   kind="ratio", target=("max_value", 0.5))
    r_lim = res.row("summary_vs_inflate", "fused summary / raw libdeflate, 2 threads", "summary",
                    kind="ratio", target=("max_value", 1.3))
    fused.fail(REF, "n/a (not run: see the scan section)")
    ours_out = None
    if path is not None:
        raws, out_size = _stored_chunks(path)
        g = gdxarray.Genome(str(path))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g.summary(zoom=False)  # warm: chunk listings, page cache
            for rep in range(reps):
                for impl in bench.order(rep, [OURS, BW]):
                    gc.collect()
                    t0 = time.perf_counter()
                    if impl == OURS:
                        s = g.summary(zoom=False)
                        _ = (s.mean, s.std, s.min, s.max)
                        fused.add(OURS, time.perf_counter() - t0)
                        ours_out = s
                    else:
                        bw_out = bench.guard(fused, BW, _bw_scan_stats, bws, ds.chroms)
                        if bw_out is not None:
                            fused.add(BW, time.perf_counter() - t0)
                lim1.add(OURS, _inflate_all(raws, out_size, 1))
                lim2.add(OURS, _inflate_all(raws, out_size, 2))
        g.close()
        work = ds.genome_bp * len(D.TRACKS) * 4
        for row in (fused, lim1, lim2):
            v = row.value(OURS)
            if v:
                row.notes.append(f"{work / 1e6 / v:,.0f} MB/s of float32")
        lim1.notes.append(f"{len(raws):,} chunks")
        if fused.value(OURS) and fused.value(BW):
            r_bw.add(OURS, fused.value(OURS) / fused.value(BW))
        if fused.value(OURS) and lim2.value(OURS):
            r_lim.add(OURS, fused.value(OURS) / lim2.value(OURS))
        r_lim.notes.append("2 cores shared with other work: see the load average in the header")
        if ours_out is not None:
            exp = np.array([D.expected_sums(ds)[t] for t in D.TRACKS])
            ok = np.allclose(ours_out.sum, exp, rtol=1e-4)
            res.check("summary: Genome.summary sums match the bigWig headers' sumData", ok,
                      "" if ok else f"got {ours_out.sum.tolist()}, expected {exp.tolist()}")
            if bw_out is not None:
                ok = (np.array_equal(ours_out.count, bw_out[:, 0])
                      and np.allclose(ours_out.sum, bw_out[:, 1], rtol=1e-9)
                      and np.allclose(ours_out.sum_squares, bw_out[:, 2], rtol=1e-9)
                      and np.array_equal(ours_out.min, bw_out[:, 3])
                      and np.array_equal(ours_out.max, bw_out[:, 4]))
                res.check("summary: count/sum/sum²/min/max equal pyBigWig values + numpy float64",
                          ok)
    else:
        fused.fail(OURS, "n/a (no archive)")

    # -- the xarray face: .gd.bin on the whole-genome dataset (dask, threads) -------------
    if path is not None:
        import xarray as xr

        xb = res.row("summary_gd_bin", "xarray .gd.bin(100 kb, mean) of the whole genome, 3 "
                     "tracks, dask threads: archive route vs blocks", "summary")
        xb.fail(BW, "n/a")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            chunks = {"position": bench.dask_chunk(), "track": -1}  # as the dask section
            with xr.open_dataset(str(path), engine="genomedata", chunks=chunks) as xds:
                arr = xds["continuous"]
                routed = arr.gd.bin(100_000).compute(scheduler="threads")  # warm
                for _ in range(reps):
                    t1 = time.perf_counter()
                    routed = arr.gd.bin(100_000).compute(scheduler="threads")
                    xb.add(OURS, time.perf_counter() - t1)
                    t1 = time.perf_counter()
                    blocks = (arr + 0).gd.bin(100_000).compute(scheduler="threads")
                    xb.add(REF, time.perf_counter() - t1)
        xb.notes.append(f"chunks of {bench.dask_chunk():,} positions; 'genomedata' column: "
                        "the same bins of `continuous + 0` (dask reads "
                        "each chunk, then the kernel reduces it); ours: the tasks reduce "
                        "straight from the archive (zoom cells, fused decode)")
        ok = np.allclose(routed.values, blocks.values, rtol=1e-9, equal_nan=True)
        res.check("summary: .gd.bin through the archive equals .gd.bin of the values", ok)

    # -- zoomed 1,000-bin summaries of one long chromosome ------------------------------
    length = 10_000_000 if bench.args.quick else 250_000_000
    t0 = time.perf_counter()
    built = _long_archive(bench, length)
    if built is None:
        return
    arch, long_bws = built
    build_s = time.perf_counter() - t0
    import pyBigWig

    g = gdxarray.Genome(str(arch))
    chrom = g["chrL"]
    handles = [pyBigWig.open(str(p)) for p in long_bws]
    cases = [("aligned", length, f"{length / 1e6:g} Mbp chromosome, bins on 10 kb cell edges")]
    if length > CHR1_HG38:
        cases.append(("chr1", CHR1_HG38, f"[0, {CHR1_HG38:,}) of it (hg38 chr1's length): "
                      "bin edges inside cells, decoded"))
    try:
        for key, end, what in cases:
            zoomed = res.row(f"summary_zoom_{key}", f"1,000-bin mean of 3 tracks, {what}; "
                             "ours zoomed (exact) vs pyBigWig stats(nBins=1000)", "summary",
                             target=("max_s", 0.010) if key == "aligned" else None)
            exact = res.row(f"summary_zoom_{key}_exact", "  same, pyBigWig exact=True", "summary")
            full = res.row(f"summary_nozoom_{key}", "  same, ours decoding every chunk "
                           "(zoom=False)", "summary")
            t1 = time.perf_counter()
            first = chrom.summary(0, end, stats=("mean",), bins=1000)  # first call: reads levels
            first_s = time.perf_counter() - t1
            for rep in range(reps):
                for impl in bench.order(rep, [OURS, BW]):
                    gc.collect()
                    if impl == OURS:
                        t1 = time.perf_counter()
                        s = chrom.summary(0, end, stats=("mean",), bins=1000)
                        _ = s.mean
                        t2 = time.perf_counter()
                        zoomed.add(OURS, t2 - t1)
                        exact.add(OURS, t2 - t1)
                    else:
                        for row, ex in ((zoomed, False), (exact, True)):
                            t1 = time.perf_counter()
                            got = [h.stats("chrL", 0, end, nBins=1000, exact=ex) for h in handles]
                            row.add(BW, time.perf_counter() - t1)
                            if ex:
                                bw_exact = np.array(got, dtype=np.float64).T
                            else:
                                bw_approx = np.array(got, dtype=np.float64).T
            for _ in range(max(1, reps // 2)):
                t1 = time.perf_counter()
                plain = chrom.summary(0, end, stats=("mean",), bins=1000, zoom=False)
                full.add(OURS, time.perf_counter() - t1)
            ok = np.allclose(first.mean, plain.mean, rtol=1e-12, equal_nan=True)
            res.check(f"summary ({key}): zoomed 1,000-bin means equal the fully decoded ones", ok)
            ok = np.allclose(first.mean, bw_exact, rtol=1e-6, equal_nan=True)
            res.check(f"summary ({key}): zoomed means equal pyBigWig's exact=True", ok)
            err = np.nanmax(np.abs(bw_approx - first.mean) / np.maximum(np.abs(first.mean), 1e-9))
            zoomed.notes.append(f"pyBigWig approximate: largest relative error {err:.2g}")
            zoomed.notes.append(f"ours: zoom arrays cached after the first call of the run, "
                                f"which took {fmt_s(first_s)}")
    finally:
        for h in handles:
            h.close()
        g.close()
    import tables

    size = res.row("summary_zoom_size", f"zoom levels' share of the archive ({length / 1e6:g} "
                   "Mbp, 3 tracks)", "summary", kind="ratio")
    with tables.open_file(str(arch)) as h5:
        zoom = sum(n.size_on_disk for n in h5.walk_nodes("/", "Leaf")
                   if n._v_name.startswith("gdxarray_zoom_"))
    total = arch.stat().st_size
    size.add(OURS, 100.0 * zoom / total)
    size.notes.append(f"percent: {zoom / 1e6:,.2f} MB of {total / 1e6:,.1f} MB")
    if path is not None:
        with tables.open_file(str(path)) as h5:
            zoom2 = sum(n.size_on_disk for n in h5.walk_nodes("/", "Leaf")
                        if n._v_name.startswith("gdxarray_zoom_"))
        size.notes.append(f"the run's {ds.genome_bp / 1e6:g} Mbp archive: "
                          f"{100.0 * zoom2 / path.stat().st_size:.2f}%")
    size.notes.append(f"long archive built once in {fmt_s(build_s)} (cached)")
