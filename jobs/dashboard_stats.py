"""Numbers for the dashboard's workers panel: workers, queue, throughput chart.

Every query here is bounded whatever the size of the jobs table: workers are a
handful of rows, queued/processing jobs are bounded by the queue size and the
worker pool, and the chart reads the last 24 hours through the
``completed_at`` index only. The query count is constant (a test checks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from jobs.models import Job, Status, Worker

CHART_HOURS = 24
MAX_WORKERS_SHOWN = 25
# SVG geometry, in user units; the SVG scales with its container (viewBox).
CHART_WIDTH = 300
CHART_HEIGHT = 120
CHART_PAD_LEFT = 24
CHART_PAD_BOTTOM = 16
CHART_PAD_TOP = 8


@dataclass(frozen=True)
class RunningJob:
    job_id: str
    repo_url: str
    progress_percent: int

    @property
    def repo_display(self) -> str:
        from jobs.repo_urls import display_name

        return display_name(self.repo_url)


@dataclass(frozen=True)
class WorkerRow:
    worker: Worker
    stale: bool
    running: list[RunningJob]


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    completed_y: float
    completed_h: float
    failed_y: float
    failed_h: float
    hour: datetime
    completed: int
    failed: int

    def svg(self, label_y: int, with_label: bool) -> str:
        """The bar's SVG elements. Built here, not in the template: 24 bars of
        attribute lookups were a sixth of a poll's rendering time."""
        hour = self.hour.strftime("%H:%M")
        parts = [
            format_html(
                "<g><title>{} UTC: {} completed, {} failed</title>",
                hour,
                self.completed,
                self.failed,
            )
        ]
        if self.completed:
            parts.append(
                format_html(
                    '<rect class="bar-completed" x="{}" y="{}" width="{}" height="{}"/>',
                    self.x,
                    self.completed_y,
                    self.width,
                    self.completed_h,
                )
            )
        if self.failed:
            parts.append(
                format_html(
                    '<rect class="bar-failed" x="{}" y="{}" width="{}" height="{}"/>',
                    self.x,
                    self.failed_y,
                    self.width,
                    self.failed_h,
                )
            )
        if with_label:
            parts.append(
                format_html('<text class="tick" x="{}" y="{}">{}</text>', self.x, label_y, hour)
            )
        parts.append("</g>")
        return mark_safe("".join(parts))  # every part is format_html output


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    max_value: int
    total_completed: int
    total_failed: int
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    pad_left: int = CHART_PAD_LEFT
    baseline: int = CHART_HEIGHT - CHART_PAD_BOTTOM
    top: int = CHART_PAD_TOP

    @property
    def bars_svg(self) -> str:
        label_y = self.height - 3
        return mark_safe(  # joined format_html output
            "".join(bar.svg(label_y, i % 6 == 0) for i, bar in enumerate(self.bars))
        )


@dataclass(frozen=True)
class Stats:
    workers: list[WorkerRow]
    queue_depth: int
    processing: int
    oldest_queued_at: datetime | None
    chart: Chart

    @property
    def oldest_queued_seconds(self) -> float | None:
        if self.oldest_queued_at is None:
            return None
        return max(0.0, (timezone.now() - self.oldest_queued_at).total_seconds())


@dataclass(frozen=True)
class ActiveJob:
    """The few columns the panel and the tab counts need of a queued or processing job."""

    status: str
    repo_url: str
    created_at: datetime
    worker_id: object
    job_id: str
    progress_percent: int
    private: bool = False


def active_jobs(user: Any = None) -> list[ActiveJob]:
    """Every queued and processing job, in one query over the status index.

    Both states are bounded (the queue size, the worker pool), so fetching
    them is cheap at any table size; the workers panel, the queue depth and
    the exact per-state counts (even under a search) all come from this list.
    """
    rows = (
        Job.objects.active()
        .order_by("started_at", "created_at")
        .values_list(
            "status", "repo_url", "created_at", "worker_id", "job_id", "progress_percent", "private"
        )
    )
    jobs = [ActiveJob(*row) for row in rows]
    if user is None or not user.is_authenticated:
        # Anonymous visitors see public repositories only, in the panel and the counts too.
        jobs = [job for job in jobs if not job.private]
    return jobs


def worker_rows(now: datetime, active: list[ActiveJob]) -> list[WorkerRow]:
    """Recent workers with their running jobs: one query (the jobs come from ``active``)."""
    workers = list(Worker.objects.order_by("-last_heartbeat")[:MAX_WORKERS_SHOWN])
    running: dict[object, list[RunningJob]] = {}
    for job in active:
        if job.status == Status.PROCESSING and job.worker_id is not None:
            running.setdefault(job.worker_id, []).append(
                RunningJob(job.job_id, job.repo_url, job.progress_percent)
            )
    lease = settings.CODEWIKI_LEASE_SECONDS
    return [
        WorkerRow(w, w.is_stale(now, lease_seconds=lease), running.get(w.pk, []))
        for w in sorted(workers, key=lambda w: (w.hostname, w.pid))
    ]


def queue_summary(active: list[ActiveJob]) -> tuple[int, int, datetime | None]:
    """(queued, processing, oldest queued created_at)."""
    queued = [job.created_at for job in active if job.status == Status.QUEUED]
    return len(queued), len(active) - len(queued), min(queued, default=None)


CHART_CACHE_PREFIX = "codewiki:chart-hour:v1:"
CHART_CACHE_SECONDS = (CHART_HOURS + 1) * 3600


def hourly_outcomes(now: datetime, hours: int = CHART_HOURS) -> list[tuple[datetime, int, int]]:
    """(hour start, completed, failed) for the last ``hours`` hours, oldest first.

    Always exactly one query: a bounded range on ``completed_at`` (indexed).
    Finished hours cannot change any more (``completed_at`` is written once, at
    completion), so their buckets are cached and the query usually reads only
    the current hour; a cold cache widens the range to the oldest missing hour.
    Bucketing happens here rather than with a SQL date function so the query
    is the same plain range scan on SQLite and PostgreSQL.
    """
    current = now.replace(minute=0, second=0, microsecond=0)
    end = current + timedelta(hours=1)
    start = end - timedelta(hours=hours)
    hour_starts = [start + timedelta(hours=i) for i in range(hours)]
    keys = {hour: f"{CHART_CACHE_PREFIX}{hour.isoformat()}" for hour in hour_starts[:-1]}
    cached = cache.get_many(list(keys.values()))
    missing = [hour for hour in hour_starts[:-1] if keys[hour] not in cached]
    query_from = missing[0] if missing else current
    buckets: dict[datetime, list[int]] = {hour: [0, 0] for hour in hour_starts}
    for hour, key in keys.items():
        if key in cached:
            buckets[hour] = list(cached[key])
    rows = (
        Job.objects.filter(
            completed_at__gte=query_from,
            completed_at__lt=end,
            status__in=(Status.COMPLETED, Status.FAILED),
        )
        .order_by()
        .values_list("completed_at", "status")
    )
    fresh = {hour for hour in hour_starts if hour >= query_from}
    for hour in fresh:
        buckets[hour] = [0, 0]
    for completed_at, status in rows:
        hour = completed_at.replace(minute=0, second=0, microsecond=0)
        if hour in fresh:
            buckets[hour][0 if status == Status.COMPLETED else 1] += 1
    cache.set_many(
        {keys[hour]: tuple(buckets[hour]) for hour in fresh if hour in keys},
        CHART_CACHE_SECONDS,
    )
    return [(hour, c, f) for hour, (c, f) in buckets.items()]


def build_chart(series: list[tuple[datetime, int, int]]) -> Chart:
    """Stacked bars (completed below, failed on top) scaled to the busiest hour."""
    max_value = max((c + f for _, c, f in series), default=0)
    plot_width = CHART_WIDTH - CHART_PAD_LEFT
    plot_height = CHART_HEIGHT - CHART_PAD_BOTTOM - CHART_PAD_TOP
    baseline = CHART_HEIGHT - CHART_PAD_BOTTOM
    slot = plot_width / max(len(series), 1)
    bars = []
    for i, (hour, completed, failed) in enumerate(series):
        scale = plot_height / max_value if max_value else 0
        completed_h = completed * scale
        failed_h = failed * scale
        bars.append(
            Bar(
                x=round(CHART_PAD_LEFT + i * slot + 1, 2),
                width=round(max(slot - 2, 1), 2),
                completed_y=round(baseline - completed_h, 2),
                completed_h=round(completed_h, 2),
                failed_y=round(baseline - completed_h - failed_h, 2),
                failed_h=round(failed_h, 2),
                hour=hour,
                completed=completed,
                failed=failed,
            )
        )
    return Chart(
        bars=bars,
        max_value=max_value,
        total_completed=sum(c for _, c, _ in series),
        total_failed=sum(f for _, _, f in series),
    )


def collect(now: datetime | None = None, active: list[ActiveJob] | None = None) -> Stats:
    now = now or timezone.now()
    active = active_jobs() if active is None else active
    queued, processing, oldest = queue_summary(active)
    return Stats(
        workers=worker_rows(now, active),
        queue_depth=queued,
        processing=processing,
        oldest_queued_at=oldest,
        chart=build_chart(hourly_outcomes(now)),
    )
