"""The URL policy: what is accepted, how it is normalised, and why the rest is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from jobs.models import Job
from jobs.repo_urls import RepoURLError, normalize_commit, normalize_repo_url, slug

HOSTS = [
    "github.com",
    "gitlab.com",
    "bitbucket.org",
    "codeberg.org",
    "http://127.0.0.1:8765",
    "git://127.0.0.1:9418",
]


@pytest.fixture(autouse=True)
def hosts(settings: Any) -> None:
    settings.CODEWIKI_REPO_HOSTS = HOSTS
    settings.CODEWIKI_ALLOW_LOCAL_REPOS = False


@pytest.mark.parametrize(
    "raw",
    [
        "https://github.com/Django/Django",
        "https://github.com/django/django.git",
        "https://github.com/django/django/",
        "https://github.com/django/django.git/",
        "https://www.github.com/django/django",
        "https://GitHub.com/django/django",
        "https://github.com/django/django/tree/main/django/db",
        "https://github.com/django/django/blob/main/README.rst",
        "https://github.com/django/django?tab=readme#top",
        "github.com/django/django",
        "  https://github.com/django/django  ",
    ],
)
def test_github_shapes_normalise_to_one_url(raw: str) -> None:
    assert normalize_repo_url(raw) == "https://github.com/django/django"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://gitlab.com/group/sub/project", "https://gitlab.com/group/sub/project"),
        ("https://gitlab.com/group/project/-/tree/main", "https://gitlab.com/group/project"),
        ("https://codeberg.org/forgejo/forgejo.git", "https://codeberg.org/forgejo/forgejo"),
        ("http://127.0.0.1:8765/owner/repo.git", "http://127.0.0.1:8765/owner/repo"),
        ("git://127.0.0.1:9418/owner/Repo", "git://127.0.0.1:9418/owner/Repo"),
    ],
)
def test_other_listed_hosts(raw: str, expected: str) -> None:
    assert normalize_repo_url(raw) == expected


BAD_URLS: list[tuple[str, str]] = [
    ("", "required"),
    ("file:///etc/passwd", "'file:' scheme is not allowed"),
    ("file://localhost/srv/repo", "'file:' scheme is not allowed"),
    ("ext::sh -c touch% /tmp/pwned", "spaces or control characters"),
    ("ext::sh", "remote helpers"),
    ("fd::17", "remote helpers"),
    ("ssh://git@github.com/django/django", "'ssh:' scheme is not allowed"),
    ("ssh://github.com/django/django", "'ssh:' scheme is not allowed"),
    ("git@github.com:django/django.git", "SSH URLs"),
    ("ftp://github.com/django/django", "'ftp:' scheme is not allowed"),
    ("http://github.com/django/django", "'http:' scheme is not allowed"),
    ("git://github.com/django/django", "'git:' scheme is not allowed"),
    ("https://evil.example.com/django/django", "host 'evil.example.com' is not allowed"),
    ("https://github.com.evil.com/django/django", "is not allowed"),
    ("https://127.0.0.1/owner/repo", "'https:' scheme is not allowed for 127.0.0.1"),
    ("http://127.0.0.1:8766/owner/repo", "Port 8766 is not allowed"),
    ("https://user:token@github.com/django/django", "tokens inside the URL"),
    ("https://ghp_abc123@github.com/django/django", "tokens inside the URL"),
    ("https://github.com@evil.com/django/django", "tokens inside the URL"),
    ("-uhttps://github.com/django/django", "start with '-'"),
    ("--upload-pack=touch /tmp/x", "start with '-'"),
    ("https://github.com/dja\x00ngo/django", "control characters"),
    ("https://github.com/django/dj ango", "control characters"),
    ("https://github.com/django\ttab/x", "control characters"),
    ("https://github.com/django", "two path segments"),
    ("https://github.com/", "two path segments"),
    ("https://github.com", "two path segments"),
    ("https://github.com/../etc/passwd", "not a valid owner"),
    ("https://github.com/django/..", "not a valid owner"),
    ("https://github.com/%2e%2e/%2e%2e", "Percent-encoded"),
    ("https://github.com/django\\django/x", "Backslashes"),
    ("https://github.com/-django/django", "not a valid owner"),
    ("https://github.com/django/django;rm", "not a valid owner"),
    ("https://github.com:99999/django/django", "Not a valid URL"),
    ("https://github.com:8443/django/django", "Port 8443 is not allowed"),
    ("/srv/repos/project", "Local paths are not allowed"),
    ("javascript:alert(1)", "'javascript:' scheme is not allowed"),
    ("https://" + "a" * 600 + ".com/o/r", "Too long"),
]


@pytest.mark.parametrize(("raw", "reason"), BAD_URLS)
def test_bad_urls_are_refused_with_their_reason(raw: str, reason: str) -> None:
    with pytest.raises(RepoURLError) as caught:
        normalize_repo_url(raw)
    assert reason in caught.value.message
    assert caught.value.field == "repo_url"


def test_table_is_large_enough() -> None:
    assert len(BAD_URLS) + len(BAD_COMMITS) >= 30


BAD_COMMITS: list[tuple[str, str]] = [
    ("-b", "start with '-'"),
    ("--output=/tmp/x", "start with '-'"),
    ("main..dev", "Not a commit"),
    ("HEAD@{1}", "Not a commit"),
    ("refs/heads/../../x", "Not a commit"),
    ("feature/", "Not a commit"),
    ("branch.lock", "Not a commit"),
    ("release/x.lock/y", "Not a commit"),
    ("release//x", "Not a commit"),
    ("release/", "Not a commit"),
    ("release/.hidden", "Not a commit"),
    ("a..b", "Not a commit"),
    ("main@{1}", "Not a commit"),
    ("-x", "May not start with '-'"),
    ("/abs", "Not a commit"),
    ("a b", "control characters"),
    ("x\x07", "control characters"),
    ("$(id)", "Not a commit"),
    ("main~1", "Not a commit"),
    ("v1^{}", "Not a commit"),
    ("tag;rm", "Not a commit"),
    ("g" * 256, "at most 255"),
]


@pytest.mark.parametrize(("raw", "reason"), BAD_COMMITS)
def test_bad_commits_are_refused(raw: str, reason: str) -> None:
    with pytest.raises(RepoURLError) as caught:
        normalize_commit(raw)
    assert reason in caught.value.message
    assert caught.value.field == "commit_id"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ""),
        ("  ", ""),
        ("ABCDEF12", "abcdef12"),
        ("a" * 40, "a" * 40),
        ("main", "main"),
        ("release/2.1", "release/2.1"),
        ("feature/a/b", "feature/a/b"),
        ("v1.2.3", "v1.2.3"),
    ],
)
def test_good_commits(raw: str, expected: str) -> None:
    assert normalize_commit(raw) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(("raw", "reason"), BAD_URLS[:12] + BAD_URLS[-4:])
def test_api_refuses_bad_urls_and_creates_nothing(client: Client, raw: str, reason: str) -> None:
    response = client.post("/api/jobs", {"repo_url": raw}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field"] == "repo_url"
    assert reason in response.json()["error"]
    assert not Job.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("raw", "reason"), BAD_COMMITS)
def test_api_refuses_bad_commits(client: Client, raw: str, reason: str) -> None:
    response = client.post(
        "/api/jobs",
        {"repo_url": "https://github.com/django/django", "commit_id": raw},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "commit_id"
    assert not Job.objects.exists()


def test_local_paths_only_when_enabled(settings: Any, tmp_path: Path) -> None:
    repo = tmp_path / "proj"
    (repo / ".git").mkdir(parents=True)
    with pytest.raises(RepoURLError, match="not allowed"):
        normalize_repo_url(str(repo))
    settings.CODEWIKI_ALLOW_LOCAL_REPOS = True
    assert normalize_repo_url(str(repo) + "/") == str(repo)
    assert normalize_repo_url(str(tmp_path / "proj" / ".." / "proj")) == str(repo)
    with pytest.raises(RepoURLError, match="not a git repository"):
        normalize_repo_url(str(tmp_path))
    with pytest.raises(RepoURLError, match="not a directory"):
        normalize_repo_url(str(tmp_path / "missing"))
    with pytest.raises(RepoURLError, match="'file:' scheme"):
        normalize_repo_url(f"file://{repo}")


def test_slugs_are_safe_and_distinct() -> None:
    a = slug("https://github.com/django/django")
    b = slug("https://gitlab.com/django/django")
    assert a == "github.com--django--django"
    assert a != b
    assert slug("/srv/x/../etc") != slug("/srv/etc")
    for value in (a, b, slug("/srv/My Repo"), slug("git://127.0.0.1:9418/o/R")):
        assert all(c.isalnum() or c in "._-" for c in value), value
