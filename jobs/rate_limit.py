"""Submission rate limiting: the one rule, called by ``services.submit``.

Each client (a logged-in user, else the IP address) may make
``CODEWIKI_RATE_LIMIT`` submissions in any ``CODEWIKI_RATE_LIMIT_WINDOW_SECONDS``
(a sliding window). The log of recent submissions lives in the database, so every
web process on every machine shares it without a cache server; rows older than
the window are deleted as new ones arrive. Staff and ``manage.py submit`` are
exempt. Two requests from one client at the same instant may both pass; the
limit is a brake on floods, not an accounting system.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from jobs.models import SubmissionRecord


@dataclass(frozen=True)
class Client:
    key: str  # "user:<id>" or "ip:<address>"
    exempt: bool = False


@dataclass(frozen=True)
class Refusal:
    message: str
    retry_after: int  # seconds until the client may submit again


def client_for(request: HttpRequest) -> Client:
    user = request.user
    if user.is_authenticated:
        return Client(f"user:{user.pk}", exempt=user.is_staff)
    return Client(f"ip:{client_ip(request)}")


def client_ip(request: HttpRequest) -> str:
    """The address of whoever sent the request.

    ``X-Forwarded-For`` is believed only when the request came from a proxy listed
    in ``CODEWIKI_TRUSTED_PROXIES``; then the client is the rightmost address that
    is not itself a trusted proxy (anything further left could be forged).
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if not _trusted(remote):
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    for address in reversed(forwarded):
        if not _trusted(address):
            return address
    return forwarded[0] if forwarded else remote


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.CODEWIKI_TRUSTED_PROXIES)))


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(entry, strict=False) for entry in entries]


def admit(client: Client | None, now: datetime | None = None) -> Refusal | None:
    """Record a submission by ``client`` and return None, or say why and how long to wait."""
    limit = settings.CODEWIKI_RATE_LIMIT
    if client is None or client.exempt or limit <= 0:
        return None
    now = now or timezone.now()
    window = timedelta(seconds=max(1, settings.CODEWIKI_RATE_LIMIT_WINDOW_SECONDS))
    since = now - window
    with transaction.atomic():
        SubmissionRecord.objects.filter(created_at__lt=since).delete()
        recent = list(
            SubmissionRecord.objects.filter(client=client.key, created_at__gte=since)
            .order_by("-created_at")
            .values_list("created_at", flat=True)[:limit]
        )
        if len(recent) >= limit:
            # A slot frees up when the limit-th most recent submission leaves the window.
            retry_after = max(1, math.ceil((recent[-1] + window - now).total_seconds()))
            return Refusal(
                f"Too many submissions: at most {limit} every "
                f"{_duration(window.total_seconds())}. Try again in {_duration(retry_after)}.",
                retry_after,
            )
        SubmissionRecord.objects.create(client=client.key, created_at=now)
    return None


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{math.ceil(seconds / 60)} min"
    return f"{math.ceil(seconds / 3600)} h"
