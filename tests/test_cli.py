"""The twelve console scripts: interface, exact output, one-line errors, end to end.

Commands are run in-process through ``main([...])`` (fast, and capsys sees the
output); one test runs every installed console script through a subprocess to
prove the entry points work.
"""

from __future__ import annotations

import gzip
import importlib
import io
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from gdxarray import __version__
from gdxarray.testing import make_genome


#: console script -> module in gdxarray.cli
SCRIPTS = {
    "genomedata-load": "load",
    "genomedata-load-seq": "load_seq",
    "genomedata-load-assembly": "load_seq",
    "genomedata-open-data": "open_data",
    "genomedata-load-data": "load_data",
    "genomedata-close-data": "close_data",
    "genomedata-erase-data": "erase_data",
    "genomedata-hardmask": "hardmask",
    "genomedata-info": "info",
    "genomedata-query": "query",
    "genomedata-histogram": "histogram",
    "genomedata-report": "report",
}


def cli(name: str):
    return importlib.import_module(f"gdxarray.cli.{name}")


def run(capsys, name: str, *argv) -> tuple[int, str, str]:
    """Run a command in-process: (exit status, stdout, stderr)."""
    status = cli(name).main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line_error(status: int, err: str, prog: str, *fragments: str) -> None:
    assert status == 1, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"{prog}: error: "), err
    for fragment in fragments:
        assert fragment in lines[0], err


def fmt32(values) -> str:
    """What genomedata-query prints for these values."""
    return "".join(str(np.float32(v)) + "\n" for v in values)


# --- interface ---------------------------------------------------------------------

@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_help_and_version(script, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", [f"/usr/bin/{script}"])
    module = cli(SCRIPTS[script])
    with pytest.raises(SystemExit) as exit_help:
        module.main(["--help"])
    assert exit_help.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: {script} ")
    flag = "-V" if script == "genomedata-load-data" else "--version"
    with pytest.raises(SystemExit) as exit_version:
        module.main([flag])
    assert exit_version.value.code == 0
    assert capsys.readouterr().out == f"{script} (gdxarray {__version__})\n"


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_parser_matches_reference_options(script):
    """Every option and positional of the reference's --help exists here."""
    reference = {
        "genomedata-load": {"-r", "--assembly-report", "-n", "--name-style", "--version",
                            "--verbose", "-s", "--sequence", "-t", "--track", "-m",
                            "--maskfile", "--assembly", "--sizes", "-f", "--file-mode", "-d",
                            "--directory-mode", "gdarchive"},
        "genomedata-load-seq": {"-r", "--assembly-report", "-n", "--name-style", "--version",
                                "-a", "--assembly", "-s", "--sizes", "-f", "--file-mode", "-d",
                                "--directory-mode", "--verbose", "gdarchive", "seqfiles"},
        "genomedata-open-data": {"--version", "--tracknames", "--verbose", "gdarchive"},
        "genomedata-load-data": {"-V", "--version", "-v", "--verbose", "gdarchive",
                                 "trackname"},
        "genomedata-close-data": {"--version", "--verbose", "gdarchive"},
        "genomedata-erase-data": {"--version", "--trackname", "--verbose", "gdarchive"},
        "genomedata-hardmask": {"--version", "-t", "--trackname", "--hardmask", "--no-close",
                                "--dry-run", "--verbose", "maskfile", "gdarchive"},
        "genomedata-info": {"--version", "command", "gdarchive"},
        "genomedata-query": {"--version", "gdarchive", "trackname", "chrom", "begin", "end"},
        "genomedata-histogram": {"--version", "--include-coords", "-b", "--num-bins",
                                 "gdarchive", "trackname"},
        "genomedata-report": {"--version", "gdarchive"},
    }
    ref = reference["genomedata-load-seq" if script == "genomedata-load-assembly" else script]
    parser = cli(SCRIPTS[script]).build_parser()
    ours = set()
    for action in parser._actions:
        ours.update(action.option_strings or [action.dest])
    assert ref <= ours, sorted(ref - ours)


def test_load_assembly_alias_names_itself(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["/somewhere/genomedata-load-assembly"])
    with pytest.raises(SystemExit):
        cli("load_seq").main(["--version"])
    assert capsys.readouterr().out.startswith("genomedata-load-assembly (gdxarray ")


def test_installed_console_scripts():
    """Each installed entry point starts and is gdxarray's (not the reference's)."""
    missing = [script for script in SCRIPTS if shutil.which(script) is None]
    if missing:
        pytest.skip(f"console scripts not on PATH (pip install -e .): {missing}")
    procs = {script: subprocess.Popen([script, "-V" if script == "genomedata-load-data"
                                       else "--version"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for script in SCRIPTS}
    for script, proc in procs.items():
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, (script, err)
        assert out == f"{script} (gdxarray {__version__})\n", script
    help_run = subprocess.run(["genomedata-info", "--help"], capture_output=True, text=True,
                              timeout=60)
    assert help_run.returncode == 0 and help_run.stdout.startswith("usage: genomedata-info")


def test_argument_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as bad_track:
        cli("load").main(["-s", "x.fa", "-t", "no-equals-sign", "out"])
    assert bad_track.value.code == 2
    assert "NAME=FILE" in capsys.readouterr().err
    with pytest.raises(SystemExit) as both:
        cli("load").main(["-s", "x", "-t", "a=b", "--sizes", "--assembly", "out"])
    assert both.value.code == 2
    with pytest.raises(SystemExit) as bins:
        cli("histogram").main(["x", "t", "-b", "0"])
    assert bins.value.code == 2
    with pytest.raises(SystemExit) as order:
        cli("query").main(["x", "t", "chr1", "10", "5"])
    assert order.value.code == 2
    with pytest.raises(SystemExit) as missing:
        cli("open_data").main(["x"])
    assert missing.value.code == 2
    capsys.readouterr()


# --- the shared wrapper --------------------------------------------------------------

def test_run_maps_exceptions(capsys):
    from gdxarray.cli._common import run as run_body
    from gdxarray.errors import ParseError

    def interrupted():
        raise KeyboardInterrupt

    def broken_pipe():
        raise BrokenPipeError(32, "Broken pipe")

    def parse_error():
        raise ParseError("interval chr1:500-400 has start >= end", "x.bed", 3)

    def missing_file():
        open("/nonexistent/file/anywhere")

    assert run_body("genomedata-x", interrupted) == 130
    assert run_body("genomedata-x", broken_pipe, pipe_safe=True) == 0
    assert capsys.readouterr().err == "\n"
    assert_one_line_error(run_body("genomedata-x", parse_error), capsys.readouterr().err,
                          "genomedata-x", "x.bed:3: interval chr1:500-400")
    assert_one_line_error(run_body("genomedata-x", missing_file), capsys.readouterr().err,
                          "genomedata-x", "/nonexistent/file/anywhere")
    assert run_body("genomedata-x", lambda: None) == 0


def test_warnings_are_one_line(capsys):
    from gdxarray.cli._common import run as run_body
    from gdxarray.errors import OverlapWarning

    def warn():
        warnings.warn("slice of chromosome data does not overlap any supercontig",
                      OverlapWarning)

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        assert run_body("genomedata-query", warn) == 0
    assert capsys.readouterr().err == (
        "genomedata-query: warning: slice of chromosome data does not overlap any "
        "supercontig\n")


def test_glob_without_match(capsys, tmp_path):
    status, _, err = run(capsys, "load_seq", tmp_path / "out", tmp_path / "nothing*.fa")
    assert_one_line_error(status, err, "genomedata-load-seq", "no file matches")
    status, _, err = run(capsys, "load", "-s", tmp_path / "absent.fa", "-t",
                         f"a={tmp_path / 'a.bg'}", tmp_path / "out")
    assert_one_line_error(status, err, "genomedata-load", "no such file", "absent.fa")


# --- read tools on the real archives, byte for byte against the reference ----------

def reference_output(capsys, monkeypatch, module: str, argv: list[str]) -> str:
    reference = importlib.import_module(f"genomedata.{module}")
    if module == "_report":
        # its ListWriter binds sys.stdout when first imported (an earlier test's
        # capture); give it the current one
        import csv

        monkeypatch.setattr(reference, "ListWriter",
                            lambda: csv.writer(sys.stdout, "unix-tab"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference.main([str(a) for a in argv])
    return capsys.readouterr().out


@pytest.mark.parametrize("archive", ["v0.genomedata", "v1.genomedata"])
@pytest.mark.parametrize("argv", [
    ("_info", "info", ["tracknames"]),
    ("_info", "info", ["tracknames_continuous"]),
    ("_info", "info", ["contigs"]),
    ("_report", "report", []),
], ids=["tracknames", "tracknames_continuous", "contigs", "report"])
def test_read_tools_match_reference(realdata, capsys, monkeypatch, archive, argv):
    gd = realdata / "genomedata"
    pytest.importorskip("genomedata", reason="reference genomedata not installed")
    ref_module, ours, args = argv
    path = gd / archive
    # info takes the subcommand first, report only the archive
    expected = reference_output(capsys, monkeypatch, ref_module, [*args, path])
    status, out, err = run(capsys, ours, *args, path)
    assert (status, err) == (0, "")
    assert out == expected


@pytest.mark.parametrize("archive", ["v0.genomedata", "v1.genomedata"])
@pytest.mark.parametrize("region", [("placental", "chr1", 270, 300),
                                    ("vertebrate", "chr1", 770, 800),
                                    ("primate", "chrY", 24_940, 24_960),
                                    ("placental", "chr1", 0, 0)])
def test_query_matches_reference(realdata, capsys, monkeypatch, archive, region):
    gd = realdata / "genomedata"
    pytest.importorskip("genomedata", reason="reference genomedata not installed")
    path = gd / archive
    expected = reference_output(capsys, monkeypatch, "_query", [path, *region])
    status, out, err = run(capsys, "query", path, *region)
    assert (status, err) == (0, "")
    assert out == expected
    if region[1] == "chr1" and region[2] == 270:
        assert "0.372\n" in out and out.startswith("nan\n")


@pytest.mark.parametrize("archive", ["v0.genomedata", "v1.genomedata"])
def test_info_sizes_equal_lengths(realdata, capsys, archive):
    # the reference crashes here (TypeError comparing chromosomes of equal length)
    gd = realdata / "genomedata"
    status, out, err = run(capsys, "info", "sizes", gd / archive)
    assert (status, err) == (0, "")
    assert out == "chr1\t24950\nchrY\t24950\n"


def test_histogram_real(realdata, capsys):
    gd = realdata / "genomedata"
    from gdxarray import Genome

    path = gd / "v1.genomedata"
    status, out, err = run(capsys, "histogram", path, "primate", "-b", "7")
    assert (status, err) == (0, "")
    with Genome(path) as genome:
        values = np.concatenate([genome[c.name][0:c.end, "primate"] for c in genome])
        low, high = genome.mins[1], genome.maxs[1]
    counts, edges = np.histogram(values[np.isfinite(values)], bins=7,
                                 range=(np.float64(low), np.float64(high)))
    assert out == expected_histogram(counts, edges)


# --- errors ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A closed single-file archive and its values."""
    path, truth = make_genome(tmp_path_factory.mktemp("small") / "small.genomedata",
                              chroms={"chr1": 30_000, "chr2": 30_000, "chrM": 500},
                              gaps={"chr1": [(10_000, 12_000)]}, tracks=["a", "b"], seed=5)
    return path, truth


@pytest.mark.parametrize("argv, fragments", [
    (["{missing}", "a", "chr1", "0", "10"], ["Could not find Genomedata archive"]),
    (["{text}", "a", "chr1", "0", "10"], ["not a Genomedata archive"]),
    (["{archive}", "a", "chrZ", "0", "10"], ["chrZ"]),
    (["{archive}", "zzz", "chr1", "0", "10"], ["zzz"]),
], ids=["missing-archive", "not-an-archive", "unknown-chromosome", "unknown-track"])
def test_query_errors(capsys, tmp_path, small, argv, fragments):
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    names = {"missing": tmp_path / "absent.genomedata", "text": text, "archive": small[0]}
    status, out, err = run(capsys, "query", *(a.format(**names) for a in argv))
    assert out == ""
    assert_one_line_error(status, err, "genomedata-query", *fragments)


@pytest.mark.parametrize("name, argv", [
    ("info", ["contigs"]), ("report", []), ("histogram", None), ("close_data", []),
    ("open_data", None), ("erase_data", None),
])
def test_missing_archive_is_one_line(capsys, tmp_path, name, argv):
    missing = tmp_path / "absent.genomedata"
    if name == "histogram":
        args = [missing, "a"]
    elif name in ("open_data", "erase_data"):
        args = [missing, "--tracknames" if name == "open_data" else "--trackname", "a"]
    else:
        args = [*argv, missing]
    status, _, err = run(capsys, name, *args)
    prog = "genomedata-" + name.replace("_", "-")
    assert_one_line_error(status, err, prog, "absent.genomedata")


# --- read tools on generated archives -------------------------------------------------

def expected_histogram(counts, edges) -> str:
    lines = ["lower_edge\tcount"]
    lines += [f"{float(e)!r}\t{c}" for e, c in zip(edges, counts)]
    lines.append(f"{float(edges[-1])!r}\tNA")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("layout", ["file", "dir"])
def test_read_tools_generated(capsys, tmp_path, layout):
    path, truth = make_genome(tmp_path / "g.genomedata", layout=layout,
                              chroms={"chr2": 7_000, "chr10": 9_000, "chr1": 9_000},
                              gaps={"chr1": [(1_000, 2_000), (5_000, 5_500)]},
                              tracks=["x", "y"], seed=11)
    status, out, _ = run(capsys, "info", "tracknames", path)
    assert (status, out) == (0, "['x', 'y']\n")
    status, out, _ = run(capsys, "info", "contigs", path)
    assert out == ("chr1\t0\t1000\nchr1\t2000\t5000\nchr1\t5500\t9000\n"
                   "chr10\t0\t9000\nchr2\t0\t7000\n")
    status, out, _ = run(capsys, "info", "sizes", path)
    assert out == "chr1\t9000\nchr10\t9000\nchr2\t7000\n"

    status, out, err = run(capsys, "query", path, "y", "chr1", 990, 1_010)
    assert (status, err) == (0, "")
    assert out == fmt32(truth["chr1"][990:1_010, 1])

    values = np.concatenate([t[:, 0] for k, t in truth.items() if not k.endswith(":seq")])
    finite = values[np.isfinite(values)]
    status, out, _ = run(capsys, "report", path)
    y = np.concatenate([t[:, 1] for k, t in truth.items() if not k.endswith(":seq")])
    y = y[np.isfinite(y)].astype(np.float64)
    x = finite.astype(np.float64)
    mean_x, mean_y = x.sum() / x.size, y.sum() / y.size
    lines = out.splitlines()
    assert lines[0] == "measurement\tx\ty"
    got_means = [float(v) for v in lines[1].split("\t")[1:]]
    got_vars = [float(v) for v in lines[2].split("\t")[1:]]
    np.testing.assert_allclose(got_means, [mean_x, mean_y], rtol=1e-9)
    np.testing.assert_allclose(got_vars, [np.square(x).sum() / x.size - mean_x ** 2,
                                          np.square(y).sum() / y.size - mean_y ** 2], rtol=1e-9)

    status, out, err = run(capsys, "histogram", path, "x", "--num-bins", 13)
    assert (status, err) == (0, "")
    counts, edges = np.histogram(finite, bins=13,
                                 range=(np.float64(finite.min()), np.float64(finite.max())))
    assert out == expected_histogram(counts, edges)


def test_histogram_include_coords(capsys, tmp_path):
    path, truth = make_genome(tmp_path / "g.genomedata", chroms={"chr1": 20_000, "chr2": 5_000},
                              gaps={"chr1": [(3_000, 4_000)]}, tracks=["s"], seed=2)
    bed = tmp_path / "regions.bed.gz"
    with gzip.open(bed, "wt") as fh:
        fh.write("track name=regions\n# comment\nchr1\t2500\t4500\tname\nchr1\t100\t200\n"
                 "chr1\t150\t260\nchr1\t19990\t25000\n")
    status, out, err = run(capsys, "histogram", path, "s", "-b", 9, "--include-coords", bed)
    assert (status, err) == (0, "")
    all_values = np.concatenate([truth["chr1"][:, 0], truth["chr2"][:, 0]])
    all_finite = all_values[np.isfinite(all_values)]
    chr1 = truth["chr1"][:, 0]
    selected = np.concatenate([chr1[100:260], chr1[2500:4500], chr1[19_990:20_000]])
    selected = selected[np.isfinite(selected)]
    # bins span the whole track, so histograms of different regions are comparable
    counts, edges = np.histogram(selected, bins=9, range=(np.float64(all_finite.min()),
                                                          np.float64(all_finite.max())))
    assert out == expected_histogram(counts, edges)

    unknown = tmp_path / "unknown.bed"
    unknown.write_text("chrQ\t0\t10\n")
    status, _, err = run(capsys, "histogram", path, "s", "--include-coords", unknown)
    assert_one_line_error(status, err, "genomedata-histogram", "chrQ")
    bad = tmp_path / "bad.bed"
    bad.write_text("chr1\t10\t5\n")
    status, _, err = run(capsys, "histogram", path, "s", "--include-coords", bad)
    assert_one_line_error(status, err, "genomedata-histogram", "bad.bed:1")


def test_report_refuses_stale_statistics(capsys, tmp_path):
    from gdxarray.writer import write_arrays

    path, _ = make_genome(tmp_path / "g.genomedata", chroms={"chr1": 5_000}, tracks=["s"])
    assert run(capsys, "report", path)[0] == 0
    write_arrays(path, "s", [("chr1", 0, np.ones(10, np.float32))])  # stats now stale
    status, _, err = run(capsys, "report", path)
    assert_one_line_error(status, err, "genomedata-report", "genomedata-close-data")


def test_read_tools_on_dirty_archive(capsys, tmp_path):
    path, truth = make_genome(tmp_path / "g.genomedata", chroms={"chr1": 5_000},
                              tracks=["s"], closed=False, seed=4)
    # no GenomedataDirtyWarning noise: these outputs do not use the statistics
    assert run(capsys, "info", "contigs", path) == (0, "chr1\t0\t5000\n", "")
    assert run(capsys, "query", path, "s", "chr1", 10, 20) == (
        0, fmt32(truth["chr1"][10:20, 0]), "")
    status, _, err = run(capsys, "report", path)
    assert_one_line_error(status, err, "genomedata-report", "genomedata-close-data")
    # histogram finds the range itself when the statistics are stale
    status, out, err = run(capsys, "histogram", path, "s", "-b", 4)
    assert (status, err) == (0, "")
    finite = truth["chr1"][:, 0][np.isfinite(truth["chr1"][:, 0])]
    counts, edges = np.histogram(finite, bins=4, range=(np.float64(finite.min()),
                                                        np.float64(finite.max())))
    assert out == expected_histogram(counts, edges)


def test_read_tools_survive_closed_pipe(tmp_path):
    if shutil.which("genomedata-query") is None:
        pytest.skip("console scripts not on PATH (pip install -e .)")
    path, _ = make_genome(tmp_path / "g.genomedata", chroms={"chr1": 200_000}, tracks=["s"])
    for argv in (["genomedata-query", path, "s", "chr1", 0, 200_000],
                 ["genomedata-info", "contigs", path]):
        with subprocess.Popen([str(a) for a in argv], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) as proc:
            proc.stdout.readline()
            proc.stdout.close()  # as `| head -1` does
            err = proc.stderr.read().decode()
            assert proc.wait(timeout=60) == 0, err
        assert err == ""


# --- writing commands, end to end ---------------------------------------------------------

FASTA = {
    # chr1: 60 bases, a run of 40 N (a gap with --gap-length 30), 50 bases
    "chr1": "ACGT" * 15 + "N" * 40 + "acgtA" * 10,
    "chr2": "GATTACA" * 20,
}


def write_inputs(tmp_path: Path) -> dict[str, Path]:
    seq_a, seq_b = tmp_path / "seq_a.fa", tmp_path / "seq_b.fa.gz"
    seq_a.write_text(">chr1\n" + "\n".join(FASTA["chr1"][i:i + 60]
                                           for i in range(0, len(FASTA["chr1"]), 60)) + "\n")
    with gzip.open(seq_b, "wt") as fh:
        fh.write(">chr2\n" + FASTA["chr2"] + "\n")
    bedgraph = tmp_path / "signal.bedGraph"
    bedgraph.write_text("track type=bedGraph name=signal\n"
                        "chr1\t0\t10\t0.5\n"
                        "chr1\t10\t12\t-2.297\n"
                        "chr1\t100\t105\t3.25\n"
                        "chr2\t5\t8\t1e3\n")
    wig = tmp_path / "phylo.wig"
    wig.write_text("fixedStep chrom=chr2 start=11 step=1\n0.372\n-1.5\n2\n"
                   "fixedStep chrom=chr1 start=51 step=2 span=2\n0.25\n0.75\n")
    return {"seq_a": seq_a, "seq_b": seq_b, "bedgraph": bedgraph, "wig": wig}


def expected_tracks() -> dict[str, dict[str, np.ndarray]]:
    chr1 = np.full(len(FASTA["chr1"]), np.nan, np.float32)
    chr2 = np.full(len(FASTA["chr2"]), np.nan, np.float32)
    signal = {"chr1": chr1.copy(), "chr2": chr2.copy()}
    signal["chr1"][0:10] = 0.5
    signal["chr1"][10:12] = -2.297
    signal["chr1"][100:105] = 3.25
    signal["chr2"][5:8] = 1e3
    phylo = {"chr1": chr1.copy(), "chr2": chr2.copy()}
    phylo["chr2"][10:13] = [0.372, -1.5, 2]
    phylo["chr1"][50:52] = 0.25
    phylo["chr1"][52:54] = 0.75
    return {"signal": signal, "phylo": phylo}


def query_all(capsys, path, track, chrom, length) -> str:
    status, out, err = run(capsys, "query", path, track, chrom, 0, length)
    assert status == 0, err
    return out


@pytest.mark.parametrize("mode", ["-f", "-d", None], ids=["file", "dir", "auto"])
def test_load_end_to_end(capsys, tmp_path, mode):
    inputs = write_inputs(tmp_path)
    out_path = tmp_path / "out.genomedata"
    argv = ["-s", tmp_path / "seq_a.*", "-s", inputs["seq_b"],
            "-t", f"signal={inputs['bedgraph']}", "-t", f"phylo={inputs['wig']}",
            "--gap-length", 30, "--chunk-size", 16]
    if mode:
        argv.append(mode)
    status, _, err = run(capsys, "load", *argv, out_path)
    assert status == 0, err
    assert out_path.is_dir() == (mode != "-f")  # 2 sequences: auto picks a directory

    status, out, _ = run(capsys, "info", "tracknames", out_path)
    assert out == "['signal', 'phylo']\n"
    status, out, _ = run(capsys, "info", "contigs", out_path)
    assert out == "chr1\t0\t60\nchr1\t100\t150\nchr2\t0\t140\n"
    status, out, _ = run(capsys, "info", "sizes", out_path)
    assert out == "chr1\t150\nchr2\t140\n"
    for track, chroms in expected_tracks().items():
        for chrom, values in chroms.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                assert query_all(capsys, out_path, track, chrom, len(values)) == fmt32(values)
    status, out, err = run(capsys, "report", out_path)
    assert status == 0, err
    signal = np.concatenate(list(expected_tracks()["signal"].values())).astype(np.float64)
    signal = signal[np.isfinite(signal)]
    mean = float(out.splitlines()[1].split("\t")[1])
    assert mean == pytest.approx(signal.mean(), rel=1e-12)


def test_step_by_step_and_errors(capsys, tmp_path, monkeypatch):
    inputs = write_inputs(tmp_path)
    gd = tmp_path / "steps.genomedata"
    status, _, err = run(capsys, "load_seq", "-f", "--gap-length", 30, gd,
                         inputs["seq_a"], inputs["seq_b"])
    assert status == 0, err
    status, _, err = run(capsys, "open_data", gd, "--tracknames", "signal", "other")
    assert status == 0, err
    status, _, err = run(capsys, "open_data", gd, "--tracknames", "signal")
    assert_one_line_error(status, err, "genomedata-open-data", "signal")

    # data on standard input (binary, as the command reads sys.stdin.buffer)
    monkeypatch.setattr(sys, "stdin",
                        io.TextIOWrapper(io.BytesIO(inputs["bedgraph"].read_bytes())))
    status, _, err = run(capsys, "load_data", gd, "signal")
    assert status == 0, err
    signal = expected_tracks()["signal"]
    assert query_all(capsys, gd, "signal", "chr2", 140) == fmt32(signal["chr2"])

    # a dirty archive: readable, but no statistics until close-data
    status, _, err = run(capsys, "report", gd)
    assert_one_line_error(status, err, "genomedata-report", "genomedata-close-data")
    status, _, err = run(capsys, "close_data", gd)
    assert status == 0, err
    status, out, err = run(capsys, "report", gd)
    assert status == 0 and out.startswith("measurement\tsignal\tother\nmean\t"), err

    # bad input: start >= end, named with file and line
    bad = tmp_path / "bad.bedGraph"
    bad.write_text("chr1\t0\t5\t1.0\nchr1\t20\t10\t2.0\n")
    status, _, err = run(capsys, "load_data", gd, "other", "--file", bad)
    assert_one_line_error(status, err, "genomedata-load-data", "bad.bedGraph:2")

    # a track that was never opened
    status, _, err = run(capsys, "load_data", gd, "nope", "--file", inputs["bedgraph"])
    assert_one_line_error(status, err, "genomedata-load-data", "nope")

    # chromosomes the archive lacks: skipped with one warning line (as the reference
    # skips them), an error with --strict-chromosomes; --skip-unknown-chromosomes accepted
    extra = tmp_path / "extra.bedGraph"
    extra.write_text("chr1\t0\t5\t1.0\nchrUn\t0\t5\t2.0\nchrUn\t9\t12\t2.0\n")
    status, _, err = run(capsys, "load_data", gd, "other", "--file", extra, "--strict-chromosomes")
    assert_one_line_error(status, err, "genomedata-load-data", "chrUn", "extra.bedGraph:2")
    status, _, err = run(capsys, "load_data", gd, "other", "--file", extra,
                         "--skip-unknown-chromosomes")
    assert status == 0, err
    assert run(capsys, "erase_data", gd, "--trackname", "other")[0] == 0
    status, _, err = run(capsys, "load_data", gd, "other", "--file", extra)
    assert status == 0, err
    assert err.splitlines() == ["load-data other: warning: skipped 2 line(s) on chromosome(s) "
                                "not in the archive: chrUn (2)"]
    assert query_all(capsys, gd, "other", "chr1", 6) == fmt32([1, 1, 1, 1, 1, np.nan])

    # erase works (the reference's command crashed), and the track can be reloaded
    status, _, err = run(capsys, "erase_data", gd, "--trackname", "other")
    assert status == 0, err
    assert query_all(capsys, gd, "other", "chr1", 6) == fmt32([np.nan] * 6)
    status, _, err = run(capsys, "erase_data", gd, "--trackname", "ghost")
    assert_one_line_error(status, err, "genomedata-erase-data", "ghost")

    # hardmask: a bad operator is one line; a good one masks
    mask = tmp_path / "mask.bed"
    mask.write_text("chr1\t0\t4\tm\t0.2\nchr1\t4\t8\tm\t0.9\n")
    status, _, err = run(capsys, "hardmask", mask, gd, "--hardmask", "zz1")
    assert_one_line_error(status, err, "genomedata-hardmask")
    status, _, err = run(capsys, "hardmask", mask, gd, "-t", "signal", "--hardmask", "lt0.5")
    assert status == 0, err
    expect = signal["chr1"][:12].copy()
    expect[0:4] = np.nan
    assert query_all(capsys, gd, "signal", "chr1", 12) == fmt32(expect)
    status, out, err = run(capsys, "report", gd)  # hardmask closed the archive
    assert status == 0, err


def test_load_real_data_equals_reference_archive(realdata, capsys, tmp_path):
    """genomedata-load on the reference's own inputs gives v1.genomedata's values."""
    gd = realdata / "genomedata"
    from gdxarray import Genome

    out_path = tmp_path / "real.genomedata"
    argv = ["-s", gd / "chr*.short.fa*"]
    for track in ("placental", "primate", "vertebrate"):
        argv += ["-t", f"{track}={gd / f'chr1.phyloP44way.{track}.short.wigFix'}"]
    status, _, err = run(capsys, "load", *argv, out_path)
    assert status == 0, err
    for command in ("tracknames", "contigs", "sizes"):
        assert run(capsys, "info", command, out_path) == run(
            capsys, "info", command, gd / "v1.genomedata")
    for region in [("placental", "chr1", 0, 24_950), ("vertebrate", "chrY", 0, 100)]:
        assert run(capsys, "query", out_path, *region) == run(
            capsys, "query", gd / "v1.genomedata", *region)
    with Genome(out_path) as ours, Genome(gd / "v1.genomedata") as reference:
        # the reference accumulated its sums in float32; ours are exact
        np.testing.assert_allclose(ours.means, reference.means, rtol=1e-5)
        np.testing.assert_array_equal(ours.num_datapoints, reference.num_datapoints)

    # -m keeps only the data inside the mask's regions (as bedtools intersect did)
    mask = tmp_path / "keep.bed"
    mask.write_text("chr1\t0\t300\n")
    masked = tmp_path / "masked.genomedata"
    status, _, err = run(capsys, "load", "-f", "-m", mask, "-s", gd / "chr1.short.fa",
                         "-t", f"p={gd / 'chr1.phyloP44way.placental.short.wigFix'}",
                         masked)
    assert status == 0, err
    expected = run(capsys, "query", gd / "v1.genomedata", "placental", "chr1", 290, 300)[1]
    assert run(capsys, "query", masked, "p", "chr1", 290, 310) == (
        0, expected + fmt32([np.nan] * 10), "")
