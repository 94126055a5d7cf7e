"""open-data, erase-data, hardmask and close-data (statistics and chunks)."""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pytest
import tables

from gdxarray import format as fmt
from gdxarray.errors import (
    GenomedataError, MaskCoordinateWarning, ParseError, TrackExistsError, TrackNotFoundError,
    UnsupportedError,
)
from gdxarray.writer import (
    close_data, erase_data, hardmask_data, load_data, load_genomedata, load_seq, open_data,
    parse_hardmask_operator,
)


def _archive(tmp_path, mode, sizes="chr1\t30000\nchr2\t12000\n", name="g.gd"):
    src = tmp_path / f"{name}.sizes"
    src.write_text(sizes)
    load_seq(tmp_path / name, [src], mode=mode, seqfile_type="sizes")
    return tmp_path / name


def _files(path):
    return [path] if path.is_file() else sorted(path.glob("*.genomedata"))


def _groups(h5, path):
    return [h5.root] if path.is_dir() else list(h5.iter_nodes("/", "Group"))


def _column(path, chrom, col):
    h5path = path if path.is_file() else path / f"{chrom}.genomedata"
    with tables.open_file(str(h5path)) as h5:
        group = h5.get_node(f"/{chrom}") if path.is_file() else h5.root
        return np.concatenate([sc.continuous[:, col] for sc in group._f_iter_nodes("Group")])


def _bedgraph(path, rows):
    path.write_text("".join(f"{c}\t{s}\t{e}\t{v}\n" for c, s, e, v in rows))
    return path


# -- open-data -------------------------------------------------------------------
def test_open_data_layout(tmp_path, writer_mode):
    path = _archive(tmp_path, writer_mode)
    open_data(path, ["a"])
    open_data(path, ["b" * 40, "c"], chunk_size=5000)
    for h5path in _files(path):
        with tables.open_file(str(h5path)) as h5:
            names = h5.root._v_attrs.tracknames
            # numpy.append semantics: S32 from the first name, widened by a longer one
            assert names.dtype == np.dtype("S40") and names.tolist() == [b"a", b"b" * 40, b"c"]
            for group in _groups(h5, path):
                assert group._v_attrs.dirty
                for sc in group._f_iter_nodes("Group"):
                    earray = sc.continuous
                    assert earray.shape == (sc._v_attrs.end - sc._v_attrs.start, 3)
                    assert earray.chunkshape == (10000, 1)  # created by the first open-data
                    assert earray.filters == fmt.FILTERS and np.isnan(earray.atom.dflt)
                    assert np.isnan(earray[:, :]).all()


def test_open_data_matches_reference_types(tmp_path, writer_mode):
    ref = pytest.importorskip("genomedata._open_data")
    ours = _archive(tmp_path, writer_mode, name="ours.gd")
    theirs = _archive(tmp_path, writer_mode, name="theirs.gd")
    open_data(ours, ["x", "longer_name"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref.open_data(str(theirs), ["x", "longer_name"], False)
    for a, b in zip(_files(ours), _files(theirs)):
        with tables.open_file(str(a)) as h1, tables.open_file(str(b)) as h2:
            n1, n2 = h1.root._v_attrs.tracknames, h2.root._v_attrs.tracknames
            assert n1.dtype == n2.dtype and n1.tolist() == n2.tolist()
            for g1, g2 in zip(_groups(h1, ours), _groups(h2, theirs)):
                for s1, s2 in zip(g1._f_iter_nodes("Group"), g2._f_iter_nodes("Group")):
                    e1, e2 = s1.continuous, s2.continuous
                    assert (e1.shape, e1.chunkshape, e1.filters, repr(e1.atom)) == \
                        (e2.shape, e2.chunkshape, e2.filters, repr(e2.atom))


def test_open_data_refuses_existing_and_duplicates(tmp_path, writer_mode):
    path = _archive(tmp_path, writer_mode)
    open_data(path, ["a"])
    before = [f.read_bytes() for f in _files(path)]
    with pytest.raises(TrackExistsError, match="already has a track named 'a'.*genomedata-erase-data"):
        open_data(path, ["b", "a"])
    with pytest.raises(TrackExistsError, match="given more than once"):
        open_data(path, ["c", "c"])
    assert [f.read_bytes() for f in _files(path)] == before


def test_open_data_v0_is_unsupported(tmp_path, realdata):
    v0 = tmp_path / "v0.genomedata"
    shutil.copy(realdata / "genomedata" / "v0.genomedata", v0)
    with pytest.raises(UnsupportedError, match="version 0"):
        open_data(v0, ["new"])


# -- erase-data -------------------------------------------------------------------
def test_erase_data(tmp_path, writer_mode, reference):
    path = _archive(tmp_path, writer_mode)
    open_data(path, ["a", "b", "c"])
    rows = [("chr1", 0, 25_000, 1), ("chr2", 100, 200, 2)]
    for name in ("a", "b", "c"):
        load_data(path, name, _bedgraph(tmp_path / f"{name}.bg", rows))
    close_data(path)
    size = sum(f.stat().st_size for f in _files(path))
    erase_data(path, "b")
    erase_data(path, ["c"])
    with pytest.raises(TrackNotFoundError, match="no track named 'zz'"):
        erase_data(path, "zz")
    for h5path in _files(path):
        with tables.open_file(str(h5path)) as h5:
            assert all(g._v_attrs.dirty for g in _groups(h5, path))
    close_data(path)
    snap = reference.snapshot(path)
    assert (snap["chr1"]["data"][:25_000, 0] == 1).all()
    assert np.isnan(snap["chr1"]["data"][:, 1:]).all()
    assert snap["chr1"]["num_datapoints"].tolist() == [25_000, 0, 0]
    # erasing rewrites only stored chunks: the archive does not grow much
    assert sum(f.stat().st_size for f in _files(path)) < size * 1.5


# -- hardmask -------------------------------------------------------------------
def test_parse_hardmask_operator():
    assert parse_hardmask_operator("lt0.5")(0.4) and not parse_hardmask_operator("lt0.5")(0.5)
    assert parse_hardmask_operator("le0.5")(0.5) and parse_hardmask_operator("lte 0.5")(0.5)
    assert parse_hardmask_operator("gt1")(2) and not parse_hardmask_operator("gt1")(1)
    assert parse_hardmask_operator("ge1")(1) and parse_hardmask_operator("gte1")(1)
    assert parse_hardmask_operator("eq3")(3) and parse_hardmask_operator("ne3")(4)
    assert parse_hardmask_operator("ge-1e-3")(0.0)
    np.testing.assert_array_equal(parse_hardmask_operator("lt2")(np.array([1.0, 3.0])), [True, False])
    for bad in ("xx0.5", "lt", "lt abc", "", "0.5"):
        with pytest.raises(GenomedataError, match="lt, le, lte, gt, ge, gte, eq, ne|not a number"):
            parse_hardmask_operator(bad)
    with pytest.raises(ParseError):
        parse_hardmask_operator("bogus1")


def _gapped(tmp_path, mode):
    agp = tmp_path / "g.agp"
    agp.write_text("chr1\t1\t15000\t1\tW\tX1\t1\t15000\t+\n"
                   "chr1\t15001\t15100\t2\tN\t100\tscaffold\tyes\tpaired-ends\n"
                   "chr1\t15101\t40000\t3\tW\tX2\t1\t24900\t+\n")
    path = tmp_path / "g.gd"
    load_seq(path, [agp], mode=mode, seqfile_type="agp")
    open_data(path, ["a", "b"])
    rows = [("chr1", 0, 15_000, 1), ("chr1", 15_100, 40_000, 2)]
    load_data(path, "a", _bedgraph(tmp_path / "a.bg", rows))
    load_data(path, "b", _bedgraph(tmp_path / "b.bg", rows))
    close_data(path)
    return path


def test_hardmask_all_tracks_with_gap_and_merge(tmp_path, writer_mode, reference):
    path = _gapped(tmp_path, writer_mode)
    mask = tmp_path / "m.bed"
    mask.write_text("chr1\t10\t20\nchr1\t15\t30\nchr1\t30\t40\n"
                    "chr1\t14990\t15200\n"  # across the gap: clipped, not an error
                    "chr1\t39990\t50000\n")  # past the end: clipped
    report = hardmask_data(path, mask)
    assert report == {"chr1": [(10, 40), (14990, 15000), (15100, 15200), (39990, 40000)]}
    snap = reference.snapshot(path)  # closed again (not dirty)
    data = snap["chr1"]["data"]
    for col in (0, 1):
        assert np.isnan(data[10:40, col]).all() and (data[:10, col] == 1).all()
        assert (data[40:14990, col] == 1).all() and np.isnan(data[14990:15200, col]).all()
        assert (data[15200:39990, col] == 2).all() and np.isnan(data[39990:, col]).all()
    assert snap["chr1"]["num_datapoints"].tolist() == [39_900 - 30 - 10 - 100 - 10] * 2


def test_hardmask_filter_tracks_dry_run_and_no_close(tmp_path, writer_mode, capsys):
    path = _gapped(tmp_path, writer_mode)
    mask = tmp_path / "m.bed"
    mask.write_text("chr1\t0\t10\tA\t0.1\nchr1\t20\t30\tB\t0.9\nchr1\t40\t50\n")
    before = _column(path, "chr1", 1).copy()
    hardmask_data(path, mask, ["b"], parse_hardmask_operator("lt0.5"), dry_run=True, verbose=True)
    assert "would mask region: chr1 0 10" in capsys.readouterr().err
    np.testing.assert_array_equal(_column(path, "chr1", 1), before)
    hardmask_data(path, mask, ["b"], parse_hardmask_operator("lt0.5"), keep_archive_open=True)
    b = _column(path, "chr1", 1)
    assert np.isnan(b[0:10]).all() and (b[20:30] == 1).all() and np.isnan(b[40:50]).all()
    assert (_column(path, "chr1", 0)[:50] == 1).all()
    h5path = path if path.is_file() else path / "chr1.genomedata"
    with tables.open_file(str(h5path)) as h5:
        group = h5.root.chr1 if path.is_file() else h5.root
        assert group._v_attrs.dirty
    with pytest.raises(TrackNotFoundError):
        hardmask_data(path, mask, ["nope"])


# -- close-data -------------------------------------------------------------------
def test_close_without_tracks_only_clears_dirty(tmp_path, writer_mode):
    path = _archive(tmp_path, writer_mode)
    close_data(path)
    for h5path in _files(path):
        with tables.open_file(str(h5path)) as h5:
            for group in _groups(h5, path):
                assert not group._v_attrs.dirty
                assert "mins" not in group._v_attrs._v_attrnames


def test_test_chunks_expectations(tmp_path, realdata, reference):
    """The reference's TestChunks case, through load_genomedata."""
    data = realdata / "genomedata"
    path = tmp_path / "chunk_test.genomedata"
    load_genomedata(path, [("track1", data / "chunk_test_track1.bed"),
                           ("track2", data / "chunk_test_track2.bed")],
                    [data / "test_chunks.agp"], "file", "agp")
    chunks = [(s.tolist(), e.tolist()) for s, e in reference.snapshot(path)["chr1"]["chunks"]]
    assert chunks == [([50], [100]), ([125], [150]), ([], []), ([0], [100]), ([0], [25])]


def test_chunks_and_stats_match_reference_close(tmp_path, reference):
    """Random sparse data over supercontigs and gaps of every kind vs the reference's close-data."""
    ref_close = pytest.importorskip("genomedata._close_data").close_data
    rng = np.random.default_rng(7)
    for case in range(6):
        rows, pos, part = [], 0, 1
        for i in range(int(rng.integers(2, 6))):
            if i:
                gap = int(rng.choice([100, 99_999, 100_000, 100_001, 250_000]))
                rows.append(f"chr1\t{pos + 1}\t{pos + gap}\t{part}\tN\t{gap}\tscaffold\tyes\tna\n")
                pos, part = pos + gap, part + 1
            length = int(rng.choice([500, 150_000, 320_000]))
            rows.append(f"chr1\t{pos + 1}\t{pos + length}\t{part}\tW\tX{i}\t1\t{length}\t+\n")
            pos, part = pos + length, part + 1
        agp = tmp_path / f"c{case}.agp"
        agp.write_text("".join(rows))
        ours = tmp_path / f"c{case}.gd"
        load_seq(ours, [agp], mode="file", seqfile_type="agp")
        open_data(ours, ["t1", "t2"])
        with tables.open_file(str(ours), "r+") as h5:
            for sc in h5.root.chr1._f_iter_nodes("Group"):
                n = sc.continuous.shape[0]
                for col in range(2):
                    if rng.random() < 0.3:
                        continue
                    values = np.full(n, np.nan, np.float32)
                    for j in rng.integers(0, n, size=int(rng.integers(1, 4))):
                        values[j:j + int(rng.integers(1, 3000))] = rng.normal()
                    if rng.random() < 0.2:
                        values[int(rng.integers(0, n))] = np.inf
                    sc.continuous[:, col] = values
        theirs = tmp_path / f"r{case}.gd"
        shutil.copy(ours, theirs)
        close_data(ours)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref_close(str(theirs))
        a, b = reference.snapshot(ours), reference.snapshot(theirs)
        for key in ("sums", "sums_squares"):  # the reference sums in float32
            np.testing.assert_allclose(a["chr1"].pop(key), b["chr1"].pop(key), rtol=1e-3)
        reference.assert_equal(a, b)


@pytest.mark.parametrize("name", ["filter_fixed.wig", "filter_variable.wig.gz"])
@pytest.mark.parametrize("operator", [None, "lt0.3"])
def test_wig_masks_with_position_0_are_read_as_the_reference_does(tmp_path, realdata, reference,
                                                                  name, operator):
    # The reference's own test masks start at position 0: its hardmask reads WIG masks
    # 0-based.  Ours accepts them with a warning and masks the same bases.
    genomedata_hardmask = pytest.importorskip("genomedata._hardmask")
    mask = realdata / "genomedata" / name
    ours = _archive(tmp_path, "file", sizes="chr1\t1000\n", name="ours.gd")
    open_data(ours, ["t"])
    load_data(ours, "t", _bedgraph(tmp_path / "t.bg", [("chr1", 0, 1000, 1)]))
    close_data(ours)
    theirs = tmp_path / "theirs.gd"
    shutil.copy(ours, theirs)
    function = parse_hardmask_operator(operator) if operator else None
    with pytest.warns(MaskCoordinateWarning, match=rf"{name}:\d+: WIG mask with position 0"):
        hardmask_data(ours, mask, hardmask_function=function)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref_function = genomedata_hardmask.parse_hardmask_option(operator) if operator else None
        genomedata_hardmask.hardmask_data(str(theirs), str(mask), hardmask_function=ref_function)
    a, b = reference.snapshot(ours), reference.snapshot(theirs)
    assert np.isnan(a["chr1"]["data"]).any() and not np.isnan(a["chr1"]["data"]).all()
    np.testing.assert_array_equal(a["chr1"]["data"], b["chr1"]["data"])
    assert a["chr1"]["num_datapoints"].tolist() == b["chr1"]["num_datapoints"].tolist()


def test_one_based_wig_masks_are_not_shifted(tmp_path):
    path = _archive(tmp_path, "file", sizes="chr1\t100\n")
    open_data(path, ["t"])
    load_data(path, "t", _bedgraph(tmp_path / "t.bg", [("chr1", 0, 100, 1)]))
    close_data(path)
    mask = tmp_path / "m.wig"
    mask.write_text("variableStep chrom=chr1 span=5\n11\t0.1\n")  # 1-based: bases 10..14
    assert hardmask_data(path, mask) == {"chr1": [(10, 15)]}
