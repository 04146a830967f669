"""JobFilter, search prefixes, capped counts and the chart data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from jobs import dashboard_stats
from jobs.filters import Count, JobFilter, search_prefixes
from jobs.models import Status
from tests.dashboard.conftest import build_job

pytestmark = pytest.mark.django_db


def test_blank_parameters_filter_nothing() -> None:
    jobs = [build_job(s) for s in Status.values]
    job_filter = JobFilter.from_params({"state": "", "q": "  ", "cursor": ""})
    assert set(job_filter.queryset()) == set(jobs)
    assert job_filter.filter_by_state(job_filter.base).query.where.children == []
    assert job_filter.filter_by_search(job_filter.base).query.where.children == []


def test_counts_cap_the_big_states_only() -> None:
    for _ in range(4):
        build_job(Status.COMPLETED)
        build_job(Status.QUEUED)
    counts = JobFilter().counts(cap=3)
    assert counts[Status.COMPLETED] == Count(3, capped=True)
    assert str(counts[Status.COMPLETED]) == "3+"
    assert counts[""] == Count(3, capped=True)
    # Queued and processing are bounded, so always exact.
    assert counts[Status.QUEUED] == Count(4, capped=False)
    assert counts[Status.PROCESSING] == Count(0, capped=False)
    assert counts[Status.FAILED] == Count(0, capped=False)
    exact = JobFilter().counts(cap=100)
    assert exact[""] == Count(8, capped=False)
    assert str(Count(12345, capped=False)) == "12,345"


def test_page_title_shows_capped_count(client: Any, monkeypatch: Any) -> None:
    import jobs.filters

    monkeypatch.setattr(jobs.filters, "COUNT_CAP", 2)
    for _ in range(3):
        build_job(Status.FAILED)
    html = client.get("/?state=failed").content.decode()
    assert "<title>Failed (2+) · CodeWiki</title>" in html


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("", []),
        (
            "Django",
            [
                "https://bitbucket.org/django",
                "https://codeberg.org/django",
                "https://github.com/django",
                "https://gitlab.com/django",
            ],
        ),
        ("github.com/Django/Dj", ["https://github.com/django/dj"]),
        ("https://github.com/django/django", ["https://github.com/django/django"]),
    ],
)
def test_search_prefixes(term: str, expected: list[str], settings: Any) -> None:
    settings.CODEWIKI_REPO_HOSTS = ["github.com", "gitlab.com", "bitbucket.org", "codeberg.org"]
    assert search_prefixes(term) == expected


def test_search_prefix_on_a_scheme_pinned_host(settings: Any) -> None:
    settings.CODEWIKI_REPO_HOSTS = ["github.com", "git://127.0.0.1:9418"]
    assert search_prefixes("127.0.0.1:9418/Owner") == ["git://127.0.0.1:9418/Owner"]
    assert "git://127.0.0.1:9418/Owner" in search_prefixes("Owner")  # case kept off GitHub


def test_search_does_not_match_other_hosts_prefix_tricks() -> None:
    build_job(Status.FAILED, repo="https://github.com/ab/c")
    build_job(Status.FAILED, repo="https://github.com/ab-x/c")
    build_job(Status.FAILED, repo="https://github.com/ac/c")
    assert JobFilter(search="ab").queryset().count() == 2
    assert JobFilter(search="ab/").queryset().count() == 1


def test_hourly_outcomes_buckets_and_bounds() -> None:
    now = timezone.now().replace(minute=30)
    build_job(Status.COMPLETED, completed_at=now - timedelta(minutes=5))
    build_job(Status.COMPLETED, completed_at=now - timedelta(minutes=10))
    build_job(Status.FAILED, completed_at=now - timedelta(hours=5))
    build_job(Status.CANCELLED, completed_at=now - timedelta(hours=1))  # not charted
    build_job(Status.COMPLETED, completed_at=now - timedelta(hours=30))  # too old
    series = dashboard_stats.hourly_outcomes(now)
    assert len(series) == 24
    assert series[-1][1:] == (2, 0)
    assert series[-6][1:] == (0, 1)
    assert sum(c for _, c, _ in series) == 2 and sum(f for _, _, f in series) == 1
    chart = dashboard_stats.build_chart(series)
    assert chart.max_value == 2
    tallest = chart.bars[-1]
    assert tallest.completed_y == chart.top  # the busiest hour fills the plot
    assert chart.bars[0].completed_h == 0


def test_empty_chart_has_flat_bars() -> None:
    chart = dashboard_stats.build_chart(dashboard_stats.hourly_outcomes(timezone.now()))
    assert chart.max_value == 0 and all(b.completed_h == 0 for b in chart.bars)


def test_chart_caches_finished_hours_and_requeries_the_current_one() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    now = timezone.now().replace(minute=30)
    build_job(Status.COMPLETED, completed_at=now - timedelta(hours=3))
    build_job(Status.COMPLETED, completed_at=now - timedelta(minutes=1))
    first = dashboard_stats.hourly_outcomes(now)
    # A new completion in the current hour shows up; past hours come from the cache.
    build_job(Status.FAILED, completed_at=now - timedelta(minutes=2))
    with CaptureQueriesContext(connection) as ctx:
        second = dashboard_stats.hourly_outcomes(now)
    assert len(ctx.captured_queries) == 1
    current_hour = now.replace(minute=0, second=0, microsecond=0)
    assert str(current_hour.replace(tzinfo=None)) in ctx.captured_queries[0]["sql"] or (
        current_hour.isoformat()[:13] in ctx.captured_queries[0]["sql"].replace(" ", "T")
    )
    assert first[-4][1:] == second[-4][1:] == (1, 0)
    assert first[-1][1:] == (1, 0) and second[-1][1:] == (1, 1)


def test_search_counts_come_from_a_capped_sample() -> None:
    for _ in range(3):
        build_job(Status.COMPLETED, repo=f"https://github.com/django/r{_}")
    build_job(Status.FAILED, repo="https://github.com/django/x")
    build_job(Status.QUEUED, repo="https://github.com/django/q")
    build_job(Status.FAILED, repo="https://github.com/flask/flask")
    exact = JobFilter(search="django").counts(cap=10)
    assert exact[""] == Count(5, False) and exact[Status.FAILED] == Count(1, False)
    assert exact[Status.COMPLETED] == Count(3, False) and exact[Status.QUEUED] == Count(1, False)
    sampled = JobFilter(search="django").counts(cap=2)
    assert sampled[""] == Count(2, True)
    # Lower bounds from at most cap + 1 rows; the active states stay exact.
    assert sampled[Status.QUEUED] == Count(1, False)
    assert all(sampled[s].capped for s in (Status.COMPLETED, Status.FAILED, Status.CANCELLED))
    assert sum(sampled[s].value for s in Status.values) >= 3
