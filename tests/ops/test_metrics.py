"""Prometheus metrics: site gauges from the database, worker counters from a real worker."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from jobs import services
from jobs.models import Job, Status, Worker
from tests.conftest import GitServer, wait_for

TOKEN = "s3cret-metrics-token"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text exposition, keyed by (name, sorted labels)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.mark.django_db
def test_site_metrics_need_the_token_or_staff(client: Client, settings: Any) -> None:
    settings.CODEWIKI_METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    client.force_login(User.objects.create_user("someone"))
    assert client.get("/metrics").status_code == 401
    client.force_login(User.objects.create_user("operator", is_staff=True))
    assert client.get("/metrics").status_code == 200
    settings.CODEWIKI_METRICS_TOKEN = ""  # no token set: staff only, never an empty bearer
    client.logout()
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401


@pytest.mark.django_db
def test_site_metrics_read_the_queue_from_the_database(client: Client, settings: Any) -> None:
    settings.CODEWIKI_METRICS_TOKEN = TOKEN
    settings.CODEWIKI_LEASE_SECONDS = 60
    now = timezone.now()
    for name in ("a", "b", "c"):
        services.submit(f"https://github.com/acme/{name}")
    Job.objects.filter(repo_url__endswith="/a").update(run_after=now - timedelta(seconds=120))
    Job.objects.filter(repo_url__endswith="/c").update(run_after=now + timedelta(seconds=300))
    failed = services.submit("https://github.com/acme/d").job
    Job.objects.filter(pk=failed.pk).update(status=Status.FAILED)
    Worker.objects.create(hostname="w1", pid=1, last_heartbeat=now - timedelta(seconds=5))
    Worker.objects.create(hostname="w2", pid=2, last_heartbeat=now - timedelta(seconds=600))

    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response["Content-Type"].startswith("text/plain")
    values = samples(response.content.decode())
    assert values[("codewiki_jobs", (("state", "queued"),))] == 3
    assert values[("codewiki_jobs", (("state", "failed"),))] == 1
    assert values[("codewiki_jobs", (("state", "completed"),))] == 0
    assert values[("codewiki_queue_depth", ())] == 3
    assert values[("codewiki_queue_ready", ())] == 2  # c waits out a backoff
    assert 120 <= values[("codewiki_queue_oldest_age_seconds", ())] < 180
    assert values[("codewiki_workers", ())] == 1  # w2 is silent for longer than a lease
    assert 5 <= values[("codewiki_worker_heartbeat_age_seconds", ())] < 60


def scrape(port: int, token: str | None) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


@pytest.mark.django_db(transaction=True)
def test_worker_metrics_count_outcomes_cache_and_steps(
    client: Client, git_server: GitServer, worker_process: Any, settings: Any
) -> None:
    settings.CODEWIKI_METRICS_TOKEN = TOKEN
    url = git_server.make_repo("acme/metered")
    missing = git_server.daemon.url("nobody/nothing")
    worker = worker_process("--metrics-port", "0", env={"CODEWIKI_METRICS_TOKEN": TOKEN})
    first = services.submit(url).job
    wait_for(lambda: Job.objects.get(pk=first.pk).is_finished, timeout=60, what="first job")
    second = services.submit(url).job  # same head: a cache hit after ls-remote
    gone = services.submit(missing).job
    for job in (second, gone):
        wait_for(lambda job=job: Job.objects.get(pk=job.pk).is_finished, timeout=60)

    port = int(re.search(r"Worker metrics on http://127.0.0.1:(\d+)/metrics", worker.log())[1])
    assert scrape(port, None)[0] == 401
    assert scrape(port, "wrong")[0] == 401
    finished = "codewiki_job_attempts_finished_total"

    def all_three_recorded() -> dict[Any, float] | None:
        # The worker records an attempt once it has reaped the child, just after the row.
        status, text = scrape(port, TOKEN)
        assert status == 200
        values = samples(text)
        total = sum(v for (name, _), v in values.items() if name == finished)
        return values if total == 3 else None

    values = wait_for(all_three_recorded, timeout=30, what="three recorded attempts")
    assert values[(finished, (("outcome", "completed"),))] == 2
    assert values[(finished, (("outcome", "failed"),))] == 1
    assert values[("codewiki_cache_lookups_total", (("result", "hit"),))] == 1
    assert values[("codewiki_cache_lookups_total", (("result", "miss"),))] == 1
    assert values[("codewiki_job_queue_seconds_count", ())] == 3
    assert values[("codewiki_job_duration_seconds_count", (("outcome", "completed"),))] == 2
    step = "codewiki_step_duration_seconds_count"
    assert values[(step, (("step", "resolve"),))] == 3
    assert values[(step, (("step", "clone"),))] == 1
    assert values[(step, (("step", "generate"),))] == 1
    assert values[(step, (("step", "publish"),))] == 1
    assert values[("codewiki_step_duration_seconds_sum", (("step", "generate"),))] > 0
