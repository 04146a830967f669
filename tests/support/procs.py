"""Looking at live processes through /proc (Linux), for tests about what a worker leaves running."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def processes_touching(port: int, folder: Path) -> dict[int, str]:
    """Live processes whose command line names ``port`` or whose cwd is under ``folder``."""
    found: dict[int, str] = {}
    needle = f"127.0.0.1:{port}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            cmdline = (entry / "cmdline").read_bytes()
            if b"pytest" in cmdline:
                continue  # the test process itself serves the repositories
            cwd = os.readlink(entry / "cwd")
            if (needle in cmdline or cwd.startswith(str(folder))) and is_running(int(entry.name)):
                found[int(entry.name)] = cmdline.replace(b"\0", b" ").decode(errors="replace")
    return found


def is_running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def job_child_of(worker_pid: int) -> int | None:
    """The running job child of a worker: its child process that leads a session of its own."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
            state, ppid, session = fields[0], int(fields[1]), int(fields[3])
            if ppid == worker_pid and session == int(entry.name) and state != "Z":
                return int(entry.name)
    return None
