"""The README as the overview shows it: Markdown kept as Markdown, the noise left out.

Headings, prose, lists, links and code blocks stay; badges, logos and other images, raw
HTML, and the sections a newcomer does not need first (sponsors, licence, contributing,
changelog, ...) go. Text from the repository stays inert: HTML is escaped, and only web and
mail links survive (a `javascript:` or relative link keeps its text, not its target).
"""

from __future__ import annotations

import re

from .markdown import dedent_lines

MAX_README_CHARS = 6000
# Sections dropped with everything below them, matched against the heading text.
DROP_SECTIONS = re.compile(
    r"\b(licen[cs]e|sponsor|backer|donat|funding|contribut|changelog|change log|changes|"
    r"history|release notes|code of conduct|security|authors?|credits|acknowledg|thanks|"
    r"supporters|star history|badges|maintainers|citation|stargazers|support us|"
    r"become a|buy me|tidelift|enterprise|team\b|triager|emerit|people\b|committee)",
    re.IGNORECASE,
)
# A table of contents: its heading goes, its in-page links go (`_TOC_ITEM`), and whatever
# else sits below it (express keeps its hello-world there) stays.
_TOC_HEADING = re.compile(r"^(?:table of )?contents$|^toc$", re.IGNORECASE)
_ATX = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
# A badge: an image inside a link, each written inline `(url)` or by reference `[ref]`.
_IMAGE_LINK = re.compile(r"\[!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])\](?:\([^)]*\)|\[[^\]]*\])")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]")
_LINK = re.compile(r"\[([^\]\n]*)\]\(((?:[^()\s]|\([^()\s]*\))*)(?:\s+\"[^\"\n]*\")?\)")
_REF_DEF = re.compile(r"^\s{0,3}\[([^\]]+)\]:\s*<?([^\s>]+)>?")
# `[text][ref]`, `[text][]`: a link whose target is defined elsewhere in the README.
_REF_LINK = re.compile(r"\[([^\]\n]+)\]\[([^\]\n]*)\]")
# A list item that is only a link to a heading of the README: a table of contents, useless
# once the excerpt has its own headings.
_TOC_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[[^\]]*\]\(#[^)]*\)\s*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_CODE_SPAN = re.compile(r"(`+)[^`\n]*?\1")
_SAFE_TARGET = re.compile(r"^(https?://|mailto:)[^\s<>\"']+$", re.IGNORECASE)
# Layout and emphasis tags are dropped (their text stays); any other tag is shown escaped.
_LAYOUT_TAG = re.compile(
    r"</?(?:a|b|i|em|strong|sub|sup|br|span|p|div|img|picture|source|center|h[1-6]|details|"
    r"summary|kbd|small|hr|u|s|strike|del|ins|mark)\b[^<>\n]*>",
    re.IGNORECASE,
)
_HTML_LINE = re.compile(r"^\s*</?[A-Za-z!][^\n]*$")


def readme_markdown(text: str, max_chars: int = MAX_README_CHARS) -> str:
    """The README's useful part as Markdown, headings demoted below the page's own."""
    lines = _atx_headings(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    refs = {
        match.group(1).strip().lower(): match.group(2)
        for match in map(_REF_DEF.match, lines)
        if match is not None
    }
    out: list[str] = []
    fence = ""
    drop_level = 0  # inside a dropped section of this heading level (0: not dropping)
    size = 0
    truncated = False
    first_heading = True
    in_html = False
    for line in lines:
        if fence:
            if line.strip().startswith(fence):
                fence = ""
            if not drop_level:
                out.append(line)
            continue
        opened = _FENCE.match(line)
        if opened:
            fence = opened.group(1)[0] * len(opened.group(1))
            if not drop_level:
                # Only the generator's own diagrams are drawn: an author's is shown as text.
                info = re.match(r"[\w.+#-]*", line.strip()[len(fence) :].strip()).group(0)
                out.append(fence + ("text" if "mermaid" in info.lower() else info))
            continue
        heading = _ATX.match(line)
        if heading:
            level, title = len(heading.group(1)), _clean_inline(heading.group(2), refs).strip()
            if drop_level and level > drop_level:
                continue
            drop_level = 0
            if DROP_SECTIONS.search(title) or not title:
                drop_level = level
                continue
            if size > max_chars:
                truncated = True
                break
            if _TOC_HEADING.match(title):
                continue
            if first_heading and level == 1:
                first_heading = False
                continue  # the project's name: the page has its own title
            first_heading = False
            out += ["", f"{'#' * min(6, max(3, level + 1))} {title}", ""]
            continue
        if drop_level:
            continue
        if _HTML_LINE.match(line) or _REF_DEF.match(line) or _TOC_ITEM.match(line):
            in_html = bool(_HTML_LINE.match(line))
            continue
        if not line.strip():
            in_html = False
        elif in_html:
            line = line.strip()  # text inside an HTML block: not an indented code block
        cleaned = _clean_inline(line, refs)
        if not cleaned.strip() and line.strip():
            continue  # a line of badges or images only
        out.append(cleaned.rstrip())
        size += len(cleaned)
    if fence and out:
        out.append(fence)  # a README that never closes its fence
    result = re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()
    if truncated:
        result += "\n\n_The README continues beyond this excerpt._"
    return result


def _atx_headings(lines: list[str]) -> list[str]:
    """Setext headings (a title over `====` or `----`) rewritten as `#`/`##` headings, so
    that one rule decides which sections to keep (okio's "License" is underlined)."""
    out: list[str] = []
    fence = ""
    for line in lines:
        if fence:
            if line.strip().startswith(fence):
                fence = ""
            out.append(line)
            continue
        opened = _FENCE.match(line)
        if opened:
            fence = opened.group(1)[0] * len(opened.group(1))
        underline = _SETEXT.match(line)
        title = out[-1].strip() if out else ""
        if (
            underline
            and title
            and not _FENCE.match(out[-1])
            and not _ATX.match(title)
            and not title.startswith(("-", "*", "+", ">", "|", "<"))
            and (len(out) < 2 or not out[-2].strip())
        ):
            out[-1] = ("#" if underline.group(1)[0] == "=" else "##") + " " + title
            continue
        out.append(line)
    return out


def _clean_inline(line: str, refs: dict[str, str] | None = None) -> str:
    """One line of prose: images gone, links made safe, HTML escaped; code spans kept."""
    parts: list[str] = []
    pos = 0
    for span in _CODE_SPAN.finditer(line):
        parts.append(_clean_prose(line[pos : span.start()], refs or {}))
        parts.append(span.group(0))
        pos = span.end()
    parts.append(_clean_prose(line[pos:], refs or {}))
    return "".join(parts)


def _clean_prose(text: str, refs: dict[str, str]) -> str:
    text = _IMAGE_LINK.sub("", text)
    text = _IMAGE.sub("", text)

    def ref_link(match: re.Match[str]) -> str:
        label, ref = match.group(1), match.group(2)
        key = (ref or label).strip().lower()
        if key not in refs:
            return match.group(0)  # not a link at all (`grid[i][j]` in prose)
        target = refs[key]
        return f"[{label}]({target})" if _SAFE_TARGET.match(target) else label

    text = _REF_LINK.sub(ref_link, text)

    def link(match: re.Match[str]) -> str:
        label, target = match.group(1), match.group(2)
        return f"[{label}]({target})" if _SAFE_TARGET.match(target) else label

    text = _LINK.sub(link, text)
    text = _LAYOUT_TAG.sub("", text)
    # Other inline HTML is shown as text, never rendered; a leading ">" is a Markdown quote.
    quote = re.match(r"^\s*(?:>\s?)+", text)
    prefix = quote.group(0) if quote else ""
    return prefix + text[len(prefix) :].replace("<", "&lt;").replace(">", "&gt;")


# reStructuredText READMEs (many Python projects) are turned into Markdown first; the
# Markdown pass then drops the noise and keeps everything inert, as for any README.
_RST_ADORNMENT = re.compile(r"^([=\-~^\"'`#*+:.])\1{2,}\s*$")
_RST_DIRECTIVE = re.compile(r"^\.\.\s+(?:\|[^|]+\|\s+)?([\w:-]+)::\s*(.*)$")
_RST_CODE_DIRECTIVES = {"code", "code-block", "sourcecode"}
_RST_ADMONITIONS = {"note", "tip", "hint", "important", "warning", "caution", "attention"}
_RST_LINK = re.compile(r"`([^`<>\n]+?)\s*<([^<>`\s]+)>`__?")
_RST_ROLE = re.compile(r":[\w:+-]+:`([^`\n]+)`")
_RST_LITERAL = re.compile(r"``([^`\n]+?)``")
_RST_REF = re.compile(r"`([^`<>\n]+)`_{1,2}(?!\w)")
_RST_SUBST = re.compile(r"\|[^|\s][^|\n]*\|_{0,2}")
_RST_ENUM = re.compile(r"^(\s*)#\.\s")


def rst_to_markdown(text: str) -> str:
    """A reStructuredText README as Markdown: sections, code blocks, lists, links."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    styles: list[tuple[str, bool]] = []  # heading styles in order of first use: level 1, 2…
    out: list[str] = []
    i = 0

    def block(start: int) -> tuple[list[str], int]:
        """The indented block from ``start`` (blank lines inside it kept), dedented."""
        end = start
        while end < len(lines) and (not lines[end].strip() or lines[end][:1] in " \t"):
            end += 1
        return dedent_lines(lines[start:end]), end

    def code(body: list[str], language: str) -> None:
        out.extend(["", f"```{language}", *body, "```", ""])

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        following = lines[i + 1].strip() if i + 1 < len(lines) else ""
        # A section title: underlined (and maybe overlined) by one repeated punctuation mark.
        over = bool(_RST_ADORNMENT.match(stripped)) and i + 2 < len(lines)
        if over and lines[i + 1].strip() and _RST_ADORNMENT.match(lines[i + 2].strip()):
            style, title, i = (stripped[0], True), lines[i + 1].strip(), i + 3
        elif stripped and _RST_ADORNMENT.match(following) and len(following) >= len(stripped):
            style, title, i = (following[0], False), stripped, i + 2
        else:
            style = None
        if style is not None:
            if style not in styles:
                styles.append(style)
            level = min(styles.index(style) + 1, 6)
            out.extend(["", f"{'#' * level} {_rst_inline(title)}", ""])
            continue
        directive = _RST_DIRECTIVE.match(stripped) if not line[:1].isspace() else None
        if directive is not None:
            name, argument = directive.group(1).lower(), directive.group(2).strip()
            body, i = block(i + 1)
            body = dedent_lines([b for b in body if not re.match(r"^:[\w-]+:", b)])  # no options
            if name in _RST_CODE_DIRECTIVES:
                code(body, argument.split()[0] if argument else "")
            elif name in _RST_ADMONITIONS:
                out.extend(["", f"**{name.capitalize()}:** {_rst_inline(argument)}".rstrip()])
                out.extend(_rst_inline(b) for b in body)
                out.append("")
            continue  # images, badges, includes, tables of contents: not for the overview
        if stripped.startswith("..") and not line[:1].isspace():
            _body, i = block(i + 1)  # a comment or a link target
            continue
        if stripped.startswith(">>>") and not line[:1].isspace():
            end = i
            while end < len(lines) and lines[end].strip():
                end += 1
            code(lines[i:end], "pycon")
            i = end
            continue
        if stripped.endswith("::") and not stripped.startswith(".."):
            prose = stripped[:-2].rstrip()
            if prose:
                out.append(line[: len(line) - len(line.lstrip())] + _rst_inline(prose) + ":")
            body, i = block(i + 1)
            code(body, "pycon" if body and body[0].startswith(">>>") else "")
            continue
        out.append(_RST_ENUM.sub(r"\g<1>1. ", _rst_inline(line)))
        i += 1
    return "\n".join(out)


def _rst_inline(text: str) -> str:
    text = _RST_SUBST.sub("", text)
    text = _RST_LINK.sub(lambda m: f"[{m.group(1)}]({m.group(2)})", text)
    text = _RST_LITERAL.sub(lambda m: f"`{m.group(1)}`", text)
    text = _RST_ROLE.sub(lambda m: f"`{m.group(1)}`", text)
    return _RST_REF.sub(r"\1", text)
