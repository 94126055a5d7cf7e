"""FASTA, supercontig finding, AGP, chromosome sizes and assembly reports.

Expected values come from the file contents themselves (Python's ``float``,
hand-computed coordinates) or from independent readers (pyBigWig, the
reference genomedata's own functions), never from the parser under test.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from gdxarray.errors import ParseError
from gdxarray.parsers import (
    count_sequences,
    find_supercontigs,
    read_agp,
    read_assembly_report,
    read_fasta,
    read_sizes,
)
from gdxarray.parsers.sequence import NameTranslationError

from _parser_helpers import concat, f32, intervals, raises_at, write, _rows  # noqa: F401


def brute_force_supercontigs(seq: bytes, gap_length: int) -> list[tuple[int, int]]:
    gaps = [m.span() for m in re.finditer(rb"[^ACGTacgt]+", seq)
            if m.end() - m.start() >= gap_length]
    bounds = [0] + [x for g in gaps for x in g] + [len(seq)]
    return [(a, b) for a, b in zip(bounds[0::2], bounds[1::2]) if b > a]


class TestSupercontigs:
    @pytest.mark.parametrize("gap_length", [1, 3, 10, 2000])
    def test_random_sequences_match_brute_force(self, gap_length):
        rng = np.random.default_rng(gap_length)
        alphabet = np.frombuffer(b"ACGTacgtNnRY-", dtype=np.uint8)
        for _ in range(300):
            p = rng.random(len(alphabet))
            p[8:] *= rng.random() * 30
            n = int(rng.integers(1, 9000 if gap_length > 100 else 120))
            runs = rng.choice(alphabet, size=max(1, n // 50), p=p / p.sum())
            seq = np.repeat(runs, rng.integers(1, 2 * max(1, gap_length), len(runs)))[:n]
            starts, ends = find_supercontigs(seq.astype(np.uint8), gap_length)
            assert list(zip(starts.tolist(), ends.tolist())) == \
                brute_force_supercontigs(seq.tobytes(), gap_length)

    def test_edges(self):
        assert [a.tolist() for a in find_supercontigs(b"NNNN", 2)] == [[], []]
        assert [a.tolist() for a in find_supercontigs(b"NNACGTN", 3)] == [[0], [7]]
        assert [a.tolist() for a in find_supercontigs(b"NNNACGTNNN", 3)] == [[3], [7]]
        assert [a.tolist() for a in find_supercontigs(b"", 3)] == [[], []]
        with pytest.raises(ValueError):
            find_supercontigs(b"ACGT", 0)

    def test_default_gap_length_on_a_long_sequence(self):
        seq = np.full(1_000_000, ord("a"), dtype=np.uint8)
        seq[0:99_999] = ord("N")  # too short: stays in supercontig 0
        seq[300_000:400_000] = ord("n")  # exactly MIN_GAP_LEN
        seq[700_000:950_000] = ord("R")
        seq[999_000:] = ord("N")
        starts, ends = find_supercontigs(seq)
        assert starts.tolist() == [0, 400_000, 950_000]
        assert ends.tolist() == [300_000, 700_000, 1_000_000]


# --- FASTA ---------------------------------------------------------------------------------------

class TestFasta:
    def test_records(self, tmp_path):
        text = ("\n>chr1 some  description\t\r\n"
                "ACGTacgt\r\n"
                "NNNNnn\r\n"
                "  AC GT \r\n"
                ">chr2\n"
                "tttt\n"
                "\n"
                ">chrM\n"
                "A")
        records = list(read_fasta(write(tmp_path, "g.fa", text, gz=True), gap_length=4))
        assert [(r.name, r.length, r.line) for r in records] == [
            ("chr1_some_description", 18, 2), ("chr2", 4, 6), ("chrM", 1, 9)]
        assert records[0].seq.tobytes() == b"ACGTacgtNNNNnnACGT"
        assert records[0].starts.tolist() == [0, 14] and records[0].ends.tolist() == [8, 18]
        assert records[1].seq.dtype == np.uint8 and records[1].seq.tobytes() == b"tttt"
        assert all(r.source == str(tmp_path / "g.fa") for r in records)

    def test_all_gap_record_has_no_supercontig(self, tmp_path):
        (record,) = read_fasta(write(tmp_path, "n.fa", ">x\nNNNNNN\n"), gap_length=2)
        assert record.length == 6 and len(record.starts) == 0 and len(record.ends) == 0

    @pytest.mark.parametrize("text, line, message", [
        ("", None, "no FASTA records"),
        ("\n\n", None, "no FASTA records"),
        ("ACGT\n>chr1\nACGT\n", 1, "sequence data before the first '>' line"),
        ("\n\nACGT\n", 3, "sequence data before the first '>' line"),
        (">\nACGT\n", 1, "empty sequence name"),
        (">chr1\nACGT\n>chr2\nAC\n>chr1 \nGG\n", 5,
         r"duplicate sequence name 'chr1' \(first at line 1\)"),
        (">chr1\nACGT\nAC1T\n", 3, "invalid character '1' in the sequence of 'chr1'"),
        (">chr1\nACGT\n>chr2\nAC.T\n", 4, "invalid character '.'"),
        (">chr1\n>chr2\nACGT\n", 1, "sequence 'chr1' is empty"),
        (">chr1\nACGT\n>chr2\n", 3, "sequence 'chr2' is empty"),
    ])
    def test_errors(self, tmp_path, text, line, message):
        with raises_at(line, message):
            list(read_fasta(write(tmp_path, "bad.fa", text)))

    def test_count_sequences(self, tmp_path):
        a = write(tmp_path, "a.fa", ">x\nAC\n>y desc > z\nGT\n")
        b = write(tmp_path, "b.fa.gz", ">z\nAC\n", gz=True)
        assert count_sequences([a, b], "fasta") == 3
        assert count_sequences(a, "fasta") == 2
        sizes = write(tmp_path, "s.sizes", "chr1 10\n\n# c\nchr2 20\n")
        assert count_sequences([sizes], "sizes") == 2
        agp = write(tmp_path, "a.agp", "o1\t1\t5\t1\tW\tc\t1\t5\t+\no2\t1\t5\t1\tW\tc\t1\t5\t+\n")
        assert count_sequences([agp, agp], "agp") == 4
        with pytest.raises(ValueError, match="unknown sequence file kind"):
            count_sequences([a], "genbank")

    def test_real_fasta(self, realdata):
        (chr1,) = read_fasta(realdata / "genomedata" / "chr1.short.fa")
        text = (realdata / "genomedata" / "chr1.short.fa").read_bytes().split(b"\n", 1)[1]
        assert chr1.name == "chr1" and chr1.length == 24_950
        assert chr1.seq.tobytes() == text.replace(b"\n", b"")
        assert (chr1.starts.tolist(), chr1.ends.tolist()) == ([0], [24_950])
        (chrY,) = read_fasta(realdata / "genomedata" / "chrY.short.fa.gz")
        assert chrY.name == "chrY" and chrY.length == 24_950

        (rdna,) = read_fasta(realdata / "pygenometracks" / "fasta_track.fasta")
        assert rdna.name == "rDNA_unit_8919x2_bp" and rdna.length == 17_843
        assert (rdna.starts.tolist(), rdna.ends.tolist()) == ([0], [17_843])
        assert b"N" in rdna.seq.tobytes()

        (ref,) = read_fasta(realdata / "debian_bedtools" / "test_ref.fa")
        assert ref.length == 50_000 and ref.seq[:10_000].tobytes() == b"N" * 10_000
        assert (ref.starts.tolist(), ref.ends.tolist()) == ([0], [50_000])
        (ref,) = read_fasta(realdata / "debian_bedtools" / "test_ref.fa", gap_length=1000)
        assert (ref.starts.tolist(), ref.ends.tolist()) == ([10_000], [50_000])

        plasmids = list(read_fasta(realdata / "debian_unicycler" /
                                   "shigella_sonnei_53G_plasmids.reference.fasta"))
        assert [(r.name.split("_Shigella")[0], r.length, r.line) for r in plasmids] == [
            ("NC_016833.1", 215_774, 1), ("NC_016823.1", 5_153, 3085),
            ("NC_016834.1", 8_953, 3160)]
        assert plasmids[1].name == ("NC_016823.1_Shigella_sonnei_53G_plasmid_B,_complete_genome_"
                                    "length=5153_circular=true")
        assert count_sequences([realdata / "debian_unicycler" /
                                "shigella_sonnei_53G_plasmids.reference.fasta",
                                realdata / "deeptools" / "phiX.fasta"], "fasta") == 4


# --- AGP ----------------------------------------------------------------------------------------

def agp_row(obj, beg, end, part, kind, *rest):
    if not rest:
        rest = ("100", "scaffold", "yes", "paired-ends") if kind in "NU" else ("ctg", "1", "9", "+")
    return "\t".join([obj, str(beg), str(end), str(part), kind, *rest]) + "\n"


class TestAgp:
    def test_merging_gaps_and_objects(self, tmp_path):
        text = ("# comment\n\n"
                + agp_row("chrB", 1, 100, 1, "W")
                + agp_row("chrB", 101, 200, 2, "F")  # touches: merged
                + agp_row("chrB", 201, 300, 3, "N")  # gap (any length) splits
                + agp_row("chrB", 301, 310, 4, "A")
                + agp_row("chrA", 1, 10, 1, "U")  # only gaps
                + agp_row("chrB", 401, 500, 5, "D")  # hole: a new supercontig
                + agp_row("chrB", 501, 600, 6, "N", "100", "telomere", "no")  # AGP 1.1: 8 columns
                + agp_row("chrC", 5, 9, 1, "O").replace("\n", "\r\n"))
        records = list(read_agp(write(tmp_path, "a.agp.gz", text, gz=True)))
        assert [(r.name, r.length, r.line, r.seq) for r in records] == [
            ("chrB", 500, 3, None), ("chrA", 10, 7, None), ("chrC", 9, 10, None)]
        b, a, c = records
        assert list(zip(b.starts.tolist(), b.ends.tolist())) == [(0, 200), (300, 310), (400, 500)]
        assert len(a.starts) == 0 and len(a.ends) == 0
        assert list(zip(c.starts.tolist(), c.ends.tolist())) == [(4, 9)]
        assert b.starts.dtype == np.int64

    @pytest.mark.parametrize("row, message", [
        ("chr1\t11\t20\t2\tW\tctg\t1\t10\n", r"expected 9 tab-separated AGP columns, found 8"),
        ("chr1 11 20 2 W ctg 1 10 +\n", r"expected 9 tab-separated AGP columns, found 1"),
        (agp_row("chr1", "x", 20, 2, "W"), r"object_beg 'x' is not a positive integer"),
        (agp_row("chr1", 11, "2e1", 2, "W"), r"object_end '2e1' is not a positive integer"),
        (agp_row("chr1", 0, 20, 2, "W"), r"object_beg '0' is not a positive integer"),
        (agp_row("chr1", 30, 20, 2, "W"), r"object_beg 30 > object_end 20"),
        (agp_row("chr1", 11, 20, 2, "X"), r"unknown component type 'X' \(valid: A D F G N O P U W\)"),
        (agp_row("chr1", 11, 20, "two", "W"), r"part_number 'two' is not a positive integer"),
        (agp_row("chr1", 5, 20, 2, "W"),
         r"rows of 'chr1' out of order or overlapping: 5-20 after a row ending at 10 \(line 1\)"),
    ])
    def test_errors(self, tmp_path, row, message):
        with raises_at(2, message):
            list(read_agp(write(tmp_path, "bad.agp", agp_row("chr1", 1, 10, 1, "W") + row)))

    # supercontigs as the reference's genomedata-load-seq --assembly writes them
    REFERENCE = {
        "chr1.agp.gz": ("NC_000001.11", 248_946_422, [
            (10000, 207666), (257666, 297968), (347968, 535988), (585988, 121976459),
            (122026459, 122224535), (122224635, 122503147), (122503247, 124785432),
            (124785532, 124849129), (124849229, 124932724), (124932824, 125184587),
            (143184587, 223558935), (223608935, 248946422)]),
        "chrY.agp.gz": ("CM000686.2", 57_217_415, [
            (10000, 1949345), (2132994, 9057608), (9107608, 9403713), (9453713, 10266944),
            (10316944, 10544039), (10594039, 10694192), (10744192, 11592902),
            (11642902, 21789281), (21805281, 26673214), (56673214, 56771509),
            (56821509, 57217415)]),
        "adjacent.agp.gz": ("chr10", 39_341_685, [
            (39239118, 39254773), (39254793, 39338430), (39338450, 39341685)]),
        "test_chunks.agp": ("chr1", 200_800, [
            (0, 100), (100000, 100200), (200300, 200400), (200500, 200600), (200700, 200800)]),
    }

    @pytest.mark.parametrize("name", sorted(REFERENCE))
    def test_real_agp_matches_reference_supercontigs(self, realdata, name):
        (record,) = read_agp(realdata / "genomedata" / name)
        chrom, length, contigs = self.REFERENCE[name]
        assert record.name == chrom
        # as the reference: the length ends at the last component (non-gap row)
        assert record.length == length
        assert list(zip(record.starts.tolist(), record.ends.tolist())) == contigs


# --- sizes -----------------------------------------------------------------------------------------

class TestSizes:
    def test_sizes(self, tmp_path):
        text = "# header\nchr1\t1000\textra columns\n\n  \nchr2 20\r\nchrM    16569"
        records = list(read_sizes(write(tmp_path, "g.sizes", text, gz=True)))
        assert [(r.name, r.length, r.line, r.seq) for r in records] == [
            ("chr1", 1000, 2, None), ("chr2", 20, 5, None), ("chrM", 16569, 6, None)]
        assert [(r.starts.tolist(), r.ends.tolist()) for r in records] == [
            ([0], [1000]), ([0], [20]), ([0], [16569])]

    @pytest.mark.parametrize("line, message", [
        ("chr3", r"missing length after 'chr3'"),
        ("chr3 12.5", r"length '12.5' of 'chr3' is not a positive integer"),
        ("chr3 0", r"length '0' of 'chr3' is not a positive integer"),
        ("chr3 -4", r"length '-4' of 'chr3' is not a positive integer"),
        ("chr1 5", r"duplicate chromosome 'chr1' \(first at line 1\)"),
    ])
    def test_errors(self, tmp_path, line, message):
        with raises_at(3, message):
            list(read_sizes(write(tmp_path, "bad.sizes", f"chr1 10\nchr2 20\n{line}\n")))

    @pytest.mark.parametrize("path, count, first", [
        ("debian_bedtools/human.hg19.genome", 94, ("chr1", 249_250_621)),  # has a blank line
        ("debian_bedtools/human.hg38.genome", 456, None),
        ("debian_bedtools/mouse.mm10.genome", 67, None),
        ("janggu/sacCer3.chrom.sizes", 17, ("chrIV", 1_531_933)),
        ("macs3/hg19.len", 93, None),
    ])
    def test_real_sizes(self, realdata, path, count, first):
        records = list(read_sizes(realdata / path))
        assert len(records) == count == count_sequences([realdata / path], "sizes")
        if first:
            assert (records[0].name, records[0].length) == first


# --- assembly report ----------------------------------------------------------------------------------

class TestAssemblyReport:
    TEXT = ("# Assembly name:  test\r\n"
            "#\r\n"
            "# Sequence-Name\tSequence-Role\tRefSeq-Accn\tUCSC-style-name\r\n"
            "1\tassembled-molecule\tNC_1\tchr1\r\n"
            "X\tassembled-molecule\tNC_X\tchrX\r\n"
            "HSCHR1_CTG\tunlocalized\tNC_1\tchr1_random\r\n"  # NC_1 repeated: first row wins
            "PATCH\tfix-patch\tna\tna\r\n"
            "\r\n")

    def test_translate(self, tmp_path):
        report = read_assembly_report(write(tmp_path, "r.txt", self.TEXT))
        assert report.styles == ("Sequence-Name", "Sequence-Role", "RefSeq-Accn",
                                 "UCSC-style-name")
        assert report.translate("1", "UCSC-style-name") == "chr1"
        assert report.translate("NC_1") == "chr1"
        assert report.translate("chrX", "Sequence-Name") == "X"
        assert report.translate("HSCHR1_CTG") == "chr1_random"
        assert report.translate("PATCH", "Sequence-Name") == "PATCH"
        assert "chr1" in report and "na" not in report

    @pytest.mark.parametrize("name, style, message", [
        ("chr9", "UCSC-style-name", r"cannot find 'chr9' in assembly report"),
        ("na", "UCSC-style-name", r"cannot find 'na'"),
        ("PATCH", "UCSC-style-name", r"'PATCH' has no UCSC-style-name in assembly report \(na\)"),
        ("1", "GenBank-Accn", r"unknown naming style 'GenBank-Accn'; valid styles: "
                              r"Sequence-Name, Sequence-Role, RefSeq-Accn, UCSC-style-name"),
    ])
    def test_errors(self, tmp_path, name, style, message):
        path = write(tmp_path, "r.txt", self.TEXT)
        report = read_assembly_report(path)
        with pytest.raises(NameTranslationError, match=message) as info:
            report.translate(name, style)
        error = info.value
        assert isinstance(error, ParseError) and isinstance(error, KeyError)
        assert isinstance(error, ValueError) and error.source == str(path)
        assert str(error).startswith(f"{path}: ")

    def test_real_report_agrees_with_the_reference(self, realdata):
        load_seq = pytest.importorskip("genomedata._load_seq")
        path = realdata / "genomedata" / "assembly_report.txt"
        with open(path) as handle:
            reference_map = load_seq.read_chromosome_name_map(handle)
        report = read_assembly_report(path)
        assert report.styles == tuple(reference_map)
        names = {cell for column in reference_map.values() for cell in column} - {"na"}
        checked = 0
        for style in ("UCSC-style-name", "Sequence-Name", "RefSeq-Accn"):
            for name in sorted(names):
                expected = load_seq.get_chromosome_name(name, reference_map, style)
                if expected == "na":
                    with pytest.raises(NameTranslationError, match="has no"):
                        report.translate(name, style)
                else:
                    assert report.translate(name, style) == expected, name
                    checked += 1
        assert checked > 1500
        assert report.translate("NC_000001.11") == "chr1"
        assert report.translate("MT") == "chrM"
