"""What a newcomer reads in the overview: only public components to start from, a language
count that tells production code from tests, a README without badge debris, people lists or
licence text, and groups named after what they hold (the lead's reading of issue 7)."""

from __future__ import annotations

from pathlib import Path

from tests.support.gitserve import write_files


def _section(page: str, title: str) -> str:
    return page.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def test_start_here_lists_no_private_helper(build_site, tmp_path: Path) -> None:
    # express-like: helpers marked `@private` are used everywhere, yet are no place to start.
    files = {
        "lib/utils.js": (
            "/**\n * Compile etag value.\n *\n * @param {String} val\n * @api private\n */\n\n"
            "exports.compileETag = function(val) { return val; };\n\n"
            "/**\n * Render a view.\n * @public\n */\n\n"
            "exports.render = function(view) { return view; };\n"
        ),
    }
    for name in ("a", "b", "c"):
        files[f"lib/{name}.js"] = (
            "var compileETag = require('./utils').compileETag;\n"
            "var render = require('./utils').render;\n"
            f"function {name}() {{ compileETag(1); render(2); }}\n"
            f"module.exports = {name};\n"
        )
    site = build_site(write_files(tmp_path / "app", files))
    start = _section(site.text("overview.md"), "Start here")
    assert "[render](" in start
    assert "compileETag" not in start


def test_languages_count_production_apart_from_tests(build_site, tmp_path: Path) -> None:
    files = {
        "shop/core.py": "def run():\n    return 1\n",
        "shop/cart.py": "def add():\n    return 2\n",
        "tests/test_core.py": "from shop.core import run\n\n\ndef test_run():\n    run()\n"
        "    run()\n",
        "docs/conf.py": "project = 'shop'\n",
        "web/app.js": "function start() { return 1; }\n",
    }
    overview = build_site(write_files(tmp_path / "shop", files)).text("overview.md")
    table = _section(overview, "Languages")
    assert "| Language | Production files | Production lines | Other files | Other lines |" in table
    assert "| Python | 2 | 4 | 2 | 7 |" in table
    assert "| JavaScript | 1 | 1 | 0 | 0 |" in table


def test_languages_without_tests_keep_one_count(build_site, tmp_path: Path) -> None:
    files = {"shop/core.py": "def run():\n    return 1\n"}
    overview = build_site(write_files(tmp_path / "shop", files)).text("overview.md")
    table = _section(overview, "Languages")
    assert "| Python | 1 | 2 |" in table
    assert "Other files" not in table
