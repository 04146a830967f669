"""Tracked repositories: their records, their stable links, and which docs are "latest".

A ``Repository`` row appears when a job for it first completes (or when staff add
one). It follows one branch (empty: the default branch). The newest completed job
of that branch is its ``latest_job``: a job that asked for the branch by name (or
for the default branch), or one whose commit is the head last seen on the branch
by a webhook or the scheduled refresh.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from jobs.fetch import uses_credential
from jobs.models import Job, Repository, Status
from jobs.repo_urls import (
    CASE_INSENSITIVE_HOSTS,
    HEX_RE,
    is_local,
    normalize_commit,
    ref_name_problem,
)

logger = logging.getLogger("jobs.repositories")

LINK_SCHEMES = ("https", "http", "git")


def documents_followed_branch(repo: Repository, job: Job) -> bool:
    if job.commit_id == repo.branch:
        return True
    return bool(repo.last_seen_sha) and job.resolved_commit == repo.last_seen_sha


def record_completed(job: Job) -> Repository | None:
    """Create the repository record on a first completed job; advance its latest docs.

    Never raises: tracking is a convenience on top of a job that already succeeded.
    """
    if job.status != Status.COMPLETED or is_local(job.repo_url):
        return None
    try:
        with transaction.atomic():  # a savepoint: a failure here never undoes the completion
            repo = _get_or_create(job.repo_url, private=job.private, created_by="")
            if documents_followed_branch(repo, job):
                Repository.objects.filter(pk=repo.pk).update(latest_job=job, private=job.private)
                repo.latest_job, repo.private = job, job.private
        return repo
    except Exception:
        logger.exception("Could not record repository for job %s", job.job_id)
        return None


def _get_or_create(url: str, *, private: bool, created_by: str) -> Repository:
    repo = Repository.objects.filter(url=url).first()
    if repo is not None:
        return repo
    minutes = max(0, settings.CODEWIKI_REFRESH_MINUTES)
    try:
        with transaction.atomic():
            return Repository.objects.create(
                url=url,
                refresh_minutes=minutes,
                private=private,
                created_by=created_by,
                next_check_at=timezone.now() + timedelta(minutes=minutes),
            )
    except IntegrityError:  # created by a concurrent job meanwhile
        return Repository.objects.get(url=url)


def track(
    url: str, branch: str = "", *, refresh_minutes: int | None = None, by: str = ""
) -> Repository:
    """Staff: start tracking ``url`` (already canonical) on ``branch``."""
    # Private from the start when a token fetches it: anonymous visitors must not see it
    # listed before its first job completes.
    repo = _get_or_create(url, private=uses_credential(url), created_by=by)
    fields = {"branch": normalize_commit(branch), "enabled": True}
    if refresh_minutes is not None:
        fields["refresh_minutes"] = refresh_minutes
    Repository.objects.filter(pk=repo.pk).update(**fields)
    repo.refresh_from_db()
    return repo


def set_enabled(repo: Repository, enabled: bool) -> None:
    now = timezone.now()
    Repository.objects.filter(pk=repo.pk).update(enabled=enabled, next_check_at=now)
    repo.enabled, repo.next_check_at = enabled, now


def completed_jobs(repo: Repository) -> list[Job]:
    """Its docs by commit, newest first: one row per resolved commit (the newest job)."""
    seen: set[str] = set()
    rows = []
    queryset = Job.objects.filter(repo_url=repo.url, status=Status.COMPLETED).order_by(
        "-completed_at", "-id"
    )
    for job in queryset[:500]:
        if job.resolved_commit in seen:
            continue
        seen.add(job.resolved_commit)
        rows.append(job)
    return rows


# --- stable links ------------------------------------------------------------------


@dataclass(frozen=True)
class StableLink:
    candidates: tuple[str, ...]  # canonical URLs this host/path may stand for
    # The segments after "@": a ref (which may itself hold "/") then a docs page;
    # () for the followed branch. Which segments are the ref is decided by find_docs.
    after_at: tuple[str, ...]


@dataclass(frozen=True)
class Found:
    repo: Repository | None
    job: Job | None
    page: str  # a docs page below the docs root, or ""


def _ref_readings(after_at: tuple[str, ...]) -> list[tuple[str, str]]:
    """Every (ref, page) split of the segments after "@" whose ref is valid, longest ref first."""
    readings = []
    for cut in range(len(after_at), 0, -1):
        ref = "/".join(after_at[:cut])
        if HEX_RE.match(ref):
            ref = ref.lower()
        elif ref_name_problem(ref) is not None:
            continue
        readings.append((ref, "/".join(after_at[cut:])))
    return readings


def parse_stable_link(rest: str) -> StableLink | None:
    """``host/owner/name[/@ref][/page…]`` → what it names, or None if malformed.

    Names may hold dots (``three.js``) and groups may nest (GitLab): everything
    up to ``/@`` (or the end) is the repository. Refs may hold "/" too
    (``@release/2.x/core``): no prefix of what follows "@" that is not a valid
    ref name is ever looked up, and "." or ".." anywhere (or "//" after "@")
    refuses the link, so nothing can climb out of the docs it names.
    """
    path, at, after = rest.strip("/").partition("/@")
    segments = [s for s in path.split("/") if s]
    after_at = tuple(after.split("/")) if at else ()
    if len(segments) < 3 or any(s in {".", ".."} for s in segments):
        return None
    if any(s in {"", ".", ".."} for s in after_at):
        return None
    if at and not _ref_readings(after_at):
        return None
    host = segments[0].lower()
    repo_path = segments[1:]
    if host.removeprefix("www.") in CASE_INSENSITIVE_HOSTS:
        repo_path = [s.lower() for s in repo_path]
    tail = "/".join(repo_path).removesuffix(".git")
    return StableLink(tuple(f"{scheme}://{host}/{tail}" for scheme in LINK_SCHEMES), after_at)


def find_docs(link: StableLink, user: object) -> Found:
    """The repository, the completed job and the page a stable link names.

    After "@", the longest leading run of segments that names a ref or commit of a
    completed job of this repository is the ref; the segments left over are the page.
    So ``@release/2.x/core`` is page ``core`` of ``release/2.x`` when docs of
    ``release/2.x`` exist, and page ``2.x/core`` of ``release`` only when they do not.
    """
    repo = Repository.objects.visible_to(user).filter(url__in=link.candidates).first()
    jobs = Job.objects.visible_to(user).filter(
        repo_url__in=[repo.url] if repo else link.candidates, status=Status.COMPLETED
    )
    jobs = jobs.order_by("-completed_at", "-id")
    if link.after_at:
        readings = _ref_readings(link.after_at)
        named = set(
            jobs.filter(commit_id__in=[ref for ref, _ in readings]).values_list(
                "commit_id", flat=True
            )
        )
        for ref, page in readings:
            condition = Q(commit_id=ref)
            if HEX_RE.match(ref):
                condition |= Q(resolved_commit__startswith=ref)
            elif ref not in named:
                continue  # saves a query per segment of a long page path
            job = jobs.filter(condition).first()
            if job is not None:
                return Found(repo, job, page)
        return Found(repo, None, "")
    if repo is not None:
        latest = repo.latest_job  # visible: a private job makes its repository private
        if latest is not None and latest.status == Status.COMPLETED:
            return Found(repo, latest, "")
        return Found(repo, jobs.filter(commit_id=repo.branch).first(), "")
    return Found(None, jobs.filter(commit_id="").first(), "")


def stable_url(repo_url: str, ref: str = "") -> str | None:
    """``/r/<host>/<owner>/<name>/`` (or ``…/@ref/``) for a canonical URL; None for local ones."""
    if is_local(repo_url):
        return None
    parts = urlsplit(repo_url)
    base = f"/r/{parts.netloc}{parts.path.rstrip('/')}/"
    return f"{base}@{ref}/" if ref else base
