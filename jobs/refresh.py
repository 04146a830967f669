"""Scheduled refresh of tracked repositories, run from every worker's loop.

A repository is due when its ``next_check_at`` has passed. A worker claims it
with one conditional UPDATE that moves ``next_check_at`` forward only if it
still holds the value the worker read, so of several workers on several
machines exactly one wins each check, on SQLite and PostgreSQL alike. The
winner runs one ``git ls-remote`` (``fetch.resolve_commit``) and submits a job
through ``services.submit`` only when the followed branch's head moved.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from jobs import services
from jobs.fetch import FetchError, resolve_commit
from jobs.git_credentials import redact
from jobs.models import Repository, WebhookDelivery

logger = logging.getLogger("jobs.refresh")

DELIVERY_RETENTION = timedelta(days=30)


@dataclass
class RefreshReport:
    due: int = 0
    claimed: int = 0
    enqueued: int = 0


def claim(repo_id: int, seen_next_check: datetime, now: datetime, minutes: int) -> bool:
    """Take the check of one repository; False if another worker took it first."""
    updated = Repository.objects.filter(
        pk=repo_id, enabled=True, next_check_at=seen_next_check
    ).update(next_check_at=now + timedelta(minutes=max(1, minutes)), last_checked_at=now)
    return updated == 1


def due_candidates(now: datetime, limit: int = 1) -> list[tuple[int, datetime, int]]:
    """(id, next_check_at as read, interval) of a few due repositories, oldest first."""
    rows = Repository.objects.due(now).values_list("pk", "next_check_at", "refresh_minutes")
    return list(rows[: limit * 4])


def refresh_due(*, limit: int = 1, timeout: float | None = None) -> RefreshReport:
    """Check up to ``limit`` due repositories; returns what happened.

    ``timeout`` bounds each ``ls-remote`` (the worker passes a fraction of its
    lease so a slow host cannot delay its heartbeats for long).
    """
    now = timezone.now()
    return process(due_candidates(now, limit), now, limit=limit, timeout=timeout)


def process(
    due: list[tuple[int, datetime, int]],
    now: datetime,
    *,
    limit: int = 1,
    timeout: float | None = None,
) -> RefreshReport:
    """Claim and check candidates read earlier (perhaps by several workers at once)."""
    report = RefreshReport(due=len(due))
    for repo_id, seen, minutes in due:
        if report.claimed >= limit:
            break
        if not claim(repo_id, seen, now, minutes):
            continue  # another worker checks this one
        report.claimed += 1
        repo = Repository.objects.select_related("latest_job").get(pk=repo_id)
        if check(repo, timeout=timeout):
            report.enqueued += 1
    return report


def check(repo: Repository, *, timeout: float | None = None) -> bool:
    """One ``ls-remote`` of the followed branch; submit a job if its head moved."""
    limit = settings.CODEWIKI_CLONE_TIMEOUT if timeout is None else timeout
    try:
        head = resolve_commit(repo.url, repo.branch, timeout=limit).sha
    except FetchError as exc:
        message = redact(exc.message)[:500]
        Repository.objects.filter(pk=repo.pk).update(last_check_error=message)
        logger.warning("Refresh of %s failed: %s", repo.url, message)
        return False
    known = repo.last_seen_sha or (repo.latest_job.resolved_commit if repo.latest_job else "")
    Repository.objects.filter(pk=repo.pk).update(last_seen_sha=head, last_check_error="")
    if not head or head == known:
        logger.debug("Refresh of %s: %s unchanged", repo.url, repo.followed)
        return False
    try:
        submission = services.submit(repo.url, head, submitted_by="refresh")
    except services.SubmissionError as exc:
        # Forget the head so the next check tries again.
        Repository.objects.filter(pk=repo.pk).update(
            last_seen_sha=repo.last_seen_sha, last_check_error=exc.message[:500]
        )
        logger.warning("Refresh of %s not enqueued: %s", repo.url, exc.message)
        return False
    logger.info(
        "Refresh of %s: %s moved to %s; job %s",
        repo.url,
        repo.followed,
        head[:12],
        submission.job.job_id,
    )
    return submission.created


def prune_deliveries() -> int:
    deleted, _ = WebhookDelivery.objects.filter(
        received_at__lt=timezone.now() - DELIVERY_RETENTION
    ).delete()
    return deleted
