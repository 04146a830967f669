"""A database that blinks or goes away while jobs run: nothing fails, nothing runs twice at once.

The outages are real: on PostgreSQL the test database refuses connections and
its backends are terminated (``tests/support/pg_outage.py``); a worker that
cannot renew its leases is also made by stopping it with SIGSTOP, which works
on both databases.
"""

from __future__ import annotations

import itertools
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from jobs import services
from jobs.models import Job, JobAttempt, Status, Worker
from tests.conftest import GitServer, wait_for
from tests.support.pg_outage import database_outage
from tests.support.procs import is_running, job_child_of, processes_touching

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

postgres_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="a PostgreSQL outage needs PostgreSQL"
)


def outcomes(job: Job) -> list[str]:
    return list(JobAttempt.objects.filter(job=job).values_list("outcome", flat=True))


def cloning(job: Job) -> Job:
    return wait_for(
        lambda: (
            (j := Job.objects.get(pk=job.pk)).status == Status.PROCESSING
            and "Cloning" in j.progress
            and j
        ),
        timeout=30,
        what=f"{job.job_id} to start cloning",
    )


def finished(job: Job, what: str) -> Job:
    """The job once it completed or failed."""
    return wait_for(
        lambda: (j := Job.objects.get(pk=job.pk)).status in (Status.COMPLETED, Status.FAILED) and j,
        timeout=40,
        what=what,
    )


def running_child(job: Job) -> int:
    """The pid of the job child now running ``job`` (its worker row names the parent)."""
    worker = Job.objects.select_related("worker").get(pk=job.pk).worker
    assert worker is not None
    return wait_for(lambda: job_child_of(worker.pid), timeout=10, what="the job child")


# Short, for the tests' sake; a job that cannot renew it is stopped a tenth of it before it
# expires (``lease_margin``), and a machine stall longer than that margin fails the test:
# 0.3 s with a 3 s lease did once here.
SHORT_LEASE = 5


def stable_lease_end(job: Job) -> datetime:
    """The job's lease expiry once nobody renews it any more."""
    previous = None
    while True:
        current = Job.objects.get(pk=job.pk).lease_expires_at
        if current == previous:
            assert current is not None
            return current
        previous = current
        time.sleep(0.3)


def assert_stops_before_lease_end(child: int, lease_end: datetime, timeout: float = 30) -> None:
    """Watch ``child`` until it is gone; it must never be seen alive after ``lease_end``."""
    deadline = time.monotonic() + timeout
    while True:
        now = timezone.now()  # read before looking, so "alive" is at or after ``now``
        alive = is_running(child)
        if not alive:
            return
        assert now < lease_end, (
            f"the job still ran {(now - lease_end).total_seconds():.2f} s after its lease "
            "expired: another worker may now run it too"
        )
        assert time.monotonic() < deadline, "the job child never stopped"
        time.sleep(0.02)


@contextmanager
def outage() -> Iterator[None]:
    """The test database refuses connections; the test's own connection is spared."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own = cursor.fetchone()[0]
    db = connection.settings_dict
    with database_outage(
        db["NAME"],
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        spare_pids=[own],
    ):
        yield


def repo_name(url: str) -> str:
    return url.split("/", 3)[3]


@contextmanager
def stalled_mid_clone(
    settings: Any, git_server: GitServer, worker_process: Any, name: str
) -> Iterator[tuple[str, Job, Any, int, Any]]:
    """A job cloning (slowly) on a worker that is then stopped with SIGSTOP: alive, holding
    the lease, unable to renew it; a second worker stands by. Its job child must stop
    before the lease ends. Yields (url, job, stalled worker, its job child's pid, second
    worker); the stalled worker is resumed (SIGCONT) when the block ends."""
    settings.CODEWIKI_LEASE_SECONDS = SHORT_LEASE
    url = git_server.make_slow_repo(name, seconds=30)
    job = services.submit(url).job
    stalled = worker_process()
    cloning(job)
    child = running_child(job)
    rescuer = worker_process()
    wait_for(lambda: Worker.objects.count() == 2, what="a second worker")
    stalled.signal(signal.SIGSTOP)
    try:
        assert_stops_before_lease_end(child, stable_lease_end(job))
        yield url, job, stalled, child, rescuer
    finally:
        stalled.signal(signal.SIGCONT)


def test_worker_that_cannot_renew_stops_its_job_before_the_lease_expires(
    settings: Any, git_server: GitServer, worker_process: Any, output_dir: Path
) -> None:
    with stalled_mid_clone(settings, git_server, worker_process, "acme/stalled") as stopped:
        url, job, stalled, _child, rescuer = stopped
        assert not processes_touching(git_server.http.port, output_dir / "temp"), "git survived"
        git_server.http.delays[repo_name(url)] = 0
        done = finished(job, "the rescuing worker to finish the job")
    assert done.status == Status.COMPLETED, done.error_message
    assert outcomes(done) == [JobAttempt.Outcome.LOST, JobAttempt.Outcome.COMPLETED]
    assert "lease expired" in rescuer.log()
    # Woken up, the stalled worker sees the job is no longer its own and leaves it be.
    stalled.signal(signal.SIGTERM)
    assert stalled.wait(timeout=20) == 0
    assert Job.objects.get(pk=job.pk).status == Status.COMPLETED
    assert "died unexpectedly" not in stalled.log()


def test_stalled_worker_waking_mid_rescue_leaves_the_new_attempts_clone(
    settings: Any, git_server: GitServer, worker_process: Any, output_dir: Path
) -> None:
    with stalled_mid_clone(settings, git_server, worker_process, "acme/woken") as stopped:
        url, job, _stalled, child, _rescuer = stopped
        # The rescuer's attempt is cloning (for 6 s) when the stalled worker wakes up.
        git_server.http.delays[repo_name(url)] = 6
        rescue = output_dir / "temp" / f"{job.job_id}-2"
        wait_for(
            lambda: cloning(job).attempts == 2 and rescue.is_dir(),
            timeout=30,
            what="the second attempt to start cloning",
        )
    # Woken, the stalled worker reaps its stopped child and cleans up after it: its own
    # attempt's clone, not the one the job row now names.
    wait_for(lambda: not Path(f"/proc/{child}").exists(), timeout=10, what="the child reaped")
    time.sleep(0.5)  # a few of its ticks
    assert rescue.is_dir(), "the stalled worker deleted the rescuing attempt's clone"
    git_server.http.delays[repo_name(url)] = 0
    done = finished(job, "the rescuing worker to finish the job")
    assert done.status == Status.COMPLETED, done.error_message
    assert done.attempts == 2


@postgres_only
def test_database_restart_during_a_clone_neither_fails_nor_repeats_the_job(
    settings: Any, git_server: GitServer, worker_process: Any
) -> None:
    settings.CODEWIKI_LEASE_SECONDS = 20
    url = git_server.make_slow_repo("acme/blink", seconds=4)
    job = services.submit(url).job
    worker = worker_process()
    cloning(job)
    with outage():
        time.sleep(1.5)
    done = finished(job, "the job to finish")
    assert done.status == Status.COMPLETED, done.error_message
    assert done.attempts == 1
    assert outcomes(done) == [JobAttempt.Outcome.COMPLETED]
    worker.signal(signal.SIGTERM)
    assert worker.wait(timeout=20) == 0
    log = worker.log()
    # The job child noticed (its connection was cut mid-clone), and so did the parent
    # if it tried to heartbeat meanwhile: one line each way per process, no tracebacks.
    lost = log.count("Database unreachable")
    assert 1 <= lost <= 2, log
    assert log.count("Database reachable again") == lost, log
    assert "Traceback" not in log, log


@postgres_only
def test_database_outage_longer_than_the_lease_never_runs_a_job_twice(
    settings: Any, git_server: GitServer, worker_process: Any, output_dir: Path
) -> None:
    settings.CODEWIKI_LEASE_SECONDS = SHORT_LEASE
    url = git_server.make_slow_repo("acme/outage", seconds=30)
    job = services.submit(url).job
    workers = [worker_process(), worker_process()]
    # Both registered before the outage: a worker still starting would meet it in its
    # very first query, which is not what this test is about.
    wait_for(lambda: Worker.objects.count() == 2, timeout=30, what="both workers registered")
    cloning(job)
    child = running_child(job)
    lease_end = Job.objects.get(pk=job.pk).lease_expires_at
    assert lease_end is not None
    with outage():
        # Nobody can renew now; the lease ends at most one lease from the last renewal.
        assert_stops_before_lease_end(child, stable_lease_end(job))
        assert not processes_touching(git_server.http.port, output_dir / "temp"), "git survived"
        time.sleep(SHORT_LEASE)  # the outage outlasts the lease
    git_server.http.delays[repo_name(url)] = 0
    done = finished(job, "the job to finish after the outage")
    assert done.status == Status.COMPLETED, done.error_message
    attempts = list(JobAttempt.objects.filter(job=done).order_by("started_at", "id"))
    assert [a.outcome for a in attempts][-1] == JobAttempt.Outcome.COMPLETED
    # Whoever got there first took the stopped attempt back (its worker, or the
    # other one's reaper); either way the next attempt began after it had ended.
    assert attempts[0].outcome in (JobAttempt.Outcome.RETRYING, JobAttempt.Outcome.LOST)
    for earlier, later in itertools.pairwise(attempts):
        assert earlier.finished_at is not None and earlier.finished_at <= later.started_at
    for proc in workers:
        proc.signal(signal.SIGTERM)
    for proc in workers:
        assert proc.wait(timeout=20) == 0, proc.log()
        assert "Traceback" not in proc.log(), proc.log()
