"""Shared fixtures: an isolated output folder per test, real git servers, real workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection

from tests.support.gitserve import (
    GitDaemon,
    HangingServer,
    SmartHTTPServer,
    commit,
    git,
    init_repo,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# live_server runs in a thread while sync Playwright holds an event loop in the
# test thread; Django's async-safety check would refuse the ORM calls otherwise.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright never downloads a browser here
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

SAMPLE_FILES: dict[str, str] = {
    "README.md": "# Sample\n\nA tiny sample project used by the tests.\n",
    "sample/__init__.py": '"""The sample package."""\n',
    "sample/core.py": (
        '"""Core logic."""\n\n\n'
        "class Greeter:\n"
        '    """Says hello."""\n\n'
        "    def greet(self, name: str) -> str:\n"
        '        """Return a greeting."""\n'
        '        return f"Hello, {name}"\n\n\n'
        "def main() -> None:\n"
        '    print(Greeter().greet("world"))\n'
    ),
}


def wait_for(
    predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.1, what: str = ""
) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(interval)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(autouse=True)
def output_dir(settings: Any, tmp_path: Path) -> Path:
    """Every test gets its own docs/temp folders."""
    path = tmp_path / "output"
    path.mkdir()
    settings.CODEWIKI_OUTPUT_DIR = path
    return path


# --- git servers ----------------------------------------------------------------


@pytest.fixture(scope="session")
def served_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("served-repos")


@pytest.fixture(scope="session")
def git_daemon(served_root: Path) -> Iterator[GitDaemon]:
    daemon = GitDaemon(served_root)
    yield daemon
    daemon.stop()


@pytest.fixture(scope="session")
def http_git(served_root: Path) -> Iterator[SmartHTTPServer]:
    server = SmartHTTPServer(served_root)
    yield server
    server.stop()


class GitServer:
    """Makes repositories under the served folder and hands out their URLs."""

    def __init__(self, root: Path, daemon: GitDaemon, http: SmartHTTPServer) -> None:
        self.root = root
        self.daemon = daemon
        self.http = http

    def _unique(self, name: str) -> str:
        owner, _, repo = name.partition("/")
        candidate = name if repo else f"{owner}/repo"
        while (self.root / candidate).exists():
            candidate = f"{owner}-{uuid.uuid4().hex[:6]}/{repo or 'repo'}"
        return candidate

    def make_repo(
        self,
        name: str = "owner/repo",
        files: Mapping[str, str | bytes] | None = None,
        *,
        slow: float = 0.0,
        http: bool = False,
        token: str = "",
    ) -> str:
        """Create and serve a repository; returns its URL (git:// unless http or slow).

        ``slow`` makes the HTTP server wait that many seconds before sending the
        pack, which keeps a job in its clone step long enough to act on it.
        ``token`` makes it private: served over HTTP to basic auth with that password
        only (the git daemon would serve it to anyone, so it is not used for these).
        """
        name = self._unique(name)
        init_repo(self.root / name, SAMPLE_FILES if files is None else files)
        if slow:
            self.http.delays[name] = slow
        if token:
            self.http.tokens[name] = token
        return self.http.url(name) if (http or slow or token) else self.daemon.url(name)

    def make_slow_repo(self, name: str = "owner/slow", seconds: float = 5.0) -> str:
        return self.make_repo(name, slow=seconds)

    def path(self, url: str) -> Path:
        return self.root / url.split("/", 3)[3]

    def commit(self, url: str, files: Mapping[str, str | bytes], message: str = "Update") -> str:
        return commit(self.path(url), files, message)

    def head(self, url: str) -> str:
        return git("rev-parse", "HEAD", cwd=self.path(url))


@pytest.fixture
def git_server(
    settings: Any, served_root: Path, git_daemon: GitDaemon, http_git: SmartHTTPServer
) -> GitServer:
    settings.CODEWIKI_REPO_HOSTS = [
        *django_settings.CODEWIKI_REPO_HOSTS,
        git_daemon.host_entry,
        http_git.host_entry,
    ]
    return GitServer(served_root, git_daemon, http_git)


@pytest.fixture
def hanging_server(settings: Any) -> Iterator[HangingServer]:
    server = HangingServer()
    settings.CODEWIKI_REPO_HOSTS = [*settings.CODEWIKI_REPO_HOSTS, server.host_entry]
    yield server
    server.stop()


# --- worker subprocesses ----------------------------------------------------------


def database_url() -> str:
    """The URL of the database this test runs against, for subprocesses."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def subprocess_env(settings: Any, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for a manage.py subprocess that sees this test's database and settings."""
    names = [
        "CODEWIKI_OUTPUT_DIR",
        "CODEWIKI_LEASE_SECONDS",
        "CODEWIKI_JOB_TIMEOUT",
        "CODEWIKI_CLONE_TIMEOUT",
        "CODEWIKI_CLONE_DEPTH",
        "CODEWIKI_MAX_ATTEMPTS",
        "CODEWIKI_RETRY_BACKOFF_SECONDS",
        "CODEWIKI_SHUTDOWN_GRACE_SECONDS",
        "CODEWIKI_CACHE_EXPIRY_DAYS",
        "CODEWIKI_GIT_CREDENTIALS",
    ]
    env = {**os.environ, "DATABASE_URL": database_url(), "PYTHONUNBUFFERED": "1"}
    env.update({name: str(getattr(settings, name)) for name in names})
    env["CODEWIKI_REPO_HOSTS"] = ",".join(settings.CODEWIKI_REPO_HOSTS)
    env.update(extra or {})
    return env


class WorkerProcess:
    """A ``manage.py runworker`` subprocess with its log in a file."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("w")
        self.popen = subprocess.Popen(
            [sys.executable, str(BASE_DIR / "manage.py"), "runworker", *args],
            cwd=BASE_DIR,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.pid = self.popen.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def signal(self, signum: int) -> None:
        self.popen.send_signal(signum)

    def wait(self, timeout: float = 30) -> int:
        return self.popen.wait(timeout=timeout)

    def poll(self) -> int | None:
        return self.popen.poll()

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)
        self._log.close()


@pytest.fixture
def worker_process(
    transactional_db: None, settings: Any, tmp_path: Path
) -> Iterator[Callable[..., WorkerProcess]]:
    """Start real ``runworker`` processes against the test database; stopped at teardown."""
    started: list[WorkerProcess] = []

    def start(*args: str, env: Mapping[str, str] | None = None) -> WorkerProcess:
        argv = list(args)
        if "--interval" not in argv:
            argv += ["--interval", "0.2"]
        log_path = tmp_path / f"worker-{len(started)}.log"
        proc = WorkerProcess(argv, subprocess_env(settings, env), log_path)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()
