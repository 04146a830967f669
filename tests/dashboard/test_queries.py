"""The dashboard's query count does not grow with the number of jobs or workers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jobs.models import JobAttempt, Status, Worker
from tests.dashboard.conftest import add_attempt, build_job

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
MIX = [Status.COMPLETED, Status.FAILED, Status.CANCELLED, Status.QUEUED, Status.PROCESSING]


def populate(n_jobs: int, n_workers: int) -> None:
    workers = [
        Worker.objects.create(hostname=f"h{i}", pid=i, last_heartbeat=timezone.now())
        for i in range(n_workers)
    ]
    for i in range(n_jobs):
        state = MIX[i % len(MIX)]
        job = build_job(
            state,
            created_ago=timedelta(minutes=i),
            worker=workers[i % n_workers] if state == Status.PROCESSING else None,
            completed_at=timezone.now() - timedelta(minutes=i)
            if state in (Status.COMPLETED, Status.FAILED, Status.CANCELLED)
            else None,
        )
        if state != Status.QUEUED:
            add_attempt(job, 1, JobAttempt.Outcome.COMPLETED)


def queries_for(client: Client, url: str, **headers: str) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code in (200, 286)
    return [q["sql"] for q in ctx.captured_queries]


URLS = ["/", "/?state=processing", "/?q=owner"]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "fragment"])
def test_query_count_is_constant(
    client: Client, url: str, headers: dict[str, str], staff_client: Client
) -> None:
    populate(3, 1)
    small = {
        who: queries_for(c, url, **headers)
        for who, c in (("anon", client), ("staff", staff_client))
    }
    populate(120, 6)
    large = {
        who: queries_for(c, url, **headers)
        for who, c in (("anon", client), ("staff", staff_client))
    }
    for who in small:
        assert len(large[who]) == len(small[who]), (who, large[who])
    # Page, active jobs, big counts, workers, chart (staff add session + user).
    assert len(small["anon"]) == 5, small["anon"]


def test_big_state_counts_are_capped(client: Client) -> None:
    """Completed, failed, cancelled and "all" are counted over LIMITed subqueries."""
    populate(10, 2)
    counts = [sql for sql in queries_for(client, "/") if "COUNT(*)" in sql]
    assert len(counts) == 1  # the four big counts in one round trip
    assert counts[0].count("COUNT(*)") == 4
    assert counts[0].count("LIMIT 1001") == 4
    # Queued and processing come from the one bounded query of active jobs.
    active = [
        sql
        for sql in queries_for(client, "/")
        if "'queued'" in sql and "'processing'" in sql and " IN (" in sql
    ]
    assert len(active) == 1 and "COUNT" not in active[0]
    chart = [sql for sql in queries_for(client, "/") if 'completed_at" >=' in sql]
    assert len(chart) == 1 and 'completed_at" <' in chart[0]  # a bounded index range


@pytest.mark.parametrize("job_count", [3, 120])
def test_job_detail_query_count_constant(
    client: Client, django_assert_max_num_queries: object, job_count: int
) -> None:
    job = build_job(Status.FAILED)
    for n in range(1, job_count // 10 + 2):
        add_attempt(job, n, JobAttempt.Outcome.RETRYING)
    with CaptureQueriesContext(connection) as ctx:
        client.get(f"/jobs/{job.job_id}/")
    assert len(ctx.captured_queries) == 2  # the job with its worker, its attempts
