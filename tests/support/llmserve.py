"""Loopback HTTP servers that speak OpenAI's chat-completions protocol, for the prose tests.

``ScriptedModel`` answers from a script the test writes (status, headers, body, hangs), so
every failure a real endpoint can produce is reproducible. ``CountingProxy`` sits in front
of a real model server and records every request it forwards.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict -> JSON; str/bytes as is
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0  # seconds to wait before answering (the server's stop ends it)


def answer(
    content: str, *, finish_reason: str = "stop", tokens: tuple[int, int] = (50, 20)
) -> Reply:
    return Reply(
        body={
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "model": "scripted",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": tokens[0],
                "completion_tokens": tokens[1],
                "total_tokens": sum(tokens),
            },
        }
    )


def module_answer(
    what: str = "It greets people.", how: str = "`Greeter` builds a greeting."
) -> Reply:
    return answer(json.dumps({"what": what, "how": how}))


def overview_answer(what: str = "A sample project.") -> Reply:
    return answer(
        json.dumps({"what": what, "architecture": "One package.", "start_here": "Read the core."})
    )


def error(status: int, message: str, code: str = "", **headers: str) -> Reply:
    body: dict[str, Any] = {"error": {"message": message, "type": "error"}}
    if code:
        body["error"]["code"] = code
    return Reply(status=status, body=body, headers=headers)


@dataclass
class Seen:
    at: float
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def user(self) -> str:
        messages = self.body.get("messages") or []
        return " ".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")

    @property
    def is_overview(self) -> bool:
        system = " ".join(str(m.get("content", "")) for m in self.body.get("messages") or [])
        return '"start_here"' in system


Responder = Callable[[Seen, int], Reply]  # (request, how many requests matched before) -> reply


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class ScriptedModel:
    """A chat-completions endpoint whose answers come from ``responder``."""

    def __init__(self, responder: Responder | None = None) -> None:
        self.responder: Responder = responder or (
            lambda seen, n: overview_answer() if seen.is_overview else module_answer()
        )
        self.requests: list[Seen] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                seen = Seen(time.monotonic(), self.path, dict(self.headers.items()), body)
                with owner.lock:
                    owner.requests.append(seen)
                    count = len(owner.requests) - 1
                reply = owner.responder(seen, count)
                if reply.hang:
                    owner.stopping.wait(reply.hang)
                payload = reply.body
                if isinstance(payload, dict):
                    data = json.dumps(payload).encode()
                elif isinstance(payload, str):
                    data = payload.encode()
                else:
                    data = payload or b""
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name.replace("_", "-"), value)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (timeout, cancelled job)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()


class CountingProxy(ScriptedModel):
    """Forwards every request to a real server and keeps a record of each one."""

    def __init__(self, upstream: str, timeout: float = 300) -> None:
        def forward(seen: Seen, _count: int) -> Reply:
            request = urllib.request.Request(
                upstream.rstrip("/") + seen.path.removeprefix("/v1"),
                data=json.dumps(seen.body).encode(),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    return Reply(status=response.status, body=response.read())
            except urllib.error.HTTPError as exc:
                return Reply(status=exc.code, body=exc.read())

        super().__init__(forward)
