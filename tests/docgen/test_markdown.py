"""Escaping helpers: repository text must not become HTML, links, headings or diagram syntax."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from jobs.docgen.markdown import code_fence, escape_block, escape_inline, mermaid_label
from jobs.docgen.modules import slugify

MD = MarkdownIt("commonmark", {"html": True})


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        "# heading",
        "- list item",
        "1. numbered",
        "    indented code",
        "`code` **bold** _em_ ~~del~~",
        "a | b | c",
        "&lt;script&gt; &amp;",
        "<!-- comment -->",
        "<https://example.com>",
    ],
)
def test_escaped_text_renders_as_the_same_plain_text(text: str) -> None:
    html = MD.render(escape_block(text))
    assert html.startswith("<p>") and html.count("<p>") == 1
    inner = html[3:].rsplit("</p>", 1)[0]
    assert "<" not in inner.replace("&lt;", "")  # no tag at all
    plain = inner.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
    assert plain.replace("&amp;", "&").replace("\u00a0", " ").strip() == text.strip()


def test_inline_escape_keeps_table_cells() -> None:
    multi = escape_inline("multi\nline")
    row = f"| {escape_inline('a | b')} | {multi} |"
    html = MarkdownIt("commonmark").enable("table").render(f"| x | y |\n| - | - |\n{row}\n")
    assert html.count("<td>") == 2
    assert "a | b" in html


def test_block_escape_keeps_lines_and_paragraphs() -> None:
    html = MD.render(escape_block("first\nsecond\n\nthird"))
    assert html.count("<p>") == 2 and "<br />" in html


def test_code_fence_cannot_be_closed_from_inside() -> None:
    code = "x = '```'\n````\n<script>"
    block = code_fence(code, "python")
    html = MD.render(block + "\n\nafter")
    assert html.count("<pre>") == 1
    assert "&lt;script&gt;" in html and "<p>after</p>" in html


@pytest.mark.parametrize(
    "text", ['a"] --> evil["x', "<b>bold</b>", "`tick`", "end", "a;b\nc", "#quot;", "x" * 200]
)
def test_mermaid_labels_are_quoted_and_inert(text: str) -> None:
    label = mermaid_label(text)
    assert label.startswith('"') and label.endswith('"')
    inner = label[1:-1]
    assert not set(inner) & set('"<>`;#[]{}|\n&')
    assert len(inner) <= 48


@pytest.mark.parametrize(
    ("path", "slug"),
    [
        ("src/My App", "src-my-app"),
        ("../../etc", "etc"),
        ("__init__", "init"),
        ("<script>", "script"),
        ("", "module"),
        ("a..b", "a.b"),
    ],
)
def test_slugify(path: str, slug: str) -> None:
    assert slugify(path) == slug
