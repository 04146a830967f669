"""CODEWIKI_LOG_FORMAT=json: one object a line with job, attempt, worker, repository, step."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import pytest

from jobs import git_credentials, logs, services
from jobs.models import Job
from tests.conftest import GitServer


@pytest.mark.django_db(transaction=True)
def test_worker_writes_json_lines_with_context(git_server: GitServer, worker_process: Any) -> None:
    url = git_server.make_repo("acme/logged")
    job = services.submit(url).job
    worker = worker_process("--batch", env={"CODEWIKI_LOG_FORMAT": "json"})
    assert worker.wait(timeout=60) == 0
    assert Job.objects.get(pk=job.pk).status == "completed"

    lines = [json.loads(line) for line in worker.log().splitlines() if line.strip()]
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    started = next(line for line in lines if "Background worker started" in line["message"])
    worker_name = started["worker"]
    clone = next(line for line in lines if line.get("step") == "clone")
    assert clone["job_id"] == job.job_id
    assert clone["attempt"] == 1
    assert clone["repository"] == url
    assert clone["worker"] == worker_name
    done = next(line for line in lines if "Documentation generated successfully" in line["message"])
    assert done["job_id"] == job.job_id and "step" not in done


def test_json_formatter_on_web_records_and_exceptions() -> None:
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "Boom %s", ("x",), None
    )
    try:
        raise ValueError("bad")
    except ValueError:
        record.exc_info = sys.exc_info()
    record.status_code = 500
    with logs.bind(job_id="acme--x-abc", step="view"):
        logs.ContextFilter().filter(record)
    data = json.loads(logs.JsonFormatter().format(record))
    assert data["message"] == "Boom x"
    assert data["job_id"] == "acme--x-abc" and data["step"] == "view"
    assert data["status_code"] == 500
    assert "ValueError: bad" in data["exception"]
    assert "\n" not in logs.JsonFormatter().format(record)


def test_json_exceptions_have_git_tokens_redacted(settings: Any) -> None:
    # The JSON formatter must write the exception text the redacting filter cleaned,
    # not format the traceback again from exc_info (which still holds the token).
    token = "ghp_jsonLogSecret0123456789"
    settings.CODEWIKI_GIT_CREDENTIAL_VARS = {
        "CODEWIKI_GIT_CREDENTIAL_QA": f"https://h.test {token}"
    }
    record = logging.LogRecord("jobs.worker", logging.ERROR, __file__, 1, "Clone failed", (), None)
    try:
        raise RuntimeError(f"git said: fatal: https://x:{token}@h.test/a/b")
    except RuntimeError:
        record.exc_info = sys.exc_info()
    git_credentials.RedactingFilter().filter(record)
    logs.ContextFilter().filter(record)
    line = logs.JsonFormatter().format(record)
    assert token not in line
    assert "RuntimeError: git said" in json.loads(line)["exception"]
