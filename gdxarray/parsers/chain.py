"""UCSC chain files (liftOver's ``.over.chain``), plain or gzip, into numpy arrays.

The format (https://genome.ucsc.edu/goldenPath/help/chain.html)::

    chain SCORE tName tSize tStrand tStart tEnd qName qSize qStrand qStart qEnd [ID]
    SIZE DT DQ        # an aligned block of SIZE bases, then DT / DQ unaligned bases
    ...
    SIZE              # the last block
    <blank line>

UCSC's "t" (reference) side is what liftOver converts *from* and "q" *to*;
here they are called *source* and *target*.  Target coordinates of a chain on
the ``-`` strand count from the end of the target chromosome.

Everything is checked (field counts, integers, strands, blocks adding up to the
header's end coordinates, one size per chromosome across chains); a bad line is
a :class:`~gdxarray.errors.ParseError` naming file and line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParseError
from ._io import Source, open_input, read_all

__all__ = ["ChainSet", "read_chains"]


@dataclass
class ChainSet:
    """Every chain and aligned block of a chain file, as arrays.

    Per chain (file order): ``score`` (int64), ``source`` / ``target`` (index
    into ``source_names`` / ``target_names``), ``reverse`` (target strand is
    ``-``), ``ids`` (the header's id field or None), ``lines`` (header line).
    Per aligned block (chain by chain, in source order within a chain):
    ``block_chain``, ``block_source_start``, ``block_target_start`` (on the
    chain's target strand) and ``block_size``.
    """

    source_names: list[str]
    source_sizes: np.ndarray
    target_names: list[str]
    target_sizes: np.ndarray
    score: np.ndarray
    source: np.ndarray
    target: np.ndarray
    reverse: np.ndarray
    ids: list[str | None]
    lines: np.ndarray
    block_chain: np.ndarray
    block_source_start: np.ndarray
    block_target_start: np.ndarray
    block_size: np.ndarray
    name: str = "<chain>"


def _int(field: bytes, what: str, shown: str, line: int) -> int:
    try:
        value = int(field)
    except ValueError:
        raise ParseError(f"{what} {field.decode(errors='replace')!r} is not an integer",
                         source=shown, line=line) from None
    if value < 0:
        raise ParseError(f"{what} {value} is negative", source=shown, line=line)
    return value


def read_chains(source: Source, *, name: str | None = None) -> ChainSet:
    """Read a UCSC chain file (path, ``-`` or binary file; gzip by magic number).

    Raises
    ------
    ParseError
        A malformed line (naming file and line), a chain whose blocks do not
        end at its header's end coordinates, a chromosome given two sizes, or
        a file without any chain.
    """
    with open_input(source, name=name) as (reader, shown):
        text = read_all(reader)
    lines = text.split(b"\n")
    src_index: dict[str, int] = {}
    dst_index: dict[str, int] = {}
    src_sizes: list[int] = []
    dst_sizes: list[int] = []
    score, src, dst, rev, ids, header_lines = [], [], [], [], [], []
    starts_t: list[int] = []
    starts_q: list[int] = []
    sizes: list[int] = []
    dts: list[int] = []
    dqs: list[int] = []
    counts: list[int] = []

    def side(names: dict, known: list, fields, what: str, number: int) -> int:
        chrom = fields[0].decode(errors="replace")
        size = _int(fields[1], f"{what} size", shown, number)
        i = names.get(chrom)
        if i is None:
            names[chrom] = i = len(known)
            known.append(size)
        elif known[i] != size:
            raise ParseError(f"{what} chromosome {chrom} has size {size} here but "
                             f"{known[i]} in an earlier chain", source=shown, line=number)
        return i

    n = len(lines)
    i = 0
    while i < n:
        line = lines[i]
        number = i + 1
        i += 1
        fields = line.split()
        if not fields or fields[0].startswith(b"#"):
            continue
        if fields[0] != b"chain":
            raise ParseError("expected a 'chain' header line, found "
                             f"{line[:60].decode(errors='replace')!r}", source=shown, line=number)
        if len(fields) not in (12, 13):
            raise ParseError(f"a chain header has 12 or 13 fields, not {len(fields)}",
                             source=shown, line=number)
        chain_score = fields[1]
        try:
            score.append(int(chain_score))
        except ValueError:
            raise ParseError(f"chain score {chain_score.decode(errors='replace')!r} is not an "
                             "integer", source=shown, line=number) from None
        if fields[4] != b"+":
            raise ParseError(f"the reference (tStrand) strand must be '+', not "
                             f"{fields[4].decode(errors='replace')!r}", source=shown, line=number)
        if fields[9] not in (b"+", b"-"):
            raise ParseError(f"the query strand (qStrand) must be '+' or '-', not "
                             f"{fields[9].decode(errors='replace')!r}", source=shown, line=number)
        s_i = side(src_index, src_sizes, fields[2:4], "source (t)", number)
        d_i = side(dst_index, dst_sizes, fields[7:9], "target (q)", number)
        t_start = _int(fields[5], "tStart", shown, number)
        t_end = _int(fields[6], "tEnd", shown, number)
        q_start = _int(fields[10], "qStart", shown, number)
        q_end = _int(fields[11], "qEnd", shown, number)
        if t_end > src_sizes[s_i] or q_end > dst_sizes[d_i] or t_start > t_end or q_start > q_end:
            raise ParseError("chain coordinates lie outside their chromosome or end before "
                             "they start", source=shown, line=number)
        src.append(s_i)
        dst.append(d_i)
        rev.append(fields[9] == b"-")
        ids.append(fields[12].decode(errors="replace") if len(fields) == 13 else None)
        header_lines.append(number)
        starts_t.append(t_start)
        starts_q.append(q_start)
        # the alignment data lines: SIZE DT DQ ..., then SIZE alone
        first = len(sizes)
        t_pos, q_pos = t_start, q_start
        while True:
            if i >= n:
                raise ParseError("the chain ends without a last block line (one number)",
                                 source=shown, line=n)
            line = lines[i]
            number = i + 1
            i += 1
            f = line.split()
            if len(f) == 3:
                size = _int(f[0], "block size", shown, number)
                dt = _int(f[1], "dt", shown, number)
                dq = _int(f[2], "dq", shown, number)
                sizes.append(size)
                dts.append(dt)
                dqs.append(dq)
                t_pos += size + dt
                q_pos += size + dq
                continue
            if len(f) == 1:
                size = _int(f[0], "block size", shown, number)
                sizes.append(size)
                dts.append(0)
                dqs.append(0)
                t_pos += size
                q_pos += size
                break
            if not f:
                raise ParseError("the chain ends without a last block line (one number)",
                                 source=shown, line=number)
            raise ParseError(f"an alignment data line has 3 fields (size dt dq) or, last, 1; "
                             f"found {len(f)}", source=shown, line=number)
        if t_pos != t_end or q_pos != q_end:
            raise ParseError(f"the blocks of this chain end at {t_pos} / {q_pos}, but its header "
                             f"(line {header_lines[-1]}) says tEnd {t_end} / qEnd {q_end}",
                             source=shown, line=number)
        counts.append(len(sizes) - first)
    if not score:
        raise ParseError("no chain in this file", source=shown)

    size_a = np.array(sizes, dtype=np.int64)
    dt_a = np.array(dts, dtype=np.int64)
    dq_a = np.array(dqs, dtype=np.int64)
    count_a = np.array(counts, dtype=np.int64)
    block_chain = np.repeat(np.arange(len(counts), dtype=np.int64), count_a)
    # a block starts at its chain's start plus the sizes and gaps of the chain's earlier blocks
    first_block = np.cumsum(count_a) - count_a
    step_t = np.cumsum(size_a + dt_a) - (size_a + dt_a)
    step_q = np.cumsum(size_a + dq_a) - (size_a + dq_a)
    src_start = (np.array(starts_t, dtype=np.int64) - step_t[first_block])[block_chain] + step_t
    dst_start = (np.array(starts_q, dtype=np.int64) - step_q[first_block])[block_chain] + step_q
    return ChainSet(
        source_names=list(src_index), source_sizes=np.array(src_sizes, dtype=np.int64),
        target_names=list(dst_index), target_sizes=np.array(dst_sizes, dtype=np.int64),
        score=np.array(score, dtype=np.int64), source=np.array(src, dtype=np.int64),
        target=np.array(dst, dtype=np.int64), reverse=np.array(rev, dtype=bool), ids=ids,
        lines=np.array(header_lines, dtype=np.int64), block_chain=block_chain,
        block_source_start=src_start, block_target_start=dst_start, block_size=size_a,
        name=shown)
