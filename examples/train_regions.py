"""Train a tiny model on genomic regions and put its predictions back on the genome.

Run it from anywhere::

    python examples/train_regions.py [OUTPUT_DIR] [--archive A.genomedata --track NAME]

Without ``--archive`` it writes a small archive first (two chromosomes of
random DNA and a ``signal`` track that follows the local GC content, plus
noise).  Then, as a Janggu user would:

1. regions of interest: each chromosome tiled into 200 bp windows;
2. ``Bioseq.create_from_refgenome`` (one-hot DNA from the archive's sequence)
   and ``Cover.create_from_genomedata`` (the signal at 50 bp resolution, read
   lazily from the archive);
3. ``split_train_test`` holds out ``chr2``; a ridge regression (numpy; a small
   torch linear layer if torch is installed and ``--torch`` is given) learns
   the 4 signal bins of a window from its per-bin base composition, fitted
   over ``gdxarray.datasets.batches`` of 256 windows;
4. the test predictions go back to coordinates with ``Cover.create_from_array``,
   are written as bigWig with ``export_to_bigwig`` and drawn next to the signal
   with ``plotGenomeTrack`` (a PNG).

Prints the test correlation and the files written; needs the ``[ml]`` extra
(matplotlib, for the PNG).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from gdxarray.datasets import (
    Bioseq, Cover, LineTrack, batches, plotGenomeTrack, split_train_test,
)

CHROMS = {"chr1": 300_000, "chr2": 100_000}
BINSIZE, RESOLUTION = 200, 50


def make_archive(workdir: Path) -> tuple[Path, str]:
    """A FASTA genome and a GC-driven signal loaded into a new archive."""
    from gdxarray.writer import close_data, load_seq, open_data, write_arrays

    rng = np.random.default_rng(7)
    fasta = workdir / "genome.fa"
    seqs = {}
    with open(fasta, "w") as fh:
        for chrom, n in CHROMS.items():
            # GC-rich and AT-rich stretches of a few kb
            gc = np.repeat(rng.uniform(0.2, 0.8, n // 2000 + 1), 2000)[:n]
            u = rng.random(n)
            strong = rng.random(n) < 0.5
            seq = np.where(u < gc, np.where(strong, ord("G"), ord("C")),
                           np.where(strong, ord("A"), ord("T"))).astype(np.uint8)
            seqs[chrom] = seq
            fh.write(f">{chrom}\n")
            text = seq.tobytes().decode()
            fh.write("\n".join(text[i:i + 60] for i in range(0, n, 60)) + "\n")
    archive = workdir / "example.genomedata"
    load_seq(archive, [fasta])
    open_data(archive, ["signal"])
    pieces = []
    for chrom, seq in seqs.items():
        is_gc = ((seq == ord("G")) | (seq == ord("C"))).astype(np.float32)
        smooth = np.convolve(is_gc, np.ones(25) / 25, mode="same")
        pieces.append((chrom, 0, 10 * smooth + rng.normal(0, 0.5, len(seq)).astype(np.float32)))
    write_arrays(archive, "signal", pieces)
    close_data(archive)
    return archive, "signal"


def features(dna: np.ndarray) -> np.ndarray:
    """Base composition of each 50 bp bin: (windows, bins * 4) plus a constant."""
    n, length = dna.shape[:2]
    comp = dna[:, :, 0, :].reshape(n, length // RESOLUTION, RESOLUTION, 4).mean(axis=2)
    return np.concatenate([comp.reshape(n, -1), np.ones((n, 1))], axis=1)


def fit_numpy(train_x, train_y, ridge: float = 1e-3) -> np.ndarray:
    """Ridge regression accumulated over batches (the loader's use, not a full stack)."""
    xtx = xty = None
    for x, y in batches([train_x, train_y], 256, seed=0):
        f = features(x)
        t = y[:, :, 0, 0]
        xtx = f.T @ f if xtx is None else xtx + f.T @ f
        xty = f.T @ t if xty is None else xty + f.T @ t
    return np.linalg.solve(xtx + ridge * np.eye(len(xtx)), xty)


def fit_torch(train_x, train_y, epochs: int = 30):
    import torch

    torch.manual_seed(0)
    nfeat = features(train_x[[0]]).shape[1]
    model = torch.nn.Linear(nfeat, BINSIZE // RESOLUTION, bias=False)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for epoch in range(epochs):
        for x, y in batches([train_x, train_y], 256, seed=epoch):
            f = torch.as_tensor(features(x), dtype=torch.float32)
            t = torch.as_tensor(y[:, :, 0, 0])
            opt.zero_grad()
            loss = torch.mean((model(f) - t) ** 2)
            loss.backward()
            opt.step()
    return model.weight.detach().numpy().T.astype(np.float64)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("outdir", nargs="?", help="where files go (default: a temporary folder)")
    p.add_argument("--archive", help="an archive with sequence and a signal track")
    p.add_argument("--track", default=None, help="the signal track (default: the first)")
    p.add_argument("--torch", action="store_true", help="fit with torch instead of numpy")
    args = p.parse_args(argv)
    out = Path(args.outdir or tempfile.mkdtemp(prefix="gdxarray-train-"))
    out.mkdir(parents=True, exist_ok=True)
    if args.archive:
        archive, track = Path(args.archive), args.track
    else:
        archive, track = make_archive(out)
    from gdxarray import Genome

    with Genome(archive) as genome:
        sizes = {c.name: int(c.end) for c in genome}
        track = track or genome.tracknames_continuous[0]
    roi = [(chrom, 0, size - size % BINSIZE) for chrom, size in sizes.items()]

    dna = Bioseq.create_from_refgenome("dna", archive, roi=roi, binsize=BINSIZE)
    signal = Cover.create_from_genomedata("signal", archive, tracks=[track], roi=roi,
                                          binsize=BINSIZE, resolution=RESOLUTION)
    holdout = [list(sizes)[-1]]
    (train_x, train_y), (test_x, test_y) = split_train_test((dna, signal), holdout)

    weights = fit_torch(train_x, train_y) if args.torch else fit_numpy(train_x, train_y)
    pred = features(test_x[:]) @ weights                     # (windows, bins)
    truth = test_y[:][:, :, 0, 0]
    corr = float(np.corrcoef(pred.ravel(), truth.ravel())[0, 1])

    predicted = Cover.create_from_array("predicted", pred[:, :, None, None].astype(np.float32),
                                        test_y.gindexer, conditions=[track],
                                        genomesize=sizes)
    bigwigs = predicted.export_to_bigwig(out / "bigwig", genomesize=sizes)
    chrom = holdout[0]
    fig = plotGenomeTrack([LineTrack(test_y, marker=""), LineTrack(predicted, marker="")],
                          chrom, 0, 4000, figsize=(10, 4))
    png = out / "predicted.png"
    fig.savefig(png, dpi=80)
    print(f"test correlation ({chrom}, {len(test_y)} windows): {corr:.3f}")
    print("wrote", ", ".join(str(p) for p in [*bigwigs, png]))
    return {"correlation": corr, "bigwigs": bigwigs, "png": png, "predictions": pred,
            "predicted": predicted, "archive": archive}


if __name__ == "__main__":
    main(sys.argv[1:])
