"""The JSON API: submit a job, read one, list them. Thin: the rules live in services."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jobs import rate_limit, services, webhooks
from jobs.models import Job, Status
from jobs.pagination import BadCursor, newest_first

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def job_json(job: Job, *, include_trace: bool) -> dict[str, Any]:
    """The JobStatus record (reference field names) plus what operations need."""
    data: dict[str, Any] = {
        "job_id": job.job_id,
        "repo_url": job.repo_url,
        "status": job.status,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "completed_at": _iso(job.completed_at),
        "error_message": job.error_message or None,
        "progress": job.progress,
        "docs_path": job.docs_path or None,
        "main_model": job.main_model or None,
        "commit_id": job.commit_id or None,
        # Extras.
        "priority": job.priority,
        "progress_percent": job.progress_percent,
        "resolved_commit": job.resolved_commit or None,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "run_after": _iso(job.run_after),
        "worker": str(job.worker) if job.worker else None,
        "lease_expires_at": _iso(job.lease_expires_at),
        "cancel_requested": job.cancel_requested,
        "from_cache": job.from_cache,
        # Model-written prose: "" when no model is configured.
        "prose_status": job.prose_status or None,
        "prose_note": job.prose_note or None,
        "llm_calls": job.llm_calls,
        "llm_calls_reused": job.llm_calls_reused,
        "llm_tokens_in": job.llm_tokens_in,
        "llm_tokens_out": job.llm_tokens_out,
        "url": reverse("api-job", args=[job.job_id]),
        "docs_url": f"/docs/{job.job_id}/" if job.status == Status.COMPLETED else None,
    }
    # Traces name server paths; only staff see them (everyone sees error_message).
    if include_trace:
        data["error_trace"] = job.error_trace or None
    return data


def _error(status: int, message: str, field: str | None = None) -> JsonResponse:
    body: dict[str, Any] = {"error": message}
    if field:
        body["field"] = field
    return JsonResponse(body, status=status)


@csrf_exempt  # JSON only: browsers cannot send application/json cross-site without CORS.
@require_http_methods(["GET", "POST"])
def jobs_collection(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":
        return _submit(request)
    return _list(request)


def _submit(request: HttpRequest) -> JsonResponse:
    if request.content_type != "application/json":
        return _error(415, "Send the job as JSON (Content-Type: application/json).")
    try:
        body = request.body
    except RequestDataTooBig:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return _error(413, f"The request body is too large (limit {limit:,} bytes).")
    try:
        payload = json.loads(body or b"{}")
    except RecursionError:
        return _error(400, "The request body is nested too deeply.")
    except (ValueError, UnicodeDecodeError):
        return _error(400, "The request body is not valid JSON.")
    if not isinstance(payload, dict):
        return _error(400, "The request body must be a JSON object.")
    repo_url, commit_id = payload.get("repo_url"), payload.get("commit_id")
    priority = payload.get("priority", 0)
    if not isinstance(repo_url, str):
        return _error(400, "repo_url is required and must be a string.", "repo_url")
    if commit_id is not None and not isinstance(commit_id, str):
        return _error(400, "commit_id must be a string.", "commit_id")
    if priority != 0 and not request.user.is_staff:
        return _error(403, "Only staff may set a priority.", "priority")
    user = request.user.get_username() if request.user.is_authenticated else ""
    try:
        result = services.submit(
            repo_url,
            commit_id,
            priority=priority,
            submitted_by=user,
            allow_private=request.user.is_authenticated,
            client=rate_limit.client_for(request),
        )
    except services.RateLimited as exc:
        response = _error(exc.status_code, exc.message)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except services.SubmissionError as exc:
        return _error(exc.status_code, exc.message, exc.field)
    response = JsonResponse(
        job_json(result.job, include_trace=request.user.is_staff),
        status=201 if result.created else 200,
    )
    response["Location"] = reverse("api-job", args=[result.job.job_id])
    return response


def _list(request: HttpRequest) -> JsonResponse:
    queryset = Job.objects.visible_to(request.user).select_related("worker")
    status = request.GET.get("status", "")
    if status:
        if status not in Status.values:
            return _error(400, f"Unknown status '{status}'.", "status")
        queryset = queryset.filter(status=status)
    try:
        limit = min(max(int(request.GET.get("limit", DEFAULT_LIMIT)), 1), MAX_LIMIT)
    except ValueError:
        return _error(400, "limit must be an integer.", "limit")
    try:
        page = newest_first(queryset, request.GET.get("cursor"), limit)
    except BadCursor as exc:
        return _error(400, str(exc), "cursor")
    next_url = None
    if page.next_cursor:
        query = request.GET.copy()
        query["cursor"] = page.next_cursor
        next_url = f"{request.path}?{query.urlencode()}"
    return JsonResponse(
        {
            "results": [job_json(job, include_trace=request.user.is_staff) for job in page.items],
            "next": next_url,
        }
    )


@require_GET
def job_detail(request: HttpRequest, job_id: str) -> JsonResponse:
    job = Job.objects.visible_to(request.user).select_related("worker").filter(job_id=job_id)
    job = job.first()
    if job is None:
        return _error(404, f"No job with id '{job_id}'.")
    return JsonResponse(job_json(job, include_trace=request.user.is_staff))


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


@csrf_exempt  # authenticated by the provider's signature or token instead
@require_POST
def webhook(request: HttpRequest, provider: str) -> JsonResponse:
    """``POST /hooks/<provider>``: a push from GitHub, GitLab or Gitea (see jobs.webhooks)."""
    outcome = webhooks.handle(provider, request)
    return JsonResponse(outcome.body(), status=outcome.status)
