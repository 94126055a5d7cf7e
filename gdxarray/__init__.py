"""gdxarray: Genomedata-compatible archives as lazy, labelled xarray arrays.

>>> from gdxarray import Genome
>>> with Genome("example.genomedata") as genome:   # doctest: +SKIP
...     genome["chr1"][1000:1010, "signal"]
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .errors import (
    ChromosomeDirtyError, ChromosomeNotFoundError, GenomedataDirtyWarning, GenomedataError,
    IncompleteTrackError, IncompleteTrackWarning, NotAnArchiveError, OverlapWarning,
    ParseError, ReadOnlyError, TrackExistsError, TrackNotFoundError, TrackNotOpenError,
    UnsupportedError,
)
from .format import FILE_MODE_CHROMS, FORMAT_VERSION
from .genome import Chromosome, Genome, Supercontig
from ._lazy_accessor import install as _install_accessor

_install_accessor()  # the .gd accessor, registered when xarray is imported

try:
    __version__ = version("gdxarray")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = sorted([
    "Chromosome", "Genome", "Supercontig",
    "ChromosomeDirtyError", "ChromosomeNotFoundError", "FILE_MODE_CHROMS", "FORMAT_VERSION",
    "GenomedataDirtyWarning", "GenomedataError", "IncompleteTrackError",
    "IncompleteTrackWarning", "NotAnArchiveError", "OverlapWarning", "ParseError",
    "ReadOnlyError", "TrackExistsError", "TrackNotFoundError", "TrackNotOpenError",
    "UnsupportedError", "__version__",
])
