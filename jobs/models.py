"""The job queue's records.

The ``Job`` table *is* the queue (DESIGN.md decision 2). Every state change is
a model method built on one conditional UPDATE, so two processes racing for
the same row cannot both win, and an invalid move raises ``InvalidTransition``.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from jobs.git_credentials import redact


class JobError(Exception):
    """Base class for job domain errors; the message is shown to users."""


class InvalidTransition(JobError):
    """A state change that the job's current state does not allow."""

    def __init__(self, job: Job, action: str, allowed_from: frozenset[str]) -> None:
        self.job_id = job.job_id
        self.action = action
        self.current = job.status
        allowed = ", ".join(sorted(allowed_from)) or "no state"
        super().__init__(
            f"Cannot {action} job {job.job_id}: it is {job.status} (allowed from {allowed})"
        )


class Status(models.TextChoices):
    QUEUED = "queued", "Queued"
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


# Text a job row shows anyone: a configured git token never reaches these columns.
REDACTED_FIELDS = frozenset({"error_message", "error_trace", "progress"})


class ProseStatus(models.TextChoices):
    COMPLETED = "completed", "Completed"
    PARTIAL = "partial", "Partly completed"
    FALLBACK = "fallback", "Fell back to static docs"


ACTIVE_STATES = frozenset({Status.QUEUED, Status.PROCESSING})
FINISHED_STATES = frozenset({Status.COMPLETED, Status.FAILED, Status.CANCELLED})

# The one map of which state each action may start from. Services, views,
# admin actions and templates all ask it (via ``Job.can``).
TRANSITIONS: dict[str, frozenset[str]] = {
    "claim": frozenset({Status.QUEUED}),
    "complete": frozenset({Status.PROCESSING}),
    "fail": frozenset({Status.PROCESSING}),
    "requeue": frozenset({Status.PROCESSING}),  # backoff retry, hand-back, reaped lease
    "retry": frozenset({Status.FAILED, Status.CANCELLED}),
    "cancel": frozenset({Status.QUEUED, Status.PROCESSING}),
    "delete": FINISHED_STATES,
}


# The one shape of a job id, shared by ``new_job_id`` and the URL converter
# (jobs/urls.py): letters, digits, '.', '_', '-', never starting with '.' or '-'.
# Dots are allowed because repository names have them (``mrdoob/three.js``).
JOB_ID_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9._-]*"
JOB_ID_RE = re.compile(JOB_ID_PATTERN)
_NOT_ID_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def new_job_id(name: str) -> str:
    """A URL-safe, readable, unique id such as ``mrdoob--three.js-k3m9x2qa``.

    ``name`` is readable text (``owner--repo``, a local folder name); anything
    outside the id alphabet becomes '-', so every name a host allows routes.
    """
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
    suffix = "".join(secrets.choice(alphabet) for _ in range(8))
    readable = _NOT_ID_CHARS.sub("-", name)[:80].lstrip(".-") or "repo"
    return f"{readable}-{suffix}"


class JobQuerySet(models.QuerySet["Job"]):
    def queued(self) -> JobQuerySet:
        return self.filter(status=Status.QUEUED)

    def processing(self) -> JobQuerySet:
        return self.filter(status=Status.PROCESSING)

    def active(self) -> JobQuerySet:
        return self.filter(status__in=ACTIVE_STATES)

    def visible_to(self, user: Any) -> JobQuerySet:
        """Jobs ``user`` may see: anonymous visitors see public repositories only."""
        if user is not None and user.is_authenticated:
            return self
        return self.filter(private=False)

    def ready(self, now: datetime | None = None) -> JobQuerySet:
        """Queued jobs whose backoff has elapsed, in claim order."""
        now = now or timezone.now()
        return self.queued().filter(run_after__lte=now).order_by("-priority", "created_at", "id")

    def lease_expired(self, now: datetime | None = None) -> JobQuerySet:
        return self.processing().filter(lease_expires_at__lt=now or timezone.now())

    def claim_completed_from_cache(
        self,
        docs_paths: Mapping[int, str],
        worker: Worker,
        message: str,
        *,
        make_private: Collection[int] = (),
    ) -> int:
        """Claim and complete queued jobs whose docs are cached, in one UPDATE.

        ``docs_paths`` maps each job's pk to its cache entry's folder. The rows end
        as ``claim()`` followed by ``mark_completed(from_cache=True)`` would leave
        them; the job's own commit is the resolved one (only a full sha is looked
        up this way); the jobs in ``make_private`` become private. Returns how many
        rows moved: only those still queued do.
        """
        now = timezone.now()
        extra: dict[str, Any] = {}
        if make_private:
            extra["private"] = Case(
                When(pk__in=list(make_private), then=True), default=F("private")
            )
        return self.filter(pk__in=list(docs_paths), status__in=TRANSITIONS["claim"]).update(
            **extra,
            status=Status.COMPLETED,
            worker=worker,
            attempts=F("attempts") + 1,
            started_at=now,
            completed_at=now,
            heartbeat_at=now,
            lease_expires_at=None,
            docs_path=Case(
                *(When(pk=pk, then=Value(path)) for pk, path in docs_paths.items()),
                default=F("docs_path"),
            ),
            resolved_commit=F("commit_id"),
            from_cache=True,
            progress=message,
            progress_percent=100,
            error_message="",
        )


class Worker(models.Model):
    """One live ``runworker`` process, for the dashboard and for ownership of leases."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    concurrency = models.PositiveSmallIntegerField(default=1)
    started_at = models.DateTimeField(default=timezone.now)
    last_heartbeat = models.DateTimeField(default=timezone.now, db_index=True)
    stopping = models.BooleanField(default=False)

    class Meta:
        ordering = ["hostname", "pid"]

    def __str__(self) -> str:
        return f"{self.hostname}:{self.pid}"

    def is_stale(self, now: datetime | None = None, lease_seconds: int = 60) -> bool:
        return self.last_heartbeat < (now or timezone.now()) - timedelta(seconds=lease_seconds)


class Job(models.Model):
    job_id = models.CharField(
        max_length=100, unique=True, validators=[RegexValidator(f"^{JOB_ID_PATTERN}$")]
    )
    repo_url = models.CharField(max_length=500, help_text="Canonical repository URL")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    error_message = models.TextField(blank=True, default="")
    progress = models.CharField(max_length=255, blank=True, default="")
    docs_path = models.CharField(
        max_length=500, blank=True, default="", help_text="Relative to the docs folder"
    )
    main_model = models.CharField(max_length=100, blank=True, default="")
    commit_id = models.CharField(
        max_length=255, blank=True, default="", help_text="Commit or ref the user asked for"
    )

    # What operations need.
    priority = models.SmallIntegerField(default=0, help_text="Higher runs first")
    progress_percent = models.PositiveSmallIntegerField(default=0)
    error_trace = models.TextField(blank=True, default="")
    resolved_commit = models.CharField(max_length=40, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    run_after = models.DateTimeField(default=timezone.now)
    worker = models.ForeignKey(
        Worker, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    from_cache = models.BooleanField(default=False)
    submitted_by = models.CharField(max_length=150, blank=True, default="")
    private = models.BooleanField(
        default=False,
        help_text="Fetched with a configured credential: only logged-in users see it",
    )

    # Model-written prose (empty status: static docs only, no model configured).
    prose_status = models.CharField(
        max_length=16, choices=ProseStatus.choices, blank=True, default=""
    )
    prose_note = models.CharField(max_length=500, blank=True, default="")
    llm_calls = models.PositiveIntegerField(default=0, help_text="Requests sent to the model")
    llm_calls_reused = models.PositiveIntegerField(
        default=0, help_text="Answers reused from the model answer cache"
    )
    llm_tokens_in = models.PositiveIntegerField(default=0)
    llm_tokens_out = models.PositiveIntegerField(default=0)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Race-safe dedupe: at most one active job per repository + commit.
            models.UniqueConstraint(
                fields=["repo_url", "commit_id"],
                condition=Q(status__in=["queued", "processing"]),
                name="job_one_active_per_repo_commit",
            ),
        ]
        indexes = [
            # The claim query: queued, by priority then age.
            models.Index(
                fields=["-priority", "created_at", "id"],
                condition=Q(status="queued"),
                name="job_claim_idx",
            ),
            # The reaper: processing jobs by lease expiry.
            models.Index(
                fields=["lease_expires_at"],
                condition=Q(status="processing"),
                name="job_lease_idx",
            ),
            # Dashboard: newest first overall and per state (keyset pagination).
            models.Index(fields=["-created_at", "-id"], name="job_newest_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="job_status_newest_idx"),
            models.Index(fields=["repo_url", "-created_at"], name="job_repo_idx"),
            models.Index(fields=["completed_at"], name="job_completed_idx"),
        ]

    def __str__(self) -> str:
        return self.job_id

    # --- state --------------------------------------------------------------

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATES

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATES

    def visible_to(self, user: Any) -> bool:
        return not self.private or (user is not None and user.is_authenticated)

    def can(self, action: str) -> bool:
        return self.status in TRANSITIONS[action]

    def _transition(
        self,
        action: str,
        to: str | None,
        *,
        worker_id: uuid.UUID | None = None,
        guard: Q | None = None,
        **fields: Any,
    ) -> None:
        """Move to ``to`` with ``fields`` iff the row is still in an allowed state.

        The WHERE clause re-checks the state in the database, so a stale
        in-memory copy (or a competing process) can never make a bad move.
        ``worker_id`` additionally requires that worker to still own the job, so
        a job whose lease was taken back cannot be finished by its old runner;
        ``guard`` adds any other condition the move depends on.
        """
        allowed = TRANSITIONS[action]
        values = dict(fields)
        for name in REDACTED_FIELDS.intersection(values):
            values[name] = redact(values[name])
        if to is not None:
            values["status"] = to
        query = Job.objects.filter(pk=self.pk, status__in=allowed)
        if worker_id is not None:
            query = query.filter(worker_id=worker_id)
        if guard is not None:
            query = query.filter(guard)
        if query.update(**values) != 1:
            self.refresh_from_db(fields=["status"])
            raise InvalidTransition(self, action, allowed)
        for name, value in values.items():
            setattr(self, name, value)

    def claim(self, worker: Worker, lease_seconds: int) -> None:
        now = timezone.now()
        self._transition(
            "claim",
            Status.PROCESSING,
            worker=worker,
            attempts=self.attempts + 1,
            started_at=now,
            completed_at=None,
            heartbeat_at=now,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            progress=f"Claimed by {worker}",
            progress_percent=0,
            error_message="",
        )

    def reclaim_lost(self, now: datetime) -> str:
        """Take back a job whose worker stopped renewing its lease; returns the outcome.

        Re-checks the expiry in the UPDATE so a worker that heartbeats at the
        last moment keeps its job.
        """
        expired = Q(lease_expires_at__lt=now)
        who = str(self.worker) if self.worker_id else "unknown worker"
        if self.cancel_requested:
            self._transition(
                "cancel",
                Status.CANCELLED,
                guard=expired,
                completed_at=now,
                progress="Cancelled (its worker was lost)",
                error_message="Cancelled by operator; its worker was lost",
                lease_expires_at=None,
                cancel_requested=False,
            )
            return Status.CANCELLED
        if self.attempts >= self.max_attempts:
            message = (
                f"Worker lost: {who} stopped renewing its lease; "
                f"all {self.max_attempts} attempts used"
            )
            self._transition(
                "fail",
                Status.FAILED,
                guard=expired,
                completed_at=now,
                error_message=message,
                progress=message[:255],
                lease_expires_at=None,
            )
            return Status.FAILED
        self._transition(
            "requeue",
            Status.QUEUED,
            guard=expired,
            run_after=now,
            worker=None,
            lease_expires_at=None,
            heartbeat_at=None,
            progress=f"Worker lost ({who}); re-queued after attempt {self.attempts}",
            progress_percent=0,
        )
        return Status.QUEUED

    def mark_completed(
        self,
        *,
        docs_path: str,
        resolved_commit: str,
        from_cache: bool,
        worker_id: uuid.UUID | None = None,
        progress: str = "",
    ) -> None:
        if not progress:
            progress = (
                "Documentation retrieved from cache" if from_cache else "Documentation generated"
            )
        self._transition(
            "complete",
            Status.COMPLETED,
            worker_id=worker_id,
            completed_at=timezone.now(),
            docs_path=docs_path,
            resolved_commit=resolved_commit,
            from_cache=from_cache,
            progress=progress[:255],
            progress_percent=100,
            error_message="",
            lease_expires_at=None,
        )

    def mark_failed(
        self, message: str, trace: str = "", *, worker_id: uuid.UUID | None = None
    ) -> None:
        self._transition(
            "fail",
            Status.FAILED,
            worker_id=worker_id,
            completed_at=timezone.now(),
            error_message=message,
            error_trace=trace,
            progress=f"Failed: {message}"[:255],
            lease_expires_at=None,
        )

    def requeue(
        self,
        reason: str,
        *,
        delay_seconds: float = 0,
        count_attempt: bool = True,
        trace: str = "",
        worker_id: uuid.UUID | None = None,
    ) -> None:
        """Put a processing job back in the queue (backoff retry, hand-back, lost worker)."""
        attempts = self.attempts if count_attempt else max(self.attempts - 1, 0)
        self._transition(
            "requeue",
            Status.QUEUED,
            worker_id=worker_id,
            run_after=timezone.now() + timedelta(seconds=delay_seconds),
            attempts=attempts,
            worker=None,
            lease_expires_at=None,
            heartbeat_at=None,
            progress=reason[:255],
            progress_percent=0,
            error_message=reason if count_attempt else "",
            error_trace=trace,
        )

    def mark_cancelled(self, reason: str = "Cancelled by operator") -> None:
        self._transition(
            "cancel",
            Status.CANCELLED,
            completed_at=timezone.now(),
            progress=reason[:255],
            error_message=reason,
            lease_expires_at=None,
            cancel_requested=False,
        )

    def request_cancel(self) -> None:
        """Ask the worker running this job to stop it (it polls this flag)."""
        self._transition("cancel", None, cancel_requested=True)

    def retry(self) -> None:
        self._transition(
            "retry",
            Status.QUEUED,
            attempts=0,
            run_after=timezone.now(),
            started_at=None,
            completed_at=None,
            error_message="",
            error_trace="",
            progress="Queued for retry",
            progress_percent=0,
            cancel_requested=False,
            worker=None,
            docs_path="",
        )

    def set_progress(self, percent: int, text: str) -> None:
        """Progress from the running job; ignored once the job has left processing."""
        text = redact(text)
        Job.objects.filter(pk=self.pk, status=Status.PROCESSING).update(
            progress_percent=max(0, min(100, percent)), progress=text[:255]
        )
        self.progress_percent, self.progress = percent, text

    # --- display helpers ----------------------------------------------------

    @property
    def repo_display(self) -> str:
        """``owner/name`` for hosted repositories, the folder name for local ones."""
        from jobs.repo_urls import display_name

        return display_name(self.repo_url)

    @property
    def queue_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        return (self.started_at - self.created_at).total_seconds()

    @property
    def run_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.completed_at or timezone.now()
        return (end - self.started_at).total_seconds()


class JobAttempt(models.Model):
    """One run of a job by a worker; the job's timeline is built from these."""

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        RETRYING = "retrying", "Will retry"
        CANCELLED = "cancelled", "Cancelled"
        HANDED_BACK = "handed_back", "Handed back (worker stopping)"
        LOST = "lost", "Worker lost"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    worker_name = models.CharField(max_length=300)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.RUNNING)
    message = models.TextField(blank=True, default="")
    # Seconds per pipeline step ({"resolve": 0.2, "clone": 1.5, "generate": 4.1, ...}),
    # written by the job's child so its worker can record them as metrics.
    steps = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["job_id", "started_at", "id"]
        indexes = [models.Index(fields=["job", "started_at"], name="attempt_job_idx")]

    def __str__(self) -> str:
        return f"{self.job_id} attempt {self.number} ({self.outcome})"


class CacheEntry(models.Model):
    """Generated docs for one (repository, commit), shared by every job that asks for it."""

    repo_url = models.CharField(max_length=500)
    commit_sha = models.CharField(max_length=40)
    docs_path = models.CharField(max_length=500, help_text="Relative to the docs folder")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(default=timezone.now)
    size_bytes = models.BigIntegerField(default=0)
    file_count = models.PositiveIntegerField(default=0)
    private = models.BooleanField(
        default=False, help_text="Generated from a fetch that used a configured credential"
    )

    class Meta:
        verbose_name_plural = "cache entries"
        ordering = ["-last_used_at"]
        constraints = [
            models.UniqueConstraint(fields=["repo_url", "commit_sha"], name="cache_repo_commit"),
        ]

    def __str__(self) -> str:
        return f"{self.repo_url}@{self.commit_sha[:12]}"


class SubmissionRecord(models.Model):
    """One submission by a rate-limited client, kept for one window (jobs/rate_limit.py)."""

    client = models.CharField(max_length=200, help_text="'user:<id>' or 'ip:<address>'")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["client", "created_at"], name="submission_client_idx"),
            models.Index(fields=["created_at"], name="submission_age_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.client} at {self.created_at:%Y-%m-%d %H:%M:%S}"


class RepositoryQuerySet(models.QuerySet["Repository"]):
    def visible_to(self, user: Any) -> RepositoryQuerySet:
        if user is not None and user.is_authenticated:
            return self
        return self.filter(private=False)

    def due(self, now: datetime | None = None) -> RepositoryQuerySet:
        """Enabled repositories with a refresh interval whose next check has come."""
        return self.filter(
            enabled=True, refresh_minutes__gt=0, next_check_at__lte=now or timezone.now()
        ).order_by("next_check_at", "id")


class Repository(models.Model):
    """A repository whose docs follow one branch: webhooks and the scheduled refresh keep
    them current, and ``/r/<host>/<owner>/<name>/`` always points at the newest."""

    url = models.CharField(max_length=500, unique=True, help_text="Canonical repository URL")
    branch = models.CharField(
        max_length=255, blank=True, default="", help_text="Branch to follow; empty: the default"
    )
    refresh_minutes = models.PositiveIntegerField(
        default=60, help_text="Minutes between checks of the branch head; 0: webhooks only"
    )
    enabled = models.BooleanField(default=True)
    private = models.BooleanField(default=False, help_text="Fetched with a configured credential")
    last_seen_sha = models.CharField(max_length=40, blank=True, default="")
    last_checked_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(default=timezone.now)
    last_check_error = models.CharField(max_length=500, blank=True, default="")
    latest_job = models.ForeignKey(
        Job,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Newest completed docs of the followed branch",
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150, blank=True, default="")

    objects = RepositoryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "repositories"
        ordering = ["url"]
        indexes = [
            models.Index(fields=["next_check_at"], condition=Q(enabled=True), name="repo_due_idx"),
        ]

    def __str__(self) -> str:
        return self.url

    @property
    def display(self) -> str:
        from jobs.repo_urls import display_name

        return display_name(self.url)

    @property
    def followed(self) -> str:
        return self.branch or "default branch"


class WebhookDelivery(models.Model):
    """Delivery ids already handled, so a replayed webhook is ignored."""

    provider = models.CharField(max_length=16)
    delivery_id = models.CharField(max_length=200)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "delivery_id"], name="webhook_delivery_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.delivery_id}"
