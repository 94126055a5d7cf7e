"""Running loaders in child processes: wall time and peak RSS of each.

Every child gets the parent's environment without ``PYTHONUNBUFFERED`` (the
reference's C loader otherwise reads stdin one byte per system call).  Peak
memory is the child's own ``ru_maxrss`` from ``os.wait4`` (the loader
process, not a decompressor feeding it), measured by a small wrapper that
forks and waits for it: Linux charges a child with the hiwater RSS of the
address space it ``exec``\ s from, so a command forked straight from this
(large, late in the run) benchmark process would report our size, not its own.
The wrapper (``python -I -S``, about 10 MB) is what the command is forked from.

The reference is always driven through its Python modules, never through
console scripts: after ``pip install -e .`` gdxarray's scripts of the same
names come first on PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PY = sys.executable

# Forks argv[2:], waits, and writes "wall rc maxrss_kb cpu majflt" to fd argv[1].
_WRAP = """
import os, signal, sys, time
fd, argv = int(sys.argv[1]), sys.argv[2:]
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.close(fd)
    try:
        os.execvp(argv[0], argv)
    except OSError as exc:
        os.write(2, f"cannot run {argv[0]}: {exc}\\n".encode())
        os._exit(127)
signal.signal(signal.SIGTERM, lambda *a: os.kill(pid, signal.SIGKILL))
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t0
rc = os.waitstatus_to_exitcode(status)
os.write(fd, f"{wall} {rc} {ru.ru_maxrss} {ru.ru_utime + ru.ru_stime} {ru.ru_majflt}".encode())
"""


#: What dask.distributed puts in a client's os.environ for its workers; a child
#: command must not inherit it (MALLOC_TRIM_THRESHOLD_ alone slows a liftover ~30%).
_DASK_WORKER_ENV = ("MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                    "OPENBLAS_NUM_THREADS", "__DASK_PARENT_PID", "PYTHONHASHSEED")
_STARTUP_ENV = {k: os.environ.get(k) for k in _DASK_WORKER_ENV}


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONUNBUFFERED", None)
    for key, value in _STARTUP_ENV.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


@dataclass
class ProcResult:
    wall: float
    maxrss_mb: float
    returncode: int
    stderr: str
    stdout: str = ""
    cpu: float = 0.0          # user + system seconds of the command (not of a gzip feeder)
    majflt: int = 0           # the command's major page faults (reads from disk)
    other_cpu: float = 0.0    # CPU seconds the whole machine spent on anything else meanwhile

    @property
    def ok(self) -> bool:
        return self.returncode == 0


_MAIN = "import sys; from {mod} import main; r = main(sys.argv[1:]); sys.exit(r if isinstance(r, int) else 0)"


def ours_cmd(module: str, *args) -> list[str]:
    """gdxarray's console script *module* (``load_seq``, ``load_data``, ...)."""
    return [PY, "-c", _MAIN.format(mod=f"gdxarray.cli.{module}"), *map(str, args)]


def ref_cmd(module: str, *args) -> list[str]:
    """The reference's console-script module (``_load_seq``, ``_load_data``, ...)."""
    return [PY, "-c", _MAIN.format(mod=f"genomedata.{module}"), *map(str, args)]


def py_cmd(code: str, *args) -> list[str]:
    return [PY, "-c", code, *map(str, args)]


def run(cmd: list[str], *, stdin_path: Path | None = None, gunzip: bool = False,
        timeout: float | None = None, cwd: Path | None = None,
        capture: bool = False) -> ProcResult:
    """Run *cmd*; optionally feed a file on stdin (through ``gzip -dc`` with *gunzip*).

    The wall time covers the whole pipeline; the peak RSS is *cmd*'s.
    """
    env = child_env()
    feeder = None
    stdin = subprocess.DEVNULL
    fh = None
    t0 = time.perf_counter()
    if stdin_path is not None:
        if gunzip:
            feeder = subprocess.Popen(["gzip", "-dc", str(stdin_path)], stdout=subprocess.PIPE,
                                      env=env)
            stdin = feeder.stdout
        else:
            fh = open(stdin_path, "rb")
            stdin = fh
    busy0 = _busy_seconds()
    report_r, report_w = os.pipe()
    proc = subprocess.Popen([PY, "-I", "-S", "-c", _WRAP, str(report_w), *map(str, cmd)],
                            stdin=stdin,
                            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env, cwd=cwd,
                            pass_fds=(report_w,), start_new_session=True)
    os.close(report_w)
    if feeder is not None:
        feeder.stdout.close()
    # drain stderr in a thread so a chatty child cannot block on a full pipe
    import threading

    err_chunks: list[bytes] = []
    out_chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()), daemon=True)
    reader.start()
    out_reader = None
    if capture:
        out_reader = threading.Thread(target=lambda: out_chunks.append(proc.stdout.read()),
                                      daemon=True)
        out_reader.start()
    killed = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        killed = True
        os.killpg(proc.pid, 9)
        proc.wait()
    with os.fdopen(report_r, "rb") as fh_report:
        report = fh_report.read().split()
    if feeder is not None:
        feeder.wait()
    wall_outer = time.perf_counter() - t0
    reader.join(timeout=5)
    if out_reader is not None:
        out_reader.join(timeout=5)
    if fh is not None:
        fh.close()
    err = b"".join(err_chunks).decode(errors="replace")
    out = b"".join(out_chunks).decode(errors="replace")
    busy = _busy_seconds() - busy0
    if killed or len(report) != 5:
        return ProcResult(wall_outer, 0.0, -9 if killed else proc.returncode, err, out, 0.0)
    wall, rc, maxrss_kb, cpu = float(report[0]), int(report[1]), int(report[2]), float(report[3])
    if feeder is not None:
        wall = wall_outer          # the whole pipeline, decompressor included
    return ProcResult(wall, maxrss_kb / 1024.0, rc, err, out, cpu, int(report[4]),
                      max(0.0, busy - cpu))


def _busy_seconds() -> float:
    """CPU seconds all CPUs have spent busy since boot (``/proc/stat``), or 0."""
    try:
        with open("/proc/stat") as fh:
            fields = fh.readline().split()[1:]
        ticks = [int(x) for x in fields]
        idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)   # idle + iowait
        return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def copy_archive(src: Path, dst: Path) -> None:
    remove(dst)
    if Path(src).is_dir():
        shutil.copytree(src, dst)
    else:
        shutil.copyfile(src, dst)


def remove(path: Path) -> None:
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def disk_size(path: Path) -> int:
    path = Path(path)
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def archive_files(path: Path) -> list[Path]:
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.glob("*.genomedata") if p.is_file())
    return [path]
