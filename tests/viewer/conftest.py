"""Fixtures for the docs viewer: hand-written docs folders and jobs that point at them."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from jobs.docgen import GenerationOptions, generate_docs
from jobs.docs_cache import docs_relpath, docs_root
from jobs.models import Job, Status

REPO_URL = "https://github.com/acme/widgets"
SHA = "0123456789abcdef0123456789abcdef01234567"

OVERVIEW_MD = """\
# Widgets overview

Widgets turns gadgets into widgets. See [the core module](core.md) and the
[storage section](storage.md#saving-files).

| Module | Role |
|:-------|-----:|
| core | logic |

```python
def make_widget(size: int) -> "Widget":
    return Widget(size)
```

```mermaid
graph TD
    A[Gadget] --> B[Widget]
```
"""

CORE_MD = """\
# Core

Back to the [overview](overview.md). Sibling: [storage](storage.md).

```mermaid
flowchart LR
    core --> storage
```
"""

STORAGE_MD = """\
# Storage

## Saving files

Files are saved.
"""

MODULE_TREE: dict[str, Any] = {
    "core": {
        "path": "core",
        "components": ["widgets.core.Widget"],
        "children": {
            "storage": {"path": "core/storage", "components": ["widgets.storage.save"]},
        },
    },
}


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # Rendered pages are cached in LocMem; a test must not see another's pages.
    cache.clear()


def write_docs(
    folder: Path,
    pages: Mapping[str, str],
    *,
    tree: Mapping[str, Any] | None = None,
    extra_listed: list[str] | None = None,
    commit: str = SHA,
) -> list[str]:
    """Write a docs folder like the generator's; return its files_generated list."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in pages.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    tree = MODULE_TREE if tree is None else tree
    for name in ("module_tree.json", "first_module_tree.json"):
        (folder / name).write_text(json.dumps(tree), encoding="utf-8")
    files = [*pages, "module_tree.json", "first_module_tree.json", *(extra_listed or [])]
    metadata = {
        "generation_info": {
            "timestamp": "2026-11-28T15:30:00+00:00",
            "main_model": "test-model-7b",
            "generator_version": "0.1.0",
            "repo_path": "/tmp/somewhere",
            "commit_id": commit,
        },
        "statistics": {"total_components": 42, "leaf_nodes": 30, "max_depth": 2},
        "files_generated": [*files, "metadata.json"],
    }
    (folder / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    return metadata["files_generated"]


DEFAULT_PAGES = {"overview.md": OVERVIEW_MD, "core.md": CORE_MD, "storage.md": STORAGE_MD}


@pytest.fixture
def make_job(db: None) -> Callable[..., Job]:
    """A job in any state; completed ones get a docs folder unless told otherwise."""

    def make(
        status: str = Status.COMPLETED,
        *,
        pages: Mapping[str, str] | None = None,
        write: bool = True,
        job_id: str = "acme--widgets-abc23456",
        repo_url: str = REPO_URL,
        **docs_kwargs: Any,
    ) -> Job:
        relpath = docs_relpath(repo_url, SHA) if status == Status.COMPLETED else ""
        if relpath and write:
            write_docs(
                docs_root() / relpath, DEFAULT_PAGES if pages is None else pages, **docs_kwargs
            )
        return Job.objects.create(
            job_id=job_id,
            repo_url=repo_url,
            status=status,
            docs_path=relpath,
            resolved_commit=SHA if status == Status.COMPLETED else "",
            main_model="job-model",
            progress="Parsing 12 of 40 files" if status == Status.PROCESSING else "",
            progress_percent=30 if status == Status.PROCESSING else 0,
            error_message="Clone failed: repository not found" if status == Status.FAILED else "",
            completed_at=timezone.now() if status == Status.COMPLETED else None,
        )

    return make


@pytest.fixture
def docs_job(make_job: Callable[..., Job]) -> Job:
    return make_job()


@pytest.fixture
def docs_dir(docs_job: Job) -> Path:
    return docs_root() / docs_job.docs_path


FIXTURES = Path(__file__).resolve().parents[1] / "docgen" / "fixtures"
GENERATED_REPO_URL = "https://github.com/acme/polyglot"
GENERATED_SHA = "fedcba9876543210fedcba9876543210fedcba98"


@pytest.fixture
def generated_job(db: None, tmp_path: Path) -> Job:
    """A completed job whose docs the real generator wrote from the docgen fixtures."""
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES, repo)
    relpath = docs_relpath(GENERATED_REPO_URL, GENERATED_SHA)
    result = generate_docs(
        repo,
        docs_root() / relpath,
        GenerationOptions(repo_name="acme/polyglot", commit=GENERATED_SHA),
    )
    assert "overview.md" in result.files_generated
    return Job.objects.create(
        job_id="acme--polyglot-k3m9x2qa",
        repo_url=GENERATED_REPO_URL,
        status=Status.COMPLETED,
        docs_path=relpath,
        resolved_commit=GENERATED_SHA,
    )
