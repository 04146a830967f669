"""Real git repositories in temp folders, served over real protocols on loopback.

- ``GitDaemon``: ``git daemon`` (git:// protocol) exporting a folder of repositories.
- ``SmartHTTPServer``: ``git http-backend`` behind a tiny threaded HTTP server,
  with an optional per-repository delay so a test can keep a job busy cloning,
  and optional per-repository basic auth (a private repository and its token).
- ``HangingServer``: accepts connections and never answers.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import socket
import subprocess
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


def write_files(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``files`` (relative path → text or bytes) under ``root``; returns ``root``."""
    for relpath, content in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def init_repo(path: Path, files: Mapping[str, str | bytes], branch: str = "main") -> str:
    """Create a repository with one commit of ``files``; return its sha."""
    path.mkdir(parents=True, exist_ok=True)
    git("init", "--quiet", f"--initial-branch={branch}", cwd=path)
    # Served repositories must allow fetching any commit by sha (as GitHub does).
    git("config", "uploadpack.allowAnySHA1InWant", "true", cwd=path)
    git("config", "http.receivepack", "false", cwd=path)
    return commit(path, files, "Initial commit")


def commit(path: Path, files: Mapping[str, str | bytes], message: str = "Update") -> str:
    write_files(path, files)
    git("add", "--all", cwd=path)
    git("commit", "--quiet", "--allow-empty", "-m", message, cwd=path)
    return git("rev-parse", "HEAD", cwd=path)


class GitDaemon:
    """``git daemon`` exporting every repository under ``root`` on a free loopback port."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                "git",
                "daemon",
                "--reuseaddr",
                "--export-all",
                "--informative-errors",
                f"--base-path={root}",
                "--listen=127.0.0.1",
                f"--port={self.port}",
                str(root),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    @property
    def host_entry(self) -> str:
        return f"git://127.0.0.1:{self.port}"

    def url(self, name: str) -> str:
        return f"{self.host_entry}/{name}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class _BackendHandler(BaseHTTPRequestHandler):
    server: SmartHTTPServer

    def do_GET(self) -> None:
        self._run_backend()

    def do_POST(self) -> None:
        self._run_backend()

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output quiet

    def _supplied_password(self) -> str | None:
        scheme, _, encoded = (self.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        self.server.auth_users.append(decoded.partition(":")[0])
        return decoded.partition(":")[2]

    def _refuse(self, supplied: str | None) -> None:
        # Like a careless real server, echo what was sent: git prints text/plain
        # error bodies as "remote: …", so a wrong token lands in git's stderr.
        payload = f"Bad credentials: {supplied}\n".encode() if supplied else b"Login required\n"
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="test"')
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _run_backend(self) -> None:
        path, _, query = self.path.partition("?")
        repo = path.strip("/").split("/info/")[0].split("/git-upload-pack")[0]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.headers.get("Authorization"):
            self.server.auth_repos.append(repo)
        token = self.server.tokens.get(repo)
        if token is not None:
            supplied = self._supplied_password()
            if supplied != token:
                self._refuse(supplied)
                return
        delay = self.server.delays.get(repo, 0.0)
        if delay and (b"command=fetch" in body or b"want " in body):
            time.sleep(delay)  # slow the pack transfer, not the ref listing
        env = {
            **os.environ,
            "GIT_PROJECT_ROOT": str(self.server.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": self.client_address[0],
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
        }
        result = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
        )
        head, _, payload = result.stdout.partition(b"\r\n\r\n")
        status = 200
        headers = []
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(payload)  # the client may have been killed meanwhile


class SmartHTTPServer(ThreadingHTTPServer):
    """Git's smart HTTP protocol over ``git http-backend`` on a free loopback port."""

    daemon_threads = True

    def __init__(self, root: Path) -> None:
        self.root = root
        self.delays: dict[str, float] = {}
        self.tokens: dict[str, str] = {}  # repository → the only password it accepts
        self.auth_users: list[str] = []  # user names sent with basic auth, for assertions
        self.auth_repos: list[str] = []  # the repository of each request that sent auth
        super().__init__(("127.0.0.1", free_port()), _BackendHandler)
        self.port = self.server_address[1]
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def host_entry(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, name: str) -> str:
        return f"{self.host_entry}/{name}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class HangingServer:
    """Accepts TCP connections and never sends a byte: the worst kind of remote."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections.append(conn)

    @property
    def host_entry(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._stopped.set()
        self.thread.join(timeout=2)
        for conn in self.connections:
            conn.close()
        self.sock.close()
