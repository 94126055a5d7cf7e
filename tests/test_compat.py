"""gdxarray.compat: the reference's module layout, the runner and install().

The reference genomedata 1.7.4 is the oracle: names and signatures are
compared with its modules, and the same script run by plain ``python`` (the
reference) and by ``python -m gdxarray.compat`` (gdxarray) must print the
same thing on the same archive.
"""

from __future__ import annotations

import importlib
import inspect
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import gdxarray.compat as compat
from gdxarray import errors

genomedata_ref = pytest.importorskip("genomedata", reason="the reference genomedata package is needed")

#: What the mirror offers, per module of the reference (names as the reference spells them)
MIRRORED = {
    "genomedata": ["Genome", "FORMAT_VERSION", "FILE_MODE_CHROMS", "is_big_wig", "main",
                   "__version__"],
    "genomedata._util": [
        "fill_array", "OverlapWarning", "GenomedataDirtyWarning", "LightIterator", "die",
        "gzip_open", "maybe_gzip_open", "init_num_obs", "new_extrema", "ignore_comments",
        "decode_trackname", "chromosome_name_map_parser", "FILTERS_GZIP", "EXT", "SUFFIX",
        "EXT_GZ", "SUFFIX_GZ", "GENOMEDATA_ENCODING", "DEFAULT_CHROMOSOME_NAME_STYLE", "main"],
    "genomedata._chromosome": ["Chromosome", "Supercontig", "MissingContinuousData",
                               "OverlapWarning", "CONTINUOUS_DTYPE", "SEQ_DTYPE"],
    "genomedata._bigwig": ["is_big_wig", "BIG_WIG_SIGNATURE", "BIG_WIG_SIGNATURE_BYTE_SIZE"],
    "genomedata._load_data": ["load_data", "main", "DEFAULT_CHUNK_SIZE", "BIG_WIG_READ_CMD",
                              "BEDTOOLS_CMD", "BEDTOOLS_INTERSECT_CMD", "BEDTOOLS_STDIN",
                              "LOAD_DATA_CMD", "SUFFIX_GZ", "die"],
    "genomedata.load_genomedata": ["load_genomedata", "main", "DEFAULT_CHUNK_SIZE",
                                   "FILE_MODE_CHROMS", "DEFAULT_CHROMOSOME_NAME_STYLE",
                                   "EXT", "SUFFIX", "load_seq", "open_data", "load_data",
                                   "close_data"],
    "genomedata._load_seq": ["load_seq", "main", "MIN_GAP_LEN", "FILE_MODE_CHROMS",
                             "FORMAT_VERSION", "SUPERCONTIG_NAME_FMT", "DNA_LETTERS_UNAMBIG",
                             "GAP_COMPONENT_TYPES", "AGP_FIELDNAMES", "SEQ_DTYPE",
                             "ASSEMBLY_REPORT_COMMENT_DELIMITER",
                             "ASSEMBLY_REPORT_FIELD_DELIMITER", "DEFAULT_CHROMOSOME_NAME_STYLE",
                             "GENOMEDATA_ENCODING"],
    "genomedata._open_data": ["open_data", "main", "GenomedataDirtyWarning"],
    "genomedata._close_data": ["close_data", "write_genome_metadata", "main", "MIN_GAP_LEN"],
    "genomedata._erase_data": ["erase_data", "main", "LINE_WIDTH"],
    "genomedata._hardmask": ["hardmask_data", "get_hardmask_filetype", "parse_hardmask_option",
                             "main", "BED_FILETYPE", "BED_SUFFIXES", "WIGGLE_FILETYPE",
                             "WIGGLE_SUFFIXES", "SUFFIX_GZ", "HARDMASK_OPERATORS"],
    "genomedata._query": ["_query", "main"],
    "genomedata._info": ["_info", "print_sizes", "print_tracknames_continuous",
                         "print_contigs", "main"],
    "genomedata._histogram": ["_histogram", "calc_range", "print_histogram", "FIELDNAMES",
                              "main"],
    "genomedata._report": ["report", "main"],
}

#: The reference's ``main(argv=sys.argv[1:])`` froze the argv of import time;
#: the mirror's ``main(argv=None)`` reads sys.argv when called.
ARGV_NAMES = {"argv", "args", "cmdline"}


def _reference(name: str):
    return importlib.import_module(name)


def _mirror(name: str):
    return importlib.import_module(compat.MIRROR + name[len("genomedata"):])


def _params(func):
    out = []
    for p in inspect.signature(func).parameters.values():
        default = p.default
        if p.name in ARGV_NAMES and isinstance(default, list):
            default = None
        out.append((p.name, p.kind, default))
    return out


@pytest.mark.parametrize("module", sorted(MIRRORED))
def test_mirrored_names_match_the_reference(module):
    ref, ours = _reference(module), _mirror(module)
    for name in MIRRORED[module]:
        assert hasattr(ref, name), f"{module}.{name} is not in the reference"
        assert hasattr(ours, name), f"{module}.{name} missing from gdxarray.compat"
        theirs, mine = getattr(ref, name), getattr(ours, name)
        if inspect.isclass(theirs) and issubclass(theirs, Warning):
            assert issubclass(mine, theirs.__mro__[1]), name  # UserWarning
        elif inspect.isclass(theirs) and issubclass(theirs, BaseException):
            assert issubclass(mine, BaseException), name
        elif name == "Genome":
            assert _params(mine) == _params(theirs)
        elif inspect.isclass(theirs):
            assert inspect.isclass(mine), name
        elif callable(theirs) and not hasattr(theirs, "parse_args"):
            if name == "main" and not inspect.signature(theirs).parameters:
                # hardmask's main() takes no argument; ours also accepts argv
                assert [p for p, *_ in _params(mine)] == ["argv"], name
                continue
            assert _params(mine) == _params(theirs), f"{module}.{name}"
        elif hasattr(theirs, "parse_args"):  # chromosome_name_map_parser
            assert mine.parse_args([]).__dict__ == theirs.parse_args([]).__dict__
        elif name == "FILTERS_GZIP":
            assert (mine.complevel, mine.complib, mine.shuffle) == \
                (theirs.complevel, theirs.complib, theirs.shuffle)
        elif name == "WIGGLE_SUFFIXES" or name == "HARDMASK_OPERATORS":
            assert mine == theirs
        else:
            assert mine == theirs, f"{module}.{name}: {mine!r} != {theirs!r}"


def test_warnings_are_gdxarrays_own_classes():
    from gdxarray.compat.genomedata import _chromosome, _util

    assert _util.OverlapWarning is errors.OverlapWarning
    assert _util.GenomedataDirtyWarning is errors.GenomedataDirtyWarning
    assert _chromosome.MissingContinuousData is errors.MissingContinuousData


def test_util_helpers_behave_as_the_reference():
    from gdxarray.compat.genomedata import _util as ours

    ref = _reference("genomedata._util")
    for args in [(np.nan, (3, 2)), (7, 4), (1.5, (2,), np.float32), (0, (0, 3))]:
        a, b = ours.fill_array(*args), ref.fill_array(*args)
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    fasta = [">chr1 desc\n", "ACGT\n", "nn\n", ">chr2\n", "TT\n"]
    assert list(ours.LightIterator(iter(fasta))) == list(ref.LightIterator(iter(fasta)))
    assert list(ours.ignore_comments(["#x", "a", "#", "b"])) == ["a", "b"]
    data = np.array([[1.0, 5.0], [-2.0, 3.0]])
    np.testing.assert_array_equal(ours.new_extrema(np.amin, data, [0.0, 4.0]),
                                  ref.new_extrema(np.amin, data, [0.0, 4.0]))
    assert ours.decode_trackname(b"sig") == ref.decode_trackname(b"sig") == "sig"


def test_hardmask_option_and_filetype_as_the_reference():
    from gdxarray.compat.genomedata import _hardmask as ours

    ref = _reference("genomedata._hardmask")
    values = [0.0, 0.29, 0.3, 0.31, 2.0]
    for option in ["ge0.3", "gt0.3", "le0.3", "lt0.3", "eq0.3", "ne0.3", "lt 2"]:
        f, g = ours.parse_hardmask_option(option), ref.parse_hardmask_option(option)
        assert [bool(f(v)) for v in values] == [bool(g(v)) for v in values], option
    for name in ["m.bed", "m.BED.gz", "m.wig", "m.wg.gz"]:
        assert ours.get_hardmask_filetype(name) == ref.get_hardmask_filetype(name)
    # the reference lower-cases the name, then compares it with ".wigFix": refused
    assert ours.get_hardmask_filetype("m.wigFix") == "wig"
    with pytest.raises(ValueError):
        ours.get_hardmask_filetype("m.txt")


# --- archives and the runner --------------------------------------------------

def _write_inputs(tmp):
    rng = np.random.default_rng(11)
    sizes = {"chr1": 40_000, "chr2": 15_000}
    with open(tmp / "genome.fa", "w") as fasta:
        for name, size in sizes.items():
            seq = rng.choice(list("ACGTacgt"), size=size)
            seq[1000:1200] = "N"
            fasta.write(f">{name}\n")
            text = "".join(seq)
            fasta.write("\n".join(text[i:i + 60] for i in range(0, size, 60)) + "\n")
    tracks = []
    for t, density in (("sig", 0.9), ("sparse", 0.2)):
        path = tmp / f"{t}.bedGraph"
        with open(path, "w") as out:
            for name, size in sizes.items():
                starts = np.sort(rng.choice(np.arange(0, size - 50, 50), replace=False,
                                            size=int(size / 50 * density)))
                for s in starts:
                    out.write(f"{name}\t{s}\t{s + 50}\t{rng.normal():.4f}\n")
        tracks.append((t, str(path)))
    return tmp / "genome.fa", tracks


@pytest.fixture(scope="module", params=["file", "dir"])
def archive(request, tmp_path_factory):
    """An archive built by gdxarray's genomedata-load, each layout."""
    from gdxarray import load_genomedata

    tmp = tmp_path_factory.mktemp(f"compat-{request.param}")
    fasta, tracks = _write_inputs(tmp)
    path = tmp / "g.genomedata"
    load_genomedata(str(path), tracks=tracks, seqfilenames=[str(fasta)], mode=request.param)
    return path


def _env():
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONUNBUFFERED", "PYTHONPATH")}
    env["PYTHONWARNINGS"] = "ignore"
    return env


def _run(args, **kwargs):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=_env(),
                          timeout=120, **kwargs)


SCRIPT = textwrap.dedent('''\
    """A user's script written against genomedata 1.7.4's module paths."""
    import hashlib, sys
    import genomedata
    from genomedata import Genome
    from genomedata._util import fill_array, OverlapWarning, GenomedataDirtyWarning
    from genomedata._chromosome import Chromosome, Supercontig, CONTINUOUS_DTYPE
    from genomedata._load_data import load_data
    from genomedata.load_genomedata import load_genomedata
    from genomedata._close_data import close_data
    from genomedata._erase_data import erase_data
    from genomedata._open_data import open_data
    from genomedata._load_seq import load_seq
    from genomedata._hardmask import hardmask_data
    from genomedata._info import _info
    from genomedata._query import _query

    path = sys.argv[1]
    print("argv", sys.argv[2:])
    print("fill", fill_array(3, (2,)).tolist(), issubclass(OverlapWarning, UserWarning))
    print("format", genomedata.FORMAT_VERSION, genomedata.FILE_MODE_CHROMS)
    with Genome(path) as genome:
        print("repr", repr(genome).replace(path, "PATH"))
        print("tracks", list(genome.tracknames_continuous), genome.num_tracks_continuous)
        print("format_version", int(genome.format_version))
        print("index", genome.index_continuous("sparse"))
        for stat in ("mins", "maxs", "num_datapoints"):
            print(stat, [round(float(x), 6) for x in getattr(genome, stat)])
        print("means", [round(float(x), 5) for x in genome.means])
        for chrom in genome:
            print("chrom", chrom.name, int(chrom.start), int(chrom.end), repr(chrom).split(",")[0])
            print("  seq", chrom.seq[0:30].tobytes())
            data = chrom[1000:9000, [0, 1]]
            print("  window", data.shape, data.dtype, hashlib.md5(data.tobytes()).hexdigest())
            print("  one", hashlib.md5(chrom[500:1500, "sig"].tobytes()).hexdigest())
            for sc, cont in chrom.itercontinuous():
                print("  sc", sc.start, sc.end, tuple(map(int, cont.shape)), cont.dtype,
                      hashlib.md5(cont[...].tobytes()).hexdigest(),
                      hashlib.md5(cont[10:20, 1].tobytes()).hexdigest(),
                      list(map(int, sc.attrs.chunk_starts)), list(map(int, sc.attrs.chunk_ends)))
    _info("sizes", path)
    _info("tracknames", path)
    _info("contigs", path)
    _query(path, "sig", "chr2", 1190, 1210)
    sys.exit(int(sys.argv[-1]))
''')


@pytest.fixture(scope="module")
def script(tmp_path_factory):
    path = tmp_path_factory.mktemp("script") / "user_script.py"
    path.write_text(SCRIPT)
    return path


def test_runner_gives_the_reference_output(archive, script):
    ref = _run([str(script), str(archive), "x", "0"])
    ours = _run(["-m", "gdxarray.compat", str(script), str(archive), "x", "0"])
    assert ref.returncode == 0, ref.stderr
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == ref.stdout
    assert "chrom chr2" in ours.stdout and "repr Genome('PATH'" in ours.stdout


def test_runner_passes_exit_status_and_argv(archive, script):
    ours = _run(["-m", "gdxarray.compat", str(script), str(archive), "--opt", "7"])
    assert ours.returncode == 7
    assert ours.stdout.startswith("argv ['--opt', '7']\n")


def test_runner_serves_gdxarray_not_the_reference(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(textwrap.dedent("""\
        import sys, genomedata, genomedata._util
        print(genomedata.Genome.__module__, genomedata._util.fill_array.__module__)
        print(sys.argv[0].endswith("probe.py"), __name__, sys.path[0] == %r)
    """ % str(tmp_path)))
    ours = _run(["-m", "gdxarray.compat", str(probe)], cwd="/")
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout.splitlines() == [
        "gdxarray.genome gdxarray.compat.genomedata._util", "True __main__ True"]
    ref = _run([str(probe)], cwd="/")
    assert ref.stdout.split()[0] == "genomedata"


def test_runner_module_form(tmp_path, archive):
    pkg = tmp_path / "myjob"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "__main__.py").write_text(textwrap.dedent("""\
        import sys
        from genomedata import Genome
        print(Genome.__module__, sys.argv[1:])
        with Genome(sys.argv[1]) as g:
            print(sorted(c.name for c in g))
        raise SystemExit(4)
    """))
    ours = _run(["-m", "gdxarray.compat", "-m", "myjob", str(archive)], cwd=str(tmp_path))
    assert ours.returncode == 4, ours.stderr
    assert ours.stdout.splitlines() == [f"gdxarray.genome [{str(archive)!r}]",
                                        "['chr1', 'chr2']"]
    # a reference module run through the runner is served by gdxarray too
    ours = _run(["-m", "gdxarray.compat", "-m", "genomedata._info", "sizes", str(archive)])
    ref = _run(["-m", "genomedata._info", "sizes", str(archive)])
    assert ours.returncode == ref.returncode == 0, ours.stderr + ref.stderr
    assert ours.stdout == ref.stdout == "chr1\t40000\nchr2\t15000\n"


def test_runner_usage_and_missing_script(tmp_path):
    assert _run(["-m", "gdxarray.compat"]).returncode == 2
    missing = _run(["-m", "gdxarray.compat", str(tmp_path / "nope.py")])
    assert missing.returncode == 2 and "nope.py" in missing.stderr
    assert _run(["-m", "gdxarray.compat", "-h"]).stdout.startswith("usage:")


def test_command_mains_match_the_reference(archive):
    """genomedata-info/query through the mirror's main() print what the
    reference's console programs print."""
    for module, args in [("_info", ["contigs"]), ("_info", ["tracknames"]),
                         ("_query", [])]:
        tail = [str(archive)] + (["sig", "chr1", "995", "1005"] if module == "_query" else [])
        ours = _run(["-m", "gdxarray.compat", "-m", f"genomedata.{module}", *args, *tail])
        ref = _run(["-m", f"genomedata.{module}", *args, *tail])
        assert ours.returncode == ref.returncode == 0, ours.stderr + ref.stderr
        assert ours.stdout == ref.stdout, module


def test_mirror_loaders_write_archives_the_reference_reads(tmp_path, reference):
    from gdxarray.compat.genomedata import _close_data, _load_data, _load_seq, _open_data

    fasta, tracks = _write_inputs(tmp_path)
    path = tmp_path / "step.genomedata"
    _load_seq.load_seq(str(path), [str(fasta)], mode="dir")
    _open_data.open_data(str(path), ["sig"], False)
    _load_data.load_data(str(path), "sig", tracks[0][1])
    _close_data.close_data(str(path))
    from gdxarray.compat.genomedata.load_genomedata import load_genomedata

    whole = tmp_path / "whole.genomedata"
    load_genomedata(str(whole), tracks=tracks[:1], seqfilenames=[str(fasta)], mode="dir")
    reference.assert_equal(reference.snapshot(path), reference.snapshot(whole))


def test_main_failure_raises_systemexit(tmp_path, capsys):
    from gdxarray.compat.genomedata import _info

    with pytest.raises(SystemExit) as raised:
        _info.main(["sizes", str(tmp_path / "missing.genomedata")])
    assert raised.value.code != 0
    assert "missing.genomedata" in capsys.readouterr().err


# --- install() / uninstall() in this interpreter --------------------------------

def test_install_uninstall_round_trip_with_the_reference_imported():
    import genomedata._util  # noqa: F401 - the reference, imported before install()

    before = {name: mod for name, mod in sys.modules.items()
              if name == "genomedata" or name.startswith("genomedata.")}
    assert before["genomedata"].__file__.endswith(os.path.join("genomedata", "__init__.py"))
    assert "gdxarray" not in before["genomedata"].__file__
    compat.install()
    try:
        assert compat.is_installed()
        compat.install()  # twice is harmless
        import genomedata

        assert genomedata.Genome.__module__ == "gdxarray.genome"
        assert sys.modules["genomedata._util"].OverlapWarning is errors.OverlapWarning
        from genomedata._util import fill_array
        from genomedata.load_genomedata import load_genomedata

        assert fill_array.__module__ == "gdxarray.compat.genomedata._util"
        assert load_genomedata.__module__ == "gdxarray.compat.genomedata.load_genomedata"
        assert importlib.import_module("genomedata._chromosome").Chromosome.__module__ == \
            "gdxarray.genome"
        assert genomedata._load_data is importlib.import_module(compat.MIRROR + "._load_data")
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module("genomedata._no_such_module")
    finally:
        compat.uninstall()
    assert not compat.is_installed()
    after = {name: mod for name, mod in sys.modules.items()
             if name == "genomedata" or name.startswith("genomedata.")}
    assert after == before
    import genomedata

    assert genomedata is before["genomedata"]
    assert importlib.import_module("genomedata._util").fill_array.__module__ == "genomedata._util"


def test_installed_genome_reads_what_the_reference_reads(archive):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with genomedata_ref.Genome(str(archive)) as genome:
            expected = {c.name: np.asarray(c[0:c.end]) for c in genome}
    compat.install()
    try:
        import genomedata

        with genomedata.Genome(str(archive)) as genome:
            got = {c.name: np.asarray(c[0:c.end]) for c in genome}
    finally:
        compat.uninstall()
    assert got.keys() == expected.keys()
    for name in got:
        np.testing.assert_array_equal(got[name], expected[name])


def test_write_genome_metadata_on_an_open_genome(tmp_path):
    """The reference's hardmask-style use: modify in r+, recompute the
    statistics of the open Genome, then read them back."""
    from gdxarray import Genome
    from gdxarray.compat.genomedata._close_data import write_genome_metadata
    from gdxarray.compat.genomedata.load_genomedata import load_genomedata

    fasta, tracks = _write_inputs(tmp_path)
    path = str(tmp_path / "w.genomedata")
    load_genomedata(path, tracks=tracks, seqfilenames=[str(fasta)], mode="file")
    with Genome(path, "r+") as genome:
        genome["chr1"][100:110, "sig"] = 99.0
        assert genome["chr1"].dirty
        write_genome_metadata(genome, False)
        assert not genome["chr1"].dirty
    with Genome(path) as genome:
        data = genome["chr1"][0:genome["chr1"].end, "sig"]
        assert genome["chr1"].maxs[0] == 99.0 == np.nanmax(data)
        assert genome["chr1"].num_datapoints[0] == np.isfinite(data).sum()
        assert not any(chrom.dirty for chrom in genome)


def test_hardmask_and_erase_through_the_mirror(tmp_path):
    """hardmask_data masks what the reference's hardmask_data masks; erase_data
    leaves the track all NaN (the reference's erase-data crashes in 1.7.4)."""
    import shutil

    from gdxarray import Genome
    from gdxarray.compat.genomedata import _erase_data, _hardmask
    from gdxarray.compat.genomedata.load_genomedata import load_genomedata

    ref_hardmask = _reference("genomedata._hardmask")
    fasta, tracks = _write_inputs(tmp_path)
    ours, theirs = str(tmp_path / "ours.genomedata"), str(tmp_path / "theirs.genomedata")
    load_genomedata(ours, tracks=tracks, seqfilenames=[str(fasta)], mode="dir")
    shutil.copytree(ours, theirs)
    mask = tmp_path / "mask.bed"
    mask.write_text("chr1\t2000\t2600\ta\t0.2\nchr1\t9000\t9100\tb\t0.7\n"
                    "chr2\t100\t150\tc\t0.9\n")
    _hardmask.hardmask_data(ours, str(mask), ["sig"], _hardmask.parse_hardmask_option("gt0.5"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref_hardmask.hardmask_data(theirs, str(mask), ["sig"],
                                   ref_hardmask.parse_hardmask_option("gt0.5"))
    with Genome(ours) as a, Genome(theirs) as b:
        for name in ("chr1", "chr2"):
            x, y = a[name][0:a[name].end], b[name][0:b[name].end]
            np.testing.assert_array_equal(x, y)
            np.testing.assert_array_equal(a[name].maxs, b[name].maxs)
        assert np.isnan(a["chr1"][9000:9100, "sig"]).all()  # 0.7 passes gt0.5
        assert np.isnan(a["chr2"][100:150, "sig"]).all()
        assert np.isfinite(a["chr1"][2000:2600, "sig"]).any()  # 0.2 does not pass gt0.5
    _erase_data.erase_data(ours, "sparse")
    with pytest.warns(errors.GenomedataDirtyWarning), Genome(ours) as genome:  # until close-data
        assert all(np.isnan(c[0:c.end, "sparse"]).all() for c in genome)
        assert np.isfinite(genome["chr1"][0:genome["chr1"].end, "sig"]).any()


def test_runner_covers_child_python_processes(tmp_path):
    """Segway's segway-task jobs are child processes that read the archive:
    under the runner they import gdxarray's genomedata; where gdxarray cannot
    be imported the child falls back to the installed reference."""
    parent = tmp_path / "parent.py"
    parent.write_text(textwrap.dedent("""\
        import subprocess, sys
        code = ("import genomedata, genomedata._util; "
                "print(genomedata.Genome.__module__, genomedata._util.fill_array.__module__)")
        print(subprocess.run([sys.executable, "-c", code], capture_output=True,
                             text=True).stdout.strip())
        code = ("import sys; sys.modules['gdxarray'] = None; import genomedata._util; "
                "print(genomedata.Genome.__module__, genomedata._util.fill_array.__module__)")
        print(subprocess.run([sys.executable, "-c", code], capture_output=True,
                             text=True).stdout.strip())
    """))
    ours = _run(["-m", "gdxarray.compat", str(parent)])
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout.splitlines() == [
        "gdxarray.genome gdxarray.compat.genomedata._util",
        "genomedata genomedata._util"]
    ref = _run([str(parent)])
    assert ref.stdout.splitlines() == ["genomedata genomedata._util"] * 2
