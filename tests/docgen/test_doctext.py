"""Doc text a reader can read: whole comments, no banners or directives, markup converted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jobs.docgen.doctext import convert_doc
from jobs.docgen.markdown import render_doc
from jobs.markdown_render import render_markdown
from tests.support.gitserve import write_files

from .conftest import analyse


def _api_section(page: str, qualname: str) -> str:
    """The API section of one component on a module page, up to the next section."""
    heading = re.search(rf"^#+ {re.escape(qualname.replace('_', chr(92) + '_'))}$", page, re.M)
    assert heading, f"no section for {qualname}"
    rest = page[heading.end() :]
    nxt = re.search(r"^#{3,4} ", rest, re.M)
    return rest[: nxt.start()] if nxt else rest


def _html(markdown: str, pages: list[str]) -> str:
    return render_markdown(markdown, page=pages[0], pages=pages)


# --- extraction: the whole comment, attached, without banners or directives ---------------


def test_long_doc_comment_is_kept_from_its_summary(tmp_path: Path) -> None:
    body = "".join(f" * Line {i} of the explanation.\n" for i in range(60))
    rust = "".join(f"/// Rust line {i}.\n" for i in range(60))
    repo = write_files(
        tmp_path / "long",
        {
            "Big.java": f"/**\n * Summary of Big.\n *\n{body} */\npublic class Big {{}}\n",
            "big.rs": f"/// Summary of big.\n///\n{rust}pub fn big() {{}}\n",
        },
    )
    a = analyse(repo)
    java = a.comp("Big").doc
    assert java.startswith("Summary of Big.") and "Line 59 of the explanation." in java
    rust_doc = a.comp("big").doc
    assert rust_doc.startswith("Summary of big.") and "Rust line 59." in rust_doc


def test_doc_comment_separated_by_blank_lines_is_attached(tmp_path: Path) -> None:
    repo = write_files(
        tmp_path / "gap",
        {
            "a.go": "package a\n\n// Engine is the framework.\n\ntype Engine struct{}\n",
            "b.ts": "/** Makes a widget. */\n\n\nexport function widget(): void {}\n",
            "C.java": "/** The C class. */\n\npublic class C {}\n",
        },
    )
    a = analyse(repo)
    assert a.comp("Engine").doc == "Engine is the framework."
    assert a.comp("widget").doc == "Makes a widget."
    assert a.comp("C").doc == "The C class."


def test_licence_header_is_not_taken_as_purpose_or_doc(tmp_path: Path, build_site) -> None:
    licence = "Copyright 2014 Someone. All rights reserved.\nLicensed under the MIT License."
    go_licence = "".join(f"// {line}\n" for line in licence.splitlines())
    repo = write_files(
        tmp_path / "lic",
        {
            "gin/gin.go": f"{go_licence}\n//go:build !nomsgpack\n\n"
            "// Package gin is a web framework.\npackage gin\n\nfunc Run() {}\n",
            "web/server.go": f"{go_licence}\npackage web\n\nfunc Serve() {{}}\n",
            # Apache's header right above `package`: no line of it says "Copyright" alone.
            "cli/cmd.go": (
                "// Copyright 2013-2023 The Cobra Authors\n//\n"
                '// Licensed under the Apache License, Version 2.0 (the "License");\n'
                "// you may not use this file except in compliance with the License.\n"
                "// You may obtain a copy of the License at\n//\n"
                "//      http://www.apache.org/licenses/LICENSE-2.0\n//\n"
                "// Unless required by applicable law or agreed to in writing, software\n"
                "// limitations under the License.\npackage cli\n\nfunc Cmd() {}\n"
            ),
            "lib/express.js": "/*!\n * express\n * Copyright(c) 2009-2013 TJ\n"
            " * MIT Licensed\n */\n\n'use strict';\n\nfunction createApp() {}\n",
            "lib/only.js": "// Copyright (c) 2020 ACME. All rights reserved.\n\n"
            "function helper() {}\n",
            "tool/licensed.py": f'"""{licence}"""\n\ndef tool():\n    pass\n',
        },
    )
    a = analyse(repo)
    assert a.files["gin/gin.go"].module_doc == "Package gin is a web framework."
    assert a.files["web/server.go"].module_doc == ""
    assert a.files["cli/cmd.go"].module_doc == ""
    assert a.files["tool/licensed.py"].module_doc == ""
    assert a.comp("createApp").doc == ""
    assert a.comp("helper").doc == ""
    site = build_site(repo)
    assert "Copyright" not in site.all_text()


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("a.js", "/** Adds. */\n// eslint-disable-next-line no-unused-vars\nfunction add() {}\n"),
        ("b.ts", "/** Adds. */\n// @ts-ignore\nexport function add(): void {}\n"),
        ("c.go", "package c\n\n// Adds.\n//\n//nolint:errcheck\nfunc Add() {}\n"),
        ("d.rs", "/// Adds.\n#[allow(dead_code)]\npub fn add() {}\n"),
        ("e.java", "/** Adds. */\n// NOLINT\nclass Add {}\n"),
        ("f.cpp", "// Adds.\n// NOLINTNEXTLINE(readability)\nint add(int a);\n"),
    ],
)
def test_directive_is_not_taken_as_doc(tmp_path: Path, name: str, source: str) -> None:
    repo = write_files(tmp_path / "dir", {name: source})
    comp = next(c for c in analyse(repo).by_id.values() if c.name.lower() == "add")
    assert comp.doc == "Adds."


def test_directive_alone_is_no_doc(tmp_path: Path) -> None:
    repo = write_files(
        tmp_path / "only",
        {
            "a.js": "/* eslint-disable */\nfunction a() {}\n",
            "b.go": "//go:build linux\n\npackage b\n\n//go:generate stringer\nfunc B() {}\n",
        },
    )
    a = analyse(repo)
    assert a.comp("a").doc == "" and a.comp("B").doc == ""
    assert a.files["b.go"].module_doc == ""


# --- conversion: each ecosystem's markup as Markdown ----------------------------------------

JAVA = """package com.example;

/**
 * The main class. Use {@link Builder} to configure it, or call {@link #toJson(Object) toJson}.
 *
 * <p>Here is an example:
 * <pre>{@code
 * Gson gson = new Gson();
 * String json = gson.toJson(target);
 * }</pre>
 *
 * <ul>
 *   <li>one with <code>code</code></li>
 *   <li>two &amp; more</li>
 * </ul>
 * @author Someone
 */
public final class Gson {
  /**
   * Serializes {@code src}.
   *
   * @param src the object to serialize
   * @param typeOfSrc its type
   * @return the JSON text
   * @throws JsonIOException if writing fails
   */
  public String toJson(Object src, Type typeOfSrc) { return null; }
}

/** Builds {@link Gson} instances. */
class Builder {}

class JsonIOException extends RuntimeException {}
"""


def test_javadoc_link_param_list_pre_and_html(tmp_path: Path, build_site) -> None:
    repo = write_files(tmp_path / "java", {"src/Gson.java": JAVA})
    site = build_site(repo)
    page_name = next(p for p in site.pages() if p != "overview.md")
    page = site.text(page_name)
    gson = _api_section(page, "Gson")
    assert f"Use [`Builder`]({page_name}#builder) to configure it" in gson
    assert f"call [`toJson`]({page_name}#gsontojson)" in gson
    assert "```java\nGson gson = new Gson();\nString json = gson.toJson(target);\n```" in gson
    assert "- one with `code`\n- two &amp; more" in gson
    assert "<p>" not in gson and "@author" not in gson and "Someone" not in gson
    method = _api_section(page, "Gson.toJson")
    assert "Serializes `src`." in method
    assert "**Parameters:**\n- `src` — the object to serialize\n- `typeOfSrc` — its type" in method
    assert "**Returns:** the JSON text" in method
    assert f"**Throws:**\n- [`JsonIOException`]({page_name}#jsonioexception)" in method
    html = _html(page, site.pages())
    assert re.search(r'<a href="[^"]*#doc-builder"[^>]*><code>Builder</code></a>', html)


def test_kotlin_kdoc_links_and_tags(tmp_path: Path) -> None:
    source = (
        "/**\n * A buffer. See [Sink] and [okio.Source].\n *\n"
        " * @param size the size\n * @return the buffer\n */\nfun buffer(size: Int) {}\n"
    )
    repo = write_files(tmp_path / "kt", {"a.kt": source})
    doc = analyse(repo).comp("buffer").doc
    assert doc.startswith("A buffer. See :any:`Sink` and :any:`okio.Source`.")
    assert ":param size: the size" in doc and ":returns: the buffer" in doc


JS = """/**
 * Proxy `Router#use()` to add middleware. See {@link Router|the router}.
 *
 * @param {String|Function} [path=/] - the mount path
 * @param {...Function} fn middleware
 * @returns {App} for chaining
 * @example
 * app.use('/static', serve('public'));
 * @Decorated()
 * @public
 */
function use(path, fn) {}

/** The router. */
class Router {}
"""


def test_jsdoc_params_example_and_link(tmp_path: Path, build_site) -> None:
    repo = write_files(tmp_path / "js", {"lib/app.js": JS})
    site = build_site(repo)
    page_name = next(p for p in site.pages() if p != "overview.md")
    section = _api_section(site.text(page_name), "use")
    assert f"See [the router]({page_name}#router)." in section
    assert "- `path` (`String|Function`) — the mount path (default: `/`)" in section
    assert "- `fn` (`...Function`) — middleware" in section
    assert "**Returns:** `App` — for chaining" in section
    # The example is code, decorators inside it included; the `@public` tag is not.
    assert "```javascript\napp.use('/static', serve('public'));\n@Decorated()\n```" in section
    assert "@public" not in section


def test_rustdoc_intra_links_and_examples(tmp_path: Path, build_site) -> None:
    source = (
        "//! # Serde\n//!\n//! A framework. See [`Serialize`] and [the trait][Deserialize].\n\n"
        "/// A data structure that can be serialized. See [`Deserialize::deserialize`].\n///\n"
        "/// # Examples\n///\n/// ```\n/// # fn main() {}\n/// let y = to_string(&x);\n/// ```\n"
        "///\n/// [`Deserialize::deserialize`]: crate::Deserialize::deserialize\n"
        "pub trait Serialize {}\n\n/// Deserialize things.\npub trait Deserialize {\n"
        "    /// Deserializes.\n    fn deserialize();\n}\n"
    )
    repo = write_files(tmp_path / "rs", {"src/lib.rs": source})
    site = build_site(repo)
    page_name = next(p for p in site.pages() if p != "overview.md")
    page = site.text(page_name)
    section = _api_section(page, "Serialize")
    assert f"See [`Deserialize::deserialize`]({page_name}#deserializedeserialize)." in section
    assert "**Examples**\n\n```rust\nlet y = to_string(&x);\n```" in section
    assert "fn main" not in section  # rustdoc's hidden `# ` lines stay hidden
    assert f"A framework. See [`Serialize`]({page_name}#serialize)" in page
    assert f"[the trait]({page_name}#deserialize)" in page


def test_go_doc_code_blocks_and_links(tmp_path: Path, build_site) -> None:
    source = (
        "// Package gin is a framework. See [Engine].\npackage gin\n\n"
        "// Default returns an [Engine] ready to use.\n//\n// Example:\n//\n"
        "//\tr := gin.Default()\n//\tr.Run()\n//\n// It attaches:\n//   - Logger\n"
        "//   - Recovery\nfunc Default() *Engine { return nil }\n\n"
        "// Engine is the framework's instance.\ntype Engine struct{}\n\n"
        "// Run runs. See [Engine.Run] and [gin.Default].\nfunc (e *Engine) Run() {}\n"
    )
    repo = write_files(tmp_path / "go", {"gin.go": source, "go.mod": "module example.com/gin\n"})
    site = build_site(repo)
    page_name = next(p for p in site.pages() if p != "overview.md")
    page = site.text(page_name)
    default = _api_section(page, "Default")
    assert f"Default returns an [`Engine`]({page_name}#engine) ready to use." in default
    assert "```go\nr := gin.Default()\nr.Run()\n```" in default
    assert "- Logger\n- Recovery" in default
    run = _api_section(page, "Engine.Run")
    assert f"[`gin.Default`]({page_name}#default)" in run


CSHARP = """namespace Newtonsoft.Json
{
    /// <summary>
    /// Serializes objects. The <see cref="JsonSerializer"/> controls how.
    /// </summary>
    /// <remarks>
    /// <para>Use <c>Create()</c> or <see cref="T:Newtonsoft.Json.JsonConvert"/>.</para>
    /// <list type="bullet"><item><description>fast</description></item>
    /// <item><description>safe</description></item></list>
    /// </remarks>
    public class JsonSerializer
    {
        /// <summary>Reads from a <see cref="JsonReader"/>.</summary>
        /// <param name="reader">The <see cref="JsonReader"/> to read.</param>
        /// <typeparam name="T">The type to read.</typeparam>
        /// <returns>The object, or <see langword="null"/>.</returns>
        /// <exception cref="JsonException">Bad input.</exception>
        /// <example><code>
        /// var s = new JsonSerializer();
        /// s.Deserialize&lt;Foo&gt;(reader);
        /// </code></example>
        public object Deserialize<T>(JsonReader reader) { return null; }
    }
    public class JsonConvert {}
    public class JsonReader {}
    public class JsonException {}
}
"""


def test_csharp_xml_doc_comments(tmp_path: Path, build_site) -> None:
    repo = write_files(tmp_path / "cs", {"Src/Newtonsoft.Json/JsonSerializer.cs": CSHARP})
    site = build_site(repo)
    page_name = next(p for p in site.pages() if p != "overview.md")
    page = site.text(page_name)
    cls = _api_section(page, "JsonSerializer")
    assert f"The [`JsonSerializer`]({page_name}#jsonserializer) controls how." in cls
    assert f"Use `Create()` or [`JsonConvert`]({page_name}#jsonconvert)." in cls
    assert "- fast\n- safe" in cls
    method = _api_section(page, "JsonSerializer.Deserialize")
    assert f"- `reader` — The [`JsonReader`]({page_name}#jsonreader) to read." in method
    assert "**Type parameters:**\n- `T` — The type to read." in method
    assert "**Returns:** The object, or `null`." in method
    assert f"**Throws:**\n- [`JsonException`]({page_name}#jsonexception) — Bad input." in method
    assert "```csharp\nvar s = new JsonSerializer();\ns.Deserialize<Foo>(reader);\n```" in method
    assert "<summary>" not in page and "<see" not in page


PYTHON = '''"""The app module."""


class Flask:
    """The flask object. See :class:`~app.Config`, :meth:`Flask.run` and :func:`os.path.join`.

    .. code-block:: python

        app = Flask(__name__)

    .. note::
       Be careful.

    .. versionchanged:: 2.0
        Now lazy.

    - outer item

      - nested item

    :param import_name: the name of the package
    :type import_name: str
    :raises ConfigError: when bad

    >>> Flask("x").name
    'x'
    """

    def run(self):
        """Run it."""


class Config(dict):
    """Config."""


class ConfigError(Exception):
    """Bad config."""
'''


def test_rst_roles_directives_and_fields(tmp_path: Path, build_site) -> None:
    repo = write_files(tmp_path / "py", {"app.py": PYTHON})
    site = build_site(repo)
    page_name = next(p for p in site.pages() if p != "overview.md")
    section = _api_section(site.text(page_name), "Flask")
    assert f"See [`Config`]({page_name}#config), [`Flask.run`]({page_name}#flaskrun)" in section
    assert "and `os.path.join`." in section  # not this repository's: stays code
    assert "```python\napp = Flask(__name__)\n```" in section
    assert "**Note:** Be careful." in section
    assert "**Changed in version 2.0:** Now lazy." in section
    assert "- outer item\n\n  - nested item" in section
    assert "- `import_name` (`str`) — the name of the package" in section
    assert f"**Raises:**\n- [`ConfigError`]({page_name}#configerror) — when bad" in section
    assert "```python\n>>> Flask(\"x\").name\n'x'\n```" in section


def test_mermaid_in_doc_text_is_shown_as_code(tmp_path: Path, build_site) -> None:
    repo = write_files(
        tmp_path / "mm",
        {
            "a.py": (
                'def f():\n    """Flow.\n\n    ```mermaid\n    graph LR\n    A-->B\n    ```\n'
                '    """\n'
            ),
            "b.rs": "/// Flow.\n///\n/// ```mermaid\n/// graph LR\n/// ```\npub fn g() {}\n",
            "c.py": 'def h():\n    """Flow.\n\n    .. mermaid::\n\n       graph LR\n    """\n',
        },
    )
    site = build_site(repo)
    text = site.all_text()
    assert "```mermaid\ngraph LR\n    A-->B" not in text
    assert "```text\ngraph LR\nA-->B\n```" in text


# --- hostile doc text stays inert after conversion ------------------------------------------

HOSTILE = {
    "Evil.java": (
        "/**\n * {@link javascript:alert(1)} {@link javascript:alert(2) <img src=x onerror=x>}\n"
        ' * <a href="javascript:alert(3)">click</a> <pre></pre><script>alert(4)</script>\n'
        " * {@code <script>alert(5)</script>} <code><img src=x onerror=alert(6)></code>\n"
        " * @param <script>x</script> <iframe src=javascript:alert(7)>\n */\nclass Evil {}\n"
    ),
    "evil.js": (
        "/**\n * {@link javascript:alert(1)|<img src=x onerror=alert(1)>}"
        " [x]{@link javascript:alert(2)}\n"
        " * @example <caption><script>alert(3)</script></caption>\n * </code></pre><script>\n"
        " * @param {<script>} <img src=x onerror=alert(4)> desc\n */\nfunction evil() {}\n"
    ),
    "Evil.cs": (
        '/// <summary><see cref="&lt;script&gt;"/> <see href="javascript:alert(1)">x</see>\n'
        '/// <see cref="X">&lt;img src=x onerror=alert(2)&gt;</see> <c>&lt;script&gt;</c>\n'
        '/// </summary>\n/// <param name="&lt;script&gt;">&lt;iframe&gt;</param>\n'
        "/// <code>&lt;/code&gt;&lt;script&gt;alert(3)&lt;/script&gt;</code>\nclass Evil {}\n"
    ),
    "evil.rs": (
        "/// [x](javascript:alert(1)) [`<script>`] [<img src=x onerror=alert(2)>]\n"
        "/// [y][evil]\n///\n/// [evil]: javascript:alert(3)\npub fn evil() {}\n"
    ),
    "evil.go": (
        "package evil\n\n// Evil [<script>alert(1)</script>] [x]\n//\n"
        "//\t</code></pre><script>alert(2)</script>\n//\n// [x]: javascript:alert(3)\n"
        "func Evil() {}\n"
    ),
    "evil.py": (
        'def evil():\n    """:class:`<script>alert(1)</script>` :func:`x <javascript:alert(2)>`\n\n'
        "    .. code-block:: <script>\n\n       </code></pre><script>alert(3)</script>\n\n"
        "    .. note:: <img src=x onerror=alert(4)>\n\n"
        '    :param <script>: <iframe src=javascript:alert(5)>\n    """\n'
    ),
}


def test_converted_markup_never_lets_html_or_scripts_through(tmp_path: Path, build_site) -> None:
    repo = write_files(tmp_path / "hostile", HOSTILE)
    site = build_site(repo)
    pages = site.pages()
    for page in pages:
        html = render_markdown(site.text(page), page=page, pages=pages)
        lowered = html.lower()
        for bad in ("<script", "<img", "<iframe", "javascript:", "onerror="):
            if bad in ("javascript:", "onerror="):
                # As text (escaped, or inside code) they are harmless; never in an attribute.
                assert not re.search(rf"<[^>]*{bad}", lowered), (page, bad)
            else:
                assert bad not in lowered, (page, bad, html)


@pytest.mark.parametrize("language", ["java", "kotlin", "javascript", "typescript", "php"])
def test_link_tags_with_schemes_are_never_links(language: str) -> None:
    text = "See {@link javascript:alert(1)} and {@link data:text/html,x label}."
    doc = convert_doc(text, language)
    rendered = render_doc(doc, lambda name: "page.md#x")
    assert "](" not in rendered
    assert "`javascript:alert(1)`" in rendered


def test_ruby_rdoc_and_yard(tmp_path: Path) -> None:
    source = (
        "module Rack\n  # Checks tokens.\n  #\n  # == Example\n  #\n"
        "  #   app = Rack::Builder.app do\n  #     use Rack::Protection\n  #   end\n  #\n"
        "  # [:key] the session key. Default +:csrf+.\n"
        "  #\n  # @param env [Hash] the request\n  # @return [Boolean] whether it passed\n"
        "  class Token\n  end\nend\n"
    )
    doc = analyse(write_files(tmp_path / "rb", {"lib/token.rb": source})).comp("Rack.Token").doc
    rendered = render_doc(doc)
    assert rendered.startswith(
        "Checks tokens.\n\n**Example**\n\n```ruby\napp = Rack::Builder.app do"
    )
    assert "- **:key** — the session key. Default `:csrf`." in rendered
    assert "- `env` (`Hash`) — the request" in rendered
    assert "**Returns:** `Boolean` — whether it passed" in rendered


def test_phpdoc_params_with_types(tmp_path: Path) -> None:
    source = (
        "<?php\n/**\n * Add a route.\n *\n * @param string[] $methods HTTP methods\n"
        " * @param callable|string $handler The handler\n * @return RouteInterface\n"
        " * @throws \\InvalidArgumentException when bad\n */\nfunction map($methods, $handler) {}\n"
    )
    doc = analyse(write_files(tmp_path / "php", {"src/App.php": source})).comp("map").doc
    rendered = render_doc(doc)
    assert "- `$methods` (`string[]`) — HTTP methods" in rendered
    assert "- `$handler` (`callable|string`) — The handler" in rendered
    assert "**Returns:** `RouteInterface`" in rendered
    assert "**Throws:**\n- `\\InvalidArgumentException` — when bad" in rendered


def test_rust_doc_above_a_multi_line_attribute_is_attached(tmp_path: Path) -> None:
    source = (
        "/// A data structure that can be serialized.\n#[cfg_attr(\n    not(no_diagnostic),\n"
        '    diagnostic::on_unimplemented(\n        message = "x",\n        note = "y",\n'
        '        note = "z",\n    )\n)]\npub trait Serialize {}\n'
    )
    a = analyse(write_files(tmp_path / "rs", {"src/lib.rs": source}))
    assert a.comp("Serialize").doc == "A data structure that can be serialized."


def test_markdown_emphasis_and_escapes_in_doc_comments() -> None:
    doc = convert_doc("A **data structure** for *ser*ializing; no \\[derive\\] here.", "rust")
    assert render_doc(doc) == "A **data structure** for \\*ser\\*ializing; no \\[derive\\] here."


def test_commented_out_code_above_a_doc_block_is_not_joined(tmp_path: Path) -> None:
    source = (
        "export class S {\n  // /** @deprecated Use `a()` instead. */\n  // a(): this;\n"
        "  /** @deprecated Use `z.xid()` instead. */\n  xid(): this { return this; }\n}\n"
    )
    doc = analyse(write_files(tmp_path / "ts", {"s.ts": source})).comp("S.xid").doc
    assert doc == ":deprecated: Use `z.xid()` instead."


def test_primitive_type_names_are_not_linked() -> None:
    doc = convert_doc(
        "Go.\n\n@param {object} map the map\n@param {Widget} w a widget", "javascript"
    )
    rendered = render_doc(doc, lambda name: f"page.md#{name.lower()}")
    assert "- `map` (`object`) — the map" in rendered
    assert "- `w` ([`Widget`](page.md#widget)) — a widget" in rendered
