"""CODEWIKI_MAX_ATTEMPTS is decided at submission and travels with the job (README)."""

from __future__ import annotations

from typing import Any

import pytest

from jobs import services
from jobs.models import Job, Status
from tests.conftest import wait_for
from tests.support.gitserve import free_port

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_jobs_own_limit_wins_over_the_workers_setting(
    settings: Any, worker_process: Any
) -> None:
    port = free_port()  # nothing listens: connection refused, a transient failure
    settings.CODEWIKI_REPO_HOSTS = [f"http://127.0.0.1:{port}"]
    settings.CODEWIKI_RETRY_BACKOFF_SECONDS = 0
    settings.CODEWIKI_MAX_ATTEMPTS = 2
    job = services.submit(f"http://127.0.0.1:{port}/acme/offline").job
    assert job.max_attempts == 2
    worker_process(env={"CODEWIKI_MAX_ATTEMPTS": "5"})
    wait_for(
        lambda: Job.objects.filter(pk=job.pk, status=Status.FAILED).exists(),
        timeout=30,
        what="the job to fail",
    )
    job.refresh_from_db()
    assert (job.attempts, job.max_attempts) == (2, 2)


def test_a_limit_below_one_still_allows_one_attempt(settings: Any) -> None:
    settings.CODEWIKI_MAX_ATTEMPTS = 0
    assert services.submit("https://github.com/acme/zero").job.max_attempts == 1
