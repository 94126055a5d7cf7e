"""``genomedata`` as the reference 1.7.4 lays it out, served by gdxarray.

``Genome`` is gdxarray's; the loaders live in the reference's submodules
(``genomedata._load_data.load_data``, ``genomedata.load_genomedata.load_genomedata``
...).  ``__version__`` is the reference version whose API this mirrors;
gdxarray's own version is ``__gdxarray_version__``.
"""

from __future__ import annotations

import sys

from gdxarray.errors import (  # noqa: F401 - not top-level in the reference; handy here
    ChromosomeDirtyError, GenomedataDirtyWarning, GenomedataError, MissingContinuousData,
    OverlapWarning,
)
from gdxarray.format import FILE_MODE_CHROMS, FORMAT_VERSION
from gdxarray.genome import Chromosome, Genome, Supercontig

from ._bigwig import is_big_wig

#: The genomedata release whose API and module layout this package mirrors
#: (scripts compare it, e.g. ``genomedata.__version__ >= "1.7"``).
__version__ = "1.7.4"

__all__ = ["Genome", "FORMAT_VERSION", "FILE_MODE_CHROMS", "is_big_wig", "main"]


def __getattr__(name: str):
    if name == "__gdxarray_version__":
        import gdxarray

        return gdxarray.__version__
    raise AttributeError(f"module 'genomedata' has no attribute {name!r}")


def main(argv=None):
    """The reference's placeholder entry point: does nothing."""
    return None


if __name__ == "__main__":
    sys.exit(main())
