"""Writing output files: only safe, unique names, and a record of everything written."""

from __future__ import annotations

import json
import os
import re
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


class OutputWriter:
    """Validates names up front; the bytes go to disk on one background thread.

    File system calls release the GIL, so writing a page overlaps rendering the next one.
    `close()` waits for every write and re-raises the first failure.
    """

    def __init__(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.out_dir = out_dir
        self.files_generated: list[str] = []
        self._seen: set[str] = set()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="docgen-writer")
        self._pending: list[Future[None]] = []

    def write_text(self, name: str, text: str) -> None:
        if not SAFE_NAME.match(name) or ".." in name:
            raise ValueError(f"unsafe output file name: {name!r}")
        if name in self._seen:
            raise ValueError(f"two pages would both be written to {name!r}")
        self._seen.add(name)
        path = os.path.join(self.out_dir, name)
        self._pending.append(self._pool.submit(_write_file, path, text.encode("utf-8")))
        self.files_generated.append(name)

    def write_json(self, name: str, data: object, *, compact: bool = False) -> None:
        # `indent` forces the pure-Python encoder; big trees are written compact (C encoder).
        text = json.dumps(data, ensure_ascii=False) if compact else json.dumps(data, indent=2)
        self.write_text(name, text + "\n")

    def close(self) -> None:
        try:
            for future in self._pending:
                future.result()
        finally:
            self._pool.shutdown(wait=True)
            self._pending.clear()


def _write_file(path: str, data: bytes) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW
    try:
        fd = os.open(path, flags, 0o644)
    except OSError:
        # Something (a symlink, say) already sits at that name: never write through it.
        os.unlink(path)
        fd = os.open(path, flags | os.O_EXCL, 0o644)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    finally:
        os.close(fd)
