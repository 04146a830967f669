"""Submission rules through the JSON API and the service: dedupe, cooldown, bounded queue."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.utils import timezone

from jobs import services
from jobs.models import InvalidTransition, Job, Status

REPO = "https://github.com/acme/widgets"

JOBSTATUS_FIELDS = {
    "job_id",
    "repo_url",
    "status",
    "created_at",
    "started_at",
    "completed_at",
    "error_message",
    "progress",
    "docs_path",
    "main_model",
    "commit_id",
}


def post(client: Client, payload: Any, **extra: Any) -> Any:
    return client.post("/api/jobs", payload, content_type="application/json", **extra)


@pytest.mark.django_db
class TestSubmitApi:
    def test_created_then_deduplicated(self, client: Client) -> None:
        first = post(client, {"repo_url": "https://github.com/Acme/Widgets.git/"})
        assert first.status_code == 201
        body = first.json()
        assert body.keys() >= JOBSTATUS_FIELDS
        assert body["repo_url"] == REPO
        assert body["status"] == "queued"
        assert body["job_id"].startswith("acme--widgets-")
        assert first["Location"] == f"/api/jobs/{body['job_id']}"
        again = post(client, {"repo_url": "https://www.github.com/acme/widgets/tree/main"})
        assert again.status_code == 200
        assert again.json()["job_id"] == body["job_id"]
        other_commit = post(client, {"repo_url": REPO, "commit_id": "v1.0"})
        assert other_commit.status_code == 201

    def test_field_errors(self, client: Client) -> None:
        assert post(client, {}).json() == {
            "error": "repo_url is required and must be a string.",
            "field": "repo_url",
        }
        assert post(client, {"repo_url": REPO, "commit_id": 5}).json()["field"] == "commit_id"
        assert post(client, [REPO]).status_code == 400
        bad_json = client.post("/api/jobs", "{nope", content_type="application/json")
        assert bad_json.json()["error"] == "The request body is not valid JSON."
        form = client.post("/api/jobs", {"repo_url": REPO})
        assert form.status_code == 415

    def test_priority_is_for_staff(self, client: Client) -> None:
        assert post(client, {"repo_url": REPO, "priority": 5}).status_code == 403
        staff = User.objects.create_user("op", password="pw", is_staff=True)
        client.force_login(staff)
        assert post(client, {"repo_url": REPO, "priority": 5}).json()["priority"] == 5
        too_high = post(client, {"repo_url": REPO + "2", "priority": 1000})
        assert too_high.status_code == 400
        assert too_high.json()["field"] == "priority"

    def test_queue_full_is_429_and_never_blocks(self, client: Client, settings: Any) -> None:
        settings.CODEWIKI_QUEUE_SIZE = 2
        assert post(client, {"repo_url": REPO + "1"}).status_code == 201
        assert post(client, {"repo_url": REPO + "2"}).status_code == 201
        full = post(client, {"repo_url": REPO + "3"})
        assert full.status_code == 429
        assert "The queue is full (2 jobs waiting, limit 2)" in full.json()["error"]
        # A duplicate of a queued job is still answered: it adds nothing.
        assert post(client, {"repo_url": REPO + "1"}).status_code == 200

    def test_recent_failure_cooldown(self, client: Client, settings: Any) -> None:
        settings.CODEWIKI_RETRY_COOLDOWN_MINUTES = 3
        job = services.submit(REPO).job
        Job.objects.filter(pk=job.pk).update(
            status=Status.FAILED,
            completed_at=timezone.now() - timedelta(minutes=1),
            error_message="Repository not found",
        )
        refused = post(client, {"repo_url": REPO})
        assert refused.status_code == 429
        message = refused.json()["error"]
        assert "failed 60 s ago (Repository not found)" in message or "failed 6" in message
        assert "Retry after" in message and job.job_id in message
        Job.objects.filter(pk=job.pk).update(completed_at=timezone.now() - timedelta(minutes=4))
        assert post(client, {"repo_url": REPO}).status_code == 201


@pytest.mark.django_db
class TestReadApi:
    def test_detail_and_404(self, client: Client) -> None:
        job = services.submit(REPO).job
        Job.objects.filter(pk=job.pk).update(
            status=Status.COMPLETED, docs_path="github.com--acme--widgets/abc", error_trace="T"
        )
        body = client.get(f"/api/jobs/{job.job_id}").json()
        assert body["docs_path"] == "github.com--acme--widgets/abc"
        assert body["docs_url"] == f"/docs/{job.job_id}/"
        assert "error_trace" not in body  # traces name server paths: staff only
        assert body["created_at"].endswith("+00:00")
        missing = client.get("/api/jobs/nope-123")
        assert missing.status_code == 404
        assert missing.json() == {"error": "No job with id 'nope-123'."}
        staff = User.objects.create_user("op", is_staff=True)
        client.force_login(staff)
        assert client.get(f"/api/jobs/{job.job_id}").json()["error_trace"] == "T"

    def test_list_filters_and_paginates_newest_first(self, client: Client, settings: Any) -> None:
        settings.CODEWIKI_QUEUE_SIZE = 100
        now = timezone.now()
        jobs = [services.submit(f"{REPO}{n}").job for n in range(7)]
        for n, job in enumerate(jobs):
            Job.objects.filter(pk=job.pk).update(created_at=now - timedelta(minutes=n))
        Job.objects.filter(pk=jobs[0].pk).update(status=Status.FAILED)
        page = client.get("/api/jobs?limit=3").json()
        assert [j["job_id"] for j in page["results"]] == [j.job_id for j in jobs[:3]]
        page2 = client.get(page["next"]).json()
        assert [j["job_id"] for j in page2["results"]] == [j.job_id for j in jobs[3:6]]
        page3 = client.get(page2["next"]).json()
        assert [j["job_id"] for j in page3["results"]] == [jobs[6].job_id]
        assert page3["next"] is None
        failed = client.get("/api/jobs?status=failed").json()["results"]
        assert [j["job_id"] for j in failed] == [jobs[0].job_id]
        assert client.get("/api/jobs?status=nope").status_code == 400
        assert client.get("/api/jobs?cursor=%%%").status_code == 400


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_submissions_make_one_job() -> None:
    """Eight threads submit the same repository at once; the constraint keeps one job."""
    barrier = threading.Barrier(8)
    results: list[str] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            barrier.wait()
            results.append(services.submit(REPO).job.job_id)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert Job.objects.count() == 1
    assert set(results) == {Job.objects.get().job_id}


@pytest.mark.django_db
class TestTransitions:
    def test_state_guards_name_the_problem(self) -> None:
        job = services.submit(REPO).job
        with pytest.raises(InvalidTransition, match=r"Cannot retry job .*: it is queued"):
            services.retry(job)
        with pytest.raises(InvalidTransition, match="it is queued"):
            services.delete(job)
        with pytest.raises(InvalidTransition):
            job.mark_completed(docs_path="x", resolved_commit="a" * 40, from_cache=False)
        services.cancel(job)
        assert job.status == Status.CANCELLED
        with pytest.raises(InvalidTransition, match="Cannot cancel"):
            services.cancel(job)
        services.retry(job)
        assert Job.objects.get(pk=job.pk).status == Status.QUEUED

    def test_retry_refuses_a_second_active_job(self) -> None:
        job = services.submit(REPO).job
        services.cancel(job)
        services.submit(REPO)
        with pytest.raises(services.ActiveDuplicate, match="already queued or processing"):
            services.retry(job)

    def test_stale_copy_cannot_overwrite(self) -> None:
        job = services.submit(REPO).job
        stale = Job.objects.get(pk=job.pk)
        services.cancel(job)
        with pytest.raises(InvalidTransition):
            stale.mark_cancelled()

    def test_bulk_report(self) -> None:
        a = services.submit(REPO + "a").job
        b = services.submit(REPO + "b").job
        services.cancel(b)
        report = services.apply_bulk("retry", Job.objects.all())
        assert report.message() == "Retried 1 job, skipped 1 (queued)"
        assert a.pk != b.pk


@pytest.mark.django_db
def test_submit_command(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("submit", "https://github.com/acme/cli")
    assert "Queued acme--cli-" in capsys.readouterr().out
    call_command("submit", "https://github.com/acme/cli")
    assert "Already queued" in capsys.readouterr().out
    from django.core.management import CommandError

    with pytest.raises(CommandError, match=r"repo_url: The host 'example\.com' is not allowed"):
        call_command("submit", "https://example.com/a/b")
