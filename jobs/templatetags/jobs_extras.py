"""Display helpers: relative times with the absolute time on hover, durations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html

register = template.Library()


def _ago(seconds: float) -> str:
    if seconds < 5:
        return "just now"
    return f"{short_duration(seconds)} ago"


@register.filter
def short_duration(seconds: float | None) -> str:
    """``4 s``, ``2 min 5 s``, ``3 h 2 min``, ``2 d 3 h`` — two units at most."""
    if seconds is None:
        return "—"
    total = max(0, round(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


@register.filter
def reltime(value: datetime | None) -> str:
    """``<time datetime=… title=…>3 min ago</time>``; future times read "in 3 min"."""
    if value is None:
        return "—"
    now = timezone.now()
    delta = (now - value).total_seconds()
    text = _ago(delta) if delta >= 0 else f"in {short_duration(-delta)}"
    absolute = timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S %Z")
    return format_html(
        '<time datetime="{}" title="{}">{}</time>', value.isoformat(), absolute, text
    )


@register.filter
def short_sha(value: str | None) -> str:
    """Twelve characters of a full sha; refs and short ids stay as they are."""
    if not value:
        return ""
    if len(value) == 40 and all(c in "0123456789abcdef" for c in value):
        return value[:12]
    return value


@register.filter
def can(job: object, action: str) -> bool:
    """``{% if job|can:"retry" %}`` — asks ``Job.can`` so templates follow TRANSITIONS."""
    check = getattr(job, "can", None)
    return bool(check and check(action))


PROGRESS_HTML = (
    '<div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" '
    'aria-valuenow="{}" aria-label="Progress of {}"><div class="progress-bar" '
    'style="width: {}%"></div></div>'
    '<div class="progress-text"><span class="percent">{}%</span> {}</div>'
)


@register.filter
def progress_bar(job: Any) -> str:
    """The progress bar with percent and text; one definition for the table and the detail."""
    percent = max(0, min(100, int(job.progress_percent or 0)))
    return format_html(PROGRESS_HTML, percent, job.repo_display, percent, percent, job.progress)
