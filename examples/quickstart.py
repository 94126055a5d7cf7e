"""gdxarray quickstart: build an archive, open it with xarray, compute on a cluster, plot.

Run it from anywhere::

    python examples/quickstart.py [OUTPUT_DIR]

It makes a small genome (FASTA with an assembly gap) and three signal tracks
(bedGraph), loads them with ``gdxarray.writer.load_genomedata`` (the drop-in for
``genomedata-load``), opens the archive with ``xarray.open_dataset(...,
engine="genomedata")``, runs genome-wide reductions on a
``dask.distributed.LocalCluster`` with two worker processes, bins a region per
chromosome and saves a PNG of the tracks over it (if matplotlib is installed:
``pip install matplotlib``; without it the plot is skipped).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import xarray as xr

import gdxarray  # noqa: F401 - registers the .gd accessor
from gdxarray.writer import load_genomedata

CHROMS = {"chr1": 1_200_000, "chr2": 700_000}
GAP = ("chr1", 400_000, 550_000)  # 150 kb of N: an assembly gap (>= 100 kb)


def make_inputs(workdir: Path) -> tuple[Path, dict[str, Path]]:
    """A FASTA genome and three bedGraph tracks with a little structure in them."""
    rng = np.random.default_rng(42)
    fasta = workdir / "genome.fa"
    with open(fasta, "w") as fh:
        for chrom, length in CHROMS.items():
            seq = rng.choice(np.frombuffer(b"ACGT", np.uint8), size=length)
            if chrom == GAP[0]:
                seq[GAP[1]:GAP[2]] = ord("N")
            fh.write(f">{chrom}\n")
            text = seq.tobytes().decode()
            fh.writelines(text[i:i + 60] + "\n" for i in range(0, length, 60))
    tracks = {}
    for name, scale in (("dnase", 3.0), ("h3k27ac", 1.5), ("ctcf", 0.5)):
        path = tracks[name] = workdir / f"{name}.bedGraph"
        with open(path, "w") as fh:
            for chrom, length in CHROMS.items():
                starts = np.arange(0, length, 50)
                if chrom == GAP[0]:
                    starts = starts[(starts + 50 <= GAP[1]) | (starts >= GAP[2])]
                # peaks every ~100 kb on a noisy background; some intervals missing
                signal = scale * np.exp(-((starts % 100_000) - 50_000) ** 2 / 2e7)
                signal += rng.gamma(1.0, 0.2, starts.size)
                keep = rng.random(starts.size) > 0.1
                lines = (f"{chrom}\t{s}\t{s + 50}\t{v:.4f}\n"
                         for s, v in zip(starts[keep], signal[keep]))
                fh.writelines(lines)
    return fasta, tracks


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    outdir = Path(argv[0]) if argv else Path(tempfile.mkdtemp(prefix="gdxarray-quickstart-"))
    outdir.mkdir(parents=True, exist_ok=True)

    # 1. build an archive (the same as genomedata-load -s genome.fa -t dnase=... out)
    fasta, tracks = make_inputs(outdir)
    archive = outdir / "example.genomedata"
    load_genomedata(archive, tracks=list(tracks.items()), seqfilenames=[fasta], mode="file")
    print(f"built {archive}")

    # 2. open it lazily: chromosomes end to end along `position`.  "auto" chunks
    # follow the storage; this genome is tiny, so ask for small chunks to give
    # both workers something to do (a real genome needs no such setting)
    import dask

    with dask.config.set({"array.chunk-size": "2MiB"}):
        ds = xr.open_dataset(archive, engine="genomedata", chunks="auto")
    print(ds)
    print("statistics from the archive (no signal read):")
    print(ds[["means", "vars", "num_datapoints"]].to_dataframe())

    # 3. genome-wide reductions on a cluster of worker processes
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):
        # float64 accumulators: float32 sums over millions of bases drift
        x = ds.continuous.astype("float64")
        summary = xr.Dataset({"mean": x.mean("position"), "std": x.std("position"),
                              "max": x.max("position"),
                              "count": x.count("position")}).compute()
        print("genome-wide, computed on the workers:")
        print(summary.to_dataframe())
        xm = x.where(x.notnull().all("track"))
        centered = (xm - xm.mean("position")).fillna(0)
        cov = xr.dot(centered, centered.rename(track="track2"), dim="position")
        sd = np.sqrt(xr.dot(centered, centered, dim="position"))
        print("track correlations:")
        print((cov / (sd * sd.rename(track="track2"))).compute().to_pandas().round(3))

        # 4. bin a region (per chromosome, never across a chromosome end)
        region = ds.gd.region("chr1:300,001-700,000")
        binned = region.continuous.gd.bin(5_000, how="mean").compute()
    print(f"binned {region.sizes['position']:,} bases into {binned.sizes['bin']} bins")

    # 5. export a track and plot the region
    bw = binned.sel(track="dnase").gd.to_bigwig(outdir / "dnase_5kb.bw")[0]
    print(f"wrote {bw}")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: skipped the plot (pip install matplotlib)")
        return 0
    fig, axes = plt.subplots(len(binned.track), 1, sharex=True, figsize=(8, 5))
    mid = (binned.start + binned.end).values / 2
    for ax, name in zip(np.atleast_1d(axes), binned.track.values):
        ax.fill_between(mid, binned.sel(track=name).values, step="mid", alpha=0.7)
        ax.set_ylabel(str(name))
    np.atleast_1d(axes)[-1].set_xlabel("chr1 position (the gap reads as NaN)")
    fig.suptitle("5 kb bin means, chr1:300,001-700,000")
    png = outdir / "region.png"
    fig.savefig(png, dpi=100)
    print(f"saved {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
