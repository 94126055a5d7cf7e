"""load-seq: start an archive from FASTA, AGP or chromosome sizes.

Writes exactly the reference's layout (FORMAT.md sections 1-3 and 7) into a
temporary sibling of the target and renames it into place at the end, so a
failure never leaves a half-written archive behind.
"""

from __future__ import annotations

import io
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np
import tables

from .. import format as fmt
from ..errors import ArchiveExistsError, GenomedataError, ParseError
from ..store import HDF5_LOCK, ChromLayout, FileManager, write_index
from . import _undo
from ._common import (
    COMPRESS_THREADS, chrom_file_name, expand, install, quiet_pytables, remove_path, say,
    set_dirty, temp_sibling, write_seq,
)

SEQFILE_TYPES = ("fasta", "agp", "sizes")
MODES = ("file", "dir")
_UINT32_MAX = int(np.iinfo(np.uint32).max)
_RESERVED_NAMES = frozenset({fmt.INDEX_CHROMS, fmt.INDEX_SUPERCONTIGS, "", ".", ".."})


def _as_list(filenames: str | os.PathLike | Iterable) -> list:
    if isinstance(filenames, (str, os.PathLike)):
        return [filenames]
    return list(filenames)


def _check_type(seqfile_type: str) -> None:
    if seqfile_type not in SEQFILE_TYPES:
        raise GenomedataError(f"unknown sequence file type {seqfile_type!r} "
                              f"(use one of: {', '.join(SEQFILE_TYPES)})")


def resolve_mode(mode: str | None, filenames: Sequence, seqfile_type: str,
                 verbose: bool = False) -> str:
    """``"file"`` or ``"dir"``; None follows the documented threshold.

    Fewer than :data:`~gdxarray.format.FILE_MODE_CHROMS` sequences make a
    directory archive, otherwise a single file.
    """
    if mode is None:
        from ..parsers import count_sequences

        count = count_sequences(filenames, seqfile_type)
        mode = "dir" if count < fmt.FILE_MODE_CHROMS else "file"
        say(verbose, f"found {count} sequences: making a "
                     f"{'directory' if mode == 'dir' else 'single-file'} archive")
    if mode not in MODES:
        raise GenomedataError(f"unsupported mode {mode!r} (use 'file', 'dir' or None)")
    return mode


def _assembly_report(source):
    if source is None:
        return None
    from ..parsers import read_assembly_report

    if isinstance(source, (str, os.PathLike)):
        return read_assembly_report(source)
    data = source.read()  # an open file, text (as argparse.FileType gives) or binary
    if isinstance(data, str):
        data = data.encode()
    buffer = io.BytesIO(data)
    buffer.name = getattr(source, "name", "<assembly report>")
    return read_assembly_report(buffer)


def _records(filenames: Sequence, seqfile_type: str, gap_length: int, verbose: bool) -> Iterator:
    from .. import parsers

    for filename in filenames:
        say(verbose, f"reading {os.fspath(filename)}")
        if seqfile_type == "fasta":
            yield from parsers.read_fasta(filename, gap_length=gap_length)
        elif seqfile_type == "agp":
            yield from parsers.read_agp(filename)
        else:
            yield from parsers.read_sizes(filename)


class _SeqWriter:
    """Creates chromosomes one by one in a (temporary) archive."""

    def __init__(self, path: Path, mode: str, final: Path, pool: ThreadPoolExecutor) -> None:
        self.path = path
        self.mode = mode
        self.final = final
        self.pool = pool
        self.layouts: list[ChromLayout] = []
        self.h5: tables.File | None = None
        if mode == "file":
            self.h5 = self._open(path)

    @staticmethod
    def _open(path: Path) -> tables.File:
        # filters on the file make the root carry FILTERS, as the reference's files do
        h5 = tables.open_file(str(path), "w", filters=fmt.FILTERS, **fmt.OPEN_FILE_KWARGS)
        h5.root._v_attrs[fmt.ATTR_FORMAT_VERSION] = np.int64(fmt.FORMAT_VERSION)
        return h5

    def add(self, name: str, length: int, starts: np.ndarray, ends: np.ndarray,
            seq: np.ndarray | None) -> None:
        starts = np.asarray(starts, dtype=np.int64)
        ends = np.asarray(ends, dtype=np.int64)
        if self.mode == "file":
            h5 = self.h5
            group = h5.create_group("/", name, filters=fmt.FILTERS)
            where = f"/{name}"
            manager = FileManager(self.final)
        else:
            h5 = self._open(self.path / chrom_file_name(name))
            group = h5.root
            where = "/"
            manager = FileManager(self.final / chrom_file_name(name))
        try:
            attrs = group._v_attrs
            set_dirty(group, True)
            attrs[fmt.ATTR_START] = np.uint32(0)
            attrs[fmt.ATTR_END] = np.uint32(length)
            names = []
            for i, (start, end) in enumerate(zip(starts.tolist(), ends.tolist())):
                sc_name = fmt.SUPERCONTIG_NAME_FMT % i
                names.append(sc_name)
                sc = h5.create_group(group, sc_name, filters=fmt.FILTERS)
                sc_attrs = sc._v_attrs
                sc_attrs[fmt.ATTR_START] = np.uint32(start)
                sc_attrs[fmt.ATTR_END] = np.uint32(end)
                if seq is not None:
                    write_seq(h5, sc, seq[start:end], self.pool)
        finally:
            if self.mode == "dir":
                h5.close()
        self.layouts.append(ChromLayout(name, 0, int(length), starts, ends, names, manager, where))

    def finish(self) -> None:
        if self.h5 is not None:
            write_index(self.h5, self.layouts)
            self.h5.close()
            self.h5 = None

    def abort(self) -> None:
        if self.h5 is not None:
            try:
                self.h5.close()
            except Exception:  # noqa: BLE001 - already failing
                pass
            self.h5 = None


def _name_max(where: Path | None) -> int:
    """Longest file name (bytes) the file system of *where* allows (255 on most)."""
    try:
        return int(os.pathconf(where if where is not None and where.exists() else ".",
                               "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):  # no pathconf (Windows): the usual limit
        return 255


def _check_name(name: str, rec, mode: str, clash_dir: Path | None) -> None:
    source, line = getattr(rec, "source", None), getattr(rec, "line", None)
    if name in _RESERVED_NAMES or "/" in name or "\x00" in name:
        raise ParseError(f"chromosome name {name!r} cannot be stored in an archive",
                         source=source, line=line)
    try:
        name.encode(fmt.ENCODING)
    except UnicodeEncodeError:
        raise ParseError(f"chromosome name {name!r} is not ASCII", source=source,
                         line=line) from None
    if mode == "dir":
        limit = _name_max(clash_dir)
        if len(chrom_file_name(name).encode(fmt.ENCODING)) > limit:
            raise ParseError(f"chromosome name {name[:40]}... ({len(name)} characters) is too long "
                             f"for a file name of a directory archive ({limit} bytes at most, "
                             f"with {fmt.SUFFIX!r}); make a file archive (-f/--file-mode)",
                             source=source, line=line)
    if mode == "dir" and clash_dir is not None and (clash_dir / chrom_file_name(name)).exists():
        raise ArchiveExistsError(f"{clash_dir / chrom_file_name(name)} already exists "
                                 "(load-seq never overwrites a chromosome)")


def build_seq(path: Path, mode: str, filenames: Sequence, *, seqfile_type: str = "fasta",
              assembly_report_file=None, chromosome_name_style: str = fmt.DEFAULT_NAME_STYLE,
              gap_length: int = fmt.MIN_GAP_LEN, verbose: bool = False,
              final: Path | None = None, clash_dir: Path | None = None) -> list[ChromLayout]:
    """Write the chromosomes of *filenames* into *path* (a new file, or an empty directory).

    *final* is where the archive will live once renamed (recorded in the
    layouts); *clash_dir* an existing directory whose chromosome files must
    not be overwritten.
    """
    _check_type(seqfile_type)
    final = final or path
    report = _assembly_report(assembly_report_file)
    seen: dict[str, tuple] = {}
    with ThreadPoolExecutor(COMPRESS_THREADS) as pool, quiet_pytables():
        with HDF5_LOCK:
            writer = _SeqWriter(path, mode, final, pool)
        try:
            for rec in _records(filenames, seqfile_type, gap_length, verbose):
                name = rec.name
                if report is not None:
                    try:
                        name = report.translate(name, chromosome_name_style)
                    except KeyError as exc:  # unknown name or style: point at the record
                        problem = getattr(exc, "problem", None) or str(exc)
                        where = getattr(exc, "source", None)
                        raise ParseError(f"{problem} ({where})" if where else problem,
                                         source=rec.source, line=rec.line) from None
                name = "_".join(str(name).split())
                if name in seen:
                    first = seen[name]
                    raise ParseError(f"duplicate chromosome name {name!r} (first defined at "
                                     f"{first[0]}:{first[1]})", source=rec.source, line=rec.line)
                seen[name] = (rec.source, rec.line)
                _check_name(name, rec, mode, clash_dir)
                length = int(rec.length)
                if length > _UINT32_MAX:
                    raise ParseError(f"chromosome {name} is {length} bp long; the format "
                                     "stores positions as uint32 (< 4 Gbp)",
                                     source=rec.source, line=rec.line)
                say(verbose, f"  {name}: {length} bp, {len(rec.starts)} supercontig(s)")
                with HDF5_LOCK:
                    writer.add(name, length, rec.starts, rec.ends, rec.seq)
                _undo.kill_point("seq")
            with HDF5_LOCK:
                writer.finish()
        except BaseException:
            with HDF5_LOCK:
                writer.abort()
            raise
    return writer.layouts


def load_seq(gdfilename: str | os.PathLike, filenames, verbose: bool = False,
             mode: str | None = None, seqfile_type: str = "fasta", assembly_report_file=None,
             chromosome_name_style: str = fmt.DEFAULT_NAME_STYLE, *,
             gap_length: int = fmt.MIN_GAP_LEN) -> None:
    """Create a Genomedata archive from sequence (FASTA), assembly (AGP) or sizes files.

    Parameters
    ----------
    gdfilename : archive to create: a file (``mode="file"``, must not exist) or a
        directory (``mode="dir"``; it may exist, but none of the new chromosome
        files may).
    filenames : sequence files (plain or gzip).
    mode : ``"file"``, ``"dir"``, or None: a directory when there are fewer than
        :data:`~gdxarray.format.FILE_MODE_CHROMS` sequences.
    seqfile_type : ``"fasta"``, ``"agp"`` or ``"sizes"``.
    assembly_report_file : NCBI assembly report (path or open file) to rename
        chromosomes to *chromosome_name_style*.
    gap_length : runs of at least this many non-ACGT bases split a FASTA
        sequence into supercontigs.

    Raises
    ------
    ArchiveExistsError
        The archive (file mode) or one of its chromosome files (dir mode) exists.
    ParseError
        Malformed input, or a chromosome name given twice.

    Examples
    --------
    >>> load_seq("hg19.genomedata", ["hg19.fa.gz"], mode="file")  # doctest: +SKIP
    """
    _check_type(seqfile_type)
    target = expand(gdfilename)
    filenames = _as_list(filenames)
    if not filenames:
        raise GenomedataError("no sequence files given")
    mode = resolve_mode(mode, filenames, seqfile_type, verbose)
    if mode == "file" and (target.exists() or target.is_symlink()):
        raise ArchiveExistsError(f"Genomedata archive already exists: {target} "
                                 "(load-seq never overwrites; remove it first)")
    if mode == "dir" and target.exists() and not target.is_dir():
        raise ArchiveExistsError(f"{target} exists and is not a directory")
    tmp = temp_sibling(target, directory=(mode == "dir"))
    try:
        build_seq(tmp, mode, filenames, seqfile_type=seqfile_type,
                  assembly_report_file=assembly_report_file,
                  chromosome_name_style=chromosome_name_style, gap_length=gap_length,
                  verbose=verbose, final=target,
                  clash_dir=target if mode == "dir" and target.is_dir() else None)
        install(tmp, target, mode, overwrite=False)
    except BaseException:
        remove_path(tmp)
        raise
    say(verbose, f"created {target}")

__all__ = [
    "COMPRESS_THREADS",
    "MODES",
    "SEQFILE_TYPES",
    "build_seq",
    "load_seq",
    "resolve_mode",
]
