"""Waking workers (NOTIFY after commit, LISTEN, adaptive polling) and batched cache hits."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection, transaction

from jobs import pipeline, services, wakeup
from jobs.models import CacheEntry, Job, JobAttempt, Status, Worker
from jobs.worker import STRATEGIES, claim_ready
from tests.conftest import database_url, wait_for


@pytest.fixture
def postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY exists on PostgreSQL only")


def cached_repo(output_dir: Path, n: int, *, private: bool = False) -> tuple[str, str]:
    """A repository URL and full sha whose docs are already in the cache."""
    url, sha = f"https://github.com/wake/repo{n}", f"{n + 1:040x}"
    relpath = f"wake-{n}/{sha}"
    folder = output_dir / "docs" / relpath
    folder.mkdir(parents=True)
    (folder / "overview.md").write_text("# ok\n")
    (folder / "metadata.json").write_text('{"files_generated": ["overview.md", "metadata.json"]}')
    CacheEntry.objects.create(repo_url=url, commit_sha=sha, docs_path=relpath, private=private)
    return url, sha


# --- adaptive polling (SQLite, or PostgreSQL while the listener reconnects) ---------


def test_idle_backoff_starts_short_after_work_and_grows_to_the_interval() -> None:
    backoff = wakeup.IdleBackoff(ceiling=1.0)
    waits = [backoff.next_wait() for _ in range(10)]
    assert waits[0] == 0.05
    assert all(b >= a for a, b in itertools.pairwise(waits))
    assert waits[-1] == 1.0 and max(waits) == 1.0
    backoff.reset()
    assert backoff.next_wait() == 0.05


def test_idle_backoff_never_exceeds_a_short_interval() -> None:
    backoff = wakeup.IdleBackoff(ceiling=0.02)
    assert {backoff.next_wait() for _ in range(5)} == {0.02}


# --- batched cache hits: same end state as one claim at a time ------------------------


@pytest.mark.django_db(transaction=True)
def test_batched_cache_hits_end_exactly_like_one_by_one(output_dir: Path) -> None:
    worker = Worker.objects.create(hostname="here", pid=1)
    ends = {}
    for n, strategy in enumerate(["legacy", "current"]):
        # Docs cached from a private repository stay private whoever asks again.
        job = services.submit(*cached_repo(output_dir, n, private=True)).job
        assert not job.private
        claimed = claim_ready(worker, 60, slots=1, strategy=STRATEGIES[strategy])
        assert (claimed.from_cache, claimed.to_run) == (1, [])
        job.refresh_from_db()
        attempt = JobAttempt.objects.get(job=job)
        ends[strategy] = {
            "status": job.status,
            "attempts": job.attempts,
            "worker": job.worker_id,
            "docs_path": job.docs_path == f"wake-{n}/{job.commit_id}",
            "resolved_commit": job.resolved_commit == job.commit_id,
            "from_cache": job.from_cache,
            "private": job.private,
            "progress": (job.progress, job.progress_percent),
            "lease": job.lease_expires_at,
            "times_set": bool(job.started_at and job.completed_at and job.heartbeat_at),
            "attempt": (attempt.number, attempt.outcome, attempt.message, attempt.worker_name),
            "attempt_finished": attempt.finished_at is not None,
        }
    assert ends["current"] == ends["legacy"]
    assert ends["current"]["status"] == Status.COMPLETED
    assert ends["current"]["private"] is True
    assert ends["current"]["attempt"][1:3] == ("completed", pipeline.CACHE_HIT_MESSAGE)


@pytest.mark.django_db(transaction=True)
def test_a_batch_that_finds_a_job_no_longer_queued_changes_nothing(output_dir: Path) -> None:
    worker = Worker.objects.create(hostname="here", pid=1)
    jobs = [services.submit(*cached_repo(output_dir, n)).job for n in range(3)]
    services.cancel(jobs[1])
    entries = [CacheEntry.objects.get(repo_url=job.repo_url) for job in jobs]
    with transaction.atomic():
        done = pipeline.complete_many_from_cache(list(zip(jobs, entries, strict=True)), worker)
    assert done is False
    assert list(Job.objects.order_by("pk").values_list("status", flat=True)) == [
        Status.QUEUED,
        Status.CANCELLED,
        Status.QUEUED,
    ]
    assert not JobAttempt.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_claim_respects_the_budget_across_cache_hits_and_slots(output_dir: Path) -> None:
    worker = Worker.objects.create(hostname="here", pid=1)
    for n in range(5):
        services.submit(*cached_repo(output_dir, n))
    claimed = claim_ready(worker, 60, slots=1, budget=3)
    assert claimed.count == 3
    assert Job.objects.filter(status=Status.COMPLETED).count() == 3
    assert Job.objects.filter(status=Status.QUEUED).count() == 2


# --- NOTIFY after commit (PostgreSQL) ---------------------------------------------------

MARKER = "test-marker"


class Listening:
    """A plain psycopg connection LISTENing like a worker does."""

    def __init__(self) -> None:
        self.conn = psycopg.connect(database_url(), autocommit=True)
        self.conn.execute(f"LISTEN {wakeup.CHANNEL}")

    def count_until_marker(self) -> int:
        """Notifications received before the marker, sent now by another session.

        Notifications arrive in commit order, so once the marker is here every
        earlier one is too: no waiting for something that should not come.
        """
        with psycopg.connect(database_url(), autocommit=True) as other:
            other.execute(f"NOTIFY {wakeup.CHANNEL}, '{MARKER}'")
        for count, note in enumerate(self.conn.notifies(timeout=20)):
            if note.payload == MARKER:
                return count
        raise AssertionError("the marker notification never arrived")

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def listening(postgres: None) -> Any:
    listener = Listening()
    yield listener
    listener.close()


@pytest.mark.django_db(transaction=True)
def test_submit_notifies_once_per_committed_transaction(
    listening: Listening, output_dir: Path
) -> None:
    services.submit(*cached_repo(output_dir, 0))
    assert listening.count_until_marker() == 1

    with transaction.atomic():
        for n in range(1, 4):
            services.submit(*cached_repo(output_dir, n))
        retried = services.submit(*cached_repo(output_dir, 4)).job
    assert listening.count_until_marker() == 1

    services.cancel(retried)
    services.retry(Job.objects.get(pk=retried.pk))
    assert listening.count_until_marker() == 1


@pytest.mark.django_db(transaction=True)
def test_rolled_back_work_sends_no_notification(listening: Listening, output_dir: Path) -> None:
    url, sha = cached_repo(output_dir, 0)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.submit(url, sha)
        raise RuntimeError("the caller gave up")
    with transaction.atomic():
        services.submit(url, sha)
        with pytest.raises(RuntimeError), transaction.atomic():
            services.submit(*cached_repo(output_dir, 1))
            raise RuntimeError("an inner step gave up")
    assert listening.count_until_marker() == 1
    assert Job.objects.count() == 1


# --- an idle worker wakes on NOTIFY, and re-listens after losing its connection ----------

WAITING = "Nothing to claim; waiting up to 30.00 s or a notification"
QUIET_INTERVAL = ("--interval", "30")  # far longer than any wait below: only NOTIFY wakes it


def listen_backend(worker_pid: int) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s",
            [f"codewiki-listen-{worker_pid}"],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def debug_worker(worker_process: Any) -> Any:
    return worker_process(*QUIET_INTERVAL, env={"CODEWIKI_LOG_LEVEL": "DEBUG"})


@pytest.mark.slow
def test_notification_wakes_an_idle_worker_long_before_its_poll(
    postgres: None, worker_process: Any, output_dir: Path
) -> None:
    worker = debug_worker(worker_process)
    wait_for(lambda: WAITING in worker.log(), timeout=30, what="the worker to idle")
    job = services.submit(*cached_repo(output_dir, 0)).job
    # The worker polls again only 30 s after it went idle; this wait ends well before.
    done = wait_for(lambda: Job.objects.filter(pk=job.pk, status=Status.COMPLETED).first(), 15)
    assert done.worker is not None and done.worker.pid == worker.pid
    assert "Listening for new jobs" in worker.log()


@pytest.mark.slow
def test_worker_relistens_after_its_listen_connection_is_terminated(
    postgres: None, worker_process: Any, output_dir: Path
) -> None:
    worker = debug_worker(worker_process)
    wait_for(lambda: WAITING in worker.log(), timeout=30, what="the worker to idle")
    first = listen_backend(worker.pid)
    assert first is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [first])

    relistened = wait_for(
        lambda: (pid := listen_backend(worker.pid)) not in (None, first) and pid,
        timeout=20,
        what="a new LISTEN connection",
    )
    wait_for(lambda: worker.log().count(WAITING) >= 2, timeout=20, what="the worker to idle")
    job = services.submit(*cached_repo(output_dir, 0)).job
    wait_for(lambda: Job.objects.filter(pk=job.pk, status=Status.COMPLETED).exists(), 15)
    assert listen_backend(worker.pid) == relistened
    assert "LISTEN connection lost" in worker.log()
    assert worker.poll() is None
