"""Package metadata and entry points shown in the overview."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.gitserve import write_files

from .conftest import FIXTURES


def test_package_json_scripts_and_bin(build_site, tmp_path: Path) -> None:
    package = {
        "name": "widgets",
        "version": "2.0.0",
        "description": "Widgets for <everyone>",
        "bin": {"widgets": "bin/cli.js"},
        "scripts": {"build": "tsc -p .", "test": "jest"},
    }
    repo = write_files(
        tmp_path / "js",
        {"package.json": json.dumps(package), "src/index.js": "export function go() {}\n"},
    )
    overview = build_site(repo).text("overview.md")
    assert "**Package:** widgets" in overview and "**Version:** 2.0.0" in overview
    assert "Widgets for &lt;everyone&gt;" in overview
    assert "npm bin: widgets → bin/cli.js" in overview
    assert "Development scripts in package.json (`npm run <name>`): `build`, `test`" in overview


def test_setup_cfg_console_scripts_and_rst_readme(build_site, tmp_path: Path) -> None:
    repo = write_files(
        tmp_path / "py",
        {
            "setup.cfg": (
                "[metadata]\nname = tool\ndescription = A tool\n\n"
                "[options.entry_points]\nconsole_scripts =\n    tool = tool.cli:run\n"
            ),
            "README.rst": "====\nTool\n====\n\nTool does things.\n\nUsage\n-----\n\nRun it.\n",
            "tool/cli.py": "def run():\n    '''Run.'''\n",
            "manage.py": "import sys\n\nif __name__ == '__main__':\n    pass\n",
        },
    )
    overview = build_site(repo).text("overview.md")
    assert "console script: tool → tool.cli:run" in overview
    assert "Tool does things." in overview and "Run it." in overview
    assert "====" not in overview
    assert "Django management script: [manage.py]" in overview


def test_cargo_and_go_mod(build_site) -> None:
    rust = build_site(FIXTURES / "rust").text("overview.md")
    assert "**Package:** shapes" in rust and "Shapes and their areas" in rust
    go = build_site(FIXTURES / "go").text("overview.md")
    assert "**Package:** example.com/shop" in go
    assert "`main` function" in go


def test_broken_metadata_is_ignored(build_site, tmp_path: Path) -> None:
    repo = write_files(
        tmp_path / "bad",
        {
            "pyproject.toml": "[project\nname=",
            "package.json": "{not json",
            "Cargo.toml": "= nope",
            "setup.cfg": "no section header",
            "a.py": "def f():\n    pass\n",
        },
    )
    site = build_site(repo)
    assert site.result.component_count == 1
    assert "No README or package description was found" in site.text("overview.md")
