"""open-data and erase-data: adding track columns, and wiping one.

``open_data`` grows every supercontig's ``continuous`` EArray by all the new
columns in one ``truncate`` (the reference makes one full pass per track);
``erase_data`` writes NaN only over the HDF5 chunks of the column that were
ever written (unwritten chunks already read as the NaN fill value).
"""

from __future__ import annotations

import os
from typing import Iterable, Sequence

import numpy as np
import tables

from .. import format as fmt
from ..errors import GenomedataError, TrackExistsError
from ..store import HDF5_LOCK, Archive, read_incomplete, read_tracknames
from ._direct_io import ColumnChunks
from ._common import (
    begin_track_write, borrow, chrom_group, continuous_of, end_track_write, iter_layouts,
    release, say, set_dirty, set_incomplete, track_column,
)


def _names_list(names: str | Iterable[str]) -> list[str]:
    if isinstance(names, (str, bytes)):
        names = [names]
    out = []
    for name in names:
        if isinstance(name, bytes):
            name = name.decode(fmt.ENCODING)
        out.append(str(name))
    return out


def _check_new_names(path, existing: Sequence[str], names: Sequence[str]) -> None:
    seen = set()
    for name in names:
        if not name:
            raise GenomedataError("a track name cannot be empty")
        try:
            name.encode(fmt.ENCODING)
        except UnicodeEncodeError:
            raise GenomedataError(f"track name {name!r} is not ASCII") from None
        if "\x00" in name:
            raise GenomedataError(f"track name {name!r} contains a NUL byte")
        if name in seen:
            raise TrackExistsError(f"track name {name!r} given more than once")
        seen.add(name)
        if name in existing:
            raise TrackExistsError(
                f"{path} already has a track named {name!r}; to replace its data, run "
                f"genomedata-erase-data --trackname {name} and load it again")


def _appended(current, names: Sequence[str]) -> np.ndarray:
    # numpy.append semantics, as the reference: the first name fixes the width
    # to S32 (append to a float64 empty array) unless it is longer
    result = current if current is not None else np.array([])
    for name in names:
        result = np.append(result, fmt.encode_trackname(name))
    return result


def _stored_filters(layouts) -> tables.Filters | None:
    """Filters of the first ``continuous`` array of the archive, or None (lock held)."""
    for layout in layouts:
        for i in range(len(layout.sc_names)):
            earray = continuous_of(layout, i)
            if earray is not None:
                return earray.filters
    return None


def _track_filters(archive: Archive, layouts, compression: str | None):
    """Filters for the ``continuous`` arrays created now: the archive's own codec
    when it has tracks (all its arrays share one), else *compression* (zlib)."""
    if compression is not None:
        try:
            filters = fmt.compression_filters(compression)
        except ValueError as exc:
            raise GenomedataError(str(exc)) from None
    with HDF5_LOCK:
        stored = _stored_filters(layouts)
    if stored is None:
        return filters if compression is not None else fmt.FILTERS
    if compression is not None and fmt.compression_name(stored) != compression:
        raise GenomedataError(
            f"{archive.path} stores its tracks with {fmt.compression_name(stored)} "
            f"compression; new tracks keep it (the codec is chosen when the first "
            f"tracks are opened), so compression={compression!r} cannot apply")
    return stored


def add_tracks(archive: Archive, tracknames: Iterable[str], *,
               chunk_size: int = fmt.CONTINUOUS_CHUNK_SHAPE[0], verbose: bool = False,
               compression: str | None = None, incomplete: bool = False) -> None:
    """Append *tracknames* (all NaN) to an archive opened ``r+``.  See :func:`open_data`.

    *incomplete*: also mark them incomplete on every chromosome, in the same visit
    (a writer that fills them chromosome by chromosome clears the marks when done).
    """
    names = _names_list(tracknames)
    chunk_size = int(chunk_size)
    if chunk_size < 1:
        raise GenomedataError(f"chunk size must be a positive number of rows, not {chunk_size}")
    archive.check_writable_format("adding tracks")
    layouts = list(iter_layouts(archive))
    filters = _track_filters(archive, layouts, compression)
    # refuse before changing anything, in every file
    with HDF5_LOCK:
        files = list(archive.genome_files())
        for manager in files:
            existing = read_tracknames(manager.acquire().root._v_attrs)
            _check_new_names(archive.path, existing, names)
    if not names:
        return
    with HDF5_LOCK:
        for manager in files:
            attrs = manager.acquire().root._v_attrs
            current = attrs[fmt.ATTR_TRACKNAMES] if fmt.ATTR_TRACKNAMES in attrs._v_attrnames else None
            attrs[fmt.ATTR_TRACKNAMES] = _appended(current, names)
            if archive.layout == "dir":
                manager.close()
    for layout in layouts:
        say(verbose, f"  {layout.name}: adding {len(names)} track(s)")
        with HDF5_LOCK:
            h5 = layout.file.acquire()
            group = chrom_group(layout)
            set_dirty(group, True)
            if incomplete:
                set_incomplete(group, read_incomplete(group._v_attrs) + names)
            for i in range(len(layout.sc_names)):
                earray = continuous_of(layout, i)
                if earray is None:
                    length = int(layout.sc_ends[i] - layout.sc_starts[i])
                    earray = h5.create_earray(h5.get_node(layout.sc_path(i)), fmt.NODE_CONTINUOUS,
                                              fmt.CONTINUOUS_ATOM, (length, 0),
                                              chunkshape=(chunk_size, 1), filters=filters)
                before = earray.shape[1]
                earray.truncate(before + len(names))
                if earray.filters.complib.startswith("blosc2"):
                    _store_nan(earray, range(before, before + len(names)))
        release(archive, layout)
    archive.invalidate()


def open_data(gdarchive: str | os.PathLike, tracknames: Iterable[str], verbose: bool = False, *,
              chunk_size: int = fmt.CONTINUOUS_CHUNK_SHAPE[0],
              compression: str | None = None) -> None:
    """Open (create, all NaN) new tracks in an archive, ready for :func:`load_data`.

    Parameters
    ----------
    gdarchive : archive path (file or directory).
    tracknames : names of the new tracks, in column order.
    chunk_size : rows per HDF5 chunk of a ``continuous`` array created now
        (the reference's fixed 10,000).  Existing arrays keep theirs.
    compression : codec of the track arrays, when the archive has none yet:
        ``"zlib"`` (the default, what the reference writes), ``"blosc2-zstd"``
        or ``"blosc2-lz4"`` (faster scans; genomedata 1.7 reads them too,
        through PyTables' Blosc2 filter).  None: the archive's own codec (zlib
        if it has no tracks).  Tracks added later keep the archive's codec.

    Raises
    ------
    TrackExistsError
        A name is already in the archive, or given twice; nothing is changed.
    GenomedataError
        *compression* is unknown, or differs from the codec of the archive's tracks.
    UnsupportedError
        A version 0 archive.

    Examples
    --------
    >>> open_data("hg19.genomedata", ["dnase", "h3k4me3"])  # doctest: +SKIP
    """
    with borrow(gdarchive) as archive:
        add_tracks(archive, tracknames, chunk_size=chunk_size, verbose=verbose,
                   compression=compression)


def _store_nan(earray, cols) -> None:
    """Store a NaN chunk in every chunk of columns *cols* (lock held).

    PyTables' optimized Blosc2 slice reads (any PyTables reader of such an
    array, the reference included) look a chunk up by its number among the
    *stored* chunks, so in an array with unstored chunks they return another
    chunk's values (measured with PyTables 3.11, on arrays PyTables wrote
    itself).  Blosc2 arrays are therefore kept dense: ~300 bytes per
    all-NaN chunk of 10,000 rows.
    """
    io = ColumnChunks(earray)
    for col in cols:
        for chunk in range(io.nchunks):
            io.write_nan(chunk, col)
    io.close()


def nan_column(earray, col: int) -> None:
    """Write NaN over every stored chunk of one column (lock held).

    Chunks never written already read as the NaN fill value and stay unstored.
    """
    io = ColumnChunks(earray)
    for chunk in io.candidates(col, 0, io.nchunks):
        if io.allocated(chunk, col):
            io.write_nan(chunk, col)


def erase_tracks(archive: Archive, tracknames: Iterable[str], *, verbose: bool = False) -> None:
    """Write NaN over *tracknames* everywhere in an archive opened ``r+``.  See :func:`erase_data`."""
    names = _names_list(tracknames)
    layouts = list(iter_layouts(archive))
    # unknown names fail before anything is written
    for layout in layouts:
        for name in names:
            track_column(archive, layout, name)
        release(archive, layout)
    for layout in layouts:
        say(verbose, f"  {layout.name}: erasing {', '.join(names)}")
        cols = [track_column(archive, layout, name) for name in names]
        with HDF5_LOCK:
            # marked incomplete (on disk) while chunks change, cleared once all are NaN
            begin_track_write(layout, names)
            for i in range(len(layout.sc_names)):
                earray = continuous_of(layout, i)
                if earray is None:
                    continue
                for col in cols:
                    nan_column(earray, col)
            end_track_write(layout, names)
        release(archive, layout)


def erase_data(gdfilename: str | os.PathLike, trackname: str | Iterable[str],
               verbose: bool = False) -> None:
    """Erase (set to NaN) all data of a track, keeping its name and column.

    The track can then be reloaded with :func:`load_data`.  Also clears the
    mark a failed load leaves.  *trackname* may be one name or a list.

    Raises
    ------
    TrackNotFoundError
        A name is not in the archive (nothing is changed).

    Examples
    --------
    >>> erase_data("hg19.genomedata", "dnase")  # doctest: +SKIP
    """
    names = _names_list(trackname)
    say(verbose, f"erasing data for track(s): {', '.join(names)}")
    with borrow(gdfilename) as archive:
        erase_tracks(archive, names, verbose=verbose)
    say(verbose, "done")

__all__ = [
    "add_tracks",
    "erase_data",
    "erase_tracks",
    "nan_column",
    "open_data",
]
