"""Fixtures for the model-prose tests: a scripted chat-completions server per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.llmserve import ScriptedModel


@pytest.fixture
def scripted_model() -> Iterator[ScriptedModel]:
    server = ScriptedModel()
    yield server
    server.stop()
