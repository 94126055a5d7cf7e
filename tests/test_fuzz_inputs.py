"""Odd and mutated inputs: every outcome is a success or a gdxarray error, never another
exception (issue 12, sections 3 and 4).

The first tests pin the cases the reliability report found (integers too big for
Python or C, a byte-order mark, empty sizes / AGP files, a chromosome name too long
for a file name).  Then seeded mutations of small valid inputs (the report's
mutators, smaller and deterministic) go through ``load_data`` and ``load_seq``.
"""

from __future__ import annotations

import gzip
import importlib
import io
import random
import shutil
import warnings

import numpy as np
import pytest

import gdxarray
from gdxarray.errors import GenomedataError, ParseError
from gdxarray.format import MAX_COORDINATE
from gdxarray.parsers import read_agp, read_fasta, read_sizes, read_track

SIZES = {"chr1": 5_000, "chr2": 3_000}
BOM = b"\xef\xbb\xbf"


@pytest.fixture(scope="module")
def base_archive(tmp_path_factory):
    """A directory archive of SIZES with one open, empty track ``t``."""
    root = tmp_path_factory.mktemp("fuzz")
    sizes = root / "g.sizes"
    sizes.write_text("".join(f"{n}\t{length}\n" for n, length in SIZES.items()))
    path = root / "base.gd"
    gdxarray.load_seq(path, [sizes], mode="dir", seqfile_type="sizes")
    gdxarray.open_data(path, ["t"])
    return path


@pytest.fixture
def archive(base_archive, tmp_path):
    copy = tmp_path / "a.gd"
    shutil.copytree(base_archive, copy)
    return copy


def read_t(path) -> dict[str, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dirty / incomplete: what is asked here is values
        with gdxarray.Genome(path) as genome:
            return {name: genome[name][0:length, "t"] for name, length in SIZES.items()}


def run_cli(capsys, module, *argv):
    status = importlib.import_module(f"gdxarray.cli.{module}").main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


# --- the report's crashes, pinned ---------------------------------------------------

HUGE = "9" * 5000


@pytest.mark.parametrize("text, fragment", [
    (f"fixedStep chrom=chr1 start={HUGE} step=1\n1\n", "start=999"),
    (f"fixedStep chrom=chr1 start=1 step=1 span={HUGE}\n1\n", "span=999"),
    (f"fixedStep chrom=chr1 start=1 step={2**64}\n1\n", f"step={2**64}"),
    (f"variableStep chrom=chr1 span={2**32}\n1 1\n", f"span={2**32}"),
    (f"chr1\t{2**64}\t{2**64 + 1}\t1\n", "start 18446744073709551616 is too large"),
    (f"chr1\t0\t{HUGE}\t1\n", "end 999"),
])
def test_integers_past_the_format_are_refused_in_words(archive, capsys, tmp_path, text,
                                                         fragment):
    with pytest.raises(ParseError) as info:
        gdxarray.load_data(archive, "t", io.BytesIO(text.encode()))
    message = str(info.value)
    assert fragment in message and f"{MAX_COORDINATE:,}" in message
    assert len(message) < 400  # the number is cut, not quoted whole
    data = tmp_path / "x.wig"
    data.write_text(text)
    status, _, err = run_cli(capsys, "load_data", "--file", data, archive, "t")
    assert status == 1 and len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("kind, text", [
    ("sizes", f"chr1\t{2**64}\n"),
    ("sizes", f"chr1\t{HUGE}\n"),
    ("sizes", f"chr1\t{2**32}\n"),
    ("agp", f"c\t1\t{2**64}\t1\tW\tx\t1\t10\t+\n"),
    ("agp", f"c\t{HUGE}\t{HUGE}\t1\tW\tx\t1\t10\t+\n"),
    ("agp", f"c\t1\t10\t{HUGE}\tW\tx\t1\t10\t+\n"),
])
def test_lengths_past_the_format_are_refused_in_words(tmp_path, capsys, kind, text):
    src = tmp_path / f"in.{kind}"
    src.write_text(text)
    reader = read_sizes if kind == "sizes" else read_agp
    with pytest.raises(ParseError, match=r"in\.(sizes|agp):1: ") as info:
        list(reader(src))
    assert len(str(info.value)) < 400
    assert f"{MAX_COORDINATE:,}" in str(info.value)
    status, _, err = run_cli(capsys, "load_seq", "-a" if kind == "agp" else "-s",
                             tmp_path / "out.gd", src)
    assert status == 1 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "out.gd").exists()


@pytest.mark.parametrize("text", [
    b"chr1\t0\t10\t1.5\nchr1\t20\t25\t-2\nchr2\t5\t6\t3\n",
    b"fixedStep chrom=chr1 start=3 step=5 span=2\n1\n2\nvariableStep chrom=chr2\n7 0.5\n",
])
def test_a_byte_order_mark_is_accepted_in_tracks(text, base_archive, tmp_path):
    parsed = {}
    for label, data in (("plain", text), ("bom", BOM + text), ("bom.gz", gzip.compress(BOM + text))):
        blocks = list(read_track(io.BytesIO(data), name=label))
        parsed[label] = [(b.chrom, b.starts.tolist(), b.ends.tolist(), b.values.tolist(),
                          b.lines.tolist()) for b in blocks]
        target = tmp_path / f"{label}.gd"
        shutil.copytree(base_archive, target)
        gdxarray.load_data(target, "t", io.BytesIO(data))
        parsed[label + ":values"] = read_t(target)
    assert parsed["bom"] == parsed["plain"] == parsed["bom.gz"]
    for name in SIZES:
        np.testing.assert_array_equal(parsed["bom:values"][name], parsed["plain:values"][name])
    assert np.isfinite(parsed["bom:values"]["chr1"]).sum() > 0


def test_a_byte_order_mark_is_accepted_in_sequence_files():
    fasta = b">chr1\nACGTN\nAC\n>chr2\nGG\n"
    assert [(r.name, r.seq.tobytes()) for r in read_fasta(io.BytesIO(BOM + fasta))] == \
        [("chr1", b"ACGTNAC"), ("chr2", b"GG")]
    assert [(r.name, r.length) for r in read_sizes(io.BytesIO(BOM + b"chr1\t10\n"))] == \
        [("chr1", 10)]
    agp = b"c\t1\t10\t1\tW\tx\t1\t10\t+\n"
    assert [(r.name, r.length) for r in read_agp(io.BytesIO(BOM + agp))] == [("c", 10)]


@pytest.mark.parametrize("kind, text, fragment", [
    ("sizes", b"", "no chromosome sizes"),
    ("sizes", b"# a comment\n\n", "no chromosome sizes"),
    ("agp", b"", "no AGP rows"),
    ("agp", b"# comment only\n", "no AGP rows"),
    ("fasta", b"", "no FASTA records"),
])
def test_empty_sequence_inputs_are_errors(tmp_path, capsys, kind, text, fragment):
    src = tmp_path / f"empty.{kind}"
    src.write_bytes(text)
    flag = {"sizes": ["-s"], "agp": ["-a"], "fasta": []}[kind]
    status, _, err = run_cli(capsys, "load_seq", *flag, tmp_path / "out.gd", src)
    assert status == 1 and fragment in err and str(src) in err
    assert not (tmp_path / "out.gd").exists()


def test_a_name_too_long_for_a_file_name(tmp_path, capsys):
    name = "c" * 600
    src = tmp_path / "long.fa"
    src.write_text(f">{name}\nACGTACGT\n")
    status, _, err = run_cli(capsys, "load_seq", "-d", tmp_path / "d.gd", src)
    assert status == 1 and "too long for a file name" in err and f"{src}:1:" in err
    assert "-f/--file-mode" in err and "HDF5" not in err
    # a file archive stores it
    gdxarray.load_seq(tmp_path / "f.gd", [src], mode="file")
    with gdxarray.Genome(tmp_path / "f.gd") as genome, warnings.catch_warnings():
        warnings.simplefilter("ignore", gdxarray.GenomedataDirtyWarning)  # fresh from load-seq
        assert genome[name].seq[0:8].tobytes() == b"ACGTACGT"


# --- seeded mutations -------------------------------------------------------------------

NUMBERS = [HUGE, str(2**64), str(2**63), str(2**32), "-1", "-0", "nan", "NA", "inf", "0x10",
           "1e400", "1_000", "\u0661\u0662", "", "0", "+5", " "]
NAMES = ["chrZ", "chr\u00e91", "a/b", "c" * 600, "", "chr1 chr2"]


def valid_track(rng: random.Random) -> bytes:
    kind = rng.choice(["bedgraph", "fixed", "variable"])
    lines = []
    if kind == "bedgraph":
        for name, length in SIZES.items():
            pos = 0
            while pos < length - 50 and len(lines) < 40:
                start = pos + rng.randrange(0, 30)
                end = start + rng.randrange(1, 20)
                lines.append(f"{name}\t{start}\t{end}\t{rng.uniform(-5, 5):.3g}")
                pos = end
    elif kind == "fixed":
        step = rng.randrange(1, 6)
        lines.append(f"fixedStep chrom=chr1 start={rng.randrange(1, 100)} step={step} "
                     f"span={rng.randrange(1, step + 1)}")
        lines += [f"{rng.uniform(-1, 1):g}" for _ in range(30)]
    else:
        lines.append("variableStep chrom=chr2 span=2")
        pos = 1
        for _ in range(30):
            pos += rng.randrange(2, 9)
            lines.append(f"{pos} {rng.uniform(0, 9):.2f}")
    return ("\n".join(lines) + "\n").encode()


def valid_seq(rng: random.Random) -> tuple[str, bytes]:
    kind = rng.choice(["fasta", "sizes", "agp"])
    if kind == "fasta":
        records = []
        for i in range(rng.randrange(1, 4)):
            seq = "".join(rng.choice("ACGTN" if rng.random() < 0.2 else "ACGT")
                          for _ in range(rng.randrange(1, 200)))
            records.append(f">s{i}\n" + "\n".join(seq[j:j + 60] for j in range(0, len(seq), 60)))
        return kind, ("\n".join(records) + "\n").encode()
    if kind == "sizes":
        return kind, "".join(f"s{i}\t{rng.randrange(1, 10**6)}\n"
                             for i in range(rng.randrange(1, 4))).encode()
    rows, pos = [], 1
    for part in range(1, rng.randrange(2, 6)):
        length = rng.randrange(1, 50)
        if part % 2 == 0:
            rows.append(f"c\t{pos}\t{pos + length - 1}\t{part}\tN\t{length}\tscaffold\tyes\tpaired-ends")
        else:
            rows.append(f"c\t{pos}\t{pos + length - 1}\t{part}\tW\tx{part}\t1\t{length}\t+")
        pos += length
    return kind, ("\n".join(rows) + "\n").encode()


def mutate(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    for _ in range(rng.randrange(1, 4)):
        op = rng.randrange(12)
        i = rng.randrange(len(lines))
        if op == 0:
            del lines[i]
            lines = lines or [b""]
        elif op == 1:
            lines.insert(i, lines[i])
        elif op == 2:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 3:
            line = lines[i]
            at = rng.randrange(len(line) + 1)
            lines[i] = line[:at] + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 5))) + line[at:]
        elif op == 4 and lines[i]:
            line = bytearray(lines[i])
            line[rng.randrange(len(line))] ^= 1 << rng.randrange(8)
            lines[i] = bytes(line)
        elif op == 5:  # a number replaced
            tokens = lines[i].replace(b"=", b"= ").split()
            numeric = [k for k, t in enumerate(tokens) if t[:1].isdigit()]
            if numeric:
                tokens[rng.choice(numeric)] = rng.choice(NUMBERS).encode()
                sep = b"\t" if b"\t" in lines[i] else b" "
                lines[i] = sep.join(tokens).replace(b"= ", b"=")
        elif op == 6:
            lines[i] = lines[i].replace(b"chr1", rng.choice(NAMES).encode()).replace(
                b"s0", rng.choice(NAMES).encode(), 1).replace(b"c\t", rng.choice(NAMES).encode() + b"\t", 1)
        elif op == 7:
            lines = [line + b"\r" for line in lines]
        elif op == 8:
            lines[0] = BOM + lines[0]
        elif op == 9:
            lines[i] = lines[i] + b"\x00"
        elif op == 10:
            lines[i] = lines[i] + b"1" * rng.choice([1000, 100_000])
        else:
            lines = lines[:max(1, i)]
    out = b"\n".join(lines)
    if rng.random() < 0.3:
        out = out[:rng.randrange(len(out) + 1)]  # truncated
    if rng.random() < 0.15:
        packed = gzip.compress(out)
        choice = rng.randrange(3)
        out = (packed + b"garbage" if choice == 0 else packed[:len(packed) // 2]
               if choice == 1 else packed + gzip.compress(b""))
    return out


def _outcome(call) -> str:
    """"ok" or "error" (a GenomedataError); any warning must be one of gdxarray's
    (e.g. lines of an unknown chromosome, skipped)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            call()
        except GenomedataError as exc:
            assert "\n" not in str(exc).strip() or isinstance(exc, ParseError), str(exc)
            return "error"
        finally:
            for warning in caught:
                assert warning.category.__module__ == "gdxarray.errors", warning
    return "ok"


@pytest.mark.parametrize("seed", range(4))
def test_mutated_tracks_load_or_fail_cleanly(base_archive, tmp_path, seed):
    rng = random.Random(seed)
    outcomes = []
    for case in range(15):
        data = valid_track(rng)
        if rng.random() < 0.85:
            data = mutate(data, rng)
        target = tmp_path / f"{case}.gd"
        shutil.copytree(base_archive, target)
        outcomes.append(_outcome(lambda: gdxarray.load_data(target, "t", io.BytesIO(data))))
        values = read_t(target)  # loaded or not, the archive opens and reads
        assert all(v.shape == (SIZES[n],) for n, v in values.items())
        shutil.rmtree(target)
    assert outcomes.count("ok") + outcomes.count("error") == len(outcomes)


@pytest.mark.parametrize("seed", range(4))
def test_mutated_sequence_inputs_load_or_fail_cleanly(tmp_path, seed):
    rng = random.Random(100 + seed)
    for case in range(12):
        kind, data = valid_seq(rng)
        if rng.random() < 0.85:
            data = mutate(data, rng)
        src = tmp_path / f"{case}.{kind}"
        src.write_bytes(data)
        out = tmp_path / f"{case}.gd"
        mode = rng.choice(["file", "dir"])
        result = _outcome(lambda: gdxarray.load_seq(out, [src], mode=mode, seqfile_type=kind))
        if result == "ok":
            with gdxarray.Genome(out) as genome, warnings.catch_warnings():
                warnings.simplefilter("ignore", gdxarray.GenomedataDirtyWarning)
                sizes = {c.name: c.end for c in genome}
            assert sizes and all(0 < n <= MAX_COORDINATE for n in sizes.values())
        else:
            assert not out.exists() or (mode == "dir" and not any(out.iterdir()))


def test_a_mutated_input_reaches_every_outcome():
    # the mutators are not toothless: some inputs load, most are refused
    rng = random.Random(7)
    parsed = {"ok": 0, "error": 0}
    for _ in range(60):
        data = mutate(valid_track(rng), rng)

        def parse():
            for _block in read_track(io.BytesIO(data), name="x"):
                pass

        parsed[_outcome(parse)] += 1
    assert parsed["ok"] >= 3 and parsed["error"] >= 10, parsed
