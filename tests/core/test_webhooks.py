"""Push webhooks: each provider's signature scheme, replays, untracked repos, sizes, pings."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from jobs import repositories
from jobs.models import Job, Repository, Status, WebhookDelivery
from tests.conftest import GitServer, wait_for

SECRET = "hook-secret-0123456789"
URL = "https://github.com/acme/three.js"
SHA = "3" * 40


@pytest.fixture(autouse=True)
def secrets(settings: Any) -> None:
    settings.CODEWIKI_WEBHOOK_SECRET_GITHUB = SECRET
    settings.CODEWIKI_WEBHOOK_SECRET_GITLAB = SECRET
    settings.CODEWIKI_WEBHOOK_SECRET_GITEA = SECRET
    settings.CODEWIKI_REPO_HOSTS = [*settings.CODEWIKI_REPO_HOSTS]


def push_payload(provider: str, url: str, ref: str, sha: str, default: str = "main") -> dict:
    if provider == "gitlab":
        return {
            "object_kind": "push",
            "ref": ref,
            "before": "0" * 39 + "1",
            "after": sha,
            "checkout_sha": sha,
            "project": {"git_http_url": url + ".git", "web_url": url, "default_branch": default},
        }
    return {
        "ref": ref,
        "before": "0" * 39 + "1",
        "after": sha,
        "repository": {"clone_url": url + ".git", "html_url": url, "default_branch": default},
    }


def post(
    client: Client,
    provider: str,
    payload: Any,
    *,
    secret: str | None = SECRET,
    delivery: str | None = None,
    event: str | None = None,
) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    delivery = delivery or str(uuid.uuid4())
    headers: dict[str, str] = {}
    if provider == "github":
        headers["X-GitHub-Event"] = event or "push"
        headers["X-GitHub-Delivery"] = delivery
        if secret is not None:
            digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature-256"] = "sha256=" + digest
    elif provider == "gitlab":
        headers["X-Gitlab-Event"] = event or "Push Hook"
        headers["X-Gitlab-Event-UUID"] = delivery
        if secret is not None:
            headers["X-Gitlab-Token"] = secret
    else:
        headers["X-Gitea-Event"] = event or "push"
        headers["X-Gitea-Delivery"] = delivery
        if secret is not None:
            headers["X-Gitea-Signature"] = hmac.new(
                secret.encode(), body, hashlib.sha256
            ).hexdigest()
    return client.post(f"/hooks/{provider}", body, content_type="application/json", headers=headers)


PROVIDERS = ["github", "gitlab", "gitea"]


@pytest.fixture
def tracked(db: None) -> Repository:
    return Repository.objects.create(url=URL, branch="")


@pytest.mark.django_db
@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_signed_push_to_the_followed_branch_enqueues_the_pushed_sha(
    client: Client, tracked: Repository, provider: str
) -> None:
    response = post(client, provider, push_payload(provider, URL, "refs/heads/main", SHA))
    assert response.status_code == 202, response.json()
    job = Job.objects.get()
    assert (job.repo_url, job.commit_id, job.status) == (URL, SHA, Status.QUEUED)
    assert job.submitted_by == f"webhook:{provider}"
    assert response.json()["job_id"] == job.job_id
    tracked.refresh_from_db()
    assert tracked.last_seen_sha == SHA
    # A second delivery of another push of the same sha dedupes onto the queued job.
    again = post(client, provider, push_payload(provider, URL, "refs/heads/main", SHA))
    assert again.status_code == 202 and again.json()["job_id"] == job.job_id
    assert Job.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("provider", PROVIDERS)
def test_wrong_and_missing_signatures_are_refused(
    client: Client, tracked: Repository, provider: str
) -> None:
    payload = push_payload(provider, URL, "refs/heads/main", SHA)
    assert post(client, provider, payload, secret="not-the-secret").status_code == 403
    assert post(client, provider, payload, secret=None).status_code == 403
    assert not Job.objects.exists() and not WebhookDelivery.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_replayed_delivery_id_is_ignored(
    client: Client, tracked: Repository, provider: str
) -> None:
    payload = push_payload(provider, URL, "refs/heads/main", SHA)
    assert post(client, provider, payload, delivery="d-1").status_code == 202
    Job.objects.all().delete()  # the job ran and was cleaned up meanwhile
    replay = post(client, provider, payload, delivery="d-1")
    assert replay.status_code == 200
    assert "already handled" in replay.json()["message"]
    assert not Job.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("provider", PROVIDERS)
def test_untracked_repositories_and_other_branches_enqueue_nothing(
    client: Client, tracked: Repository, provider: str
) -> None:
    other = push_payload(provider, "https://github.com/acme/other", "refs/heads/main", SHA)
    assert post(client, provider, other).status_code == 202
    feature = push_payload(provider, URL, "refs/heads/feature", SHA)
    assert post(client, provider, feature).status_code == 202
    tag = push_payload(provider, URL, "refs/tags/v1", SHA)
    assert post(client, provider, tag).status_code == 202
    deleted = push_payload(provider, URL, "refs/heads/main", "0" * 40)
    assert post(client, provider, deleted).status_code == 202
    Repository.objects.filter(pk=tracked.pk).update(enabled=False)
    disabled = push_payload(provider, URL, "refs/heads/main", SHA)
    assert post(client, provider, disabled).status_code == 202
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_a_named_followed_branch(client: Client) -> None:
    Repository.objects.create(url=URL, branch="develop")
    main = post(client, "github", push_payload("github", URL, "refs/heads/main", SHA))
    assert main.status_code == 202
    assert not Job.objects.exists()
    post(client, "github", push_payload("github", URL, "refs/heads/develop", SHA))
    assert Job.objects.get().commit_id == SHA


@pytest.mark.django_db
@pytest.mark.parametrize("provider", PROVIDERS)
def test_pings_and_other_events_answer_200(
    client: Client, tracked: Repository, provider: str
) -> None:
    event = {"github": "ping", "gitlab": "Issue Hook", "gitea": "issues"}[provider]
    response = post(client, provider, {"zen": "Keep it simple."}, event=event)
    assert response.status_code == 200
    assert not Job.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("provider", PROVIDERS)
def test_oversized_and_malformed_bodies_are_refused(
    client: Client, tracked: Repository, provider: str, settings: Any
) -> None:
    settings.CODEWIKI_WEBHOOK_MAX_BYTES = 1000
    big = push_payload(provider, URL, "refs/heads/main", SHA)
    big["padding"] = "x" * 2000
    assert post(client, provider, big).status_code == 413
    assert post(client, provider, b"not json").status_code == 400
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_an_endpoint_without_a_secret_refuses_everything(client: Client, settings: Any) -> None:
    Repository.objects.create(url=URL)
    settings.CODEWIKI_WEBHOOK_SECRET_GITEA = ""
    response = post(client, "gitea", push_payload("gitea", URL, "refs/heads/main", SHA), secret="")
    assert response.status_code == 403
    assert "CODEWIKI_WEBHOOK_SECRET_GITEA" in response.json()["message"]
    assert client.get("/hooks/github").status_code == 405


@pytest.mark.django_db
def test_webhooks_stay_reachable_when_the_site_requires_login(
    client: Client, tracked: Repository, settings: Any
) -> None:
    settings.CODEWIKI_LOGIN_REQUIRED = True
    response = post(client, "github", push_payload("github", URL, "refs/heads/main", SHA))
    assert response.status_code == 202


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_push_regenerates_the_docs_and_moves_the_stable_link(
    client: Client, git_server: GitServer, worker_process: Any, output_dir: Path
) -> None:
    url = git_server.make_repo("acme/pushed.js", http=True)
    Repository.objects.create(url=url)
    new_sha = git_server.commit(url, {"sample/more.py": "def more():\n    return 2\n"})
    response = post(client, "github", push_payload("github", url, "refs/heads/main", new_sha))
    assert response.status_code == 202, response.json()
    job_id = response.json()["job_id"]
    worker_process()
    done = wait_for(
        lambda: (j := Job.objects.get(job_id=job_id)).is_finished and j, timeout=60, what="job"
    )
    assert done.status == Status.COMPLETED, done.error_message
    assert done.resolved_commit == new_sha
    repo = Repository.objects.get(url=url)
    assert repo.latest_job_id == done.pk
    assert client.get(repositories.stable_url(url))["Location"] == f"/docs/{job_id}/"
