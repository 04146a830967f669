"""The whole pipeline over real protocols: API → queue → worker subprocess → docs on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from jobs.models import CacheEntry, Job, Status
from tests.conftest import GitServer, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def submit(client: Client, url: str, commit: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"repo_url": url}
    if commit:
        payload["commit_id"] = commit
    response = client.post("/api/jobs", payload, content_type="application/json")
    assert response.status_code in (200, 201), response.content
    return response.json()


def wait_finished(client: Client, job_id: str, timeout: float = 60) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        data = client.get(f"/api/jobs/{job_id}").json()
        return data if data["status"] in ("completed", "failed", "cancelled") else None

    return wait_for(finished, timeout=timeout, what=f"job {job_id} to finish")


def test_submit_process_cache_hit_and_new_commit(
    client: Client, git_server: GitServer, worker_process: Any, output_dir: Path
) -> None:
    url = git_server.make_repo("acme/widgets")
    worker = worker_process()

    first = wait_finished(client, submit(client, url)["job_id"])
    assert first["status"] == "completed", first
    assert first["progress"] == "Documentation generated"
    assert first["resolved_commit"] == git_server.head(url)
    docs = output_dir / "docs" / first["docs_path"]
    assert (docs / "overview.md").is_file()
    assert (docs / "metadata.json").is_file()
    assert not Path(first["docs_path"]).is_absolute()
    assert CacheEntry.objects.filter(repo_url=url, commit_sha=first["resolved_commit"]).exists()

    second = wait_finished(client, submit(client, url)["job_id"])
    assert second["status"] == "completed"
    assert second["progress"] == "Documentation retrieved from cache"
    assert second["from_cache"] is True
    assert second["docs_path"] == first["docs_path"]

    new_sha = git_server.commit(url, {"sample/extra.py": "def extra():\n    return 1\n"})
    third = wait_finished(client, submit(client, url)["job_id"])
    assert third["status"] == "completed"
    assert third["from_cache"] is False
    assert third["resolved_commit"] == new_sha
    assert third["docs_path"] != first["docs_path"]

    # No temp clone survives any outcome. The child removes its clone just after it
    # records the outcome, so wait for that rather than race it.
    wait_for(
        lambda: not list((output_dir / "temp").iterdir()), timeout=10, what="temp folder empty"
    )
    log = worker.log()
    assert "Background worker started" in log
    assert f"Job {first['job_id']}: Documentation generated successfully" in log
    assert f"Job {second['job_id']}: Using cached documentation" in log
    assert Job.objects.filter(status=Status.COMPLETED).count() == 3


def test_local_repository_when_allowed(
    client: Client, settings: Any, tmp_path: Path, worker_process: Any
) -> None:
    from tests.conftest import SAMPLE_FILES
    from tests.support.gitserve import init_repo

    settings.CODEWIKI_ALLOW_LOCAL_REPOS = True
    sha = init_repo(tmp_path / "local-project", SAMPLE_FILES)
    job_id = submit(client, str(tmp_path / "local-project"))["job_id"]
    worker_process("--batch")
    job = wait_finished(client, job_id)
    assert job["status"] == "completed", job["error_message"]
    assert job["resolved_commit"] == sha
    assert job["docs_path"].startswith("local--local-project-")
