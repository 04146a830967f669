"""Tests, examples and tooling are set apart from production code (issue 7, point 1)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.gitserve import write_files

from .conftest import mermaid_blocks


def _tree_nodes(tree: dict, out: dict | None = None) -> dict:
    out = {} if out is None else out
    for key, node in tree.items():
        out[key] = node
        _tree_nodes(node["children"], out)
    return out


def _section(page: str, title: str) -> str:
    return page.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


PYTHON_REPO = {
    "shop/__init__.py": '"""A tiny shop."""\n',
    "shop/engine.py": (
        "class Engine:\n"
        '    """Runs the shop."""\n\n'
        "    def run(self):\n"
        "        return Ledger()\n\n\n"
        "class Ledger:\n"
        "    def add(self):\n"
        "        # FakeClock would be handy here\n"
        "        return 1\n\n\n"
        "def start():\n"
        "    return Engine().run()\n"
    ),
    "shop/cli.py": (
        "from shop.engine import start\n\n\n"
        "def main():\n"
        "    start()\n\n\n"
        'if __name__ == "__main__":\n'
        "    main()\n"
    ),
    "tests/conftest.py": "class FakeClock:\n    pass\n",
    "tests/test_engine.py": (
        "from shop.engine import Engine, Ledger\n\n\n"
        "def test_run():\n"
        "    assert Engine().run()\n\n\n"
        "def test_ledger():\n"
        "    assert Ledger().add() == 1\n\n\n"
        'if __name__ == "__main__":\n'
        "    test_run()\n"
    ),
    "examples/demo.py": (
        "from shop.engine import Engine\n\n\n"
        "def main():\n"
        "    Engine().run()\n\n\n"
        'if __name__ == "__main__":\n'
        "    main()\n"
    ),
    "docs/conf.py": 'project = "shop"\n',
}


def test_python_tests_and_examples_go_to_the_appendix(build_site, tmp_path: Path) -> None:
    site = build_site(write_files(tmp_path / "shop", PYTHON_REPO))
    overview = site.text("overview.md")
    modules = _section(overview, "Modules")
    assert "(shop.md)" in modules
    for other in ("tests", "examples", "docs"):
        assert f"{other}" not in modules, modules
    appendix = _section(overview, "Appendix: tests, examples and tooling")
    assert "[Tests](" in appendix and "[Examples](" in appendix
    assert "[Docs and tooling](" in appendix
    # Not in the architecture diagram, not among the entry points.
    for block in mermaid_blocks(_section(overview, "Architecture")):
        assert "tests" not in block and "examples" not in block
    entry = _section(overview, "Entry points")
    assert "shop/cli.py" in entry
    assert "tests/" not in entry and "examples/" not in entry

    # module_tree.json keeps CodeWiki's shape and marks the appendix.
    tree = site.json("module_tree.json")
    assert isinstance(tree, dict)
    assert tree["appendix"]["appendix"] is True
    nodes = _tree_nodes(tree)
    roles = {node.get("role") for node in nodes.values() if node.get("appendix")}
    assert {"test", "example", "docs_tooling"} <= roles
    assert all(set(node) >= {"path", "components", "children"} for node in nodes.values())
    test_ids = [c for n in nodes.values() if n.get("role") == "test" for c in n["components"]]
    assert "tests/test_engine.py::test_run" in test_ids
    main_ids = [c for k, n in nodes.items() if not n.get("appendix") for c in n["components"]]
    assert all(not c.startswith(("tests/", "examples/", "docs/")) for c in main_ids)

    # "Used by" of a production component lists production code only; the comment naming
    # a test helper does not make production code use the test module.
    shop = site.text(next(p for p in site.pages() if "Engine" in site.text(p) and "shop" in p))
    engine = shop.split("### Engine", 1)[1].split("\n### ", 1)[0]
    used_by = next(line for line in engine.splitlines() if line.startswith("**Used by:**"))
    assert "start" in used_by
    # Tests and examples show how to call it (its examples), never as its users.
    assert "test_run" not in used_by and "demo" not in used_by
    assert "FakeClock" not in shop
    assert "tests" not in _section(shop, "Dependencies")


CASES = {
    "go": (
        {
            "go.mod": "module example.com/store\n",
            "store.go": "package store\n\n// Store keeps items.\ntype Store struct{}\n\n"
            "func (s *Store) Put(k string) {}\n\nfunc New() *Store { return &Store{} }\n",
            "store_test.go": 'package store\n\nimport "testing"\n\n'
            'func TestPut(t *testing.T) { New().Put("a") }\n',
        },
        "TestPut",
    ),
    "java": (
        {
            "src/main/java/com/acme/store/Store.java": "package com.acme.store;\n\n"
            "/** Keeps items. */\npublic class Store {\n  public void put(String k) {}\n"
            "  public static Store create() { return new Store(); }\n}\n",
            "src/test/java/com/acme/store/StoreTest.java": "package com.acme.store;\n\n"
            'public class StoreTest {\n  public void testPut() { Store.create().put("a"); }\n}\n',
        },
        "StoreTest",
    ),
    "javascript": (
        {
            "lib/store.js": "/** Keeps items. */\nclass Store {\n  put(k) {}\n}\n"
            "function create() { return new Store(); }\nmodule.exports = { Store, create };\n",
            "test/store.test.js": "const { create } = require('../lib/store');\n"
            "function checkPut() { create().put('a'); }\n",
        },
        "checkPut",
    ),
    "typescript": (
        {
            "src/store.ts": "/** Keeps items. */\nexport class Store {\n  put(k: string) {}\n}\n"
            "export function create(): Store { return new Store(); }\n",
            "src/__tests__/store.ts": "import { create } from '../store';\n"
            "export function checkPut() { create().put('a'); }\n",
        },
        "checkPut",
    ),
    "ruby": (
        {
            "lib/store.rb": "# Keeps items.\nclass Store\n  def put(k)\n  end\nend\n",
            "spec/store_spec.rb": "require_relative '../lib/store'\n\n"
            "class StoreSpec\n  def check_put\n    Store.new.put('a')\n  end\nend\n",
        },
        "StoreSpec",
    ),
    "csharp": (
        {
            "Src/Acme.Store/Store.cs": "namespace Acme.Store {\n"
            "/// <summary>Keeps items.</summary>\n"
            "public class Store {\n  public void Put(string k) {}\n}\n}\n",
            "Src/Acme.Store.Tests/StoreChecks.cs": "namespace Acme.Store.Tests {\n"
            "public class StoreChecks {\n"
            '  public void CheckPut() { new Store().Put("a"); }\n}\n}\n',
        },
        "StoreChecks",
    ),
}


@pytest.mark.parametrize("language", sorted(CASES))
def test_test_code_is_in_the_appendix_only(build_site, tmp_path: Path, language: str) -> None:
    files, test_name = CASES[language]
    site = build_site(write_files(tmp_path / language, files))
    tree = _tree_nodes(site.json("module_tree.json"))  # type: ignore[arg-type]
    main = [c for n in tree.values() if not n.get("appendix") for c in n["components"]]
    tests = [c for n in tree.values() if n.get("role") == "test" for c in n["components"]]
    assert any(c.endswith(f"::{test_name}") or f"::{test_name}." in c for c in tests), tests
    assert not any(test_name in c for c in main), main
    assert any(c.endswith("::Store") for c in main), main
    overview = site.text("overview.md")
    assert test_name not in _section(overview, "Modules")
    store_page = next(p for p in site.pages() if "### Store" in site.text(p))
    assert store_page not in {p + ".md" for p, n in tree.items() if n.get("appendix")}
    # Test code appears on the production page only as a usage example, with its source.
    store_text = re.sub(
        r"\*\*Examples?\*\*\n.*?(?=\n\*\*(?:Uses|Used by|Inherits)|\n#|\Z)",
        "",
        site.text(store_page),
        flags=re.S,
    )
    assert test_name not in store_text


def test_every_component_is_in_the_tree_with_big_root_level_tests(
    build_site, tmp_path: Path
) -> None:
    # Go tests sit next to the code; so many at the top that the biggest file gets a page.
    tests = "".join(f"func TestCase{i}(t *testing.T) {{ New() }}\n" for i in range(130))
    small = "".join(f"func TestSmall{i}(t *testing.T) {{ New() }}\n" for i in range(3))
    files = {
        "go.mod": "module example.com/store\n",
        "store.go": "package store\n\ntype Store struct{}\n\nfunc New() *Store { return nil }\n",
        "store_test.go": f'package store\n\nimport "testing"\n\n{tests}',
        "other_test.go": f'package store\n\nimport "testing"\n\n{small}',
    }
    for i in range(4):
        files[f"helpers{i}_test.go"] = f'package store\n\nimport "testing"\n\n{small}'
    site = build_site(write_files(tmp_path / "store", files))
    tree = _tree_nodes(site.json("module_tree.json"))  # type: ignore[arg-type]
    ids = {c for node in tree.values() for c in node["components"]}
    assert {f"store_test.go::TestCase{i}" for i in range(130)} <= ids
    assert "other_test.go::TestSmall0" in ids
    assert site.result.component_count == len(ids)
