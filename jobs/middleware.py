"""Optional site-wide login (``CODEWIKI_LOGIN_REQUIRED=1``)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.middleware import PersistentRemoteUserMiddleware
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse

# The login page, static files and webhooks (signed, not logged in) stay reachable;
# health checks and /metrics (which checks its own token) answer machines without a session.
OPEN_PREFIXES = (
    "/admin/login/",
    "/admin/logout/",
    "/static/",
    "/healthz",
    "/hooks/",
    "/livez",
    "/readyz",
    "/metrics",
)


class LoginRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.CODEWIKI_LOGIN_REQUIRED
            and not request.user.is_authenticated
            and not request.path.startswith(OPEN_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"error": "Authentication required"}, status=401)
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)


class ProxyRemoteUserMiddleware(PersistentRemoteUserMiddleware):
    """Trust the user name an SSO proxy puts in ``CODEWIKI_REMOTE_USER_HEADER``.

    Off unless the setting names a header (``REMOTE_USER`` for a WSGI server that
    sets it, ``HTTP_X_FORWARDED_USER`` for a proxy's ``X-Forwarded-User``). Only
    enable it when the proxy strips that header from clients' requests.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.header = settings.CODEWIKI_REMOTE_USER_HEADER or "REMOTE_USER"
        self.enabled = bool(settings.CODEWIKI_REMOTE_USER_HEADER)
        super().__init__(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.enabled:
            return self.get_response(request)
        return super().__call__(request)
