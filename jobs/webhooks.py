"""Push webhooks from GitHub, GitLab and Gitea (Forgejo): verify, dedupe, enqueue.

Each provider has its own secret setting; without one its endpoint refuses
everything. A verified push to the followed branch of an enabled tracked
repository submits a job for the pushed sha through ``services.submit`` (the one
submit path: URL policy, dedupe, queue bound, worker wake-up). Every delivery id
is stored, so a replayed delivery does nothing. The answer says what happened;
providers show it in their delivery log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from jobs import services
from jobs.models import Repository, WebhookDelivery
from jobs.repo_urls import RepoURLError, normalize_repo_url

logger = logging.getLogger("jobs.webhooks")

ZERO_SHA = "0" * 40


@dataclass(frozen=True)
class Outcome:
    status: int
    message: str
    job_id: str = ""

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status, "message": self.message}
        if self.job_id:
            data["job_id"] = self.job_id
        return data


@dataclass(frozen=True)
class Provider:
    name: str
    setting: str
    verify: Callable[[HttpRequest, bytes, str], bool]
    event_header: str
    delivery_headers: tuple[str, ...]
    push_events: frozenset[str]
    repo_key: str  # "repository" (GitHub, Gitea) or "project" (GitLab)
    url_keys: tuple[str, ...]


def _hmac_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _verify_github(request: HttpRequest, body: bytes, secret: str) -> bool:
    signature = request.headers.get("X-Hub-Signature-256", "")
    expected = "sha256=" + _hmac_hex(secret, body)
    return bool(signature) and hmac.compare_digest(signature.encode(), expected.encode())


def _verify_gitea(request: HttpRequest, body: bytes, secret: str) -> bool:
    signature = request.headers.get("X-Gitea-Signature") or request.headers.get(
        "X-Forgejo-Signature", ""
    )
    return bool(signature) and hmac.compare_digest(
        signature.lower().encode(), _hmac_hex(secret, body).encode()
    )


def _verify_gitlab(request: HttpRequest, body: bytes, secret: str) -> bool:
    token = request.headers.get("X-Gitlab-Token", "")
    return bool(token) and hmac.compare_digest(token.encode(), secret.encode())


PROVIDERS = {
    "github": Provider(
        "github",
        "CODEWIKI_WEBHOOK_SECRET_GITHUB",
        _verify_github,
        "X-GitHub-Event",
        ("X-GitHub-Delivery",),
        frozenset({"push"}),
        "repository",
        ("clone_url", "html_url", "url"),
    ),
    "gitlab": Provider(
        "gitlab",
        "CODEWIKI_WEBHOOK_SECRET_GITLAB",
        _verify_gitlab,
        "X-Gitlab-Event",
        ("X-Gitlab-Event-UUID", "Idempotency-Key", "X-Gitlab-Webhook-UUID"),
        frozenset({"Push Hook", "System Hook"}),
        "project",
        ("git_http_url", "web_url", "http_url"),
    ),
    "gitea": Provider(
        "gitea",
        "CODEWIKI_WEBHOOK_SECRET_GITEA",
        _verify_gitea,
        "X-Gitea-Event",
        ("X-Gitea-Delivery", "X-Forgejo-Delivery"),
        frozenset({"push"}),
        "repository",
        ("clone_url", "html_url"),
    ),
}


def handle(provider_name: str, request: HttpRequest) -> Outcome:
    provider = PROVIDERS[provider_name]
    secret = getattr(settings, provider.setting)
    if not secret:
        return Outcome(403, f"{provider.name} webhooks are off: set {provider.setting}")
    limit = settings.CODEWIKI_WEBHOOK_MAX_BYTES
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return Outcome(400, "Bad Content-Length")
    if declared > limit:
        return Outcome(413, f"Body larger than {limit} bytes")
    body = request.read(limit + 1)
    if len(body) > limit:
        return Outcome(413, f"Body larger than {limit} bytes")
    if not provider.verify(request, body, secret):
        logger.warning("Webhook %s: bad or missing signature, refused", provider.name)
        return Outcome(403, "Bad or missing signature")
    delivery = _delivery_id(provider, request, body)
    event = request.headers.get(provider.event_header, "")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return Outcome(400, "The body is not JSON")
    if not isinstance(payload, dict):
        return Outcome(400, "The body is not a JSON object")
    # The delivery is recorded in the same transaction as the job it causes: if
    # submitting fails (queue full), the provider's redelivery is not a replay.
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    WebhookDelivery.objects.create(provider=provider.name, delivery_id=delivery)
            except IntegrityError:
                return Outcome(200, f"Delivery {delivery} was already handled; ignored")
            outcome = _handle_event(provider, event, payload)
            if outcome.status >= 400:
                raise _Rollback(outcome)
            return outcome
    except _Rollback as rollback:
        return rollback.outcome


class _Rollback(Exception):
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


def _delivery_id(provider: Provider, request: HttpRequest, body: bytes) -> str:
    for header in provider.delivery_headers:
        value = request.headers.get(header, "").strip()
        if value:
            return value[:200]
    # No id header (older GitLab): the body itself identifies a resend.
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _handle_event(provider: Provider, event: str, payload: dict[str, Any]) -> Outcome:
    if provider.name == "github" and event == "ping":
        return Outcome(200, "pong")
    kind = payload.get("object_kind") if provider.name == "gitlab" else None
    if event not in provider.push_events or (provider.name == "gitlab" and kind != "push"):
        return Outcome(200, f"Event '{event}' ignored: only pushes trigger docs")
    ref, sha = payload.get("ref"), payload.get("after") or payload.get("checkout_sha")
    if not isinstance(ref, str) or not ref.startswith("refs/heads/"):
        return Outcome(202, "Not a branch push; nothing to do")
    if not isinstance(sha, str) or sha == ZERO_SHA or len(sha) != 40:
        return Outcome(202, "Branch deleted or no commit; nothing to do")
    info = payload.get(provider.repo_key)
    info = info if isinstance(info, dict) else {}
    repo = _tracked_repository(provider, info)
    if repo is None:
        return Outcome(202, "Repository is not tracked here; nothing enqueued")
    branch = ref.removeprefix("refs/heads/")
    followed = repo.branch or str(info.get("default_branch") or "")
    if branch != followed:
        return Outcome(202, f"Push to '{branch}', not the followed branch; nothing enqueued")
    if not repo.enabled:
        return Outcome(202, "Refreshing is disabled for this repository; nothing enqueued")
    sha = sha.lower()
    Repository.objects.filter(pk=repo.pk).update(last_seen_sha=sha)
    try:
        submission = services.submit(repo.url, sha, submitted_by=f"webhook:{provider.name}")
    except services.SubmissionError as exc:
        logger.warning("Webhook %s for %s not enqueued: %s", provider.name, repo.url, exc)
        # 503: the provider retries the delivery later (it was not recorded).
        return Outcome(503, f"Not enqueued: {exc.message}")
    verb = "Enqueued" if submission.created else "Already queued"
    logger.info("Webhook %s: %s job %s for %s@%s", provider.name, verb, submission.job.job_id,
                repo.url, sha[:12])  # fmt: skip
    return Outcome(202, f"{verb} {sha[:12]} of {repo.display}", submission.job.job_id)


def _tracked_repository(provider: Provider, info: dict[str, Any]) -> Repository | None:
    candidates = []
    for key in provider.url_keys:
        value = info.get(key)
        if isinstance(value, str) and value:
            try:
                candidates.append(normalize_repo_url(value))
            except RepoURLError:
                continue
    if not candidates:
        return None
    return Repository.objects.filter(url__in=candidates).first()
