"""Against a real model: llama.cpp's server with SmolLM2-135M, behind a counting proxy.

The model is tiny and its prose is poor; what these tests check is the protocol with a real
OpenAI-compatible server (its json_object dialect, token usage, stop reasons) and the
reuse: a second commit that changes one file asks the model again only for that file's
module, its ancestors and the overview.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from tests.conftest import GitServer
from tests.prose.test_jobs import page, submit, wait_finished
from tests.support.llamaserve import LlamaServer
from tests.support.llmserve import CountingProxy, Seen
from tests.support.prose_repo import CHANGED_PAGES, CHANGED_UTIL, PROSE_REPO

# A CPU-only model on a shared machine: allow far more than the default 180 s per test.
pytestmark = [
    pytest.mark.llm,
    pytest.mark.timeout(900),
    pytest.mark.django_db(transaction=True),
]

MODULES = {"app": "app.md", "app/core": "app-core.md", "app/util": "app-util.md"}


@pytest.fixture
def proxy(llama_server: LlamaServer) -> Iterator[CountingProxy]:
    server = CountingProxy(llama_server.url)
    yield server
    server.stop()


def env_for(proxy: CountingProxy) -> dict[str, str]:
    return {
        "CODEWIKI_LLM_BASE_URL": proxy.url,
        "MAIN_MODEL": LlamaServer.ALIAS,
        "CODEWIKI_LLM_TIMEOUT": "600",
        "CODEWIKI_LLM_CONCURRENCY": "1",
        # Short answers and inputs keep a CPU-only run quick; the model is small anyway.
        "CODEWIKI_LLM_MAX_OUTPUT_TOKENS": "160",
        "CODEWIKI_LLM_MAX_INPUT_CHARS": "2500",
    }


def pages_asked(requests: list[Seen]) -> set[str]:
    """The pages whose prose the model was asked for (format probes count as asks too)."""
    out = set()
    for seen in requests:
        if seen.is_overview:
            out.add("overview.md")
        else:
            facts = json.loads(seen.user.split("\n", 1)[1])
            out.add(MODULES[facts["module"]])
    return out


def test_real_model_writes_prose_and_reuses_it_per_module(
    client: Client,
    git_server: GitServer,
    worker_process: Any,
    proxy: CountingProxy,
    output_dir: Path,
) -> None:
    url = git_server.make_repo("acme/greeter", PROSE_REPO)
    first_id = submit(client, url)
    worker = worker_process("--batch", env=env_for(proxy))
    assert worker.wait(timeout=900) == 0, worker.log()
    first = wait_finished(client, first_id)
    assert first["status"] == "completed", first
    assert first["main_model"] == LlamaServer.ALIAS
    assert first["prose_status"] == "completed", first
    assert first["llm_calls"] == len(proxy.requests)  # every request the server received
    assert pages_asked(proxy.requests) == {*MODULES.values(), "overview.md"}
    assert first["llm_tokens_in"] > 0 and first["llm_tokens_out"] > 0
    metadata = json.loads((output_dir / "docs" / first["docs_path"] / "metadata.json").read_text())
    assert metadata["generation_info"]["main_model"] == LlamaServer.ALIAS
    assert metadata["llm"]["tokens_in"] == first["llm_tokens_in"]
    assert metadata["llm"]["calls_made"] == first["llm_calls"]
    for name in ("", "app-core", "app-util"):
        html = page(client, first_id, name)
        assert "Written by the language model <code>smollm2</code>" in html, name
    # Every request asked for JSON the way this server understands it (after one probe).
    assert proxy.requests[-1].body["response_format"]["type"] == "json_object"

    # The next commit changes one file of app/util.
    git_server.commit(url, CHANGED_UTIL)
    before = len(proxy.requests)
    second_id = submit(client, url)
    worker = worker_process("--batch", env=env_for(proxy))
    assert worker.wait(timeout=900) == 0, worker.log()
    second = wait_finished(client, second_id)
    assert second["status"] == "completed", second
    new_requests = proxy.requests[before:]
    asked = pages_asked(new_requests)
    # Only the changed module and its ancestors (the parent module, the overview).
    assert "app-util.md" in asked
    assert asked <= CHANGED_PAGES
    assert second["llm_calls"] == len(new_requests)
    assert second["llm_calls_reused"] == 4 - len(asked)
    assert second["llm_calls_reused"] >= 1  # app/core's answer at least


def test_generate_docs_command_with_a_real_model(
    llama_server: LlamaServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.gitserve import write_files

    repo = write_files(tmp_path / "repo", {"app/util/text.py": PROSE_REPO["app/util/text.py"]})
    call_command(
        "generate_docs",
        str(repo),
        "--out",
        str(tmp_path / "out"),
        "--llm-base-url",
        llama_server.url,
        "--model",
        LlamaServer.ALIAS,
        "--llm-max-output-tokens",
        "160",
        "--llm-cache",
        str(tmp_path / "cache"),
    )
    out = capsys.readouterr().out
    assert "Model smollm2: prose" in out
    assert "with smollm2" in out  # the progress lines name the model
    metadata = json.loads((tmp_path / "out" / "metadata.json").read_text())
    assert metadata["llm"]["calls_made"] >= 2  # one module and the overview
    assert list((tmp_path / "cache").rglob("*.json"))  # answers kept for the next run
