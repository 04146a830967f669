"""Markdown → sanitised HTML: structure survives, anything executable does not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jobs import markdown_render
from jobs.markdown_render import relative_page_href, render_cached, render_markdown, sanitize

PAGES = frozenset({"overview.md", "core.md", "storage.md", "sub/deep.md"})


def render(text: str, page: str = "overview.md") -> str:
    return render_markdown(text, page=page, pages=PAGES)


def test_headings_get_prefixed_ids() -> None:
    html = render("# Widgets\n\n## Saving files\n\n## Saving files\n")
    assert '<h1 id="doc-widgets">Widgets</h1>' in html
    assert '<h2 id="doc-saving-files">Saving files</h2>' in html
    assert '<h2 id="doc-saving-files-1">Saving files</h2>' in html


def test_tables_keep_alignment_but_no_other_style() -> None:
    html = render("| a | b |\n|:--|--:|\n| 1 | 2 |\n")
    assert "<table>" in html and "<thead>" in html and "<tbody>" in html
    assert '<th style="text-align:left">a</th>' in html
    assert '<td style="text-align:right">2</td>' in html


def test_strikethrough_and_lists() -> None:
    html = render("- ~~old~~ new\n- second\n\n3. three\n")
    assert "<s>old</s>" in html
    assert "<ul>" in html and '<ol start="3">' in html


def test_code_is_highlighted_with_pygments_classes() -> None:
    html = render('```python\ndef f(x):\n    return "<b>"\n```\n')
    assert '<pre class="highlight"><code data-lang="python">' in html
    assert '<span class="k">def</span>' in html
    assert '<span class="nf">f</span>' in html
    # The string literal stays text.
    assert "&lt;b&gt;" in html and "<b>" not in html


def test_unknown_language_and_indented_code_are_escaped_plainly() -> None:
    html = render("```no-such-lang\n<i>x</i>\n```\n\n    <u>y</u>\n")
    assert '<code data-lang="no-such-lang">&lt;i&gt;x&lt;/i&gt;' in html
    assert "&lt;u&gt;y&lt;/u&gt;" in html
    assert "<i>" not in html and "<u>" not in html


def test_hostile_language_name_is_dropped() -> None:
    html = render('```"><script>alert(1)</script>\nx\n```\n')
    assert "<script" not in html
    assert "data-lang" not in html


def test_mermaid_fence_becomes_pre_mermaid_with_escaped_text() -> None:
    html = render('```mermaid\ngraph TD\n  A["<img src=x onerror=alert(1)>"] --> B\n```\n')
    assert '<pre class="mermaid">graph TD\n' in html
    assert "--&gt; B" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img" not in html


@pytest.mark.parametrize(
    "source",
    [
        "<script>window.__pwned=1</script>",
        '<img src="x" onerror="window.__pwned=1">',
        '<a href="https://x.org" onclick="window.__pwned=1">x</a>',
        "<iframe src=https://evil.example></iframe>",
        "<style>body{display:none}</style>",
        '<svg onload="window.__pwned=1"></svg>',
        "<!-- <script>x</script> -->",
    ],
)
def test_raw_html_is_shown_as_text(source: str) -> None:
    for text in (source, f"para {source} inline", f"> {source}"):
        html = render(text)
        # Escaped to text, never a tag.
        assert not re.search(r"<(script|img|iframe|style|svg)\b", html), html
        assert not re.search(r"<a [^>]*onclick", html), html


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "java\tscript:alert(1)",
    ],
)
def test_dangerous_link_schemes_are_neutralised(href: str) -> None:
    html = render(f"[click]({href}) and <{href}>")
    # The Markdown stays visible as text; it never becomes a link.
    assert "<a" not in html, html
    # And should some future renderer emit one, the sanitiser removes the href.
    assert "href" not in sanitize(f'<a href="{href}">x</a>')


def test_autolinks_and_external_links_get_safe_rel() -> None:
    html = render("[site](https://example.org/x) <mailto:a@b.c>")
    assert '<a href="https://example.org/x" rel="noopener noreferrer nofollow">site</a>' in html
    assert 'href="mailto:a@b.c"' in html


def test_images_become_alt_text() -> None:
    html = render("![a <b>diagram</b>](https://tracker.example/pixel.png)")
    assert "<img" not in html and "tracker.example" not in html
    assert '<span class="md-image" title="image">a &lt;b&gt;diagram&lt;/b&gt;</span>' in html


def test_links_between_pages_are_rewritten_to_viewer_urls() -> None:
    html = render("[c](core.md) [s](storage.md#saving-files) [o](overview.md) [d](sub/deep.md)")
    assert 'href="./core"' in html
    assert 'href="./storage#doc-saving-files"' in html
    assert 'href="./"' in html
    assert 'href="./sub/deep"' in html


def test_links_from_a_nested_page_are_relative_to_it() -> None:
    html = render("[o](../overview.md) [c](../core.md) [self](deep.md)", page="sub/deep.md")
    assert 'href="../"' in html
    assert 'href="../core"' in html
    assert 'href="./deep"' in html


def test_links_without_md_suffix_and_fragments() -> None:
    html = render("[c](core) [here](#widgets)")
    assert 'href="./core"' in html
    assert 'href="#doc-widgets"' in html


@pytest.mark.parametrize(
    "href", ["missing.md", "src/widgets/core.py", "../../etc/passwd", "/etc/passwd"]
)
def test_relative_links_to_non_pages_become_plain_text(href: str) -> None:
    html = render(f"see [the file]({href}) here")
    assert "<a" not in html
    assert "<span>the file</span>" in html


@pytest.mark.parametrize(
    ("target", "current", "expected"),
    [
        ("core.md", "overview.md", "./core"),
        ("overview.md", "core.md", "./"),
        ("a:b.md", "overview.md", "./a:b"),
        ("overview.md", "x/y.md", "../"),
        ("x/z.md", "x/y.md", "./z"),
    ],
)
def test_relative_page_href(target: str, current: str, expected: str) -> None:
    assert relative_page_href(target, current) == expected


def test_sanitizer_is_an_allow_list() -> None:
    dirty = (
        '<p class="evil" onclick="x()">t</p><span class="k evil">k</span>'
        '<pre class="mermaid evil">m</pre><form><input name=a></form>'
        '<a href="javascript:alert(1)">j</a><object data="x"></object>'
    )
    clean = sanitize(dirty)
    assert clean == (
        '<p>t</p><span class="k">k</span><pre class="mermaid">m</pre>'
        '<a rel="noopener noreferrer nofollow">j</a>'
    )


def test_rendered_pages_are_cached_by_mtime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = tmp_path / "core.md"
    page.write_text("# One\n")
    calls: list[str] = []
    real = markdown_render.render_markdown

    def counting(text: str, **kwargs: object) -> str:
        calls.append(text)
        return real(text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(markdown_render, "render_markdown", counting)

    def get() -> str:
        return render_cached("acme/sha", "core.md", page, page.read_text, PAGES)

    assert "One" in get()
    assert "One" in get()
    assert len(calls) == 1, "second render should come from the cache"

    page.write_text("# Two, longer\n")
    assert "Two" in get(), "a changed file must not be served stale"
    assert len(calls) == 2
