"""Scheduled refresh: one ls-remote per due repository, a job only when the head moved,
and one job however many workers check at once."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from jobs import refresh
from jobs.models import Job, Repository, WebhookDelivery
from tests.conftest import GitServer, wait_for


def due_repository(url: str, **fields: Any) -> Repository:
    return Repository.objects.create(
        url=url, next_check_at=timezone.now() - timedelta(seconds=1), **fields
    )


@pytest.mark.django_db
def test_a_moved_head_enqueues_one_job_and_an_unchanged_one_none(
    git_server: GitServer,
) -> None:
    url = git_server.make_repo("acme/refreshed")
    old = git_server.head(url)
    repo = due_repository(url, last_seen_sha=old, refresh_minutes=10)

    report = refresh.refresh_due(limit=5)
    assert (report.claimed, report.enqueued) == (1, 0)  # unchanged: nothing
    repo.refresh_from_db()
    assert repo.last_checked_at is not None
    assert repo.next_check_at > timezone.now() + timedelta(minutes=9)
    assert refresh.refresh_due(limit=5).claimed == 0  # not due again yet

    new = git_server.commit(url, {"sample/new.py": "X = 1\n"})
    Repository.objects.filter(pk=repo.pk).update(next_check_at=timezone.now())
    report = refresh.refresh_due(limit=5)
    assert report.enqueued == 1
    job = Job.objects.get()
    assert (job.repo_url, job.commit_id, job.submitted_by) == (url, new, "refresh")
    repo.refresh_from_db()
    assert repo.last_seen_sha == new


@pytest.mark.django_db
def test_a_followed_branch_other_than_the_default(git_server: GitServer) -> None:
    url = git_server.make_repo("acme/branchy")
    path = git_server.path(url)
    from tests.support.gitserve import commit, git

    git("checkout", "--quiet", "-b", "develop", cwd=path)
    develop = commit(path, {"dev.py": "D = 1\n"}, "On develop")
    git("checkout", "--quiet", "main", cwd=path)
    due_repository(url, branch="develop")
    refresh.refresh_due()
    assert Job.objects.get().commit_id == develop


@pytest.mark.django_db
def test_disabled_and_webhook_only_repositories_are_not_checked(git_server: GitServer) -> None:
    due_repository(git_server.make_repo("acme/off"), enabled=False)
    due_repository(git_server.make_repo("acme/hooks-only"), refresh_minutes=0)
    assert refresh.refresh_due(limit=5).due == 0
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_a_failing_check_is_recorded_and_not_fatal(git_server: GitServer) -> None:
    repo = due_repository(git_server.daemon.url("nobody/gone"))
    assert refresh.refresh_due().enqueued == 0
    repo.refresh_from_db()
    assert repo.last_check_error == "Repository not found"
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_a_claim_is_won_once() -> None:
    repo = due_repository("https://github.com/acme/raced")
    now = timezone.now()
    assert refresh.claim(repo.pk, repo.next_check_at, now, 60)
    assert not refresh.claim(repo.pk, repo.next_check_at, now, 60)  # the stale read loses


@pytest.mark.django_db
def test_old_webhook_deliveries_are_pruned() -> None:
    WebhookDelivery.objects.create(
        provider="github", delivery_id="old", received_at=timezone.now() - timedelta(days=40)
    )
    WebhookDelivery.objects.create(provider="github", delivery_id="new")
    assert refresh.prune_deliveries() == 1
    assert list(WebhookDelivery.objects.values_list("delivery_id", flat=True)) == ["new"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_workers_refreshing_at_once_enqueue_one_job(
    git_server: GitServer, worker_process: Any
) -> None:
    url = git_server.make_repo("acme/contended")
    old = git_server.head(url)
    git_server.commit(url, {"sample/moved.py": "M = 1\n"})
    repo = due_repository(url, last_seen_sha=old)
    env = {"CODEWIKI_LOG_LEVEL": "DEBUG"}
    workers = [worker_process(env=env), worker_process(env=env)]

    # Each worker checks at start-up and then every couple of seconds: wait until both
    # have made two passes, i.e. both certainly looked at the repository after it was due.
    def passes(worker: Any) -> int:
        return worker.log().count("Refresh pass:")

    wait_for(lambda: all(passes(w) >= 2 for w in workers), timeout=40, what="refresh passes")
    assert Job.objects.filter(repo_url=url).count() == 1
    claimed = sum(
        w.log().count("claimed 1,") for w in workers
    )  # one worker won the claim, the other skipped it
    assert claimed == 1
    repo.refresh_from_db()
    assert repo.last_seen_sha == git_server.head(url)


@pytest.mark.django_db(transaction=True)
def test_two_workers_that_read_the_same_due_repository_check_it_once(
    git_server: GitServer,
) -> None:
    """The race made certain: both read the due list before either claims."""
    url = git_server.make_repo("acme/lockstep")
    old = git_server.head(url)
    git_server.commit(url, {"sample/moved.py": "M = 2\n"})
    due_repository(url, last_seen_sha=old)
    barrier = threading.Barrier(2, timeout=20)
    reports: list[refresh.RefreshReport] = []

    def worker() -> None:
        try:
            now = timezone.now()
            due = refresh.due_candidates(now)
            barrier.wait()
            reports.append(refresh.process(due, now))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(r.due for r in reports) == [1, 1]  # both saw it due
    assert sorted(r.claimed for r in reports) == [0, 1]  # one claimed it
    assert Job.objects.filter(repo_url=url).count() == 1
