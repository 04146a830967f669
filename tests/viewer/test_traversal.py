"""Only names in files_generated are pages; every way around that is a 404."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client

from jobs.docs_viewer import DocsFolder, is_safe_name, open_docs
from jobs.models import Job

pytestmark = pytest.mark.django_db

SECRET = "TOP-SECRET-CONTENT"


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    """A file outside the docs root that no request may ever show."""
    path = tmp_path / "secret.md"
    path.write_text(f"# {SECRET}\n")
    return path


@pytest.fixture
def hostile_job(make_job: Callable[..., Job], secret_file: Path) -> Job:
    """A docs folder whose metadata lists hostile names next to symlinks that leave it."""
    listed = [
        "link.md",  # symlink to a file outside
        "linkdir/inner.md",  # real-looking name under a symlinked directory
        "../secret.md",
        "/etc/passwd",
        str(secret_file),
        "..\\secret.md",
        ".hidden.md",
        "nul\x00.md",
    ]
    job = make_job(extra_listed=listed)
    folder = open_docs(job)
    assert folder is not None
    (folder.path / "link.md").symlink_to(secret_file)
    (folder.path / "linkdir").symlink_to(secret_file.parent, target_is_directory=True)
    (secret_file.parent / "inner.md").write_text(f"# {SECRET}\n")
    (folder.path / ".hidden.md").write_text(f"# {SECRET}\n")
    return job


ATTEMPTS = [
    # (what, path after /docs/<job>/)
    ("parent dir", "../settings.py"),
    ("parent of parent", "../../codewiki_site/settings.py"),
    ("encoded slashes", "..%2f..%2fetc%2fpasswd"),
    ("encoded dots", "%2e%2e/"),
    ("encoded dots and slash", "%2e%2e%2fsecret.md"),
    ("double-encoded", "%252e%252e%252fsecret.md"),
    ("absolute path", "/etc/passwd"),
    ("absolute path encoded", "%2fetc%2fpasswd"),
    ("dots and slashes", "....//"),
    ("dots and slashes 2", "....//....//etc/passwd"),
    ("backslashes", "..\\..\\secret.md"),
    ("encoded backslashes", "..%5c..%5csecret.md"),
    ("NUL byte", "core.md%00"),
    ("NUL byte inside", "core%00.md"),
    ("page not in the list", "missing"),
    ("json file in the list is not a page", "module_tree.json"),
    ("metadata is not a page", "metadata.json"),
    ("case variant", "CORE"),
    ("trailing slash", "core/"),
    ("dot segment", "./core"),
    ("symlink listed in files_generated", "link"),
    ("symlink listed, .md form", "link.md"),
    ("symlinked directory", "linkdir/inner"),
    ("listed ../ name", "../secret"),
    ("hidden file listed", ".hidden"),
    ("unicode dot lookalike", "\u2024\u2024/secret"),
    ("overlong page name", "a" * 300),
]


@pytest.mark.parametrize(("what", "tail"), ATTEMPTS, ids=[a[0] for a in ATTEMPTS])
def test_traversal_attempts_are_404(client: Client, hostile_job: Job, what: str, tail: str) -> None:
    response = client.get(f"/docs/{hostile_job.job_id}/{tail}")
    # A redirect would be fine only to a canonical page of ours, which none of these are.
    assert response.status_code == 404, what
    assert SECRET not in response.content.decode(errors="replace")


def test_the_real_pages_of_that_folder_still_work(client: Client, hostile_job: Job) -> None:
    # The attempts above fail because of the names, not because the folder is broken.
    assert client.get(f"/docs/{hostile_job.job_id}/core").status_code == 200
    assert client.get(f"/docs/{hostile_job.job_id}/").status_code == 200


def test_symlinked_page_is_not_linked_from_the_sidebar(client: Client, hostile_job: Job) -> None:
    html = client.get(f"/docs/{hostile_job.job_id}/").content.decode()
    assert SECRET not in html
    # The "other pages" list only holds names that pass the name check...
    assert "../secret" not in html and "/etc/passwd" not in html
    # ...and a listed symlink is neither linked nor served.
    assert f'/docs/{hostile_job.job_id}/link"' not in html
    assert client.get(f"/docs/{hostile_job.job_id}/link").status_code == 404


@pytest.mark.parametrize(
    "name",
    [
        "",
        "..",
        "../x.md",
        "a/../b.md",
        "/abs.md",
        "a//b.md",
        "a\\b.md",
        ".hidden.md",
        "a/.b.md",
        "nul\x00.md",
        "sp ace.md",
        "x" * 256,
    ],
)
def test_unsafe_names_are_rejected(name: str) -> None:
    assert not is_safe_name(name)


@pytest.mark.parametrize(
    "name", ["overview.md", "core.md", "sub/deep.md", "jobs.docgen.md", "A_b-c.md"]
)
def test_ordinary_names_are_accepted(name: str) -> None:
    assert is_safe_name(name)


def test_page_file_refuses_symlinks_and_unlisted_names(hostile_job: Job) -> None:
    folder = open_docs(hostile_job)
    assert isinstance(folder, DocsFolder)
    docs_dir = folder.path
    assert folder.page_file("core.md") == docs_dir / "core.md"
    assert folder.page_file("link.md") is None
    assert folder.page_file("linkdir/inner.md") is None
    # On disk but not listed.
    (docs_dir / "unlisted.md").write_text("# hi\n")
    assert folder.page_file("unlisted.md") is None


def test_a_listed_directory_is_not_a_page(docs_job: Job, docs_dir: Path) -> None:
    (docs_dir / "dir.md").mkdir()
    metadata = json.loads((docs_dir / "metadata.json").read_text())
    metadata["files_generated"].append("dir.md")
    (docs_dir / "metadata.json").write_text(json.dumps(metadata))
    folder = open_docs(docs_job)
    assert folder is not None and folder.page_file("dir.md") is None
    assert "dir.md" not in folder.pages


def test_fifo_listed_as_a_page_does_not_hang(client: Client, docs_job: Job, docs_dir: Path) -> None:
    # A FIFO would block open() forever without O_NONBLOCK; it must simply 404.
    os.mkfifo(docs_dir / "fifo.md")
    metadata = json.loads((docs_dir / "metadata.json").read_text())
    metadata["files_generated"].append("fifo.md")
    (docs_dir / "metadata.json").write_text(json.dumps(metadata))
    assert client.get(f"/docs/{docs_job.job_id}/fifo").status_code == 404


def test_not_found_page_is_the_viewers_own(client: Client, hostile_job: Job) -> None:
    response = client.get(f"/docs/{hostile_job.job_id}/../../etc/passwd")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    # Still inside the viewer: sidebar and CSP, and the bad name is not echoed.
    assert f'href="/docs/{hostile_job.job_id}/core"' in html
    assert "etc/passwd" not in html.split('<div class="docs-layout">', 1)[1]
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_docs_folder_that_is_a_symlink_out_of_the_root_is_not_served(
    client: Client, docs_job: Job, docs_dir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside-docs"
    docs_dir.rename(outside)
    docs_dir.symlink_to(outside, target_is_directory=True)
    response = client.get(f"/docs/{docs_job.job_id}/core")
    assert response.status_code == 410
    assert "Widgets" not in response.content.decode()
