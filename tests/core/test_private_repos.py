"""Private repositories: per-host tokens, redaction everywhere, permanent auth errors, visibility.

The private repositories are served by ``git http-backend`` behind the tests'
own HTTP server, which demands basic auth with the token and, when refused,
echoes the password it was sent (so a wrong token reaches git's own stderr).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from jobs import git_credentials, repositories, services
from jobs.fetch import resolve_commit
from jobs.models import CacheEntry, Job, JobAttempt, Repository, Status
from tests.conftest import GitServer, wait_for
from tests.support.gitserve import free_port

TOKEN = "ghp_TestToken0123456789abcdefSECRET"
WRONG_TOKEN = "glpat-WrongToken9876543210zyxwSECRET"


def prefix_of(url: str) -> str:
    """``http://127.0.0.1:port/owner`` of a served repository URL."""
    return url.rsplit("/", 1)[0]


def write_credentials(path: Path, *lines: str) -> Path:
    path.write_text("# CodeWiki credentials\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- configuration ---------------------------------------------------------------


def test_lines_parse_and_the_longest_prefix_wins(settings: Any, tmp_path: Path) -> None:
    settings.CODEWIKI_GIT_CREDENTIALS = str(
        write_credentials(
            tmp_path / "creds",
            "https://github.com host-wide-token-1",
            "https://github.com/Acme org-token-22222",
            "https://bot@gitlab.com/team group-token-333",
            "not a valid line at all",
            "https://github.com/short x",
        )
    )
    settings.CODEWIKI_GIT_CREDENTIAL_VARS = {
        "CODEWIKI_GIT_CREDENTIAL_CODEBERG": "https://codeberg.org/me codeberg-token-4444"
    }
    assert git_credentials.for_url("https://github.com/acme/widgets").token == "org-token-22222"
    assert git_credentials.for_url("https://github.com/acmex/w").token == "host-wide-token-1"
    gitlab = git_credentials.for_url("https://gitlab.com/team/app")
    assert (gitlab.username, gitlab.token) == ("bot", "group-token-333")
    assert git_credentials.for_url("https://gitlab.com/other/app") is None
    assert git_credentials.for_url("https://codeberg.org/me/x").token == "codeberg-token-4444"
    assert git_credentials.for_url("git://github.com/acme/widgets") is None
    assert git_credentials.for_url("/srv/local/repo") is None


def test_the_file_is_read_at_use_so_rotation_needs_no_restart(
    settings: Any, tmp_path: Path
) -> None:
    path = write_credentials(tmp_path / "creds", "https://github.com old-token-1111")
    settings.CODEWIKI_GIT_CREDENTIALS = str(path)
    assert git_credentials.for_url("https://github.com/a/b").token == "old-token-1111"
    write_credentials(path, "https://github.com new-token-2222")
    assert git_credentials.for_url("https://github.com/a/b").token == "new-token-2222"
    path.unlink()
    assert git_credentials.for_url("https://github.com/a/b") is None


def test_redact_replaces_tokens_and_userinfo(settings: Any, tmp_path: Path) -> None:
    settings.CODEWIKI_GIT_CREDENTIALS = str(
        write_credentials(tmp_path / "creds", f"https://github.com {TOKEN}")
    )
    text = f"remote: bad {TOKEN}\nAuthorization: Basic abc=\nhttps://u:{WRONG_TOKEN}@h/x"
    cleaned = git_credentials.redact(text)
    assert TOKEN not in cleaned and WRONG_TOKEN not in cleaned and "abc=" not in cleaned
    assert cleaned.count(git_credentials.REDACTED) == 3


# --- end to end against a real server that requires the token ----------------------


def everything_shown(client: Client, job: Job, output_dir: Path, log: str) -> str:
    """Every place the issue names, concatenated: rows, API, pages, admin, docs, logs."""
    job.refresh_from_db()
    parts = [log]
    for row in Job.objects.filter(pk=job.pk).values():
        parts.append(json.dumps(row, default=str))
    parts += [json.dumps(row, default=str) for row in JobAttempt.objects.values()]
    parts += [json.dumps(row, default=str) for row in CacheEntry.objects.values()]
    for url in (
        f"/api/jobs/{job.job_id}",
        "/api/jobs",
        f"/jobs/{job.job_id}/",
        "/",
        f"/docs/{job.job_id}/",
        "/admin/jobs/job/",
        f"/admin/jobs/job/{job.pk}/change/",
        "/admin/jobs/cacheentry/",
    ):
        response = client.get(url, follow=True)
        parts.append(response.content.decode("utf-8", errors="replace"))
    for path in output_dir.rglob("*"):
        if path.is_file() and path.suffix != ".sqlite3" and "sqlite3" not in path.name:
            parts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


@pytest.fixture
def superuser_client(transactional_db: None) -> Client:
    user = User.objects.create_superuser("root", "root@example.com", "pw-root-12345")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def private_setup(settings: Any, tmp_path: Path) -> Any:
    def configure(url: str, token: str) -> dict[str, str]:
        path = write_credentials(tmp_path / "git-credentials", f"{prefix_of(url)} {token}")
        settings.CODEWIKI_GIT_CREDENTIALS = str(path)
        return {"CODEWIKI_GIT_CREDENTIALS": str(path)}

    return configure


def processes_command_lines() -> str:
    lines = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                lines.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
            except OSError:
                continue
    return "\n".join(lines)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_private_repository_is_documented_and_the_token_appears_nowhere(
    git_server: GitServer,
    worker_process: Any,
    private_setup: Any,
    superuser_client: Client,
    output_dir: Path,
) -> None:
    url = git_server.make_repo("secretco/app", token=TOKEN, slow=1.5)
    env = private_setup(url, TOKEN)
    job = services.submit(url).job
    assert job.private
    worker = worker_process(env=env)
    wait_for(lambda: "Cloning" in Job.objects.get(pk=job.pk).progress, timeout=20, what="cloning")
    assert TOKEN not in processes_command_lines()  # not on any command line ps shows
    done = wait_for(
        lambda: (j := Job.objects.get(pk=job.pk)).is_finished and j, timeout=60, what="finish"
    )
    assert done.status == Status.COMPLETED, done.error_message
    assert done.private and CacheEntry.objects.get().private
    assert git_server.http.auth_users  # git really authenticated (askpass answered)
    shown = everything_shown(superuser_client, done, output_dir, worker.log())
    assert "secretco/app" in shown  # the pages rendered: the search below means something
    assert TOKEN not in shown
    metadata = next(output_dir.rglob("metadata.json")).read_text()
    assert TOKEN not in metadata


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_wrong_token_fails_at_once_with_a_clear_redacted_message(
    git_server: GitServer,
    worker_process: Any,
    private_setup: Any,
    superuser_client: Client,
    output_dir: Path,
) -> None:
    url = git_server.make_repo("secretco/wrong", token=TOKEN)
    env = private_setup(url, WRONG_TOKEN)
    job = services.submit(url).job
    worker = worker_process(env=env)
    failed = wait_for(
        lambda: (j := Job.objects.get(pk=job.pk)).is_finished and j, timeout=30, what="finish"
    )
    assert failed.status == Status.FAILED
    assert failed.attempts == 1  # permanent: not retried
    host = url.split("/")[2]
    assert failed.error_message.startswith(
        f"Authentication failed for host {host}: check the credential for {prefix_of(url)}"
    )
    # The server echoed the wrong token; git printed it; we kept only the redacted form.
    assert "Bad credentials: [REDACTED]" in failed.error_trace
    shown = everything_shown(superuser_client, failed, output_dir, worker.log())
    assert "Authentication failed" in shown
    assert WRONG_TOKEN not in shown and TOKEN not in shown


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_timeout_while_fetching_a_private_repository_leaks_nothing(
    git_server: GitServer,
    worker_process: Any,
    private_setup: Any,
    superuser_client: Client,
    output_dir: Path,
    settings: Any,
) -> None:
    settings.CODEWIKI_CLONE_TIMEOUT = 2
    settings.CODEWIKI_MAX_ATTEMPTS = 1
    url = git_server.make_repo("secretco/slow", token=TOKEN, slow=30)
    env = private_setup(url, TOKEN)
    job = services.submit(url).job
    worker = worker_process(env=env)
    failed = wait_for(
        lambda: (j := Job.objects.get(pk=job.pk)).is_finished and j, timeout=40, what="finish"
    )
    assert failed.status == Status.FAILED
    assert failed.error_message.startswith("Timed out after 2 s cloning")
    shown = everything_shown(superuser_client, failed, output_dir, worker.log())
    assert TOKEN not in shown


@pytest.mark.django_db
def test_no_credential_for_a_private_repository_is_a_permanent_auth_error(
    git_server: GitServer, settings: Any
) -> None:
    url = git_server.make_repo("secretco/nocred", token=TOKEN)
    settings.CODEWIKI_GIT_CREDENTIALS = ""
    with pytest.raises(Exception) as caught:
        resolve_commit(url, "", timeout=20)
    assert type(caught.value).__name__ == "AuthenticationFailed"
    assert not caught.value.transient
    assert "no credential is configured for 127.0.0.1" in caught.value.message


@pytest.mark.django_db
def test_the_clone_config_never_holds_the_token(
    git_server: GitServer, private_setup: Any, tmp_path: Path
) -> None:
    from jobs.fetch import _git

    url = git_server.make_repo("secretco/config", token=TOKEN)
    private_setup(url, TOKEN)
    dest = tmp_path / "clone"
    dest.mkdir()
    _git(["init", "--quiet"], url=url, timeout=20, cwd=dest, what="init")
    _git(["fetch", "--depth=1", url, "HEAD"], url=url, timeout=20, cwd=dest, what="cloning")
    for path in (dest / ".git").rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    assert "CODEWIKI_GIT_PASSWORD" not in os.environ


# --- who may read what -------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_visitors_see_public_repositories_only(
    git_server: GitServer, private_setup: Any
) -> None:
    private_url = git_server.make_repo("secretco/hidden", token=TOKEN)
    private_setup(private_url, TOKEN)
    public = services.submit(git_server.make_repo("openco/visible")).job
    private = services.submit(private_url).job
    assert private.private and not public.private
    for job in (public, private):
        Job.objects.filter(pk=job.pk).update(status=Status.FAILED, error_message="x")

    anonymous = Client()
    assert anonymous.get(f"/jobs/{private.job_id}/").status_code == 404
    assert anonymous.get(f"/docs/{private.job_id}/").status_code == 404
    assert anonymous.get(f"/api/jobs/{private.job_id}").status_code == 404
    assert anonymous.get(f"/jobs/{public.job_id}/").status_code == 200
    listing = anonymous.get("/api/jobs").json()["results"]
    assert [row["job_id"] for row in listing] == [public.job_id]
    page = anonymous.get("/").content.decode()
    assert "openco/visible" in page and "secretco/hidden" not in page
    refused = anonymous.post(
        "/api/jobs", {"repo_url": private_url}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert "log in" in refused.json()["error"]

    member = Client()
    member.force_login(User.objects.create_user("member", password="pw-member-123"))
    assert member.get(f"/jobs/{private.job_id}/").status_code == 200
    assert {row["job_id"] for row in member.get("/api/jobs").json()["results"]} == {
        public.job_id,
        private.job_id,
    }
    assert "secretco/hidden" in member.get("/").content.decode()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_host_wide_credential_leaves_the_hosts_public_repositories_public(
    git_server: GitServer, worker_process: Any, settings: Any, tmp_path: Path
) -> None:
    """A token for a whole host (kept for an organisation's repositories, or against rate
    limits) makes private only what cannot be fetched without it."""
    public_url = git_server.make_repo("openco/visible", http=True)
    private_url = git_server.make_repo("secretco/hidden", token=TOKEN)
    path = write_credentials(tmp_path / "creds", f"{git_server.http.host_entry} {TOKEN}")
    settings.CODEWIKI_GIT_CREDENTIALS = str(path)
    sent_auth = len(git_server.http.auth_repos)  # the server is shared by the session
    public, private = services.submit(public_url).job, services.submit(private_url).job
    assert public.private and private.private  # until a worker has asked without the token
    worker_process("--max-jobs", "2", env={"CODEWIKI_GIT_CREDENTIALS": str(path)})
    for job in (public, private):
        done = wait_for(
            lambda job=job: (j := Job.objects.get(pk=job.pk)).is_finished and j,
            timeout=60,
            what="finish",
        )
        assert done.status == Status.COMPLETED, done.error_message
    assert not Job.objects.get(pk=public.pk).private
    assert Job.objects.get(pk=private.pk).private
    authenticated = set(git_server.http.auth_repos[sent_auth:])
    assert authenticated == {private_url.split("/", 3)[3]}  # the public one was sent no token
    assert not CacheEntry.objects.get(repo_url=public_url).private
    assert CacheEntry.objects.get(repo_url=private_url).private

    anonymous = Client()
    assert anonymous.get(f"/docs/{public.job_id}/").status_code == 200
    assert anonymous.get(f"/docs/{private.job_id}/").status_code == 404
    listing = anonymous.get("/api/jobs").json()["results"]
    assert [row["job_id"] for row in listing] == [public.job_id]


@pytest.mark.django_db
def test_anonymous_visitors_may_submit_a_public_repository_of_a_host_with_a_credential(
    git_server: GitServer, settings: Any, tmp_path: Path
) -> None:
    public_url = git_server.make_repo("openco/free", http=True)
    private_url = git_server.make_repo("secretco/closed", token=TOKEN)
    path = write_credentials(tmp_path / "creds", f"{git_server.http.host_entry} {TOKEN}")
    settings.CODEWIKI_GIT_CREDENTIALS = str(path)
    sent_auth = len(git_server.http.auth_repos)  # the server is shared by the session
    anonymous = Client()
    accepted = anonymous.post(
        "/api/jobs", {"repo_url": public_url}, content_type="application/json"
    )
    assert accepted.status_code == 201, accepted.content
    job = Job.objects.get(job_id=accepted.json()["job_id"])
    assert not job.private  # asked at once: the visitor may follow the job they queued
    assert anonymous.get(f"/jobs/{job.job_id}/").status_code == 200
    refused = anonymous.post(
        "/api/jobs", {"repo_url": private_url}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert "private" in refused.json()["error"] and "log in" in refused.json()["error"]
    assert not Job.objects.filter(repo_url=private_url).exists()
    assert git_server.http.auth_repos[sent_auth:] == []  # no token sent for a visitor
    # Asking costs a round trip to the host: refused requests count against the limit.
    settings.CODEWIKI_RATE_LIMIT = 2
    again = anonymous.post("/api/jobs", {"repo_url": private_url}, content_type="application/json")
    assert again.status_code == 429


@pytest.mark.django_db
def test_an_anonymous_submission_whose_host_cannot_be_asked_is_refused_clearly(
    settings: Any, tmp_path: Path
) -> None:
    host = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings.CODEWIKI_REPO_HOSTS = [*settings.CODEWIKI_REPO_HOSTS, host]
    path = write_credentials(tmp_path / "creds", f"{host} {TOKEN}")
    settings.CODEWIKI_GIT_CREDENTIALS = str(path)
    response = Client().post(
        "/api/jobs",
        {"repo_url": f"{host}/openco/app"},
        content_type="application/json",
    )
    assert response.status_code == 503, response.content
    error = response.json()["error"]
    assert error.startswith("Could not check whether this repository is public (")
    assert "Failed to clone" not in error  # nothing was being cloned
    assert "log in" in error and TOKEN not in error
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_an_sso_proxy_user_header_logs_the_visitor_in(settings: Any) -> None:
    settings.CODEWIKI_REMOTE_USER_HEADER = "HTTP_X_FORWARDED_USER"
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.RemoteUserBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    settings.CODEWIKI_LOGIN_REQUIRED = True
    assert Client().get("/api/jobs").status_code == 401
    response = Client().get("/api/jobs", headers={"X-Forwarded-User": "alice"})
    assert response.status_code == 200
    assert User.objects.filter(username="alice").exists()


@pytest.mark.django_db
def test_a_repository_tracked_before_any_job_is_private_when_a_token_fetches_it(
    settings: Any, tmp_path: Path, admin_client: Client
) -> None:
    """Staff adding a repository (admin or ``track``) on a host with a credential must not
    list it to anonymous visitors before its first job completes."""
    path = write_credentials(tmp_path / "creds", f"https://git.example.com/corp {TOKEN}")
    settings.CODEWIKI_GIT_CREDENTIALS = str(path)
    settings.CODEWIKI_REPO_HOSTS = [*settings.CODEWIKI_REPO_HOSTS, "git.example.com"]
    tracked = repositories.track("https://git.example.com/corp/secret-plans")
    assert tracked.private
    response = admin_client.post(
        "/admin/jobs/repository/add/",
        {"url": "https://git.example.com/corp/other.js", "branch": "", "refresh_minutes": 60,
         "enabled": "on"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Repository.objects.get(url="https://git.example.com/corp/other.js").private
    anonymous = Client().get("/repositories/").content.decode()
    assert "secret-plans" not in anonymous and "other.js" not in anonymous
    assert Client().get("/r/git.example.com/corp/secret-plans/").status_code == 404
    assert "secret-plans" in admin_client.get("/repositories/").content.decode()
