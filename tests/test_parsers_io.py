"""Input opening: gzip/BGZF/binary detection, stdin, errors naming the file.

Expected values come from the file contents themselves (Python's ``float``,
hand-computed coordinates) or from independent readers (pyBigWig, the
reference genomedata's own functions), never from the parser under test.
"""

from __future__ import annotations

import gzip
import io
import sys
import zlib

import numpy as np
import pytest

from gdxarray.errors import GenomedataError, ParseError
from gdxarray.format import BIGWIG_MAGICS, HDF5_MAGIC
from gdxarray.parsers import (
    open_input,
    read_fasta,
    read_sizes,
    read_track,
)
from gdxarray.parsers._io import InputFileError

from _parser_helpers import concat, f32, intervals, raises_at, write, _rows  # noqa: F401


# --- open_input ----------------------------------------------------------------------------

class TestOpenInput:
    def test_plain_path_and_display_name(self, tmp_path):
        path = write(tmp_path, "a.txt", b"hello\n")
        with open_input(path) as (reader, shown):
            assert reader.read(100) == b"hello\n"
            assert reader.read(100) == b""
        assert shown == str(path)
        with open_input(str(path), name="shown.txt") as (_, shown):
            assert shown == "shown.txt"

    def test_gzip_detected_by_content_not_suffix(self, tmp_path):
        path = write(tmp_path, "plain_name.txt", b"chr1 0 10 1\n", gz=True)
        with open_input(path) as (reader, _):
            assert reader.read(-1) == b"chr1 0 10 1\n"

    def test_multi_member_gzip(self, tmp_path):
        data = gzip.compress(b"first\n") + gzip.compress(b"") + gzip.compress(b"second\n")
        path = write(tmp_path, "multi.gz", data + b"\x00" * 10)  # NUL padding is tolerated
        with open_input(path) as (reader, _):
            out = b"".join(iter(lambda: reader.read(3), b""))
        assert out == b"first\nsecond\n"

    def test_truncated_gzip(self, tmp_path):
        payload = np.random.default_rng(0).integers(0, 10, 200_000).astype(str)
        data = gzip.compress("\n".join(payload).encode())
        path = write(tmp_path, "cut.gz", data[: len(data) // 2])
        with pytest.raises(ParseError, match="truncated or corrupt gzip data") as info:
            with open_input(path) as (reader, _):
                while reader.read(1 << 16):
                    pass
        assert info.value.source == str(path)

    def test_corrupt_gzip(self, tmp_path):
        data = bytearray(gzip.compress(b"chr1 0 10 1\n" * 5000))
        data[40:60] = b"\xff" * 20
        path = write(tmp_path, "bad.gz", bytes(data))
        with pytest.raises(ParseError, match="truncated or corrupt gzip data"):
            list(read_track(path))

    def test_crc_mismatch_is_corrupt(self, tmp_path):
        data = bytearray(gzip.compress(b"chr1 0 10 1\n"))
        data[-8] ^= 0xFF  # CRC32 of the member
        path = write(tmp_path, "crc.gz", bytes(data))
        with pytest.raises(ParseError, match="truncated or corrupt gzip data"):
            list(read_track(path))

    def test_garbage_after_gzip(self, tmp_path):
        path = write(tmp_path, "tail.gz", gzip.compress(b"chr1 0 10 1\n") + b"garbage")
        with pytest.raises(ParseError, match="truncated or corrupt gzip data"):
            list(read_track(path))

    @pytest.mark.parametrize("head, what", [
        (b"chr1\t0\t10\t1\n\x00\x00", "NUL"),
        (HDF5_MAGIC + b"\x00" * 100, "HDF5"),
        (BIGWIG_MAGICS[0] + b"\x00" * 100, "bigWig"),
        (BIGWIG_MAGICS[1] + b"\x00" * 100, "bigWig"),
    ])
    def test_binary_input(self, tmp_path, head, what):
        path = write(tmp_path, "x.fa", head)
        with pytest.raises(ParseError, match=f"binary file, not text.*{what}"):
            list(read_fasta(path))

    def test_binary_inside_gzip(self, tmp_path):
        path = write(tmp_path, "x.gz", b"ACGT\x00\x00", gz=True)
        with pytest.raises(ParseError, match="binary file, not text"):
            list(read_sizes(path))

    def test_open_file_object_left_open(self):
        buffer = io.BytesIO(b"chr1 0 10 1.5\n")
        assert intervals(buffer) == [("chr1", 0, 10, 1.5, 1)]
        assert not buffer.closed

    def test_stdin(self, monkeypatch):
        class FakeStdin:
            buffer = io.BytesIO(b"chr1 0 10 2\nchr1 10 20 x\n")
        monkeypatch.setattr(sys, "stdin", FakeStdin())
        with pytest.raises(ParseError, match=r"^<stdin>:2: non-numeric value 'x'$") as info:
            list(read_track("-"))
        assert info.value.source == "<stdin>" and info.value.line == 2

    def test_missing_file(self, tmp_path):
        with pytest.raises(InputFileError) as info:
            list(read_track(tmp_path / "missing.bedGraph"))
        assert isinstance(info.value, GenomedataError) and isinstance(info.value, OSError)
        assert "missing.bedGraph" in str(info.value)


# --- bedGraph -----------------------------------------------------------------------------


def test_zlib_sanity():  # the gzip reader relies on zlib's gzip wrapper checking the trailer
    bad = bytearray(gzip.compress(b"abc"))
    bad[-1] ^= 1
    with pytest.raises(zlib.error):
        zlib.decompressobj(wbits=31).decompress(bytes(bad))
