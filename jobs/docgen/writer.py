"""Writing output files: only safe, unique names, and a record of everything written."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from . import write_files

_SCRIPT = os.path.abspath(write_files.__file__)
_PIPE_BYTES = 1 << 20  # pages queue up here while the writing process catches up


class OutputWriter:
    """Validates names up front; writes the files in order.

    ``process``: in a writing process of its own, for runs with many pages, which writes
    them on another core while this one renders. A thread would not do: the run is
    CPU-bound Python, and a writing thread waits for the interpreter lock after each of its
    three system calls per file, so the files stayed queued until the run ended (Django:
    172 pages, 5.7 MB, some 45 ms of writes at the end). Else, or where the process cannot
    be started, each file is written when it is given. Either way nothing is buffered in
    this process, so processes forked meanwhile inherit no half-sent page. ``close()``
    waits for every write and raises the first failure (an ``OSError`` keeps its errno and
    file name).
    """

    def __init__(self, out_dir: Path, *, process: bool = False) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.out_dir = out_dir
        self.files_generated: list[str] = []
        self._seen: set[str] = set()
        self._process: subprocess.Popen[bytes] | None = None
        if not process:
            return
        with contextlib.suppress(OSError):
            # -I -S: the standard library only, nothing from the environment or the cwd.
            self._process = subprocess.Popen(
                [sys.executable, "-I", "-S", _SCRIPT, str(out_dir)],
                stdin=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                bufsize=0,
            )
            with contextlib.suppress(AttributeError, OSError):  # Linux only; else the default
                import fcntl

                assert self._process.stdin is not None
                fcntl.fcntl(self._process.stdin.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)

    def write_text(self, name: str, text: str) -> None:
        if not write_files.is_safe_name(name):
            raise ValueError(f"unsafe output file name: {name!r}")
        if name in self._seen:
            raise ValueError(f"two pages would both be written to {name!r}")
        self._seen.add(name)
        data = text.encode("utf-8")
        if self._process is not None:
            self._send(name, data)
        else:
            write_files.write_file(os.path.join(self.out_dir, name), data)
        self.files_generated.append(name)

    def write_json(self, name: str, data: object, *, compact: bool = False) -> None:
        # `indent` forces the pure-Python encoder; big trees are written compact (C encoder).
        text = json.dumps(data, ensure_ascii=False) if compact else json.dumps(data, indent=2)
        self.write_text(name, text + "\n")

    def close(self) -> None:
        if self._process is not None:
            self._finish()

    def _send(self, name: str, data: bytes) -> None:
        assert self._process is not None and self._process.stdin is not None
        encoded = name.encode("utf-8")
        fd = self._process.stdin.fileno()
        try:
            write_files.write_all(fd, write_files.FRAME.pack(len(encoded), len(data)) + encoded)
            write_files.write_all(fd, data)
        except BrokenPipeError:
            self._finish()  # raises what stopped the writing process
            raise

    def _finish(self) -> None:
        """Ends the stream, waits for the writing process and raises its failure, if any."""
        process, self._process = self._process, None
        assert process is not None and process.stdin is not None and process.stderr is not None
        with contextlib.suppress(BrokenPipeError):
            write_files.write_all(process.stdin.fileno(), write_files.FRAME.pack(0, 0))
        process.stdin.close()
        error = process.stderr.read()
        process.stderr.close()
        status = process.wait()
        if status == -signal.SIGINT:
            # Ctrl-C while it was starting, before it could ignore it: this process got
            # the same interrupt, and it is what the caller should see.
            raise KeyboardInterrupt
        if status != 0:
            raise _failure(error, status)


def _failure(report: bytes, status: int) -> OSError:
    """The writing process's error as it was raised there."""
    try:
        error = json.loads(report.decode("utf-8", "replace").strip().splitlines()[-1])
    except (ValueError, IndexError):
        return OSError(f"the output writer stopped (exit status {status})")
    if error.get("errno") is not None:
        return OSError(error["errno"], error["strerror"] or error["message"], error["filename"])
    return OSError(f"the output writer failed: {error.get('type')}: {error.get('message')}")
