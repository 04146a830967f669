"""Dashboard, job detail, the submit form and operator actions. Thin: rules live in services.

A page and the fragment HTMX polls render the same template partials, so they
cannot drift apart. A poll answers 286 (stop polling) once the visible jobs
are all finished; the fragment it returns then carries no poll trigger, and a
new submission re-renders the region with one, which starts polling again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling, push_url
from django_htmx.middleware import HtmxDetails

from jobs import dashboard_stats, rate_limit, services
from jobs.filters import JobFilter
from jobs.forms import SubmitForm
from jobs.models import InvalidTransition, Job, JobAttempt, Status
from jobs.pagination import BadCursor
from jobs.repo_urls import web_url
from jobs.repositories import stable_url
from jobs.templatetags.jobs_extras import progress_bar, reltime, short_duration, short_sha

POLL_SECONDS = 3


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


# --- dashboard ------------------------------------------------------------------


def _dashboard_context(request: HttpRequest, job_filter: JobFilter) -> dict[str, Any]:
    page = job_filter.page()
    active = dashboard_stats.active_jobs(request.user)
    counts = job_filter.counts(active=active)
    tabs = job_filter.tabs(counts)
    selected = next(tab for tab in tabs if tab.selected) if job_filter.state else tabs[0]
    label = "Jobs" if not job_filter.state else selected.label
    polling = any(job.is_active for job in page.items)
    return {
        "filter": job_filter,
        "page": page,
        "rows": job_rows(page.items),
        "tabs": tabs,
        "selected_tab": selected,
        "page_title": f"{label} ({selected.count})",
        "stats": dashboard_stats.collect(active=active),
        "polling": polling,
        "poll_seconds": POLL_SECONDS,
        "poll_url": _url("dashboard", job_filter.query_string(cursor=job_filter.cursor)),
        "next_url": (
            _url("dashboard", job_filter.query_string(cursor=page.next_cursor))
            if page.next_cursor
            else None
        ),
        "first_url": _url("dashboard", job_filter.query_string()) if job_filter.cursor else None,
        "is_staff": request.user.is_staff,
        # Where action buttons come back to: this page, even inside a fragment.
        "here": _url("dashboard", job_filter.query_string(cursor=job_filter.cursor)),
    }


@dataclass(frozen=True)
class JobRow:
    job: Job
    job_id: str
    status: str
    cells: str  # safe HTML of the data cells


STATUS_LABELS = dict(Status.choices)

# The table's cells are formatted here rather than in the template: 50 rows of
# template variable lookups (and even of nested format_html calls) were most
# of a poll's cost, see benchmarks/dashboard.py. Every interpolated string
# goes through ``escape``; the <tr>, the header and the staff buttons stay in
# the template partial.
MUTED_DEFAULT = '<span class="muted">default</span>'
STOPPING = ' <span class="badge badge-cancelled">stopping</span>'


def job_rows(jobs: list[Job]) -> list[JobRow]:
    detail_prefix = reverse("job-detail", args=["x"])[: -len("x/")]
    return [JobRow(job, job.job_id, job.status, _cells(job, detail_prefix)) for job in jobs]


def _cells(job: Job, detail_prefix: str) -> str:
    status = job.status
    job_id = escape(job.job_id)
    link = web_url(job.repo_url)
    name = escape(job.repo_display)
    if link:
        repo = f'<a href="{escape(link)}" rel="noopener noreferrer" class="repo-link">{name}</a>'
    else:
        repo = f'<span class="repo-link">{name}</span>'
    commit = job.resolved_commit or job.commit_id
    commit_html = escape(short_sha(commit)) if commit else MUTED_DEFAULT
    title = f' title="{escape(job.resolved_commit)}"' if job.resolved_commit else ""
    if status == Status.PROCESSING:
        progress = str(progress_bar(job))
    elif status == Status.QUEUED:
        progress = f'<span class="muted">{escape(job.progress or "Waiting for a worker")}</span>'
    elif status == Status.COMPLETED and job.from_cache:
        progress = '<span class="muted">from cache</span>'
    else:
        progress = ""
    if status == Status.COMPLETED:
        result = f'<a class="docs-link" href="/docs/{job_id}/">Docs</a>' + _prose_cell(job)
    elif status in (Status.FAILED, Status.CANCELLED) and job.error_message:
        message = escape(Truncator(job.error_message).chars(160))
        result = f'<span class="error-text">{message}</span>'
    else:
        result = ""
    label = escape(STATUS_LABELS.get(status, status))
    stopping = STOPPING if job.cancel_requested else ""
    return mark_safe(  # every interpolated value above is escaped
        f'<td data-label="Repository" class="repo">{repo}'
        f'<a class="job-link" href="{escape(detail_prefix)}{job_id}/">{job_id}</a></td>'
        f'<td data-label="Commit" class="mono"{title}>{commit_html}</td>'
        f'<td data-label="State"><span class="badge badge-{escape(status)}">{label}</span>'
        f"{stopping}</td>"
        f'<td data-label="Progress" class="col-progress">{progress}</td>'
        f'<td data-label="Created" class="times">{reltime(job.created_at)}'
        f'<span class="timing"><span title="Time in queue">queue '
        f"{short_duration(job.queue_seconds)}</span> · "
        f'<span title="Run time">run {short_duration(job.run_seconds)}</span></span></td>'
        f'<td data-label="Attempts" class="num">{job.attempts}/{job.max_attempts}</td>'
        f'<td data-label="Result" class="result">{result}</td>'
    )


PROSE_LABELS = {"completed": "prose", "partial": "prose partly", "fallback": "static: prose failed"}


def _prose_cell(job: Job) -> str:
    """The model, its tokens and how the prose went, under a completed job's docs link."""
    if not job.prose_status:
        return ""
    tokens = job.llm_tokens_in + job.llm_tokens_out
    label = escape(PROSE_LABELS.get(job.prose_status, job.prose_status))
    return (
        f'<span class="prose-info muted small prose-{escape(job.prose_status)}">'
        f"{escape(job.main_model)} · {tokens:,} tokens · {label}</span>"
    )


def _url(name: str, query: str) -> str:
    path = reverse(name)
    return f"{path}?{query}" if query else path


def _form_for(request: HttpRequest, data: Any = None) -> SubmitForm:
    return SubmitForm(data, allow_priority=request.user.is_staff)


@require_GET
@vary_on_headers("HX-Request")
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    job_filter = JobFilter.from_params(request.GET, request.user)
    try:
        context = _dashboard_context(request, job_filter)
    except BadCursor:
        messages.warning(request, "That page link is no longer valid; showing the newest jobs.")
        return see_other(_url("dashboard", job_filter.query_string()))
    if request.htmx:
        html = render_to_string("jobs/dashboard.html#live", context, request)
        return HttpResponse(html) if context["polling"] else HttpResponseStopPolling(html)
    context["form"] = _form_for(request)
    return render(request, "jobs/dashboard.html", context)


@require_POST
@vary_on_headers("HX-Request")
def submit_job(request: HtmxHttpRequest) -> HttpResponse:
    form = _form_for(request, request.POST)
    submission = None
    if form.is_valid():
        user = request.user.get_username() if request.user.is_authenticated else ""
        try:
            submission = services.submit(
                form.cleaned_data["repo_url"],
                form.cleaned_data["commit_id"],
                priority=form.cleaned_data.get("priority") or 0,
                submitted_by=user,
                allow_private=request.user.is_authenticated,
                client=rate_limit.client_for(request),
            )
        except services.SubmissionError as exc:
            form.add_service_error(exc.message, exc.field)

    if submission is None:
        # Keep the user's tab and search; show the errors beside the fields.
        job_filter = JobFilter.from_params(request.POST, request.user)
        context = _dashboard_context(request, job_filter)
        context["form"] = form
        if request.htmx:
            # 200, not 4xx: htmx only swaps successful responses by default.
            return render(request, "jobs/dashboard.html#panel", context)
        return render(request, "jobs/dashboard.html", context, status=400)

    notice = _submission_notice(submission)
    if not request.htmx:
        messages.success(request, notice)
        return see_other(reverse("dashboard"))
    # Show "all jobs", where the new job is on top; the region carries a poll
    # trigger again because the new job is active.
    context = _dashboard_context(request, JobFilter(base=Job.objects.visible_to(request.user)))
    context["form"] = _form_for(request)
    context["notice"] = notice
    context["notice_job"] = submission.job
    return push_url(render(request, "jobs/dashboard.html#panel", context), reverse("dashboard"))


def _submission_notice(submission: services.Submission) -> str:
    job = submission.job
    link = reverse("job-detail", args=[job.job_id])
    if submission.created:
        return format_html('Queued <a href="{}">{}</a>.', link, job.job_id)
    return format_html(
        'This repository is already {}: <a href="{}">{}</a>.', job.status, link, job.job_id
    )


# --- job detail -----------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime | None
    title: str
    detail: str = ""
    tone: str = ""  # a state name for the colour dot


def build_timeline(job: Job, attempts: list[JobAttempt]) -> list[TimelineEvent]:
    """Created, each attempt (start and outcome), finished."""
    submitter = f"by {job.submitted_by}" if job.submitted_by else ""
    events = [TimelineEvent(job.created_at, "Created", submitter, "queued")]
    for attempt in attempts:
        events.append(
            TimelineEvent(
                attempt.started_at,
                f"Attempt {attempt.number} started",
                f"on {attempt.worker_name}",
                "processing",
            )
        )
        if attempt.finished_at is not None:
            events.append(
                TimelineEvent(
                    attempt.finished_at,
                    f"Attempt {attempt.number}: {attempt.get_outcome_display()}",
                    attempt.message,
                    _outcome_tone(attempt.outcome),
                )
            )
    if not attempts and job.started_at is not None:
        events.append(TimelineEvent(job.started_at, "Started", str(job.worker or ""), "processing"))
    if job.is_finished and job.completed_at is not None:
        events.append(
            TimelineEvent(job.completed_at, f"Finished: {job.get_status_display()}", "", job.status)
        )
    # Logical order, not a sort: the worker records an attempt's end a moment
    # after the job's, and "Finished" should still come last.
    return events


def _outcome_tone(outcome: str) -> str:
    return {
        JobAttempt.Outcome.COMPLETED: "completed",
        JobAttempt.Outcome.FAILED: "failed",
        JobAttempt.Outcome.CANCELLED: "cancelled",
        JobAttempt.Outcome.RUNNING: "processing",
    }.get(outcome, "queued")


@require_GET
@vary_on_headers("HX-Request")
def job_detail(request: HtmxHttpRequest, job_id: str) -> HttpResponse:
    job = get_object_or_404(
        Job.objects.visible_to(request.user).select_related("worker"), job_id=job_id
    )
    attempts = list(job.attempt_log.order_by("started_at", "id"))
    context = {
        "job": job,
        "repo_link": web_url(job.repo_url),
        # A completed job's repository is tracked (jobs.repositories): no query needed.
        "stable_link": stable_url(job.repo_url) if job.status == Status.COMPLETED else None,
        "timeline": build_timeline(job, attempts),
        "is_staff": request.user.is_staff,
        "poll_seconds": POLL_SECONDS,
        "here": reverse("job-detail", args=[job.job_id]),
    }
    if request.htmx:
        html = render_to_string("jobs/job_detail.html#job-live", context, request)
        return HttpResponse(html) if job.is_active else HttpResponseStopPolling(html)
    return render(request, "jobs/job_detail.html", context)


# --- operator actions -------------------------------------------------------------


def see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303  # the browser follows with a GET, never re-POSTs
    return response


def safe_next_url(request: HttpRequest, fallback: str) -> str:
    """The form's ``next`` when it points back into this site, else ``fallback``."""
    candidate = request.POST.get("next", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


@require_POST
def job_action(request: HttpRequest, job_id: str, action: str) -> HttpResponse:
    """Retry, cancel or delete one job; the wrong state becomes a message, not a crash."""
    if not request.user.is_staff:
        raise PermissionDenied("Only staff may act on jobs.")
    job = get_object_or_404(Job, job_id=job_id)
    detail_url = reverse("job-detail", args=[job.job_id])
    try:
        services.ACTIONS[action](job)
    except (InvalidTransition, services.ActiveDuplicate) as exc:
        messages.error(request, str(exc))
        return see_other(safe_next_url(request, detail_url))
    if action == "delete":
        messages.success(request, f"Deleted job {job.job_id}. Its cached docs were kept.")
        # The detail page of a deleted job would be a 404: go back to the list.
        next_url = safe_next_url(request, reverse("dashboard"))
        if next_url.startswith(detail_url):
            next_url = reverse("dashboard")
        return see_other(next_url)
    if action == "cancel":
        text = (
            f"Cancelled job {job.job_id}."
            if job.status == "cancelled"
            else f"Stopping job {job.job_id}: its worker ends it within a few seconds."
        )
    else:
        text = f"Queued job {job.job_id} again."
    messages.success(request, text)
    return see_other(safe_next_url(request, detail_url))
