"""Django admin for jobs, cache entries and workers, built to stay fast at a million jobs.

* Operator actions go through ``services.apply_bulk`` so the admin follows the
  same state guards as the dashboard and the API; Django's unguarded
  ``delete_selected`` is replaced for jobs and cache entries.
* "All matching the filter" uses Django's own ``select_across``: the action
  receives the changelist's filtered queryset, not only the ticked rows.
* No whole-table counts: ``show_full_result_count = False``, a paginator whose
  count stops at ``ADMIN_COUNT_CAP``, a date hierarchy that never runs
  ``SELECT DISTINCT`` over dates, and the repository search is the dashboard's
  index-friendly prefix match.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html

from jobs import docs_cache, services
from jobs.fetch import uses_credential
from jobs.filters import repo_prefix_q
from jobs.models import CacheEntry, Job, JobAttempt, Repository, Status, WebhookDelivery, Worker
from jobs.repo_urls import RepoURLError, normalize_commit, normalize_repo_url, web_url
from jobs.repositories import stable_url

ADMIN_COUNT_CAP = 10_000
BULK_CHUNK = 500


class CappedCountPaginator(Paginator):
    """Counts at most ``ADMIN_COUNT_CAP + 1`` rows; later pages are reached by filtering."""

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: ADMIN_COUNT_CAP + 1].count()


def _in_chunks(queryset: QuerySet[Job]) -> Iterator[Job]:
    """The queryset's jobs, fetched in primary-key chunks after the ids are read.

    Reading the ids first means the action never modifies rows of a cursor it
    is still reading (SQLite would skip or repeat rows).
    """
    pks = list(queryset.order_by().values_list("pk", flat=True))
    for start in range(0, len(pks), BULK_CHUNK):
        yield from Job.objects.filter(pk__in=pks[start : start + BULK_CHUNK])


def _report(
    modeladmin: admin.ModelAdmin, request: HttpRequest, action: str, jobs: Iterable[Job]
) -> None:
    report = services.apply_bulk(action, jobs)
    level = messages.SUCCESS if report.done and not report.skipped else messages.WARNING
    if report.done == 0 and not report.skipped:
        level = messages.INFO
    modeladmin.message_user(request, report.message(), level)


class JobAttemptInline(admin.TabularInline):
    model = JobAttempt
    extra = 0
    can_delete = False
    fields = ("number", "worker_name", "started_at", "finished_at", "outcome", "message")
    readonly_fields = fields
    ordering = ("started_at", "id")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Written by the prose step, shown read-only in one fieldset of their own.
PROSE_FIELDS = (
    "prose_status",
    "prose_note",
    "llm_calls",
    "llm_calls_reused",
    "llm_tokens_in",
    "llm_tokens_out",
)


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = (
        "job_id",
        "repository",
        "status_badge",
        "created_at",
        "started_at",
        "completed_at",
        "attempts",
        "worker",
        "priority",
    )
    list_display_links = ("job_id",)
    list_filter = ("status",)
    search_fields = ("repo_url",)  # see get_search_results: a prefix match on the index
    search_help_text = "Repository URL or owner/name prefix, or an exact job id."
    date_hierarchy = "created_at"
    list_select_related = ("worker",)
    list_per_page = 100
    show_full_result_count = False
    paginator = CappedCountPaginator
    ordering = ("-created_at", "-id")
    actions = ("retry_jobs", "cancel_jobs", "delete_jobs")
    inlines = (JobAttemptInline,)
    # Only what an operator may tune; everything else belongs to the worker or to
    # the state machine (retry/cancel/delete are actions, not field edits).
    editable_fields = ("priority", "max_attempts", "run_after")
    readonly_fields = (
        "job_id",
        "repo_link",
        "commit_id",
        "status",
        "created_at",
        "started_at",
        "completed_at",
        "progress",
        "progress_percent",
        "error_message",
        "trace",
        "docs_link",
        "resolved_commit",
        "main_model",
        *PROSE_FIELDS,
        "attempts",
        "worker",
        "lease_expires_at",
        "heartbeat_at",
        "cancel_requested",
        "from_cache",
        "submitted_by",
    )
    fieldsets = (
        (None, {"fields": ("job_id", "repo_link", "commit_id", "resolved_commit", "status")}),
        (
            "Queue",
            {"fields": ("priority", "max_attempts", "run_after", "attempts", "submitted_by")},
        ),
        (
            "Run (owned by the worker)",
            {
                "fields": (
                    "created_at",
                    "started_at",
                    "completed_at",
                    "worker",
                    "heartbeat_at",
                    "lease_expires_at",
                    "cancel_requested",
                    "progress",
                    "progress_percent",
                )
            },
        ),
        ("Result", {"fields": ("docs_link", "from_cache", "main_model", "error_message", "trace")}),
        (
            "Model prose",
            {"fields": PROSE_FIELDS},
        ),
    )

    # --- columns -------------------------------------------------------------

    @admin.display(description="Repository", ordering="repo_url")
    def repository(self, job: Job) -> str:
        return job.repo_display

    @admin.display(description="Status", ordering="status")
    def status_badge(self, job: Job) -> str:
        return format_html(
            '<span class="cw-badge cw-{}">{}</span>', job.status, job.get_status_display()
        )

    @admin.display(description="Repository")
    def repo_link(self, job: Job) -> str:
        link = web_url(job.repo_url)
        if link is None:
            return job.repo_url
        return format_html('<a href="{}" rel="noopener noreferrer">{}</a>', link, job.repo_url)

    @admin.display(description="Error trace")
    def trace(self, job: Job) -> str:
        if not job.error_trace:
            return "—"
        # format_html escapes the trace; <pre> keeps its line breaks and indentation.
        return format_html('<pre class="cw-trace">{}</pre>', job.error_trace)

    @admin.display(description="Docs")
    def docs_link(self, job: Job) -> str:
        if job.status != Status.COMPLETED:
            return "—"
        return format_html(
            '<a href="/docs/{}/">/docs/{}/</a> ({})', job.job_id, job.job_id, job.docs_path
        )

    # --- permissions & saving ---------------------------------------------------

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # jobs are created by services.submit (dashboard, API, command)

    def has_delete_permission(self, request: HttpRequest, obj: Job | None = None) -> bool:
        if obj is not None and not obj.can("delete"):
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: Job) -> None:
        services.delete(obj)

    def save_model(self, request: HttpRequest, obj: Job, form: Any, change: bool) -> None:
        # Write only the operator's fields: a full save would overwrite what the
        # worker wrote meanwhile (progress, status, lease) with this stale copy.
        changed = [name for name in form.changed_data if name in self.editable_fields]
        if change and changed:
            obj.save(update_fields=changed)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # unguarded; delete_jobs replaces it
        return actions

    # --- search -----------------------------------------------------------------

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Job], search_term: str
    ) -> tuple[QuerySet[Job], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        condition = Q(job_id=term)
        prefix = repo_prefix_q(term)
        if prefix is not None:
            condition |= prefix
        return queryset.filter(condition), False

    # --- actions ------------------------------------------------------------------

    @admin.action(description="Retry selected jobs (failed or cancelled)")
    def retry_jobs(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        _report(self, request, "retry", _in_chunks(queryset))

    @admin.action(description="Cancel selected jobs (queued or processing)")
    def cancel_jobs(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        _report(self, request, "cancel", _in_chunks(queryset))

    @admin.action(description="Delete selected finished jobs (cached docs stay)")
    def delete_jobs(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        _report(self, request, "delete", _in_chunks(queryset))


@admin.register(CacheEntry)
class CacheEntryAdmin(admin.ModelAdmin):
    list_display = (
        "repo_url",
        "short_sha",
        "file_count",
        "size_bytes",
        "created_at",
        "last_used_at",
    )
    search_fields = ("repo_url",)
    search_help_text = "Repository URL or owner/name prefix."
    show_full_result_count = False
    paginator = CappedCountPaginator
    actions = ("purge_entries",)
    readonly_fields = (
        "repo_url",
        "commit_sha",
        "docs_path",
        "created_at",
        "last_used_at",
        "size_bytes",
        "file_count",
    )

    @admin.display(description="Commit", ordering="commit_sha")
    def short_sha(self, entry: CacheEntry) -> str:
        return entry.commit_sha[:12]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # entries are recorded by workers

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # would leave the folders on disk
        return actions

    def delete_model(self, request: HttpRequest, obj: CacheEntry) -> None:
        docs_cache.purge(obj)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[CacheEntry], search_term: str
    ) -> tuple[QuerySet[CacheEntry], bool]:
        prefix = repo_prefix_q(search_term)
        return (queryset.filter(prefix) if prefix is not None else queryset), False

    @admin.action(description="Purge selected cache entries (delete their docs folders)")
    def purge_entries(self, request: HttpRequest, queryset: QuerySet[CacheEntry]) -> None:
        entries = list(queryset)
        for entry in entries:
            docs_cache.purge(entry)
        self.message_user(
            request,
            f"Purged {len(entries)} cache entr{'y' if len(entries) == 1 else 'ies'}; "
            "jobs that used them show their docs as missing until regenerated.",
            messages.SUCCESS,
        )


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin):
    list_display = (
        "hostname",
        "pid",
        "concurrency",
        "started_at",
        "last_heartbeat",
        "stale",
        "stopping",
        "running",
    )
    list_filter = ("stopping",)
    search_fields = ("hostname",)
    ordering = ("-last_heartbeat",)
    readonly_fields = (
        "id",
        "hostname",
        "pid",
        "concurrency",
        "started_at",
        "last_heartbeat",
        "stopping",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Worker]:
        return (
            super()
            .get_queryset(request)
            .annotate(running_count=Count("jobs", filter=Q(jobs__status=Status.PROCESSING)))
        )

    @admin.display(description="Running jobs", ordering="running_count")
    def running(self, worker: Worker) -> int:
        return getattr(worker, "running_count", 0)

    @admin.display(description="Stale", boolean=True)
    def stale(self, worker: Worker) -> bool:
        from django.conf import settings

        return worker.is_stale(lease_seconds=settings.CODEWIKI_LEASE_SECONDS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RepositoryForm(forms.ModelForm):
    """Staff add repositories by any URL users may submit; it is stored canonical."""

    class Meta:
        model = Repository
        fields = ("url", "branch", "refresh_minutes", "enabled")

    def clean_url(self) -> str:
        try:
            return normalize_repo_url(self.cleaned_data["url"])
        except RepoURLError as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean_branch(self) -> str:
        try:
            return normalize_commit(self.cleaned_data["branch"])
        except RepoURLError as exc:
            raise forms.ValidationError(exc.message) from exc


@admin.register(Repository)
class RepositoryAdmin(admin.ModelAdmin):
    form = RepositoryForm
    list_display = (
        "url",
        "branch",
        "enabled",
        "refresh_minutes",
        "latest_docs",
        "last_checked_at",
        "next_check_at",
        "private",
    )
    list_filter = ("enabled", "private")
    search_fields = ("url",)
    readonly_fields = (
        "private",
        "last_seen_sha",
        "last_checked_at",
        "next_check_at",
        "last_check_error",
        "latest_docs",
        "created_at",
        "created_by",
    )
    actions = ("enable_repositories", "disable_repositories", "check_now")

    @admin.display(description="Latest docs")
    def latest_docs(self, repo: Repository) -> str:
        if repo.latest_job_id is None:
            return "—"
        url = stable_url(repo.url) or f"/docs/{repo.latest_job.job_id}/"
        return format_html('<a href="{}">{}</a>', url, repo.latest_job.resolved_commit[:12])

    def get_queryset(self, request: HttpRequest) -> QuerySet[Repository]:
        return super().get_queryset(request).select_related("latest_job")

    def save_model(self, request: HttpRequest, obj: Repository, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user.get_username()[:150]
        # Hidden from anonymous visitors before any job: a token fetches it.
        obj.private = obj.private or uses_credential(obj.url)
        obj.next_check_at = timezone.now()  # a new or edited repository is checked soon
        super().save_model(request, obj, form, change)

    @admin.action(description="Enable refreshing of selected repositories")
    def enable_repositories(self, request: HttpRequest, queryset: QuerySet[Repository]) -> None:
        count = queryset.update(enabled=True, next_check_at=timezone.now())
        self.message_user(request, f"Enabled {count} repositor{'y' if count == 1 else 'ies'}")

    @admin.action(description="Disable refreshing of selected repositories")
    def disable_repositories(self, request: HttpRequest, queryset: QuerySet[Repository]) -> None:
        count = queryset.update(enabled=False)
        self.message_user(request, f"Disabled {count} repositor{'y' if count == 1 else 'ies'}")

    @admin.action(description="Check selected repositories for new commits now")
    def check_now(self, request: HttpRequest, queryset: QuerySet[Repository]) -> None:
        count = queryset.filter(enabled=True).update(next_check_at=timezone.now())
        self.message_user(
            request, f"{count} repositor{'y' if count == 1 else 'ies'} will be checked shortly"
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("provider", "delivery_id", "received_at")
    list_filter = ("provider",)
    search_fields = ("delivery_id",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
