"""The loaders under their reference names (``genomedata.load_genomedata``,
``genomedata._load_seq.load_seq``, ...), for scripts that build archives.

>>> from gdxarray.load import load_genomedata
>>> load_genomedata("out.genomedata", [("signal", "signal.bedGraph")],
...                 ["genome.fa"], mode="file")  # doctest: +SKIP
"""

from __future__ import annotations

from .writer import (
    LoadDataSummary, close_data, erase_data, hardmask_data, load_data, load_genomedata, load_seq,
    open_data, parse_hardmask_operator,
)

__all__ = sorted([
    "LoadDataSummary", "close_data", "erase_data", "hardmask_data", "load_data",
    "load_genomedata", "load_seq", "open_data", "parse_hardmask_operator",
])
