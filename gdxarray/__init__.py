"""gdxarray: Genomedata-compatible archives as lazy, labelled xarray arrays.

>>> from gdxarray import Genome
>>> with Genome("example.genomedata") as genome:   # doctest: +SKIP
...     genome["chr1"][1000:1010, "signal"]

The package's front door: the read API (``Genome``), the loaders under the
reference's names (imported on first use, so commands start fast), and every
exception and warning.  ``docs/architecture.md`` maps the rooms behind it.
"""

from __future__ import annotations

from .errors import (
    ArchiveExistsError, ArchiveInUseError, ChromosomeDirtyError, ChromosomeNotFoundError,
    CommandError, CorruptChunkError, DamagedArchiveError, GenomedataDirtyWarning, GenomedataError,
    IncompleteTrackError, IncompleteTrackWarning, MaskCoordinateWarning, InputFileError,
    MissingContinuousData, NameTranslationError,
    NotAnArchiveError, OverlapWarning, ParseError, ReadOnlyError, TrackExistsError,
    TrackNotFoundError, TrackNotOpenError, UnsupportedError,
)
from .format import FILE_MODE_CHROMS, FORMAT_VERSION
from .genome import Chromosome, Genome, Supercontig
from ._import_hook import install as _install_accessor

_install_accessor()  # the .gd accessor, registered when xarray is imported

#: The functions behind the commands, with the reference's names and signatures
#: (``from gdxarray import load_genomedata``); imported on first use.
_LOADERS = ("close_data", "erase_data", "hardmask_data", "load_data", "load_genomedata",
            "load_seq", "open_data", "load_bam", "combine_tracks")
#: where each loader lives when not in the writer
_LOADER_HOME = {"combine_tracks": "combine"}


#: Liftover between assemblies (``gdxarray.liftover``), imported on first use.
_LIFTOVER = ("Liftover", "liftover_tracks")


def __getattr__(name: str):
    if name in _LOADERS:
        import importlib

        home = importlib.import_module(f".{_LOADER_HOME.get(name, 'writer')}", __name__)
        return getattr(home, name)
    if name in _LIFTOVER:
        from . import liftover

        return getattr(liftover, name)
    if name == "__version__":  # importlib.metadata costs ~25 ms: not on every command start
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("gdxarray")
        except PackageNotFoundError:  # running from a source tree
            value = "0.0.0+unknown"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module 'gdxarray' has no attribute {name!r}")

__all__ = sorted([
    "Chromosome", "Genome", "Supercontig", *_LOADERS, *_LIFTOVER, "FILE_MODE_CHROMS",
    "FORMAT_VERSION",
    "ArchiveExistsError", "ArchiveInUseError", "ChromosomeDirtyError", "ChromosomeNotFoundError",
    "CommandError", "CorruptChunkError", "DamagedArchiveError", "GenomedataDirtyWarning",
    "GenomedataError", "IncompleteTrackError", "IncompleteTrackWarning", "MaskCoordinateWarning",
    "InputFileError", "MissingContinuousData", "NameTranslationError",
    "NotAnArchiveError", "OverlapWarning", "ParseError", "ReadOnlyError", "TrackExistsError",
    "TrackNotFoundError", "TrackNotOpenError", "UnsupportedError", "__version__",
])
