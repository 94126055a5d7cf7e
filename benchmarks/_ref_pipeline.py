"""The reference's ``genomedata-load``, minus its final ``h5repack`` (not installed).

Run as a child process:

    python benchmarks/_ref_pipeline.py ARCHIVE SIZES SNAPSHOT NAME=FILE [NAME=FILE ...]

Does in one process what ``genomedata.load_genomedata.load_genomedata`` does:
load_seq (sizes, file mode) and open_data in-process, one child process of the
reference's C loader per track fed the (plain) file on stdin (the reference
pipes ``cat FILE`` into ``genomedata-load-data``; here the file is the child's
stdin directly), then close_data in-process.  Before close-data the archive is
copied to SNAPSHOT (copy time excluded) so close-data can be timed alone.

The reference's own ``load_data()`` cannot be used: it runs the console script
``genomedata-load-data`` from PATH, which is gdxarray's after ``pip install -e``.

Prints one JSON line: per-step seconds, total (copy excluded) and the peak RSS
of this process and of its loader children (MB).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
import warnings

LOAD_DATA = ("import sys; from genomedata._load_data import main; "
             "r = main(sys.argv[1:]); sys.exit(r if isinstance(r, int) else 0)")


def main(argv: list[str]) -> int:
    archive, sizes, snapshot, *tracks = argv
    tracks = [t.split("=", 1) for t in tracks]
    os.environ.pop("PYTHONUNBUFFERED", None)
    warnings.simplefilter("ignore")
    from genomedata._close_data import close_data
    from genomedata._load_seq import load_seq
    from genomedata._open_data import open_data

    steps = {}
    t0 = time.perf_counter()
    load_seq(archive, [sizes], mode="file", seqfile_type="sizes")
    steps["load-seq"] = time.perf_counter() - t0
    t = time.perf_counter()
    names = []
    for name, _ in tracks:
        if name not in names:
            names.append(name)
    open_data(archive, names, verbose=False)
    steps["open-data"] = time.perf_counter() - t
    for name, path in tracks:
        t = time.perf_counter()
        with open(path, "rb") as fh:
            subprocess.run([sys.executable, "-c", LOAD_DATA, archive, name], stdin=fh, check=True)
        steps[f"load-data {name}"] = time.perf_counter() - t
    t = time.perf_counter()
    if snapshot != "-":
        shutil.copyfile(archive, snapshot)
    copy = time.perf_counter() - t
    t = time.perf_counter()
    close_data(archive)
    steps["close-data"] = time.perf_counter() - t
    total = time.perf_counter() - t0 - copy
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"steps": steps, "total": total, "copy": copy, "self_rss_mb": self_rss,
                      "children_rss_mb": child_rss}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
