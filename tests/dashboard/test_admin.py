"""The admin: every page renders, every action changes the database, select-across works."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jobs import docs_cache
from jobs.admin import ADMIN_COUNT_CAP, CappedCountPaginator
from jobs.models import CacheEntry, Job, JobAttempt, Status, Worker
from tests.dashboard.conftest import add_attempt, build_job

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/jobs/job/"


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def post_action(client: Client, action: str, jobs: list[Job], url: str = CHANGELIST) -> Any:
    return client.post(
        url,
        {"action": action, "index": 0, "_selected_action": [j.pk for j in jobs]},
        follow=True,
    )


def statuses(*jobs: Job) -> list[str | None]:
    found = {j.pk: j.status for j in Job.objects.filter(pk__in=[j.pk for j in jobs])}
    return [found.get(j.pk) for j in jobs]


@pytest.fixture
def cache_entry(output_dir: Path) -> CacheEntry:
    relpath = "github.com--a--b/" + "c" * 40
    folder = docs_cache.docs_root() / relpath
    folder.mkdir(parents=True)
    (folder / "overview.md").write_text("# Overview\n")
    return CacheEntry.objects.create(
        repo_url="https://github.com/a/b", commit_sha="c" * 40, docs_path=relpath, file_count=1
    )


# --- every page -------------------------------------------------------------------


def test_every_admin_page_renders(admin_client_su: Client, cache_entry: CacheEntry) -> None:
    worker = Worker.objects.create(hostname="h", pid=1)
    jobs = [build_job(s, worker=worker) for s in Status.values]
    add_attempt(jobs[0], 1, JobAttempt.Outcome.FAILED)
    urls = [
        "/admin/",
        "/admin/jobs/",
        CHANGELIST,
        f"{CHANGELIST}?status__exact=failed",
        f"{CHANGELIST}?q=owner",
        f"{CHANGELIST}?created_at__year={timezone.now().year}",
        "/admin/jobs/cacheentry/",
        f"/admin/jobs/cacheentry/{cache_entry.pk}/change/",
        "/admin/jobs/worker/",
        f"/admin/jobs/worker/{worker.pk}/change/",
    ]
    urls += [f"{CHANGELIST}{j.pk}/change/" for j in jobs]
    urls += [f"{CHANGELIST}{j.pk}/history/" for j in jobs[:1]]
    for url in urls:
        response = admin_client_su.get(url)
        assert response.status_code == 200, url
    finished = [j for j in jobs if j.is_finished]
    for job in finished:
        assert admin_client_su.get(f"{CHANGELIST}{job.pk}/delete/").status_code == 200


def test_add_is_not_allowed_anywhere(admin_client_su: Client) -> None:
    # Jobs come from services.submit; cache entries and workers from the worker.
    for url in ("/admin/jobs/job/add/", "/admin/jobs/cacheentry/add/", "/admin/jobs/worker/add/"):
        assert admin_client_su.get(url).status_code == 403


def test_active_job_cannot_be_deleted_from_its_page(admin_client_su: Client) -> None:
    job = build_job(Status.PROCESSING)
    assert admin_client_su.get(f"{CHANGELIST}{job.pk}/delete/").status_code == 403
    admin_client_su.post(f"{CHANGELIST}{job.pk}/delete/", {"post": "yes"})
    assert Job.objects.filter(pk=job.pk).exists()


def test_finished_job_delete_page_uses_the_service(admin_client_su: Client) -> None:
    job = build_job(Status.FAILED)
    response = admin_client_su.post(f"{CHANGELIST}{job.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Job.objects.filter(pk=job.pk).exists()


def test_trace_is_escaped_pre_and_worker_fields_read_only(admin_client_su: Client) -> None:
    job = build_job(Status.FAILED, error_trace="line1\n  <b>line2</b>")
    html = admin_client_su.get(f"{CHANGELIST}{job.pk}/change/").content.decode()
    assert '<pre class="cw-trace">line1\n  &lt;b&gt;line2&lt;/b&gt;</pre>' in html
    for name in ("status", "progress", "worker", "lease_expires_at", "attempts", "error_trace"):
        assert f'name="{name}"' not in html, name
    assert 'name="priority"' in html


def test_change_saves_only_operator_fields(admin_client_su: Client) -> None:
    job = build_job(Status.QUEUED, priority=0)
    html = admin_client_su.get(f"{CHANGELIST}{job.pk}/change/").content.decode()
    assert 'name="priority"' in html
    # Meanwhile the worker claims the job; the admin's stale copy must not undo it.
    Job.objects.filter(pk=job.pk).update(status=Status.PROCESSING, progress="cloning")
    response = admin_client_su.post(
        f"{CHANGELIST}{job.pk}/change/",
        {
            "priority": "7",
            "max_attempts": "3",
            "run_after_0": job.run_after.strftime("%Y-%m-%d"),
            "run_after_1": job.run_after.strftime("%H:%M:%S"),
            "attempt_log-TOTAL_FORMS": "0",
            "attempt_log-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    job.refresh_from_db()
    assert job.priority == 7
    assert job.status == Status.PROCESSING and job.progress == "cloning"


# --- actions on the selection ------------------------------------------------------


def test_default_delete_selected_is_replaced(admin_client_su: Client) -> None:
    build_job(Status.FAILED)
    html = admin_client_su.get(CHANGELIST).content.decode()
    assert 'value="delete_selected"' not in html
    for action in ("retry_jobs", "cancel_jobs", "delete_jobs"):
        assert f'value="{action}"' in html
    html = admin_client_su.get("/admin/jobs/cacheentry/").content.decode()
    assert 'value="delete_selected"' not in html and 'value="purge_entries"' in html


def test_retry_action_reports_and_skips(admin_client_su: Client) -> None:
    failed = [build_job(Status.FAILED) for _ in range(2)]
    cancelled = build_job(Status.CANCELLED)
    completed = build_job(Status.COMPLETED)
    response = post_action(admin_client_su, "retry_jobs", [*failed, cancelled, completed])
    assert messages_of(response) == ["Retried 3 jobs, skipped 1 (completed)"]
    assert statuses(*failed, cancelled, completed) == [
        Status.QUEUED,
        Status.QUEUED,
        Status.QUEUED,
        Status.COMPLETED,
    ]


def test_cancel_action(admin_client_su: Client) -> None:
    queued = build_job(Status.QUEUED)
    running = build_job(Status.PROCESSING)
    done = build_job(Status.COMPLETED)
    response = post_action(admin_client_su, "cancel_jobs", [queued, running, done])
    assert messages_of(response) == ["Cancelled or stopping 2 jobs, skipped 1 (completed)"]
    assert statuses(queued, running, done) == [
        Status.CANCELLED,
        Status.PROCESSING,
        Status.COMPLETED,
    ]
    running.refresh_from_db()
    assert running.cancel_requested


def test_delete_action_only_deletes_finished(admin_client_su: Client) -> None:
    finished = [build_job(s) for s in (Status.COMPLETED, Status.FAILED, Status.CANCELLED)]
    active = [build_job(Status.QUEUED), build_job(Status.PROCESSING)]
    response = post_action(admin_client_su, "delete_jobs", [*finished, *active])
    assert messages_of(response) == ["Deleted 3 jobs, skipped 2 (1 processing, 1 queued)"]
    assert statuses(*finished, *active) == [None, None, None, Status.QUEUED, Status.PROCESSING]


def test_actions_need_a_selection(admin_client_su: Client) -> None:
    job = build_job(Status.FAILED)
    response = admin_client_su.post(CHANGELIST, {"action": "retry_jobs", "index": 0}, follow=True)
    assert "Items must be selected" in messages_of(response)[0]
    assert statuses(job) == [Status.FAILED]


def test_staff_without_permissions_cannot_use_admin(staff_client: Client) -> None:
    job = build_job(Status.FAILED)
    response = post_action(staff_client, "retry_jobs", [job])
    assert response.status_code == 403
    assert statuses(job) == [Status.FAILED]


# --- all matching the filter ------------------------------------------------------


def test_select_across_applies_to_every_matching_job(admin_client_su: Client) -> None:
    failed = [build_job(Status.FAILED, created_ago=timedelta(minutes=i)) for i in range(150)]
    other = build_job(Status.CANCELLED)
    completed = build_job(Status.COMPLETED)
    url = f"{CHANGELIST}?status__exact=failed"
    html = admin_client_su.get(url).content.decode()
    assert "Select all" in html  # more than one page (100 per page)
    # What Django's JS sends after "Select all 150": the visible page plus select_across.
    response = admin_client_su.post(
        url,
        {
            "action": "retry_jobs",
            "index": 0,
            "select_across": "1",
            "_selected_action": [j.pk for j in failed[:100]],
        },
        follow=True,
    )
    assert messages_of(response) == ["Retried 150 jobs"]
    assert Job.objects.filter(status=Status.QUEUED).count() == 150
    assert statuses(other, completed) == [Status.CANCELLED, Status.COMPLETED]


def test_all_matching_form_uses_the_filtered_queryset(admin_client_su: Client) -> None:
    mine = [build_job(Status.FAILED, repo=f"https://github.com/django/r{i}") for i in range(3)]
    not_matching_search = build_job(Status.FAILED, repo="https://github.com/flask/flask")
    url = f"{CHANGELIST}?status__exact=failed&q=django"
    html = admin_client_su.get(url).content.decode()
    form = re.search(r'<form method="post" class="cw-all-matching".*?</form>', html, re.S)
    assert form, "the all-matching form is rendered"
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(0)))
    assert fields["select_across"] == "1" and "_selected_action" in fields
    assert 'value="delete_jobs"' in form.group(0)
    # The form posts to the current URL, i.e. with the filter's query string.
    fields["action"] = "delete_jobs"
    response = admin_client_su.post(url, fields, follow=True)
    assert messages_of(response) == ["Deleted 3 jobs"]
    assert statuses(*mine, not_matching_search) == [None, None, None, Status.FAILED]


def test_select_across_cancel_skips_finished(admin_client_su: Client) -> None:
    jobs = [build_job(s) for s in (Status.QUEUED, Status.QUEUED, Status.FAILED)]
    response = admin_client_su.post(
        CHANGELIST,
        {"action": "cancel_jobs", "index": 0, "select_across": "1", "_selected_action": "x"},
        follow=True,
    )
    assert messages_of(response) == ["Cancelled or stopping 2 jobs, skipped 1 (failed)"]
    assert statuses(*jobs) == [Status.CANCELLED, Status.CANCELLED, Status.FAILED]


# --- search, date hierarchy, speed -------------------------------------------------


def test_search_is_prefix_or_job_id(admin_client_su: Client) -> None:
    a = build_job(Status.FAILED, repo="https://github.com/django/django")
    b = build_job(Status.FAILED, repo="https://github.com/flask/flask")
    for term, expected in [("django", {a}), ("github.com/flask", {b}), (b.job_id, {b})]:
        response = admin_client_su.get(CHANGELIST, {"q": term})
        assert {j.pk for j in response.context["cl"].result_list} == {j.pk for j in expected}


def test_date_hierarchy_without_distinct_scans(admin_client_su: Client) -> None:
    build_job(Status.COMPLETED, created_at=datetime(2025, 3, 4, 12, tzinfo=UTC))
    build_job(Status.COMPLETED, created_at=datetime(2026, 5, 6, 12, tzinfo=UTC))
    with CaptureQueriesContext(connection) as ctx:
        html = admin_client_su.get(CHANGELIST).content.decode()
    assert "created_at__year=2025" in html and "created_at__year=2026" in html
    sql = " ".join(q["sql"].upper() for q in ctx.captured_queries)
    assert "DISTINCT" not in sql
    html = admin_client_su.get(CHANGELIST, {"created_at__year": "2026"}).content.decode()
    assert "created_at__month=5" in html
    response = admin_client_su.get(
        CHANGELIST, {"created_at__year": "2026", "created_at__month": "5"}
    )
    assert "created_at__day=31" in response.content.decode()
    assert len(response.context["cl"].result_list) == 1


def test_changelist_query_count_constant(admin_client_su: Client) -> None:
    worker = Worker.objects.create(hostname="h", pid=1)
    build_job(Status.PROCESSING, worker=worker)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client_su.get(CHANGELIST).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for i in range(40):
        w = Worker.objects.create(hostname=f"h{i}", pid=i)
        build_job(Status.PROCESSING if i % 2 else Status.FAILED, worker=w)
    assert count() == small


def test_capped_paginator(admin_client_su: Client) -> None:
    for _ in range(5):
        build_job(Status.FAILED)
    paginator = CappedCountPaginator(Job.objects.order_by("pk"), 2)
    assert paginator.count == 5
    import jobs.admin as job_admin

    original = job_admin.ADMIN_COUNT_CAP
    job_admin.ADMIN_COUNT_CAP = 3
    try:
        assert CappedCountPaginator(Job.objects.order_by("pk"), 2).count == 4
    finally:
        job_admin.ADMIN_COUNT_CAP = original
    assert ADMIN_COUNT_CAP == 10_000


# --- cache entries and workers ------------------------------------------------------


def test_purge_action_removes_row_and_folder(
    admin_client_su: Client, cache_entry: CacheEntry
) -> None:
    folder = docs_cache.docs_root() / cache_entry.docs_path
    assert folder.is_dir()
    response = admin_client_su.post(
        "/admin/jobs/cacheentry/",
        {"action": "purge_entries", "index": 0, "_selected_action": [cache_entry.pk]},
        follow=True,
    )
    assert "Purged 1 cache entry" in messages_of(response)[0]
    assert not CacheEntry.objects.exists() and not folder.exists()


def test_cache_entry_delete_page_purges(admin_client_su: Client, cache_entry: CacheEntry) -> None:
    folder = docs_cache.docs_root() / cache_entry.docs_path
    response = admin_client_su.post(
        f"/admin/jobs/cacheentry/{cache_entry.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not folder.exists()


def test_worker_admin_is_read_only(admin_client_su: Client) -> None:
    worker = Worker.objects.create(
        hostname="gone", pid=9, last_heartbeat=timezone.now() - timedelta(hours=1)
    )
    build_job(Status.PROCESSING, worker=worker)
    html = admin_client_su.get("/admin/jobs/worker/").content.decode()
    assert "gone" in html and 'alt="True"' in html  # stale
    change = admin_client_su.get(f"/admin/jobs/worker/{worker.pk}/change/").content.decode()
    assert 'name="hostname"' not in change
    assert admin_client_su.get(f"/admin/jobs/worker/{worker.pk}/delete/").status_code == 403
    assert reverse("admin:jobs_worker_changelist") == "/admin/jobs/worker/"
