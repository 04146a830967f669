"""Real worker subprocesses: signals, crashes, cancellation, timeouts, retries, many workers."""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from jobs import services
from jobs.models import CacheEntry, Job, JobAttempt, Status, Worker
from tests.conftest import GitServer, wait_for
from tests.support.gitserve import HangingServer, free_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def job_in(job_id: str, *states: str) -> Job | None:
    job = Job.objects.get(job_id=job_id)
    return job if job.status in states else None


def wait_cloning(job_id: str, timeout: float = 20) -> Job:
    """Wait until the job's child is inside its (slow) clone."""
    return wait_for(
        lambda: (job := job_in(job_id, Status.PROCESSING)) and "Cloning" in job.progress and job,
        timeout=timeout,
        what=f"{job_id} to start cloning",
    )


def sigkill_while_cloning(worker_process: Any, job: Job) -> None:
    """Start a worker, let it claim ``job``, then kill it outright mid-clone."""
    worker = worker_process()
    wait_cloning(job.job_id)
    worker.signal(signal.SIGKILL)
    worker.wait(timeout=10)


def outcomes(job: Job) -> list[str]:
    return list(JobAttempt.objects.filter(job=job).values_list("outcome", flat=True))


def test_sigterm_lets_the_running_job_finish_and_exits_0(
    git_server: GitServer, worker_process: Any
) -> None:
    url = git_server.make_slow_repo("acme/sigterm", seconds=2)
    job = services.submit(url).job
    worker = worker_process("--grace", "30")
    wait_cloning(job.job_id)
    worker.signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
    job.refresh_from_db()
    assert job.status == Status.COMPLETED, job.error_message
    assert "SIGTERM received" in worker.log()


def test_sigterm_after_grace_hands_the_job_back(
    git_server: GitServer, worker_process: Any, output_dir: Path
) -> None:
    url = git_server.make_slow_repo("acme/handback", seconds=20)
    job = services.submit(url).job
    worker = worker_process("--grace", "0.5")
    wait_cloning(job.job_id)
    started = time.monotonic()
    worker.signal(signal.SIGTERM)
    assert worker.wait(timeout=15) == 0
    assert time.monotonic() - started < 10
    job.refresh_from_db()
    assert job.status == Status.QUEUED
    assert job.attempts == 0  # a hand-back is not a failed attempt
    assert job.worker is None
    assert outcomes(job) == [JobAttempt.Outcome.HANDED_BACK]
    assert list((output_dir / "temp").iterdir()) == []


def test_second_signal_stops_at_once(git_server: GitServer, worker_process: Any) -> None:
    url = git_server.make_slow_repo("acme/twice", seconds=20)
    job = services.submit(url).job
    worker = worker_process("--grace", "60")
    wait_cloning(job.job_id)
    worker.signal(signal.SIGINT)
    time.sleep(0.5)
    worker.signal(signal.SIGINT)
    worker.wait(timeout=10)
    job.refresh_from_db()
    assert job.status == Status.QUEUED


def test_sigkill_then_another_worker_recovers_the_job(
    settings: Any, git_server: GitServer, worker_process: Any
) -> None:
    settings.CODEWIKI_LEASE_SECONDS = 2
    url = git_server.make_slow_repo("acme/sigkill", seconds=3)
    job = services.submit(url).job
    sigkill_while_cloning(worker_process, job)

    second = worker_process()
    done = wait_for(lambda: job_in(job.job_id, Status.COMPLETED, Status.FAILED), timeout=40)
    assert done.status == Status.COMPLETED, done.error_message
    assert done.attempts == 2
    assert outcomes(done) == [JobAttempt.Outcome.LOST, JobAttempt.Outcome.COMPLETED]
    assert "lease expired" in second.log()


def test_lost_worker_with_no_attempts_left_fails_the_job(
    settings: Any, git_server: GitServer, worker_process: Any
) -> None:
    settings.CODEWIKI_LEASE_SECONDS = 2
    settings.CODEWIKI_MAX_ATTEMPTS = 1
    url = git_server.make_slow_repo("acme/lost", seconds=5)
    job = services.submit(url).job
    sigkill_while_cloning(worker_process, job)
    worker_process()
    failed = wait_for(lambda: job_in(job.job_id, Status.FAILED), timeout=30)
    assert failed.error_message.startswith("Worker lost")


def test_cancel_stops_a_running_job_within_5_seconds(
    git_server: GitServer, worker_process: Any, output_dir: Path
) -> None:
    url = git_server.make_slow_repo("acme/cancel", seconds=30)
    job = services.submit(url).job
    worker = worker_process()
    wait_cloning(job.job_id)
    assert [p.name for p in (output_dir / "temp").iterdir()] == [f"{job.job_id}-1"]
    services.cancel(Job.objects.get(pk=job.pk))
    started = time.monotonic()
    cancelled = wait_for(lambda: job_in(job.job_id, Status.CANCELLED), timeout=5, interval=0.05)
    assert time.monotonic() - started < 5
    assert cancelled.error_message == "Cancelled by operator while running"
    assert list((output_dir / "temp").iterdir()) == []
    assert outcomes(cancelled) == [JobAttempt.Outcome.CANCELLED]
    assert worker.poll() is None  # the worker itself goes on


def test_job_time_limit_kills_the_child(
    settings: Any, git_server: GitServer, worker_process: Any
) -> None:
    settings.CODEWIKI_JOB_TIMEOUT = 2
    url = git_server.make_slow_repo("acme/slowpoke", seconds=30)
    job = services.submit(url).job
    worker_process()
    failed = wait_for(lambda: job_in(job.job_id, Status.FAILED), timeout=15)
    assert failed.error_message.startswith("Timed out after 2 s (the job time limit")


def test_server_that_never_answers_times_out(
    settings: Any, hanging_server: HangingServer, worker_process: Any
) -> None:
    settings.CODEWIKI_CLONE_TIMEOUT = 3
    settings.CODEWIKI_MAX_ATTEMPTS = 1
    url = f"{hanging_server.host_entry}/acme/silent"
    job = services.submit(url).job
    worker_process()
    started = wait_for(lambda: job_in(job.job_id, Status.PROCESSING, Status.FAILED), timeout=10)
    t0 = time.monotonic()
    failed = wait_for(lambda: job_in(job.job_id, Status.FAILED), timeout=3 + 8)
    assert time.monotonic() - t0 < 3 + 6
    assert started is not None
    assert failed.error_message == f"Timed out after 3 s listing the refs of {url}"
    assert "Timeout" in failed.error_trace


def test_transient_failures_retry_with_backoff_then_fail(
    settings: Any, worker_process: Any
) -> None:
    port = free_port()  # nothing listens: connection refused, a network error
    settings.CODEWIKI_REPO_HOSTS = [f"http://127.0.0.1:{port}"]
    settings.CODEWIKI_MAX_ATTEMPTS = 3
    settings.CODEWIKI_RETRY_BACKOFF_SECONDS = 1
    job = services.submit(f"http://127.0.0.1:{port}/acme/offline").job
    worker_process()
    failed = wait_for(lambda: job_in(job.job_id, Status.FAILED), timeout=30)
    assert failed.attempts == 3
    assert failed.error_message.startswith("Failed to clone repository:")
    assert "onnect" in failed.error_message  # "Could not connect" / "Connection refused"
    assert outcomes(failed) == ["retrying", "retrying", "failed"]
    assert failed.error_trace


def test_missing_repository_fails_at_once_with_its_trace(
    git_server: GitServer, worker_process: Any
) -> None:
    url = git_server.daemon.url("nobody/nothing")
    job = services.submit(url).job
    worker_process()
    failed = wait_for(lambda: job_in(job.job_id, Status.FAILED), timeout=20)
    assert failed.error_message == "Repository not found"
    assert failed.attempts == 1
    assert "git said" in failed.error_trace


def test_specific_commit_branch_and_short_sha(
    git_server: GitServer, worker_process: Any, output_dir: Path
) -> None:
    url = git_server.make_repo("acme/history", http=True)
    first_sha = git_server.head(url)
    second_sha = git_server.commit(url, {"sample/more.py": "X = 1\n"})
    jobs = [
        services.submit(url, first_sha).job,
        services.submit(url, "main").job,
        services.submit(url, first_sha[:10]).job,
    ]
    worker_process("--batch")
    done = [wait_for(lambda j=j: job_in(j.job_id, Status.COMPLETED, Status.FAILED)) for j in jobs]
    assert [j.status for j in done] == [Status.COMPLETED] * 3, [j.error_message for j in done]
    assert [j.resolved_commit for j in done] == [first_sha, second_sha, first_sha]
    assert done[2].from_cache  # the short sha resolved to a commit already documented


def test_leftover_temp_folders_are_swept_at_start(worker_process: Any, output_dir: Path) -> None:
    leftover = output_dir / "temp" / "crashed-job-abc"
    (leftover / "repo").mkdir(parents=True)
    worker = worker_process("--batch")
    assert worker.wait(timeout=20) == 0
    assert not leftover.exists()
    assert "removed 1 leftover temp folders" in worker.log()


def test_three_workers_drain_200_jobs_each_claimed_once(
    settings: Any, worker_process: Any, output_dir: Path
) -> None:
    settings.CODEWIKI_QUEUE_SIZE = 1000
    total, workers = 200, 3
    docs = output_dir / "docs"
    for n in range(total):
        relpath = f"bulk-{n}/{n:040x}"
        (docs / relpath).mkdir(parents=True)
        (docs / relpath / "overview.md").write_text("# ok\n")
        (docs / relpath / "metadata.json").write_text(
            '{"files_generated": ["overview.md", "metadata.json"]}'
        )
        CacheEntry.objects.create(
            repo_url=f"https://github.com/bulk/repo{n}", commit_sha=f"{n:040x}", docs_path=relpath
        )
    procs = [worker_process("--interval", "0.05") for _ in range(workers)]
    wait_for(lambda: Worker.objects.count() == workers, what="three idle workers")
    # All jobs appear at once, so the three idle workers race for every batch.
    with transaction.atomic():
        for n in range(total):
            services.submit(f"https://github.com/bulk/repo{n}", f"{n:040x}")
    wait_for(
        lambda: Job.objects.filter(status=Status.COMPLETED).count() == total,
        timeout=120,
        what="all jobs to complete",
    )
    for proc in procs:
        proc.signal(signal.SIGTERM)
    for proc in procs:
        assert proc.wait(timeout=30) == 0, proc.log()
    assert Job.objects.count() == total
    assert set(Job.objects.values_list("attempts", flat=True)) == {1}
    assert JobAttempt.objects.count() == total
    assert set(JobAttempt.objects.values_list("outcome", flat=True)) == {"completed"}
    claimed_by = Counter(JobAttempt.objects.values_list("worker_name", flat=True))
    if connection.features.has_select_for_update_skip_locked:
        # PostgreSQL shares the batches out. SQLite serialises writers and its busy
        # handler often lets the first one win every round, which is correct too.
        assert len(claimed_by) > 1, claimed_by
