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
        # Replace rather than write through: a pre-existing symlink in out_dir is not followed.
        tmp = f"{path}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
        self.files_generated.append(name)

    def write_json(self, name: str, data: object) -> None:
        self.write_text(name, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
