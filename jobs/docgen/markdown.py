"""Escaping repository text for Markdown and Mermaid.

Everything taken from a repository (names, docstrings, paths, README text) goes through these
helpers, so hostile input cannot inject HTML, break a table or close a diagram early, whatever
the renderer's settings. Text is escaped character by character; the only repository text left
unescaped sits inside fenced blocks and inline code spans, whose delimiters are always longer
than any backtick run inside them (CommonMark renders their content literally and escapes it).
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Maps a cross-reference written in doc text (`Foo`, `pkg.Foo.bar`, `Foo#bar`) to the link of
# the component's section, or None when the name is not one the site documents.
Resolver = Callable[[str], str | None]

_LINE_START = re.compile(r"^([#+\-=])|^(\d+)([.)])")
_BACKTICK_RUN = re.compile(r"`+")
_MERMAID_UNSAFE = re.compile(r"[^A-Za-z0-9 _.,:/+()\-]")
_FENCE_LANG = re.compile(r"[^a-z0-9+#-]")
MERMAID_LABEL_MAX = 48


# `"` needs no escape: with `<` escaped no attribute can be opened, and prose shows quotes.
_NEEDS_ESCAPE = re.compile(r"[&<>\\`*_\[\]|~]")


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
    `render_doc` handles those too.
    """
    if text.isascii() and text.replace(".", "").isidentifier():
        # Names and dotted names (most of what is escaped): only "_" needs a backslash.
        return text.replace("_", "\\_") if "_" in text else text
    return _escape_chars(" ".join(text.split()))


def _escape_line_start(match: re.Match[str]) -> str:
    if match.group(1):
        return "\\" + match.group(1)
    return match.group(2) + "\\" + match.group(3)


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


# --- docstrings -------------------------------------------------------------------------------
#
# Docstrings are written for a terminal: wrapped at 72-88 columns, RST or Markdown inline
# literals, indented argument lists and examples. `render_doc` reflows the prose, turns those
# conventions into the Markdown a reader expects, and still escapes every character of it.

# ``literal``, `interpreted` or Markdown `code` (any backtick run closes on the same run),
# an optional RST role before, an RST link mark "_" after.
_CODE_SPAN = re.compile(r"(?::([A-Za-z][\w:.+-]*):)?(?<!`)(`+)(?!`)(.+?)(?<!`)\2(?!`)(_{0,2})")
# Roles whose target is a name in the code (Sphinx's Python, C, C++ and JS domains, `any`).
_TEXT_ROLES = frozenset(
    {"doc", "ref", "term", "envvar", "rfc", "pep", "download", "abbr", "kbd", "file", "samp"}
    | {"program", "option", "command", "guilabel", "menuselection", "math", "sub", "sup"}
    | {"dfn", "emphasis", "strong", "literal", "title-reference", "numref", "keyword", "token"}
)
# `[text](https://...)`: the only Markdown link kept from repository text (plain http(s)).
_MD_LINK = re.compile(
    r"\[([^\[\]\n`]{1,200})\]\((https?://[A-Za-z0-9._~:/?#@!$&'*+,;=%\-]{1,500})\)"
)
_RST_LINK = re.compile(r"^(.*?)\s*<([^<>]+)>$")
_BULLET = re.compile(r"^(?:[*+\-\u2022]|\d{1,3}[.)]|\(\d{1,3}\)|#\.)\s+(.*)$")
_TAG = re.compile(r"^@([A-Za-z]\w*)(?:\s+(.*)|$)")  # JSDoc / Javadoc / PHPDoc block tags
_FIELD = re.compile(r"^:([A-Za-z][\w]*)((?:\s+[^:\s][^:]*)?):(?:\s+(.*)|$)")
_ITEM_START = re.compile(r"^\**[A-Za-z_][\w.]*\**(?:\s*\([^)]*\))?\s*:(?:\s|$)")
_UNDERLINE = re.compile(r"^([=\-~^*+#\"'`])\1{2,}$")
_CODE_HINT = re.compile(r"[(){}\[\];]\s*$|^\s*(?:\$ |>>> |from \w|import \w|@\w)|\w = ")
# Anything in a docstring that needs more than plain paragraphs (see `render_doc`), at the
# start of a line. Matched against "\n" + text: a pattern led by a literal is searched fast.
_STRUCTURE = re.compile(
    r"\n(?:[ \t]|>>>|```|~~~|\.\. |[*+\-\u2022]\s|\d{1,3}[.)]\s|\(\d|#\.|:[A-Za-z]|@[A-Za-z]"
    r"|([=\-~^*+#\"'`])\1{2,})"
)
SUMMARY_MAX = 200
_SENTENCE_END = re.compile(r"[.!?](?=\s+\S)")
# Words whose full stop never ends a sentence ("e.g. Django" names an example, not a start).
_ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "vs", "cf", "approx", "esp", "viz", "resp", "incl", "al", "ca", "fig"}
    | {"mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr"}
)
# Abbreviations that may also close a sentence: they do when a capital starts the next word.
_CLOSING_ABBREVIATIONS = frozenset({"etc"})
_WORD_OPENERS = "([{\"'“‘*_"


def code_span(content: str, *, table: bool = False) -> str:
    """Inline code whose delimiter is longer than any backtick run inside it.

    Code spans are literal in CommonMark and the renderer escapes their HTML itself. In a
    table row a `|` would still end the cell, so there it is written as `\\|`.
    """
    content = " ".join(content.split())
    if not content:
        return ""
    if table:
        content = content.replace("|", "\\|")
    longest = (
        max((len(m) for m in _BACKTICK_RUN.findall(content)), default=0) if "`" in content else 0
    )
    fence = "`" * (longest + 1)
    if content[0] == "`" or content[-1] == "`":
        content = f" {content} "
    return f"{fence}{content}{fence}"


# `*emphasis*`, `**strong**`, `_emphasis_` around words (never `__dunder__`, `*args`).
_EMPHASIS = re.compile(
    r"(?<![\w*\\])(\*\*|\*|_)(?=[^\s*_])((?:(?!\1)[^\n`]){1,200}?)(?<=[^\s\\])\1(?![\w*])"
)


def _escape_emphasis(text: str) -> str:
    """Escaped text whose emphasis markers are kept (their content is escaped)."""
    if "*" not in text and "_" not in text:
        return _escape_chars(text)
    out: list[str] = []
    pos = 0
    for match in _EMPHASIS.finditer(text):
        marker, content = match.group(1), match.group(2)
        if marker == "_" and not content.replace(" ", "").isalpha():
            continue  # `snake_case_name`: underscores, not emphasis
        out.append(_escape_chars(text[pos : match.start()]))
        mark = "**" if marker == "**" else "*"
        out.append(f"{mark}{_escape_chars(content)}{mark}")
        pos = match.end()
    out.append(_escape_chars(text[pos:]))
    return "".join(out)


def _escape_prose(text: str, table: bool) -> str:
    """Escaped prose, keeping `[text](https://...)` links (their URL is checked, not trusted)
    and emphasis."""
    if "](" not in text:
        return _escape_emphasis(text)
    out: list[str] = []
    pos = 0
    for match in _MD_LINK.finditer(text):
        out.append(_escape_emphasis(text[pos : match.start()]))
        url = match.group(2).replace("(", "%28").replace(")", "%29")
        if table:
            url = url.replace("|", "%7C")
        out.append(f"[{_escape_chars(match.group(1))}]({url})")
        pos = match.end()
    out.append(_escape_emphasis(text[pos:]))
    return "".join(out)


def _reference(
    role: str, content: str, link_mark: str, table: bool, resolve: Resolver | None
) -> str:
    """A role or RST link: a link to the component when it resolves, else code or title."""
    titled = _RST_LINK.match(content)
    if titled and (link_mark or role):
        title, target = titled.group(1), titled.group(2)
        if role and role not in _TEXT_ROLES and resolve is not None:
            href = resolve(target.lstrip("~!."))
            if href is not None:
                if role == "any" and title and " " not in title.strip():
                    # `{@link Foo#bar bar}`: a name stays in code font, as Javadoc shows it
                    return f"[{code_span(title, table=table)}]({href})"
                return f"[{_escape_chars(title or target)}]({href})"
        # `Django <https://...>`_ or :doc:`the guide <ref/guide>`: show the title.
        return _escape_chars(title or target)
    target = content.lstrip("!")
    if role == "any" and "#" in target:
        target = target.replace("#", ".").lstrip(".")  # Javadoc's `Foo#bar()`
    if target.startswith("~"):
        # Sphinx shows only the last part of `~pkg.mod.Name`.
        target = target[1:]
        shown = target.rsplit(".", 1)[-1]
    else:
        shown = target
    if role and role not in _TEXT_ROLES and resolve is not None:
        href = resolve(target.lstrip("."))
        if href is not None:
            return f"[{code_span(shown, table=table)}]({href})"
    return code_span(shown, table=table)


def inline_doc(text: str, *, table: bool = False, resolve: Resolver | None = None) -> str:
    """One line of docstring prose: literals become code spans, cross-references links when
    `resolve` knows them, everything else is escaped."""
    text = " ".join(text.split())
    if "`" not in text:
        return _escape_prose(text, table)
    out: list[str] = []
    pos = 0
    for match in _CODE_SPAN.finditer(text):
        out.append(_escape_prose(text[pos : match.start()], table))
        pos = match.end()
        role, run, content, link_mark = match.groups()
        if len(run) > 1:
            out.append(code_span(content, table=table))
            continue
        if role or link_mark:
            out.append(_reference(role or "", content, link_mark, table, resolve))
            continue
        out.append(code_span(content.lstrip("~!"), table=table))
    out.append(_escape_prose(text[pos:], table))
    return "".join(out)


def _inline_line(text: str, resolve: Resolver | None = None) -> str:
    """`inline_doc` for text that starts a Markdown line (no block marker may start it)."""
    line = inline_doc(text, resolve=resolve)
    if line and line[0] in _LINE_START_CHARS:
        line = _LINE_START.sub(_escape_line_start, line, count=1)
    return line


def doc_summary(doc: str, *, limit: int = SUMMARY_MAX) -> str:
    """The first sentence of a docstring's first paragraph, as plain text (not yet escaped)."""
    first: list[str] = []
    lines = doc.strip().splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if (
            not stripped
            or stripped.startswith((">>>", "```", ".. "))
            or _UNDERLINE.match(stripped)
            or (stripped[0] == ":" and _FIELD.match(stripped))
        ):
            if first:
                break
            continue
        if not first and i + 1 < len(lines) and _UNDERLINE.match(lines[i + 1].strip()):
            continue  # a title over its underline: the prose below says more
        first.append(stripped)
    if len(first) > 1 and first[0][-1] not in ".!?:,;" and first[1][:1].isupper():
        first = first[:1]  # a title line ("PHP date() style formatting") above the prose
    text = " ".join(first)
    end = _sentence_end(text)
    if end:
        text = text[:end]
    if text.endswith("::"):
        text = text[:-1]
    if len(text) > limit:
        cut = text[: limit - 1].rsplit(" ", 1)[0]
        # Never cut an inline literal in two: stop before it instead.
        for match in _CODE_SPAN.finditer(text) if "`" in text else ():
            if match.start() < len(cut) < match.end():
                cut = text[: match.start()].rstrip()
                break
        text = cut + "…"
    return text


def _sentence_end(text: str) -> int:
    """End of the first sentence: a full stop and a space, not after an abbreviation, an
    initial ("J. Smith"), a number ("v1.2. ", "No. 5") or inside a code span."""
    spans = [m.span() for m in _CODE_SPAN.finditer(text)] if "`" in text else []
    for match in _SENTENCE_END.finditer(text):
        if any(a <= match.start() < b for a, b in spans):
            continue
        word = text[: match.start()].rsplit(None, 1)[-1].lstrip(_WORD_OPENERS)
        before = word.lower()
        if (
            not word
            or before in _ABBREVIATIONS
            or (len(word) == 1 and word.isupper())
            or word[-1].isdigit()
        ):
            continue
        after = text[match.end() :].lstrip()
        if before in _CLOSING_ABBREVIATIONS and not after[:1].isupper():
            continue
        if before == "no" and after[:1].isdigit():
            continue
        return match.end()
    return 0


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def dedent_lines(lines: list[str]) -> list[str]:
    """The lines without blank lines around them and without their common indent."""
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    while lines and not lines[0].strip():
        lines = lines[1:]
    margin = min((_indent(ln) for ln in lines if ln.strip()), default=0)
    return [ln[margin:] for ln in lines]


def _dedent(lines: list[str]) -> str:
    return "\n".join(dedent_lines(lines))


def _author_fence_lang(info: str) -> str:
    """The language of a fence the repository's authors wrote.

    The viewer draws ``mermaid`` fences as diagrams; only the generator's own
    diagrams may be drawn, so an author's diagram is shown as its source text.
    """
    words = info.strip().lower().replace(",", " ").split()
    lang = _FENCE_LANG.sub("", words[0]) if words else ""
    return "text" if "mermaid" in lang else lang


def render_doc(text: str, resolve: Resolver | None = None, literal_language: str = "") -> str:
    """A docstring (or README excerpt) as Markdown blocks: reflowed, structured and escaped.

    Paragraphs are joined into single lines; blank lines separate paragraphs. Literal
    blocks (after a `::`, `>>>` sessions, fenced blocks, `.. code-block::`, indented code
    after a colon) become fenced code; argument lists (`Args:` sections, `name` + indented
    description, bullets) become lists; Sphinx fields (`:param x:`, `:returns:`,
    `:raises E:`, and the `@param` tags other languages are converted to) become a parameter
    list; admonitions (`.. note::`) become labelled paragraphs; RST section underlines become
    bold headings. Cross-references (`:class:`Foo``) become links where `resolve` knows them.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "::" not in text and _STRUCTURE.search("\n" + text) is None:
        # Plain paragraphs, the common case: reflow them and be done.
        return "\n\n".join(
            _inline_line(p, resolve) for p in text.split("\n\n") if not p.isspace() and p
        )
    lines = [ln.rstrip().expandtabs(4) for ln in text.split("\n")]
    blocks: list[str] = []
    n = len(lines)
    i = 0
    literal_after = -1  # indent of a paragraph that ended with "::", else -1
    list_indent = -1  # base indent of the list that the last block belongs to, else -1
    while i < n:
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            i += 1
            continue
        indent = _indent(line)
        if literal_after >= 0:
            pending, literal_after = literal_after, -1
            if indent > pending:
                j = i
                while j < n and (not lines[j].strip() or _indent(lines[j]) > pending):
                    j += 1
                blocks.append(code_fence(_dedent(lines[i:j]), literal_language))
                i = j
                continue
        if stripped.startswith(("```", "~~~")):
            marker = stripped[:3]
            j = i + 1
            while j < n and not lines[j].strip().startswith(marker):
                j += 1
            blocks.append(code_fence(_dedent(lines[i + 1 : j]), _author_fence_lang(stripped[3:])))
            i = j + 1
            list_indent = -1
            continue
        if stripped.startswith(">>>"):
            j = i + 1
            while j < n and lines[j].strip():
                j += 1
            blocks.append(code_fence(_dedent(lines[i:j]), "python"))
            i = j
            list_indent = -1
            continue
        if stripped.startswith(".. ") or stripped == "..":
            j = i + 1
            while j < n and (not lines[j].strip() or _indent(lines[j]) > indent):
                j += 1
            blocks.extend(_directive(stripped, lines[i + 1 : j], resolve))
            i = j
            list_indent = -1
            continue
        if _UNDERLINE.match(stripped):
            i += 1  # an RST overline, or a rule on its own
            continue
        if i + 1 < n and _UNDERLINE.match(lines[i + 1].strip()) and len(stripped) <= 80:
            blocks.append(f"**{inline_doc(stripped, resolve=resolve)}**")
            i += 2
            list_indent = -1
            continue
        # A chunk: the lines up to a blank line, a doctest, a directive or a heading.
        j = i + 1
        while j < n:
            nxt = lines[j].strip()
            if not nxt or nxt.startswith((">>>", "```", "~~~", ".. ")):
                break
            if j + 1 < n and _UNDERLINE.match(lines[j + 1].strip()) and not _UNDERLINE.match(nxt):
                break
            j += 1
        chunk = lines[i:j]
        i = j
        continuation = 0 <= list_indent < indent
        rendered, ends_literal, is_list = _render_chunk(chunk, resolve, literal_language)
        if continuation:
            rendered = [
                "\n".join("  " + ln if ln else ln for ln in b.split("\n")) for b in rendered
            ]
        else:
            list_indent = indent if is_list else -1
        blocks.extend(rendered)
        if ends_literal:
            literal_after = indent
    return "\n\n".join(b for b in blocks if b)


_DIRECTIVE = re.compile(r"^\.\.\s+([A-Za-z][\w:.-]*)::\s*(.*)$")
_CODE_DIRECTIVES = frozenset({"code-block", "code", "sourcecode", "testcode", "doctest"})
_ADMONITIONS = {
    "note": "Note",
    "warning": "Warning",
    "tip": "Tip",
    "hint": "Hint",
    "important": "Important",
    "caution": "Caution",
    "danger": "Danger",
    "attention": "Attention",
    "error": "Error",
    "seealso": "See also",
    "todo": "To do",
    "versionadded": "New in version",
    "versionchanged": "Changed in version",
    "deprecated": "Deprecated since version",
    "admonition": "",
}


def _directive(head: str, body: list[str], resolve: Resolver | None) -> list[str]:
    """An RST directive: code as a fence, admonitions as labelled text, the rest left out."""
    match = _DIRECTIVE.match(head)
    if match is None:
        return []  # an RST comment (`.. text`) or a link target (`.. _name: url`)
    name, argument = match.group(1).lower().rsplit(":", 1)[-1], match.group(2).strip()
    while body and body[0].strip().startswith(":") and _FIELD.match(body[0].strip()):
        body = body[1:]  # directive options (`:linenos:`, `:caption: x`)
    if name in _CODE_DIRECTIVES:
        lang = "python" if name == "doctest" else _author_fence_lang(argument)
        return [code_fence(_dedent(body), lang)] if any(b.strip() for b in body) else []
    if name not in _ADMONITIONS:
        return []  # autodoc, images, tables of contents, substitutions: nothing to read
    label = _ADMONITIONS[name]
    if name.startswith(("version", "deprecated")):
        label = f"{label} {argument}".strip() if argument else label
        argument = ""
    elif name == "admonition":
        label, argument = argument, ""
    text = "\n".join(filter(None, [argument, _dedent(body) if body else ""]))
    rendered = render_doc(text, resolve) if text.strip() else ""
    lead = f"**{inline_doc(label, resolve=resolve)}:**" if label else ""
    if not rendered:
        return [lead] if lead else []
    if not lead:
        return [rendered]
    first, _, rest = rendered.partition("\n\n")
    if first.startswith(("- ", "`", "**", "|")):
        return [lead, rendered]
    return [f"{lead} {first}", rest] if rest else [f"{lead} {first}"]


# Sphinx field kinds, grouped the way a reader looks for them.
_PARAM_KINDS = frozenset({"param", "parameter", "arg", "argument", "key", "keyword", "kwarg"})
_FIELD_GROUPS = {
    **dict.fromkeys(_PARAM_KINDS, "Parameters"),
    **dict.fromkeys(("var", "ivar", "cvar", "attribute", "prop", "property"), "Attributes"),
    "tparam": "Type parameters",
    **dict.fromkeys(("returns", "return"), "Returns"),
    **dict.fromkeys(("yields", "yield"), "Yields"),
    **dict.fromkeys(("raises", "raise", "except", "exception"), "Raises"),
    **dict.fromkeys(("throws", "throw"), "Throws"),
    **dict.fromkeys(("see", "seealso"), "See also"),
}
_TYPE_KINDS = {"type": "Parameters", "vartype": "Attributes", "rtype": "Returns", "ytype": "Yields"}
_RST_NAME_ESCAPE = re.compile(r"\\(?=[*_])")
_BRACED_TYPE = re.compile(r"^\{([^{}\n]{1,200})\}\s*")
# Built-in type names: a parameter typed `object` means no function of the repository.
_PRIMITIVES = frozenset(
    {"string", "number", "boolean", "object", "any", "void", "null", "undefined", "int"}
    | {"float", "bool", "str", "dict", "list", "tuple", "set", "array", "function", "symbol"}
    | {"bigint", "never", "unknown", "mixed", "callable", "iterable", "self", "true", "false"}
    | {"char", "byte", "long", "short", "double", "integer", "bytes", "none", "error", "map"}
)
_NAME_REF = re.compile(r"^[A-Za-z_][\w.#:$]*$")


def _type_text(text: str, table: bool, resolve: Resolver | None) -> str:
    """A type or exception name: a link when it names a documented component, else code."""
    text = " ".join(text.split())
    if "`" in text:
        return inline_doc(text, resolve=resolve)
    if resolve is not None and _NAME_REF.match(text) and text.lower() not in _PRIMITIVES:
        href = resolve(text)
        if href is not None:
            return f"[{code_span(text)}]({href})"
    return code_span(text, table=table)


class _Fields:
    """The Sphinx fields of one chunk, rendered as a parameter list and labelled lines."""

    def __init__(self, resolve: Resolver | None) -> None:
        self.resolve = resolve
        # group -> [name, type, description]
        self.groups: dict[str, list[list[str]]] = {}
        self.types: dict[tuple[str, str], str] = {}
        self.last: list[str] | None = None

    def add(self, kind: str, name: str, desc: str) -> None:
        kind = kind.lower()
        if kind in _TYPE_KINDS:
            self.types[(_TYPE_KINDS[kind], name.strip())] = desc
            self.last = None
            return
        group = _FIELD_GROUPS.get(kind, kind.replace("_", " ").capitalize())
        typ = ""
        words = name.split()
        if len(words) > 1 and group in ("Parameters", "Attributes"):
            typ, name = " ".join(words[:-1]), words[-1]  # `:param int x:`
        entry = [_RST_NAME_ESCAPE.sub("", name.strip()), typ, desc]  # RST's `\*\*kwargs`
        self.groups.setdefault(group, []).append(entry)
        self.last = entry

    def extend_last(self, text: str) -> bool:
        if self.last is None:
            return False
        self.last[2] = f"{self.last[2]} {text}".strip()
        return True

    def render(self) -> str:
        if not self.groups:
            return ""
        out: list[str] = []
        resolve = self.resolve
        for group, entries in self.groups.items():
            for entry in entries:
                typ = self.types.pop((group, entry[0]), "")
                if typ and not entry[1]:
                    entry[1] = typ
            named = [e for e in entries if e[0]]
            if group == "See also":
                refs = [inline_doc(e[2], resolve=resolve) for e in entries if e[2]]
                if refs:
                    out.append(f"**See also:** {', '.join(refs)}")
                continue
            if not named and len(entries) == 1 and group not in ("Raises", "Throws"):
                typ = entries[0][1] or self.types.pop((group, ""), "")
                desc = inline_doc(entries[0][2], resolve=resolve)
                shown = (
                    f"{_type_text(typ, False, resolve)} — {desc}"
                    if typ and desc
                    else (_type_text(typ, False, resolve) if typ else desc)
                )
                out.append(f"**{group}:** {shown}".rstrip())
                continue
            items = []
            for name, typ, desc in entries:
                if group in ("Raises", "Throws"):
                    head = _type_text(name, False, resolve) if name else ""
                else:
                    head = code_span(name) if name else ""
                    if typ:
                        head += f" ({_type_text(typ, False, resolve)})"
                text = inline_doc(desc, resolve=resolve)
                items.append(f"- {head} — {text}" if head and text else f"- {head or text}")
            out.append(f"**{group}:**\n" + "\n".join(items))
        for (group, name), typ in self.types.items():
            if group == "Returns" and not name:
                out.append(f"**Returns:** {_type_text(typ, False, resolve)}")
        self.groups.clear()
        self.types.clear()
        self.last = None
        return "\n\n".join(out)


def _render_chunk(
    chunk: list[str], resolve: Resolver | None = None, literal_language: str = ""
) -> tuple[list[str], bool, bool]:
    """(Markdown blocks, whether it ends with "::", whether it ends as a list)."""
    base = min(_indent(ln) for ln in chunk)
    entries: list[tuple[str, list[str]]] = []
    for line in chunk:
        if _indent(line) <= base or not entries:
            entries.append((line.strip(), []))
        else:
            entries[-1][1].append(line)
    blocks: list[str] = []
    para: list[str] = []
    items: list[str] = []
    fields = _Fields(resolve)

    def flush_para() -> None:
        if para:
            blocks.append(_inline_line(" ".join(para), resolve))
            para.clear()

    def flush_items() -> None:
        if items:
            blocks.append("\n".join(items))
            items.clear()

    def flush_fields() -> None:
        rendered = fields.render()
        if rendered:
            blocks.append(rendered)

    ends_literal = False
    for head, kids in entries:
        kid_text = " ".join(k.strip() for k in kids)
        bullet = _BULLET.match(head)
        field_match = None if bullet else _FIELD.match(head) or _TAG.match(head)
        if field_match:
            flush_para()
            flush_items()
            if head.startswith("@"):
                tag, rest = field_match.groups()
                name, desc = "", f"{rest or ''} {kid_text}".strip()
                typed = _BRACED_TYPE.match(desc)
                typ = typed.group(1) if typed else ""
                if typed:
                    desc = desc[typed.end() :]
                if tag.lower() in _PARAM_KINDS or tag.lower() in ("throws", "raises", "exception"):
                    name, _, desc = desc.partition(" ")
                if typ:
                    name = f"{typ} {name}".strip() if tag.lower() in _PARAM_KINDS else name
                    desc = desc if tag.lower() in _PARAM_KINDS else f"{desc}".strip()
                    if tag.lower() in ("return", "returns"):
                        fields.add("rtype", "", typ)
                fields.add(tag, name.rstrip(":"), desc.strip())
            else:
                kind, name, rest = field_match.groups()
                fields.add(kind, (name or "").strip(), f"{rest or ''} {kid_text}".strip())
            continue
        if bullet:
            flush_para()
            flush_fields()
            items.append(f"- {_inline_line(f'{bullet.group(1)} {kid_text}'.strip(), resolve)}")
            continue
        if not kids:
            if fields.extend_last(head):
                continue
            if items:
                items[-1] += " " + inline_doc(head, resolve=resolve)
            else:
                para.append(head)
            continue
        flush_items()
        flush_fields()
        if head.endswith("::"):
            para.append(head[:-1].rstrip(" :") + ":" if head != "::" else "")
            flush_para()
            blocks.append(code_fence(_dedent(kids), literal_language))
            continue
        if head.endswith(":"):
            para.append(head)
            flush_para()
            blocks.extend(_render_section(kids, resolve))
            continue
        kid_indent = min(_indent(k) for k in kids)
        if para or len(head) > 60 or kid_indent - base < 3:
            # A paragraph whose later lines are indented: a hanging indent, not a list.
            para.append(f"{head} {kid_text}")
            continue
        items.append(
            f"- **{inline_doc(head, resolve=resolve)}** — {inline_doc(kid_text, resolve=resolve)}"
        )
    ends_literal = bool(para) and para[-1].endswith("::")
    if ends_literal:
        last = para.pop()
        if last.strip() != "::":
            para.append(last[:-1].rstrip(" :") + ":" if last[:-2].rstrip() else "")
        para[:] = [p for p in para if p]
    is_list = bool(items)
    flush_para()
    flush_items()
    flush_fields()
    return blocks, ends_literal, is_list


def _render_section(kids: list[str], resolve: Resolver | None = None) -> list[str]:
    """The indented lines under a "Something:" line: a list of entries, code, or prose."""
    base = min(_indent(k) for k in kids)
    starts = [k for k in kids if _indent(k) == base]
    if sum(1 for k in starts if _ITEM_START.match(k.strip()) or _BULLET.match(k.strip())) >= 1:
        items: list[str] = []
        for line in kids:
            stripped = line.strip()
            bullet = _BULLET.match(stripped)
            if _indent(line) == base and (bullet or _ITEM_START.match(stripped) or not items):
                items.append(bullet.group(1) if bullet else stripped)
            else:
                items[-1] += " " + stripped
        return ["\n".join("- " + _inline_line(item, resolve) for item in items)]
    if any(_CODE_HINT.search(k) for k in kids):
        return [code_fence(_dedent(kids))]
    return [_inline_line(" ".join(k.strip() for k in kids), resolve)]
