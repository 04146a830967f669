"""Keyset pagination over jobs, newest first: constant cost on any page of a million rows."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from jobs.models import Job


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class Page:
    items: list[Job]
    next_cursor: str | None


def encode_cursor(job: Job) -> str:
    raw = f"{job.created_at.isoformat()}|{job.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, _, pk = base64.urlsafe_b64decode(padded.encode()).decode().partition("|")
        moment = datetime.fromisoformat(created)
        if moment.tzinfo is None:
            raise ValueError("naive time")
        return moment, int(pk)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadCursor("Invalid page cursor.") from exc


def newest_first(queryset: QuerySet[Job], cursor: str | None, limit: int) -> Page:
    """One page of ``queryset`` ordered by (created_at, id) descending, after ``cursor``."""
    queryset = queryset.order_by("-created_at", "-id")
    if cursor:
        created, pk = decode_cursor(cursor)
        queryset = queryset.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=pk))
    items = list(queryset[: limit + 1])
    next_cursor = encode_cursor(items[limit - 1]) if len(items) > limit else None
    return Page(items[:limit], next_cursor)
