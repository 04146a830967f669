"""A small client for OpenAI-compatible chat-completions endpoints, on the stdlib alone.

Hosted APIs, Ollama, vLLM, llama.cpp's server and LiteLLM all answer
``POST {base_url}/chat/completions``. This module speaks that protocol and classifies what
goes wrong, so the prose step can decide per module: 429 (honouring ``Retry-After``), 5xx
and refused connections are retried with backoff here; a timeout, a malformed or truncated
answer and a context-length error are raised as a ``ModelError`` with a ``kind`` the caller
acts on. The API key goes into one request header and nowhere else: it is not in any error
message, ``repr`` or log line.
"""

from __future__ import annotations

import email.utils
import json
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, NoReturn

MAX_RESPONSE_BYTES = 4 * 1024 * 1024
_CONTEXT_ERROR = re.compile(
    r"context[_ ]length|context window|maximum context|too many tokens|prompt is too long"
    r"|exceeds? the (?:model's )?(?:context|maximum)",
    re.IGNORECASE,
)
_FORMAT_ERROR = re.compile(r"response_format|json_schema", re.IGNORECASE)

# How the answer's shape is requested: OpenAI's json_schema (OpenAI, vLLM, LiteLLM, Ollama),
# llama-cpp-python's json_object with a schema, or nothing (the prompt asks for JSON).
FORMAT_MODES = ("json_schema", "json_object", "none")


class ModelError(Exception):
    """A model call that did not produce a usable answer; ``kind`` says why.

    Kinds: ``timeout``, ``rate_limited``, ``server_error``, ``unreachable``, ``refused``
    (another 4xx), ``context_length``, ``malformed``, ``truncated``, ``stopped``.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class ChatSettings:
    base_url: str
    model: str
    api_key: str = field(default="", repr=False)
    timeout: float = 120.0  # seconds for one request, answer included
    retries: int = 3  # further attempts after a 429, a 5xx or a refused connection
    backoff: float = 2.0  # first retry delay; doubles per attempt
    max_wait: float = 60.0  # longest Retry-After honoured; a longer one gives up


@dataclass
class ChatAnswer:
    text: str
    finish_reason: str
    tokens_in: int
    tokens_out: int


class Stop:
    """Cooperative stop for model calls: cancellation and the job's deadline."""

    def __init__(self, deadline: float | None = None) -> None:
        self.event = threading.Event()
        self.deadline = deadline  # time.monotonic() value, or None
        self.reason = ""

    def set(self, reason: str) -> None:
        if not self.event.is_set():
            self.reason = reason
            self.event.set()

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def check(self) -> None:
        left = self.remaining()
        if left is not None and left <= 0:
            self.set("the job's time limit was reached")
        if self.event.is_set():
            raise ModelError("stopped", f"Model calls stopped: {self.reason}")

    def sleep(self, seconds: float) -> None:
        left = self.remaining()
        if left is not None and seconds >= left:
            self.set("the job's time limit was reached")
        elif self.event.wait(max(0.0, seconds)):
            pass
        self.check()


def endpoint(base_url: str) -> str:
    """``…/v1`` → ``…/v1/chat/completions``; a full endpoint URL is kept as it is."""
    url = base_url.strip().rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    return url + "/chat/completions"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class ChatClient:
    def __init__(self, settings: ChatSettings, stop: Stop | None = None) -> None:
        self.settings = settings
        self.stop = stop or Stop()
        self.url = endpoint(settings.base_url)
        if not self.url.startswith(("http://", "https://")):
            raise ValueError("the model endpoint must be an http:// or https:// URL")
        self.format_mode = FORMAT_MODES[0]
        self._format_lock = threading.Lock()
        self.retried = 0  # requests repeated after a 429, 5xx or refused connection
        self.requests = 0  # requests sent
        self._count_lock = threading.Lock()

    def complete(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int,
        schema: dict[str, Any] | None = None,
    ) -> ChatAnswer:
        """One chat completion, retried on 429/5xx; raises ``ModelError`` otherwise."""
        attempt = 0
        while True:
            self.stop.check()
            mode = self.format_mode if schema is not None else "none"
            body = self._body(messages, max_tokens, schema, mode)
            with self._count_lock:
                self.requests += 1
            try:
                return self._post(body)
            except _Retryable as exc:
                if attempt >= self.settings.retries:
                    raise ModelError(exc.kind, exc.message) from None
                delay = self.settings.backoff * 2**attempt
                if exc.retry_after is not None:
                    if exc.retry_after > self.settings.max_wait:
                        raise ModelError(
                            exc.kind,
                            f"{exc.message}; the server asked to wait {exc.retry_after:g} s",
                        ) from None
                    delay = exc.retry_after
                attempt += 1
                self.retried += 1
                self.stop.sleep(delay)
            except _FormatRefused as exc:
                # The server does not take this way of asking for JSON: try the next one
                # (for every later call too), without counting it as a failure.
                with self._format_lock:
                    if self.format_mode == mode and mode != FORMAT_MODES[-1]:
                        self.format_mode = FORMAT_MODES[FORMAT_MODES.index(mode) + 1]
                    elif self.format_mode == mode:
                        raise ModelError("refused", exc.message) from None

    def _body(
        self,
        messages: list[dict[str, str]],
        max_tokens: int,
        schema: dict[str, Any] | None,
        mode: str,
    ) -> bytes:
        payload: dict[str, Any] = {
            "model": self.settings.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0,
            "stream": False,
        }
        if schema is not None and mode == "json_schema":
            payload["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "codewiki_prose", "schema": schema},
            }
        elif schema is not None and mode == "json_object":
            payload["response_format"] = {"type": "json_object", "schema": schema}
        return json.dumps(payload).encode()

    def _post(self, body: bytes) -> ChatAnswer:
        timeout = self.settings.timeout
        left = self.stop.remaining()
        if left is not None:
            timeout = min(timeout, max(left, 0.1))
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.settings.api_key:
            headers["Authorization"] = f"Bearer {self.settings.api_key}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw = _read_limited(response, started, timeout)
        except urllib.error.HTTPError as exc:
            self._raise_http_error(exc, started, timeout)
        except TimeoutError:
            self.stop.check()  # the deadline, not the server, may have cut it short
            raise ModelError(
                "timeout", f"No answer within {timeout:g} s (CODEWIKI_LLM_TIMEOUT)"
            ) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                self.stop.check()
                raise ModelError(
                    "timeout", f"No answer within {timeout:g} s (CODEWIKI_LLM_TIMEOUT)"
                ) from None
            raise _Retryable("unreachable", f"Model server unreachable: {exc.reason}") from None
        except (ConnectionError, OSError) as exc:
            raise _Retryable("unreachable", f"Model server unreachable: {exc}") from None
        return parse_answer(raw)

    def _raise_http_error(
        self, exc: urllib.error.HTTPError, started: float, timeout: float
    ) -> NoReturn:
        try:
            detail = _error_detail(_read_limited(exc, started, timeout))
        except (TimeoutError, OSError, ModelError):
            detail = ""
        status = exc.code
        where = f"HTTP {status}" + (f": {detail}" if detail else "")
        if status == 429:
            raise _Retryable(
                "rate_limited",
                f"Rate limited ({where})",
                parse_retry_after(exc.headers.get("Retry-After")),
            )
        if _FORMAT_ERROR.search(detail) and status in (400, 422, 500):
            raise _FormatRefused(where)
        if _CONTEXT_ERROR.search(detail):
            raise ModelError("context_length", f"The input is too long for the model ({where})")
        if status >= 500:
            raise _Retryable("server_error", f"Model server error ({where})")
        raise ModelError("refused", f"The model server refused the request ({where})")


class _Retryable(Exception):
    def __init__(self, kind: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retry_after = retry_after


class _FormatRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _read_limited(response: Any, started: float, timeout: float) -> bytes:
    """The body, refusing one that keeps trickling past the timeout or grows too large."""
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() - started > timeout:
            raise TimeoutError
        chunk = response.read(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise ModelError("malformed", "The model server's answer is too large")
        chunks.append(chunk)


def _error_detail(raw: bytes) -> str:
    """The server's own error message, short and on one line."""
    text = raw.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            text = str(err.get("message") or err.get("code") or err)
            code = err.get("code")
            if isinstance(code, str) and code not in text:
                text = f"{code}: {text}"
        else:
            text = str(err)
    return " ".join(text.split())[:300]


def parse_answer(raw: bytes) -> ChatAnswer:
    """The first choice's text, finish reason and token usage; malformed bodies raise."""
    try:
        data = json.loads(raw.decode("utf-8"))
        choice = data["choices"][0]
        message = choice.get("message") or {}
        text = message.get("content")
        finish = str(choice.get("finish_reason") or "")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        raise ModelError("malformed", "The answer is not a chat completion") from None
    if not isinstance(text, str):
        raise ModelError("malformed", "The model's answer has no text")
    usage = data.get("usage") if isinstance(data, dict) else None
    usage = usage if isinstance(usage, dict) else {}
    return ChatAnswer(
        text=text,
        finish_reason=finish,
        tokens_in=_int(usage.get("prompt_tokens")),
        tokens_out=_int(usage.get("completion_tokens")),
    )


def _int(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0
