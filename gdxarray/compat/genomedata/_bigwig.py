"""``genomedata._bigwig``: only what scripts use (``is_big_wig``); bigWig
files open with ``Genome`` as in the reference."""

from __future__ import annotations

import struct

from gdxarray.format import BIGWIG_MAGIC

BIG_WIG_SIGNATURE = BIGWIG_MAGIC
BIG_WIG_SIGNATURE_BYTE_SIZE = len(struct.pack("=L", BIG_WIG_SIGNATURE))


def is_big_wig(filename):
    """Whether *filename* is a bigWig file (its first four bytes, either byte order)."""
    from gdxarray.store import is_bigwig

    return is_bigwig(filename)
