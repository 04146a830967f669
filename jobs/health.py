"""Liveness and readiness: what load balancers, orchestrators and ``manage.py health`` ask.

Liveness is "this process answers" and touches nothing else, so a database outage
never gets healthy web processes restarted. Readiness lists every reason the site
cannot do its job right now: the database, the output folder, a live worker.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

CHECKS = ("database", "output", "workers")


@dataclass
class Readiness:
    reasons: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    live_workers: int | None = None

    @property
    def ready(self) -> bool:
        return not self.reasons

    def as_json(self) -> dict[str, object]:
        return {
            "ready": self.ready,
            "checked": self.checked,
            "reasons": self.reasons,
            "live_workers": self.live_workers,
        }


def readiness(checks: tuple[str, ...] = CHECKS) -> Readiness:
    result = Readiness(checked=list(checks))
    database_up = True
    if "database" in checks:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError as exc:
            database_up = False
            result.reasons.append(f"database unreachable: {str(exc).strip() or type(exc).__name__}")
    if "output" in checks:
        problem = _output_problem(Path(settings.CODEWIKI_OUTPUT_DIR))
        if problem:
            result.reasons.append(problem)
    if "workers" in checks and database_up:
        result.live_workers = live_worker_count()
        if result.live_workers == 0:
            result.reasons.append(
                "no live worker (none has sent a heartbeat within CODEWIKI_LEASE_SECONDS)"
            )
    return result


def live_worker_count() -> int:
    from jobs.models import Worker

    cutoff = timezone.now() - timedelta(seconds=settings.CODEWIKI_LEASE_SECONDS)
    return Worker.objects.filter(last_heartbeat__gte=cutoff, stopping=False).count()


def _output_problem(folder: Path) -> str | None:
    """Why the output folder cannot take new docs, or None. Writes and removes one file."""
    if not folder.is_dir():
        return "output folder missing (CODEWIKI_OUTPUT_DIR)"
    try:
        handle, name = tempfile.mkstemp(prefix=".health-", dir=folder)
        os.close(handle)
        os.unlink(name)
    except OSError as exc:
        return f"output folder not writable (CODEWIKI_OUTPUT_DIR): {exc.strerror or exc}"
    return None
