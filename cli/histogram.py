"""genomedata-histogram: print a histogram of one track's values."""

from __future__ import annotations

import argparse
import math

import numpy as np

from ._common import (
    CommandError, add_version, make_parser, positive_int, run, stale_statistics_ok, write_lines,
)

PROG = "genomedata-histogram"

#: Rows read at a time: memory stays at a few MB whatever the genome size.
BLOCK_ROWS = 1_000_000

#: Column names of the output, as genomedata 1.7 meant to print them.
FIELDNAMES = ("lower_edge", "count")


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(
        PROG,
        "Print a histogram of the finite values of one track of a Genomedata "
        "archive: a 'lower_edge<TAB>count' header, one line per bin (the bin's "
        "lower edge and its count) and a last line with the upper edge of the "
        "last bin and NA. The bins divide [minimum, maximum] of the whole track "
        "equally, also with --include-coords, so histograms of different regions "
        "share their bins. NaN and infinite values are not counted.")
    add_version(parser, PROG)
    parser.add_argument("gdarchive", help="Genomedata archive")
    parser.add_argument("trackname", help="track name")
    parser.add_argument("--include-coords", metavar="FILE",
                        help="count only the bases inside the regions of this BED file "
                             "(plain or .gz; overlapping regions count once)")
    parser.add_argument("-b", "--num-bins", metavar="BINS", type=positive_int, default=100,
                        help="number of bins (default: 100)")
    return parser


# --- regions ------------------------------------------------------------------

Regions = dict[str, tuple[np.ndarray, np.ndarray]]


def read_regions(filename: str) -> Regions:
    """Merged, sorted ``(starts, ends)`` per chromosome from a BED file
    (overlapping or adjacent regions become one, so no base counts twice)."""
    from gdxarray.parsers import read_regions as read

    return read(filename)


# --- data ---------------------------------------------------------------------

def _region_blocks(chrom, track_index: int, starts: np.ndarray, ends: np.ndarray):
    """Values inside the regions, read window by window within supercontigs."""
    from gdxarray.intervals import cover_mask

    for supercontig in chrom.supercontigs[chrom.start:chrom.end]:
        sc_start, sc_end = int(supercontig.start), int(supercontig.end)
        for window in range(sc_start, sc_end, BLOCK_ROWS):
            w_end = min(window + BLOCK_ROWS, sc_end)
            first = int(np.searchsorted(ends, window, side="right"))
            last = int(np.searchsorted(starts, w_end, side="left"))
            if first >= last:
                continue
            r_starts = np.clip(starts[first:last], window, w_end)
            r_ends = np.clip(ends[first:last], window, w_end)
            lo, hi = int(r_starts[0]), int(r_ends[-1])
            values = np.asarray(chrom[lo:hi, track_index])
            yield values[cover_mask(r_starts - lo, r_ends - lo, hi - lo)]


def _blocks(genome, track_index: int, regions: Regions | None):
    """Yield the track's stored values block by block, inside *regions* if given.

    Only supercontigs are read (gaps hold no data), at most BLOCK_ROWS bases
    at a time.
    """
    for chrom in genome:
        if regions is None:
            for _, block in chrom.iter_blocks(track_index, BLOCK_ROWS):
                yield np.asarray(block).reshape(-1)
        elif chrom.name in regions:
            yield from _region_blocks(chrom, track_index, *regions[chrom.name])


def _finite(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values)]


def _track_range(genome, track_index: int) -> tuple[float, float]:
    """[min, max] of the track: the archive's statistics, or a scan if stale."""
    from gdxarray.errors import ChromosomeDirtyError

    try:
        return float(genome.mins[track_index]), float(genome.maxs[track_index])
    except ChromosomeDirtyError:
        pass
    low, high = math.inf, -math.inf
    for block in _blocks(genome, track_index, None):
        block = _finite(block)
        if block.size:
            low, high = min(low, float(block.min())), max(high, float(block.max()))
    return low, high


def histogram(genome, trackname: str, num_bins: int,
              regions: Regions | None = None,
              ) -> tuple[np.ndarray, np.ndarray]:
    """Counts and edges, accumulated block by block (same result as
    ``numpy.histogram`` of all the finite values at once)."""
    track_index = genome.index_continuous(trackname)
    if regions is not None:
        missing = sorted(set(regions) - {chrom.name for chrom in genome})
        if missing:
            from gdxarray.errors import ChromosomeNotFoundError

            raise ChromosomeNotFoundError(
                f"--include-coords names chromosomes not in the archive: "
                f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
    data_range = _track_range(genome, track_index)
    if not all(map(math.isfinite, data_range)):
        raise CommandError(f"track {trackname!r} has no finite values")
    # numpy float64 bounds (not Python floats, which numpy 2 treats as "weak"
    # and would demote to float32 for float32 data): float64 edges, as
    # genomedata 1.7 computed them from its float64 statistics
    data_range = (np.float64(data_range[0]), np.float64(data_range[1]))
    counts, edges = np.histogram(np.array([], dtype=np.float32), bins=num_bins,
                                 range=data_range)
    counts = counts.astype(np.int64)
    for block in _blocks(genome, track_index, regions):
        block = _finite(block)
        if block.size:
            counts += np.histogram(block, bins=num_bins, range=data_range)[0]
    return counts, edges


def _lines(counts: np.ndarray, edges: np.ndarray):
    yield "\t".join(FIELDNAMES)
    for edge, count in zip(edges.tolist(), counts.tolist() + ["NA"]):
        yield f"{edge!r}\t{count}"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> None:
        from gdxarray.genome import Genome

        regions = None if args.include_coords is None else read_regions(args.include_coords)
        with stale_statistics_ok(), Genome(args.gdarchive) as genome:
            counts, edges = histogram(genome, args.trackname, args.num_bins, regions)
        write_lines(_lines(counts, edges))

    return run(PROG, body, pipe_safe=True)


if __name__ == "__main__":
    raise SystemExit(main())

__all__ = ["build_parser", "histogram", "main", "read_regions"]
