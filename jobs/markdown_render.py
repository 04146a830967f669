"""Markdown → safe HTML for the documentation viewer.

The Markdown comes from a language model reading someone else's repository, so
it is untrusted input. Three layers keep it inert:

1. markdown-it-py with ``html=False``: raw HTML in the source is escaped, never
   passed through, and its link validator drops ``javascript:``/``data:`` URLs.
2. Our own render rules produce only a known set of tags and classes (Pygments
   spans, ``<pre class="mermaid">`` with escaped diagram text).
3. nh3 (ammonia) re-parses the result against an explicit allow-list, so a bug
   in 1 or 2 still cannot emit a script, an event handler or a foreign URL scheme.

Rendered HTML is cached keyed by the docs folder, page and file mtime; the
output is independent of the job and request (links between pages are
relative), so jobs sharing one cached docs folder share the rendered pages too.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Callable, Collection, Sequence
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nh3
from django.core.cache import cache as django_cache
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

# Bump when the output format changes, so stale cached HTML is never served.
RENDER_VERSION = 1
CACHE_TIMEOUT = 24 * 3600
INDEX_PAGE = "overview.md"
PAGE_SUFFIX = ".md"
# Prefixed heading ids cannot clobber globals such as ``window.mermaid``.
HEADING_ID_PREFIX = "doc-"
# Skip highlighting huge blocks: Pygments is linear but slow on megabyte files.
MAX_HIGHLIGHT_CHARS = 200_000
LANG_RE = re.compile(r"^[A-Za-z0-9_+#.-]{1,40}$")
SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")

# --- the sanitiser's allow-list ---------------------------------------------

ALLOWED_TAGS = frozenset(
    {
        "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
        "hr", "li", "ol", "p", "pre", "s", "span", "strong", "table", "tbody", "td", "th",
        "thead", "tr", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "code": {"data-lang"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
    "h1": {"id"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "h5": {"id"},
    "h6": {"id"},
    "span": {"title"},
}
# Pygments' short token classes (``k``, ``nf``, ``s2`` ...), nothing else on spans.
PYGMENTS_CLASSES = frozenset(cls for cls in STANDARD_TYPES.values() if cls)
ALLOWED_CLASSES: dict[str, set[str]] = {
    "pre": {"highlight", "mermaid"},
    "span": set(PYGMENTS_CLASSES) | {"md-image"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def sanitize(html: str) -> str:
    """The last line of defence: keep only the allow-listed tags, attributes, classes."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        # Markdown table alignment is the only inline style we emit.
        filter_style_properties={"text-align"},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        id_prefix=HEADING_ID_PREFIX,
        strip_comments=True,
    )


# --- highlighting -------------------------------------------------------------


@cache
def _formatter() -> HtmlFormatter:
    return HtmlFormatter(nowrap=True)


def highlight_code(code: str, lang: str) -> str:
    """Code as ``<pre class="highlight">``; unknown languages are escaped, not guessed."""
    lang = lang.strip().lower()
    if not LANG_RE.match(lang):
        lang = ""
    body = escapeHtml(code)
    if lang and len(code) <= MAX_HIGHLIGHT_CHARS:
        try:
            lexer = get_lexer_by_name(lang, stripnl=False, ensurenl=False)
        except ClassNotFound:
            pass
        else:
            body = pygments_highlight(code, lexer, _formatter())
    data_lang = f' data-lang="{escapeHtml(lang)}"' if lang else ""
    return f'<pre class="highlight"><code{data_lang}>{body}</code></pre>'


# --- links --------------------------------------------------------------------


def page_url_name(page: str) -> str:
    """The viewer URL segment for a page file: ``overview.md`` is the index, others lose ``.md``."""
    if page == INDEX_PAGE:
        return ""
    return page.removesuffix(PAGE_SUFFIX)


def relative_page_href(target: str, current: str) -> str:
    """A link from the current page's viewer URL to the target page's, relative.

    Relative hrefs keep the rendered HTML valid for every job that shares the
    docs folder (the job id is in the URL, not in the cached HTML).
    """
    target_url = page_url_name(target)
    current_url = page_url_name(current)
    current_dir = posixpath.dirname(current_url) if current_url else ""
    rel = posixpath.relpath(target_url or ".", current_dir or ".")
    if rel == ".":
        return "./"
    if target_url == "":
        return rel + "/"
    # ``./`` so a page named like ``a:b`` is never read as a URL scheme.
    return rel if rel.startswith("../") else "./" + rel


def rewrite_href(href: str, current: str, pages: Collection[str]) -> str | None:
    """Rewrite a relative ``foo.md#bar`` link to the viewer; None drops the link.

    Absolute URLs pass through (nh3 filters their scheme). A relative link to a
    file that is not a generated page (a source file, say) has nowhere to go in
    the viewer, so it becomes plain text rather than a 404.
    """
    if not href or href.startswith("//") or SCHEME_RE.match(href):
        return href
    parts = urlsplit(href)
    fragment = f"#{HEADING_ID_PREFIX}{parts.fragment}" if parts.fragment else ""
    if not parts.path:
        return fragment or None
    if parts.path.startswith("/"):
        return None
    base = posixpath.dirname(current)
    target = posixpath.normpath(posixpath.join(base, parts.path))
    candidates = [target] if target.endswith(PAGE_SUFFIX) else [target + PAGE_SUFFIX, target]
    for candidate in candidates:
        if candidate in pages:
            return relative_page_href(candidate, current) + fragment
    return None


# --- the markdown-it setup ----------------------------------------------------


def _slugify_heading(text: str) -> str:
    slug = re.sub(r"[^\w\- ]+", "", text.lower()).strip().replace(" ", "-")
    return slug or "section"


def _heading_ids(state: Any) -> None:
    """Give every heading a GitHub-style id so ``#section`` links land somewhere."""
    seen: dict[str, int] = {}
    tokens: Sequence[Token] = state.tokens
    for index, token in enumerate(tokens):
        if token.type != "heading_open" or index + 1 >= len(tokens):
            continue
        inline = tokens[index + 1]
        text = "".join(
            child.content
            for child in (inline.children or [])
            if child.type in ("text", "code_inline")
        )
        slug = _slugify_heading(text)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        # The sanitiser adds HEADING_ID_PREFIX, matching rewritten ``#fragment`` links.
        token.attrSet("id", slug if count == 0 else f"{slug}-{count}")


def _highlight(content: str, lang: str, attrs: str) -> str:
    """markdown-it's ``highlight`` option: Pygments, or plain escaped text."""
    return highlight_code(content, lang)


def _render_fence(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    info = token.info.strip()
    if info and info.split(maxsplit=1)[0].lower() == "mermaid":
        # Escaped text: the browser hands mermaid the decoded source, and mermaid
        # (securityLevel strict) sanitises labels when it draws.
        return f'<pre class="mermaid">{escapeHtml(token.content)}</pre>\n'
    # The default renderer calls ``_highlight`` and keeps its <pre> as is.
    return self.fence(tokens, idx, options, env)


def _render_code_block(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return highlight_code(tokens[idx].content, "") + "\n"


def _rewrite_links(state: Any) -> None:
    """Point relative page links at the viewer; links with nowhere to go become spans."""
    env = state.env
    for token in state.tokens:
        if token.type != "inline" or not token.children:
            continue
        open_token: Token | None = None
        for child in token.children:
            if child.type == "link_open":
                href = rewrite_href(str(child.attrGet("href") or ""), env["page"], env["pages"])
                if href is None:
                    open_token = child
                    child.tag, child.attrs = "span", {}
                else:
                    child.attrSet("href", href)
            elif child.type == "link_close" and open_token is not None:
                # Markdown links cannot nest, so this close belongs to that open.
                child.tag = "span"
                open_token = None


def _render_image(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    # Remote images would leak readers' addresses and the viewer serves no
    # local ones, so an image shows as its alt text.
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    return f'<span class="md-image" title="image">{escapeHtml(alt or "image")}</span>'


@cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt(
        "commonmark",
        {"html": False, "linkify": False, "typographer": False, "highlight": _highlight},
    ).enable(["table", "strikethrough"])
    md.core.ruler.push("heading_ids", _heading_ids)
    md.core.ruler.push("rewrite_links", _rewrite_links)
    md.add_render_rule("fence", _render_fence)
    md.add_render_rule("code_block", _render_code_block)
    md.add_render_rule("image", _render_image)
    return md


def render_markdown(text: str, *, page: str = INDEX_PAGE, pages: Collection[str] = ()) -> str:
    """Sanitised HTML for one page; ``pages`` are the docs folder's generated files."""
    env: dict[str, Any] = {"page": page, "pages": frozenset(pages)}
    return sanitize(_markdown().render(text, env))


# --- caching --------------------------------------------------------------------


def cache_key(docs_path: str, page: str, mtime_ns: int, size: int) -> str:
    raw = f"{RENDER_VERSION}\0{docs_path}\0{page}\0{mtime_ns}\0{size}"
    return "codewiki:docs-html:" + hashlib.sha256(raw.encode()).hexdigest()


def render_cached(
    docs_path: str,
    page: str,
    path: Path,
    read: Callable[[], str],
    pages: Collection[str],
) -> str:
    """Rendered HTML from the cache, or rendered now and stored.

    The key holds the file's mtime and size, so regenerated docs are never
    served stale; ``read`` is only called on a miss.
    """
    stat = path.stat()
    key = cache_key(docs_path, page, stat.st_mtime_ns, stat.st_size)
    html = django_cache.get(key)
    if html is None:
        html = render_markdown(read(), page=page, pages=pages)
        django_cache.set(key, html, CACHE_TIMEOUT)
    return html
