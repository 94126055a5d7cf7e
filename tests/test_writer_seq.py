"""load-seq: layout, attributes and types as the reference writes them."""

from __future__ import annotations

import gzip
import os
import warnings

import numpy as np
import pytest
import tables

from gdxarray import format as fmt
from gdxarray.errors import ArchiveExistsError, ParseError
from gdxarray.writer import close_data, load_seq
from gdxarray.store import Archive

FASTA = (">chr1 some description\nACGTNNNNacgtAAAA\nGGGGccccNNNNtttt\n"
         ">chr2\nGGGGAAAATTTTCCCC\n>chrY\nACGTACGTAC\n")


def _write(path, text):
    path.write_text(text)
    return path


def _walk(path):
    """{node path: (class, shape, chunkshape, filters, {attr: (type, value)})} of a file."""
    out = {}
    with tables.open_file(str(path)) as h5:
        for node in h5.walk_nodes("/"):
            if node._v_name.startswith("gdxarray_"):
                continue  # our layout index: a leaf the reference ignores
            attrs = {}
            for name in node._v_attrs._v_attrnames:
                value = node._v_attrs[name]
                kind = type(value).__name__
                if isinstance(value, np.ndarray):
                    kind = str(value.dtype)
                    value = value.tolist()
                elif isinstance(value, tables.Filters):
                    value = repr(value)
                else:
                    value = value.item() if hasattr(value, "item") else value
                attrs[name] = (kind, value)
            out[node._v_pathname] = (type(node).__name__, getattr(node, "shape", None),
                                     getattr(node, "chunkshape", None),
                                     repr(getattr(node, "filters", None)), attrs)
    return out


def _structure(path, mode):
    if mode == "file":
        return {"": _walk(path)}
    return {p.name: _walk(p) for p in sorted(path.iterdir())}


def _reference_load_seq(*args, **kwargs):
    ref = pytest.importorskip("genomedata._load_seq")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref.load_seq(*args, **kwargs)


@pytest.mark.parametrize("kind", ["fasta", "sizes"])
def test_same_layout_as_reference(tmp_path, writer_mode, kind):
    src = _write(tmp_path / "in.txt", FASTA if kind == "fasta" else "chr1 32\nchr2 16\nchrY 10\n")
    ours, theirs = tmp_path / "ours.gd", tmp_path / "theirs.gd"
    load_seq(ours, [src], mode=writer_mode, seqfile_type=kind)
    _reference_load_seq(str(theirs), [str(src)], mode=writer_mode, seqfile_type=kind)
    assert _structure(ours, writer_mode) == _structure(theirs, writer_mode)
    with tables.open_file(str(ours if writer_mode == "file" else ours / "chr1_some_description.genomedata"
                              if kind == "fasta" else ours / "chr1.genomedata")) as h5:
        # the dirty bit is an HDF5 bitfield, what PyTables writes for a bool
        group = h5.root if writer_mode == "dir" else next(h5.iter_nodes("/", "Group"))
        assert group._v_attrs.dirty is np.True_ or group._v_attrs.dirty == np.True_
        assert type(group._v_attrs.dirty) is np.bool_


def test_fasta_values_read_by_reference(tmp_path, writer_mode, reference):
    src = _write(tmp_path / "g.fa", FASTA)
    load_seq(tmp_path / "g.gd", [src], mode=writer_mode)
    close_data(tmp_path / "g.gd")
    snap = reference.snapshot(tmp_path / "g.gd")
    assert snap["chr1_some_description"]["seq"] == b"ACGTNNNNacgtAAAAGGGGccccNNNNtttt"
    assert snap["chr2"]["seq"] == b"GGGGAAAATTTTCCCC"
    assert snap["chrY"] == {"start": 0, "end": 10, "supercontigs": [(0, 10)],
                            "seq": b"ACGTACGTAC"}


def test_long_gaps_split_supercontigs(tmp_path, writer_mode, reference):
    rng = np.random.default_rng(0)
    seq = np.frombuffer(b"ACGTacgt", np.uint8)[rng.integers(0, 8, 2_000_000)].copy()
    seq[:10_000] = ord("N")  # short leading run: stays inside supercontig 0
    seq[500_000:650_000] = ord("N")  # a gap
    seq[900_000:999_999] = ord("n")  # one base short of a gap
    seq[1_500_000:1_700_000] = ord("R")  # any non-ACGT letter counts
    seq[1_900_000:] = ord("N")  # trailing gap
    with gzip.open(tmp_path / "g.fa.gz", "wb") as fh:
        fh.write(b">chrG\n")
        for i in range(0, len(seq), 60):
            fh.write(seq[i:i + 60].tobytes() + b"\n")
    load_seq(tmp_path / "g.gd", [tmp_path / "g.fa.gz"], mode=writer_mode)
    close_data(tmp_path / "g.gd")
    snap = reference.snapshot(tmp_path / "g.gd")["chrG"]
    assert snap["end"] == 2_000_000
    assert snap["supercontigs"] == [(0, 500_000), (650_000, 1_500_000), (1_700_000, 1_900_000)]
    expected = seq.copy()
    for a, b in [(500_000, 650_000), (1_500_000, 1_700_000), (1_900_000, 2_000_000)]:
        expected[a:b] = ord("N")
    assert snap["seq"] == expected.tobytes()


def test_agp_supercontigs_and_assembly_report(tmp_path, realdata, reference):
    out = tmp_path / "mapped.gd"
    with open(realdata / "genomedata" / "assembly_report.txt") as report:
        load_seq(out, [realdata / "genomedata" / "chrY.agp.gz", realdata / "genomedata" / "chr1.agp.gz"],
                 mode="file", seqfile_type="agp", assembly_report_file=report)
    close_data(out)
    assert {"chr1", "chrY"} <= set(reference.snapshot(out))
    merged = tmp_path / "merged.gd"
    load_seq(merged, [realdata / "genomedata" / "adjacent.agp.gz"], mode="file", seqfile_type="agp")
    close_data(merged)
    assert reference.snapshot(merged)["chr10"]["supercontigs"] == [
        (39239118, 39254773), (39254793, 39338430), (39338450, 39341685)]


def test_mode_threshold(tmp_path):
    few = _write(tmp_path / "few.sizes", "".join(f"c{i} 10\n" for i in range(fmt.FILE_MODE_CHROMS - 1)))
    many = _write(tmp_path / "many.sizes", "".join(f"c{i} 10\n" for i in range(fmt.FILE_MODE_CHROMS)))
    load_seq(tmp_path / "few.gd", [few], seqfile_type="sizes")
    load_seq(tmp_path / "many.gd", [many], seqfile_type="sizes")
    assert (tmp_path / "few.gd").is_dir()
    assert (tmp_path / "many.gd").is_file()
    # the file archive carries the layout index, which Archive uses
    archive = Archive(tmp_path / "many.gd")
    assert archive._file_index() is not None
    assert len(archive.chrom_names()) == fmt.FILE_MODE_CHROMS
    archive.close()


def _leftovers(directory):
    return [p.name for p in directory.iterdir() if ".tmp-" in p.name]


def test_existing_file_is_refused_and_untouched(tmp_path):
    src = _write(tmp_path / "g.fa", FASTA)
    target = _write(tmp_path / "g.gd", "precious")
    with pytest.raises(ArchiveExistsError, match="already exists"):
        load_seq(target, [src], mode="file")
    assert target.read_text() == "precious"
    assert not _leftovers(tmp_path)


def test_dir_mode_refuses_existing_chromosome_file(tmp_path):
    src = _write(tmp_path / "g.fa", FASTA)
    target = tmp_path / "g.gd"
    target.mkdir()
    _write(target / "chr2.genomedata", "precious")
    _write(target / "other.txt", "kept")
    with pytest.raises(ArchiveExistsError, match="chr2.genomedata"):
        load_seq(target, [src], mode="dir")
    assert sorted(p.name for p in target.iterdir()) == ["chr2.genomedata", "other.txt"]
    assert (target / "chr2.genomedata").read_text() == "precious"
    assert not _leftovers(tmp_path)
    # a directory without clashes is filled
    (target / "chr2.genomedata").unlink()
    load_seq(target, [src], mode="dir")
    assert sorted(p.name for p in target.iterdir()) == [
        "chr1_some_description.genomedata", "chr2.genomedata", "chrY.genomedata", "other.txt"]


def test_duplicate_name_across_files(tmp_path, writer_mode):
    a = _write(tmp_path / "a.fa", ">chr1\nACGT\n")
    b = _write(tmp_path / "b.fa", ">chr2\nACGT\n>chr1\nGGGG\n")
    with pytest.raises(ParseError, match=r"b\.fa:3: duplicate chromosome name 'chr1'.*a\.fa:1"):
        load_seq(tmp_path / "g.gd", [a, b], mode=writer_mode)
    assert not (tmp_path / "g.gd").exists()
    assert not _leftovers(tmp_path)


def test_parse_error_midway_leaves_nothing(tmp_path, writer_mode):
    good = _write(tmp_path / "a.fa", ">chr1\nACGT\n")
    bad = _write(tmp_path / "b.sizes", "chr2 10\n")  # not FASTA
    with pytest.raises(ParseError):
        load_seq(tmp_path / "g.gd", [good, bad], mode=writer_mode)
    assert not (tmp_path / "g.gd").exists()
    assert not _leftovers(tmp_path)


def test_many_scaffolds_file_mode(tmp_path, reference):
    sizes = _write(tmp_path / "s.sizes", "".join(f"scaffold_{i} {100 + i}\n" for i in range(500)))
    load_seq(tmp_path / "s.gd", [sizes], seqfile_type="sizes")
    close_data(tmp_path / "s.gd")
    snap = reference.snapshot(tmp_path / "s.gd")
    assert len(snap) - 2 == 500
    assert snap["scaffold_7"] == {"start": 0, "end": 107, "supercontigs": [(0, 107)]}


def test_big_sequence_is_written_in_chunks(tmp_path):
    rng = np.random.default_rng(1)
    seq = np.frombuffer(b"ACGTacgtN", np.uint8)[rng.integers(0, 9, 3_000_001)]
    with open(tmp_path / "big.fa", "wb") as fh:
        fh.write(b">big\n" + seq.tobytes() + b"\n")
    load_seq(tmp_path / "big.gd", [tmp_path / "big.fa"], mode="file")
    with tables.open_file(str(tmp_path / "big.gd")) as h5:
        node = h5.root.big.supercontig_0.seq
        assert node.filters == fmt.FILTERS
        np.testing.assert_array_equal(node[:], seq)
    assert os.path.getsize(tmp_path / "big.gd") < len(seq)
