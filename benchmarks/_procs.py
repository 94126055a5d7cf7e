"""Running loaders in child processes: wall time and peak RSS of each.

Every child gets the parent's environment without ``PYTHONUNBUFFERED`` (the
reference's C loader otherwise reads stdin one byte per system call).  Peak
memory is the child's own ``ru_maxrss`` from ``os.wait4`` (the loader
process, not a decompressor feeding it).

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


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONUNBUFFERED", None)
    return env


@dataclass
class ProcResult:
    wall: float
    maxrss_mb: float
    returncode: int
    stderr: str
    stdout: str = ""
    cpu: float = 0.0          # user + system seconds of the command (not of a gzip feeder)

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
    proc = subprocess.Popen(cmd, stdin=stdin,
                            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env, cwd=cwd)
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
    deadline = None if timeout is None else time.monotonic() + timeout
    rusage = None
    status = 0
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if deadline is not None and time.monotonic() > deadline:
            proc.kill()
            pid, status, rusage = os.wait4(proc.pid, 0)
            status = -9 << 8 if status == 0 else status
            break
        time.sleep(0.002)
    if feeder is not None:
        feeder.wait()
    wall = time.perf_counter() - t0
    reader.join(timeout=5)
    if out_reader is not None:
        out_reader.join(timeout=5)
    if fh is not None:
        fh.close()
    rc = os.waitstatus_to_exitcode(status)
    proc.returncode = rc
    err = b"".join(err_chunks).decode(errors="replace")
    out = b"".join(out_chunks).decode(errors="replace")
    return ProcResult(wall, rusage.ru_maxrss / 1024.0, rc, err, out,
                      rusage.ru_utime + rusage.ru_stime)


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
