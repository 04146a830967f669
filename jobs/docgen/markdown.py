"""Escaping repository text for Markdown and Mermaid.

Everything taken from a repository (names, docstrings, paths, README text) goes through these
helpers, so hostile input cannot inject HTML, break a table or close a diagram early, whatever
the renderer's settings.
"""

from __future__ import annotations

import re

_LINE_START = re.compile(r"^([#+\-=])|^(\d+)([.)])")
_LEADING_WS = re.compile(r"^[ \t]+")
_BACKTICK_RUN = re.compile(r"`+")
_MERMAID_UNSAFE = re.compile(r"[^A-Za-z0-9 _.,:/+()\-]")
_FENCE_LANG = re.compile(r"[^a-z0-9+#-]")
MERMAID_LABEL_MAX = 48


_NEEDS_ESCAPE = re.compile(r'[&<>"\\`*_\[\]|~]')


def _escape_chars(text: str) -> str:
    # A chain of str.replace beats str.translate with a dict by 2-3x for these short strings.
    # "&" goes first (entities add more "&"), "\\" before the backslash escapes are added.
    if _NEEDS_ESCAPE.search(text) is None:
        return text
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    return (
        text.replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("`", "\\`")
        .replace("*", "\\*")
        .replace("_", "\\_")
        .replace("[", "\\[")
        .replace("]", "\\]")
        .replace("|", "\\|")
        .replace("~", "\\~")
    )


_LINE_START_CHARS = frozenset("#+-=0123456789")


def _escape_line(line: str) -> str:
    line = _escape_chars(line)
    if line and line[0] in _LINE_START_CHARS:
        line = _LINE_START.sub(_escape_line_start, line, count=1)
    return line


def escape_inline(text: str) -> str:
    """One line of repository text, safe inside a line (table cells, headings, link text).

    Block markers only matter at the start of a line, which callers never give this text;
    `escape_block` handles those too.
    """
    return _escape_chars(" ".join(text.split()))


def _escape_line_start(match: re.Match[str]) -> str:
    if match.group(1):
        return "\\" + match.group(1)
    return match.group(2) + "\\" + match.group(3)


def escape_block(text: str) -> str:
    """Multi-line repository text (docstrings, README excerpts) as escaped paragraphs.

    Line breaks are kept as hard breaks and indentation as non-breaking spaces, so that an
    indented line can never turn into a code block or a `<`-led line into raw HTML.
    """
    out: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.rstrip()
        if not line:
            if out and out[-1] != "":
                out.append("")
            continue
        indent = ""
        ws = _LEADING_WS.match(line)
        if ws:
            indent = "&nbsp;" * len(ws.group(0).expandtabs(4))
            line = line[ws.end() :]
        out.append(indent + _escape_line(line))
    while out and out[-1] == "":
        out.pop()
    # A trailing backslash is a CommonMark hard line break.
    joined: list[str] = []
    for i, line in enumerate(out):
        nxt = out[i + 1] if i + 1 < len(out) else ""
        joined.append(line + ("\\" if line and nxt else ""))
    return "\n".join(joined)


def code_fence(code: str, language: str = "") -> str:
    """A fenced code block whose fence is longer than any backtick run inside it."""
    longest = max((len(m) for m in _BACKTICK_RUN.findall(code)), default=0) if "`" in code else 0
    fence = "`" * max(3, longest + 1)
    lang = _FENCE_LANG.sub("", language.lower())
    return f"{fence}{lang}\n{code}\n{fence}"


def mermaid_label(text: str) -> str:
    """A quoted Mermaid label restricted to characters that cannot end or escape the label."""
    clean = _MERMAID_UNSAFE.sub("_", text)
    if len(clean) > MERMAID_LABEL_MAX:
        clean = clean[: MERMAID_LABEL_MAX - 3] + "..."
    return f'"{clean}"'


def link(text: str, page: str) -> str:
    """A link to one of our own pages; `page` is always a generated safe slug."""
    return f"[{escape_inline(text)}]({page})"
