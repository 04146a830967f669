"""The zip download: exactly the generated files, safe names, a useful filename."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client

from jobs.docs_cache import docs_root
from jobs.models import Job
from tests.viewer.conftest import SHA

pytestmark = pytest.mark.django_db

PREFIX = f"acme-widgets-{SHA[:7]}-docs"


def download(client: Client, job: Job) -> tuple[zipfile.ZipFile, dict[str, str]]:
    response = client.get(f"/docs/{job.job_id}/download.zip")
    assert response.status_code == 200
    headers = {k: v for k, v in response.headers.items()}
    data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return zipfile.ZipFile(io.BytesIO(data)), headers


def test_zip_holds_exactly_the_generated_files(
    client: Client, docs_job: Job, docs_dir: Path
) -> None:
    # A stray file in the folder that the generator did not list stays out.
    (docs_dir / "stray.txt").write_text("not generated")
    listed = json.loads((docs_dir / "metadata.json").read_text())["files_generated"]
    archive, headers = download(client, docs_job)
    assert headers["Content-Type"] == "application/zip"
    assert headers["Content-Disposition"] == f'attachment; filename="{PREFIX}.zip"'
    assert sorted(archive.namelist()) == sorted(f"{PREFIX}/{name}" for name in listed)
    assert archive.testzip() is None
    for name in listed:
        assert archive.read(f"{PREFIX}/{name}") == (docs_dir / name).read_bytes()


def test_zip_skips_hostile_listed_names_and_symlinks(
    client: Client, make_job: Callable[..., Job], tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    job = make_job(
        extra_listed=["link.md", "../secret.txt", "/etc/passwd", str(secret), "gone.md", "a\\b"]
    )
    (docs_root() / job.docs_path / "link.md").symlink_to(secret)
    archive, _ = download(client, job)
    names = archive.namelist()
    assert all(name.startswith(PREFIX + "/") for name in names)
    assert all(".." not in name.split("/") and "\\" not in name for name in names)
    assert f"{PREFIX}/link.md" not in names
    assert f"{PREFIX}/gone.md" not in names
    assert len(names) == 6  # 3 pages, 2 trees, metadata; nothing else
    for name in names:
        assert b"TOP-SECRET" not in archive.read(name)


def test_zip_filename_for_a_local_repository(client: Client, make_job: Callable[..., Job]) -> None:
    job = make_job(repo_url="/srv/git/My Project")
    _, headers = download(client, job)
    disposition = headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="my-project-0123456-docs.zip"'), disposition


def test_zip_has_csp_and_head_is_allowed(client: Client, docs_job: Job) -> None:
    response = client.head(f"/docs/{docs_job.job_id}/download.zip")
    assert response.status_code == 200
    assert "Content-Security-Policy" in response
