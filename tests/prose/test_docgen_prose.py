"""The prose step inside the generator: bottom-up order, the answer cache, budget, grounding."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

from jobs.docgen import GenerationOptions, generate_docs
from jobs.docgen.prose import ProseSettings
from jobs.markdown_render import render_markdown
from tests.support.gitserve import write_files
from tests.support.llmserve import (
    Reply,
    ScriptedModel,
    Seen,
    answer,
    module_answer,
    overview_answer,
)
from tests.support.prose_repo import CHANGED_PAGES, CHANGED_UTIL, PROSE_REPO

MODULE_OF_PAGE = {"app.md": "app", "app-core.md": "app/core", "app-util.md": "app/util"}


def settings_for(server: ScriptedModel, cache: Path, **kwargs: object) -> ProseSettings:
    options: dict[str, object] = {"timeout": 5.0, "backoff": 0.05, "concurrency": 2}
    options.update(kwargs)
    return ProseSettings(base_url=server.url, model="scripted-7b", cache_dir=cache, **options)  # type: ignore[arg-type]


def generate(repo: Path, out: Path, prose: ProseSettings) -> dict[str, object]:
    generate_docs(repo, out, GenerationOptions(repo_name="acme/greeter", prose=prose))
    return json.loads((out / "metadata.json").read_text())


def asked_for(seen: Seen) -> str:
    """Which page a request was for: the module named in its facts, or the overview."""
    if seen.is_overview:
        return "overview.md"
    module = json.loads(seen.user.split("\n", 1)[1])["module"]
    return {v: k for k, v in MODULE_OF_PAGE.items()}[module]


def echo_facts(seen: Seen, n: int) -> Reply:
    """Like a real model: a different input gets a different answer."""
    digest = hashlib.sha256(seen.user.encode()).hexdigest()[:8]
    if seen.is_overview:
        return overview_answer(f"A sample project ({digest}).")
    return module_answer(what=f"It greets people ({digest}).")


def test_bottom_up_prose_cached_per_module(tmp_path: Path, scripted_model: ScriptedModel) -> None:
    scripted_model.responder = echo_facts
    repo = tmp_path / "repo"
    write_files(repo, PROSE_REPO)
    cache = tmp_path / "llm-cache"

    meta = generate(repo, tmp_path / "one", settings_for(scripted_model, cache))
    order = [asked_for(s) for s in scripted_model.requests]
    assert sorted(order) == ["app-core.md", "app-util.md", "app.md", "overview.md"]
    # Leaves first, then their parent, the overview last.
    assert order.index("app.md") > max(order.index("app-core.md"), order.index("app-util.md"))
    assert order[-1] == "overview.md"
    parent = next(s for s in scripted_model.requests if asked_for(s) == "app.md")
    assert "It greets people (" in parent.user  # children's summaries, not their source
    assert "def greet" not in parent.user
    llm = meta["llm"]
    assert meta["generation_info"]["main_model"] == "scripted-7b"
    assert llm["status"] == "completed"
    assert (llm["calls_made"], llm["calls_reused"]) == (4, 0)
    assert (llm["tokens_in"], llm["tokens_out"]) == (200, 80)
    page = (tmp_path / "one" / "app-core.md").read_text()
    assert "## What this module does" in page and "## How it works" in page
    assert "Written by the language model `scripted-7b`" in page
    assert "It greets people (" in page
    assert page.index("## What this module does") < page.index("## Purpose")
    # A real component in backticks links to its section.
    assert "[`Greeter`](app-core.md#greeter)" in page
    overview = (tmp_path / "one" / "overview.md").read_text()
    assert "## What this repository does" in overview and "## Where to start" in overview

    # The same commit again: every answer comes from the cache, the pages are the same.
    scripted_model.requests.clear()
    meta = generate(repo, tmp_path / "two", settings_for(scripted_model, cache))
    assert scripted_model.requests == []
    assert (meta["llm"]["calls_made"], meta["llm"]["calls_reused"]) == (0, 4)
    for name in ("overview.md", "app.md", "app-core.md", "app-util.md"):
        assert (tmp_path / "one" / name).read_text() == (tmp_path / "two" / name).read_text()

    # One file changes: only its module, that module's parent and the overview are asked.
    changed = tmp_path / "changed"
    shutil.copytree(repo, changed)
    write_files(changed, CHANGED_UTIL)
    meta = generate(changed, tmp_path / "three", settings_for(scripted_model, cache))
    assert {asked_for(s) for s in scripted_model.requests} == CHANGED_PAGES
    assert set(meta["llm"]["asked"]) == CHANGED_PAGES
    assert (meta["llm"]["calls_made"], meta["llm"]["calls_reused"]) == (3, 1)


def test_token_budget_stops_new_calls(tmp_path: Path, scripted_model: ScriptedModel) -> None:
    repo = tmp_path / "repo"
    write_files(repo, PROSE_REPO)
    prose = settings_for(scripted_model, tmp_path / "cache", token_budget=100, concurrency=1)
    meta = generate(repo, tmp_path / "out", prose)
    llm = meta["llm"]
    # 70 tokens per answer: the second call still fits in what is left, then none does.
    assert llm["calls_made"] == 2 == len(scripted_model.requests)
    assert llm["status"] == "partial"
    assert "budget" in llm["note"]
    skipped = [page for page, kind in llm["failures"].items() if kind == "budget"]
    assert len(skipped) == 2
    text = (tmp_path / "out" / skipped[0]).read_text()
    assert "the job's model token budget was spent (100 tokens" in text
    assert "## What this module does" not in text
    # The max_tokens of a call never exceeds what the budget has left.
    assert scripted_model.requests[1].body["max_tokens"] == 30


def test_hostile_answer_is_escaped_and_grounded(
    tmp_path: Path, scripted_model: ScriptedModel
) -> None:
    hostile = (
        "Injected <script>alert('x')</script> and <img src=x onerror=alert(1)>. "
        "[Click me](javascript:alert(1)) ![tracker](https://evil.example/pixel.png) "
        "See [the fake page](nowhere.md) and [utilities](app-util.md#no-such-anchor) and "
        "[shout](app-util.md#shout). `Greeter` is real, `NotAThing` is not. "
        "<a href='https://evil.example'>x</a>"
    )

    def respond(seen: Seen, n: int) -> Reply:
        if seen.is_overview:
            return answer(json.dumps({"what": hostile, "architecture": "a", "start_here": "b"}))
        return module_answer(what=hostile, how="- first `make_greeter`\n- then `Greeter.greet`")

    scripted_model.responder = respond
    repo = tmp_path / "repo"
    write_files(repo, PROSE_REPO)
    generate(repo, tmp_path / "out", settings_for(scripted_model, tmp_path / "cache"))
    pages = [p.name for p in (tmp_path / "out").glob("*.md")]
    for name in ("app-core.md", "overview.md"):
        html = render_markdown((tmp_path / "out" / name).read_text(), page=name, pages=pages)
        assert "<script" not in html and "<img" not in html
        assert "javascript:" not in html
        assert "pixel.png" not in html  # the image is its alt text; its URL is gone
        assert 'href="https://evil' not in html  # raw HTML shows as text, never as a link
        assert "&lt;script&gt;" in html  # shown as text, not run
        assert "nowhere" not in html  # the fake link's target is gone, its text stays
        assert "the fake page" in html
        assert 'href="./app-util"' in html  # a real page, its unknown anchor dropped
        assert 'href="./app-util#doc-shout"' in html
        assert "<code>NotAThing</code>" in html
        assert not re.search(r"<a [^>]*><code>NotAThing", html)
        assert re.search(r'<a href="[^"]*#doc-greeter"[^>]*><code>Greeter</code></a>', html)
    core = (tmp_path / "out" / "app-core.md").read_text()
    assert "- first [`make_greeter`](app-core.md#make_greeter)" in core
    assert "[`Greeter.greet`](app-core.md#greetergreet)" in core


def test_refused_json_schema_is_learnt_once_per_cache(
    tmp_path: Path, scripted_model: ScriptedModel
) -> None:
    def respond(seen: Seen, n: int) -> Reply:
        if seen.body.get("response_format", {}).get("type") == "json_schema":
            return Reply(status=500, body={"error": {"message": "response_format.type invalid"}})
        return overview_answer() if seen.is_overview else module_answer()

    scripted_model.responder = respond
    repo = tmp_path / "repo"
    write_files(repo, PROSE_REPO)
    one_at_a_time = settings_for(scripted_model, tmp_path / "cache", concurrency=1)
    meta = generate(repo, tmp_path / "one", one_at_a_time)
    assert meta["llm"]["status"] == "completed"
    assert meta["llm"]["calls_made"] == 5  # one probe, then four answers
    changed = tmp_path / "changed"
    shutil.copytree(repo, changed)
    write_files(changed, CHANGED_UTIL)
    scripted_model.requests.clear()
    generate(changed, tmp_path / "two", settings_for(scripted_model, tmp_path / "cache"))
    assert {s.body["response_format"]["type"] for s in scripted_model.requests} == {"json_object"}


def test_bare_names_of_real_components_are_linked_once(
    tmp_path: Path, scripted_model: ScriptedModel
) -> None:
    text = (
        "The Greeter class calls make_greeter() and Greeter.greet; Greeter again. "
        "Nothing links Helper, main or greet_all."
    )
    scripted_model.responder = lambda seen, n: (
        overview_answer() if seen.is_overview else module_answer(what=text)
    )
    repo = tmp_path / "repo"
    write_files(repo, PROSE_REPO)
    generate(repo, tmp_path / "out", settings_for(scripted_model, tmp_path / "cache"))
    page = (tmp_path / "out" / "app-core.md").read_text()
    line = next(ln for ln in page.splitlines() if ln.startswith("The "))
    assert line.startswith("The [`Greeter`](app-core.md#greeter) class calls ")
    assert "[`make_greeter()`](app-core.md#make_greeter)" in line
    assert "[`Greeter.greet`](app-core.md#greetergreet)" in line
    assert line.count("](app-core.md#greeter)") == 1  # the first mention only
    assert "Helper, main or greet\\_all." in line  # not components: plain, escaped text
