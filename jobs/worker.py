"""The queue loop behind ``manage.py runworker``.

The parent process claims jobs, renews their leases, reaps jobs whose worker
died, and supervises one child process per job (DESIGN.md decisions 2–4). It
never runs documentation work itself except the cache-hit shortcut, so a
crash, hang or memory blow-up costs one job, not the worker.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType

from django.conf import settings
from django.db import (
    DatabaseError,
    close_old_connections,
    connection,
    connections,
    transaction,
)
from django.utils import timezone

from jobs import docs_cache, logs, pipeline, startup_signals
from jobs.metrics import WorkerMetrics, serve_worker_metrics
from jobs.models import CacheEntry, InvalidTransition, Job, JobAttempt, Status
from jobs.models import Worker as WorkerRecord

logger = logging.getLogger("jobs.worker")

FORK = multiprocessing.get_context("fork")
SUPERVISE_INTERVAL = 0.5  # seconds between cancel/time-limit checks while jobs run


CLAIM_BATCH = 25  # ready jobs looked at per claiming transaction


@dataclass
class Claimed:
    to_run: list[Job] = field(default_factory=list)  # claimed; each needs a child process
    from_cache: int = 0  # claimed and completed from the cache on the spot
    seen: int = 0  # ready jobs looked at (0: the queue is empty)

    @property
    def count(self) -> int:
        return len(self.to_run) + self.from_cache


def claim_ready(
    worker: WorkerRecord,
    lease_seconds: int,
    *,
    slots: int,
    budget: int | None = None,
    metrics: WorkerMetrics | None = None,
) -> Claimed:
    """Claim ready jobs in one short transaction, priority first, then age.

    Up to ``slots`` jobs are claimed to run in children. A job asking for a full
    sha whose docs are cached needs no slot: it is claimed and completed inside
    this transaction, so a cache hit costs one commit shared by the whole batch.
    On PostgreSQL the candidates are locked with SKIP LOCKED so workers never
    wait on each other; on SQLite the conditional UPDATE in ``Job.claim``
    decides who wins and losers move on.
    """
    result = Claimed()
    with transaction.atomic():
        ready = Job.objects.ready(timezone.now())
        if connection.features.has_select_for_update_skip_locked:
            ready = ready.select_for_update(skip_locked=True)
        candidates = list(ready[:CLAIM_BATCH])
        result.seen = len(candidates)
        for job in candidates:
            if budget is not None and result.count >= budget:
                break
            entry = pipeline.cached_entry(job)
            if entry is None and len(result.to_run) >= slots:
                continue
            try:
                job.claim(worker, lease_seconds)
            except InvalidTransition:
                continue  # another worker got it first
            JobAttempt.objects.create(
                job=job, number=job.attempts, worker_name=str(worker), started_at=job.started_at
            )
            if metrics is not None and job.started_at is not None:
                metrics.claimed((job.started_at - job.run_after).total_seconds())
            if entry is not None and _complete_from_entry(job, entry):
                result.from_cache += 1
                if metrics is not None:
                    metrics.attempt_finished(JobAttempt.Outcome.COMPLETED, 0.0, from_cache=True)
            else:
                result.to_run.append(job)
    return result


def _complete_from_entry(job: Job, entry: CacheEntry) -> bool:
    try:
        with transaction.atomic():  # a savepoint: a failure here keeps the claim
            pipeline.complete_from_entry(job, entry)
        return True
    except Exception:
        logger.exception("Job %s: cache shortcut failed; running it in full", job.job_id)
        return False


def reap_lost_jobs(limit: int = 100, metrics: WorkerMetrics | None = None) -> int:
    """Take back processing jobs whose lease expired (their worker was killed or lost)."""
    now = timezone.now()
    reaped = 0
    for job in Job.objects.lease_expired(now).select_related("worker")[:limit]:
        try:
            outcome = job.reclaim_lost(now)
        except InvalidTransition:
            continue  # heartbeat renewed or finished meanwhile
        reaped += 1
        pipeline.finish_attempt(job, JobAttempt.Outcome.LOST, job.progress)
        if metrics is not None and job.started_at is not None:
            metrics.attempt_finished(
                JobAttempt.Outcome.LOST, (now - job.started_at).total_seconds()
            )
        shutil.rmtree(pipeline.temp_dir_for(job), ignore_errors=True)
        logger.warning("Job %s: lease expired, worker lost; now %s", job.job_id, outcome)
    return reaped


def prune_dead_workers(lease_seconds: int) -> int:
    """Forget worker rows silent for many leases (their jobs were reaped already)."""
    cutoff = timezone.now() - timedelta(seconds=lease_seconds * 10)
    deleted, _ = WorkerRecord.objects.filter(last_heartbeat__lt=cutoff).delete()
    return deleted


def sweep_temp_folders() -> int:
    """Remove clones left by a crash: any temp folder whose job is not processing."""
    root = docs_cache.temp_root()
    if not root.is_dir():
        return 0
    names = [entry.name for entry in root.iterdir()]
    busy = set(
        Job.objects.filter(job_id__in=names, status=Status.PROCESSING).values_list(
            "job_id", flat=True
        )
    )
    removed = 0
    for name in names:
        if name not in busy:
            path = root / name
            if path.is_symlink() or path.is_file():
                path.unlink(missing_ok=True)
            else:
                shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


def _die_with_parent() -> None:
    """Linux: have the kernel kill this child if the worker dies (even by SIGKILL).

    Otherwise an orphan would keep cloning a job the reaper has already re-queued.
    """
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(1)


def _child_main(job_pk: int) -> None:
    """Entry point of the per-job child process."""
    # A session of its own: the terminal's Ctrl-C goes to the parent only, and the
    # parent can kill this process together with git and anything else it started.
    os.setsid()
    _die_with_parent()
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        job = Job.objects.select_related("worker").get(pk=job_pk)
        logs.set_fields(job_id=job.job_id, attempt=job.attempts, repository=job.repo_url)
        pipeline.run(job)
    finally:
        connections.close_all()


@dataclass
class Running:
    job: Job
    process: BaseProcess
    started: float = field(default_factory=time.monotonic)


class Worker:
    def __init__(
        self,
        *,
        concurrency: int = 1,
        interval: float = 1.0,
        batch: bool = False,
        max_jobs: int | None = None,
        grace_seconds: float | None = None,
        metrics_port: int | None = None,
        metrics_host: str = "127.0.0.1",
    ) -> None:
        self.concurrency = max(1, concurrency)
        self.interval = max(0.01, interval)
        self.batch = batch
        self.max_jobs = max_jobs
        self.grace_seconds = (
            settings.CODEWIKI_SHUTDOWN_GRACE_SECONDS if grace_seconds is None else grace_seconds
        )
        self.lease_seconds = max(2, settings.CODEWIKI_LEASE_SECONDS)
        self.job_timeout = settings.CODEWIKI_JOB_TIMEOUT
        self.running: dict[int, Running] = {}
        self.metrics = WorkerMetrics()
        self.metrics_port = metrics_port
        self.metrics_host = metrics_host
        self.claimed = 0
        self.record: WorkerRecord | None = None
        self.stop_requested_at: float | None = None
        self.force_exit = False
        self._wakeup_r, self._wakeup_w = os.pipe()
        self._next_heartbeat = 0.0
        self._next_reap = 0.0
        self._next_supervise = 0.0

    # --- lifecycle ------------------------------------------------------------

    def run(self) -> int:
        """Loop until a signal, an empty queue (--batch) or --max-jobs; returns the exit code."""
        for alias in connections:
            # The loop is one endless "request": keep the connection across
            # iterations (no reconnect per poll) but health-check it each time.
            connections[alias].settings_dict.update(CONN_MAX_AGE=None, CONN_HEALTH_CHECKS=True)
        self.record = WorkerRecord.objects.create(
            hostname=socket.gethostname(), pid=os.getpid(), concurrency=self.concurrency
        )
        logs.set_fields(worker=str(self.record))
        if self.metrics_port is not None:
            serve_worker_metrics(self.metrics, self.metrics_host, self.metrics_port)
        previous = self._install_signal_handlers()
        swept = sweep_temp_folders()
        logger.info(
            "Background worker started (%s, concurrency %d%s)",
            self.record,
            self.concurrency,
            f", removed {swept} leftover temp folders" if swept else "",
        )
        try:
            while not self._should_exit():
                close_old_connections()
                try:
                    self._tick()
                except DatabaseError:
                    # A database restart or failover must not kill the worker: its
                    # children keep running and the leases outlast a short outage.
                    logger.exception("Database error in the worker loop; retrying shortly")
                    connections.close_all()
                    self._sleep(min(5.0, self.lease_seconds / 4))
            return 0
        finally:
            self._shutdown()
            self._restore_signal_handlers(previous)
            logger.info("Worker %s stopped", self.record)

    def _should_exit(self) -> bool:
        if self.force_exit:
            return True
        if self.stop_requested_at is not None:
            if not self.running:
                return True
            if time.monotonic() - self.stop_requested_at >= self.grace_seconds:
                logger.warning("Grace period over; handing %d job(s) back", len(self.running))
                return True
        return False

    def _tick(self) -> None:
        now = time.monotonic()
        self._collect_finished()
        if now >= self._next_heartbeat:
            self._heartbeat()
            self._next_heartbeat = now + max(1.0, self.lease_seconds / 4)
        if self.running and now >= self._next_supervise:
            self._supervise()
            self._next_supervise = now + SUPERVISE_INTERVAL
        if now >= self._next_reap:
            reap_lost_jobs(metrics=self.metrics)
            prune_dead_workers(self.lease_seconds)
            self._next_reap = now + max(1.0, self.lease_seconds / 4)
        claimed_any, queue_empty = self._claim_available()
        if claimed_any:
            return  # keep draining without sleeping
        if self._done_claiming(queue_empty) and not self.running:
            self.stop_requested_at = self.stop_requested_at or time.monotonic()
            return
        self._sleep(SUPERVISE_INTERVAL if self.running else self.interval)

    def _done_claiming(self, queue_empty: bool) -> bool:
        reached_max = self.max_jobs is not None and self.claimed >= self.max_jobs
        return reached_max or (self.batch and queue_empty)

    def _claim_available(self) -> tuple[bool, bool]:
        """Claim until the slots are full; returns (claimed anything, queue looked empty)."""
        assert self.record is not None
        claimed_any = False
        while self.stop_requested_at is None and not self._done_claiming(queue_empty=False):
            budget = None if self.max_jobs is None else self.max_jobs - self.claimed
            claimed = claim_ready(
                self.record,
                self.lease_seconds,
                slots=self.concurrency - len(self.running),
                budget=budget,
                metrics=self.metrics,
            )
            self.claimed += claimed.count
            for job in claimed.to_run:
                self._start_child(job)
            if claimed.seen == 0:
                return claimed_any, True
            if claimed.count == 0:
                break  # slots full; the rest waits for a free one
            claimed_any = True
        return claimed_any, False

    def _start_child(self, job: Job) -> None:
        # The child must not share the parent's database sockets.
        connections.close_all()
        process = FORK.Process(target=_child_main, args=(job.pk,), name=f"job-{job.job_id}")
        process.start()
        self.running[job.pk] = Running(job, process)

    # --- supervision ------------------------------------------------------------

    def _collect_finished(self) -> None:
        for pk, running in list(self.running.items()):
            if running.process.is_alive():
                continue
            running.process.join()
            del self.running[pk]
            self._after_child_exit(running)

    def _after_child_exit(self, running: Running) -> None:
        job = running.job
        code = running.process.exitcode
        attempt = job.attempts
        job.refresh_from_db()
        if job.status != Status.PROCESSING or job.worker_id != self.record_id:
            # The child recorded its outcome (and its step timings) in the attempt row.
            self.metrics.record_attempts(
                JobAttempt.objects.filter(job_id=job.pk, number=attempt),
                from_cache=job.from_cache if job.status == Status.COMPLETED else None,
            )
            return
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        message = f"Job process died unexpectedly ({how}); see the worker log"
        self._end_running_job(running, "fail", message)

    def _supervise(self) -> None:
        """Stop children whose job was cancelled or ran past the time limit."""
        cancelled = set(
            Job.objects.filter(pk__in=list(self.running), cancel_requested=True).values_list(
                "pk", flat=True
            )
        )
        now = time.monotonic()
        for pk, running in list(self.running.items()):
            if pk in cancelled:
                self._end_running_job(running, "cancel", "Cancelled by operator while running")
            elif now - running.started > self.job_timeout:
                self._end_running_job(
                    running,
                    "fail",
                    f"Timed out after {self.job_timeout} s (the job time limit, "
                    "CODEWIKI_JOB_TIMEOUT)",
                )

    def _end_running_job(self, running: Running, action: str, message: str) -> None:
        """Kill a job's child (if alive), clean its clone and record ``action``."""
        self._kill(running.process)
        self.running.pop(running.job.pk, None)
        job = running.job
        shutil.rmtree(pipeline.temp_dir_for(job), ignore_errors=True)
        outcome = {
            "fail": JobAttempt.Outcome.FAILED,
            "cancel": JobAttempt.Outcome.CANCELLED,
            "hand_back": JobAttempt.Outcome.HANDED_BACK,
        }[action]
        try:
            if action == "fail":
                job.mark_failed(message, worker_id=self.record_id)
                logger.error("Job %s: Failed with error: %s", job.job_id, message)
            elif action == "cancel":
                job.mark_cancelled(message)
                logger.info("Job %s: %s", job.job_id, message)
            else:
                job.requeue(message, count_attempt=False, worker_id=self.record_id)
                logger.info("Job %s: handed back to the queue", job.job_id)
        except InvalidTransition:
            return  # the child finished first; its outcome stands
        pipeline.finish_attempt(job, outcome, message)
        self.metrics.attempt_finished(outcome, time.monotonic() - running.started)

    @staticmethod
    def _kill(process: BaseProcess) -> None:
        if process.is_alive() and process.pid is not None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                process.kill()  # not yet in its own session
        process.join(timeout=10)

    def _heartbeat(self) -> None:
        now = timezone.now()
        WorkerRecord.objects.filter(pk=self.record_id).update(
            last_heartbeat=now, stopping=self.stop_requested_at is not None
        )
        if self.running:
            Job.objects.filter(pk__in=list(self.running), worker_id=self.record_id).update(
                heartbeat_at=now, lease_expires_at=now + timedelta(seconds=self.lease_seconds)
            )

    @property
    def record_id(self) -> uuid.UUID:
        assert self.record is not None
        return self.record.pk

    # --- signals and shutdown -----------------------------------------------------

    def _install_signal_handlers(self) -> dict[int, object]:
        os.set_blocking(self._wakeup_w, False)
        signal.set_wakeup_fd(self._wakeup_w, warn_on_full_buffer=False)
        previous = {}
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, self._on_signal)
        for signum in startup_signals.received():  # arrived while Django was starting
            self._on_signal(signum, None)
        return previous

    def _restore_signal_handlers(self, previous: dict[int, object]) -> None:
        signal.set_wakeup_fd(-1)
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        os.close(self._wakeup_r)
        os.close(self._wakeup_w)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.stop_requested_at is None:
            self.stop_requested_at = time.monotonic()
            logger.info(
                "%s received: no new jobs; waiting up to %g s for %d running job(s). "
                "Send it again to stop now.",
                name,
                self.grace_seconds,
                len(self.running),
            )
        else:
            self.force_exit = True
            logger.warning("%s received again: stopping now", name)

    def _sleep(self, seconds: float) -> None:
        """Wait for a child to exit, a signal, or the timeout, whichever comes first."""
        sentinels: list[int] = [r.process.sentinel for r in self.running.values()]
        ready = wait([self._wakeup_r, *sentinels], timeout=seconds)
        if self._wakeup_r in ready:
            with contextlib.suppress(BlockingIOError):
                os.read(self._wakeup_r, 512)

    def _shutdown(self) -> None:
        """Hand back whatever still runs, then remove this worker's row."""
        for running in list(self.running.values()):
            if running.process.is_alive():
                self._end_running_job(running, "hand_back", "Handed back: worker stopping")
            else:
                self.running.pop(running.job.pk, None)
                self._after_child_exit(running)
        if self.record is not None:
            WorkerRecord.objects.filter(pk=self.record.pk).delete()
