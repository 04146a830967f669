"""HTTPS tokens for private repositories, and keeping them out of everything we write.

Operators configure credentials outside the database: a file named by
``CODEWIKI_GIT_CREDENTIALS`` (re-read on every use, so a rotated token takes
effect without a restart) and/or ``CODEWIKI_GIT_CREDENTIAL_<ANY>`` environment
variables, each holding lines of::

    https://host[/owner[/name]] token
    https://user@host[/owner] token      # a user name other than the default

The longest matching prefix wins (``https://github.com/acme`` beats
``https://github.com``). Git receives the token through ``GIT_ASKPASS`` for the
one command that needs it: the token travels in that command's environment,
never in a URL, never in an argument ``ps`` shows, never in ``.git/config``.

``redact`` replaces every configured token in a text; logs, job rows, git's
error output and API answers go through it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)

REDACTED = "[REDACTED]"
ASKPASS = Path(__file__).resolve().parent / "bin" / "git-askpass"
# Tokens shorter than this are refused: redacting "ab" would mangle every text.
MIN_TOKEN_LENGTH = 8
# The user name hosts expect beside a token when the line gives none.
DEFAULT_USERNAMES = {"gitlab.com": "oauth2", "bitbucket.org": "x-token-auth"}
FALLBACK_USERNAME = "x-access-token"


@dataclass(frozen=True)
class Credential:
    scheme: str
    netloc: str  # host[:port], lower-case
    path: tuple[str, ...]  # owner prefix segments, lower-case; () for the whole host
    username: str
    token: str

    @property
    def prefix(self) -> str:
        """The configured prefix as operators wrote it (no token, no user name)."""
        return f"{self.scheme}://{self.netloc}" + "".join(f"/{part}" for part in self.path)

    @property
    def host(self) -> str:
        return self.netloc


class CredentialConfigError(ValueError):
    pass


def parse_line(line: str) -> Credential | None:
    """One configuration line, or None for blanks and comments; raises on a bad line."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    fields = text.split()
    if len(fields) != 2:
        raise CredentialConfigError("expected 'https://host[/owner] token'")
    prefix, token = fields
    parts = urlsplit(prefix)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise CredentialConfigError("the prefix must be an https:// URL with a host")
    if parts.password is not None:
        raise CredentialConfigError("put the token after the URL, not inside it")
    if len(token) < MIN_TOKEN_LENGTH:
        raise CredentialConfigError(f"the token is shorter than {MIN_TOKEN_LENGTH} characters")
    host = parts.hostname.lower().removeprefix("www.")
    netloc = f"{host}:{parts.port}" if parts.port else host
    path = tuple(segment.lower() for segment in parts.path.split("/") if segment)
    path = (*path[:-1], path[-1].removesuffix(".git")) if path else path
    username = parts.username or DEFAULT_USERNAMES.get(host, FALLBACK_USERNAME)
    return Credential(parts.scheme, netloc, path, username, token)


def _sources() -> list[tuple[str, str]]:
    """(where, text) pairs: the credentials file (read now) and the environment variables."""
    sources: list[tuple[str, str]] = []
    path = settings.CODEWIKI_GIT_CREDENTIALS
    if path:
        try:
            sources.append((str(path), Path(path).read_text(encoding="utf-8")))
        except OSError as exc:
            logger.error("Cannot read CODEWIKI_GIT_CREDENTIALS file %s: %s", path, exc.strerror)
    for name, value in sorted(settings.CODEWIKI_GIT_CREDENTIAL_VARS.items()):
        sources.append((name, value))
    return sources


_parsed: dict[tuple[str, str], list[Credential]] = {}


def load() -> list[Credential]:
    """Every configured credential; bad lines are logged (without their content) and skipped."""
    credentials: list[Credential] = []
    for where, text in _sources():
        key = (where, text)
        if key in _parsed:  # unchanged since last read: skip re-parsing and re-logging
            credentials.extend(_parsed[key])
            continue
        parsed: list[Credential] = []
        for number, line in enumerate(text.splitlines(), start=1):
            try:
                credential = parse_line(line)
            except CredentialConfigError as exc:
                logger.error("Ignoring line %d of %s: %s", number, where, exc)
                continue
            if credential is not None:
                parsed.append(credential)
        if len(_parsed) > 32:
            _parsed.clear()
        _parsed[key] = parsed
        credentials.extend(parsed)
    return credentials


def _url_key(url: str) -> tuple[str, str, tuple[str, ...]] | None:
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        return None
    host = parts.hostname.lower().removeprefix("www.")
    netloc = f"{host}:{parts.port}" if parts.port else host
    path = tuple(segment.lower() for segment in parts.path.split("/") if segment)
    return parts.scheme, netloc, path


def for_url(url: str, credentials: list[Credential] | None = None) -> Credential | None:
    """The credential for a canonical repository URL (longest prefix), or None."""
    key = _url_key(url)
    if key is None:
        return None
    scheme, netloc, path = key
    best: Credential | None = None
    for credential in load() if credentials is None else credentials:
        if credential.scheme != scheme or credential.netloc != netloc:
            continue
        if path[: len(credential.path)] != credential.path:
            continue
        if best is None or len(credential.path) > len(best.path):
            best = credential
    return best


def host_of(url: str) -> str:
    key = _url_key(url)
    return key[1] if key else url


def git_env(credential: Credential) -> dict[str, str]:
    """Environment for one git command: askpass answers from these two variables."""
    if not os.access(ASKPASS, os.X_OK):
        # A checkout that lost the executable bit (an archive, a copy): restore it, or
        # git could not ask and every private fetch would look like a bad token.
        with contextlib.suppress(OSError):
            os.chmod(ASKPASS, 0o755)
    return {
        "GIT_ASKPASS": str(ASKPASS),
        "CODEWIKI_GIT_USERNAME": credential.username,
        "CODEWIKI_GIT_PASSWORD": credential.token,
    }


def tokens() -> list[str]:
    return sorted({c.token for c in load()}, key=len, reverse=True)


def redact(text: str, secrets: list[str] | None = None) -> str:
    """``text`` with every configured token (and its URL-encoded form) replaced."""
    if not text:
        return text
    for token in tokens() if secrets is None else secrets:
        if token in text:
            text = text.replace(token, REDACTED)
    # Basic-auth headers and user:token@ URLs, whatever their token, if git ever prints one.
    text = re.sub(r"(?i)(authorization:\s*(?:basic|bearer|token)\s+)\S+", r"\1" + REDACTED, text)
    return re.sub(r"(://[^/\s:@]+:)[^@\s/]+@", r"\1" + REDACTED + "@", text)


class RedactingFilter(logging.Filter):
    """Logging filter: a record's final message has every configured token redacted."""

    _busy = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(self._busy, "active", False):
            return True  # a record logged while loading the credentials themselves
        try:
            message = record.getMessage()
        except Exception:
            return True
        self._busy.active = True
        try:
            cleaned = redact(message)
            if record.exc_info and record.exc_text is None:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = redact(record.exc_text)
        finally:
            self._busy.active = False
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def describe_missing(url: str) -> str:
    return (
        f"no credential is configured for {host_of(url)} "
        "(CODEWIKI_GIT_CREDENTIALS or CODEWIKI_GIT_CREDENTIAL_*)"
    )
