"""Escaping helpers: repository text must not become HTML, links, headings or diagram syntax."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from jobs.docgen.markdown import (
    code_fence,
    code_span,
    doc_summary,
    escape_inline,
    inline_doc,
    mermaid_label,
    render_doc,
)
from jobs.docgen.modules import slugify

MD = MarkdownIt("commonmark", {"html": True})


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        "# heading",
        "    indented text",
        "~~del~~ *** a * b",
        "a | b | c",
        "&lt;script&gt; &amp;",
        "<!-- comment -->",
        "<https://example.com>",
    ],
)
def test_doc_text_renders_as_the_same_plain_text(text: str) -> None:
    html = MD.render(render_doc(text))
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


def test_doc_paragraphs_are_reflowed_not_hard_broken() -> None:
    html = MD.render(render_doc("first\nsecond\n\nthird"))
    assert html == "<p>first second</p>\n<p>third</p>\n"


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


def test_render_doc_reflows_paragraphs() -> None:
    text = "First line\nsecond line.\n\nNext paragraph\n  indented continuation."
    assert render_doc(text) == "First line second line.\n\nNext paragraph indented continuation."


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ("Use ``x``.", "Use `x`."),
        ("Use `x`.", "Use `x`."),
        ("Use :class:`~pkg.Model`.", "Use `Model`."),
        ("See `Django <https://djangoproject.com>`_.", "See Django."),
        ("A ``a`b`` tick.", "A ``a`b`` tick."),
        ("Edge ```` `x ```` case.", "Edge `` `x `` case."),
        ("Lone ` tick.", "Lone \\` tick."),
        ("<b>bold</b> & co", "&lt;b&gt;bold&lt;/b&gt; &amp; co"),
        ("# not a heading", "\\# not a heading"),
    ],
)
def test_render_doc_inline_literals(doc: str, expected: str) -> None:
    assert render_doc(doc) == expected


def test_code_spans_are_safe_everywhere() -> None:
    assert code_span("a`b") == "``a`b``"
    assert code_span("`x`") == "`` `x` ``"
    assert code_span("a | b", table=True) == "`a \\| b`"
    row = f"| {inline_doc('Use ``a | b`` here', table=True)} | y |"
    html = MarkdownIt("commonmark").enable("table").render(f"| x | y |\n| - | - |\n{row}\n")
    assert html.count("<td>") == 2 and "<code>a | b</code>" in html
    html = MD.render(inline_doc("``<script>alert(1)</script>`` and <b>"))
    assert "<script" not in html and "<b>" not in html
    assert "<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>" in html


def test_render_doc_blocks() -> None:
    doc = (
        "Summary.\n\nExample::\n\n    code(1)\n\n    more(2)\n\nAfter.\n\n"
        ">>> run()\n1\n\nParameters\n----------\nx : int\n    The x.\n\n"
        ":param y: The y.\n:returns: Nothing.\n\n* one\n  wrapped\n* two"
    )
    assert render_doc(doc) == (
        "Summary.\n\nExample:\n\n```\ncode(1)\n\nmore(2)\n```\n\nAfter.\n\n"
        "```python\n>>> run()\n1\n```\n\n**Parameters**\n\n- **x : int** — The x.\n\n"
        "**Parameters:**\n- `y` — The y.\n\n**Returns:** Nothing.\n\n- one wrapped\n- two"
    )
    html = MD.render(render_doc(doc))
    assert html.count("<pre>") == 2 and "<strong>Parameters</strong>" in html


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ("Do a thing. Then more.", "Do a thing."),
        ("Wrapped over\ntwo lines. Then more.", "Wrapped over two lines."),
        ("Use e.g. this. Then.", "Use e.g. this."),
        ("PHP date() style formatting\nSee the PHP manual.", "PHP date() style formatting"),
        ("Run ``a. B`` now. Next.", "Run ``a. B`` now."),
        ("Example::\n\n    x", "Example:"),
        ("word " * 60, ("word " * 39).strip() + "…"),
    ],
)
def test_doc_summary_is_the_first_sentence(doc: str, expected: str) -> None:
    assert doc_summary(doc) == expected


def test_docstring_rendering_never_leaks_html_or_breaks_tables() -> None:
    import random

    rng = random.Random(1234)
    atoms = [
        "`",
        "``",
        "```",
        "|",
        "\\",
        "<img src=x onerror=alert(1)>",
        "<script>",
        "a",
        " ",
        "\n",
        "\n\n",
        "    ",
        "::",
        ">>> ",
        "- ",
        "*",
        "_",
        ":param x:",
        "Args:",
        "&lt;",
    ]
    table = MarkdownIt("commonmark", {"html": True}).enable("table")
    for _ in range(400):
        doc = "".join(rng.choice(atoms) for _ in range(rng.randint(1, 14)))
        cell = inline_doc(doc_summary(doc), table=True)
        html = table.render(f"| a | b |\n| - | - |\n| {cell} | z |\n")
        assert html.count("<td>") == 2, (doc, cell)
        block = MD.render(render_doc(doc))
        for rendered in (html, block):
            assert "<img" not in rendered and "<script" not in rendered, (doc, rendered)


def test_render_doc_block_tags_become_a_list() -> None:
    doc = "Mount the widget.\n@param {string} id the element\n   id, wrapped\n@returns {Widget} it"
    assert render_doc(doc) == (
        "Mount the widget.\n\n**Parameters:**\n- `id` (`string`) — the element id, wrapped\n\n"
        "**Returns:** `Widget` — it"
    )


def test_long_docs_are_clipped_at_a_paragraph_break() -> None:
    from jobs.docgen.parsers.common import MAX_DOC, clip_doc

    paragraph = "word " * 300
    clipped = clip_doc("\n\n".join([paragraph] * (MAX_DOC // 1000)))
    assert len(clipped) <= MAX_DOC + 3
    assert clipped.endswith("word\n\n…")  # whole paragraphs, then the ellipsis on its own
    assert clip_doc("short") == "short"


def test_doc_emphasis_is_kept_and_its_content_escaped() -> None:
    html = MD.render(render_doc("**bold** _em_ *x<b>y* __dunder__ *args snake_case_name"))
    assert "<strong>bold</strong> <em>em</em> <em>x&lt;b&gt;y</em>" in html
    assert "__dunder__ *args snake_case_name" in html
