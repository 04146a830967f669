"""What the site answers when the database is unreachable: a short 503, not a 500.

Installed as Django's ``handler500``, so it sees every unhandled exception,
whether a view or a middleware (sessions, login) hit the database. A lost or
refused connection is a passing condition the client may retry; anything else
is a real server error and gets the ordinary 500 page.
"""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

from jobs.db_outage import is_disconnect

RETRY_AFTER_SECONDS = 10


def server_error(request: HttpRequest) -> HttpResponse:
    exc = sys.exc_info()[1]  # handler500 runs inside the except block that caught it
    if exc is None or not is_disconnect(exc):
        return defaults.server_error(request)
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"error": "The database is unreachable; try again in a moment."}, status=503
        )
    else:
        # Rendered without the request: context processors would query the database.
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
