"""Endpoints for operators' machines: liveness, readiness, Prometheus metrics. Thin."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from jobs import health, metrics


@never_cache
@require_GET
def livez(request: HttpRequest) -> JsonResponse:
    """The process answers; nothing else is touched (no database)."""
    return JsonResponse({"alive": True})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    result = health.readiness()
    return JsonResponse(result.as_json(), status=200 if result.ready else 503)


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics.may_scrape(request.headers.get("Authorization", ""), request.user):
        response = HttpResponse("Metrics need a bearer token or a staff login.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="codewiki-metrics"'
        response["Content-Type"] = "text/plain; charset=utf-8"
        return response
    body, content_type = metrics.render_site_metrics(request.headers.get("Accept", ""))
    return HttpResponse(body, content_type=content_type)
