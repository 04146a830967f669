"""Tracked repositories: created on first completion, stable /r/ links, docs by commit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from jobs import repositories, services
from jobs.models import Job, Repository, Status
from tests.conftest import GitServer, wait_for


def completed(url: str, commit_id: str = "", sha: str = "a" * 40, **fields: Any) -> Job:
    """A completed job as the pipeline leaves it, with its repository bookkeeping done."""
    job = Job.objects.create(
        job_id=f"job-{Job.objects.count()}-{sha[:6]}",
        repo_url=url,
        commit_id=commit_id,
        status=Status.COMPLETED,
        resolved_commit=sha,
        completed_at=timezone.now(),
        docs_path=f"x/{sha}",
        **fields,
    )
    repositories.record_completed(job)
    return job


@pytest.mark.django_db
def test_first_completion_creates_the_record_and_later_ones_advance_it(settings: Any) -> None:
    settings.CODEWIKI_REFRESH_MINUTES = 15
    url = "https://github.com/mrdoob/three.js"
    first = completed(url, sha="1" * 40)
    repo = Repository.objects.get(url=url)
    assert (repo.branch, repo.refresh_minutes, repo.enabled) == ("", 15, True)
    assert repo.latest_job == first
    pinned = completed(url, commit_id="2" * 40, sha="2" * 40)  # a commit, not the branch
    second = completed(url, sha="3" * 40)
    repo.refresh_from_db()
    assert repo.latest_job == second
    assert Repository.objects.count() == 1
    # A head seen by a webhook or the refresh counts as the followed branch too.
    Repository.objects.filter(pk=repo.pk).update(last_seen_sha="4" * 40)
    pushed = completed(url, commit_id="4" * 40, sha="4" * 40)
    repo.refresh_from_db()
    assert repo.latest_job == pushed
    assert [job.pk for job in repositories.completed_jobs(repo)] == [
        pushed.pk,
        second.pk,
        pinned.pk,
        first.pk,
    ]


@pytest.mark.django_db
def test_local_repositories_are_not_tracked() -> None:
    completed("/srv/repos/thing")
    assert not Repository.objects.exists()


@pytest.mark.django_db
def test_stable_links_redirect_to_the_latest_docs_and_to_a_commit(client: Client) -> None:
    url = "https://github.com/mrdoob/three.js"
    old = completed(url, sha="abc1230000" + "0" * 30)
    new = completed(url, sha="def4560000" + "0" * 30)
    tagged = completed(url, commit_id="v1.2", sha="789abc0000" + "0" * 30)

    def target(path: str) -> str:
        response = client.get(path)
        assert response.status_code == 302, (path, response.status_code)
        return response["Location"]

    assert target("/r/github.com/mrdoob/three.js/") == f"/docs/{new.job_id}/"
    assert target("/r/github.com/MrDoob/Three.js/") == f"/docs/{new.job_id}/"  # case-insensitive
    assert target("/r/github.com/mrdoob/three.js/@abc123/") == f"/docs/{old.job_id}/"
    assert target(f"/r/github.com/mrdoob/three.js/@{old.resolved_commit}/") == (
        f"/docs/{old.job_id}/"
    )
    assert target("/r/github.com/mrdoob/three.js/@v1.2/") == f"/docs/{tagged.job_id}/"
    assert target("/r/github.com/mrdoob/three.js/@abc123/core") == f"/docs/{old.job_id}/core"
    assert client.get("/r/github.com/mrdoob/three.js/@ffff99/").status_code == 404
    assert client.get("/r/github.com/nobody/nothing/").status_code == 404
    assert client.get("/r/github.com/only-owner/").status_code == 404
    assert client.get("/r/github.com/a/../b/").status_code == 404
    assert repositories.stable_url(url) == "/r/github.com/mrdoob/three.js/"


@pytest.mark.django_db
def test_stable_links_take_refs_with_slashes_and_pages_below_them(client: Client) -> None:
    url = "https://github.com/acme/app"
    latest = completed(url, sha="1" * 40)
    release = completed(url, commit_id="release/2.x", sha="2" * 40)
    feature = completed(url, commit_id="feature/a/b", sha="3" * 40)
    tag = completed(url, commit_id="v3.0.1", sha="4" * 40)
    shorter = completed(url, commit_id="feature", sha="5" * 40)
    base = "/r/github.com/acme/app"

    def target(path: str) -> str:
        response = client.get(path)
        assert response.status_code == 302, (path, response.status_code, response.content)
        return response["Location"]

    assert target(f"{base}/") == f"/docs/{latest.job_id}/"
    assert target(f"{base}/@release/2.x/") == f"/docs/{release.job_id}/"
    assert target(f"{base}/@release/2.x/core/util") == f"/docs/{release.job_id}/core/util"
    assert target(f"{base}/@release%2F2.x/core") == f"/docs/{release.job_id}/core"
    assert target(f"{base}/@feature/a/b/") == f"/docs/{feature.job_id}/"
    assert target(f"{base}/@feature/a/b/core") == f"/docs/{feature.job_id}/core"
    # The longest ref with docs wins; a shorter one takes the rest as its page.
    assert target(f"{base}/@feature/core") == f"/docs/{shorter.job_id}/core"
    assert target(f"{base}/@v3.0.1/") == f"/docs/{tag.job_id}/"
    assert target(f"{base}/@2222/core") == f"/docs/{release.job_id}/core"  # a sha prefix
    assert target(f"{base}/@{'3' * 40}/") == f"/docs/{feature.job_id}/"
    assert repositories.stable_url(url, "release/2.x") == f"{base}/@release/2.x/"

    unknown = client.get(f"{base}/@release/9.x/")
    assert unknown.status_code == 404
    assert unknown["Content-Type"].startswith("text/plain")
    assert "No documentation for '@release/9.x' of this repository" in unknown.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "rest",
    [
        "@../../x",
        "@%2e%2e/%2e%2e/x",
        "@..%2F..%2Fx",
        "@release/2.x/../../../x",
        "@release/2.x/%2e%2e/secret",
        "@release//2.x/",
        "@-x/",
        "@/release/",
        "@x.lock/",
        "@release@{1}/",
    ],
)
def test_stable_links_refuse_traversal_and_invalid_refs(client: Client, rest: str) -> None:
    completed("https://github.com/acme/app", commit_id="release/2.x", sha="2" * 40)
    response = client.get(f"/r/github.com/acme/app/{rest}")
    assert response.status_code == 404
    assert "Not a repository link" in response.content.decode()


@pytest.mark.django_db
def test_nested_groups_and_ports(client: Client) -> None:
    url = "http://127.0.0.1:8080/group/sub/app.v2"
    job = completed(url)
    assert repositories.stable_url(url) == "/r/127.0.0.1:8080/group/sub/app.v2/"
    assert client.get("/r/127.0.0.1:8080/group/sub/app.v2/")["Location"] == f"/docs/{job.job_id}/"


@pytest.mark.django_db
def test_repository_pages_list_docs_newest_first_and_hide_private_ones(client: Client) -> None:
    url = "https://gitlab.com/acme/site"
    first = completed(url, sha="1" * 40)
    second = completed(url, sha="2" * 40)
    completed("https://gitlab.com/secret/thing", private=True)
    repo = Repository.objects.get(url=url)

    listing = client.get("/repositories/").content.decode()
    assert "acme/site" in listing and "secret/thing" not in listing
    page = client.get(f"/repositories/{repo.pk}/").content.decode()
    assert page.index(second.job_id) < page.index(first.job_id)
    assert "/r/gitlab.com/acme/site/" in page

    hidden = Repository.objects.get(url="https://gitlab.com/secret/thing")
    assert client.get(f"/repositories/{hidden.pk}/").status_code == 404
    assert client.get("/r/gitlab.com/secret/thing/").status_code == 404
    member = Client()
    member.force_login(User.objects.create_user("member", password="pw-member-123"))
    assert member.get(f"/repositories/{hidden.pk}/").status_code == 200
    assert member.get("/r/gitlab.com/secret/thing/").status_code == 302


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_job_creates_the_repository_and_its_stable_link_serves_the_docs(
    client: Client, git_server: GitServer, worker_process: Any, output_dir: Path
) -> None:
    url = git_server.make_repo("acme/tracked.lib", http=True)
    job = services.submit(url).job
    worker_process()
    done = wait_for(
        lambda: (j := Job.objects.get(pk=job.pk)).is_finished and j, timeout=60, what="finish"
    )
    assert done.status == Status.COMPLETED, done.error_message
    repo = Repository.objects.get(url=url)
    assert repo.latest_job_id == done.pk
    link = repositories.stable_url(url)
    response = client.get(link, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[0][0] == f"/docs/{done.job_id}/"
    assert "tracked.lib" in response.content.decode()


@pytest.mark.django_db
def test_staff_add_repositories_in_the_admin_and_run_its_actions(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/jobs/repository/add/",
        {"url": "https://www.GitHub.com/Acme/Widgets.git", "branch": "develop",
         "refresh_minutes": "30", "enabled": "on"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    repo = Repository.objects.get()
    assert (repo.url, repo.branch, repo.refresh_minutes) == (
        "https://github.com/acme/widgets",
        "develop",
        30,
    )
    assert repo.created_by == "admin"
    refused = admin_client.post(
        "/admin/jobs/repository/add/",
        {"url": "file:///etc", "branch": "", "refresh_minutes": "30", "enabled": "on"},
    )
    assert refused.status_code == 200 and "not allowed" in refused.content.decode()
    for url in ("/admin/jobs/repository/", f"/admin/jobs/repository/{repo.pk}/change/",
                "/admin/jobs/webhookdelivery/"):  # fmt: skip
        assert admin_client.get(url).status_code == 200
    admin_client.post(
        "/admin/jobs/repository/",
        {"action": "disable_repositories", "_selected_action": [repo.pk]},
    )
    repo.refresh_from_db()
    assert not repo.enabled
    admin_client.post(
        "/admin/jobs/repository/",
        {"action": "enable_repositories", "_selected_action": [repo.pk]},
    )
    repo.refresh_from_db()
    assert repo.enabled


@pytest.mark.django_db
def test_the_repositories_view_shows_the_schedule_and_staff_toggle_it(
    client: Client, admin_client: Client
) -> None:
    url = "https://github.com/acme/shown"
    job = completed(url, sha="5" * 40)
    repo = Repository.objects.get(url=url)
    Repository.objects.filter(pk=repo.pk).update(
        branch="main", last_checked_at=timezone.now(), refresh_minutes=45
    )
    page = admin_client.get("/repositories/").content.decode()
    assert "acme/shown" in page and "every 45 min" in page and "555555555555" in page
    assert 'href="/r/github.com/acme/shown/"' in page
    assert "Disable" in page
    assert "Disable" not in client.get("/repositories/").content.decode()  # not for visitors
    assert job.job_id  # the latest docs row above is this job's

    toggle = f"/repositories/{repo.pk}/enabled"
    assert client.post(toggle, {"enabled": "0"}).status_code == 403  # anonymous
    plain = Client()
    plain.force_login(User.objects.create_user("plain", password="pw-plain-12345"))
    assert plain.post(toggle, {"enabled": "0"}).status_code == 403  # not staff
    assert admin_client.get(toggle).status_code == 405  # no state change over GET
    repo.refresh_from_db()
    assert repo.enabled

    staff = Client(enforce_csrf_checks=True)
    staff.force_login(User.objects.get(username="admin"))
    assert staff.post(toggle, {"enabled": "0"}).status_code == 403  # no CSRF token
    listing = staff.get("/repositories/")
    token = listing.cookies["csrftoken"].value
    response = staff.post(
        toggle, {"enabled": "0", "next": "/repositories/", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 303 and response["Location"] == "/repositories/"
    repo.refresh_from_db()
    assert not repo.enabled
    followed = staff.get("/repositories/").content.decode()
    assert "Disabled refreshing of acme/shown" in followed and "Enable" in followed
    staff.post(toggle, {"enabled": "1", "csrfmiddlewaretoken": token})
    repo.refresh_from_db()
    assert repo.enabled and repo.next_check_at <= timezone.now()
