"""One job, start to finish: cache → resolve → cache → clone → generate → publish.

``run`` is what a worker's child process executes. It records progress on the
job as it goes and always ends in an outcome the worker can see in the row:
completed, failed, or re-queued with backoff. The temporary clone is removed
whatever happens. ``cached_entry`` and ``complete_from_entry`` are the cheap
path a worker takes in its own process when the submitted commit is a full
sha already cached.
"""

from __future__ import annotations

import logging
import shutil
import time
import traceback
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Protocol, TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jobs import docs_cache
from jobs.db_outage import (
    DatabaseUnavailable,
    OutageLog,
    is_disconnect,
    reset_connections,
    retrying,
)
from jobs.docgen import GenerationOptions, generate_docs
from jobs.fetch import FetchError, resolve_commit, shallow_fetch
from jobs.models import CacheEntry, InvalidTransition, Job, JobAttempt
from jobs.repo_urls import display_name, is_full_sha, web_url

logger = logging.getLogger("jobs.worker")

CACHE_HIT_MESSAGE = "Documentation retrieved from cache"

T = TypeVar("T")


class Retrying(Protocol):
    def __call__(self, fn: Callable[[], T], what: str) -> T: ...


def temp_dir_name(job_id: str, attempt: int) -> str:
    return f"{job_id}-{attempt}"


def temp_dir_for(job: Job) -> Path:
    """The current attempt's own folder: a stale attempt can never delete a newer one's clone."""
    return docs_cache.temp_root() / temp_dir_name(job.job_id, job.attempts)


def finish_attempt(job: Job, outcome: str, message: str = "") -> None:
    """Close the job's open attempt record (the timeline's latest entry)."""
    JobAttempt.objects.filter(job=job, outcome=JobAttempt.Outcome.RUNNING).update(
        outcome=outcome, finished_at=timezone.now(), message=message[:2000]
    )


def cached_entry(job: Job) -> CacheEntry | None:
    """The cache entry for a job that names a full sha, without any network; else None."""
    if not is_full_sha(job.commit_id):
        return None
    return docs_cache.lookup(job.repo_url, job.commit_id)


def complete_from_entry(job: Job, entry: CacheEntry) -> None:
    job.mark_completed(
        docs_path=entry.docs_path,
        resolved_commit=entry.commit_sha,
        from_cache=True,
        worker_id=job.worker_id,
    )
    finish_attempt(job, JobAttempt.Outcome.COMPLETED, CACHE_HIT_MESSAGE)
    logger.info("Job %s: Using cached documentation", job.job_id)


def complete_from_cache(job: Job, sha: str) -> bool:
    """Complete ``job`` from the cache if (repo, sha) is there; True when it did."""
    entry = docs_cache.lookup(job.repo_url, sha)
    if entry is None:
        return False
    with transaction.atomic():  # all or nothing, so a retry after a lost connection is safe
        complete_from_entry(job, entry)
    return True


class Progress:
    """Writes progress to the job, throttled so a chatty generator cannot flood the database.

    Progress is best effort: while the database is unreachable it is skipped
    (one reconnect attempt a second at most) rather than holding up the work.
    """

    MIN_INTERVAL = 0.25  # seconds between writes of the same percent
    OUTAGE_INTERVAL = 1.0  # seconds between reconnect attempts during an outage

    def __init__(self, job: Job, log: OutageLog | None = None) -> None:
        self.job = job
        self.log = log or OutageLog(logger, f"Job {job.job_id}")
        self.last_percent = -1
        self.last_write = 0.0

    def __call__(self, percent: int, text: str) -> None:
        now = time.monotonic()
        if percent == self.last_percent and now - self.last_write < self.MIN_INTERVAL:
            return
        if self.log.down and now - self.last_write < self.OUTAGE_INTERVAL:
            return
        self.last_percent, self.last_write = percent, now
        try:
            self.job.set_progress(percent, text)
        except Exception as exc:
            if not is_disconnect(exc):
                raise
            self.log.lost(exc)
            reset_connections()
        else:
            self.log.back()

    def scaled(self, start: int, end: int) -> Callable[[int, str], None]:
        """A callback mapping the generator's 0–100 onto this job's ``start``–``end``."""

        def report(percent: int, text: str) -> None:
            self(start + (end - start) * max(0, min(percent, 100)) // 100, text)

        return report


def run(job: Job, log: OutageLog | None = None) -> None:
    """Run the whole pipeline for a claimed job; outcomes go to the row.

    Every database write rides out a short outage (reconnect and repeat, for up
    to a lease). Raises ``DatabaseUnavailable`` only if the database stays away
    longer: the job did not fail, and the worker puts it back in the queue.
    """
    log = log or OutageLog(logger, f"Job {job.job_id}")
    progress = Progress(job, log)
    workdir = temp_dir_for(job)

    def db(fn: Callable[[], T], what: str) -> T:
        return retrying(fn, budget=float(settings.CODEWIKI_LEASE_SECONDS), log=log, what=what)

    try:
        _run_pipeline(job, progress, workdir, db)
    except DatabaseUnavailable:
        raise
    except BaseException as exc:  # Ctrl-C, SystemExit too: the row must say so
        if is_disconnect(exc):
            raise DatabaseUnavailable(f"Database unreachable: {exc}") from exc
        db(partial(_record_failure, job, exc), "recording the outcome")
        if not isinstance(exc, Exception):
            raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run_pipeline(job: Job, progress: Progress, workdir: Path, db: Retrying) -> None:
    progress(2, "Checking cache")
    if is_full_sha(job.commit_id) and db(
        lambda: complete_from_cache(job, job.commit_id), "checking the cache"
    ):
        return
    timeout = settings.CODEWIKI_CLONE_TIMEOUT
    progress(
        5, "Resolving commit" + (f" {job.commit_id}" if job.commit_id else " of default branch")
    )
    resolved = resolve_commit(job.repo_url, job.commit_id, timeout=timeout)
    if resolved.sha:
        progress(8, f"Checking cache for {resolved.sha[:12]}")
        if db(lambda: complete_from_cache(job, resolved.sha), "checking the cache"):
            return
    progress(10, "Cloning repository")
    shutil.rmtree(workdir, ignore_errors=True)
    sha = shallow_fetch(
        job.repo_url,
        resolved,
        workdir / "repo",
        depth=settings.CODEWIKI_CLONE_DEPTH,
        timeout=timeout,
    )
    if sha != resolved.sha and db(lambda: complete_from_cache(job, sha), "checking the cache"):
        return  # a short sha or a branch that moved: the actual commit may be cached
    db(lambda: Job.objects.filter(pk=job.pk).update(resolved_commit=sha), "saving the commit")
    progress(20, f"Cloned {sha[:12]}; analysing")
    built = workdir / "docs"
    result = generate_docs(
        workdir / "repo",
        built,
        # No model writes prose yet: the generator reports "static-analysis", and the
        # job then shows that instead of the MAIN_MODEL it was submitted under.
        GenerationOptions(
            repo_name=display_name(job.repo_url),
            repo_url=web_url(job.repo_url) or "",
            commit=sha,
        ),
        progress=progress.scaled(20, 95),
    )
    progress(96, "Storing documentation")
    relpath = docs_cache.publish(built, job.repo_url, sha)
    db(lambda: docs_cache.record(job.repo_url, sha, relpath), "recording the cache entry")
    db(lambda: _complete(job, relpath, sha, result.main_model), "recording the outcome")
    logger.info("Job %s: Documentation generated successfully", job.job_id)


@transaction.atomic  # all or nothing, so a retry after a lost connection is safe
def _complete(job: Job, relpath: str, sha: str, main_model: str) -> None:
    Job.objects.filter(pk=job.pk).update(main_model=main_model)
    job.mark_completed(
        docs_path=relpath, resolved_commit=sha, from_cache=False, worker_id=job.worker_id
    )
    finish_attempt(job, JobAttempt.Outcome.COMPLETED, "Documentation generated")


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff for transient failures: base, 2×base, 4×base … capped at 1 h."""
    base = settings.CODEWIKI_RETRY_BACKOFF_SECONDS
    return float(min(base * 2 ** max(attempt - 1, 0), 3600))


@transaction.atomic  # all or nothing, so a retry after a lost connection is safe
def _record_failure(job: Job, exc: BaseException) -> None:
    if isinstance(exc, FetchError):
        message, transient = exc.message, exc.transient
        detail = f"\n\ngit said:\n{exc.detail}" if exc.detail else ""
    elif isinstance(exc, KeyboardInterrupt | SystemExit):
        message, transient, detail = "Interrupted while running", True, ""
    else:
        message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        transient, detail = False, ""
    trace = "".join(traceback.format_exception(exc)) + detail
    job.refresh_from_db(fields=["attempts", "max_attempts", "status", "worker"])
    try:
        if transient and job.attempts < job.max_attempts:
            delay = backoff_seconds(job.attempts)
            job.requeue(
                f"Attempt {job.attempts} failed: {message}; retrying in {delay:g} s",
                delay_seconds=delay,
                trace=trace,
                worker_id=job.worker_id,
            )
            finish_attempt(job, JobAttempt.Outcome.RETRYING, message)
            logger.warning(
                "Job %s: Attempt %s failed, will retry: %s", job.job_id, job.attempts, message
            )
        else:
            job.mark_failed(message, trace, worker_id=job.worker_id)
            finish_attempt(job, JobAttempt.Outcome.FAILED, message)
            logger.error("Job %s: Failed with error: %s", job.job_id, message)
    except InvalidTransition:
        # Cancelled or taken back meanwhile: whoever moved it recorded why.
        logger.info("Job %s: outcome not recorded, job is now %s", job.job_id, job.status)
