"""Model answers on disk, keyed by (model, prompt version, exact input).

One small JSON file per answer under the cache folder, written atomically, so the cache
survives restarts and is shared by every worker on the machine (or on a shared volume).
Only validated answers are stored: a failure is tried again next time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .facts import PROMPT_VERSION, encode


def answer_key(model: str, messages: list[dict[str, str]], schema: dict[str, Any] | None) -> str:
    raw = "\0".join(
        [model, PROMPT_VERSION, json.dumps(messages, sort_keys=True), encode(schema or {})]
    )
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _format_key(endpoint: str, model: str) -> str:
    raw = f"format-mode\0{endpoint}\0{model}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class AnswerCache:
    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path | None:
        if self.folder is None or len(key) != 64 or not key.isalnum():
            return None
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        path = self._path(key)
        if path is None:
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("answer"), dict):
            return None
        return data

    def format_mode(self, endpoint: str, model: str) -> str | None:
        """How this endpoint takes a JSON schema, as learnt by an earlier run."""
        record = self.get(_format_key(endpoint, model))
        mode = record["answer"].get("format_mode") if record else None
        return mode if isinstance(mode, str) else None

    def remember_format_mode(self, endpoint: str, model: str, mode: str) -> None:
        self.put(_format_key(endpoint, model), {"answer": {"format_mode": mode}})

    def put(self, key: str, record: dict[str, Any]) -> None:
        path = self._path(key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(record, handle, ensure_ascii=False)
            os.replace(tmp, path)
        except OSError:
            # A read-only or full cache folder costs reuse, never the docs.
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(tmp)
