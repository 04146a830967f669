"""Fixtures for the dashboard, job detail and admin tests."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from jobs.models import Job, JobAttempt, Status, Worker

_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def clear_cache() -> None:
    """The chart caches finished hours; each test starts from an empty cache."""
    cache.clear()


@pytest.fixture
def staff_user(db: None) -> User:
    return User.objects.create_user("operator", password="pw-operator-123", is_staff=True)


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser("root", "root@example.com", "pw-root-123")


@pytest.fixture
def staff_client(staff_user: User) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def admin_client_su(superuser: User) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def plain_user_client(db: None) -> Client:
    user = User.objects.create_user("reader", password="pw-reader-123")
    client = Client()
    client.force_login(user)
    return client


def build_job(
    status: str = Status.QUEUED,
    *,
    repo: str | None = None,
    created_ago: timedelta = timedelta(minutes=5),
    worker: Worker | None = None,
    **fields: Any,
) -> Job:
    """A job row in any state, with the timestamps that state implies."""
    n = next(_counter)
    now = timezone.now()
    created = now - created_ago
    values: dict[str, Any] = {
        "job_id": f"owner--repo{n}-{status[:4]}{n:05d}",
        "repo_url": repo or f"https://github.com/owner/repo{n}",
        "status": status,
        "created_at": created,
        "run_after": created,
        "max_attempts": 3,
    }
    if status != Status.QUEUED:
        values["started_at"] = created + timedelta(seconds=2)
        values["attempts"] = 1
    if status == Status.PROCESSING:
        values.update(
            worker=worker,
            progress="Analysing files",
            progress_percent=42,
            heartbeat_at=now,
            lease_expires_at=now + timedelta(seconds=60),
        )
    if status in (Status.COMPLETED, Status.FAILED, Status.CANCELLED):
        values["completed_at"] = created + timedelta(seconds=30)
    if status == Status.COMPLETED:
        values.update(progress="Documentation generated", progress_percent=100, docs_path="x/y")
    if status == Status.FAILED:
        values.update(error_message="Clone failed: repository not found", error_trace="Trace")
    if status == Status.CANCELLED:
        values.update(error_message="Cancelled by operator")
    values.update(fields)
    return Job.objects.create(**values)


@pytest.fixture
def make_job(db: None) -> Callable[..., Job]:
    return build_job


@pytest.fixture
def make_worker(db: None) -> Callable[..., Worker]:
    def make(hostname: str = "host-a", pid: int = 100, stale: bool = False) -> Worker:
        beat = timezone.now() - timedelta(seconds=600 if stale else 1)
        return Worker.objects.create(hostname=hostname, pid=pid, last_heartbeat=beat)

    return make


def add_attempt(job: Job, number: int, outcome: str, worker_name: str = "host-a:100") -> JobAttempt:
    start = job.created_at + timedelta(seconds=10 * number)
    return JobAttempt.objects.create(
        job=job,
        number=number,
        worker_name=worker_name,
        started_at=start,
        finished_at=None if outcome == JobAttempt.Outcome.RUNNING else start + timedelta(seconds=5),
        outcome=outcome,
        message="transient error" if outcome == JobAttempt.Outcome.RETRYING else "",
    )
