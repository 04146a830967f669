"""What users and operators can do to jobs: submit, retry, cancel, delete.

The JSON API, the dashboard form, the admin and ``manage.py submit`` all call
these functions, so the rules (URL policy, dedupe, bounded queue, cooldown,
state guards) hold the same everywhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from jobs import rate_limit, wakeup
from jobs.fetch import FetchError, needs_credential, uses_credential
from jobs.models import TRANSITIONS, InvalidTransition, Job, JobError, Status, new_job_id
from jobs.repo_urls import RepoURLError, display_name, normalize_commit, normalize_repo_url

MAX_PRIORITY = 100


class SubmissionError(JobError):
    """A refused submission; ``field`` names the input at fault (or '__all__')."""

    status_code = 400

    def __init__(self, message: str, field: str = "__all__") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class QueueFull(SubmissionError):
    status_code = 429


class CooldownActive(SubmissionError):
    status_code = 429


class RateLimited(SubmissionError):
    """Too many submissions from one client (jobs/rate_limit.py); retry after the wait."""

    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LoginRequiredForPrivate(SubmissionError):
    status_code = 403


class AccessUncertain(SubmissionError):
    status_code = 503


# An anonymous visitor waits for this answer: far shorter than a clone's time limit.
ACCESS_CHECK_SECONDS = 15


def _private_for_anonymous(url: str) -> bool:
    """False when the repository is public; else the request is refused."""
    try:
        if not needs_credential(
            url, timeout=min(settings.CODEWIKI_CLONE_TIMEOUT, ACCESS_CHECK_SECONDS)
        ):
            return False
    except FetchError as exc:
        # "Failed to clone repository: <what git said>": nothing was being cloned.
        reason = exc.message.partition(": ")[2] or exc.message
        raise AccessUncertain(
            f"Could not check whether this repository is public ({reason}): try again "
            "later, or log in to document it.",
            "repo_url",
        ) from None
    raise LoginRequiredForPrivate(
        # Without the token, a private repository and a missing one look the same.
        "This repository is private or does not exist (it cannot be fetched without a "
        "configured credential): log in to document it.",
        "repo_url",
    )


class ActiveDuplicate(JobError):
    """Retrying would make a second active job for the same repository and commit."""


@dataclass(frozen=True)
class Submission:
    job: Job
    created: bool


def submit(
    repo_url: str,
    commit_id: str | None = "",
    *,
    priority: int = 0,
    submitted_by: str = "",
    allow_private: bool = True,
    client: rate_limit.Client | None = None,
) -> Submission:
    """Queue documentation of ``repo_url`` (at ``commit_id``), or return the active job for it.

    ``allow_private`` is False for anonymous visitors: a repository that can only be
    fetched with a configured credential is private, and they may neither see nor
    request it.
    ``client`` is who asks, for the rate limit; None (``manage.py submit``) is exempt.
    """
    try:
        canonical = normalize_repo_url(repo_url)
        commit = normalize_commit(commit_id)
    except RepoURLError as exc:
        raise SubmissionError(exc.message, exc.field) from exc
    if not isinstance(priority, int) or isinstance(priority, bool):
        raise SubmissionError("Priority must be an integer.", "priority")
    if not -MAX_PRIORITY <= priority <= MAX_PRIORITY:
        raise SubmissionError(
            f"Priority must be between -{MAX_PRIORITY} and {MAX_PRIORITY}.", "priority"
        )

    refusal = rate_limit.admit(client)
    if refusal is not None:
        raise RateLimited(refusal.message, refusal.retry_after)
    # Private until a worker has asked without the token (``needs_credential``); an
    # anonymous visitor's request is asked now, as they may not queue a private one
    # (after the rate limit: asking costs a round trip to the host).
    private = uses_credential(canonical)
    if private and not allow_private:
        private = _private_for_anonymous(canonical)
    existing = Job.objects.active().filter(repo_url=canonical, commit_id=commit).first()
    if existing is not None:
        return Submission(existing, created=False)
    _check_cooldown(canonical, commit)
    queued = Job.objects.queued().count()  # bounded by the queue size, served by a partial index
    if queued >= settings.CODEWIKI_QUEUE_SIZE:
        raise QueueFull(
            f"The queue is full ({queued} jobs waiting, limit {settings.CODEWIKI_QUEUE_SIZE}). "
            "Try again in a few minutes."
        )
    job = Job(
        job_id=new_job_id(display_name(canonical).replace("/", "--")),
        repo_url=canonical,
        commit_id=commit,
        priority=priority,
        max_attempts=max(1, settings.CODEWIKI_MAX_ATTEMPTS),
        main_model=settings.MAIN_MODEL,
        submitted_by=submitted_by[:150],
        private=private,
        progress="Waiting for a worker",
    )
    try:
        with transaction.atomic():
            job.save(force_insert=True)
            wakeup.jobs_ready()
    except IntegrityError:
        # Lost a race with an identical submission: the constraint kept one.
        existing = Job.objects.active().filter(repo_url=canonical, commit_id=commit).first()
        if existing is None:
            raise
        return Submission(existing, created=False)
    return Submission(job, created=True)


def _check_cooldown(canonical: str, commit: str) -> None:
    minutes = settings.CODEWIKI_RETRY_COOLDOWN_MINUTES
    if minutes <= 0:
        return
    since = timezone.now() - timedelta(minutes=minutes)
    recent = (
        Job.objects.filter(
            repo_url=canonical, commit_id=commit, status=Status.FAILED, completed_at__gte=since
        )
        .order_by("-completed_at")
        .first()
    )
    if recent is not None and recent.completed_at is not None:
        retry_at = recent.completed_at + timedelta(minutes=minutes)
        wait = max(1, int((retry_at - timezone.now()).total_seconds()))
        raise CooldownActive(
            f"This repository failed {_ago(recent.completed_at)} ({recent.error_message[:200]}). "
            f"Retry after {retry_at:%H:%M:%S} UTC (in {wait} s), or ask an operator to retry "
            f"job {recent.job_id}."
        )


def _ago(moment: datetime) -> str:
    seconds = int((timezone.now() - moment).total_seconds())
    return f"{seconds} s ago" if seconds < 120 else f"{seconds // 60} min ago"


# --- operator actions ---------------------------------------------------------


def retry(job: Job) -> Job:
    """failed/cancelled → queued; the attempt history is kept."""
    try:
        with transaction.atomic():
            job.retry()
            wakeup.jobs_ready()
    except IntegrityError as exc:
        raise ActiveDuplicate(
            f"Cannot retry job {job.job_id}: another job for {job.repo_display} "
            "is already queued or processing."
        ) from exc
    return job


def cancel(job: Job) -> Job:
    """queued → cancelled at once; processing → the worker stops it (within seconds)."""
    if job.status == Status.QUEUED:
        try:
            job.mark_cancelled()
            return job
        except InvalidTransition:
            job.refresh_from_db()  # claimed meanwhile: fall through to a running cancel
    if job.status == Status.PROCESSING:
        job.request_cancel()
        return job
    raise InvalidTransition(job, "cancel", frozenset({Status.QUEUED, Status.PROCESSING}))


def delete(job: Job) -> None:
    """Delete a finished job's record. Its docs stay: they belong to the cache."""
    deleted, _ = Job.objects.filter(pk=job.pk, status__in=TRANSITIONS["delete"]).delete()
    if not deleted:
        job.refresh_from_db(fields=["status"])
        raise InvalidTransition(job, "delete", TRANSITIONS["delete"])


ACTIONS = {"retry": retry, "cancel": cancel, "delete": delete}
# A running job's cancel only asks its worker to stop it, hence "or stopping".
PAST_TENSE = {"retry": "Retried", "cancel": "Cancelled or stopping", "delete": "Deleted"}


@dataclass
class BulkReport:
    action: str
    done: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def message(self) -> str:
        text = f"{PAST_TENSE[self.action]} {self.done} job{'s' if self.done != 1 else ''}"
        if self.skipped:
            count = sum(self.skipped.values())
            if len(self.skipped) == 1:
                reasons = next(iter(self.skipped))
            else:
                reasons = ", ".join(f"{n} {state}" for state, n in sorted(self.skipped.items()))
            text += f", skipped {count} ({reasons})"
        return text


def apply_bulk(action: str, jobs: Iterable[Job]) -> BulkReport:
    """Apply an operator action to many jobs; each wrong state is skipped and counted."""
    report = BulkReport(action)
    perform = ACTIONS[action]
    for job in jobs:
        try:
            perform(job)
        except InvalidTransition:
            report.skipped[job.status] += 1
        except ActiveDuplicate:
            report.skipped["duplicate active"] += 1
        else:
            report.done += 1
    return report
