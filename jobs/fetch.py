"""Talking to remote repositories: resolve a commit without cloning, then a shallow fetch.

Every git call goes through ``_git`` so the hardening (no prompts, no remote
helpers, a hard timeout) is applied in one place. Errors are sorted into
permanent ones (the repository or commit does not exist) and transient ones
(network trouble, timeouts) that the worker retries with backoff.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path

from git import Repo
from git.cmd import Git
from git.exc import GitCommandError, GitCommandNotFound

from jobs import git_credentials
from jobs.job_process import parent_death_signal
from jobs.repo_urls import is_full_sha, is_local

TIMED_OUT = 124  # coreutils timeout's exit status when the time limit passed

TRANSIENT_MARKERS = (
    "could not resolve host",
    "connection refused",
    "connection reset",
    "connection timed out",
    "operation timed out",
    "early eof",
    "remote end hung up",
    "rpc failed",
    "unable to access",
    "the requested url returned error: 5",
    "temporary failure",
    "network is unreachable",
    "no route to host",
)
NOT_FOUND_MARKERS = (
    "repository not found",
    "not found",
    "does not appear to be a git repository",
    "no such repository",
    "not exported",
    "the requested url returned error: 404",
    "the requested url returned error: 403",
)
AUTH_MARKERS = (
    "authentication failed",
    "could not read username",
    "could not read password",
    "the requested url returned error: 401",
    "invalid username or password",
)
MISSING_REF_MARKERS = (
    "couldn't find remote ref",
    "not our ref",
    "unadvertised object",
    "no such remote ref",
    "did not match any",
)


class FetchError(Exception):
    """A git operation failed; ``message`` is what the job records."""

    transient = False

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class TransientFetchError(FetchError):
    transient = True


class FetchTimeout(TransientFetchError):
    pass


class RepositoryNotFound(FetchError):
    pass


class CommitNotFound(FetchError):
    pass


class AuthenticationFailed(FetchError):
    """Wrong, expired or missing credential: permanent, retrying cannot help."""


@dataclass(frozen=True)
class ResolvedRef:
    sha: str
    ref: str  # what to fetch: a full ref name, or the sha itself


def _git_env() -> dict[str, str]:
    # No credential prompts (a private repository fails instead of hanging), no
    # system or user config that could add helpers, and LFS pointers stay pointers.
    return {
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "/bin/false",
        "SSH_ASKPASS": "/bin/false",
        "GCM_INTERACTIVE": "never",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_LFS_SKIP_SMUDGE": "1",
        "GIT_PROTOCOL_FROM_USER": "0",
        # Tracing could print the Authorization header of a private fetch (git
        # redacts it by default; GIT_TRACE_REDACT keeps that default on).
        "GIT_TRACE": "0",
        "GIT_TRACE_CURL": "0",
        "GIT_TRACE_PACKET": "0",
        "GIT_TRACE_REDACT": "1",
    }


def _protocol_config(url: str) -> list[str]:
    file_allowed = "always" if is_local(url) else "never"
    return [
        "-c", "protocol.allow=never",
        "-c", "protocol.https.allow=always",
        "-c", "protocol.http.allow=always",
        "-c", "protocol.git.allow=always",
        "-c", f"protocol.file.allow={file_allowed}",
        "-c", "core.hooksPath=/dev/null",
        "-c", "http.lowSpeedLimit=1000",
        "-c", "http.lowSpeedTime=60",
        # No credential helper may store or supply anything; only our askpass answers.
        "-c", "credential.helper=",
    ]  # fmt: skip


def uses_credential(url: str) -> bool:
    """Whether a configured credential applies to ``url``: until ``needs_credential`` has
    asked, its docs are taken to be private."""
    return git_credentials.for_url(url) is not None


def needs_credential(url: str, *, timeout: float) -> bool:
    """Whether ``url`` is a private repository: a credential applies to it and git cannot
    list its refs without one. A host-wide token (kept for an organisation's repositories,
    or against rate limits) does not make the host's public repositories private.

    Asked anonymously: any lasting refusal (401, 403, or "not found", which is how GitHub
    answers strangers about private repositories) means private, and the fetch with the
    credential then says what is really wrong, if anything. A failure that may pass (the
    host unreachable, a time-out) is raised, as for a fetch."""
    if not uses_credential(url):
        return False
    try:
        _git(
            ["ls-remote", "--", url, "HEAD"],
            url=url, timeout=timeout, what="checking access to", use_credential=False,
        )  # fmt: skip
    except FetchError as exc:
        if exc.transient:
            raise
        return True
    return False


def _bounded(timeout: float) -> list[str]:
    """Run under coreutils ``timeout``, in a process group of its own.

    git starts helpers (``git-remote-http``, ``index-pack``) that a kill of git
    alone would orphan. ``timeout`` stops the whole group at the time limit, and
    also as soon as the calling process dies, even by SIGKILL: the kernel sends it
    SIGTERM then (``parent_death_signal``), which it passes on to the group.
    """
    if shutil.which("timeout") is None:
        return []  # GitPython's own time limit still applies
    return ["timeout", "--signal=TERM", "--kill-after=5", f"{timeout:.3f}"]


def _git(
    args: list[str],
    *,
    url: str,
    timeout: float,
    cwd: Path | None = None,
    what: str,
    use_credential: bool = True,
) -> str:
    command = [*_bounded(timeout), "git", *_protocol_config(url), *args]
    env = _git_env()
    credential = git_credentials.for_url(url) if use_credential else None
    if credential is not None:
        env.update(git_credentials.git_env(credential))
    try:
        return Git(str(cwd) if cwd else None).execute(
            command,
            # A backstop: ``timeout`` ends git first, group and all.
            kill_after_timeout=timeout + 30,
            env=env,
            with_extended_output=False,
            preexec_fn=parent_death_signal(signal.SIGTERM),
        )
    except GitCommandNotFound as exc:
        raise FetchError("git is not installed on this worker", str(exc)) from exc
    except GitCommandError as exc:
        # git echoes server messages ("remote: …"): a hostile or chatty server could
        # send the token back, so nothing from stderr is kept unredacted.
        stderr = git_credentials.redact((exc.stderr or "").strip())
        if exc.status == TIMED_OUT:
            stderr = f"timeout: the command ran longer than {timeout:g} s\n{stderr}"
        error = classify_git_error(
            stderr, url=url, timeout=timeout, what=what, credential=credential
        )
        # The chained GitCommandError would carry the raw stderr into tracebacks.
        raise error from None


def classify_git_error(
    stderr: str,
    *,
    url: str,
    timeout: float,
    what: str,
    credential: git_credentials.Credential | None = None,
) -> FetchError:
    text = stderr.lower()
    if "timeout: the command" in text:
        return FetchTimeout(f"Timed out after {timeout:g} s {what} {url}", stderr)
    first_line = _first_meaningful_line(stderr)
    if any(marker in text for marker in AUTH_MARKERS) or (
        credential is not None and "the requested url returned error: 403" in text
    ):
        host = git_credentials.host_of(url)
        if credential is not None:
            return AuthenticationFailed(
                f"Authentication failed for host {host}: check the credential for "
                f"{credential.prefix} (user {credential.username}) — it may be wrong, "
                "expired or lack read access to this repository",
                stderr,
            )
        return AuthenticationFailed(
            f"Authentication failed for host {host}: the repository is private or does not "
            f"exist, and {git_credentials.describe_missing(url)}",
            stderr,
        )
    if any(marker in text for marker in MISSING_REF_MARKERS):
        return CommitNotFound(f"Commit or branch not found in repository: {first_line}", stderr)
    if any(marker in text for marker in TRANSIENT_MARKERS):
        return TransientFetchError(f"Failed to clone repository: {first_line}", stderr)
    if any(marker in text for marker in NOT_FOUND_MARKERS):
        return RepositoryNotFound("Repository not found", stderr)
    return FetchError(f"Failed to clone repository: {first_line}", stderr)


def _first_meaningful_line(stderr: str) -> str:
    for raw in stderr.splitlines():
        line = raw.strip().strip("'\" ")
        if not line or line.startswith("cmdline:"):
            continue
        while True:  # GitPython wraps git's "fatal: ..." as "stderr: 'fatal: ...'"
            stripped = re.sub(r"^(stderr:|fatal:|error:|remote:)\s*", "", line).strip("'\" ")
            if stripped == line:
                break
            line = stripped
        if line:
            return line[:300]
    return "git exited with an error"


def resolve_commit(
    url: str, commit: str, *, timeout: float, use_credential: bool = True
) -> ResolvedRef:
    """Find the sha to document without cloning.

    A full sha needs no network. Otherwise ``git ls-remote`` lists the remote's
    refs: no commit means the default branch (HEAD); a name is matched as a
    branch, then a tag (peeled). An abbreviated sha cannot be resolved remotely;
    it is returned as-is and resolved after the fetch. ``use_credential``: False
    for a public repository, which is never sent a token.
    """
    if is_full_sha(commit):
        return ResolvedRef(sha=commit, ref=commit)
    output = _git(
        ["ls-remote", "--", url],
        url=url, timeout=timeout, what="listing the refs of", use_credential=use_credential,
    )  # fmt: skip
    refs: dict[str, str] = {}
    for line in output.splitlines():
        sha, _, name = line.partition("\t")
        if sha and name:
            refs[name.strip()] = sha.strip()
    if not commit:
        if "HEAD" in refs:
            return ResolvedRef(sha=refs["HEAD"], ref="HEAD")
        if not refs:
            raise RepositoryNotFound("Repository not found (it has no branches)")
        name, sha = sorted(refs.items())[0]
        return ResolvedRef(sha=sha, ref=name)
    for name in (f"refs/heads/{commit}", f"refs/tags/{commit}^{{}}", f"refs/tags/{commit}"):
        if name in refs:
            return ResolvedRef(sha=refs[name], ref=name.removesuffix("^{}"))
    if re.fullmatch(r"[0-9a-f]{4,39}", commit):
        return ResolvedRef(sha="", ref=commit)
    raise CommitNotFound(f"Branch or tag '{commit}' not found in {url}")


def shallow_fetch(
    url: str,
    resolved: ResolvedRef,
    dest: Path,
    *,
    depth: int,
    timeout: float,
    use_credential: bool = True,
) -> str:
    """Materialise ``resolved`` into ``dest`` and return the checked-out sha.

    A repository is initialised and exactly one ref is fetched at ``depth`` (a
    given commit alone at depth 1), which is a single-branch shallow clone
    without downloading any other branch. An abbreviated sha is the one case
    that needs history: the default branch is fetched in full (blobs lazily)
    and the prefix resolved there. ``use_credential`` as for ``resolve_commit``.
    """
    dest.mkdir(parents=True, exist_ok=True)
    repo = Repo.init(dest)
    with repo.config_writer() as config:
        config.set_value("core", "symlinks", "true")
        config.set_value("advice", "detachedHead", "false")
    repo.create_remote("origin", url)
    what = "cloning"
    if resolved.sha or is_full_sha(resolved.ref):
        fetch_depth = 1 if is_full_sha(resolved.ref) else max(depth, 1)
        _git(
            ["fetch", "--no-tags", f"--depth={fetch_depth}", "origin", resolved.ref],
            url=url, timeout=timeout, cwd=dest, what=what, use_credential=use_credential,
        )  # fmt: skip
        target = "FETCH_HEAD"
    else:
        _git(
            ["fetch", "--no-tags", "--filter=blob:none", "origin", "HEAD"],
            url=url, timeout=timeout, cwd=dest, what=what, use_credential=use_credential,
        )  # fmt: skip
        try:
            target = repo.git.rev_parse("--verify", "--quiet", f"{resolved.ref}^{{commit}}")
        except GitCommandError as exc:
            raise CommitNotFound(
                f"Commit '{resolved.ref}' not found on the default branch of {url}"
            ) from exc
    # Not always local: after a partial fetch (blob:none) it fetches the blobs it needs.
    _git(
        ["checkout", "--quiet", "--detach", target],
        url=url, timeout=timeout, cwd=dest, what=what, use_credential=use_credential,
    )  # fmt: skip
    sha = repo.head.commit.hexsha
    # The clone's .git is not documentation input; dropping it keeps the
    # generator from walking packfiles and frees disk early.
    _remove_git_dir(dest)
    return sha


def _remove_git_dir(dest: Path) -> None:
    git_dir = dest / ".git"
    if git_dir.is_dir() and not git_dir.is_symlink():
        shutil.rmtree(git_dir, ignore_errors=True)
    elif git_dir.exists():
        os.unlink(git_dir)
