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
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from jobs import docs_cache
from jobs.docgen import GenerationOptions, generate_docs
from jobs.fetch import FetchError, resolve_commit, shallow_fetch
from jobs.models import CacheEntry, InvalidTransition, Job, JobAttempt
from jobs.prose_config import job_deadline, prose_settings
from jobs.prose_config import summary as prose_summary
from jobs.repo_urls import display_name, is_full_sha, web_url

logger = logging.getLogger("jobs.worker")

CACHE_HIT_MESSAGE = "Documentation retrieved from cache"


def temp_dir_for(job: Job) -> Path:
    return docs_cache.temp_root() / job.job_id


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
    complete_from_entry(job, entry)
    return True


class Progress:
    """Writes progress to the job, throttled so a chatty generator cannot flood the database."""

    MIN_INTERVAL = 0.25  # seconds between writes of the same percent

    def __init__(self, job: Job) -> None:
        self.job = job
        self.last_percent = -1
        self.last_write = 0.0

    def __call__(self, percent: int, text: str) -> None:
        now = time.monotonic()
        if percent == self.last_percent and now - self.last_write < self.MIN_INTERVAL:
            return
        self.last_percent, self.last_write = percent, now
        self.job.set_progress(percent, text)

    def scaled(self, start: int, end: int) -> Callable[[int, str], None]:
        """A callback mapping the generator's 0–100 onto this job's ``start``–``end``."""

        def report(percent: int, text: str) -> None:
            self(start + (end - start) * max(0, min(percent, 100)) // 100, text)

        return report


def run(job: Job) -> None:
    """Run the whole pipeline for a claimed job. Never raises: outcomes go to the row."""
    progress = Progress(job)
    workdir = temp_dir_for(job)
    started = time.monotonic()
    try:
        _run_pipeline(job, progress, workdir, started)
    except BaseException as exc:  # Ctrl-C, SystemExit too: the row must say so
        _record_failure(job, exc)
        if not isinstance(exc, Exception):
            raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run_pipeline(job: Job, progress: Progress, workdir: Path, started: float) -> None:
    progress(2, "Checking cache")
    if is_full_sha(job.commit_id) and complete_from_cache(job, job.commit_id):
        return
    timeout = settings.CODEWIKI_CLONE_TIMEOUT
    progress(
        5, "Resolving commit" + (f" {job.commit_id}" if job.commit_id else " of default branch")
    )
    resolved = resolve_commit(job.repo_url, job.commit_id, timeout=timeout)
    if resolved.sha:
        progress(8, f"Checking cache for {resolved.sha[:12]}")
        if complete_from_cache(job, resolved.sha):
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
    if sha != resolved.sha and complete_from_cache(job, sha):
        return  # a short sha or a branch that moved: the actual commit may be cached
    Job.objects.filter(pk=job.pk).update(resolved_commit=sha)
    progress(20, f"Cloned {sha[:12]}; analysing")
    built = workdir / "docs"
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
        ),
        progress=progress.scaled(20, 95),
    )
    progress(96, "Storing documentation")
    relpath = docs_cache.publish(built, job.repo_url, sha)
    docs_cache.record(job.repo_url, sha, relpath)
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
    Job.objects.filter(pk=job.pk).update(**fields)
    job.mark_completed(
        docs_path=relpath,
        resolved_commit=sha,
        from_cache=False,
        worker_id=job.worker_id,
        progress=outcome,
    )
    finish_attempt(job, JobAttempt.Outcome.COMPLETED, outcome)
    logger.info("Job %s: Documentation generated successfully", job.job_id)


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff for transient failures: base, 2×base, 4×base … capped at 1 h."""
    base = settings.CODEWIKI_RETRY_BACKOFF_SECONDS
    return float(min(base * 2 ** max(attempt - 1, 0), 3600))


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
