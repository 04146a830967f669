"""The repository URL policy: the one place that decides what may be cloned.

``normalize_repo_url`` turns whatever a user pasted into one canonical URL (used
for dedupe, the cache key and cloning) or raises ``RepoURLError`` saying why
not. ``normalize_commit`` does the same for the optional commit or ref. Nothing
that fails here ever reaches git.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

MAX_URL_LENGTH = 500
# Hosts that treat owner/name case-insensitively, so case variants dedupe.
CASE_INSENSITIVE_HOSTS = frozenset({"github.com", "gitlab.com", "bitbucket.org", "codeberg.org"})
# Path suffixes that browsers show but that are not part of the repository URL.
WEB_VIEW_MARKERS = frozenset({"tree", "blob", "commit", "commits", "src", "-", "issues", "pulls"})
SEGMENT_RE = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_.-]*$")
HEX_RE = re.compile(r"^[0-9a-fA-F]{4,40}$")
FULL_SHA_RE = re.compile(r"^[0-9a-f]{40}$")
REF_CHARS_RE = re.compile(r"^[A-Za-z0-9._/-]+$")
CONTROL_RE = re.compile(r"[\x00-\x20\x7f]")
SCP_LIKE_RE = re.compile(r"^[\w.-]+@[\w.-]+:")


class RepoURLError(ValueError):
    """A rejected repository URL or commit; ``field`` names the form field at fault."""

    def __init__(self, message: str, field: str = "repo_url") -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class AllowedHost:
    scheme: str
    host: str
    port: int | None

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}" if self.port else self.host


def allowed_hosts() -> list[AllowedHost]:
    """``CODEWIKI_REPO_HOSTS`` parsed: bare names are https-only, entries with a scheme pin it."""
    result = []
    for entry in settings.CODEWIKI_REPO_HOSTS:
        entry = entry.strip().lower().rstrip("/")
        if "://" in entry:
            parts = urlsplit(entry)
            result.append(AllowedHost(parts.scheme, parts.hostname or "", parts.port))
        else:
            result.append(AllowedHost("https", entry.removeprefix("www."), None))
    return result


def _reject_common(value: str, field: str) -> None:
    if not value:
        raise RepoURLError("This field is required.", field)
    if len(value) > MAX_URL_LENGTH:
        raise RepoURLError(f"Too long (more than {MAX_URL_LENGTH} characters).", field)
    if value.startswith("-"):
        raise RepoURLError("May not start with '-'.", field)
    if CONTROL_RE.search(value):
        raise RepoURLError("Contains spaces or control characters.", field)


def normalize_repo_url(raw: str) -> str:
    """Return the canonical URL for ``raw`` or raise ``RepoURLError`` with the reason."""
    value = (raw or "").strip()
    _reject_common(value, "repo_url")
    if value.startswith("/"):
        return _normalize_local_path(value)
    lowered = value.lower()
    if lowered.startswith("ext::") or "::" in value.split("/", 1)[0]:
        raise RepoURLError("Git remote helpers ('ext::', 'fd::' …) are not allowed.")
    if "://" not in value:
        if SCP_LIKE_RE.match(value):
            raise RepoURLError("SSH URLs (user@host:path) are not allowed; use the https URL.")
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value) and not re.match(r"^[^/:]+:\d+/", value):
            scheme = value.split(":", 1)[0].lower()
            raise RepoURLError(f"The '{scheme}:' scheme is not allowed; use an https URL.")
        # "github.com/owner/repo" as people type it.
        value = "https://" + value
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise RepoURLError(f"Not a valid URL ({exc}).") from exc
    scheme = parts.scheme.lower()
    if scheme not in {allowed.scheme for allowed in allowed_hosts()}:
        raise RepoURLError(f"The '{scheme}:' scheme is not allowed; use an https URL.")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise RepoURLError(
            "User names, passwords or tokens inside the URL are not allowed; "
            "only public repositories can be documented."
        )
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise RepoURLError("The URL has no host.")
    bare_host = host.removeprefix("www.")
    match = _match_host(scheme, bare_host, host, port)
    segments = _repo_segments(parts.path)
    if bare_host in CASE_INSENSITIVE_HOSTS:
        segments = [segment.lower() for segment in segments]
    return f"{match.scheme}://{match.netloc}/" + "/".join(segments)


def _match_host(scheme: str, bare_host: str, host: str, port: int | None) -> AllowedHost:
    hosts = allowed_hosts()
    for allowed in hosts:
        if allowed.host in (bare_host, host) and allowed.scheme == scheme and allowed.port == port:
            return allowed
    same_host = [a for a in hosts if a.host in (bare_host, host)]
    if not same_host:
        raise RepoURLError(
            f"The host '{host}' is not allowed. Allowed hosts: "
            + ", ".join(f"{a.scheme}://{a.netloc}" for a in hosts)
            + "."
        )
    if scheme not in {a.scheme for a in same_host}:
        allowed_schemes = ", ".join(sorted({a.scheme for a in same_host}))
        raise RepoURLError(
            f"The '{scheme}:' scheme is not allowed for {host}; use {allowed_schemes}."
        )
    raise RepoURLError(
        f"Port {port} is not allowed for {host}." if port else f"{host} needs a port."
    )


def _repo_segments(path: str) -> list[str]:
    if "%" in path:
        raise RepoURLError("Percent-encoded characters are not allowed in the repository path.")
    if "\\" in path:
        raise RepoURLError("Backslashes are not allowed in the repository path.")
    raw = [segment for segment in path.split("/") if segment]
    segments: list[str] = []
    for segment in raw:
        if segment in WEB_VIEW_MARKERS and len(segments) >= 2:
            break  # /tree/<branch>/…, /-/blob/…: a page of the repository, not its root
        segments.append(segment)
    if segments:
        segments[-1] = segments[-1].removesuffix(".git")
    if len(segments) < 2 or not all(segments):
        raise RepoURLError("The URL must name a repository as owner/name (two path segments).")
    for segment in segments:
        if segment in {".", ".."} or not SEGMENT_RE.match(segment):
            raise RepoURLError(f"The path segment '{segment}' is not a valid owner or name.")
    return segments


def _normalize_local_path(value: str) -> str:
    if not settings.CODEWIKI_ALLOW_LOCAL_REPOS:
        raise RepoURLError(
            "Local paths are not allowed here (set CODEWIKI_ALLOW_LOCAL_REPOS=1 to enable them)."
        )
    path = os.path.normpath(value)
    if not os.path.isdir(path):
        raise RepoURLError(f"The local path '{path}' is not a directory.")
    if not (
        os.path.isdir(os.path.join(path, ".git")) or os.path.isfile(os.path.join(path, "HEAD"))
    ):
        raise RepoURLError(f"The local path '{path}' is not a git repository.")
    return path


def ref_name_problem(value: str) -> str | None:
    """Why ``value`` is not a safe git branch or tag name, or None if it is one.

    The one check for every ref this service accepts (submissions, tracked branches,
    stable links): git's ref-name rules, narrowed to characters that need no quoting.
    """
    if not value:
        return "A ref name may not be empty."
    if len(value) > 255:
        return "A ref name may be at most 255 characters."
    if value.startswith("-"):
        return "May not start with '-'."
    if CONTROL_RE.search(value):
        return "Contains spaces or control characters."
    components = value.split("/")
    if (
        not REF_CHARS_RE.match(value)
        or ".." in value
        or "@{" in value
        or value.endswith(".")
        # Also catches "//" and a leading or trailing "/": they leave an empty component.
        or any(not c or c.startswith(".") or c.endswith(".lock") for c in components)
    ):
        return (
            "Not a commit (4 to 40 hexadecimal characters) or a safe branch or tag name "
            "(letters, digits, '.', '_', '-', '/')."
        )
    return None


def normalize_commit(raw: str | None) -> str:
    """Return the commit or ref to document ('' for the default branch) or raise."""
    value = (raw or "").strip()
    if not value:
        return ""
    _reject_common(value, "commit_id")
    if HEX_RE.match(value):
        return value.lower()
    problem = ref_name_problem(value)
    if problem is not None:
        raise RepoURLError(problem, "commit_id")
    return value


def is_full_sha(value: str) -> bool:
    return bool(FULL_SHA_RE.match(value))


def is_local(canonical_url: str) -> bool:
    return canonical_url.startswith("/")


def display_name(canonical_url: str) -> str:
    """``owner/name`` for hosted repositories, the folder name for local ones."""
    if is_local(canonical_url):
        return os.path.basename(canonical_url.rstrip("/")) or canonical_url
    path = urlsplit(canonical_url).path.strip("/")
    return path


def web_url(canonical_url: str) -> str | None:
    """A link a browser can open, or None for local and git:// repositories."""
    if is_local(canonical_url) or not canonical_url.startswith(("https://", "http://")):
        return None
    return canonical_url


def slug(canonical_url: str) -> str:
    """A filesystem- and URL-safe name for the repository, unique per canonical URL."""
    if is_local(canonical_url):
        readable = "local--" + display_name(canonical_url)
    else:
        parts = urlsplit(canonical_url)
        readable = "--".join([parts.netloc, *parts.path.strip("/").split("/")])
    readable = re.sub(r"[^a-z0-9._-]+", "-", readable.lower()).strip("-.") or "repo"
    if len(readable) > 80 or is_local(canonical_url) or canonical_url.lower() != canonical_url:
        digest = hashlib.sha256(canonical_url.encode()).hexdigest()[:8]
        readable = f"{readable[:70]}-{digest}"
    return readable
