"""Model prose through the whole product: API → worker subprocess → scripted model → viewer.

Each scenario is its own repository whose README and module docstring carry a marker; the
scripted server finds the marker in the facts it is sent and answers that scenario's way.
One worker runs every scenario's job; the outcome is asserted on the job (API, timeline)
and on the page as the real viewer renders it.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from jobs import services
from jobs.models import Job, JobAttempt, Status
from tests.conftest import GitServer, wait_for
from tests.support.llmserve import (
    Reply,
    ScriptedModel,
    Seen,
    answer,
    error,
    module_answer,
    overview_answer,
)

# Several jobs through a real worker: more than the default 180 s on a loaded machine.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]

API_KEY = "sk-codewiki-test-9f3b1c7e55"
MODEL = "scripted-chat-1"
HOSTILE = (
    "Beware <script>alert('pwned')</script>. [Click](javascript:alert(1)) "
    "![tracker](https://evil.example/pixel.png) [Secret page](secrets.md) "
    "`helper_one` does the work; `NoSuchThing` does not exist."
)
SCENARIOS = (
    "ratelimit",
    "flaky",
    "hang",
    "malformed",
    "length",
    "context",
    "hostile",
    "allfail",
)


def scenario_repo(marker: str) -> dict[str, str]:
    functions = "\n\n".join(
        f'def helper_{n}(value: int) -> int:\n    """Step {n}."""\n    return value + {i}\n'
        for i, n in enumerate(("one", "two", "three", "four"))
    )
    return {
        "README.md": f"# {marker}\n\nA scenario repository.\n",
        "pkg/core.py": f'"""{marker} helpers."""\n\n\n{functions}',
    }


class ScenarioModel:
    """The responder: answers each scenario's requests its own way."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    def scenario(self, seen: Seen) -> str:
        for name in SCENARIOS:
            if f"scn-{name}" in seen.user:
                return name
        return ""

    def __call__(self, seen: Seen, _n: int) -> Reply:
        name = self.scenario(seen)
        key = f"{name}:{'overview' if seen.is_overview else 'module'}"
        with self.lock:
            n = self.counts[key]
            self.counts[key] += 1
        if name == "allfail":
            return error(503, "model overloaded")
        if seen.is_overview:
            return overview_answer()
        if name == "ratelimit" and n == 0:
            return error(429, "too many requests", **{"Retry-After": "1"})
        if name == "flaky" and n == 0:
            return error(500, "internal error")
        if name == "hang":
            return Reply(hang=30, body=module_answer().body)
        if name == "malformed":
            return Reply(body="{this is not json")
        if name == "length":
            return answer('{"what": "It starts to explain and then', finish_reason="length")
        if name == "context" and n == 0:
            return error(
                400,
                "This model's maximum context length is 2048 tokens. However, you requested "
                "4000 tokens. Please reduce the length of the messages.",
                "context_length_exceeded",
            )
        if name == "hostile":
            return module_answer(what=HOSTILE, how="- `helper_two` then `helper_three`")
        return module_answer(what=f"It helps with {name}.")


@pytest.fixture
def model() -> Iterator[ScriptedModel]:
    server = ScriptedModel(ScenarioModel())
    yield server
    server.stop()


def llm_env(server: ScriptedModel, **extra: str) -> dict[str, str]:
    env = {
        "CODEWIKI_LLM_BASE_URL": server.url,
        "CODEWIKI_LLM_API_KEY": API_KEY,
        "MAIN_MODEL": MODEL,
        "CODEWIKI_LLM_TIMEOUT": "2",
        "CODEWIKI_LLM_RETRIES": "2",
        "CODEWIKI_LLM_BACKOFF_SECONDS": "0.05",
        "CODEWIKI_LLM_CONCURRENCY": "2",
    }
    env.update(extra)
    return env


def submit(client: Client, url: str) -> str:
    response = client.post("/api/jobs", {"repo_url": url}, content_type="application/json")
    assert response.status_code in (200, 201), response.content
    return str(response.json()["job_id"])


def wait_finished(client: Client, job_id: str, timeout: float = 120) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        data = client.get(f"/api/jobs/{job_id}").json()
        return data if data["status"] in ("completed", "failed", "cancelled") else None

    return wait_for(finished, timeout=timeout, what=f"job {job_id} to finish")


def page(client: Client, job_id: str, name: str = "") -> str:
    response = client.get(f"/docs/{job_id}/{name}")
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_failure_scenarios_end_to_end(
    client: Client,
    admin_client: Client,
    git_server: GitServer,
    worker_process: Any,
    model: ScriptedModel,
    output_dir: Path,
) -> None:
    jobs = {
        name: submit(client, git_server.make_repo(f"scn/{name}", scenario_repo(f"scn-{name}")))
        for name in SCENARIOS
    }
    worker = worker_process("--concurrency", "2", "--batch", env=llm_env(model))
    assert worker.wait(timeout=240) == 0, worker.log()
    result = {name: wait_finished(client, job_id) for name, job_id in jobs.items()}
    pages = {name: page(client, job_id, "pkg") for name, job_id in jobs.items()}

    for name, data in result.items():
        # Prose never fails a job.
        assert data["status"] == "completed", (name, data)
        assert data["main_model"] == MODEL

    # Retried until it worked: full prose.
    for name in ("ratelimit", "flaky", "context"):
        data = result[name]
        assert data["prose_status"] == "completed", (name, data)
        assert data["llm_calls"] == 3  # module twice (retry or shrink), overview once
        assert "It helps with" in pages[name]
        assert "Written by the language model" in pages[name] and MODEL in pages[name]
    ratelimit = [s for s in model.requests if "scn-ratelimit" in s.user and not s.is_overview]
    assert ratelimit[1].at - ratelimit[0].at >= 0.9  # Retry-After: 1 was honoured
    context = [s for s in model.requests if "scn-context" in s.user and not s.is_overview]
    assert len(context[1].user) < len(context[0].user)  # shrunk before the one retry

    # Failed for this module only: the static page stays, with a note saying why.
    expected_notes = {
        "hang": "the model did not answer in time",
        "malformed": "the model's answer was not in the requested form",
        "length": "the model's answer was cut off at the output token limit",
    }
    for name, note in expected_notes.items():
        data = result[name]
        assert data["prose_status"] == "partial", (name, data)
        assert "No model-written summary on this page" in pages[name]
        assert note in pages[name], (
            name,
            pages[name][pages[name].find("No model-written") :][:300],
        )
        assert "What this module does" not in pages[name]
        assert "helper_one" in pages[name]  # the static page is all there
        assert "It helps with" not in pages[name]
        overview = page(client, jobs[name])
        assert "A sample project." in overview  # the overview still got its prose
        assert "1 of 2 pages" in data["progress"] or "on 1 of 2" in data["progress"]

    # The model wrote markup and links: the viewer shows none of it as markup.
    hostile = pages["hostile"]
    assert result["hostile"]["prose_status"] == "completed"
    assert "<script>alert" not in hostile
    assert "&lt;script&gt;alert('pwned')&lt;/script&gt;" in hostile  # shown as text
    assert "javascript:" not in hostile
    assert "<img" not in hostile and "pixel.png" not in hostile
    assert "secrets" not in hostile and "Secret page" in hostile
    assert '#doc-helper_one"' in hostile  # a real component, linked to its section
    assert "<code>NoSuchThing</code>" in hostile  # not ours: not linked
    assert 'href="./pkg#doc-helper_two"' in hostile

    # Every call failed: static docs, and the job says why in progress and timeline.
    allfail = result["allfail"]
    assert allfail["prose_status"] == "fallback"
    assert allfail["llm_tokens_in"] == 0
    assert "model prose fell back" in allfail["progress"]
    assert "model server kept failing" in allfail["progress"]
    attempt = JobAttempt.objects.get(job__job_id=jobs["allfail"])
    assert attempt.outcome == JobAttempt.Outcome.COMPLETED
    assert "fell back" in attempt.message and "503" in attempt.message
    assert "No model-written summary" in pages["allfail"]
    metadata = json.loads(
        (output_dir / "docs" / allfail["docs_path"] / "metadata.json").read_text()
    )
    assert metadata["llm"]["status"] == "fallback"
    assert metadata["llm"]["model"] == MODEL

    # Job detail and dashboard show model, tokens and how the prose went.
    detail = admin_client.get(f"/jobs/{jobs['hang']}/").content.decode()
    assert "Model prose" in detail and "Partly completed" in detail
    assert f"{result['hang']['llm_tokens_in']} in" in detail
    dashboard = admin_client.get("/").content.decode()
    assert "prose partly" in dashboard and "static: prose failed" in dashboard

    # The API key went to the server, and nowhere else.
    assert all(s.headers.get("Authorization") == f"Bearer {API_KEY}" for s in model.requests)
    assert_key_absent(client, admin_client, jobs, worker.log(), output_dir)


def assert_key_absent(
    client: Client, admin_client: Client, jobs: dict[str, str], log: str, output_dir: Path
) -> None:
    assert log.strip(), "the worker wrote no log at all"
    assert API_KEY not in log
    for row in Job.objects.values():
        assert API_KEY not in json.dumps(row, default=str)
    for row in JobAttempt.objects.values():
        assert API_KEY not in json.dumps(row, default=str)
    for path in output_dir.rglob("*"):
        if path.is_file() and not path.name.endswith((".sqlite3", "-wal", "-shm")):
            assert API_KEY.encode() not in path.read_bytes(), path
    texts = [
        client.get("/api/jobs?limit=200").content,
        admin_client.get("/api/jobs?limit=200").content,
        admin_client.get("/").content,
    ]
    for job_id in jobs.values():
        texts.append(admin_client.get(f"/api/jobs/{job_id}").content)
        texts.append(admin_client.get(f"/jobs/{job_id}/").content)
        texts.append(client.get(f"/docs/{job_id}/").content)
        texts.append(client.get(f"/docs/{job_id}/pkg").content)
    for text in texts:
        assert API_KEY.encode() not in text


def hanging_model() -> ScriptedModel:
    return ScriptedModel(lambda seen, n: Reply(hang=60, body=module_answer().body))


def test_cancel_stops_model_calls(
    client: Client, git_server: GitServer, worker_process: Any
) -> None:
    server = hanging_model()
    try:
        job_id = submit(client, git_server.make_repo("scn/cancel", scenario_repo("scn-cancel")))
        worker_process(env=llm_env(server, CODEWIKI_LLM_TIMEOUT="60"))
        wait_for(lambda: server.requests, timeout=60, what="a model call")
        job = Job.objects.get(job_id=job_id)
        assert "Writing module" in job.progress and MODEL in job.progress
        services.cancel(job)
        data = wait_finished(client, job_id, timeout=30)
        assert data["status"] == "cancelled"
        seen = len(server.requests)
        # The job's process is gone: nothing more reaches the model.
        threading.Event().wait(1.5)
        assert len(server.requests) == seen
    finally:
        server.stop()


def test_job_time_limit_stops_model_calls_and_keeps_static_docs(
    client: Client, git_server: GitServer, worker_process: Any
) -> None:
    server = hanging_model()
    try:
        job_id = submit(client, git_server.make_repo("scn/slow", scenario_repo("scn-slow")))
        env = llm_env(server, CODEWIKI_LLM_TIMEOUT="120", CODEWIKI_JOB_TIMEOUT="20")
        worker_process(env=env)
        data = wait_finished(client, job_id, timeout=60)
        # Stopped before the worker's hard limit would have killed (and failed) the job.
        assert data["status"] == "completed", data
        assert data["prose_status"] == "fallback"
        assert "time limit" in data["progress"]
        assert "time limit" in page(client, job_id, "pkg")
        assert len(server.requests) == 1  # the hanging call, and no new one after it
    finally:
        server.stop()


def test_static_jobs_have_no_prose_fields(
    client: Client, git_server: GitServer, worker_process: Any
) -> None:
    job_id = submit(client, git_server.make_repo("scn/static", scenario_repo("scn-static")))
    worker_process("--batch")
    data = wait_finished(client, job_id)
    assert data["status"] == "completed"
    assert data["progress"] == "Documentation generated"
    assert data["prose_status"] is None and data["llm_calls"] == 0
    assert data["main_model"] == "static-analysis"
    assert "Written by the language model" not in page(client, job_id, "pkg")
    assert Job.objects.get(job_id=job_id).status == Status.COMPLETED
