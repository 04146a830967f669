"""What a newcomer reads first: README, where to start, entry points, a readable architecture
diagram, and a tree named by concepts (issue 7, points 4 and 7)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from jobs.markdown_render import render_markdown
from tests.support.gitserve import write_files

from .conftest import mermaid_blocks

README = """<p align="center"><img src="logo.png"></p>

# Shop

[![Build](https://ci.example/badge.svg)](https://ci.example) ![Coverage](https://cov/x.svg)

Shop sells **things** over <b>HTTP</b>; see [the guide](https://shop.example/guide),
[the local notes](docs/notes.md) and [nothing](javascript:alert(1)). Beware <script>x</script>.

## Quick start

- install it
- run it

```python
from shop import Engine
Engine().run()
```

## Sponsors

Thanks to ACME Corp for the money.

## Contributing

Send patches to ContributorsOnly.

## License

MIT LicenseText.

## Changelog

### 1.0

ChangelogEntry.
"""


def _section(page: str, title: str) -> str:
    return page.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def test_readme_is_rendered_as_markdown_without_the_noise(build_site, tmp_path: Path) -> None:
    repo = write_files(tmp_path / "shop", {"README.md": README, "shop/core.py": "X = 1\n"})
    overview = build_site(repo).text("overview.md")
    about = _section(overview, "What this repository is")
    assert "### Quick start" in about
    assert "- install it\n- run it" in about
    assert "```python\nfrom shop import Engine\nEngine().run()\n```" in about
    assert "[the guide](https://shop.example/guide)" in about
    assert "the local notes" in about and "(docs/notes.md)" not in about
    assert "javascript:" not in about and "nothing" in about
    assert "Beware &lt;script&gt;x&lt;/script&gt;" in about
    assert "over HTTP" in about  # layout tags go, their text stays
    for noise in ("badge.svg", "logo.png", "ACME", "ContributorsOnly", "LicenseText"):
        assert noise not in overview, noise
    assert "ChangelogEntry" not in overview
    html = render_markdown(overview, page="overview.md")
    assert "<script" not in html and "<img" not in html


def test_start_here_ranks_components_by_production_use(build_site, tmp_path: Path) -> None:
    files = {
        "shop/core.py": (
            '"""The core."""\n\n\nclass Engine:\n    """Runs the shop."""\n\n\n'
            "class Rarely:\n    pass\n\n\nclass Unused:\n    pass\n"
        ),
        "shop/a.py": "from shop.core import Engine, Rarely\n\n\ndef a():\n    Engine(); Rarely()\n",
        "shop/b.py": "from shop.core import Engine\n\n\ndef b():\n    Engine()\n",
        "shop/c.py": "from shop.core import Engine\n\n\ndef c():\n    Engine()\n",
    }
    # Many tests use Rarely: tests are no users, so it still ranks below Engine.
    for i in range(5):
        files[f"tests/test_{i}.py"] = (
            f"from shop.core import Rarely, Unused\n\n\ndef test_{i}():\n    Rarely(); Unused()\n"
        )
    overview = build_site(write_files(tmp_path / "shop", files)).text("overview.md")
    start = _section(overview, "Start here")
    lines = [ln for ln in start.splitlines() if ln.startswith("- ")]
    assert lines[0].startswith("- [Engine](") and "used in 3 files" in lines[0]
    assert "Runs the shop." in lines[0]
    assert lines[1].startswith("- [Rarely](") and "used in 1 file" in lines[1]
    assert "Unused" not in start


def test_entry_points_from_metadata(build_site, tmp_path: Path) -> None:
    package = {
        "name": "kit",
        "main": "lib/index.js",
        "bin": {"kit": "bin/kit.js"},
        "exports": {
            ".": {"import": "./lib/index.mjs", "require": "./lib/index.js"},
            "./cli": "./lib/cli.js",
        },
    }
    repo = write_files(
        tmp_path / "poly",
        {
            "package.json": json.dumps(package),
            "lib/index.js": "function kit() {}\nmodule.exports = kit;\n",
            "Cargo.toml": '[package]\nname = "kit"\n\n'
            '[[bin]]\nname = "kit-tool"\npath = "src/tool.rs"\n',
            "src/main.rs": "fn main() {}\n",
            "src/tool.rs": "fn main() {}\n",
            "cmd/kitd/main.go": "package main\n\nfunc main() {}\n",
            "pom.xml": "<project><build><plugins><plugin><configuration>"
            "<mainClass>com.acme.kit.Main</mainClass></configuration></plugin></plugins>"
            "</build></project>",
            "app/build.gradle.kts": 'application {\n    mainClass.set("com.acme.kit.AppKt")\n}\n',
            "manage.py": "import sys\n",
            "tests/test_kit.py": "def main():\n    pass\n\n\n"
            "if __name__ == '__main__':\n    main()\n",
        },
    )
    entry = _section(build_site(repo).text("overview.md"), "Entry points")
    for expected in (
        "npm bin: kit → bin/kit.js",
        "package main: lib/index.js",
        "package export: . → ./lib/index.mjs",
        "package export: ./cli → ./lib/cli.js",
        "cargo binary: kit-tool → src/tool.rs",
        "Rust binary (Cargo's default layout): [src/main.rs]",
        "Go program: `main` function: cmd/kitd/main.go:3",
        "main class: com.acme.kit.Main → pom.xml",
        "main class: com.acme.kit.AppKt → app/build.gradle.kts",
        "Django management script: [manage.py]",
    ):
        assert expected in entry, (expected, entry)
    assert "tests/" not in entry


def test_architecture_diagram_stays_readable(build_site, tmp_path: Path) -> None:
    # 6 packages of 6 sub-packages each (42 modules), every one used by the next package.
    files: dict[str, str] = {}
    for p in range(6):
        for s in range(6):
            uses = f"from pkg{(p + 1) % 6}.sub{s}.mod import f0\n\n\n" if p < 5 else ""
            body = "".join(f"def f{i}():\n    return {i}\n\n\n" for i in range(5))
            files[f"pkg{p}/sub{s}/mod.py"] = uses + body
    overview = build_site(write_files(tmp_path / "big", files)).text("overview.md")
    [diagram] = mermaid_blocks(_section(overview, "Architecture"))
    nodes = re.findall(r"^\s+m\d+\[", diagram, re.MULTILINE)
    assert 6 <= len(nodes) <= 25, diagram


def test_tree_is_named_by_concepts(build_site, tmp_path: Path) -> None:
    files: dict[str, str] = {}
    base = "store/src/main/java/com/acme/store"
    for name in ("Store", "Shelf", "Item", "Price"):
        methods = "".join(f"  public void m{i}() {{}}\n" for i in range(4))
        files[f"{base}/{name}.java"] = (
            f"package com.acme.store;\n\npublic class {name} {{\n{methods}}}\n"
        )
    deep = f"{base}/a/b/c/d/e"
    deep_methods = "".join(f"  public void d{i}() {{}}\n" for i in range(4))
    files[f"{deep}/Deep.java"] = f"package x;\n\npublic class Deep {{\n{deep_methods}}}\n"
    site = build_site(write_files(tmp_path / "repo", files))
    overview = site.text("overview.md")
    modules = _section(overview, "Modules")
    assert modules.strip().startswith("- [store](")
    assert "src/main/java" not in modules and "related file" not in modules
    tree = site.json("module_tree.json")

    def depth(nodes: dict) -> int:
        return max((1 + depth(n["children"]) for n in nodes.values()), default=0)

    assert depth(tree) <= 4  # type: ignore[arg-type]
    for page in site.pages():
        title = site.text(page).splitlines()[0]
        assert len(title) - 2 < 60, title
    # Deep.java is still documented, on its level-4 ancestor's page.
    assert any("### Deep" in site.text(p) for p in site.pages())


def test_component_named_like_its_page_still_has_an_anchor(build_site, tmp_path: Path) -> None:
    files = {
        "engine/__init__.py": (
            '"""The engine."""\n\n\nclass Engine:\n    """Runs."""\n\n\n'
            + "".join(f"def helper{i}():\n    return Engine()\n\n\n" for i in range(4))
        ),
        "app/main.py": "from engine import Engine\n\n\ndef run():\n    return Engine()\n",
        "app/other.py": "".join(f"def x{i}():\n    pass\n\n\n" for i in range(4)),
    }
    site = build_site(write_files(tmp_path / "repo", files))
    page = site.text("engine.md")
    assert page.startswith("# engine\n")
    app = site.text("app.md")
    assert "[Engine](engine.md#engine-1)" in app
    html = render_markdown(page, page="engine.md")
    assert re.search(r'<h3 id="[^"]*engine-1"', html), html[:2000]


def test_kotlin_source_sets_keep_apart_and_packages_are_named(build_site, tmp_path: Path) -> None:
    files: dict[str, str] = {}
    for source_set in ("commonMain", "jvmMain"):
        for name in ("Buffer", "Sink"):
            funs = "".join(f"  fun f{i}() {{}}\n" for i in range(3))
            files[f"okio/src/{source_set}/kotlin/okio/{name}.kt"] = (
                f"package okio\n\nclass {name}{source_set} {{\n{funs}}}\n"
            )
    funcs = "".join(f"export function f{i}() {{}}\n" for i in range(5))
    files["packages/zod/src/index.ts"] = funcs
    files["packages/other/src/index.ts"] = funcs
    overview = build_site(write_files(tmp_path / "repo", files)).text("overview.md")
    modules = _section(overview, "Modules")
    assert "[commonMain/okio](" in modules and "[jvmMain/okio](" in modules
    assert "[zod](" in modules and "[other](" in modules
    assert "[src](" not in modules


def test_a_crate_root_is_not_a_pass_through_folder(build_site, tmp_path: Path) -> None:
    items = "".join(f"pub fn f{i}() {{}}\n" for i in range(5))
    files = {
        "serde/src/lib.rs": "//! Serde is a framework for serializing.\n\npub mod private;\n",
        "serde/src/private/mod.rs": "pub mod de;\n",
        "serde/src/private/de.rs": items,
    }
    overview = build_site(write_files(tmp_path / "repo", files)).text("overview.md")
    modules = _section(overview, "Modules")
    assert "- [serde](serde-src.md) — 5 components in 3 files: Serde is a framework" in modules
    assert "  - [private](serde-src-private.md)" in modules


def test_split_c_files_sharing_a_stem_keep_their_extensions(build_site, tmp_path: Path) -> None:
    defs = "".join(f"int comp_{i}(int x) {{ return x; }}\n" for i in range(70))
    decls = "".join(f"int comp_{i}(int x);\n" for i in range(70))
    files = {"src/compile.c": defs, "src/compile.h": decls}
    overview = build_site(write_files(tmp_path / "repo", files)).text("overview.md")
    modules = _section(overview, "Modules")
    assert "[compile.c](" in modules and "[compile.h](" in modules


def test_files_at_the_top_are_named_after_the_package(build_site, tmp_path: Path) -> None:
    funcs = "".join(f"func F{i}() {{}}\n" for i in range(5))
    files = {
        "go.mod": "module github.com/acme/shop\n",
        "shop.go": f"package shop\n\n{funcs}",
        "render/render.go": f"package render\n\n{funcs}",
    }
    site = build_site(write_files(tmp_path / "repo", files))
    modules = _section(site.text("overview.md"), "Modules")
    assert "- [shop](root.md) — 5 components in 1 file" in modules
    assert site.text("root.md").startswith("# shop\n")


def test_start_here_puts_what_the_package_exports_first(build_site, tmp_path: Path) -> None:
    files = {
        "shop/__init__.py": '"""The shop."""\n\nfrom .api import Client\n\n__all__ = ["Client"]\n',
        "shop/api.py": '"""API."""\n\n\nclass Client:\n    """Talks to the shop."""\n',
        "shop/core.py": '"""Core."""\n\n\nclass Engine:\n    """Runs."""\n',
        "shop/a.py": "from shop.core import Engine\n\n\ndef a():\n    Engine()\n",
        "shop/b.py": "from shop.core import Engine\n\n\ndef b():\n    Engine()\n",
    }
    overview = build_site(write_files(tmp_path / "shop", files)).text("overview.md")
    start = _section(overview, "Start here")
    assert start.lstrip().startswith("The components the package exports at its top")
    lines = [ln for ln in start.splitlines() if ln.startswith("- ")]
    assert lines[0].startswith("- [Client](") and "exported by the package" in lines[0]
    assert lines[1].startswith("- [Engine](") and "used in 2 files" in lines[1]


def test_start_here_follows_export_star_chains(build_site, tmp_path: Path) -> None:
    files = {
        "package.json": '{"name": "zed", "main": "src/index.ts"}\n',
        # zod's shape: the index re-exports a barrel that re-exports the real files.
        "src/index.ts": 'export * from "./classic/external.js";\n',
        "src/classic/external.ts": 'export * from "./schemas.js";\nexport * from "./index.js";\n',
        "src/classic/index.ts": 'export * from "./external.js";\n',  # a cycle
        "src/classic/schemas.ts": (
            "//////////   ZedString   //////////\n"
            "export interface ZedString {\n  min(n: number): ZedString;\n}\n\n"
            "/** A string schema. */\nexport function string(): ZedString {\n"
            "  return { min: () => string() };\n}\n\n"
            "function hidden(): void {}\n"
        ),
        "src/internal/util.ts": "export function helper(): number {\n  return 1;\n}\n",
        "src/classic/a.ts": (
            'import { helper } from "../internal/util";\n'
            "export function aa(): number {\n  return helper();\n}\n"
        ),
        "src/classic/b.ts": (
            'import { helper } from "../internal/util";\n'
            "export function bb(): number {\n  return helper();\n}\n"
        ),
    }
    site = build_site(write_files(tmp_path / "zed", files))
    start = _section(site.text("overview.md"), "Start here")
    lines = [ln for ln in start.splitlines() if ln.startswith("- ")]
    exported = [ln for ln in lines if "exported by the package" in ln]
    assert any(ln.startswith("- [string](") for ln in exported)
    assert any(ln.startswith("- [ZedString](") for ln in exported)
    # Exports come first; the internal helper only after them, and unexported code never.
    assert lines.index(exported[-1]) < next(
        i for i, ln in enumerate(lines) if ln.startswith("- [helper](")
    )
    assert "hidden" not in start
    # A section banner above a declaration is not its doc.
    assert "////" not in site.all_text()


def test_start_here_follows_commonjs_module_exports_require(build_site, tmp_path: Path) -> None:
    files = {
        "package.json": '{"name": "xpress", "main": "index.js"}\n',
        # express's shape: the package's index is another file's face.
        "index.js": "'use strict';\n\nmodule.exports = require('./lib/xpress');\n",
        "lib/xpress.js": (
            "var proto = require('./application');\n\n"
            "exports = module.exports = createApplication;\n\n"
            "/**\n * Create an xpress application.\n */\n"
            "function createApplication() {\n  return Object.create(proto);\n}\n"
        ),
        "lib/application.js": "var app = exports = module.exports = {};\n\n"
        "/** Use a middleware. */\napp.use = function use(fn) {\n  return this;\n};\n",
    }
    site = build_site(write_files(tmp_path / "xpress", files))
    start = _section(site.text("overview.md"), "Start here")
    lines = [ln for ln in start.splitlines() if ln.startswith("- ")]
    assert lines[0].startswith("- [createApplication](") and "exported by the package" in lines[0]
    assert "Create an xpress application." in lines[0]
    root = site.text("root.md")
    assert "## Re-exports" in root and "everything (`*`)" in root and "./lib/xpress" in root
