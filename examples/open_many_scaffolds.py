"""Measure ``xarray.open_dataset`` on an archive with many scaffolds.

    python examples/open_many_scaffolds.py [--n 39000] [--path many.genomedata]

Builds (unless *--path* exists) a file archive of *n* small scaffolds with
:func:`gdxarray.testing.make_genome` (PyTables writes ~18 ms per scaffold: about
12 minutes for 39,000), then times opening it whole-genome with and without
dask chunks in fresh processes, and the growth of peak memory.  Opening reads
the archive's layout index (two small tables), never one group per scaffold,
and builds nothing of genome length.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MEASURE = r"""
import resource, sys, time
import dask.array, xarray as xr, gdxarray  # imports are not part of the measurement
chunks = {"none": None, "{}": {}, "auto": "auto"}[sys.argv[2]]
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
ds = xr.open_dataset(sys.argv[1], engine="genomedata", chunks=chunks)
dt = time.perf_counter() - t
grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024
t = time.perf_counter()
sub = ds.sel(chrom=ds.xindexes["chrom"].layout.names[len(ds.xindexes["chrom"].layout) // 2],
             pos=slice(10, 19)).continuous.values
sel = time.perf_counter() - t
print(f"chunks={sys.argv[2]:>4}: open_dataset {dt:.3f} s, peak RSS +{grew:.0f} MiB, "
      f"select+read 10 bases {sel * 1000:.0f} ms; {dict(ds.sizes)}")
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=39_000, help="number of scaffolds")
    parser.add_argument("--path", type=Path, default=None, help="archive to build or reuse")
    args = parser.parse_args(argv)
    path = args.path or Path(tempfile.mkdtemp(prefix="gdxarray-many-")) / "many.genomedata"
    if not path.exists():
        import warnings

        import numpy as np

        from gdxarray.testing import make_genome

        rng = np.random.default_rng(1)
        sizes = {f"scaffold_{i:05d}": int(x)
                 for i, x in enumerate(rng.integers(1_000, 20_000, args.n))}
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTables: "exceeding the recommended maximum"
            make_genome(path, chroms=sizes, tracks=["a", "b"], index=True, nan_fraction=0.1)
        print(f"built {args.n:,} scaffolds in {time.perf_counter() - t:.0f} s: {path}")
    for chunks in ("none", "{}", "auto"):
        subprocess.run([sys.executable, "-W", "ignore", "-c", MEASURE, str(path), chunks],
                       check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
