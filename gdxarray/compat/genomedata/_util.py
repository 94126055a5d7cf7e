"""``genomedata._util``: the helpers, constants and warnings scripts import
from the reference (Segway: ``from genomedata._util import fill_array``).

The warnings are gdxarray's own classes, so ``warnings.simplefilter(...,
OverlapWarning)`` with either import path filters what gdxarray emits.
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser, FileType
from contextlib import closing
from gzip import open as _gzip_open
from os import extsep

from numpy import array, empty

from gdxarray.errors import GenomedataDirtyWarning, OverlapWarning
from gdxarray.format import DEFAULT_NAME_STYLE, ENCODING, FILTERS

FILTERS_GZIP = FILTERS

EXT = "genomedata"
SUFFIX = extsep + EXT

EXT_GZ = "gz"
SUFFIX_GZ = extsep + EXT_GZ

GENOMEDATA_ENCODING = ENCODING

DEFAULT_CHROMOSOME_NAME_STYLE = DEFAULT_NAME_STYLE

#: The reference's shared "Chromosome naming" options (-r/--assembly-report,
#: -n/--name-style), for scripts building their parsers on it.
chromosome_name_map_parser = ArgumentParser(add_help=False)
chromsome_names = chromosome_name_map_parser.add_argument_group("Chromosome naming")
chromsome_names.add_argument(
    "-r", "--assembly-report", dest="assembly_report", type=FileType("r"),
    metavar="ASSEMBLY-REPORT",
    help="Tab-delimited file with columnar mappings between chromosome naming styles.")
chromsome_names.add_argument(
    "-n", "--name-style", default=DEFAULT_CHROMOSOME_NAME_STYLE, dest="name_style",
    help="Chromsome naming style to use based on ASSEMBLY-REPORT. Default: "
         f"{DEFAULT_CHROMOSOME_NAME_STYLE}")

__all__ = [
    "DEFAULT_CHROMOSOME_NAME_STYLE", "EXT", "EXT_GZ", "FILTERS_GZIP", "GENOMEDATA_ENCODING",
    "GenomedataDirtyWarning", "LightIterator", "OverlapWarning", "SUFFIX", "SUFFIX_GZ",
    "chromosome_name_map_parser", "decode_trackname", "die", "fill_array", "gzip_open",
    "ignore_comments", "init_num_obs", "maybe_gzip_open", "new_extrema",
]


def die(msg="Unexpected error."):
    """Print *msg* to standard error and exit with status 1."""
    print(msg, file=sys.stderr)
    sys.exit(1)


class LightIterator:
    """Iterate over a FASTA text handle as ``(defline, sequence)`` pairs (the
    defline without its ``>``, the sequence lines joined)."""

    def __init__(self, handle):
        self._handle = handle
        self._defline = None

    def __iter__(self):
        return self

    def __next__(self):
        lines = []
        defline_old = self._defline
        for line in self._handle:
            if not line:
                if not defline_old and not lines:
                    raise StopIteration
                if defline_old:
                    self._defline = None
                    break
            elif line.startswith(">"):
                self._defline = line[1:].rstrip()
                if defline_old or lines:
                    break
                defline_old = self._defline
            else:
                lines.append(line.rstrip())
        if not lines:
            raise StopIteration
        if defline_old is None:
            raise ValueError(f"no definition line found at next position in {self._handle!r}")
        return defline_old, "".join(lines)

    def next(self):
        return self.__next__()


def fill_array(scalar, shape, dtype=None, *args, **kwargs):
    """An array of *shape* filled with *scalar* (of *scalar*'s dtype unless given)."""
    if dtype is None:
        dtype = array(scalar).dtype
    res = empty(shape, dtype, *args, **kwargs)
    res.fill(scalar)
    return res


def gzip_open(*args, **kwargs):
    """``gzip.open`` wrapped in ``contextlib.closing``."""
    return closing(_gzip_open(*args, **kwargs))


def maybe_gzip_open(filename, mode="rt", *args, **kwargs):
    """Open *filename*, through gzip if it ends in ``.gz``."""
    if filename.endswith(SUFFIX_GZ):
        return gzip_open(filename, mode=mode, *args, **kwargs)
    return open(filename, mode=mode, *args, **kwargs)


def init_num_obs(num_obs, continuous):
    """The number of tracks (columns) of *continuous*, checked against *num_obs*."""
    curr_num_obs = continuous.shape[1]
    assert num_obs is None or num_obs == curr_num_obs
    return curr_num_obs


def new_extrema(func, data, extrema):
    """*func* (``amin``/``amax``) of *extrema* and of *data* along axis 0."""
    curr_extrema = func(data, 0)
    return func([extrema, curr_extrema], 0)


def ignore_comments(iterable):
    """The items of *iterable* that do not start with ``#``."""
    return (item for item in iterable if not item.startswith("#"))


def decode_trackname(trackname):
    """A track name stored as bytes, as text."""
    return trackname.decode(GENOMEDATA_ENCODING)


def main(args=None):
    """The reference's placeholder entry point: does nothing."""
    return None


if __name__ == "__main__":
    sys.exit(main())
