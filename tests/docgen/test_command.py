"""The `generate_docs` management command (no database involved)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from .conftest import FIXTURES


def test_command_generates_and_prints_progress(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    stdout = StringIO()
    call_command(
        "generate_docs",
        str(FIXTURES),
        "--out",
        str(out),
        "--max-files",
        "5",
        "--include",
        "python/*",
        "--exclude",
        "python/shop/__init__.py",
        stdout=stdout,
    )
    printed = stdout.getvalue()
    assert "[100%] Done" in printed
    assert "Analysing" in printed and "Writing module pages" in printed
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["generation_info"]["repo_path"] == "fixtures"
    assert sorted(p.name for p in out.iterdir()) == sorted(meta["files_generated"])
    ids = [
        c
        for n in json.loads((out / "first_module_tree.json").read_text()).values()
        for c in n["components"]
    ]
    assert ids and all(c.startswith("python/shop/") for c in ids)
    assert "python/shop/cart.py::Cart" in ids


def test_command_reports_missing_repository(tmp_path: Path) -> None:
    with pytest.raises(CommandError):
        call_command("generate_docs", str(tmp_path / "missing"), "--out", str(tmp_path / "o"))


def test_command_reuses_the_analysis_cache_only_when_asked(tmp_path: Path) -> None:
    cache = tmp_path / "analysis"
    runs = []
    for name in ("first", "second"):
        stdout = StringIO()
        out = tmp_path / name
        args = ["--include", "python/*", "--analysis-cache", str(cache)]
        call_command("generate_docs", str(FIXTURES), "--out", str(out), *args, stdout=stdout)
        runs.append((json.loads((out / "metadata.json").read_text())["analysis"], stdout))
    (first, _), (second, printed) = runs
    assert first["files_reused"] == 0 and first["files_reanalysed"] > 0
    assert first["pages_reused"] == 0 and first["pages_rendered"] > 0
    assert second == {
        "files_reanalysed": 0,
        "files_reused": first["files_reanalysed"],
        "pages_rendered": 0,
        "pages_reused": first["pages_rendered"],
    }
    assert (
        f"Analysis cache: {second['files_reused']} files reused, 0 analysed; "
        f"{second['pages_reused']} pages reused, 0 rendered" in printed.getvalue()
    )
    for page in (tmp_path / "first").glob("*.md"):
        assert page.read_bytes() == (tmp_path / "second" / page.name).read_bytes()

    plain = tmp_path / "plain"
    call_command("generate_docs", str(FIXTURES), "--out", str(plain), stdout=StringIO())
    assert "analysis" not in json.loads((plain / "metadata.json").read_text())
