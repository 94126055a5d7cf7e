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

    A well-formed file is read with array operations over its bytes (UCSC's
    hg38ToHg19, 236 k lines: ~25 ms); anything the fast reading does not
    recognise is read again line by line, which accepts the same files and
    names the line of any error.

    Raises
    ------
    ParseError
        A malformed line (naming file and line), a chain whose blocks do not
        end at its header's end coordinates, a chromosome given two sizes, or
        a file without any chain.
    """
    with open_input(source, name=name) as (reader, shown):
        text = read_all(reader)
    return _read_fast(text, shown) or _read_lines(text, shown)


def _read_lines(text: bytes, shown: str) -> ChainSet:
    """The line-by-line reading: every check, with the line of any error."""
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
    return _assemble(
        list(src_index), src_sizes, list(dst_index), dst_sizes, score, src, dst, rev, ids,
        header_lines, starts_t, starts_q, np.array(sizes, dtype=np.int64),
        np.array(dts, dtype=np.int64), np.array(dqs, dtype=np.int64), counts, shown)


def _assemble(src_names, src_sizes, dst_names, dst_sizes, score, src, dst, rev, ids,
              header_lines, starts_t, starts_q, size_a: np.ndarray, dt_a: np.ndarray,
              dq_a: np.ndarray, counts, shown: str) -> ChainSet:
    """The :class:`ChainSet` of checked headers and blocks (both readings end here)."""
    count_a = np.asarray(counts, dtype=np.int64)
    block_chain = np.repeat(np.arange(len(counts), dtype=np.int64), count_a)
    # a block starts at its chain's start plus the sizes and gaps of the chain's earlier blocks
    first_block = np.cumsum(count_a) - count_a
    step_t = np.cumsum(size_a + dt_a) - (size_a + dt_a)
    step_q = np.cumsum(size_a + dq_a) - (size_a + dq_a)
    src_start = (np.array(starts_t, dtype=np.int64) - step_t[first_block])[block_chain] + step_t
    dst_start = (np.array(starts_q, dtype=np.int64) - step_q[first_block])[block_chain] + step_q
    return ChainSet(
        source_names=src_names, source_sizes=np.array(src_sizes, dtype=np.int64),
        target_names=dst_names, target_sizes=np.array(dst_sizes, dtype=np.int64),
        score=np.array(score, dtype=np.int64), source=np.array(src, dtype=np.int64),
        target=np.array(dst, dtype=np.int64), reverse=np.array(rev, dtype=bool), ids=ids,
        lines=np.array(header_lines, dtype=np.int64), block_chain=block_chain,
        block_source_start=src_start, block_target_start=dst_start, block_size=size_a,
        name=shown)


# -- the fast reading -----------------------------------------------------------------
# byte classes by comparisons (a 256-entry lookup table indexed by 4 MB of bytes
# is 20x slower than these)
def _is_digit(a: np.ndarray) -> np.ndarray:
    return (a - np.uint8(48)) < 10


def _is_space(a: np.ndarray) -> np.ndarray:
    return (a == 32) | (a == 9) | (a == 13)


def _is_odd_space(a: np.ndarray) -> np.ndarray:
    """Bytes that bytes.split() splits at but the fast reading does not (and NUL)."""
    return (a == 11) | (a == 12) | (a == 0)


#: line kinds of the fast reading
_OTHER, _HEADER, _LAST, _BLOCK = 0, 1, 2, 3


def _read_fast(text: bytes, shown: str) -> ChainSet | None:
    """The chains of a well-formed file, from array operations; None when anything
    is unusual (the line-by-line reading then decides, and names any error).

    Accepts exactly what :func:`_read_lines` accepts, restricted to the plain
    forms: headers of 13 fields (or all of 12) with unsigned decimal numbers,
    data lines of digits separated by spaces or tabs, comments starting in
    the first column, blank lines between chains.
    """
    if not text.endswith(b"\n"):
        text += b"\n"
    buf = np.frombuffer(text, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    nonempty = ends > starts
    first = np.full(len(ends), 10, dtype=np.uint8)
    first[nonempty] = buf[starts[nonempty]]
    header = first == ord("c")
    data = _is_digit(first)
    # blank lines (and comments) only between chains; one with content after a
    # leading space is left to the line-by-line reading
    for i in np.flatnonzero(_is_space(first)).tolist():
        if text[starts[i]:ends[i]].strip():
            return None
    known = header | data | _is_space(first) | (first == 10) | (first == ord("#"))
    if not header.any() or not bool(known.all()):
        return None

    # every byte of a data line is a digit or a space; numbers are runs of digits
    inside = np.zeros(len(buf) + 1, dtype=np.int8)
    inside[starts[data]] = 1
    inside[ends[data]] = -1
    inside = np.cumsum(inside[:-1], dtype=np.int8).view(bool)
    digit = _is_digit(buf) & inside
    if bool((inside & ~digit & ~_is_space(buf)).any()):
        return None
    edge = np.diff(digit.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    tok_s = np.flatnonzero(edge == 1)
    tok_e = np.flatnonzero(edge == -1)
    numbers = _decimal(buf, tok_s, tok_e)
    if numbers is None:
        return None

    # data lines hold 3 numbers, the last of a chain 1; a chain is a header, then
    # its block lines, the last one ending it
    per_line = np.diff(np.searchsorted(tok_s, starts), append=len(tok_s))
    kind = np.full(len(ends), _OTHER, dtype=np.int8)
    kind[header] = _HEADER
    kind[data & (per_line == 3)] = _BLOCK
    kind[data & (per_line == 1)] = _LAST
    if bool((data & (kind == _OTHER)).any()):
        return None
    before = np.concatenate([[_OTHER], kind[:-1]])
    after = np.concatenate([kind[1:], [_OTHER]])
    is_data = (kind == _BLOCK) | (kind == _LAST)
    opens = (kind == _HEADER) | (kind == _BLOCK)
    if (bool((is_data & (before != _HEADER) & (before != _BLOCK)).any())
            or bool((opens & (after != _BLOCK) & (after != _LAST)).any())):
        return None

    heads = _headers(text, starts[header], ends[header])
    if heads is None:
        return None
    (src_names, src_sizes, dst_names, dst_sizes, score, src, dst, rev, ids, t_start, t_end,
     q_start, q_end) = heads

    rows = np.flatnonzero(is_data)
    first_tok = np.cumsum(per_line) - per_line
    at = first_tok[rows]
    size_a = numbers[at]
    block = kind[rows] == _BLOCK
    dt_a = np.where(block, numbers[np.minimum(at + 1, len(numbers) - 1)], 0)
    dq_a = np.where(block, numbers[np.minimum(at + 2, len(numbers) - 1)], 0)
    chain_of = np.cumsum(header)[rows] - 1
    counts = np.bincount(chain_of, minlength=len(score))
    firsts = np.cumsum(counts) - counts
    if (not np.array_equal(np.add.reduceat(size_a + dt_a, firsts), t_end - t_start)
            or not np.array_equal(np.add.reduceat(size_a + dq_a, firsts), q_end - q_start)):
        return None
    lines = np.flatnonzero(header) + 1
    return _assemble(src_names, src_sizes, dst_names, dst_sizes, score, src, dst, rev, ids,
                     lines, t_start, q_start, size_a, dt_a, dq_a, counts, shown)


def _decimal(buf: np.ndarray, s: np.ndarray, e: np.ndarray) -> np.ndarray | None:
    """The unsigned decimal numbers ``buf[s[k]:e[k]]``, or None if one is not (or
    has more than 18 digits)."""
    widths = e - s
    if not len(widths):
        return np.zeros(0, np.int64)
    if int(widths.min()) < 1 or int(widths.max()) > 18:
        return None
    out = np.empty(len(s), dtype=np.int64)
    for w in np.flatnonzero(np.bincount(widths)).tolist():  # one width at a time: a column per digit
        which = np.flatnonzero(widths == w)
        first = s[which]
        value = np.zeros(len(which), dtype=np.int64)
        for k in range(w):
            digit = buf[first + k] - np.uint8(48)
            if not bool((digit < 10).all()):
                return None
            value *= 10
            value += digit
        out[which] = value
    return out


def _gather(buf: np.ndarray, s: np.ndarray, e: np.ndarray) -> np.ndarray:
    """The fields ``buf[s[k]:e[k]]`` as a fixed-width bytes array (no NUL inside)."""
    width = max(1, int((e - s).max()))
    at = s[:, None] + np.arange(width)
    out = np.where(at < e[:, None], buf[np.minimum(at, len(buf) - 1)], 0).astype(np.uint8)
    return out.view(f"S{width}").reshape(-1)


def _headers(text: bytes, starts: np.ndarray, ends: np.ndarray):
    """The chain headers' fields as arrays, or None when any is unusual."""
    buf = np.frombuffer(text, dtype=np.uint8)
    mark = np.zeros(len(buf) + 1, dtype=np.int8)
    mark[starts] = 1
    mark[ends] = -1
    inside = np.cumsum(mark[:-1], dtype=np.int8).view(bool)
    # fields: runs of non-space bytes of the header lines (bytes.split's fields where
    # the only spaces are " \t\r"; anything else, NUL included, is left to the line
    # reading)
    solid = inside & ~_is_space(buf)
    if bool((solid & _is_odd_space(buf)).any()):
        return None
    edge = np.diff(solid.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    tok_s = np.flatnonzero(edge == 1)
    tok_e = np.flatnonzero(edge == -1)
    nchains = len(starts)
    per_line = np.bincount(np.searchsorted(starts, tok_s, side="right") - 1, minlength=nchains)
    width = int(per_line[0])
    if width not in (12, 13) or bool((per_line != width).any()):
        return None
    S, E = tok_s.reshape(nchains, width), tok_e.reshape(nchains, width)
    if (not bool((_gather(buf, S[:, 0], E[:, 0]) == b"chain").all())
            or not bool((E[:, [4, 9]] - S[:, [4, 9]] == 1).all())
            or not bool((buf[S[:, 4]] == ord("+")).all())
            or not bool(np.isin(buf[S[:, 9]], (ord("+"), ord("-"))).all())):
        return None
    numeric = {}
    for j in (1, 3, 5, 6, 8, 10, 11):
        numeric[j] = _decimal(buf, S[:, j], E[:, j])
        if numeric[j] is None:
            return None  # signs, underscores or huge numbers: the careful reading

    def side(name_col: int, size_col: int):
        names = _gather(buf, S[:, name_col], E[:, name_col])
        uniq, first, inverse = np.unique(names, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")  # names in order of first appearance
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        sizes = numeric[size_col]
        known = sizes[first[order]]
        index = rank[inverse.reshape(-1)]
        if not np.array_equal(known[index], sizes):
            return None
        return [n.decode(errors="replace") for n in uniq[order].tolist()], known, index

    src_side, dst_side = side(2, 3), side(7, 8)
    if src_side is None or dst_side is None:
        return None
    t_start, t_end, q_start, q_end = numeric[5], numeric[6], numeric[10], numeric[11]
    src_sizes, dst_sizes = src_side[1], dst_side[1]
    if bool(((t_end > src_sizes[src_side[2]]) | (q_end > dst_sizes[dst_side[2]])
             | (t_start > t_end) | (q_start > q_end)).any()):
        return None
    ids = ([c.decode(errors="replace") for c in _gather(buf, S[:, 12], E[:, 12]).tolist()]
           if width == 13 else [None] * nchains)
    rev = buf[S[:, 9]] == ord("-")
    return (src_side[0], src_sizes.tolist(), dst_side[0], dst_sizes.tolist(), numeric[1],
            src_side[2], dst_side[2], rev, ids, t_start, t_end, q_start, q_end)
