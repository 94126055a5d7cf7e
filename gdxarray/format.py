"""The on-disk format of a Genomedata 1.x archive: the one place it is spelled out.

Every other module imports node and attribute names, dtypes, chunk shape and
filters from here; this module imports nothing of gdxarray.  The layout and
the reference implementation's behaviour (genomedata 1.7.4) are described in
``docs/format.md``.
"""

from __future__ import annotations

import numpy as np
import tables

#: Highest ``genomedata_format_version`` this package reads and the one it writes.
FORMAT_VERSION = 1

#: Suffix of a chromosome file in directory mode (and, by convention, of a file archive).
SUFFIX = ".genomedata"

#: Below this many sequences ``genomedata-load-seq`` makes a directory archive by default.
FILE_MODE_CHROMS = 100

#: Runs of at least this many non-ACGT bases split a FASTA sequence into supercontigs.
MIN_GAP_LEN = 100_000

#: Letters that are sequence (anything else counts toward a gap in FASTA input).
DNA_LETTERS_UNAMBIG = b"ACGTacgt"

#: AGP component types that are gaps.
AGP_GAP_COMPONENT_TYPES = frozenset("NU")

#: Largest coordinate or length the format stores: ``start``/``end`` are uint32
#: (parsers refuse bigger numbers with this bound in the message).
MAX_COORDINATE = 2**32 - 1

#: Chromosome names are ASCII; track names are stored as fixed-width ASCII bytes.
ENCODING = "ascii"

#: Default chromosome naming style of the assembly-report mapping.
DEFAULT_NAME_STYLE = "UCSC-style-name"

# --- node names -----------------------------------------------------------
SUPERCONTIG_PREFIX = "supercontig_"
SUPERCONTIG_NAME_FMT = SUPERCONTIG_PREFIX + "%d"
NODE_SEQ = "seq"
NODE_CONTINUOUS = "continuous"

# --- attribute names ------------------------------------------------------
ATTR_FORMAT_VERSION = "genomedata_format_version"
ATTR_TRACKNAMES = "tracknames"
ATTR_START = "start"
ATTR_END = "end"
ATTR_DIRTY = "dirty"
ATTR_CHUNK_STARTS = "chunk_starts"
ATTR_CHUNK_ENDS = "chunk_ends"
#: Per-track statistics written by close-data, in this order.
STAT_NAMES = ("mins", "maxs", "sums", "sums_squares", "num_datapoints")
#: gdxarray's own attribute (ignored by the reference): tracks whose load failed
#: part-way on this chromosome.  A chromosome listing a track here is also dirty.
ATTR_INCOMPLETE = "gdxarray_incomplete_tracks"
#: Of the tracks marked incomplete, those only a hardmask left so (killed
#: part-way over a whole track): masking again completes them.
ATTR_INCOMPLETE_REDO = "gdxarray_incomplete_redo"

# --- gdxarray's layout index (file archives) -------------------------------
#: Leaf nodes at the root of a file archive with a compact copy of the layout,
#: written by gdxarray's load-seq and close-data so that opening an archive with
#: tens of thousands of scaffolds does not visit every group.  They are Leaves,
#: not Groups, so the reference (which lists root Groups as chromosomes) ignores them.
INDEX_CHROMS = "gdxarray_chromosomes"
INDEX_SUPERCONTIGS = "gdxarray_supercontigs"
#: Longest chromosome name (bytes) the index stores; longer names make no index.
INDEX_NAME_BYTES = 255


class IndexChromRow(tables.IsDescription):
    """A row of :data:`INDEX_CHROMS`: a chromosome and its supercontig rows."""

    name = tables.StringCol(INDEX_NAME_BYTES, pos=0)
    start = tables.UInt32Col(pos=1)
    end = tables.UInt32Col(pos=2)
    first = tables.Int64Col(pos=3)  #: first row in INDEX_SUPERCONTIGS
    count = tables.Int64Col(pos=4)  #: number of rows there


class IndexSupercontigRow(tables.IsDescription):
    """A row of :data:`INDEX_SUPERCONTIGS`: group ``supercontig_<number>``, [start, end)."""

    start = tables.UInt32Col(pos=0)
    end = tables.UInt32Col(pos=1)
    number = tables.Int64Col(pos=2)


# --- gdxarray's zoom levels (file and directory archives) ------------------
#: Per-chromosome cell summaries written by close-data, per track and per cell
#: ``[k * width, (k + 1) * width)`` of the finest width (aligned to coordinate 0;
#: the last cell ends at the chromosome end): ``gdxarray_zoom_<width>``, float64
#: ``(3, ntracks, ncells)`` (count, sum, sum of squares of the finite values) and
#: ``gdxarray_zoom_<width>_range``, float32 ``(2, ntracks, ncells)`` (min, max;
#: +inf/-inf where a cell has none; exact in float32, and half the bytes).  The
#: coarser widths are exact sums of these cells, made when read.  They live in
#: the group of the chromosome's first supercontig (lowest start), not in the
#: chromosome group: the reference takes every child of a chromosome group for a
#: supercontig (``for group in h5group``) and fails on a Leaf there, but it only
#: looks up ``seq``/``continuous`` by name inside a supercontig group.
ZOOM_PREFIX = "gdxarray_zoom_"
ZOOM_RANGE_SUFFIX = "_range"
#: Cell widths, finest (the stored one) first; each divides the next.
ZOOM_WIDTHS = (10_000, 100_000, 1_000_000)
#: Chromosomes shorter than this get no zoom levels (decoding them whole is cheap,
#: and a scaffold assembly would get tens of thousands of nodes).
ZOOM_MIN_LENGTH = 1_000_000
#: Attributes of the zoom arrays: the track names they summarise and copies of
#: the chromosome's ``num_datapoints`` and ``sums`` when they were built.  They
#: are valid only while the chromosome is clean and all three still match (a
#: writer that changed the data and its statistics leaves them different).
ATTR_ZOOM_TRACKNAMES = "gdxarray_tracknames"
ATTR_ZOOM_COUNTS = "gdxarray_num_datapoints"
ATTR_ZOOM_SUMS = "gdxarray_sums"
ZOOM_FILTERS = tables.Filters(complevel=1, complib="zlib", shuffle=True)


def zoom_node_name(width: int, part: str = "") -> str:
    """``gdxarray_zoom_<width>`` (count, sum, sum of squares); *part* ``"range"``: min, max."""
    return f"{ZOOM_PREFIX}{int(width)}" + (ZOOM_RANGE_SUFFIX if part == "range" else "")


# --- dtypes, atoms, chunks, filters ---------------------------------------
CONTINUOUS_DTYPE = np.dtype(np.float32)
SEQ_DTYPE = np.dtype(np.uint8)
CONTINUOUS_ATOM = tables.Float32Atom(dflt=np.nan)
SEQ_ATOM = tables.UInt8Atom()
#: 10 kb of one track per chunk, fixed in the reference's code.
CONTINUOUS_CHUNK_SHAPE = (10_000, 1)
#: zlib level 1 + shuffle (PyTables' defaults for complevel=1), as the reference writes.
FILTERS = tables.Filters(complevel=1, complib="zlib", shuffle=True)
#: The ``continuous`` codecs a loader may choose (``--compression``).  The blosc2
#: ones are the Blosc2 HDF5 filter PyTables itself ships and registers, so the
#: reference (any PyTables >= 3.8) reads them unchanged; blosc2 shuffles inside
#: the filter.  Levels measured in ``benchmarks/sec_codec.py`` (docs/format.md).
COMPRESSIONS = {
    "zlib": FILTERS,
    "blosc2-zstd": tables.Filters(complevel=1, complib="blosc2:zstd", shuffle=True),
    "blosc2-lz4": tables.Filters(complevel=5, complib="blosc2:lz4", shuffle=True),
}
DEFAULT_COMPRESSION = "zlib"


def compression_filters(name: str) -> tables.Filters:
    """The ``continuous`` filters of codec *name* (a key of :data:`COMPRESSIONS`)."""
    try:
        return COMPRESSIONS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown compression {name!r}; choose one of "
                         f"{', '.join(COMPRESSIONS)}") from None


def compression_name(filters: tables.Filters) -> str:
    """The codec name of stored filters: a key of :data:`COMPRESSIONS` or
    ``complib`` (e.g. ``"none"``, ``"blosc2:zstd"``) for anything else."""
    if not filters.complevel:
        return "none"
    lib = filters.complib
    if lib.startswith("blosc2:") and filters.shuffle and not filters.bitshuffle:
        return "blosc2-" + lib.split(":", 1)[1]
    return lib
#: Sequence byte of a base outside every supercontig.
SEQ_GAP = ord("N")

# --- xarray names -----------------------------------------------------------
DIM_POSITION = "position"
DIM_TRACK = "track"
#: Dimension of the ``.gd.bin`` results (with ``chrom``/``start``/``end`` coordinates).
DIM_BIN = "bin"
#: Coordinates: the chromosome of each position (or the scalar of a one-chromosome
#: dataset) and the 0-based position within it.
COORD_CHROM = "chrom"
COORD_POS = "pos"
VAR_CONTINUOUS = "continuous"
VAR_SEQ = "seq"

#: First four bytes of a bigWig file, in either byte order.
BIGWIG_MAGIC = 0x888FFC26
BIGWIG_MAGICS = (BIGWIG_MAGIC.to_bytes(4, "little"), BIGWIG_MAGIC.to_bytes(4, "big"))
#: First eight bytes of every HDF5 file (at offset 0, 512, 1024, ... ).
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"

#: ``tables.open_file`` keywords: ``buffer_times`` silences the spurious
#: PerformanceWarning, as the reference does; ``node_cache_slots`` keeps the
#: nodes of a whole assembly loaded (PyTables' default of 32 is less than one
#: node per chromosome of hg19 with its groups: every pass over the chromosomes
#: reloaded and closed nodes, ~1 ms each; past 4096 the least recently used go).
OPEN_FILE_KWARGS = {"buffer_times": float("inf"), "node_cache_slots": 4096}


def encode_trackname(name: str) -> bytes:
    return name.encode(ENCODING)


def decode_trackname(name: bytes | str) -> str:
    return name.decode(ENCODING) if isinstance(name, bytes) else str(name)

__all__ = [
    "AGP_GAP_COMPONENT_TYPES",
    "ATTR_CHUNK_ENDS",
    "ATTR_CHUNK_STARTS",
    "ATTR_DIRTY",
    "ATTR_END",
    "ATTR_FORMAT_VERSION",
    "ATTR_INCOMPLETE",
    "ATTR_INCOMPLETE_REDO",
    "ATTR_START",
    "ATTR_TRACKNAMES",
    "BIGWIG_MAGIC",
    "BIGWIG_MAGICS",
    "CONTINUOUS_ATOM",
    "CONTINUOUS_CHUNK_SHAPE",
    "COMPRESSIONS",
    "CONTINUOUS_DTYPE",
    "COORD_CHROM",
    "COORD_POS",
    "DEFAULT_COMPRESSION",
    "DEFAULT_NAME_STYLE",
    "DIM_BIN",
    "DIM_POSITION",
    "DIM_TRACK",
    "DNA_LETTERS_UNAMBIG",
    "ENCODING",
    "FILE_MODE_CHROMS",
    "FILTERS",
    "FORMAT_VERSION",
    "HDF5_MAGIC",
    "INDEX_CHROMS",
    "INDEX_NAME_BYTES",
    "INDEX_SUPERCONTIGS",
    "IndexChromRow",
    "IndexSupercontigRow",
    "MIN_GAP_LEN",
    "NODE_CONTINUOUS",
    "NODE_SEQ",
    "OPEN_FILE_KWARGS",
    "SEQ_ATOM",
    "SEQ_DTYPE",
    "SEQ_GAP",
    "STAT_NAMES",
    "SUFFIX",
    "SUPERCONTIG_NAME_FMT",
    "SUPERCONTIG_PREFIX",
    "VAR_CONTINUOUS",
    "VAR_SEQ",
    "compression_filters",
    "compression_name",
    "decode_trackname",
    "encode_trackname",
]
