"""Usage examples: real code from the repository, each with the `path:line` it came from."""

from __future__ import annotations

import re
from pathlib import Path

from jobs.markdown_render import render_markdown
from tests.support.gitserve import write_files


def _section(page: str, heading: str) -> str:
    match = re.search(rf"^#+ {re.escape(heading)}$", page, re.M)
    assert match, f"no section {heading!r}"
    rest = page[match.end() :]
    nxt = re.search(r"^#{3,4} ", rest, re.M)
    return rest[: nxt.start()] if nxt else rest


def _page_with(site, heading: str) -> str:
    for name in site.pages():
        text = site.text(name)
        if re.search(rf"^#+ {re.escape(heading)}$", text, re.M):
            return text
    raise AssertionError(f"no page has {heading!r}")


GO_REPO = {
    "go.mod": "module example.com/gin\n",
    "gin.go": (
        "package gin\n\n// Engine is the framework.\ntype Engine struct{}\n\n"
        "// Default returns an Engine.\nfunc Default() *Engine { return &Engine{} }\n\n"
        "// Run runs the engine.\nfunc (e *Engine) Run(addr string) error { return nil }\n"
    ),
    "example_test.go": (
        'package gin_test\n\nimport "example.com/gin"\n\n'
        "func ExampleDefault() {\n\tr := gin.Default()\n\t_ = r\n\t// Output:\n}\n\n"
        'func ExampleEngine_Run() {\n\tr := gin.Default()\n\tr.Run(":8080")\n}\n'
    ),
}


def test_go_example_function_is_shown_as_its_components_example(build_site, tmp_path: Path) -> None:
    site = build_site(write_files(tmp_path / "gin", GO_REPO))
    page = _page_with(site, "Default")
    default = _section(page, "Default")
    assert (
        "**Example**\n\nFrom `example_test.go:5`:\n\n```go\nr := gin.Default()\n_ = r\n" in default
    )
    assert "// Output:" in default
    run = _section(page, "Engine.Run")
    assert 'From `example_test.go:11`:\n\n```go\nr := gin.Default()\nr.Run(":8080")\n```' in run


PY_REPO = {
    "shop/__init__.py": '"""The shop."""\n',
    "shop/cart.py": (
        '"""Carts."""\n\n\nclass Cart:\n    """A cart."""\n\n'
        "    def add(self, item):\n        return item\n\n\n"
        'def checkout(cart, *, express=False):\n    """Pay for a cart."""\n    return cart\n'
    ),
    "tests/test_cart.py": (
        "from shop.cart import Cart, checkout\n\n\n"
        "def test_checkout():\n    cart = Cart()\n"
        "    assert checkout(cart, express=True) is cart\n\n\n"
        "def test_long_scenario():\n"
        + "".join(f"    step{i} = {i}\n" for i in range(20))
        + "    result = checkout(\n        Cart(),\n        express=False,\n    )\n"
        "    assert result\n"
    ),
    "examples/demo.py": "from shop.cart import Cart\n\n\ndef main():\n    Cart().add('tea')\n",
}


def test_example_found_in_a_test_file_with_its_path_and_line(build_site, tmp_path: Path) -> None:
    site = build_site(write_files(tmp_path / "shop", PY_REPO))
    page = _page_with(site, "checkout")
    checkout = _section(page, "checkout")
    # The short test is shown whole, from its first line.
    assert (
        "From `tests/test_cart.py:4`:\n\n```python\ndef test_checkout():\n    cart = Cart()\n"
        "    assert checkout(cart, express=True) is cart\n```"
    ) in checkout
    # From a long test only the statement that calls it, with its own line number.
    assert (
        "From `tests/test_cart.py:30`:\n\n```python\nresult = checkout(\n    Cart(),\n"
        "    express=False,\n)\nassert result\n```"
    ) in checkout
    cart = _section(page, "Cart")
    # Example code comes before tests.
    assert cart.index("examples/demo.py:4") < cart.index("tests/test_cart.py")
    html = render_markdown(page, page="shop.md", pages=site.pages())
    assert "<pre" in html and "tests/test_cart.py:4" in html


def test_readme_snippet_naming_a_component_is_an_example(build_site, tmp_path: Path) -> None:
    repo = write_files(
        tmp_path / "readme",
        {
            **PY_REPO,
            "README.md": (
                "# Shop\n\nA shop.\n\n```python\nfrom shop.cart import Cart, checkout\n\n"
                "checkout(Cart())\n```\n\n```mermaid\ngraph LR\nA-->checkout\n```\n"
            ),
        },
    )
    site = build_site(repo)
    checkout = _section(_page_with(site, "checkout"), "checkout")
    assert "From `README.md:6`:\n\n```python\nfrom shop.cart import Cart, checkout\n" in checkout
    assert "```mermaid" not in checkout


def test_examples_are_capped_and_in_a_stable_order(build_site, tmp_path: Path) -> None:
    tests = {
        f"tests/test_{name}.py": (
            f"from shop.cart import checkout\n\n\ndef test_{name}():\n    checkout({name!r})\n"
        )
        for name in ("zeta", "alpha", "mid", "beta", "omega")
    }
    repo = write_files(tmp_path / "many", {**PY_REPO, **tests})
    first = _section(_page_with(build_site(repo), "checkout"), "checkout")
    second = _section(_page_with(build_site(repo), "checkout"), "checkout")
    assert first == second
    sources = re.findall(r"From `([^`]+)`", first)
    assert len(sources) == 3
    assert sources[0] == "tests/test_alpha.py:4"


def test_js_example_from_examples_folder(build_site, tmp_path: Path) -> None:
    repo = write_files(
        tmp_path / "js",
        {
            "package.json": '{"name": "mini", "main": "lib/express.js"}',
            "lib/express.js": (
                "/**\n * Create an application.\n * @return {Function}\n */\n"
                "function createApplication() { return function app() {}; }\n"
                "module.exports = createApplication;\n"
            ),
            "examples/hello/index.js": (
                "var express = require('../../lib/express');\n\n"
                "function start() {\n  var app = createApplication();\n  app.listen(3000);\n}\n"
            ),
        },
    )
    site = build_site(repo)
    section = _section(_page_with(site, "createApplication"), "createApplication")
    assert "From `examples/hello/index.js:3`:\n\n```javascript\nfunction start() {" in section


def test_js_default_export_called_under_its_import_name(build_site, tmp_path: Path) -> None:
    repo = write_files(
        tmp_path / "jsdefault",
        {
            "package.json": '{"name": "mini", "main": "index.js"}',
            "index.js": "module.exports = require('./lib/mini');\n",
            "lib/mini.js": (
                "/** Create an application. */\nfunction createApplication() { return {}; }\n"
                "exports = module.exports = createApplication;\n"
            ),
            "examples/hello/index.js": (
                "var mini = require('../..');\n\nvar app = mini();\napp.listen(3000);\n"
            ),
            "test/app.js": "const mini = require('../');\n\nit('works', () => { mini(); });\n",
        },
    )
    site = build_site(repo)
    section = _section(_page_with(site, "createApplication"), "createApplication")
    assert (
        "From `examples/hello/index.js:3`:\n\n```javascript\nvar app = mini();\n"
        "app.listen(3000);\n```"
    ) in section
    assert "From `test/app.js:3`:" in section


# --- examples written in doc comments -------------------------------------------------------


def _examples_part(section: str) -> str:
    # The doc's own "Examples" heading renders bold too: the part is the one citing sources.
    match = re.search(r"^\*\*Examples?\*\*\n\nFrom ", section, re.M)
    assert match, f"no Examples part in {section!r}"
    return section[match.start() :]


DOCTEST_REPO = {
    "calc/__init__.py": '"""Arithmetic."""\n',
    "calc/api.py": (
        '"""Arithmetic."""\n\n\n'
        "def add(a, b):\n"
        '    """Add two numbers.\n\n'
        "    Usage::\n\n"
        "        >>> from calc.api import add\n"
        "        >>> add(1, 2)\n"
        "        3\n\n"
        "    A fence in the output stays inside the example:\n\n"
        "    >>> print('```')\n"
        "    ```\n"
        '    """\n'
        "    return a + b\n"
    ),
    "tests/test_api.py": (
        "from calc.api import add\n\n\ndef test_add():\n    assert add(2, 2) == 4\n"
    ),
    "README.md": "# Calc\n\n```python\n>>> from calc.api import add\n>>> add(1, 2)\n3\n```\n",
}


def test_python_doctest_is_the_first_example_with_its_line(build_site, tmp_path: Path) -> None:
    site = build_site(write_files(tmp_path / "calc", DOCTEST_REPO))
    examples = _examples_part(_section(_page_with(site, "add"), "add"))
    assert examples.startswith(
        "**Examples**\n\nFrom the doc comment at `calc/api.py:9`:\n\n"
        "```python\n>>> from calc.api import add\n>>> add(1, 2)\n3\n```"
    )
    # The session whose output is a fence: a longer fence keeps it inside the example.
    assert (
        "From the doc comment at `calc/api.py:15`:\n\n````python\n>>> print('```')\n```\n````"
        in (examples)
    )
    # The author's examples come before the test's call; the README's copy is not repeated.
    assert examples.index("calc/api.py:15") < examples.index("tests/test_api.py:4")
    assert "README.md" not in examples


TS_REPO = {
    "package.json": '{"name": "schema", "main": "src/index.ts"}',
    "src/schema.ts": (
        "/**\n"
        " * Makes a string schema.\n"
        " *\n"
        " * @example\n"
        " * ```ts\n"
        ' * const s = string();\n * s.parse("a");\n'
        " * ```\n"
        " */\n"
        "export function string(): Schema {\n  return new Schema();\n}\n\n"
        "/**\n * A schema.\n * @example\n * const n = new Schema();\n */\n"
        "export class Schema {}\n"
    ),
}


def test_tsdoc_example_is_listed_with_its_tag_line(build_site, tmp_path: Path) -> None:
    site = build_site(write_files(tmp_path / "schema", TS_REPO))
    page = _page_with(site, "string")
    string = _examples_part(_section(page, "string"))
    assert string.startswith(
        "**Example**\n\nFrom the doc comment at `src/schema.ts:4`:\n\n```ts\nconst s = string();\n"
        's.parse("a");\n```'
    )
    schema = _examples_part(_section(page, "Schema"))
    assert (
        "From the doc comment at `src/schema.ts:16`:\n\n```typescript\nconst n = new Schema();\n```"
        in (schema)
    )


RUST_REPO = {
    "Cargo.toml": '[package]\nname = "geo"\nversion = "0.1.0"\n',
    "src/lib.rs": (
        "//! Geometry.\n\n"
        "/// A point.\n"
        "///\n"
        "/// # Examples\n"
        "///\n"
        "/// ```\n"
        "/// # use geo::Point;\n"
        "/// #\n"  # a hidden blank line: no ruler, the doc goes on past it
        "/// let p = Point::new(1, 2);\n"
        "/// assert_eq!(p.x, 1);\n"
        "/// ```\n"
        "///\n"
        "/// ```text\n"
        "/// not code\n"
        "/// ```\n"
        "pub struct Point {\n    pub x: i32,\n    pub y: i32,\n}\n"
    ),
}


def test_rustdoc_fence_is_an_example_without_hidden_lines(build_site, tmp_path: Path) -> None:
    site = build_site(write_files(tmp_path / "geo", RUST_REPO))
    examples = _examples_part(_section(_page_with(site, "Point"), "Point"))
    assert (
        "**Example**\n\nFrom the doc comment at `src/lib.rs:7`:\n\n"
        "```rust\nlet p = Point::new(1, 2);\nassert_eq!(p.x, 1);\n```"
    ) in examples
    assert "use geo::Point" not in examples
    assert "not code" not in examples


JAVA_REPO = {
    "src/main/java/com/x/Gson.java": (
        "package com.x;\n\n"
        "/**\n"
        " * Converts objects to JSON.\n"
        " * <pre>{@code\n"
        " * Gson gson = new Gson();\n"
        " * gson.toJson(1);\n"
        " * }</pre>\n"
        " */\n"
        "public class Gson {\n"
        '  public String toJson(Object o) {\n    return "";\n  }\n'
        "}\n"
    ),
}


def test_javadoc_pre_code_block_is_an_example(build_site, tmp_path: Path) -> None:
    site = build_site(write_files(tmp_path / "gson", JAVA_REPO))
    examples = _examples_part(_section(_page_with(site, "Gson"), "Gson"))
    assert (
        "From the doc comment at `src/main/java/com/x/Gson.java:5`:\n\n"
        "```java\nGson gson = new Gson();\ngson.toJson(1);\n```"
    ) in examples
