"""A file name that is not valid UTF-8 must not fail the repository (issue 10.4)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from jobs.docgen import GenerationOptions, generate_docs
from jobs.models import Job
from tests.conftest import SAMPLE_FILES, GitServer, wait_for
from tests.support.gitserve import commit, write_files

BAD_NAMES = {
    b"caf\xe9.py": b"def cafe():\n    return 1\n",
    b"notes-\xff.md": b"# Notes\n",
    b"pkg\xfe/inner.py": b"def inner():\n    return 2\n",
}


def add_bad_names(root: Path) -> None:
    for raw, content in BAD_NAMES.items():
        path = os.path.join(os.fsencode(root), raw)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(content)


def test_undecodable_names_are_noted_and_the_rest_documented(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()

    write_files(repo, SAMPLE_FILES)
    add_bad_names(repo)
    out = tmp_path / "docs"
    generate_docs(repo, out, GenerationOptions(repo_name="owner/repo"))

    overview = (out / "overview.md").read_text(encoding="utf-8")
    assert "Greeter" in "".join(p.read_text(encoding="utf-8") for p in out.rglob("*.md"))
    assert "not valid UTF-8" in overview
    assert "caf\N{REPLACEMENT CHARACTER}.py" in overview
    for path in out.rglob("*"):
        path.name.encode("utf-8")  # every written name is valid UTF-8


@pytest.mark.django_db(transaction=True)
def test_served_repository_with_undecodable_name_completes(
    client: Client, git_server: GitServer, worker_process: Any
) -> None:
    url = git_server.make_repo("acme/latin1-names")
    add_bad_names(git_server.path(url))
    commit(git_server.path(url), {}, "Add files whose names are not UTF-8")
    response = client.post("/api/jobs", {"repo_url": url}, content_type="application/json")
    job_id = response.json()["job_id"]
    worker_process("--batch")
    wait_for(lambda: Job.objects.get(job_id=job_id).is_finished, timeout=90, what="the job")
    job = Job.objects.get(job_id=job_id)
    assert job.status == "completed", job.error_message
    assert client.get(f"/docs/{job_id}/").status_code == 200
