"""genomedata-load in one call: load-seq, open-data, load-data per track and
close-data, built in a temporary sibling and renamed over the output.

Unlike the reference there is no ``h5repack``/``zcat``/``bedtools``/
``bigWigToBedGraph`` step: everything runs in-process, and the files keep the
shuffle + deflate filters the step-by-step tools write.
"""

from __future__ import annotations

import os
from typing import Mapping

from .. import format as fmt
from ..errors import ArchiveExistsError, GenomedataError, ParseError
from ..store import Archive
from ._common import expand, install, remove_path, say, temp_sibling
from .close import close_archive
from .data import load_track
from .seq import _as_list, _check_type, build_seq, resolve_mode
from .tracks import add_tracks


def _track_pairs(tracks) -> list[tuple[str, object]]:
    if tracks is None:
        return []
    items = tracks.items() if isinstance(tracks, Mapping) else tracks
    pairs = []
    for item in items:
        try:
            name, path = item
        except (TypeError, ValueError):
            raise GenomedataError(f"a track must be a (name, file) pair, not {item!r}") from None
        pairs.append((str(name), path))
    return pairs


def _require_file(path, what: str) -> None:
    if isinstance(path, (str, os.PathLike)) and os.fspath(path) != "-":
        if not os.path.isfile(os.path.expanduser(os.fspath(path))):
            raise ParseError(f"cannot open {what} file: no such file", source=os.fspath(path))


def load_genomedata(gdfilename, tracks=None, seqfilenames=None, mode: str | None = None,
                    seqfile_type: str = "fasta", chunk_size: int = fmt.CONTINUOUS_CHUNK_SHAPE[0],
                    assembly_report_file=None,
                    chromosome_name_style: str = fmt.DEFAULT_NAME_STYLE,
                    maskfilename=None, verbose: bool = False, *,
                    gap_length: int = fmt.MIN_GAP_LEN, strict_chromosomes: bool = False,
                    compression: str = fmt.DEFAULT_COMPRESSION):
    """Create a complete archive: sequence, tracks and statistics, in one step.

    Parameters
    ----------
    gdfilename : output archive; an existing one is replaced (as the reference).
    tracks : ``[(name, file), ...]`` or ``{name: file}``; a name given twice
        loads both files into one track (they must not overlap).
    seqfilenames : FASTA files (or AGP / sizes, see *seqfile_type*).
    mode : ``"file"``, ``"dir"`` or None (directory below
        :data:`~gdxarray.format.FILE_MODE_CHROMS` sequences).
    chunk_size : rows per HDF5 chunk of the track arrays.
    maskfilename : BED file: only track data inside its regions is loaded.
    strict_chromosomes : track lines on sequences the archive lacks are an
        error (by default they are skipped with one warning line on stderr).
    compression : codec of the track arrays: ``"zlib"`` (what the reference
        writes), ``"blosc2-zstd"`` or ``"blosc2-lz4"`` (see
        :func:`~gdxarray.writer.open_data`).

    Returns
    -------
    str
        *gdfilename*, as the reference returns it.

    Examples
    --------
    >>> load_genomedata("out.genomedata", [("dnase", "dnase.bedGraph.gz")],
    ...                 ["hg19.fa.gz"], mode="file")  # doctest: +SKIP
    """
    _check_type(seqfile_type)
    try:
        fmt.compression_filters(compression)
    except ValueError as exc:
        raise GenomedataError(str(exc)) from None
    target = expand(gdfilename)
    seqfilenames = _as_list(seqfilenames) if seqfilenames is not None else []
    if not seqfilenames:
        raise GenomedataError("No sequence files specified.")
    what = "sequence" if seqfile_type == "fasta" else seqfile_type
    for path in seqfilenames:
        _require_file(path, what)
    pairs = _track_pairs(tracks)
    for _, path in pairs:
        _require_file(path, "track")
    if maskfilename is not None:
        _require_file(maskfilename, "mask")
    names = list(dict.fromkeys(name for name, _ in pairs))
    mode = resolve_mode(mode, seqfilenames, seqfile_type, verbose)
    if mode == "file" and target.is_dir():
        raise ArchiveExistsError(f"{target} is a directory; a file archive cannot replace it")
    if mode == "dir" and target.exists() and not target.is_dir():
        raise ArchiveExistsError(f"{target} exists and is not a directory")

    tmp = temp_sibling(target, directory=(mode == "dir"))
    say(verbose, f">> using temporary Genomedata archive: {tmp}")
    try:
        build_seq(tmp, mode, seqfilenames, seqfile_type=seqfile_type,
                  assembly_report_file=assembly_report_file,
                  chromosome_name_style=chromosome_name_style, gap_length=gap_length,
                  verbose=verbose, final=target)
        archive = Archive(tmp, "r+", layout=mode)
        archive._writer_owned = True
        try:
            if names:
                say(verbose, f">> opening {len(names)} track(s)")
                add_tracks(archive, names, chunk_size=chunk_size, verbose=verbose,
                           compression=compression)
                for name, path in pairs:
                    load_track(archive, name, path, maskfile=maskfilename, verbose=verbose,
                               strict_chromosomes=strict_chromosomes)
            close_archive(archive, verbose=verbose)
        finally:
            archive.close()
        install(tmp, target, mode, overwrite=True)
    except BaseException:
        remove_path(tmp)
        raise
    say(verbose, f"===== Genomedata archive successfully created: {gdfilename} =====")
    return gdfilename


__all__ = ["load_genomedata"]
