"""Prometheus metrics, in two halves that need no shared memory between processes.

- **Site metrics** (``/metrics`` on any web process): the state of the queue, computed
  from the database at scrape time — jobs by state (one GROUP BY), queue depth,
  how long the oldest ready job has waited, live workers and their heartbeat age.
  Every web process answers the same numbers, so any of them can be scraped.
- **Worker metrics** (``runworker --metrics-port``): what each worker saw happen —
  attempts finished by outcome, attempt durations, time in queue, cache hits and
  misses, git and generation step durations. Each worker keeps its own registry
  (the attempt's step timings come back from the job's child through its
  ``JobAttempt`` row); Prometheus scrapes every worker and sums them, and a worker
  restart is an ordinary counter reset.

Both are protected by ``CODEWIKI_METRICS_TOKEN`` (a bearer token); ``/metrics`` also
accepts a staff login.
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

logger = logging.getLogger("jobs.metrics")

# Jobs take seconds (a cache hit) to an hour (CODEWIKI_JOB_TIMEOUT).
DURATION_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
QUEUE_BUCKETS = (0.1, 0.5, 1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200)
STEP_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


# --- access -------------------------------------------------------------------------


def token_matches(authorization: str) -> bool:
    """Whether an ``Authorization`` header carries ``CODEWIKI_METRICS_TOKEN``."""
    token = settings.CODEWIKI_METRICS_TOKEN
    scheme, _, given = authorization.partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def may_scrape(authorization: str, user: Any) -> bool:
    return token_matches(authorization) or bool(getattr(user, "is_staff", False))


# --- site metrics: from the database at scrape time --------------------------------------


class SiteCollector(Collector):
    """Gauges read from the database on each scrape: four aggregate queries."""

    def collect(self) -> Iterator[Metric]:
        from jobs.models import Job, Status, Worker

        now = timezone.now()
        # One GROUP BY over the whole table (the status index); five rows out.
        by_state = dict(
            Job.objects.order_by()
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        jobs = GaugeMetricFamily("codewiki_jobs", "Jobs by state.", labels=["state"])
        for state in Status.values:
            jobs.add_metric([state], by_state.get(state, 0))
        yield jobs

        queued = Job.objects.queued().order_by()
        ready = queued.filter(run_after__lte=now).aggregate(n=Count("id"), oldest=Min("run_after"))
        yield GaugeMetricFamily(
            "codewiki_queue_depth",
            "Queued jobs, including those waiting out a retry backoff.",
            value=by_state.get(Status.QUEUED, 0),
        )
        yield GaugeMetricFamily(
            "codewiki_queue_ready", "Queued jobs ready to be claimed now.", value=ready["n"]
        )
        oldest = ready["oldest"]
        yield GaugeMetricFamily(
            "codewiki_queue_oldest_age_seconds",
            "How long the longest-waiting ready job has waited (0 when none waits).",
            value=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        )

        live_after = now - timedelta(seconds=settings.CODEWIKI_LEASE_SECONDS)
        workers = Worker.objects.order_by().aggregate(
            live=Count("id", filter=Q(last_heartbeat__gte=live_after)),
            stopping=Count("id", filter=Q(last_heartbeat__gte=live_after, stopping=True)),
            newest=Max("last_heartbeat"),
        )
        yield GaugeMetricFamily(
            "codewiki_workers",
            "Workers that sent a heartbeat within CODEWIKI_LEASE_SECONDS.",
            value=workers["live"],
        )
        yield GaugeMetricFamily(
            "codewiki_workers_stopping", "Live workers finishing up after SIGTERM.",
            value=workers["stopping"],
        )  # fmt: skip
        newest = workers["newest"]
        yield GaugeMetricFamily(
            "codewiki_worker_heartbeat_age_seconds",
            "Seconds since the most recent heartbeat of any worker (+Inf when none is known).",
            value=(now - newest).total_seconds() if newest else float("inf"),
        )


def render_site_metrics(accept: str = "") -> tuple[bytes, str]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SiteCollector())
    encoder, content_type = choose_encoder(accept)
    return encoder(registry), content_type


# --- worker metrics: recorded by each worker ------------------------------------------------


class WorkerMetrics:
    """One worker's registry. Cheap to update; exposed only with ``--metrics-port``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.finished = Counter(
            "codewiki_job_attempts_finished",
            "Job attempts this worker saw end, by outcome (completed, failed, retrying, "
            "cancelled, handed_back, lost).",
            ["outcome"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "codewiki_job_duration_seconds",
            "Wall time of one job attempt, claim to outcome.",
            ["outcome"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.queue_time = Histogram(
            "codewiki_job_queue_seconds",
            "Time a job waited ready in the queue before this worker claimed it.",
            buckets=QUEUE_BUCKETS,
            registry=self.registry,
        )
        self.cache = Counter(
            "codewiki_cache_lookups",
            "Completed jobs by whether their docs came from the cache (hit) or were generated "
            "(miss).",
            ["result"],
            registry=self.registry,
        )
        self.steps = Histogram(
            "codewiki_step_duration_seconds",
            "Duration of pipeline steps: resolve (git ls-remote), clone (git fetch and "
            "checkout), generate (docgen), publish.",
            ["step"],
            buckets=STEP_BUCKETS,
            registry=self.registry,
        )

    def claimed(self, queue_seconds: float) -> None:
        self.queue_time.observe(max(0.0, queue_seconds))

    def attempt_finished(
        self,
        outcome: str,
        seconds: float,
        *,
        from_cache: bool | None = None,
        steps: dict[str, float] | None = None,
    ) -> None:
        self.finished.labels(outcome).inc()
        self.duration.labels(outcome).observe(max(0.0, seconds))
        if outcome == "completed" and from_cache is not None:
            self.cache.labels("hit" if from_cache else "miss").inc()
        for step, step_seconds in (steps or {}).items():
            if isinstance(step_seconds, int | float):
                self.steps.labels(step).observe(max(0.0, float(step_seconds)))

    def record_attempts(self, attempts: Iterable[Any], from_cache: bool | None = None) -> None:
        """Record finished ``JobAttempt`` rows (what a child or the reaper wrote)."""
        for attempt in attempts:
            if attempt.finished_at is None:
                continue
            seconds = (attempt.finished_at - attempt.started_at).total_seconds()
            self.attempt_finished(
                attempt.outcome, seconds, from_cache=from_cache, steps=attempt.steps
            )


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per scrape would drown the worker's log


def serve_worker_metrics(metrics: WorkerMetrics, host: str, port: int) -> WSGIServer:
    """Serve ``metrics`` on ``host:port`` in a daemon thread; the token applies here too."""
    inner = make_wsgi_app(metrics.registry)

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if settings.CODEWIKI_METRICS_TOKEN and not token_matches(
            environ.get("HTTP_AUTHORIZATION", "")
        ):
            start_response(
                "401 Unauthorized",
                [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")],
            )
            return [b"Metrics need the bearer token (CODEWIKI_METRICS_TOKEN).\n"]
        return inner(environ, start_response)

    server = make_server(host, port, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
    thread.start()
    logger.info("Worker metrics on http://%s:%d/metrics", host, server.server_port)
    return server
