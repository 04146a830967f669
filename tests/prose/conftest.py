"""Fixtures for the model-prose tests: a scripted chat-completions server per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.llamaserve import LlamaServer, ModelServerError
from tests.support.llmserve import ScriptedModel


@pytest.fixture
def scripted_model() -> Iterator[ScriptedModel]:
    server = ScriptedModel()
    yield server
    server.stop()


# --- a real model server (marker "llm") ---------------------------------------------------


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """Started once per session, for every test marked ``llm``."""
    try:
        server = LlamaServer(tmp_path_factory.mktemp("llama") / "server.log")
    except ModelServerError as exc:
        pytest.fail(str(exc))
    yield server
    server.stop()
