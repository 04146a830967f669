"""The queue loop behind ``manage.py runworker``.

The parent process claims jobs, renews their leases, reaps jobs whose worker
died, and supervises one child process per job (DESIGN.md decisions 2–4). It
never runs documentation work itself except the cache-hit shortcut, so a
crash, hang or memory blow-up costs one job, not the worker.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from multiprocessing.connection import wait
from pathlib import Path
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

from jobs import docs_cache, logs, pipeline, refresh, startup_signals, wakeup
from jobs.db_outage import DatabaseUnavailable, OutageLog, is_disconnect, retrying
from jobs.job_process import JobProcess, lease_margin
from jobs.metrics import WorkerMetrics, serve_worker_metrics
from jobs.models import CacheEntry, InvalidTransition, Job, JobAttempt, Status
from jobs.models import Worker as WorkerRecord
from jobs.repo_urls import is_full_sha

logger = logging.getLogger("jobs.worker")

SUPERVISE_INTERVAL = 0.5  # seconds between cancel/time-limit checks while jobs run

# Ready jobs looked at per claiming transaction. Cache hits among them complete
# in that transaction, so its commit is shared by up to this many jobs.
CLAIM_BATCH = 100
LEGACY_CLAIM_BATCH = 25

REFRESH_INTERVAL = 2.0  # seconds between a worker's checks for a due tracked repository
# A job child's exit code when the database stayed unreachable past its retry
# budget (EX_TEMPFAIL): the job goes back to the queue, not to "failed".
EXIT_DATABASE_UNAVAILABLE = 75


@dataclass(frozen=True)
class Strategy:
    """How a worker finds and claims work; ``legacy`` is kept to benchmark against."""

    listen: bool  # PostgreSQL LISTEN/NOTIFY wakes an idle worker
    adaptive_poll: bool  # polls start short after work and slow down while idle
    batch_cache_hits: bool  # one UPDATE + one INSERT per batch of cache hits
    claim_batch: int


STRATEGIES = {
    "current": Strategy(
        listen=True, adaptive_poll=True, batch_cache_hits=True, claim_batch=CLAIM_BATCH
    ),
    "legacy": Strategy(
        listen=False, adaptive_poll=False, batch_cache_hits=False, claim_batch=LEGACY_CLAIM_BATCH
    ),
}


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
    strategy: Strategy = STRATEGIES["current"],
    metrics: WorkerMetrics | None = None,
) -> Claimed:
    """Claim ready jobs in one short transaction, priority first, then age.

    Up to ``slots`` jobs are claimed to run in children. A job asking for a full
    sha whose docs are cached needs no slot: it is claimed and completed inside
    this transaction, all such jobs of the batch together, so a cache hit costs a
    share of one lookup, one UPDATE, one INSERT and one commit. On PostgreSQL the
    candidates are locked with SKIP LOCKED so workers never wait on each other; on
    SQLite the transaction holds the write lock from its start (IMMEDIATE) and the
    conditional UPDATEs in ``Job`` decide who wins should that ever not hold.
    """
    result = Claimed()
    with transaction.atomic():
        ready = Job.objects.ready(timezone.now())
        if connection.features.has_select_for_update_skip_locked:
            ready = ready.select_for_update(skip_locked=True)
        candidates = list(ready[: strategy.claim_batch])
        result.seen = len(candidates)
        entries = (
            docs_cache.lookup_many(
                (job.repo_url, job.commit_id) for job in candidates if is_full_sha(job.commit_id)
            )
            if strategy.batch_cache_hits
            else {}
        )
        hits: list[tuple[Job, CacheEntry]] = []
        for job in candidates:
            if budget is not None and result.count + len(hits) >= budget:
                break
            entry = entries.get((job.repo_url, job.commit_id))
            if entry is not None:
                hits.append((job, entry))
                continue
            if not strategy.batch_cache_hits:
                entry = pipeline.cached_entry(job)
            if entry is None and len(result.to_run) >= slots:
                continue
            _claim_one(job, entry, worker, lease_seconds, result, metrics)
        if hits and pipeline.complete_many_from_cache(hits, worker):
            result.from_cache += len(hits)
            if metrics is not None:
                now = timezone.now()
                for job, _ in hits:
                    metrics.claimed((now - job.run_after).total_seconds())
                    metrics.attempt_finished(JobAttempt.Outcome.COMPLETED, 0.0, from_cache=True)
        elif hits:
            for job, entry in hits:
                _claim_one(job, entry, worker, lease_seconds, result, metrics)
    return result


def _claim_one(
    job: Job,
    entry: CacheEntry | None,
    worker: WorkerRecord,
    lease_seconds: int,
    result: Claimed,
    metrics: WorkerMetrics | None = None,
) -> None:
    try:
        job.claim(worker, lease_seconds)
    except InvalidTransition:
        return  # another worker got it first
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


def _complete_from_entry(job: Job, entry: CacheEntry) -> bool:
    try:
        with transaction.atomic():  # a savepoint: a failure here keeps the claim
            pipeline.complete_from_entry(job, entry)
        return True
    except Exception as exc:
        if is_disconnect(exc):
            raise  # the claiming transaction went with the connection; the loop retries
        logger.exception("Job %s: cache shortcut failed; running it in full", job.job_id)
        return False


def reap_lost_jobs(limit: int = 100, metrics: WorkerMetrics | None = None) -> int:
    """Take back processing jobs whose lease expired (their worker was killed or lost)."""
    now = timezone.now()
    reaped = 0
    for job in Job.objects.lease_expired(now).select_related("worker")[:limit]:
        try:
            with transaction.atomic():  # the state and the timeline change together
                outcome = job.reclaim_lost(now)
                pipeline.finish_attempt(job, JobAttempt.Outcome.LOST, job.progress)
                if outcome == Status.QUEUED:
                    wakeup.jobs_ready()
        except InvalidTransition:
            continue  # heartbeat renewed or finished meanwhile
        reaped += 1
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
    """Remove clones left by a crash: any temp folder not of a processing job's current attempt."""
    root = docs_cache.temp_root()
    if not root.is_dir():
        return 0
    entries = list(root.iterdir())
    busy = {
        pipeline.temp_dir_name(job_id, attempts)
        for job_id, attempts in Job.objects.filter(
            job_id__in=[entry.name.rpartition("-")[0] for entry in entries],
            status=Status.PROCESSING,
        ).values_list("job_id", "attempts")
    }
    removed = 0
    for path in entries:
        if path.name not in busy:
            if path.is_symlink() or path.is_file():
                path.unlink(missing_ok=True)
            else:
                shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


def _child_main(job_pk: int) -> None:
    """The per-job child (see jobs.job_process): load the job and run the pipeline."""
    log = OutageLog(logger, f"Job process {os.getpid()}")
    budget = float(settings.CODEWIKI_LEASE_SECONDS)
    try:
        job = retrying(
            lambda: Job.objects.select_related("worker").get(pk=job_pk),
            budget=budget,
            log=log,
            what="loading the job",
        )
        logs.set_fields(job_id=job.job_id, attempt=job.attempts, repository=job.repo_url)
        pipeline.run(job, log=log)
    except DatabaseUnavailable as exc:
        logger.warning("%s; the worker will hand the job back", exc)
        raise SystemExit(EXIT_DATABASE_UNAVAILABLE) from None
    finally:
        connections.close_all()


@dataclass
class Running:
    job: Job
    process: JobProcess
    # This attempt's clone, named when it was claimed: by the time it is cleaned up, the
    # job row may hold a newer attempt (another worker's), whose clone must stay.
    workdir: Path
    started: float = field(default_factory=time.monotonic)
    # Set when the worker decides to stop the job, so the decision survives a
    # database error between killing the child and recording why.
    ending: tuple[str, str] | None = None


class Worker:
    def __init__(
        self,
        *,
        concurrency: int = 1,
        interval: float = 1.0,
        batch: bool = False,
        max_jobs: int | None = None,
        grace_seconds: float | None = None,
        strategy: str = "current",
        metrics_port: int | None = None,
        metrics_host: str = "127.0.0.1",
    ) -> None:
        self.concurrency = max(1, concurrency)
        self.interval = max(0.01, interval)
        self.strategy = STRATEGIES[strategy]
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
        self._next_refresh = 0.0
        self._next_prune = 0.0
        self._next_supervise = 0.0
        self._outage = OutageLog(logger, "Worker")
        self.listener = (
            wakeup.Listener() if self.strategy.listen and wakeup.notifications_supported() else None
        )
        self.backoff = wakeup.IdleBackoff(ceiling=self.interval)

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
                try:
                    close_old_connections()
                    self._tick()
                except DatabaseError as exc:
                    # A database restart or failover must not kill the worker: its
                    # children run on while the lease allows (their guards stop them
                    # before it expires) and the loop reconnects once it is back.
                    if is_disconnect(exc):
                        self._outage.lost(exc)
                    else:
                        logger.exception("Database error in the worker loop; retrying shortly")
                    connections.close_all()
                    self._sleep(min(2.0, self.lease_seconds / 4))
                else:
                    self._outage.back()
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
            self._next_heartbeat = now + self.lease_seconds / 4
        if self.running and now >= self._next_supervise:
            self._supervise()
            self._next_supervise = now + SUPERVISE_INTERVAL
        if now >= self._next_reap:
            reap_lost_jobs(metrics=self.metrics)
            prune_dead_workers(self.lease_seconds)
            self._next_reap = now + max(1.0, self.lease_seconds / 4)
        if now >= self._next_refresh and self.stop_requested_at is None:
            self._refresh()
            self._next_refresh = time.monotonic() + REFRESH_INTERVAL
        if self.listener is not None:
            self.listener.ensure()  # (re)LISTEN before claiming: nothing slips between
        claimed_any, queue_empty = self._claim_available()
        if claimed_any:
            self.backoff.reset()
            return  # keep draining without sleeping
        if self._done_claiming(queue_empty) and not self.running:
            self.stop_requested_at = self.stop_requested_at or time.monotonic()
            return
        wait = self._idle_wait()
        listening = self.listener is not None and self.listener.listening
        logger.debug(
            "Nothing to claim; waiting up to %.2f s%s", wait, " or a notification" * listening
        )
        self._sleep(wait)

    def _idle_wait(self) -> float:
        """How long to wait before polling again when there was nothing to claim."""
        if self.listener is not None and self.listener.listening:
            wait = self.interval  # a notification ends the wait sooner
        elif self.strategy.adaptive_poll:
            wait = self.backoff.next_wait()
        else:
            wait = self.interval
        return min(wait, SUPERVISE_INTERVAL) if self.running else wait

    def _refresh(self) -> None:
        """Check one due tracked repository (jobs/refresh.py); never fatal to the loop."""
        try:
            # A fraction of the lease: the parent heartbeats between checks, not during.
            report = refresh.refresh_due(
                limit=1, timeout=min(settings.CODEWIKI_CLONE_TIMEOUT, self.lease_seconds / 4)
            )
            logger.debug(
                "Refresh pass: %d due, claimed %d, enqueued %d",
                report.due,
                report.claimed,
                report.enqueued,
            )
            if time.monotonic() >= self._next_prune:
                refresh.prune_deliveries()
                self._next_prune = time.monotonic() + 3600
        except DatabaseError:
            raise  # the loop's outage handling deals with it
        except Exception:
            logger.exception("Refresh of tracked repositories failed; continuing")

    def _done_claiming(self, queue_empty: bool) -> bool:
        reached_max = self.max_jobs is not None and self.claimed >= self.max_jobs
        return reached_max or (self.batch and queue_empty)

    def _claim_available(self) -> tuple[bool, bool]:
        """Claim until the slots are full; returns (claimed anything, queue looked empty)."""
        assert self.record is not None
        claimed_any = False
        while self.stop_requested_at is None and not self._done_claiming(queue_empty=False):
            budget = None if self.max_jobs is None else self.max_jobs - self.claimed
            lease_from = time.monotonic()  # no later than the lease's start in the database
            claimed = claim_ready(
                self.record,
                self.lease_seconds,
                slots=self.concurrency - len(self.running),
                budget=budget,
                strategy=self.strategy,
                metrics=self.metrics,
            )
            self.claimed += claimed.count
            for job in claimed.to_run:
                self._start_child(job, lease_from)
            if claimed.seen == 0:
                return claimed_any, True
            if claimed.count == 0:
                break  # slots full; the rest waits for a free one
            claimed_any = True
        return claimed_any, False

    def _lease_deadline(self, renewed_at: float) -> float:
        """When a job whose lease was last renewed at ``renewed_at`` must stop (monotonic)."""
        return renewed_at + self.lease_seconds - lease_margin(self.lease_seconds)

    def _start_child(self, job: Job, lease_from: float) -> None:
        # The child must not share the parent's database sockets.
        connections.close_all()
        process = JobProcess(
            _child_main,
            (job.pk,),
            name=f"job-{job.job_id}",
            deadline=self._lease_deadline(lease_from),
        )
        self.running[job.pk] = Running(job, process, pipeline.temp_dir_for(job))

    # --- supervision ------------------------------------------------------------

    def _collect_finished(self) -> None:
        for pk, running in list(self.running.items()):
            if running.process.is_alive():
                continue
            running.process.join()
            self.backoff.reset()  # a slot is free and work tends to come in bursts
            # Forgotten only once its outcome is settled: if the database is down
            # now, the next tick tries again.
            self._after_child_exit(running)
            self.running.pop(pk, None)

    def _after_child_exit(self, running: Running) -> None:
        job = running.job
        code = running.process.exitcode
        attempt = job.attempts
        job.refresh_from_db()
        if job.status != Status.PROCESSING or job.worker_id != self.record_id:
            # The child recorded its outcome, or the job was taken back meanwhile.
            shutil.rmtree(running.workdir, ignore_errors=True)
            # The attempt row holds the child's outcome and step timings.
            self.metrics.record_attempts(
                JobAttempt.objects.filter(job_id=job.pk, number=attempt).exclude(
                    outcome=JobAttempt.Outcome.LOST
                ),
                from_cache=job.from_cache if job.status == Status.COMPLETED else None,
            )
            return
        if running.ending is not None:
            self._end_running_job(running, *running.ending)
            return
        if running.process.stopped_for_lease:
            self._end_running_job(
                running,
                "retry_later",
                f"Stopped before its lease expired: this worker could not renew it for "
                f"{self.lease_seconds - lease_margin(self.lease_seconds):g} s (database "
                "unreachable or worker stalled); back in the queue",
            )
            return
        if code == EXIT_DATABASE_UNAVAILABLE:
            self._end_running_job(
                running, "retry_later", "The database was unreachable; back in the queue"
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
        """Kill a job's child (if alive), clean its clone and record ``action``.

        The child is dead before anything is recorded, so the job can never run
        here and elsewhere at once. If the database is down, the error propagates
        and the job stays in ``running`` for the next tick to settle.
        """
        running.ending = (action, message)
        running.process.kill()
        job = running.job
        shutil.rmtree(running.workdir, ignore_errors=True)
        outcome = {
            "fail": JobAttempt.Outcome.FAILED,
            "cancel": JobAttempt.Outcome.CANCELLED,
            "hand_back": JobAttempt.Outcome.HANDED_BACK,
            "retry_later": JobAttempt.Outcome.RETRYING,
        }[action]
        try:
            # One transaction: whoever sees the job's new state sees its timeline too.
            with transaction.atomic():
                if action == "fail":
                    job.mark_failed(message, worker_id=self.record_id)
                elif action == "cancel":
                    job.mark_cancelled(message)
                else:
                    # Not the job's fault (a stopping worker, an unreachable database):
                    # the attempt is not counted.
                    job.requeue(message, count_attempt=False, worker_id=self.record_id)
                    wakeup.jobs_ready()
                pipeline.finish_attempt(job, outcome, message)
        except InvalidTransition:
            pass  # the child finished first, or the job was taken back; that outcome stands
        else:
            self.metrics.attempt_finished(outcome, time.monotonic() - running.started)
            if action == "fail":
                logger.error("Job %s: Failed with error: %s", job.job_id, message)
            else:
                logger.info("Job %s: %s", job.job_id, message)
        self.running.pop(job.pk, None)

    def _heartbeat(self) -> None:
        renewed_at = time.monotonic()  # no later than the new lease's start in the database
        now = timezone.now()
        WorkerRecord.objects.filter(pk=self.record_id).update(
            last_heartbeat=now, stopping=self.stop_requested_at is not None
        )
        if not self.running:
            return
        held = Job.objects.filter(
            pk__in=list(self.running), worker_id=self.record_id, status=Status.PROCESSING
        )
        renewed = held.update(
            heartbeat_at=now, lease_expires_at=now + timedelta(seconds=self.lease_seconds)
        )
        if renewed == len(self.running):
            taken_back: set[int] = set()
        else:
            # Taken back by another worker's reaper (re-queued, or running there):
            # this worker must not run it any more. A job its child has just
            # finished is left for _collect_finished.
            taken_back = set(
                Job.objects.filter(pk__in=list(self.running))
                .exclude(worker_id=self.record_id, status=Status.PROCESSING)
                .filter(status__in=[Status.QUEUED, Status.PROCESSING])
                .values_list("pk", flat=True)
            )
        deadline = self._lease_deadline(renewed_at)
        for pk, running in list(self.running.items()):
            if pk in taken_back:
                running.process.kill()
                self.running.pop(pk, None)
                shutil.rmtree(running.workdir, ignore_errors=True)
                logger.warning(
                    "Job %s: taken back by another worker; its process here stopped",
                    running.job.job_id,
                )
            else:
                running.process.renew(deadline)

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
        """Wait for a child to exit, a signal, a new job's notification, or the timeout."""
        waitables: list[int] = [
            self._wakeup_r,
            *(r.process.sentinel for r in self.running.values() if r.process.is_alive()),
        ]
        listener = self.listener
        listening = listener.fileno() if listener is not None else None
        if listening is not None:
            waitables.append(listening)
        ready = wait(waitables, timeout=seconds)
        if self._wakeup_r in ready:
            with contextlib.suppress(BlockingIOError):
                os.read(self._wakeup_r, 512)
        if listener is not None and listening in ready:
            listener.drain()

    def _shutdown(self) -> None:
        """Hand back whatever still runs, then remove this worker's row."""
        if self.listener is not None:
            self.listener.close()
        try:
            for running in list(self.running.values()):
                if running.process.is_alive():
                    self._end_running_job(running, "hand_back", "Handed back: worker stopping")
                else:
                    self._after_child_exit(running)
                    self.running.pop(running.job.pk, None)
            if self.record is not None:
                WorkerRecord.objects.filter(pk=self.record.pk).delete()
        except DatabaseError as exc:
            # Nothing runs any more; the reaper takes the jobs back once the
            # database is reachable and their leases have expired.
            for running in self.running.values():
                running.process.kill()
            logger.warning("Database unreachable while stopping (%s); leases will expire", exc)
