"""Log lines that say which job, attempt, worker, repository and step they are about.

``bind`` puts fields in a context variable for the code it wraps (a worker's whole
life, one job's child process, one pipeline step); ``ContextFilter`` copies them onto
every record, and ``JsonFormatter`` writes one JSON object a line when
``CODEWIKI_LOG_FORMAT=json``. The readable format (the default) is unchanged.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

FIELDS = ("job_id", "attempt", "worker", "repository", "step")

# Values are never mutated, only replaced, so a shared empty default is safe.
_EMPTY: dict[str, Any] = {}
_context: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar(
    "codewiki_log_context", default=_EMPTY
)


@contextlib.contextmanager
def bind(**fields: Any) -> Iterator[None]:
    """Add ``fields`` (any of ``FIELDS``) to every log record made inside the block."""
    token = _context.set({**_context.get(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def set_fields(**fields: Any) -> None:
    """Like ``bind`` for the rest of this process (a worker, a job's child)."""
    _context.set({**_context.get(), **fields})


def current() -> dict[str, Any]:
    return dict(_context.get())


class ContextFilter(logging.Filter):
    """Copies the bound fields onto the record; an explicit ``extra=`` wins."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _context.get().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the context fields, exc."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                data[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            # exc_text, not exc_info: the redacting filter cleaned exc_text of git tokens.
            data["exception"] = record.exc_text
        status = getattr(record, "status_code", None)
        if status is not None:  # django.request / django.server
            data["status_code"] = status
        return json.dumps(data, default=str, ensure_ascii=False)
