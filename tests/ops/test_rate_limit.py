"""Submissions are rate limited per client over a sliding window kept in the database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from django.utils import timezone

from jobs import rate_limit
from jobs.models import Job, SubmissionRecord

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def three_per_minute(settings: Any) -> None:
    settings.CODEWIKI_RATE_LIMIT = 3
    settings.CODEWIKI_RATE_LIMIT_WINDOW_SECONDS = 60
    settings.CODEWIKI_TRUSTED_PROXIES = []


def post(client: Client, name: str, **extra: Any) -> Any:
    return client.post(
        "/api/jobs",
        {"repo_url": f"https://github.com/acme/{name}"},
        content_type="application/json",
        **extra,
    )


def test_api_answers_429_with_retry_after_per_address(client: Client) -> None:
    for name in ("a", "b", "c"):
        assert post(client, name).status_code == 201
    refused = post(client, "d")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["error"].startswith("Too many submissions: at most 3 every 60 s.")
    assert not Job.objects.filter(repo_url__endswith="/d").exists()
    assert post(client, "d", REMOTE_ADDR="192.0.2.9").status_code == 201  # another client


def test_the_window_slides(client: Client) -> None:
    for name in ("a", "b", "c"):
        post(client, name)
    oldest = SubmissionRecord.objects.order_by("created_at").first()
    assert oldest is not None
    SubmissionRecord.objects.filter(pk=oldest.pk).update(
        created_at=timezone.now() - timedelta(seconds=61)
    )
    assert post(client, "d").status_code == 201  # one slot freed, one used again
    assert post(client, "e").status_code == 429
    assert SubmissionRecord.objects.count() == 3  # the expired row was pruned


def test_users_are_counted_by_account_and_staff_are_exempt(client: Client) -> None:
    for name in ("a", "b", "c"):
        post(client, name)
    client.force_login(User.objects.create_user("reader"))
    assert post(client, "d").status_code == 201  # not the anonymous address's budget
    client.force_login(User.objects.create_user("operator", is_staff=True))
    for name in ("e", "f", "g", "h"):
        assert post(client, name).status_code == 201


def test_form_shows_the_limit_inline(client: Client) -> None:
    for name in ("a", "b", "c"):
        client.post("/jobs/submit", {"repo_url": f"https://github.com/acme/{name}"})
    response = client.post("/jobs/submit", {"repo_url": "https://github.com/acme/d"})
    assert response.status_code == 400
    assert b"Too many submissions: at most 3 every 60 s." in response.content
    response = client.post(
        "/jobs/submit", {"repo_url": "https://github.com/acme/d"}, HTTP_HX_REQUEST="true"
    )
    assert b"Too many submissions" in response.content


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("203.0.113.5", "1.2.3.4", "203.0.113.5"),  # not a trusted proxy: header ignored
        ("10.0.0.5", "1.2.3.4", "1.2.3.4"),
        ("10.0.0.5", "6.6.6.6, 1.2.3.4, 10.0.0.7", "1.2.3.4"),  # left of the client is forgeable
        ("10.0.0.5", "", "10.0.0.5"),
        ("10.0.0.5", "not-an-ip, 10.0.0.8", "not-an-ip"),
    ],
)
def test_client_address_honours_trusted_proxies_only(
    settings: Any, remote: str, forwarded: str, expected: str
) -> None:
    settings.CODEWIKI_TRUSTED_PROXIES = ["10.0.0.0/8"]
    request = RequestFactory().post("/api/jobs", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert rate_limit.client_ip(request) == expected


def test_zero_turns_it_off(client: Client, settings: Any) -> None:
    settings.CODEWIKI_RATE_LIMIT = 0
    for name in ("a", "b", "c", "d", "e"):
        assert post(client, name).status_code == 201
    assert not SubmissionRecord.objects.exists()
