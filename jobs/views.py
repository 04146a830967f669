"""Dashboard, job detail, the submit form and operator actions. Thin: rules live in services.

A page and the fragment HTMX polls render the same template partials, so they
cannot drift apart. A poll answers 286 (stop polling) once the visible jobs
are all finished; the fragment it returns then carries no poll trigger, and a
new submission re-renders the region with one, which starts polling again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling, push_url
from django_htmx.middleware import HtmxDetails

from jobs import dashboard_stats, services
from jobs.filters import JobFilter
from jobs.forms import SubmitForm
from jobs.models import InvalidTransition, Job, JobAttempt, Status
from jobs.pagination import BadCursor
from jobs.repo_urls import web_url
from jobs.templatetags.jobs_extras import reltime, short_duration, short_sha

POLL_SECONDS = 3


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


# --- dashboard ------------------------------------------------------------------


def _dashboard_context(request: HttpRequest, job_filter: JobFilter) -> dict[str, Any]:
    page = job_filter.page()
    active = dashboard_stats.active_jobs()
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
    """One table row, computed in Python: rendering 50 rows is the fragment's main cost,
    and flat precomputed values keep the template engine's work per row small."""

    job: Job
    job_id: str
    status: str
    status_label: str
    repo_display: str
    repo_link: str | None
    detail_url: str
    commit: str
    commit_title: str
    stopping: bool
    processing: bool
    note: str
    created: str
    queue: str
    run: str
    attempts: str
    docs_url: str | None
    error: str


STATUS_LABELS = dict(Status.choices)


def job_rows(jobs: list[Job]) -> list[JobRow]:
    detail_prefix = reverse("job-detail", args=["x"])[: -len("x/")]
    rows = []
    for job in jobs:
        status = job.status
        if status == Status.QUEUED:
            note = job.progress or "Waiting for a worker"
        elif status == Status.COMPLETED and job.from_cache:
            note = "from cache"
        else:
            note = ""
        commit = job.resolved_commit or job.commit_id
        rows.append(
            JobRow(
                job=job,
                job_id=job.job_id,
                status=status,
                status_label=STATUS_LABELS.get(status, status),
                repo_display=job.repo_display,
                repo_link=web_url(job.repo_url),
                detail_url=f"{detail_prefix}{job.job_id}/",
                commit=short_sha(commit),
                commit_title=job.resolved_commit,
                stopping=job.cancel_requested,
                processing=status == Status.PROCESSING,
                note=note,
                created=reltime(job.created_at),
                queue=short_duration(job.queue_seconds),
                run=short_duration(job.run_seconds),
                attempts=f"{job.attempts}/{job.max_attempts}",
                docs_url=f"/docs/{job.job_id}/" if status == Status.COMPLETED else None,
                error=Truncator(job.error_message).chars(160)
                if status in (Status.FAILED, Status.CANCELLED)
                else "",
            )
        )
    return rows


def _url(name: str, query: str) -> str:
    path = reverse(name)
    return f"{path}?{query}" if query else path


def _form_for(request: HttpRequest, data: Any = None) -> SubmitForm:
    return SubmitForm(data, allow_priority=request.user.is_staff)


@require_GET
@vary_on_headers("HX-Request")
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    job_filter = JobFilter.from_params(request.GET)
    try:
        context = _dashboard_context(request, job_filter)
    except BadCursor:
        messages.warning(request, "That page link is no longer valid; showing the newest jobs.")
        return _see_other(_url("dashboard", job_filter.query_string()))
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
            )
        except services.SubmissionError as exc:
            form.add_service_error(exc.message, exc.field)

    if submission is None:
        # Keep the user's tab and search; show the errors beside the fields.
        job_filter = JobFilter.from_params(request.POST)
        context = _dashboard_context(request, job_filter)
        context["form"] = form
        if request.htmx:
            # 200, not 4xx: htmx only swaps successful responses by default.
            return render(request, "jobs/dashboard.html#panel", context)
        return render(request, "jobs/dashboard.html", context, status=400)

    notice = _submission_notice(submission)
    if not request.htmx:
        messages.success(request, notice)
        return _see_other(reverse("dashboard"))
    # Show "all jobs", where the new job is on top; the region carries a poll
    # trigger again because the new job is active.
    context = _dashboard_context(request, JobFilter())
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
    job = get_object_or_404(Job.objects.select_related("worker"), job_id=job_id)
    attempts = list(job.attempt_log.order_by("started_at", "id"))
    context = {
        "job": job,
        "repo_link": web_url(job.repo_url),
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


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303  # the browser follows with a GET, never re-POSTs
    return response


def _next_url(request: HttpRequest, fallback: str) -> str:
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
        return _see_other(_next_url(request, detail_url))
    if action == "delete":
        messages.success(request, f"Deleted job {job.job_id}. Its cached docs were kept.")
        # The detail page of a deleted job would be a 404: go back to the list.
        next_url = _next_url(request, reverse("dashboard"))
        if next_url.startswith(detail_url):
            next_url = reverse("dashboard")
        return _see_other(next_url)
    if action == "cancel":
        text = (
            f"Cancelled job {job.job_id}."
            if job.status == "cancelled"
            else f"Stopping job {job.job_id}: its worker ends it within a few seconds."
        )
    else:
        text = f"Queued job {job.job_id} again."
    messages.success(request, text)
    return _see_other(_next_url(request, detail_url))
