"""Writing output files: only safe, unique names, and a record of everything written."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


class OutputWriter:
    def __init__(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.out_dir = out_dir
        self.files_generated: list[str] = []
        self._seen: set[str] = set()

    def write_text(self, name: str, text: str) -> None:
        if not SAFE_NAME.match(name) or ".." in name:
            raise ValueError(f"unsafe output file name: {name!r}")
        if name in self._seen:
            raise ValueError(f"two pages would both be written to {name!r}")
        self._seen.add(name)
        path = os.path.join(self.out_dir, name)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW
        try:
            fd = os.open(path, flags, 0o644)
        except OSError:
            # Something (a symlink, say) already sits at that name: never write through it.
            os.unlink(path)
            fd = os.open(path, flags | os.O_EXCL, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        self.files_generated.append(name)

    def write_json(self, name: str, data: object, *, compact: bool = False) -> None:
        # `indent` forces the pure-Python encoder; big trees are written compact (C encoder).
        text = json.dumps(data, ensure_ascii=False) if compact else json.dumps(data, indent=2)
        self.write_text(name, text + "\n")
