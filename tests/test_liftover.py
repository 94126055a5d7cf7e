"""Liftover: chain files, coordinate conversion (against UCSC liftOver's answers and the
pyliftover package) and lifting tracks between archives (against a plain-Python walk
of the chain blocks)."""

from __future__ import annotations

import gzip
import subprocess
import sys
import warnings

import numpy as np
import pytest

from gdxarray import Genome
from gdxarray.errors import (
    GenomedataDirtyWarning, GenomedataError, IncompleteTrackError, IncompleteTrackWarning, OverlapWarning, ParseError,
    TrackExistsError,
)
from gdxarray.liftover import Liftover, liftover_tracks, parse_reverse_tracks
from gdxarray.parsers.chain import read_chains
from gdxarray.writer import close_data, erase_data, load_seq, open_data, write_arrays

# -- a small chain file with every case: forward and reverse chains, gaps on both
# sides, chains overlapping on the source (different and equal scores) and in the
# target (a low-scoring chain from chrB onto bases chrA's best chain also reaches),
# and a target chromosome the target archive will lack.
SIZES_SRC = {"chrA": 300, "chrB": 120}
SIZES_DST = {"chrX": 400, "chrY": 90, "chrZ": 50}
CHAIN = """\
# a comment line
chain 1000 chrA 300 + 10 110 chrX 400 + 20 125 1
30\t5\t10
20\t0\t0
45

chain 500 chrA 300 + 100 190 chrY 90 - 0 90 2
40 0 0
50

chain 500 chrA 300 + 150 170 chrZ 50 + 0 20 3
20

chain 200 chrA 300 + 200 290 chrX 400 - 5 95 4
90

chain 50 chrB 120 + 0 60 chrX 400 + 30 90 5
60

chain 40 chrB 120 + 60 120 chrW 1000 + 0 60 6
60
"""


def _write_chain(tmp_path, text=CHAIN, name="test.chain", gz=False):
    path = tmp_path / (name + (".gz" if gz else ""))
    data = text.encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def _walk_chains(text: str):
    """Independent reading of a chain file: plain Python, one base at a time.

    Returns {(source chrom, pos): [(target chrom, pos, strand, score, chain order)]}.
    """
    out: dict = {}
    lines = [l.split() for l in text.splitlines()]
    i = order = 0
    while i < len(lines):
        f = lines[i]
        i += 1
        if not f or f[0].startswith("#"):
            continue
        score, tname, tstart = int(f[1]), f[2], int(f[5])
        qname, qsize, qstrand, qstart = f[7], int(f[8]), f[9], int(f[10])
        t, q = tstart, qstart
        while True:
            g = lines[i]
            i += 1
            size = int(g[0])
            for k in range(size):
                pos = q + k if qstrand == "+" else qsize - 1 - (q + k)
                out.setdefault((tname, t + k), []).append((qname, pos, qstrand, score, order))
            if len(g) == 1:
                break
            t += size + int(g[1])
            q += size + int(g[2])
        order += 1
    return out


# -- chain files ---------------------------------------------------------------------
def test_read_chains_blocks_match_a_plain_walk(realdata):
    path = realdata / "pyliftover" / "mds42.to.mg1655.liftOver"
    chains = read_chains(path)
    text = path.read_text()
    blocks = []
    t = q = 0
    for line in text.splitlines():
        f = line.split()
        if not f or f[0].startswith("#"):
            continue
        if f[0] == "chain":
            t, q = int(f[5]), int(f[10])
            continue
        blocks.append((t, q, int(f[0])))
        if len(f) == 3:
            t += int(f[0]) + int(f[1])
            q += int(f[0]) + int(f[2])
    got = list(zip(chains.block_source_start.tolist(), chains.block_target_start.tolist(),
                   chains.block_size.tolist()))
    assert got == blocks
    assert chains.source_names == ["AP012306.1"] and chains.target_names == ["Chromosome"]
    assert chains.source_sizes.tolist() == [3976195]
    assert chains.target_sizes.tolist() == [4639675]


@pytest.mark.parametrize("gz", [False, True])
def test_read_chains_plain_or_gzip(tmp_path, gz):
    chains = read_chains(_write_chain(tmp_path, gz=gz))
    assert chains.score.tolist() == [1000, 500, 500, 200, 50, 40]
    assert chains.reverse.tolist() == [False, True, False, True, False, False]
    assert chains.ids == ["1", "2", "3", "4", "5", "6"]
    assert chains.lines.tolist() == [2, 7, 11, 14, 17, 20]


def _same_chainsets(a, b):
    import dataclasses

    for field in dataclasses.fields(a):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), field.name
        else:
            assert x == y, field.name


TWELVE = "\n".join(line.rsplit(" ", 1)[0] if line.startswith("chain") else line
                    for line in CHAIN.splitlines()) + "\n"


@pytest.mark.parametrize("text, fast", [
    (CHAIN, True),
    (CHAIN.replace("\n", "\r\n"), True),      # CRLF
    (CHAIN.rstrip("\n"), True),                # no newline at the end
    (CHAIN + "\n\n# trailing comment\n", True),
    (TWELVE, True),                             # headers without the id field
    (CHAIN.replace("30\t5\t10", "  30 5 10"), False),  # leading spaces: careful reading
    (CHAIN.replace("chain 1000", "chain +1000"), False),
])
def test_fast_chain_reading_equals_the_line_reading(text, fast):
    """The array reading gives exactly what the line-by-line one gives, and leaves
    files with unusual (but valid) forms to it."""
    from gdxarray.parsers.chain import _read_fast, _read_lines

    data = text.encode()
    careful = _read_lines(data, "x.chain")
    quick = _read_fast(data, "x.chain")
    assert (quick is not None) == fast
    if quick is not None:
        _same_chainsets(quick, careful)
    _same_chainsets(read_chains(__import__("io").BytesIO(data), name="x.chain"), careful)


def test_fast_chain_reading_never_accepts_what_the_line_reading_refuses():
    """Random byte edits of a chain file: where the array reading answers at all, the
    line reading accepts the file too and gives the same arrays."""
    import random

    from gdxarray.parsers.chain import _read_fast, _read_lines

    rng = random.Random(2026)
    alphabet = b" \t\r\n0123456789-+#cx\x0b\x00ab"
    answered = 0
    for _ in range(1500):
        data = bytearray(CHAIN.encode())
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(data))
            op = rng.random()
            if op < 0.4:
                data[i] = rng.choice(alphabet)
            elif op < 0.7:
                del data[i]
            else:
                data.insert(i, rng.choice(alphabet))
        quick = _read_fast(bytes(data), "f.chain")
        if quick is None:
            continue
        answered += 1
        _same_chainsets(quick, _read_lines(bytes(data), "f.chain"))  # raises if refused
    assert answered > 100  # the fast reading is exercised, not always declining


def test_fast_chain_reading_of_ucscs_hg38_chain(realdata):
    from gdxarray.parsers._io import open_input, read_all
    from gdxarray.parsers.chain import _read_fast, _read_lines

    with open_input(realdata / "pyliftover" / "hg38ToHg19.over.chain.gz") as (reader, shown):
        text = read_all(reader)
    quick = _read_fast(text, shown)
    assert quick is not None and len(quick.score) > 25_000
    _same_chainsets(quick, _read_lines(text, shown))


@pytest.mark.parametrize("text, line, words", [
    ("chain 1 a 10 + 0 5 b 10 + 0 5\n5 1\n", 2, "3 fields"),
    ("chain 1 a 10 + 0 5 b 10 + 0 5\nx\n", 2, "not an integer"),
    ("chain 1 a 10 + 0 5 b 10 + 0 6\n5\n", 2, "qEnd 6"),
    ("chain 1 a 10 - 0 5 b 10 + 0 5\n5\n", 1, "must be '+'"),
    ("chain 1 a 10 + 0 5 b 10 * 0 5\n5\n", 1, "'+' or '-'"),
    ("chain 1 a 10 + 0 5 b\n5\n", 1, "12 or 13 fields"),
    ("chain 1 a 10 + 0 5 b 10 + 0 5\n5\n\nchain 1 a 11 + 0 5 b 10 + 0 5\n5\n", 4, "size 11"),
    ("chain 1 a 10 + 0 5 b 10 + 0 5\n5 0 0\n", 3, "without a last block"),
    ("5 0 0\n", 1, "expected a 'chain' header"),
    ("chain 1 a 10 + 0 5 b 10 + 0 5\n-5\n", 2, "negative"),
    ("chain 1 a 10 + 0 50 b 100 + 0 50\n50\n", 1, "outside"),
])
def test_bad_chain_line_is_one_error_naming_file_and_line(tmp_path, text, line, words):
    path = _write_chain(tmp_path, text, name="bad.chain")
    with pytest.raises(ParseError) as info:
        Liftover(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:{line}: ")
    assert words in message


def test_empty_chain_file_is_an_error(tmp_path):
    with pytest.raises(ParseError, match="no chain"):
        Liftover(_write_chain(tmp_path, "# nothing\n"))


# -- coordinates -----------------------------------------------------------------
def test_ucsc_liftover_test_points(realdata):
    """Points UCSC liftOver converted (the pyliftover test set): unmapped ones are absent."""
    d = realdata / "pyliftover"
    lo = Liftover(d / "hg38ToHg19.over.chain.gz")
    rows = [l.split() for l in (d / "hg38ToHg19.testinput.txt").read_text().splitlines()]
    expected = {f[3]: (f[0], int(f[1]), f[5])
                for f in (l.split() for l in (d / "hg38ToHg19.testoutput.txt").read_text()
                          .splitlines())}
    assert len(rows) == 24 and len(expected) == 15
    for f in rows:
        got = lo.convert_coordinate(f[0], int(f[1]), f[5])
        if f[3] in expected:
            assert len(got) == 1 and got[0][:3] == expected[f[3]], f[3]
        else:
            assert got == [], f[3]
    assert lo.convert_coordinate("chrNope", 5) is None
    assert lo.convert_coordinate(b"chr1", 1_000_000) == lo.convert_coordinate("chr1", 1_000_000)


@pytest.fixture(scope="module")
def hg38(request):
    from pathlib import Path

    path = Path(__file__).resolve().parents[1].parent / "shared" / "realdata" / "pyliftover" \
        / "hg38ToHg19.over.chain.gz"
    if not path.is_file():
        pytest.skip(f"real test data not found at {path}")
    pyliftover = pytest.importorskip("pyliftover")
    return Liftover(path), pyliftover.LiftOver(str(path))


def _probe_points(lo: Liftover, rng, n_random: int, n_edges: int):
    """Random (chrom, pos) over the whole source genome plus block edges (± 1)."""
    c = lo.chains
    sizes = c.source_sizes
    chrom = rng.choice(len(sizes), n_random, p=sizes / sizes.sum())
    pos = (rng.random(n_random) * sizes[chrom]).astype(np.int64)
    b = rng.choice(len(c.block_size), n_edges)
    src = c.source[c.block_chain[b]]
    edge = np.concatenate([c.block_source_start[b] - 1, c.block_source_start[b],
                           c.block_source_start[b] + c.block_size[b] - 1,
                           c.block_source_start[b] + c.block_size[b]])
    return (np.concatenate([chrom, np.tile(src, 4)]), np.concatenate([pos, edge]))


def test_convert_coordinate_matches_pyliftover(hg38):
    lo, ref = hg38
    rng = np.random.default_rng(3)
    chrom, pos = _probe_points(lo, rng, 4000, 2000)
    names = lo.source_names
    mapped = 0
    for i, p in zip(chrom.tolist(), pos.tolist()):
        strand = "+" if p % 2 else "-"
        got = lo.convert_coordinate(names[i], p, strand)
        assert got == ref.convert_coordinate(names[i], p, strand), (names[i], p)
        mapped += bool(got)
    assert mapped > 4000  # the probe reaches blocks, not only gaps
    assert lo.convert_coordinate("chr1", -1) == ref.convert_coordinate("chr1", -1) == []


def test_convert_positions_is_the_best_of_convert_coordinate(hg38):
    lo, _ = hg38
    rng = np.random.default_rng(4)
    chrom, pos = _probe_points(lo, rng, 3000, 3000)
    for i in np.unique(chrom).tolist():
        name = lo.source_names[i]
        p = pos[chrom == i]
        res = lo.convert_positions(name, p)
        for k, q in enumerate(p.tolist()):
            want = lo.convert_coordinate(name, q)
            if not want:
                assert res.target[k] == -1 and res.pos[k] == -1 and res.hits[k] == 0
            else:
                got = (lo.target_names[res.target[k]], int(res.pos[k]),
                       "-" if res.reverse[k] else "+", int(res.score[k]))
                assert got == want[0] and res.hits[k] == len(want)


def test_small_chain_against_pyliftover_and_a_plain_walk(tmp_path):
    """Overlaps on the source, both strands, gaps: every base against both oracles."""
    pyliftover = pytest.importorskip("pyliftover")
    path = _write_chain(tmp_path)
    lo = Liftover(path)
    ref = pyliftover.LiftOver(str(path))
    walk = _walk_chains(CHAIN)
    for chrom, size in SIZES_SRC.items():
        res = lo.convert_positions(chrom, np.arange(-2, size + 2))
        for k, p in enumerate(range(-2, size + 2)):
            want = sorted(walk.get((chrom, p), []), key=lambda x: (-x[3], x[4]))
            got = lo.convert_coordinate(chrom, p)
            assert got == [w[:4] for w in want], (chrom, p)
            theirs = ref.convert_coordinate(chrom, p)
            if len({w[3] for w in want}) == len(want):  # pyliftover orders ties its own way
                assert got == theirs, (chrom, p)
            else:
                assert sorted(got) == sorted(theirs)
            assert (res.target[k] >= 0) == bool(want)
            if want:
                assert (lo.target_names[res.target[k]], res.pos[k]) == want[0][:2]
                assert res.hits[k] == len(want)
    # chrA 105: chain 1's last block (chrA 65 -> chrX 80) and chain 2 (to chrY's - strand)
    assert lo.convert_coordinate("chrA", 105, "-") == [("chrX", 120, "-", 1000),
                                                       ("chrY", 90 - 1 - 5, "+", 500)]


def test_convert_intervals_covers_what_the_bases_map_to(tmp_path, hg38):
    for lo, chrom, size in ((Liftover(_write_chain(tmp_path)), "chrA", 300),
                            (hg38[0], "chr9", 138_394_717)):
        rng = np.random.default_rng(5)
        width = min(3000, size // 4)
        starts = rng.integers(0, size - width, 300)
        ends = starts + rng.integers(1, width, 300)
        got = lo.convert_intervals(chrom, starts, ends)
        assert np.all(got.end > got.start)
        assert np.all(np.diff(got.index) >= 0)
        for i in range(len(starts)):
            bases = np.arange(starts[i], ends[i])
            each = lo.convert_positions(chrom, bases)
            m = each.target >= 0
            want = sorted(zip(each.target[m].tolist(), each.pos[m].tolist()))
            sel = got.index == i
            pieces = []
            for t, a, b, r in zip(got.target[sel], got.start[sel], got.end[sel], got.reverse[sel]):
                pieces += [(int(t), x) for x in range(a, b)]
                # bases run backwards on reverse pieces: the first base maps to the end
            assert sorted(pieces) == want


# -- tracks ----------------------------------------------------------------------------
def _archive(tmp_path, name, sizes, mode):
    sizes_file = tmp_path / f"{name}.sizes"
    sizes_file.write_text("".join(f"{c}\t{n}\n" for c, n in sizes.items()))
    path = tmp_path / f"{name}.genomedata"
    load_seq(str(path), [str(sizes_file)], seqfile_type="sizes", mode=mode)
    return path


def _source_archive(tmp_path, mode, rng):
    path = _archive(tmp_path, "src", SIZES_SRC, mode)
    open_data(str(path), ["plus", "minus", "other"])
    values = {}
    for track in ("plus", "minus", "other"):
        values[track] = {}
        for chrom, size in SIZES_SRC.items():
            v = rng.normal(size=size).astype(np.float32)
            v[rng.random(size) < 0.1] = np.nan
            values[track][chrom] = v
        write_arrays(str(path), track, [(c, 0, v) for c, v in values[track].items()])
    close_data(str(path))
    return path, values


def _expected_tracks(values, tracks, pairs):
    """Target arrays from the plain walk: each source base through its best chain;
    on a target base several source bases reach, the best chain's base."""
    walk = _walk_chains(CHAIN)
    partner = {}
    for a, b in pairs:
        partner[a], partner[b] = b, a
    out = {c: np.full((n, len(tracks)), np.nan, np.float32) for c, n in SIZES_DST.items()}
    owner: dict = {}
    for (schrom, spos), hits in walk.items():
        best = sorted(hits, key=lambda x: (-x[3], x[4]))[0]
        tchrom, tpos, strand, score, order = best
        if tchrom not in out:
            continue
        rank = (score, -order)
        if (tchrom, tpos) in owner and owner[(tchrom, tpos)] >= rank:
            continue
        owner[(tchrom, tpos)] = rank
        for j, t in enumerate(tracks):
            src_track = partner.get(t, t) if strand == "-" else t
            out[tchrom][tpos, j] = values[src_track][schrom][spos]
    return out, owner


@pytest.mark.parametrize("mode", ["file", "dir"])
def test_liftover_tracks_against_a_plain_walk(tmp_path, mode):
    rng = np.random.default_rng(11)
    src, values = _source_archive(tmp_path, mode, rng)
    dst = _archive(tmp_path, "dst", SIZES_DST, mode)
    summary = liftover_tracks(src, dst, _write_chain(tmp_path), reverse_tracks=["plus:minus"])
    tracks = ["plus", "minus", "other"]
    expected, owner = _expected_tracks(values, tracks, [("plus", "minus")])
    assert summary.tracks == tracks
    assert summary.missing_target == {"chrW": 60}
    assert summary.bases == len(owner)
    with Genome(str(dst)) as genome:
        assert genome.tracknames_continuous == tracks
        for chrom, want in expected.items():
            got = genome[chrom][0:SIZES_DST[chrom]]
            np.testing.assert_array_equal(got, want)
            # statistics: what numpy says of the stored values
            chromosome = genome[chrom]
            finite = np.isfinite(want)
            np.testing.assert_array_equal(chromosome.num_datapoints, finite.sum(0))
            for j in range(len(tracks)):
                col = want[finite[:, j], j].astype(np.float64)
                if len(col):
                    assert chromosome.mins[j] == col.min() and chromosome.maxs[j] == col.max()
                    np.testing.assert_allclose(chromosome.sums[j], col.sum(), rtol=1e-12)
                    np.testing.assert_allclose(chromosome.sums_squares[j], (col ** 2).sum(),
                                               rtol=1e-12)


@pytest.mark.parametrize("mode", ["file", "dir"])
def test_statistics_gathered_while_writing_equal_close_data(tmp_path, mode):
    """The statistics and chunk attributes written without rereading equal a full rescan."""
    import tables

    rng = np.random.default_rng(12)
    src, _ = _source_archive(tmp_path, mode, rng)
    dst = _archive(tmp_path, "dst", SIZES_DST, mode)
    open_data(str(dst), ["kept"])  # a track not lifted: scanned by close as usual
    write_arrays(str(dst), "kept", [("chrX", 0, rng.normal(size=400))])
    liftover_tracks(src, dst, _write_chain(tmp_path), tracks=["other", "plus"])

    def snapshot():
        files = sorted(dst.glob("*.genomedata")) if mode == "dir" else [dst]
        out = {}
        for f in files:
            with tables.open_file(str(f)) as h5:
                for group in h5.walk_groups():
                    for name in group._v_attrs._f_list():
                        out[(f.name, group._v_pathname, name)] = np.asarray(
                            group._v_attrs[name]).tolist()
        return out

    lifted = snapshot()
    # mark every chromosome dirty by hand and close by the full scan
    files = sorted(dst.glob("*.genomedata")) if mode == "dir" else [dst]
    for f in files:
        with tables.open_file(str(f), "r+") as h5:
            for name in SIZES_DST:
                where = f"/{name}"
                if where in h5:
                    h5.get_node(where)._v_attrs["dirty"] = True
    close_data(str(dst))
    rescanned = snapshot()
    assert rescanned.keys() == lifted.keys()
    for key, value in rescanned.items():
        if key[2] in ("sums", "sums_squares"):  # float64 sums, added in another order
            np.testing.assert_allclose(lifted[key], value, rtol=1e-12)
        else:
            assert lifted[key] == value, key


def test_overlap_in_target_keeps_the_best_chain(tmp_path):
    """chrB's chain (score 50) reaches chrX 30-90, which chrA's best chains also reach."""
    rng = np.random.default_rng(13)
    src, values = _source_archive(tmp_path, "file", rng)
    dst = _archive(tmp_path, "dst", SIZES_DST, "file")
    summary = liftover_tracks(src, dst, _write_chain(tmp_path), tracks=["other"])
    with Genome(str(dst)) as genome:
        got = genome["chrX"][0:400, "other"]
    # chrX 30..49 comes from chrA 20..39 (score 1000), not chrB 0..19 (score 50)
    np.testing.assert_array_equal(got[30:50], values["other"]["chrA"][20:40])
    # chrX 55..59: only chrB reaches it (chain 1 has a 10-base target gap at 50-60 after
    # its first block ends at chrX 50)
    np.testing.assert_array_equal(got[50:60], values["other"]["chrB"][20:30])
    assert summary.overlapped > 0


def test_lifted_values_in_target_gaps_are_dropped(tmp_path):
    """A target archive built from FASTA with an N run: lifted values there are not stored."""
    rng = np.random.default_rng(14)
    src, values = _source_archive(tmp_path, "file", rng)
    fasta = tmp_path / "dst.fa"
    seqs = {c: ["A"] * n for c, n in SIZES_DST.items()}
    seqs["chrX"][100:200] = ["N"] * 100
    fasta.write_text("".join(f">{c}\n{''.join(s)}\n" for c, s in seqs.items()))
    dst = tmp_path / "dst.genomedata"
    load_seq(str(dst), [str(fasta)], gap_length=10)
    summary = liftover_tracks(src, dst, _write_chain(tmp_path), tracks=["other"])
    expected, _ = _expected_tracks(values, ["other"], [])
    want = expected["chrX"][:, 0]
    with Genome(str(dst)) as genome, pytest.warns(OverlapWarning):
        got = genome["chrX"][0:400, "other"]
    inside = np.ones(400, bool)
    inside[100:200] = False
    np.testing.assert_array_equal(got[inside], want[inside])
    assert np.isnan(got[100:200]).all()
    assert summary.dropped == int(np.isfinite(want[100:200]).sum()) > 0


def test_liftover_errors(tmp_path):
    rng = np.random.default_rng(15)
    src, _ = _source_archive(tmp_path, "file", rng)
    dst = _archive(tmp_path, "dst", SIZES_DST, "file")
    chain = _write_chain(tmp_path)
    with pytest.raises(GenomedataError, match="not among the tracks lifted"):
        liftover_tracks(src, dst, chain, tracks=["plus"], reverse_tracks=["plus:minus"])
    with pytest.raises(GenomedataError, match="PLUS:MINUS"):
        liftover_tracks(src, dst, chain, reverse_tracks=["plus"])
    with pytest.raises(KeyError, match="nope"):
        liftover_tracks(src, dst, chain, tracks=["nope"])
    wrong = _archive(tmp_path, "wrong", {"chrX": 401, "chrY": 90}, "file")
    with pytest.raises(GenomedataError, match="chrX is 400 bp in the chain file but 401 bp"):
        liftover_tracks(src, wrong, chain)
    liftover_tracks(src, dst, chain, tracks=["other"])
    with pytest.raises(TrackExistsError, match="other"):
        liftover_tracks(src, dst, chain, tracks=["other"])
    assert parse_reverse_tracks(["a:b", ("c", "d")]) == [("a", "b"), ("c", "d")]
    with pytest.raises(GenomedataError, match="two --reverse-track pairs"):
        parse_reverse_tracks(["a:b", "b:c"])


def test_genomedata_liftover_command(tmp_path):
    rng = np.random.default_rng(16)
    src, values = _source_archive(tmp_path, "file", rng)
    dst = _archive(tmp_path, "dst", SIZES_DST, "file")
    chain = _write_chain(tmp_path, gz=True)
    cmd = [sys.executable, "-m", "gdxarray.cli.liftover", str(src), str(dst), str(chain),
           "--tracks", "plus", "minus", "--reverse-track", "plus:minus"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "chrW" in done.stderr  # the skipped target chromosome is reported
    expected, _ = _expected_tracks(values, ["plus", "minus"], [("plus", "minus")])
    with Genome(str(dst)) as genome:
        np.testing.assert_array_equal(genome["chrY"][0:90], expected["chrY"])
    again = subprocess.run(cmd, capture_output=True, text=True)
    assert again.returncode == 1
    lines = again.stderr.strip().splitlines()
    assert len(lines) == 1 and "exists" in lines[0] and "Traceback" not in again.stderr
    bad = _write_chain(tmp_path, "chain 1 a 10 + 0 5 b 10 + 0 5\n5 1\n", name="bad.chain")
    done = subprocess.run(cmd[:5] + [str(bad)], capture_output=True, text=True)
    assert done.returncode == 1 and f"{bad}:2:" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_incomplete_mark_after_a_failed_lift(tmp_path, monkeypatch):
    """A lift that fails part-way leaves the archive openable and the tracks marked."""
    import gdxarray.liftover as L

    rng = np.random.default_rng(17)
    src, _ = _source_archive(tmp_path, "file", rng)
    dst = _archive(tmp_path, "dst", SIZES_DST, "file")
    calls = {"n": 0}
    real = L._read_spans

    def failing(*a, **kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk went away")
        return real(*a, **kw)

    monkeypatch.setattr(L, "_read_spans", failing)
    monkeypatch.setattr(L, "WINDOW", 64)  # several windows per chromosome
    with pytest.raises(OSError):
        liftover_tracks(src, dst, _write_chain(tmp_path), tracks=["other"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with Genome(str(dst)) as genome:
            assert "other" in genome.tracknames_continuous
            for chrom in SIZES_DST:
                assert genome._source.incomplete_tracks(chrom) == ["other"]
            genome["chrX"][0:10, "other"]
    assert {IncompleteTrackWarning, GenomedataDirtyWarning} <= {w.category for w in caught}
    with pytest.raises(IncompleteTrackError):
        close_data(str(dst))
    erase_data(str(dst), "other")  # what a user does next: the track is empty and complete
    close_data(str(dst))


def test_liftover_from_a_bigwig_source(tmp_path):
    """A bigWig on the source assembly lifts the same as the archive it was made from."""
    pyBigWig = pytest.importorskip("pyBigWig")
    rng = np.random.default_rng(18)
    src, values = _source_archive(tmp_path, "file", rng)
    bw_path = tmp_path / "other.bw"
    bw = pyBigWig.open(str(bw_path), "w")
    bw.addHeader(list(SIZES_SRC.items()), maxZooms=0)
    for chrom in SIZES_SRC:
        v = values["other"][chrom]
        keep = np.flatnonzero(np.isfinite(v))
        bw.addEntries(chrom, keep.tolist(), values=v[keep].astype(np.float64).tolist(), span=1)
    bw.close()
    dst = _archive(tmp_path, "dst", SIZES_DST, "file")
    summary = liftover_tracks(bw_path, dst, _write_chain(tmp_path))
    assert summary.tracks == ["other"]
    expected, _ = _expected_tracks(values, ["other"], [])
    with Genome(str(dst)) as genome:
        for chrom, want in expected.items():
            np.testing.assert_array_equal(genome[chrom][0:SIZES_DST[chrom]], want)
