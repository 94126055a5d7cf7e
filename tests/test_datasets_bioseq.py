"""Bioseq one-hot DNA against a plain-Python reading of the FASTA."""

from __future__ import annotations

from pathlib import Path
import numpy as np
import pytest

from gdxarray.datasets import Bioseq
from gdxarray.errors import GenomedataError


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GDXARRAY_OUTPUT", str(tmp_path / "cache"))


@pytest.fixture
def J(realdata):
    return realdata / "janggu"


def fasta(path):
    seqs, name = {}, None
    for line in Path(path).read_text().splitlines(keepends=True):
        line = line.strip()
        if line.startswith(">"):
            name = line[1:].split()[0]
            seqs[name] = []
        elif line:
            seqs[name].append(line)
    return {k: "".join(v) for k, v in seqs.items()}


def onehot(seq, order):
    comp = {"A": "T", "C": "G", "G": "C", "T": "A"}
    out = np.zeros((len(seq) - order + 1, 4 ** order), np.int8)
    for i in range(len(seq) - order + 1):
        kmer = seq[i:i + order].upper()
        if all(ch in "ACGT" for ch in kmer):
            out[i, int("".join(str("ACGT".index(ch)) for ch in kmer), 4)] = 1
    return out, comp


@pytest.mark.parametrize("order,flank,storage", [(1, 0, "ndarray"), (2, 50, "ndarray"),
                                                 (3, 0, "hdf5")])
def test_refgenome_one_hot(J, order, flank, storage):
    seqs = fasta(J / "sample_genome.fa")
    ds = Bioseq.create_from_refgenome("d", J / "sample_genome.fa", roi=J / "sample.bed",
                                      binsize=200, stepsize=300, flank=flank, order=order,
                                      storage=storage)
    got = ds[:]
    assert got.shape == ds.shape == (len(ds), 200 + 2 * flank - order + 1, 1, 4 ** order)
    assert ds.conditions[:2] == ["A" * order, "A" * (order - 1) + "C"]
    comp = {"A": "T", "C": "G", "G": "C", "T": "A", "N": "N"}
    for i in range(len(ds)):
        iv = ds.gindexer[i]
        seq = seqs[iv.chrom][iv.start:iv.end].upper()
        seq += "N" * (200 + 2 * flank - len(seq))  # a short last window is padded
        if iv.strand == "-":
            seq = "".join(comp.get(ch, "N") for ch in reversed(seq))
        want, _ = onehot(seq, order)
        np.testing.assert_array_equal(got[i, :, 0, :], want)


def test_refgenome_from_an_archive_and_padding(J, tmp_path):
    from gdxarray.writer import close_data, load_seq

    archive = tmp_path / "g.genomedata"
    load_seq(archive, [J / "sample_genome.fa"], mode="file")
    close_data(archive)
    seqs = fasta(J / "sample_genome.fa")
    roi = [("chr1", 29900, 30000, "+"), ("chr2", 0, 100, "-")]
    ds = Bioseq.create_from_refgenome("d", archive, roi=roi, binsize=100, flank=20)
    got = ds[:]
    want0, _ = onehot(seqs["chr1"][29880:30000] + "N" * 20, 1)
    np.testing.assert_array_equal(got[0, :, 0], want0)
    comp = {"A": "T", "C": "G", "G": "C", "T": "A"}
    rc = "".join(comp[ch] for ch in reversed(("N" * 20 + seqs["chr2"][0:120]).upper().replace("N", "A")))
    want1, _ = onehot(rc, 1)
    want1[-20:] = 0  # padding before the chromosome start ends up at the end
    np.testing.assert_array_equal(got[1, :, 0], want1)


def test_create_from_seq(J, tmp_path):
    fa = tmp_path / "s.fa"
    fa.write_text(">a\nACGTN\n>b\nttgca\n")
    ds = Bioseq.create_from_seq("s", fa)
    assert ds.shape == (2, 5, 1, 4)
    np.testing.assert_array_equal(ds[0][0, :, 0].argmax(axis=1)[:4], [0, 1, 2, 3])
    assert ds[0][0, 4].sum() == 0
    ds2 = Bioseq.create_from_seq("s", fa, fixedlen=7, order=2)
    assert ds2.shape == (2, 6, 1, 16)
    assert ds2[1][0, 4:].sum() == 0
    prot = tmp_path / "p.fa"
    prot.write_text(">p\nMKV\n")
    assert Bioseq.create_from_seq("p", prot, seqtype="protein").shape == (1, 3, 1, 20)
    fa.write_text(">a\nACGT\n>b\nAC\n")
    with pytest.raises(GenomedataError, match="differ in length"):
        Bioseq.create_from_seq("s", fa)
