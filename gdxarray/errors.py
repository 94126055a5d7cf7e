"""Exceptions and warnings.

Every error gdxarray raises on purpose derives from :class:`GenomedataError`,
and also from the builtin a caller would catch (``KeyError``, ``ValueError``,
``OSError``), so ``except KeyError`` in an old genomedata script still works.
The CLI prints ``str(error)`` on one line and exits 1.

Every exception class of the package lives here (and is exported from
``gdxarray``).  May import: nothing of gdxarray.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence


class GenomedataError(Exception):
    """Base class of all gdxarray errors."""


class ParseError(GenomedataError, ValueError):
    """Malformed input: the message names file, line and problem.

    Parameters
    ----------
    message : the problem, e.g. ``"interval chr1:500-400 has start >= end"``
    source : file name (``"<stdin>"`` for standard input)
    line : 1-based line number, or None when the problem is not on one line
    """

    def __init__(self, message: str, source: str | None = None, line: int | None = None):
        self.problem = message
        self.source = source
        self.line = line
        where = ""
        if source is not None:
            where = f"{source}:{line}: " if line is not None else f"{source}: "
        super().__init__(where + message)


class ChromosomeNotFoundError(GenomedataError, KeyError):
    """A chromosome is not in the archive (or the input names one it lacks)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class TrackNotFoundError(GenomedataError, KeyError):
    """A track name is not in the archive."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class TrackNotOpenError(TrackNotFoundError):
    """Data was loaded into a track that ``open-data`` has not created."""


class TrackExistsError(GenomedataError, ValueError):
    """``open-data`` / ``add_track_continuous`` with a name already present."""


class NotAnArchiveError(GenomedataError, OSError):
    """The path is missing, or is neither a Genomedata archive nor a bigWig file."""


class ArchiveExistsError(GenomedataError, FileExistsError):
    """load-seq would overwrite an existing archive."""


class DamagedArchiveError(GenomedataError, OSError):
    """An archive whose files do not add up: a file truncated, a node or attribute
    missing or of the wrong shape, data HDF5 cannot read.  The message names the
    file, the node and what is wrong; nothing is read from such a structure."""


class CorruptChunkError(DamagedArchiveError):
    """A stored chunk that does not decode (damaged or truncated file)."""


class ArchiveInUseError(GenomedataError, OSError):
    """Another process holds the HDF5 file lock of an archive file (one being written
    cannot be opened, and one open elsewhere cannot be written)."""


class ReadOnlyError(GenomedataError, OSError):
    """A write through an archive opened read-only."""


class ChromosomeDirtyError(GenomedataError):
    """Statistics were asked of a chromosome modified since ``genomedata-close-data``."""


class IncompleteTrackError(GenomedataError):
    """A track whose load failed part-way (erase or reload it first)."""


class UnsupportedError(GenomedataError, NotImplementedError):
    """An operation this kind of archive (v0, bigWig) does not support."""


class MissingContinuousData(GenomedataError, AttributeError):
    """A supercontig has no ``continuous`` array yet (no track opened)."""


class InputFileError(GenomedataError, OSError):
    """An input file cannot be opened (missing, a directory, no permission).

    An ``OSError`` with ``errno``, ``strerror`` and ``filename`` (not a
    ParseError: nothing was parsed), and a GenomedataError so the CLI
    reports it in one line.
    """


class NameTranslationError(ParseError, KeyError):
    """A name or naming style missing from an assembly report.

    Both a ``ValueError`` (what the reference raises for an unknown name) and
    a ``KeyError`` (what it raises for an unknown style).
    """

    __str__ = Exception.__str__


class CommandError(GenomedataError):
    """A problem found by a command itself (e.g. a glob matching nothing)."""


class GenomedataDirtyWarning(UserWarning):
    """Closing or reading a chromosome whose statistics are stale (reference name)."""


class OverlapWarning(UserWarning):
    """A read spans a gap between supercontigs or misses them all (reference name)."""


class MaskCoordinateWarning(UserWarning):
    """A WIG mask holds position 0: read as 0-based, as genomedata 1.7's hardmask reads WIG masks."""


class IncompleteTrackWarning(UserWarning):
    """Reading a track whose last load failed part-way."""


def suggest(name, choices: Sequence[str], *, list_up_to: int = 10) -> str:
    """The tail of a "not found" message: the closest choice, or the few there are.

    >>> suggest("chr11", ["chr1", "chr2"])
    " (did you mean 'chr1'?)"
    >>> suggest("x", ["a", "b"])
    ' (available: a, b)'
    """
    close = difflib.get_close_matches(str(name), list(choices), n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    if len(choices) <= list_up_to:
        return f" (available: {', '.join(map(str, choices)) or 'none'})"
    return ""


__all__ = sorted([
    "ArchiveExistsError", "ArchiveInUseError", "ChromosomeDirtyError", "ChromosomeNotFoundError",
    "CommandError", "CorruptChunkError", "DamagedArchiveError", "GenomedataDirtyWarning",
    "GenomedataError", "IncompleteTrackError", "IncompleteTrackWarning",
    "MaskCoordinateWarning", "InputFileError", "MissingContinuousData", "NameTranslationError",
    "NotAnArchiveError", "OverlapWarning", "ParseError", "ReadOnlyError", "TrackExistsError",
    "TrackNotFoundError", "TrackNotOpenError", "UnsupportedError", "suggest",
])
