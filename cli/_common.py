"""What every console script shares: parser scaffolding, --version/--verbose,
one-line error reporting and output that survives a closed pipe.

A command module builds its parser with :func:`make_parser` and runs its body
through :func:`run`, which turns the errors a user can cause into one line on
standard error (``genomedata-query: error: Could not find chromosome: chrZ``)
and an exit status, never a traceback:

* :class:`~gdxarray.errors.GenomedataError`, ``OSError`` (missing files,
  permissions) and HDF5 errors: exit 1;
* ``KeyboardInterrupt``: exit 130 (128 + SIGINT, what a shell reports);
* ``BrokenPipeError`` (``genomedata-info ... | head``): exit 0, silently, for
  the commands that write data to standard output.

Argument errors are argparse's (usage line, then the error, exit 2).
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import warnings
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from typing import Iterator

import gdxarray
from gdxarray.errors import CommandError, GenomedataError

#: Exit statuses.
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INTERRUPTED = 130

#: Lines joined per write when streaming many output lines.
_LINES_PER_WRITE = 65_536


# --- parsers ---------------------------------------------------------------

def make_parser(prog: str, description: str | None = None, *,
                epilog: str | None = None,
                raw: bool = False) -> argparse.ArgumentParser:
    """An ArgumentParser named after the console script *prog*."""
    formatter = argparse.RawDescriptionHelpFormatter if raw else argparse.HelpFormatter
    return argparse.ArgumentParser(prog=prog, description=description, epilog=epilog,
                                   formatter_class=formatter)


def version_string(prog: str) -> str:
    return f"{prog} (gdxarray {gdxarray.__version__})"


class _VersionAction(argparse.Action):
    """argparse's "version" action, with the version looked up only when asked
    (reading package metadata would cost every command ~25 ms at start-up)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        parser._print_message(version_string(parser.prog) + "\n", sys.stdout)
        parser.exit()


def add_version(parser: argparse._ActionsContainer, prog: str, *,
                short: bool = False) -> None:
    """``--version`` (``-V/--version`` with *short*, as genomedata-load-data has)."""
    flags = ("-V", "--version") if short else ("--version",)
    parser.add_argument(*flags, action=_VersionAction,
                        help="print the program name and gdxarray version, then exit")


def add_verbose(parser: argparse._ActionsContainer, *, short: bool = False,
                help: str = "print progress and diagnostic messages to standard error",
                ) -> None:
    """``--verbose`` (``-v/--verbose`` with *short*, as genomedata-load-data has)."""
    flags = ("-v", "--verbose") if short else ("--verbose",)
    parser.add_argument(*flags, default=False, action="store_true", help=help)


def add_strict_chromosomes(parser: argparse._ActionsContainer) -> None:
    """``--strict-chromosomes`` (and the older ``--skip-unknown-chromosomes``, now the default)."""
    both = parser.add_mutually_exclusive_group()
    both.add_argument("--strict-chromosomes", action="store_true", default=False,
                        help="a track line on a chromosome the archive lacks is an error; "
                             "by default such lines are skipped (as genomedata does) and one "
                             "warning line names the chromosomes and counts the lines")
    both.add_argument("--skip-unknown-chromosomes", dest="skip_unknown_chroms",
                        action="store_true", default=False,
                        help="skip lines on chromosomes the archive lacks (the default; "
                             "kept for scripts that give it)")


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {value}")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {value}")
    return value


def add_name_mapping(parser: argparse.ArgumentParser) -> None:
    """``-r/--assembly-report`` and ``-n/--name-style`` (all three loaders)."""
    from gdxarray.format import DEFAULT_NAME_STYLE

    group = parser.add_argument_group("Chromosome naming")
    group.add_argument(
        "-r", "--assembly-report", dest="assembly_report", metavar="ASSEMBLY-REPORT",
        help="NCBI assembly report (tab-separated) mapping each sequence's names "
             "between naming styles; every chromosome name is translated to the "
             "style chosen with --name-style")
    group.add_argument(
        "-n", "--name-style", dest="name_style", default=DEFAULT_NAME_STYLE,
        help="column of ASSEMBLY-REPORT whose names the archive uses "
             f"(default: {DEFAULT_NAME_STYLE})")


def add_mode(parser: argparse._ActionsContainer, *, default_note: str) -> None:
    """The mutually exclusive ``-f/--file-mode`` and ``-d/--directory-mode``."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "-f", "--file-mode", dest="mode", action="store_const", const="file", default=None,
        help="make the archive a single HDF5 file with one group per chromosome "
             "(suits assemblies with many sequences). " + default_note)
    group.add_argument(
        "-d", "--directory-mode", dest="mode", action="store_const", const="dir",
        help="make the archive a directory with one HDF5 file per chromosome "
             "(suits a few large chromosomes)")


def add_gap_length(parser: argparse._ActionsContainer) -> None:
    from gdxarray.format import MIN_GAP_LEN

    parser.add_argument(
        "--gap-length", metavar="BP", type=positive_int, default=MIN_GAP_LEN,
        help="in FASTA input, runs of at least BP bases other than ACGTacgt are "
             f"assembly gaps that split supercontigs (default: {MIN_GAP_LEN})")


def add_chunk_size(parser: argparse._ActionsContainer) -> None:
    from gdxarray.format import CONTINUOUS_CHUNK_SHAPE

    default = CONTINUOUS_CHUNK_SHAPE[0]
    parser.add_argument(
        "--chunk-size", metavar="ROWS", type=positive_int, default=default,
        help="HDF5 chunk length, in bases, of the track data arrays; each chunk "
             f"holds ROWS bases of one track (default: {default}, as genomedata 1.7)")


def add_compression(parser: argparse._ActionsContainer, *, new_archive: bool) -> None:
    from gdxarray.format import COMPRESSIONS, DEFAULT_COMPRESSION

    when = ("" if new_archive else
            "; only when the archive has no tracks yet (tracks added later keep "
            "the archive's codec)")
    parser.add_argument(
        "--compression", choices=list(COMPRESSIONS),
        default=DEFAULT_COMPRESSION if new_archive else None,
        help=f"codec of the track data: {DEFAULT_COMPRESSION} (default, what genomedata "
             "1.7 writes) or blosc2 with zstd or lz4 and byte shuffle (faster "
             "scans; genomedata 1.7 reads them too, through PyTables' Blosc2 "
             f"filter){when}")


# --- inputs -----------------------------------------------------------------

def expand_globs(patterns: Iterable[str]) -> list[str]:
    """Expand each pattern with :func:`glob.glob` (sorted), keeping the
    patterns' order; a pattern that matches nothing is an error."""
    filenames: list[str] = []
    for pattern in patterns:
        expanded = os.path.expanduser(pattern)
        matches = sorted(glob.glob(expanded))
        if not matches:
            if glob.has_magic(expanded):
                raise CommandError(f"no file matches {pattern!r}")
            raise CommandError(f"no such file: {pattern}")
        filenames.extend(matches)
    return filenames


# --- outputs ----------------------------------------------------------------

def write_lines(lines: Iterable[str]) -> None:
    """Write *lines* to standard output, one per line, in large writes."""
    write = sys.stdout.write
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= _LINES_PER_WRITE:
            batch.append("")
            write("\n".join(batch))
            batch = []
    if batch:
        batch.append("")
        write("\n".join(batch))


def _silence_stdout() -> None:
    """After EPIPE: point fd 1 at /dev/null so the interpreter's final flush
    does not print 'Exception ignored ... BrokenPipeError'."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (e.g. captured by a test)
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    except OSError:
        pass


def _error(prog: str, message: str) -> int:
    message = " ".join(str(message).split("\n")).strip() or "unknown error"
    try:
        sys.stderr.write(f"{prog}: error: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    return EXIT_ERROR


def _os_error_message(error: OSError) -> str:
    if isinstance(error, GenomedataError):
        return str(error)
    if error.strerror and error.filename is not None:
        return f"{error.strerror}: {error.filename}"
    return str(error)


@contextmanager
def _one_line_warnings(prog: str) -> Iterator[None]:
    """Show warnings as ``prog: warning: message`` (no source line)."""
    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ARG001
        try:
            (file or sys.stderr).write(f"{prog}: warning: {message}\n")
        except (OSError, ValueError):
            pass

    saved = warnings.showwarning
    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = saved


@contextmanager
def stale_statistics_ok() -> Iterator[None]:
    """Silence GenomedataDirtyWarning for commands whose output does not use
    the statistics (info, query) or that check them themselves (report,
    histogram): one warning per chromosome would only be noise."""
    from gdxarray.errors import GenomedataDirtyWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GenomedataDirtyWarning)
        yield


def run(prog: str, body: Callable[[], int | None], *, pipe_safe: bool = False) -> int:
    """Run a command body; map the errors a user can cause to one line and a status.

    Parameters
    ----------
    prog : console script name, the prefix of every message
    body : the command; returns an exit status or None (0)
    pipe_safe : the command writes data to standard output; a reader that goes
        away (``| head``) ends it quietly with status 0
    """
    import tables

    try:
        with _one_line_warnings(prog):
            status = body()
            if pipe_safe:
                sys.stdout.flush()
        return EXIT_OK if status is None else int(status)
    except BrokenPipeError:
        if pipe_safe:
            _silence_stdout()
            return EXIT_OK
        _silence_stdout()
        return _error(prog, "output closed (broken pipe)")
    except KeyboardInterrupt:
        try:
            sys.stderr.write("\n")
        except (OSError, ValueError):
            pass
        return EXIT_INTERRUPTED
    except GenomedataError as error:
        return _error(prog, str(error))
    except OSError as error:
        return _error(prog, _os_error_message(error))
    except tables.HDF5ExtError as error:
        # a damaged or truncated HDF5 file; PyTables' text spans many lines
        first = next((line for line in str(error).splitlines() if line.strip()), "")
        return _error(prog, f"HDF5 error: {first.strip()}")

