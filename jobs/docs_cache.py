"""Where generated docs live, and the cache that lets jobs share them.

One folder per (canonical repository URL, commit sha) under
``{CODEWIKI_OUTPUT_DIR}/docs/``; a ``CacheEntry`` row points at it. The folder
is the truth: a row whose folder is missing or incomplete is a miss and is
removed, so a half-deleted cache never serves broken docs.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone

from jobs.db_outage import DISCONNECT_ERRORS
from jobs.docgen.analysis_cache import evict
from jobs.models import CacheEntry
from jobs.repo_urls import slug

logger = logging.getLogger(__name__)

METADATA_FILE = "metadata.json"
LAST_USED_RESOLUTION = timedelta(minutes=10)


def docs_root() -> Path:
    return Path(settings.CODEWIKI_OUTPUT_DIR) / "docs"


def temp_root() -> Path:
    return Path(settings.CODEWIKI_OUTPUT_DIR) / "temp"


def analysis_cache_root() -> Path | None:
    """Per-file analysis results shared by this installation's jobs; None when disabled."""
    if settings.CODEWIKI_ANALYSIS_CACHE_MB <= 0:
        return None
    return Path(settings.CODEWIKI_OUTPUT_DIR) / "analysis-cache"


def trim_analysis_cache() -> None:
    """Least recently used entries go once the cache exceeds its size setting."""
    root = analysis_cache_root()
    if root is None or not root.is_dir():
        return
    try:
        evict(root, settings.CODEWIKI_ANALYSIS_CACHE_MB * 1024 * 1024)
    except OSError:
        logger.exception("Could not trim the analysis cache")


def docs_relpath(repo_url: str, sha: str) -> str:
    return f"{slug(repo_url)}/{sha}"


def resolve_docs_dir(relpath: str) -> Path | None:
    """The absolute folder for a stored relative docs path, or None if it escapes the root."""
    if not relpath:
        return None
    root = docs_root().resolve()
    candidate = (root / relpath).resolve()
    if candidate == root or root not in candidate.parents:
        return None
    return candidate


def generated_files(docs_dir: Path) -> list[str] | None:
    """The file list recorded in ``metadata.json``, or None if the folder is not complete."""
    try:
        metadata = json.loads((docs_dir / METADATA_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = metadata.get("files_generated") if isinstance(metadata, dict) else None
    if not isinstance(files, list) or not all(isinstance(name, str) for name in files):
        return None
    return files


def is_complete(docs_dir: Path) -> bool:
    files = generated_files(docs_dir)
    return files is not None and all((docs_dir / name).is_file() for name in files)


def lookup(repo_url: str, sha: str) -> CacheEntry | None:
    """A usable cache entry for (repo_url, sha), or None (see ``lookup_many``)."""
    return lookup_many([(repo_url, sha)]).get((repo_url, sha))


def lookup_many(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], CacheEntry]:
    """The usable cache entries among ``keys`` (repo_url, sha) pairs, found with one query.

    A worker claiming a batch of jobs asks for all of them at once: a query per
    job was most of the cost of a cache hit. Errors are misses, except a lost
    database connection: that is raised for the caller to retry, since a miss
    would regenerate docs that exist.
    """
    wanted = set(keys)
    if not wanted:
        return {}
    try:
        rows = CacheEntry.objects.filter(
            repo_url__in={repo for repo, _ in wanted}, commit_sha__in={sha for _, sha in wanted}
        )
        now = timezone.now()
        found: dict[tuple[str, str], CacheEntry] = {}
        for entry in rows:
            key = (entry.repo_url, entry.commit_sha)
            if key in wanted and _usable(entry, now):
                found[key] = entry
        # Coarse on purpose: a write per hit would double the cost of a cache hit.
        stale = [e.pk for e in found.values() if e.last_used_at < now - LAST_USED_RESOLUTION]
        if stale:
            CacheEntry.objects.filter(pk__in=stale).update(last_used_at=now)
        return found
    except DISCONNECT_ERRORS:
        raise
    except Exception:
        logger.exception("Cache lookup failed for %d key(s); treating as misses", len(wanted))
        return {}


def _usable(entry: CacheEntry, now: datetime) -> bool:
    """True if the entry is fresh and its folder complete; else the row is removed."""
    if entry.created_at < now - timedelta(days=settings.CODEWIKI_CACHE_EXPIRY_DAYS):
        logger.info("Cache entry %s expired; regenerating", entry)
        entry.delete()
        return False
    docs_dir = resolve_docs_dir(entry.docs_path)
    if docs_dir is None or not is_complete(docs_dir):
        logger.warning("Cache entry %s points at a missing or incomplete folder; dropped", entry)
        entry.delete()
        return False
    return True


def publish(built_dir: Path, repo_url: str, sha: str) -> str:
    """Move freshly generated docs into their permanent folder; return its relative path.

    If another job published the same (repo, sha) meanwhile, its complete folder
    is kept and ours discarded. The rename is atomic because temp and docs share
    the output folder's filesystem.
    """
    relpath = docs_relpath(repo_url, sha)
    target = docs_root() / relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        if is_complete(target):
            shutil.rmtree(built_dir, ignore_errors=True)
            return relpath
        shutil.rmtree(target, ignore_errors=True)
    os.replace(built_dir, target)
    return relpath


def record(repo_url: str, sha: str, relpath: str, *, private: bool = False) -> None:
    """Create or refresh the cache row.

    A failure is logged (the job's docs exist anyway), except a lost database
    connection, which is raised for the caller to retry.
    """
    try:
        docs_dir = docs_root() / relpath
        files = [p for p in docs_dir.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
        now = timezone.now()
        defaults = {
            "docs_path": relpath,
            "size_bytes": size,
            "file_count": len(files),
            "private": private,
            "created_at": now,
            "last_used_at": now,
        }
        try:
            CacheEntry.objects.update_or_create(
                repo_url=repo_url, commit_sha=sha, defaults=defaults
            )
        except IntegrityError:
            CacheEntry.objects.filter(repo_url=repo_url, commit_sha=sha).update(**defaults)
    except DISCONNECT_ERRORS:
        raise
    except Exception:
        logger.exception("Could not record cache entry for %s@%s", repo_url, sha)


def purge(entry: CacheEntry) -> None:
    """Remove a cache entry and its folder (jobs that pointed at it show 'docs missing')."""
    docs_dir = resolve_docs_dir(entry.docs_path)
    if docs_dir is not None:
        shutil.rmtree(docs_dir, ignore_errors=True)
    entry.delete()
