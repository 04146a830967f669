"""Repository names with dots (``mrdoob/three.js``): ids and routes agree end to end."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from jobs.models import JOB_ID_RE, Job, new_job_id
from tests.conftest import GitServer, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "name",
    ["mrdoob/three.js", "socketio/socket.io", "a.b/c..d", "Owner_1/.dotfiles", "ünï/cödé spaced"],
)
def test_every_job_id_matches_the_route_pattern(name: str) -> None:
    job_id = new_job_id(name.replace("/", "--"))
    assert JOB_ID_RE.fullmatch(job_id), job_id
    for route in ("api-job", "job-detail", "docs-index", "docs-download"):
        assert job_id in reverse(route, args=[job_id])


def test_dotted_repository_names_end_to_end(
    client: Client, git_server: GitServer, worker_process: Any
) -> None:
    urls = [git_server.make_repo("mrdoob/three.js"), git_server.make_repo("socketio/socket.io")]
    job_ids = []
    for url in urls:
        response = client.post("/api/jobs", {"repo_url": url}, content_type="application/json")
        assert response.status_code == 201, response.content
        job_ids.append(response.json()["job_id"])
    assert "three.js" in job_ids[0] and "socket.io" in job_ids[1]

    listing = client.get("/api/jobs")
    assert listing.status_code == 200
    assert {row["job_id"] for row in listing.json()["results"]} == set(job_ids)
    assert client.get("/").status_code == 200

    worker_process("--batch")
    for job_id in job_ids:
        wait_for(
            lambda job_id=job_id: Job.objects.get(job_id=job_id).is_finished,
            timeout=90,
            what=f"job {job_id} to finish",
        )
        job = Job.objects.get(job_id=job_id)
        assert job.status == "completed", job.error_message
        detail = client.get(f"/api/jobs/{job_id}")
        assert detail.status_code == 200 and detail.json()["docs_url"] == f"/docs/{job_id}/"
        assert client.get(f"/jobs/{job_id}/").status_code == 200
        page = client.get(f"/docs/{job_id}/")
        assert page.status_code == 200
        assert job.repo_display.encode() in page.content
        archive = client.get(f"/docs/{job_id}/download.zip")
        assert archive.status_code == 200
        names = zipfile.ZipFile(io.BytesIO(b"".join(archive.streaming_content))).namelist()
        assert any(name.endswith("overview.md") for name in names)
    assert client.get("/api/jobs").status_code == 200
