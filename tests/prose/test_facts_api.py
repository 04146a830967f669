"""The prose step is told the public API the generator extracted (fields, overloads,
re-exports), not only component names."""

from __future__ import annotations

import json
from pathlib import Path

from jobs.docgen import GenerationOptions, generate_docs
from jobs.docgen.prose import ProseSettings
from tests.support.llmserve import Reply, ScriptedModel, Seen, module_answer, overview_answer

API = Path(__file__).parent.parent / "docgen" / "fixtures" / "api" / "py"


def reply(seen: Seen, n: int) -> Reply:
    if seen.is_overview:
        return overview_answer("Geometry helpers.")
    return module_answer(what="Shapes and their areas.")


def test_module_facts_carry_fields_overloads_and_reexports(
    tmp_path: Path, scripted_model: ScriptedModel
) -> None:
    scripted_model.responder = reply
    prose = ProseSettings(
        base_url=scripted_model.url, model="scripted-7b", cache_dir=tmp_path / "cache"
    )
    generate_docs(API, tmp_path / "out", GenerationOptions(repo_name="geo", prose=prose))
    facts = [
        json.loads(s.user.split("\n", 1)[1]) for s in scripted_model.requests if not s.is_overview
    ]
    components = {c["name"]: c for f in facts for c in f["components"]}
    assert components["Point"]["members"] == ["x: float", "y: float = 0.0"]
    assert components["Colour"]["members"] == ["RED: 1", "GREEN: 2"]
    assert components["area"]["overloads"] == 2
    reexports = {r for f in facts for r in f.get("reexports", [])}
    assert "Ordered from collections" in reexports
