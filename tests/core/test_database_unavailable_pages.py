"""While the database is unreachable, pages answer a short 503 page and the API 503 JSON."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from tests.support.gitserve import free_port

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def unreachable_database(tmp_path: Path) -> Iterator[None]:
    """Point this process's connection at a database that cannot be reached (no mock):
    a port nobody listens on for PostgreSQL, a file in a missing folder for SQLite."""
    db = connection.settings_dict
    saved = {"NAME": db["NAME"], "PORT": db["PORT"]}
    connection.close()
    if connection.vendor == "sqlite":
        db["NAME"] = str(tmp_path / "missing-folder" / "db.sqlite3")
    else:
        db["PORT"] = str(free_port())
    try:
        yield
    finally:
        connection.close()
        db.update(saved)


def test_pages_answer_503_while_the_database_is_unreachable(unreachable_database: None) -> None:
    client = Client(raise_request_exception=False)
    for path in ["/", "/jobs/acme--repo-abcdefgh/", "/docs/acme--repo-abcdefgh/"]:
        response = client.get(path)
        assert response.status_code == 503, path
        assert response["Retry-After"]
        body = response.content.decode()
        assert "cannot reach its database" in body
        assert len(body) < 2000  # a short page, not a traceback or the whole site chrome


def test_api_answers_503_json_while_the_database_is_unreachable(
    unreachable_database: None,
) -> None:
    client = Client(raise_request_exception=False)
    for response in [
        client.get("/api/jobs"),
        client.post(
            "/api/jobs",
            {"repo_url": "https://github.com/acme/repo"},
            content_type="application/json",
        ),
    ]:
        assert response.status_code == 503
        assert response["Content-Type"] == "application/json"
        assert "database is unreachable" in response.json()["error"]
