"""Hostile API input answers a JSON error, never a 500 or an HTML page (issue 10.5)."""

from __future__ import annotations

import pytest
from django.test import Client

from jobs.models import Job

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("depth", [2_000, 100_000])
def test_deeply_nested_json_is_a_400(client: Client, depth: int) -> None:
    body = "[" * depth + "]" * depth
    response = client.post("/api/jobs", body, content_type="application/json")
    assert response.status_code == 400
    assert "nested" in response.json()["error"]
    nested_object = '{"repo_url": ' + "[" * depth + "]" * depth + "}"
    response = client.post("/api/jobs", nested_object, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_oversized_body_is_a_json_413(client: Client, settings: object) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000  # type: ignore[attr-defined]
    body = '{"repo_url": "https://github.com/a/b", "pad": "' + "x" * 20_000 + '"}'
    response = client.post("/api/jobs", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "10,000 bytes" in response.json()["error"]
    assert not Job.objects.exists()
