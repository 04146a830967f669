"""Writing output files: only safe, unique names, and a record of everything written."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from . import write_files

SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_SCRIPT = os.path.abspath(write_files.__file__)
_PIPE_BYTES = 1 << 20  # pages queue up here while the writer catches up


class OutputWriter:
    """Validates names up front; the bytes go to disk in the background, in order.

    ``process``: in a writing process of its own, for runs with many pages. A thread
    would not do there: the run is CPU-bound Python, and a writing thread waits for the
    interpreter lock after each of its three system calls per file, so the files stayed
    queued until the run ended (Django: 172 pages, 5.7 MB, some 45 ms of writes at the
    end). The process writes them on another core as they come. Else, or where it cannot
    be started, one thread writes them; it starts with the first write, so processes
    forked before that copy no running thread. ``close()`` waits for every write and
    raises the first failure (an ``OSError`` keeps its errno and file name).
    """

    def __init__(self, out_dir: Path, *, process: bool = False) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.out_dir = out_dir
        self.files_generated: list[str] = []
        self._seen: set[str] = set()
        self._process: subprocess.Popen[bytes] | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []
        if process:
            with contextlib.suppress(OSError):
                # -I -S: the standard library only, nothing from the environment or the cwd.
                self._process = subprocess.Popen(
                    [sys.executable, "-I", "-S", _SCRIPT, str(out_dir)],
                    stdin=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                )
        if self._process is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="docgen-writer")
            return
        assert self._process.stdin is not None
        with contextlib.suppress(AttributeError, OSError):  # Linux only; a default pipe works
            import fcntl

            fcntl.fcntl(self._process.stdin.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)

    def write_text(self, name: str, text: str) -> None:
        if not SAFE_NAME.match(name) or ".." in name:
            raise ValueError(f"unsafe output file name: {name!r}")
        if name in self._seen:
            raise ValueError(f"two pages would both be written to {name!r}")
        self._seen.add(name)
        data = text.encode("utf-8")
        if self._process is not None:
            self._send(name, data)
        else:
            assert self._pool is not None
            path = os.path.join(self.out_dir, name)
            self._pending.append(self._pool.submit(write_files.write_file, path, data))
        self.files_generated.append(name)

    def write_json(self, name: str, data: object, *, compact: bool = False) -> None:
        # `indent` forces the pure-Python encoder; big trees are written compact (C encoder).
        text = json.dumps(data, ensure_ascii=False) if compact else json.dumps(data, indent=2)
        self.write_text(name, text + "\n")

    def close(self) -> None:
        if self._process is not None:
            self._finish()
            return
        if self._pool is None:
            return  # finished already
        try:
            for future in self._pending:
                future.result()
        finally:
            self._pool.shutdown(wait=True)
            self._pending.clear()

    def _send(self, name: str, data: bytes) -> None:
        assert self._process is not None and self._process.stdin is not None
        encoded = name.encode("utf-8")
        try:
            self._process.stdin.write(write_files.FRAME.pack(len(encoded), len(data)) + encoded)
            self._process.stdin.write(data)
        except BrokenPipeError:
            self._finish()  # raises what stopped the writing process
            raise

    def _finish(self) -> None:
        """Ends the stream, waits for the writing process and raises its failure, if any."""
        process, self._process = self._process, None
        assert process is not None and process.stdin is not None and process.stderr is not None
        with contextlib.suppress(BrokenPipeError):
            process.stdin.write(write_files.FRAME.pack(0, 0))
        with contextlib.suppress(BrokenPipeError):
            process.stdin.close()
        error = process.stderr.read()
        process.stderr.close()
        if process.wait() != 0:
            raise _failure(error, process.returncode)


def _failure(report: bytes, status: int) -> Exception:
    """The writing process's error as it was raised there."""
    try:
        error = json.loads(report.decode("utf-8", "replace").strip().splitlines()[-1])
    except (ValueError, IndexError):
        return OSError(f"the output writer stopped (exit status {status})")
    if error.get("errno") is not None:
        return OSError(error["errno"], error["strerror"] or error["message"], error["filename"])
    return OSError(f"the output writer failed: {error.get('type')}: {error.get('message')}")
