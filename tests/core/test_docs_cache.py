"""The docs cache: the folder on disk is the truth, rows that lie are dropped."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from jobs import docs_cache
from jobs.models import CacheEntry

REPO = "https://github.com/acme/widgets"
SHA = "a" * 40


def build(tmp: Path, files: dict[str, str] | None = None) -> Path:
    files = files or {"overview.md": "# Overview\n"}
    tmp.mkdir(parents=True)
    for name, text in files.items():
        (tmp / name).write_text(text)
    (tmp / "metadata.json").write_text(json.dumps({"files_generated": [*files, "metadata.json"]}))
    return tmp


@pytest.mark.django_db
def test_publish_record_lookup(output_dir: Path) -> None:
    relpath = docs_cache.publish(build(output_dir / "temp" / "j1" / "docs"), REPO, SHA)
    assert relpath == f"github.com--acme--widgets/{SHA}"
    docs_cache.record(REPO, SHA, relpath)
    entry = docs_cache.lookup(REPO, SHA)
    assert entry is not None and entry.size_bytes > 0 and entry.file_count == 2
    assert docs_cache.lookup(REPO, "b" * 40) is None


@pytest.mark.django_db
def test_missing_or_incomplete_folder_is_a_miss_and_dropped(output_dir: Path) -> None:
    relpath = docs_cache.publish(build(output_dir / "t" / "docs"), REPO, SHA)
    docs_cache.record(REPO, SHA, relpath)
    (output_dir / "docs" / relpath / "overview.md").unlink()
    assert docs_cache.lookup(REPO, SHA) is None
    assert not CacheEntry.objects.exists()
    CacheEntry.objects.create(repo_url=REPO, commit_sha=SHA, docs_path="nowhere/x")
    assert docs_cache.lookup(REPO, SHA) is None
    assert not CacheEntry.objects.exists()


@pytest.mark.django_db
def test_rows_pointing_outside_the_docs_folder_are_never_served(output_dir: Path) -> None:
    outside = build(output_dir / "elsewhere")
    CacheEntry.objects.create(repo_url=REPO, commit_sha=SHA, docs_path=f"../{outside.name}")
    assert docs_cache.lookup(REPO, SHA) is None
    assert docs_cache.resolve_docs_dir("../../etc") is None
    assert docs_cache.resolve_docs_dir("/etc") is None


@pytest.mark.django_db
def test_expired_entries_are_misses(output_dir: Path, settings: Any) -> None:
    settings.CODEWIKI_CACHE_EXPIRY_DAYS = 30
    relpath = docs_cache.publish(build(output_dir / "t" / "docs"), REPO, SHA)
    docs_cache.record(REPO, SHA, relpath)
    CacheEntry.objects.update(created_at=timezone.now() - timedelta(days=31))
    assert docs_cache.lookup(REPO, SHA) is None


@pytest.mark.django_db
def test_publishing_twice_keeps_the_complete_folder(output_dir: Path) -> None:
    first = docs_cache.publish(build(output_dir / "a", {"overview.md": "first"}), REPO, SHA)
    second = docs_cache.publish(build(output_dir / "b", {"overview.md": "second"}), REPO, SHA)
    assert first == second
    assert (output_dir / "docs" / first / "overview.md").read_text() == "first"
    assert not (output_dir / "b").exists()


@pytest.mark.django_db(transaction=True)
def test_cache_write_error_is_logged_and_the_job_still_completes(
    git_server: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from django.db import DatabaseError

    from jobs import pipeline, services
    from jobs.models import Job, Status, Worker
    from jobs.worker import claim_ready

    def broken(*args: Any, **kwargs: Any) -> None:
        raise DatabaseError("disk I/O error")

    monkeypatch.setattr(CacheEntry.objects, "update_or_create", broken)
    job = services.submit(git_server.make_repo("acme/cachefail")).job
    worker = Worker.objects.create(hostname="test", pid=1)
    (claimed,) = claim_ready(worker, lease_seconds=60, slots=1).to_run
    assert claimed.pk == job.pk
    pipeline.run(claimed)
    job.refresh_from_db()
    assert job.status == Status.COMPLETED, job.error_message
    assert "Could not record cache entry" in caplog.text
    assert Job.objects.get(pk=job.pk).docs_path
