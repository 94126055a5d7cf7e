"""Damaged archives give a clean gdxarray error naming file, node and problem, from the
API and from the commands (one line on stderr, exit 1), never a traceback nor values
read from a structure that does not add up (issue 12, section 2).

Each archive is written with :func:`gdxarray.testing.make_genome`, then damaged with
PyTables or by editing bytes, the way the reliability report damaged them.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import tables

import gdxarray
from gdxarray.errors import (
    ArchiveInUseError, CorruptChunkError, DamagedArchiveError, GenomedataError,
)
from gdxarray.testing import make_genome

CHROMS = {"chr1": 30_000, "chr2": 20_000}
GAPS = {"chr1": [(10_000, 12_000)]}


def build(tmp_path, layout, name="g"):
    path, truth = make_genome(tmp_path / f"{name}.{layout}.gd", chroms=CHROMS, gaps=GAPS,
                              tracks=["a", "b"], layout=layout)
    return path, truth


def chr1_file(path, layout):
    """(HDF5 file holding chr1, its group path)."""
    return (path / "chr1.genomedata", "/") if layout == "dir" else (path, "/chr1")


def node(where: str, child: str) -> str:
    return f"{where.rstrip('/')}/{child}"


def _del_attr(path, attr):
    def damage(h5, where):
        h5.get_node(path(where))._v_attrs.__delattr__(attr)
    return damage


#: damage -> (function of (h5, chr1 group), error class, fragments of the message
#: besides the file name)
DAMAGES = {
    "chromosome start missing": (_del_attr(lambda w: w, "start"), DamagedArchiveError,
                                 ["'start' attribute is missing"]),
    "chromosome end missing": (_del_attr(lambda w: w, "end"), DamagedArchiveError,
                               ["'end' attribute is missing"]),
    "supercontig end missing": (_del_attr(lambda w: node(w, "supercontig_0"), "end"),
                                DamagedArchiveError,
                                ["supercontig_0", "'end' attribute is missing"]),
    "continuous removed": (lambda h5, w: h5.remove_node(node(w, "supercontig_0/continuous")),
                           DamagedArchiveError,
                           ["supercontig_0", "'continuous' dataset is missing"]),
    "three names for two columns": (
        lambda h5, w: h5.root._v_attrs.__setattr__("tracknames", np.array([b"a", b"b", b"c"])),
        DamagedArchiveError, ["2 track column(s) for the 3 track name(s)"]),
    "one name for two columns": (
        lambda h5, w: h5.root._v_attrs.__setattr__("tracknames", np.array([b"a"])),
        DamagedArchiveError, ["2 track column(s) for the 1 track name(s)"]),
}


def damaged(tmp_path, layout, what):
    path, truth = build(tmp_path, layout)
    damage, error, fragments = DAMAGES[what]
    f, where = chr1_file(path, layout)
    with tables.open_file(str(f), "r+") as h5:
        damage(h5, where)
    return path, f, error, fragments, truth


def run_cli(capsys, module: str, *argv) -> tuple[int, str, str]:
    status = importlib.import_module(f"gdxarray.cli.{module}").main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line(status, err, prog, *fragments):
    assert status == 1, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"{prog}: error: ")
    for fragment in fragments:
        assert str(fragment) in lines[0], (fragment, lines[0])


@pytest.mark.parametrize("layout", ["file", "dir"])
@pytest.mark.parametrize("what", sorted(DAMAGES))
def test_damage_is_a_named_error_from_the_api(tmp_path, layout, what):
    path, f, error, fragments, truth = damaged(tmp_path, layout, what)
    if layout == "dir" and "columns" in what:  # chr1's file disagrees with chr2's
        fragments = ["track names", "differ from"]
    with gdxarray.Genome(path) as genome:
        with pytest.raises(error) as info:
            genome["chr1"][0:10_000]
        message = str(info.value)
        assert str(f) in message
        for fragment in fragments:
            assert fragment in message
        # the undamaged chromosome still reads (dir: its own file; file: its own group)
        if "columns" not in what:  # (track names are genome-wide)
            np.testing.assert_array_equal(genome["chr2"][0:20_000], truth["chr2"])


@pytest.mark.parametrize("layout", ["file", "dir"])
@pytest.mark.parametrize("what", sorted(DAMAGES))
def test_damage_is_one_line_from_the_commands(tmp_path, layout, what, capsys):
    path, f, _, fragments, _ = damaged(tmp_path, layout, what)
    if layout == "dir" and "columns" in what:
        fragments = ["track names", "differ from"]
    status, out, err = run_cli(capsys, "query", path, "a", "chr1", 100, 103)
    assert out == ""  # nothing printed from the damaged structure (not "nan")
    assert_one_line(status, err, "genomedata-query", f, *fragments)
    assert_one_line(*run_cli(capsys, "report", path)[::2], "genomedata-report", f)
    if "missing" in what and "continuous" not in what:
        # a writer meets the chromosome's attributes too (the track columns it
        # leaves to itself: a clean archive's close-data has nothing to read)
        assert_one_line(*run_cli(capsys, "close_data", path)[::2], "genomedata-close-data",
                        f)


def test_removed_supercontig_group_is_not_read_as_nan(tmp_path, capsys):
    path, _ = build(tmp_path, "file")
    with tables.open_file(str(path), "r+") as h5:
        h5.remove_node("/chr1/supercontig_0", recursive=True)
    with gdxarray.Genome(path) as genome, pytest.raises(DamagedArchiveError,
                                                         match="supercontig_0.*is missing"):
        genome["chr1"][100:103, "a"]
    status, out, err = run_cli(capsys, "query", path, "a", "chr1", 100, 103)
    assert out == ""
    assert_one_line(status, err, "genomedata-query", path, "supercontig_0")


def test_xarray_refuses_a_damaged_archive(tmp_path):
    pytest.importorskip("xarray")
    import xarray as xr

    path, f, error, _, _ = damaged(tmp_path, "file", "continuous removed")
    with pytest.raises(error, match="continuous"):
        with xr.open_dataset(path, engine="genomedata") as ds:
            ds["continuous"].values


def test_xarray_refuses_a_directory_file_without_track_names(tmp_path):
    # the report saw a dataset of 0 tracks here
    pytest.importorskip("xarray")
    import xarray as xr

    path, _ = build(tmp_path, "dir")
    with tables.open_file(str(path / "chr1.genomedata"), "r+") as h5:
        del h5.root._v_attrs.tracknames
    with pytest.raises(DamagedArchiveError, match="track names .* differ from .*chr1"):
        xr.open_dataset(path, engine="genomedata")


def _flip_chunk(f, leaf_path, k=0):
    with tables.open_file(str(f)) as h5:
        leaf = h5.get_node(leaf_path)
        info = leaf.chunk_info((k,) + (0,) * (leaf.ndim - 1))
    with open(f, "r+b") as fh:
        fh.seek(info.offset + info.size // 2)
        data = fh.read(4)
        fh.seek(info.offset + info.size // 2)
        fh.write(bytes(b ^ 0xFF for b in data))


@pytest.mark.parametrize("layout", ["file", "dir"])
def test_flipped_bytes_in_a_sequence_chunk(tmp_path, layout):
    path, truth = build(tmp_path, layout)
    f, where = chr1_file(path, layout)
    _flip_chunk(f, node(where, "supercontig_0/seq"))
    with gdxarray.Genome(path) as genome:
        with pytest.raises(CorruptChunkError) as info:
            genome["chr1"].seq[0:100]
        assert str(f) in str(info.value) and "supercontig_0/seq" in str(info.value)
        # the other supercontig and chromosome still read exactly
        np.testing.assert_array_equal(genome["chr1"].seq[12_000:12_100],
                                      truth["chr1:seq"][12_000:12_100])
        np.testing.assert_array_equal(genome["chr2"].seq[0:100], truth["chr2:seq"][0:100])


@pytest.mark.parametrize("mode", ["r", "r+"])
def test_flipped_bytes_in_a_signal_chunk_either_read_lane(tmp_path, mode):
    # "r" reads chunks raw; "r+" through PyTables: both name the file
    path, truth = build(tmp_path, "file")
    _flip_chunk(path, "/chr1/supercontig_0/continuous")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gdxarray.GenomedataDirtyWarning)
        with gdxarray.Genome(path, mode) as genome:
            with pytest.raises(CorruptChunkError, match=str(path)):
                genome["chr1"][0:100, "a"]
            np.testing.assert_array_equal(genome["chr2"][0:100, "a"], truth["chr2"][0:100, 0])


@pytest.mark.parametrize("layout", ["file", "dir"])
def test_file_truncated_by_one_byte(tmp_path, layout, capsys):
    path, _ = build(tmp_path, layout)
    f, _ = chr1_file(path, layout)
    os.truncate(f, os.path.getsize(f) - 1)
    with pytest.raises(DamagedArchiveError, match="truncated") as info:
        with gdxarray.Genome(path) as genome:
            genome["chr1"][0:10]
    assert str(f) in str(info.value) and "1 missing" in str(info.value)
    status, _, err = run_cli(capsys, "info", "sizes", path)
    assert_one_line(status, err, "genomedata-info", f, "truncated")
    assert len(err) < 300  # plain words, not HDF5's back trace


_HOLDER = """
import sys, time, tables
h5 = tables.open_file(sys.argv[1], sys.argv[2])
print("open", flush=True)
sys.stdin.read()
h5.close()
"""


@pytest.fixture
def held(tmp_path):
    """Open a file in another process (HDF5 takes its lock) until the test ends."""
    procs = []

    def hold(path, mode):
        env = {k: v for k, v in os.environ.items() if k != "HDF5_USE_FILE_LOCKING"}
        proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path), mode],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                text=True)
        procs.append(proc)
        assert proc.stdout.readline().strip() == "open"
        return proc

    yield hold
    for proc in procs:
        proc.stdin.close()
        proc.wait(timeout=30)
        proc.stdout.close()


@pytest.mark.skipif(os.environ.get("HDF5_USE_FILE_LOCKING", "").upper() == "FALSE",
                    reason="HDF5 file locking is switched off in this environment")
def test_archive_being_written_elsewhere_says_so(tmp_path, held, capsys):
    path, _ = build(tmp_path, "file")
    held(path, "r+")
    with pytest.raises(ArchiveInUseError, match="in use by another process") as info:
        gdxarray.Genome(path)
    assert "wait until that process has finished" in str(info.value)
    status, _, err = run_cli(capsys, "query", path, "a", "chr1", 0, 3)
    assert_one_line(status, err, "genomedata-query", path, "in use by another process")
    assert "back trace" not in err and len(err) < 300


@pytest.mark.skipif(os.environ.get("HDF5_USE_FILE_LOCKING", "").upper() == "FALSE",
                    reason="HDF5 file locking is switched off in this environment")
def test_writing_an_archive_open_elsewhere_says_so(tmp_path, held, capsys):
    path, _ = build(tmp_path, "dir")
    held(path / "chr1.genomedata", "r")
    status, _, err = run_cli(capsys, "erase_data", path, "--trackname", "a")
    assert_one_line(status, err, "genomedata-erase-data", path / "chr1.genomedata",
                    "in use by another process")


def test_hdf5_errors_while_reading_name_file_and_node(tmp_path, monkeypatch):
    """With HDF5_USE_FILE_LOCKING=FALSE a file rewritten under a reader makes HDF5
    calls fail (the report saw "can't get chunk info by its logical coordinates");
    that HDF5 error, raised by the library at the chunk lookup, is named."""
    from gdxarray import _chunks

    path, _ = build(tmp_path, "file")

    def broken(self, coords):
        raise tables.HDF5ExtError("Problems getting the chunk info: can't get chunk info "
                                  "by its logical coordinates")

    monkeypatch.setattr(_chunks, "CHUNK_ITER", None)  # ask HDF5 chunk by chunk
    monkeypatch.setattr(tables.Leaf, "chunk_info", broken)
    with gdxarray.Genome(path) as genome, pytest.raises(DamagedArchiveError) as info:
        genome["chr1"][0:10, "a"]
    message = str(info.value)
    assert str(path) in message and "/chr1/supercontig_0/continuous" in message
    assert "chr1:0-10" in message and "another process is writing it" in message
    assert not isinstance(info.value, tables.HDF5ExtError)


def test_undamaged_archive_reads_exactly_after_the_checks(tmp_path):
    # the checks refuse nothing sound: values equal the truth, in both layouts
    for layout in ("file", "dir"):
        path, truth = build(tmp_path, layout, name="ok")
        with gdxarray.Genome(path) as genome, warnings.catch_warnings():
            warnings.simplefilter("ignore", gdxarray.OverlapWarning)  # chr1 has a gap
            for name, length in CHROMS.items():
                np.testing.assert_array_equal(genome[name][0:length], truth[name])


def test_every_damage_error_is_a_genomedata_error():
    for error in (DamagedArchiveError, CorruptChunkError, ArchiveInUseError):
        assert issubclass(error, GenomedataError) and issubclass(error, OSError)
    assert issubclass(CorruptChunkError, DamagedArchiveError)
