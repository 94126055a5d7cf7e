"""``xarray.open_dataset(path, engine="genomedata")``: archives and bigWig files.

>>> import xarray as xr                                                  # doctest: +SKIP
>>> ds = xr.open_dataset("hg38.genomedata", engine="genomedata")          # whole genome
>>> chr2 = xr.open_dataset("hg38.genomedata", engine="genomedata", group="chr2")
>>> tree = xr.open_datatree("hg38.genomedata", engine="genomedata")      # one node per chromosome
>>> many = xr.open_mfdataset(bigwigs, engine="genomedata", combine="nested",
...                          concat_dim="track", chrom_sizes=bigwigs)

Pass ``engine="genomedata"``: xarray's netCDF engines claim any HDF5 file
before this one is asked.  See ``docs/xarray.md`` for layouts and chunking.

The entry point only parses options and asks :class:`~gdxarray.backends.store.GenomedataStore`
for datasets.  May import: store (content sniffing), backends.store.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import xarray as xr
from xarray.backends import BackendEntrypoint

from ..store import is_bigwig, is_genomedata
from .store import GenomedataStore


def _as_path(filename_or_obj) -> str:
    if isinstance(filename_or_obj, (str, os.PathLike)):
        return os.path.expanduser(os.fspath(filename_or_obj))
    raise TypeError("the genomedata engine opens paths (an archive file or directory, or a "
                    f"bigWig file), not {type(filename_or_obj).__name__}")


def _normalize_group(group) -> str | None:
    if group is None:
        return None
    group = str(group).strip("/")
    return group or None


def _drop_set(drop_variables) -> set[str]:
    if drop_variables is None:
        return set()
    if isinstance(drop_variables, str):
        return {drop_variables}
    return set(drop_variables)


class GenomedataBackendEntrypoint(BackendEntrypoint):
    """xarray engine ``"genomedata"``: Genomedata archives (file or directory) and bigWig.

    Keyword options of ``open_dataset``:

    group : str, optional
        A chromosome name: one chromosome with a ``position`` range coordinate.
        Without it the whole genome opens, chromosomes end to end along
        ``position``, with lazy ``chrom`` and ``pos`` coordinates.
    chrom_sizes : mapping, path or list of paths, optional
        The chromosomes (and order) of the whole-genome layout: a ``{name: length}``
        mapping, an archive, a bigWig or a sizes file, or a list of them (their
        union).  Chromosomes the file lacks read as NaN without I/O.  Give every
        file of an ``open_mfdataset`` the same value so no alignment is needed.
    drop_variables : str or list of str, optional
        Variables not to create (``"seq"``, ``"continuous"``, statistics).
    """

    description = "Genomedata archives and bigWig files as lazy (position, track) arrays"
    url = "https://github.com/hoffmangroup/genomedata (format); see docs/xarray.md in gdxarray"
    open_dataset_parameters = ("filename_or_obj", "drop_variables", "group", "chrom_sizes")

    def guess_can_open(self, filename_or_obj) -> bool:
        try:
            if not isinstance(filename_or_obj, (str, os.PathLike)):
                return False
            path = os.path.expanduser(os.fspath(filename_or_obj))
            return is_genomedata(path) or is_bigwig(path)
        except Exception:  # noqa: BLE001 - a guess never raises
            return False

    def open_dataset(self, filename_or_obj, *, drop_variables=None, group=None,
                     chrom_sizes=None) -> xr.Dataset:
        store = GenomedataStore.open(_as_path(filename_or_obj), chrom_sizes=chrom_sizes)
        group = _normalize_group(group)
        drop = _drop_set(drop_variables)
        try:
            ds = store.genome_dataset(drop) if group is None else store.chrom_dataset(group, drop)
        except Exception:
            store.close()
            raise
        ds.set_close(store.close)
        return ds

    def open_groups_as_dict(self, filename_or_obj, *, drop_variables=None, group=None,
                            chrom_sizes=None) -> dict[str, xr.Dataset]:
        store = GenomedataStore.open(_as_path(filename_or_obj), chrom_sizes=chrom_sizes)
        drop = _drop_set(drop_variables)
        group = _normalize_group(group)
        names: Iterable[str] = [group] if group is not None else list(store.sizes)
        groups = {"/": store.root_dataset()}
        for name in names:
            # dirty chromosomes warn when their statistics are read, not here: a
            # check per node would read every chromosome's attributes at open
            groups[f"/{name}"] = store.chrom_dataset(name, drop, check_dirty=False)
        groups["/"].set_close(store.close)
        return groups

    def open_datatree(self, filename_or_obj, *, drop_variables=None, group=None,
                      chrom_sizes=None) -> xr.DataTree:
        groups = self.open_groups_as_dict(filename_or_obj, drop_variables=drop_variables,
                                          group=group, chrom_sizes=chrom_sizes)
        return xr.DataTree.from_dict(groups)


__all__ = ["GenomedataBackendEntrypoint", "GenomedataStore"]
