"""One job, start to finish: cache → resolve → cache → clone → generate → publish.

``run`` is what a worker's child process executes. It records progress on the
job as it goes and always ends in an outcome the worker can see in the row:
completed, failed, or re-queued with backoff. The temporary clone is removed
whatever happens. ``cached_entry`` and ``complete_from_entry`` are the cheap
path a worker takes in its own process when the submitted commit is a full
sha already cached.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import logging
import os
import shutil
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Protocol, TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jobs import docs_cache, logs, repositories
from jobs.db_outage import (
    DatabaseUnavailable,
    OutageLog,
    is_disconnect,
    reset_connections,
    retrying,
)
from jobs.docgen import GenerationOptions, generate_docs
from jobs.fetch import FetchError, needs_credential, resolve_commit, shallow_fetch
from jobs.git_credentials import redact
from jobs.models import CacheEntry, InvalidTransition, Job, JobAttempt, Worker
from jobs.prose_config import job_deadline, prose_settings
from jobs.prose_config import summary as prose_summary
from jobs.repo_urls import display_name, is_full_sha, web_url

logger = logging.getLogger("jobs.worker")

CACHE_HIT_MESSAGE = "Documentation retrieved from cache"
NO_SPACE = "no space left on device"  # how git reports ENOSPC

T = TypeVar("T")


class Retrying(Protocol):
    def __call__(self, fn: Callable[[], T], what: str) -> T: ...


def temp_dir_name(job_id: str, attempt: int) -> str:
    return f"{job_id}-{attempt}"


def temp_dir_for(job: Job) -> Path:
    """The current attempt's own folder: a stale attempt can never delete a newer one's clone."""
    return docs_cache.temp_root() / temp_dir_name(job.job_id, job.attempts)


# Step timings of the attempt this process is running (set by ``run``), so that
# whichever path closes the attempt stores them for the worker's metrics.
_attempt_steps: contextvars.ContextVar[dict[str, float] | None] = contextvars.ContextVar(
    "codewiki_attempt_steps", default=None
)


def finish_attempt(
    job: Job, outcome: str, message: str = "", steps: dict[str, float] | None = None
) -> None:
    """Close the job's open attempt record (the timeline's latest entry)."""
    fields: dict[str, object] = {}
    steps = steps if steps is not None else _attempt_steps.get()
    if steps:
        fields["steps"] = {name: round(seconds, 3) for name, seconds in steps.items()}
    JobAttempt.objects.filter(job=job, outcome=JobAttempt.Outcome.RUNNING).update(
        outcome=outcome, finished_at=timezone.now(), message=message[:2000], **fields
    )


def cached_entry(job: Job) -> CacheEntry | None:
    """The cache entry for a job that names a full sha, without any network; else None."""
    if not is_full_sha(job.commit_id):
        return None
    return docs_cache.lookup(job.repo_url, job.commit_id)


def complete_from_entry(job: Job, entry: CacheEntry) -> None:
    if entry.private and not job.private:
        # Docs of a private repository stay private whoever asks for them again.
        Job.objects.filter(pk=job.pk).update(private=True)
        job.private = True
    # One transaction: whoever sees the job completed also sees its repository record.
    with transaction.atomic():
        job.mark_completed(
            docs_path=entry.docs_path,
            resolved_commit=entry.commit_sha,
            from_cache=True,
            worker_id=job.worker_id,
        )
        finish_attempt(job, JobAttempt.Outcome.COMPLETED, CACHE_HIT_MESSAGE)
        repositories.record_completed(job)
    logger.info("Job %s: Using cached documentation", job.job_id)


class _BatchRaced(Exception):
    """Fewer jobs moved than were claimed: undo the batch and go one by one."""


def complete_many_from_cache(hits: Sequence[tuple[Job, CacheEntry]], worker: Worker) -> bool:
    """Claim and complete queued cache-hit jobs together; False if nothing was done.

    One UPDATE moves every job and one INSERT writes their attempt records, instead
    of five statements per job: that was most of the cost of a cache hit. Runs
    inside the claiming transaction, whose row locks (PostgreSQL) or write lock
    (SQLite) keep the jobs queued, so all of them move; should fewer move anyway,
    the batch is rolled back and the caller claims the jobs one by one.
    """
    paths = {job.pk: entry.docs_path for job, entry in hits}
    # As in complete_from_entry: docs of a private repository stay private.
    private = [job.pk for job, entry in hits if entry.private and not job.private]
    now = timezone.now()
    try:
        with transaction.atomic():
            moved = Job.objects.claim_completed_from_cache(
                paths, worker, CACHE_HIT_MESSAGE, make_private=private
            )
            if moved != len(paths):
                raise _BatchRaced
            JobAttempt.objects.bulk_create(
                JobAttempt(
                    job_id=job.pk,
                    number=job.attempts + 1,
                    worker_name=str(worker),
                    started_at=now,
                    finished_at=now,
                    outcome=JobAttempt.Outcome.COMPLETED,
                    message=CACHE_HIT_MESSAGE,
                )
                for job, _ in hits
            )
    except _BatchRaced:
        return False
    for job, _ in hits:
        logger.info("Job %s: Using cached documentation", job.job_id)
    return True


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
        self.steps: dict[str, float] = {}  # seconds per step, for the attempt's metrics

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time a pipeline step; its log lines carry ``step=name``."""
        started = time.monotonic()
        with logs.bind(step=name):
            try:
                yield
            finally:
                seconds = time.monotonic() - started
                self.steps[name] = self.steps.get(name, 0.0) + seconds
                logger.info("Job %s: step %s took %.2f s", self.job.job_id, name, seconds)

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

    _attempt_steps.set(progress.steps)
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
    started = time.monotonic()  # the worker's time limit counts from about here
    progress(2, "Checking cache")
    if is_full_sha(job.commit_id) and db(
        lambda: complete_from_cache(job, job.commit_id), "checking the cache"
    ):
        return
    timeout = settings.CODEWIKI_CLONE_TIMEOUT
    progress(
        5, "Resolving commit" + (f" {job.commit_id}" if job.commit_id else " of default branch")
    )
    with progress.step("resolve"):
        # Decided per run, not per submission: a credential added or removed since
        # submission changes how this fetch authenticates, and so who may read the docs.
        # A public repository is fetched without the token, even where one applies.
        private = needs_credential(job.repo_url, timeout=timeout)
        if private != job.private:
            db(lambda: Job.objects.filter(pk=job.pk).update(private=private), "saving the job")
            job.private = private
        resolved = resolve_commit(
            job.repo_url, job.commit_id, timeout=timeout, use_credential=private
        )
    if resolved.sha:
        progress(8, f"Checking cache for {resolved.sha[:12]}")
        if db(lambda: complete_from_cache(job, resolved.sha), "checking the cache"):
            return
    progress(10, "Cloning repository")
    shutil.rmtree(workdir, ignore_errors=True)
    with progress.step("clone"):
        sha = shallow_fetch(
            job.repo_url,
            resolved,
            workdir / "repo",
            depth=settings.CODEWIKI_CLONE_DEPTH,
            timeout=timeout,
            use_credential=private,
        )
    if sha != resolved.sha and db(lambda: complete_from_cache(job, sha), "checking the cache"):
        return  # a short sha or a branch that moved: the actual commit may be cached
    db(lambda: Job.objects.filter(pk=job.pk).update(resolved_commit=sha), "saving the commit")
    progress(20, f"Cloned {sha[:12]}; analysing")
    built = workdir / "docs"
    with progress.step("generate"):
        result = generate_docs(
            workdir / "repo",
            built,
            # Without a model endpoint the generator reports "static-analysis", and the job
            # then shows that instead of the MAIN_MODEL it was submitted under.
            GenerationOptions(
                repo_name=display_name(job.repo_url),
                repo_url=web_url(job.repo_url) or "",
                commit=sha,
                prose=prose_settings(deadline=job_deadline(started), worker_id=job.worker_id),
                analysis_cache=str(docs_cache.analysis_cache_root() or ""),
            ),
            progress=progress.scaled(20, 95),
        )
    docs_cache.trim_analysis_cache()
    progress(96, "Storing documentation")
    with progress.step("publish"):
        relpath = docs_cache.publish(built, job.repo_url, sha)
        db(
            lambda: docs_cache.record(job.repo_url, sha, relpath, private=private),
            "recording the cache entry",
        )
    outcome = "Documentation generated"
    fields: dict[str, object] = {"main_model": result.main_model}
    if result.prose is not None:
        report = result.prose
        outcome += f"; {prose_summary(report)}"
        fields.update(
            prose_status=report.status,
            prose_note=report.note[:500],
            llm_calls=report.calls_made,
            llm_calls_reused=report.calls_reused,
            llm_tokens_in=report.tokens_in,
            llm_tokens_out=report.tokens_out,
        )
        log = logger.warning if report.status == "fallback" else logger.info
        log("Job %s: %s", job.job_id, prose_summary(report))
    # The clone goes before the job reads "completed", so nothing is left behind then.
    shutil.rmtree(workdir, ignore_errors=True)
    db(lambda: _complete(job, relpath, sha, fields, outcome), "recording the outcome")
    logger.info("Job %s: Documentation generated successfully", job.job_id)


@transaction.atomic  # all or nothing, so a retry after a lost connection is safe
def _complete(job: Job, relpath: str, sha: str, fields: dict[str, object], outcome: str) -> None:
    Job.objects.filter(pk=job.pk).update(**fields)
    job.mark_completed(
        docs_path=relpath,
        resolved_commit=sha,
        from_cache=False,
        worker_id=job.worker_id,
        progress=outcome,
    )
    finish_attempt(job, JobAttempt.Outcome.COMPLETED, outcome)
    repositories.record_completed(job)


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff for transient failures: base, 2×base, 4×base … capped at 1 h."""
    base = settings.CODEWIKI_RETRY_BACKOFF_SECONDS
    return float(min(base * 2 ** max(attempt - 1, 0), 3600))


def failure_of(exc: BaseException, workdir: Path) -> tuple[str, bool]:
    """What a failed attempt records: (message for users, worth retrying later)."""
    full = _disk_full_in(exc, workdir)
    if full is not None:
        # Space comes back (the cache expires, an operator cleans up): retry later.
        return f"Out of disk space in {_folder_name(full)}", True
    if isinstance(exc, FetchError):
        return exc.message, exc.transient
    if isinstance(exc, KeyboardInterrupt | SystemExit):
        return "Interrupted while running", True
    return (f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__), False


def _disk_full_in(exc: BaseException, workdir: Path) -> Path | None:
    """The folder that ran out of space if ``exc`` (or its cause) is ENOSPC, else None."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno == errno.ENOSPC:
            return Path(os.fsdecode(seen.filename)) if seen.filename else workdir
        if isinstance(seen, FetchError) and NO_SPACE in f"{seen.message}\n{seen.detail}".lower():
            return workdir  # git writes only into the job's clone
        seen = seen.__cause__ or seen.__context__
    return None


def _folder_name(path: Path) -> str:
    """Which of the output folders ``path`` is in, without naming server paths."""
    output = Path(settings.CODEWIKI_OUTPUT_DIR)
    try:
        top = path.resolve().relative_to(output.resolve()).parts[0]
    except (ValueError, IndexError):
        return "the output folder (CODEWIKI_OUTPUT_DIR)"
    return f"the {top} folder (CODEWIKI_OUTPUT_DIR/{top})"


@transaction.atomic  # all or nothing, so a retry after a lost connection is safe
def _record_failure(job: Job, exc: BaseException) -> None:
    message, transient = failure_of(exc, temp_dir_for(job))
    message = redact(message)
    detail = f"\n\ngit said:\n{exc.detail}" if isinstance(exc, FetchError) and exc.detail else ""
    trace = redact("".join(traceback.format_exception(exc)) + detail)
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
