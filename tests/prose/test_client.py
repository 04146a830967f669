"""The chat-completions client against a loopback server with scripted answers."""

from __future__ import annotations

import time

import pytest

from jobs.docgen.prose.client import (
    ChatClient,
    ChatSettings,
    ModelError,
    Stop,
    endpoint,
    parse_retry_after,
)
from tests.support.llmserve import Reply, ScriptedModel, Seen, answer, error

MESSAGES = [{"role": "user", "content": "hello"}]
SCHEMA = {"type": "object", "properties": {"what": {"type": "string"}}}


def client_for(server: ScriptedModel, **kwargs: object) -> ChatClient:
    options: dict[str, object] = {"timeout": 5.0, "retries": 3, "backoff": 0.05}
    options.update(kwargs)
    stop = options.pop("stop", None)
    settings = ChatSettings(base_url=server.url, model="test-model", api_key="sk-k", **options)  # type: ignore[arg-type]
    return ChatClient(settings, stop)  # type: ignore[arg-type]


def test_answer_tokens_and_request_shape(scripted_model: ScriptedModel) -> None:
    scripted_model.responder = lambda seen, n: answer("hi", tokens=(12, 3))
    result = client_for(scripted_model).complete(MESSAGES, max_tokens=64, schema=SCHEMA)
    assert (result.text, result.finish_reason, result.tokens_in, result.tokens_out) == (
        "hi",
        "stop",
        12,
        3,
    )
    [seen] = scripted_model.requests
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["Authorization"] == "Bearer sk-k"
    assert seen.body["model"] == "test-model"
    assert seen.body["max_tokens"] == 64
    assert seen.body["temperature"] == 0
    assert seen.body["response_format"]["type"] == "json_schema"
    assert seen.body["response_format"]["json_schema"]["schema"] == SCHEMA


def test_429_waits_for_retry_after(scripted_model: ScriptedModel) -> None:
    def respond(seen: Seen, n: int) -> Reply:
        return error(429, "slow down", **{"Retry-After": "1"}) if n == 0 else answer("ok")

    scripted_model.responder = respond
    client = client_for(scripted_model)
    assert client.complete(MESSAGES, max_tokens=10).text == "ok"
    first, second = scripted_model.requests
    # Retry-After is a lower bound the client must honour (not a speed target).
    assert second.at - first.at >= 0.9
    assert client.retried == 1


def test_429_asking_for_too_long_a_wait_gives_up(scripted_model: ScriptedModel) -> None:
    scripted_model.responder = lambda seen, n: error(429, "quota", **{"Retry-After": "3600"})
    with pytest.raises(ModelError) as caught:
        client_for(scripted_model, max_wait=5).complete(MESSAGES, max_tokens=10)
    assert caught.value.kind == "rate_limited"
    assert "3600" in caught.value.message
    assert len(scripted_model.requests) == 1


def test_500_then_success_is_retried(scripted_model: ScriptedModel) -> None:
    scripted_model.responder = lambda seen, n: error(500, "boom") if n == 0 else answer("ok")
    client = client_for(scripted_model)
    assert client.complete(MESSAGES, max_tokens=10).text == "ok"
    assert len(scripted_model.requests) == 2


def test_5xx_retries_are_bounded(scripted_model: ScriptedModel) -> None:
    scripted_model.responder = lambda seen, n: error(503, "overloaded")
    with pytest.raises(ModelError) as caught:
        client_for(scripted_model, retries=2).complete(MESSAGES, max_tokens=10)
    assert caught.value.kind == "server_error"
    assert "503" in caught.value.message and "overloaded" in caught.value.message
    assert len(scripted_model.requests) == 3


def test_hanging_server_times_out(scripted_model: ScriptedModel) -> None:
    scripted_model.responder = lambda seen, n: Reply(hang=30, body=answer("late").body)
    with pytest.raises(ModelError) as caught:
        client_for(scripted_model, timeout=0.5).complete(MESSAGES, max_tokens=10)
    assert caught.value.kind == "timeout"
    assert len(scripted_model.requests) == 1  # a timeout is not retried


def test_malformed_bodies(scripted_model: ScriptedModel) -> None:
    for body in ("{not json", {"choices": []}, {"choices": [{"message": {"content": None}}]}):
        scripted_model.responder = lambda seen, n, body=body: Reply(body=body)
        with pytest.raises(ModelError) as caught:
            client_for(scripted_model).complete(MESSAGES, max_tokens=10)
        assert caught.value.kind == "malformed"


def test_context_length_error_is_classified(scripted_model: ScriptedModel) -> None:
    scripted_model.responder = lambda seen, n: error(
        400,
        "This model's maximum context length is 2048 tokens. However, you requested 3051",
        "context_length_exceeded",
    )
    with pytest.raises(ModelError) as caught:
        client_for(scripted_model).complete(MESSAGES, max_tokens=10)
    assert caught.value.kind == "context_length"
    assert len(scripted_model.requests) == 1


def test_unsupported_json_schema_falls_back_to_json_object(scripted_model: ScriptedModel) -> None:
    # llama-cpp-python answers 500 with a validation error for OpenAI's json_schema.
    def respond(seen: Seen, n: int) -> Reply:
        if seen.body.get("response_format", {}).get("type") == "json_schema":
            return error(500, "Input should be 'text' or 'json_object' (response_format.type)")
        return answer("{}")

    scripted_model.responder = respond
    client = client_for(scripted_model)
    client.complete(MESSAGES, max_tokens=10, schema=SCHEMA)
    client.complete(MESSAGES, max_tokens=10, schema=SCHEMA)
    kinds = [s.body["response_format"]["type"] for s in scripted_model.requests]
    assert kinds == ["json_schema", "json_object", "json_object"]  # learnt once
    assert scripted_model.requests[1].body["response_format"]["schema"] == SCHEMA


def test_refused_request_names_the_status_not_the_key(scripted_model: ScriptedModel) -> None:
    scripted_model.responder = lambda seen, n: error(401, "invalid api key")
    with pytest.raises(ModelError) as caught:
        client_for(scripted_model).complete(MESSAGES, max_tokens=10)
    assert caught.value.kind == "refused"
    assert "401" in str(caught.value)
    assert "sk-k" not in str(caught.value)
    assert "sk-k" not in repr(client_for(scripted_model).settings)


def test_unreachable_server() -> None:
    server = ScriptedModel()
    server.stop()
    client = ChatClient(ChatSettings(base_url=server.url, model="m", retries=1, backoff=0.01))
    with pytest.raises(ModelError) as caught:
        client.complete(MESSAGES, max_tokens=10)
    assert caught.value.kind == "unreachable"


def test_stop_ends_a_retry_wait_at_once(scripted_model: ScriptedModel) -> None:
    scripted_model.responder = lambda seen, n: error(429, "wait", **{"Retry-After": "30"})
    stop = Stop()
    client = client_for(scripted_model, stop=stop, max_wait=60)
    import threading

    threading.Timer(0.3, stop.set, args=("cancelled",)).start()
    started = time.monotonic()
    with pytest.raises(ModelError) as caught:
        client.complete(MESSAGES, max_tokens=10)
    assert caught.value.kind == "stopped"
    assert time.monotonic() - started < 20  # nowhere near the 30 s Retry-After


def test_deadline_stops_calls(scripted_model: ScriptedModel) -> None:
    client = client_for(scripted_model, stop=Stop(deadline=time.monotonic() - 1))
    with pytest.raises(ModelError) as caught:
        client.complete(MESSAGES, max_tokens=10)
    assert caught.value.kind == "stopped"
    assert "time limit" in caught.value.message
    assert scripted_model.requests == []


def test_endpoint_and_retry_after_parsing() -> None:
    assert endpoint("http://h:1/v1/") == "http://h:1/v1/chat/completions"
    assert endpoint("http://h:1/v1/chat/completions") == "http://h:1/v1/chat/completions"
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after("garbage") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    with pytest.raises(ValueError):
        ChatClient(ChatSettings(base_url="file:///etc/passwd", model="m"))
