"""Doc comments as prose: markers off, banners and directives out, markup converted.

The tree-sitter parsers hand over a doc comment's raw text. This module takes the comment
markers off, keeps licence banners and lint or compiler directives out of documentation,
and converts each ecosystem's markup (Javadoc and KDoc, JSDoc/TSDoc, PHPDoc, YARD, Doxygen,
rustdoc, Go doc, C# XML comments) into the one docstring dialect `markdown.render_doc`
renders, the one Python docstrings already use:

- paragraphs separated by blank lines, `- ` lists, ``` fences, backtick literals;
- Sphinx fields for the parameter list: `:param x:`, `:type x:`, `:returns:`, `:rtype:`,
  `:raises E:`, `:see:`, `:deprecated:`, `:since:`;
- `` :any:`Target` `` and `` :any:`title <Target>` `` for cross-references, which the
  renderer resolves against the components it documents (else they stay code spans);
- headings as a title line over a `====` underline.

The output is still untrusted repository text: the renderer escapes every character of it,
and nothing here ever emits a ```mermaid fence (only the generator draws diagrams).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from .markdown import code_span

# --- comment markers ------------------------------------------------------------------------

_COMMENT_PREFIX = re.compile(r"^\s*(?:/\*+!?|\*+/|\*(?!/)|///?!?|#+|--)[ ]?")


def strip_markers(raw: str) -> str:
    """A comment's text without `//`, `/** */`, `#`, `///` markers; indentation inside kept."""
    raw_lines = raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = []
    for line in raw_lines:
        line = line.rstrip()
        if line.endswith("*/"):
            line = line[:-2].rstrip()
        lines.append(_COMMENT_PREFIX.sub("", line, count=1))
    if raw.lstrip().startswith("/*") and not all(
        ln.lstrip().startswith("*") for ln in raw_lines[1:] if ln.strip()
    ):
        # A block comment without a `*` column keeps the code's indentation: take it off.
        margin = min((len(ln) - len(ln.lstrip()) for ln in lines[1:] if ln.strip()), default=0)
        if margin:
            lines = [lines[0], *(ln[margin:] for ln in lines[1:])]
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines).replace("\x00", "")


# --- what is never documentation ------------------------------------------------------------

# Lint, type-checker, formatter and compiler directives, as a comment's whole line. Only
# unambiguous spellings: these lines are dropped from inside doc comments too.
_DIRECTIVE = re.compile(
    r"^\s*(?:"
    r"eslint-(?:disable|enable|env)|eslint\s*$|jshint\s|jslint\s|jscs:|"
    r"@ts-(?:ignore|expect-error|nocheck|check)\b|prettier-ignore|(?:istanbul|c8|v8)\s+ignore|"
    r"@flow\b|@jsx(?:Runtime|Frag|ImportSource)?\s|tslint:|biome-ignore|deno-lint-|deno-fmt-|"
    r"go:[a-z]+\b|\+build\s|nolint\b|NOLINT|lint:ignore|#\s*pragma\b|type:\s*ignore|noqa\b|"
    r"pylint:|mypy:|pyright:|fmt:\s*(?:off|on|skip)\b|isort:|rubocop:|frozen_string_literal:|"
    r"-\*-.*-\*-|phpcs:|@phpstan-|@psalm-|@codeCoverageIgnore|clang-format\s+(?:on|off)|"
    r"NOSONAR|ReSharper\s+(?:disable|restore)|#(?:end)?region\b|MARK:\s|@formatter:|"
    r"noinspection\s|c?spell:\s*(?:disable|enable|ignore|words)|swiftlint:|SPDX-|"
    r"@generated\b|@license\b|@preserve\b|#!/|\\(?:end)?rst\s*$"
    r")"
)
# Whole comments that are directives although the words could start prose inside a doc.
_WHOLE_DIRECTIVE = re.compile(
    r"^\s*(?:globals?\s+[\w$]+(?:\s*[:,]\s*[\w$]+)*\s*$|(?:end)?region\b|vim?:\s)"
)
_LICENCE = re.compile(
    r"copyright\s*(?:\(c\)|©|\d{4})|©\s*\d{4}|spdx-license-identifier|licensed under\b"
    r"|permission is hereby granted|all rights reserved|general public license"
    r"|provided (?:by the copyright holders )?[\"“]?as is|apache license|mit licen[sc]e"
    r"|\blicen[sc]ed? (?:to|under) (?:the )?apache|@license\b"
    r"|you may not use this file except|unless required by applicable law"
    r"|limitations under the licen[sc]e|without warranties or conditions of any kind"
    r"|(?:apache|opensource|gnu)\.org/licen[sc]es",
    re.IGNORECASE,
)
_RULE = re.compile(r"^[\s\-=*#/_~+.<>|]*$")
# A section banner between code blocks (`/////// ZodISODate ///////`, `# ---- Helpers ----`):
# a title for the reader of the file, not the doc of the declaration below it.
_BANNER = re.compile(r"^\s*[-=*#/_~+]{3,}[ \t]*[^\n]{1,60}?[ \t]*[-=*#/_~+]{3,}\s*$")


def is_licence(text: str) -> bool:
    """A licence or copyright banner (judged on its opening, where banners say so)."""
    return _LICENCE.search(text, 0, 800) is not None


_DIRECTIVE_ANY_LINE = re.compile(_DIRECTIVE.pattern, re.MULTILINE)


def drop_directives(text: str) -> str:
    """The text without directive lines (`eslint-disable`, `//go:build`, `# noqa`, ...)."""
    if _DIRECTIVE_ANY_LINE.search(text) is None:
        return text
    return "\n".join(ln for ln in text.split("\n") if not _DIRECTIVE.match(ln)).strip()


def is_noise(text: str) -> bool:
    """A comment that is no part of any doc: directives only, or a ruler like `// -----`.

    Licence banners are judged on the whole run of comments by `clean_doc` (one line of a
    banner, `// you may not use this file except...`, does not say so on its own)."""
    if not text.strip():
        return False  # an empty `//` line inside a run of comments is a paragraph break
    if _WHOLE_DIRECTIVE.match(text):
        return True
    stripped = drop_directives(text)
    # A ruler is a run (`// -----`); a lone `#` is rustdoc's hidden blank line in an example.
    if not stripped or (len(stripped.strip()) >= 3 and bool(_RULE.match(stripped))):
        return True
    return _BANNER.match(stripped) is not None


_LICENCE_FIELD = re.compile(r"^\s*:(?:copyright|license|licence):", re.IGNORECASE)


_LICENCE_FIELD_ANY_LINE = re.compile(_LICENCE_FIELD.pattern, re.IGNORECASE | re.MULTILINE)


def clean_doc(text: str) -> str:
    """Directive lines and licence paragraphs out (`:copyright:` fields too)."""
    text = drop_directives(text.strip())
    if not text:
        return ""
    if _LICENCE.search(text) is None and _LICENCE_FIELD_ANY_LINE.search(text) is None:
        return "" if _RULE.match(text) else text
    kept = []
    for paragraph in re.split(r"\n[ \t]*\n", text):
        if is_licence(paragraph) or _RULE.match(paragraph):
            continue
        lines = paragraph.split("\n")
        if any(_LICENCE_FIELD.match(ln) for ln in lines):
            paragraph = "\n".join(ln for ln in lines if not _LICENCE_FIELD.match(ln))
        if paragraph.strip():
            kept.append(paragraph)
    return "\n\n".join(kept)


# --- shared inline pieces ---------------------------------------------------------------------

_TARGET_DROP = re.compile(r"[`<>\n\x00]")
_URL = re.compile(r"^https?://[^\s<>\"'`()\[\]]+$")


def role(target: str, title: str = "") -> str:
    """A cross-reference the renderer resolves; backticks and angle brackets cannot break it."""
    target = _TARGET_DROP.sub("", " ".join(target.split())).strip()
    title = " ".join(title.replace("`", "'").split()).strip()
    if not target:
        return code_span(title) if title else ""
    if title and title != target:
        return f":any:`{title} <{target}>`"
    return f":any:`{target}`"


def md_link(text: str, url: str) -> str:
    """An external link in Markdown form when the URL is plain http(s), else only the text."""
    url = url.strip()
    text = " ".join(text.split()).replace("[", "(").replace("]", ")")
    if _URL.match(url) and text:
        return f"[{text}]({url})"
    return text or ""


def _match_brace(text: str, start: int) -> int:
    """Index just past the `}` closing the `{` at `start` (nested braces counted), or -1."""
    depth = 0
    for i in range(start, min(len(text), start + 5000)):
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    return -1


def _split_link(body: str, sep_pipe: bool) -> tuple[str, str]:
    """`Target label` or `Target|label` (JSDoc) into (target, label)."""
    body = body.strip()
    if sep_pipe and "|" in body:
        target, _, label = body.partition("|")
        return target.strip(), label.strip()
    # A Javadoc target may hold a parameter list with spaces: `Foo#bar(int, String) label`.
    depth = 0
    for i, ch in enumerate(body):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch.isspace() and depth <= 0:
            return body[:i], body[i:].strip()
    return body, ""


def _link_role(target: str, label: str) -> str:
    if _URL.match(target):
        return md_link(label or target, target)
    if ":" in target.split("(", 1)[0] and "::" not in target:
        # `javascript:alert(1)` and other schemes: never a link, only literal text.
        return code_span(label or target)
    # Untitled, the renderer shows `Foo#bar(int)` as `Foo.bar(int)`, in code font.
    return role(target, label)


def inline_tags(
    text: str, protect: Callable[[str], str], js: bool = False, raw_code: bool = False
) -> str:
    """`{@link X}`, `{@code x}`, `{@literal}`, `{@value}`, `{@inheritDoc}` and friends."""
    if "{@" not in text:
        return text
    out: list[str] = []
    pos = 0
    while True:
        start = text.find("{@", pos)
        if start < 0:
            break
        end = _match_brace(text, start)
        if end < 0:
            break
        out.append(text[pos:start])
        inner = text[start + 2 : end - 1]
        tag, _, body = inner.partition(" ")
        if "\n" in tag:
            tag, _, rest = tag.partition("\n")
            body = rest + " " + body
        tag = tag.strip().lower()
        if raw_code and tag in ("code", "literal"):
            out.append(inner[len(tag) :].lstrip(" ").removeprefix("\n"))
        elif tag in ("code", "literal", "value") and body.strip():
            out.append(protect(code_span(body.strip()) if tag != "literal" else body.strip()))
        elif tag in ("link", "linkplain", "linkcode", "see"):
            target, label = _split_link(body, sep_pipe=js)
            # JSDoc `[label]{@link Target}`: the label sits before the tag.
            prev = out[-1] if out else ""
            if js and prev.endswith("]") and "[" in prev:
                cut = prev.rfind("[")
                label = prev[cut + 1 : -1]
                out[-1] = prev[:cut]
            out.append(protect(_link_role(target, label)))
        elif tag in ("inheritdoc", "docroot", "index"):
            pass
        else:
            out.append(body.strip())
        pos = end
    out.append(text[pos:])
    return "".join(out)


class _Protector:
    """Swaps finished Markdown pieces for placeholders while the rest is still converted."""

    def __init__(self) -> None:
        self.pieces: list[str] = []

    def __call__(self, piece: str) -> str:
        self.pieces.append(piece)
        return f"\x00{len(self.pieces) - 1}\x00"

    def restore(self, text: str) -> str:
        if "\x00" not in text:
            return text
        # Pieces may hold placeholders of their own (a fence made from protected code).
        for _ in range(3):
            text = re.sub(r"\x00(\d+)\x00", lambda m: self.pieces[int(m.group(1))], text)
            if "\x00" not in text:
                break
        return text.replace("\x00", "")


def fence(code: str, language: str) -> str:
    """A fence around repository code; a ```mermaid fence is never made from repository text."""
    lines = code.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    margin = min((len(ln) - len(ln.lstrip()) for ln in lines if ln.strip()), default=0)
    body = "\n".join(ln[margin:] for ln in lines)
    runs = re.findall(r"`{3,}|~{3,}", body)
    ticks = "`" * max(3, max((len(r) + 1 for r in runs if r[0] == "`"), default=3))
    language = re.sub(r"[^a-z0-9+#-]", "", language.lower())
    if language == "mermaid":
        language = "text"
    return f"{ticks}{language}\n{body}\n{ticks}"


def heading(title: str) -> str:
    title = " ".join(title.strip().strip("#").split())
    return f"\n{title}\n{'=' * max(3, len(title))}\n" if title else ""


# --- block tags (Javadoc, KDoc, JSDoc, PHPDoc, YARD, Doxygen) ---------------------------------

_TAG_LINE = re.compile(r"^\s*[@\\]([A-Za-z][\w-]*)(?:\[[\w,\s]*\])?(?=\s|$)(.*)$")
_DROP_TAGS = frozenset(
    {
        *("author", "public", "private", "protected", "access", "api", "internal", "memberof"),
        *("function", "func", "method", "name", "typedef", "callback", "class", "module"),
        *("namespace", "override", "inheritdoc", "static", "readonly", "hideconstructor"),
        *("ignore", "package", "category", "augments", "extends", "implements", "this"),
        *("enum", "const", "constant", "kind", "lends", "instance", "global", "event", "fires"),
        *("listens", "mixes", "mixin", "async", "generator", "abstract", "virtual", "final"),
        *("exports", "requires", "suppress", "nocollapse", "externs", "license", "copyright"),
        *("preserve", "flow", "jsx", "emits", "group", "ingroup", "defgroup", "addtogroup"),
        *("dir", "def", "fn", "struct", "var", "interface", "alias", "member", "type", "sealed"),
        *("serial", "serialdata", "serialfield", "hidden", "jvmstatic", "jvmoverloads", "file"),
        *("fileoverview", "overview", "packagedocumentation", "inner", "variation", "summary"),
        *("nullable", "nonnull", "noinspection", "suppresswarnings", "endcode", "endrst", "rst"),
        *("copydoc", "headerfile", "tableofcontents", "brief", "details", "label", "import"),
        *("uses", "used-by", "filesource", "subpackage", "link", "method-id", "todo", "xrefitem"),
    }
)
_PARAM_TAGS = frozenset({"param", "arg", "argument", "prop", "property", "option", "tparam"})
_PARAM_TAGS |= {"typeparam", "template", "field", "params"}
_RETURN_TAGS = frozenset({"return", "returns", "retval", "result"})
_THROW_TAGS = frozenset({"throws", "throw", "exception", "raise", "raises"})
_KEEP_FIELDS = {
    "deprecated": "deprecated",
    "since": "since",
    "note": "note",
    "warning": "warning",
    "warn": "warning",
    "remark": "note",
    "remarks": "note",
    "attention": "note",
    "yields": "yields",
    "yield": "yields",
    "version": "version",
    "pre": "note",
    "post": "note",
    "constructor": "constructor",
    "receiver": "receiver",
    "sample": "see",
    "see": "see",
    "sa": "see",
    "seealso": "see",
}
_JS_TYPE = re.compile(r"^\s*\{")
_YARD_TYPE = re.compile(r"^\s*\[([^\]\n]{0,200})\]")
_PARAM_NAME = re.compile(r"^\s*(\[[^\]\n]{1,200}\]|\.{3}\$?[\w.$]+|\$?[\w.$]+)")


def _js_type(text: str) -> tuple[str, str]:
    """A leading `{Type}` (balanced braces) split off: (type, rest)."""
    if not _JS_TYPE.match(text):
        return "", text
    start = text.index("{")
    end = _match_brace(text, start)
    if end < 0:
        return "", text
    return text[start + 1 : end - 1].strip(), text[end:]


def _field_line(kind: str, name: str, desc: str) -> str:
    desc = " ".join(desc.split())
    name = _TARGET_DROP.sub("", name).replace(":", "").strip()
    return f":{kind} {name}: {desc}".rstrip() if name else f":{kind}: {desc}".rstrip()


def _param_field(tag: str, rest: str, yard_types: bool) -> list[str]:
    typ, rest = _js_type(rest)
    yard = _YARD_TYPE.match(rest) if yard_types else None
    if yard:  # YARD: `@param [Type] name desc`
        typ, rest = yard.group(1), rest[yard.end() :]
    if not typ and "$" in rest:
        # PHPDoc `@param Type[]|null ...$name desc`: the type is all before the `$name`.
        php = re.match(r"^\s*([^\s$]+)\s+(?:\.{3})?(\$\w+)\s*(.*)$", rest)
        if php:
            typ, rest = php.group(1), f"{php.group(2)} {php.group(3)}"
    generic = re.match(r"^\s*<(\w+)>", rest)
    if generic:  # Javadoc `@param <T> desc`: a type parameter
        return [_field_line("tparam", generic.group(1), rest[generic.end() :])]
    match = _PARAM_NAME.match(rest)
    if match is None:
        return [_field_line("param", "", rest)]
    name = match.group(1)
    rest = rest[match.end() :]
    if not typ and not name.startswith(("$", "[", ".")):
        # PHPDoc `@param Type $name desc`: the name is the `$` word after the type.
        php = re.match(r"^\s*(\.{3})?(\$\w+)", rest)
        if php:
            typ, name, rest = name, php.group(2), rest[php.end() :]
    yard = _YARD_TYPE.match(rest) if yard_types else None
    if yard and not typ:  # YARD: `@param name [Type] desc`
        typ, rest = yard.group(1), rest[yard.end() :]
    default = ""
    if name.startswith("["):  # JSDoc optional: `[name=default]`
        name, _, default = name[1:-1].partition("=")
    rest = re.sub(r"^\s*[-–—:]\s+", "", rest.strip() + " ").strip()
    if default:
        rest = f"{rest} (default: {code_span(default.strip())})".strip()
    kind = {"tparam": "tparam", "typeparam": "tparam", "template": "tparam"}.get(tag, "param")
    if tag in ("prop", "property", "field"):
        kind = "var"
    lines = [_field_line(kind, name, rest)]
    if typ and kind != "tparam":
        lines.append(_field_line("type", name, typ))
    return lines


def _typed_field(kind: str, type_kind: str, rest: str, type_first: bool = False) -> list[str]:
    typ, rest = _js_type(rest)
    if type_first and not typ:  # PHPDoc `@return Type desc`
        word = re.match(r"^\s*(\S+)", rest)
        if word:
            typ, rest = word.group(1), rest[word.end() :]
    yard = _YARD_TYPE.match(rest)
    if yard and not typ:
        typ, rest = yard.group(1), rest[yard.end() :]
    rest = re.sub(r"^\s*[-–—]\s+", "", rest).strip()
    lines = [_field_line(kind, "", rest)]
    if typ:
        lines.append(f":{type_kind}: {' '.join(typ.split())}")
    return lines


def _throws_field(rest: str, protect: Callable[[str], str]) -> list[str]:
    typ, rest = _js_type(rest)
    yard = _YARD_TYPE.match(rest)
    if yard and not typ:
        typ, rest = yard.group(1), rest[yard.end() :]
    if not typ:
        word = re.match(r"^\s*([\w.$#:\\]+)", rest)
        if word:
            typ, rest = word.group(1), rest[word.end() :]
    rest = re.sub(r"^\s*[-–—]\s+", "", rest).strip()
    return [_field_line("throws", typ, rest)]


def _see_field(rest: str, protect: Callable[[str], str]) -> str:
    rest = rest.strip()
    if not rest:
        return ""
    if "\x00" in rest or rest.startswith(('"', "'", "<")):
        return f":see: {' '.join(rest.split())}"
    target, label = _split_link(rest, sep_pipe=False)
    return f":see: {protect(_link_role(target, label))}"


def convert_tags(
    text: str,
    protect: Callable[[str], str],
    code_language: str,
    yard: bool = False,
) -> str:
    """The description, then each block tag as a Sphinx field, `@example` as a fence."""
    lines = text.split("\n")
    head: list[str] = []
    blocks: list[tuple[str, list[str]]] = []
    in_fence = False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
        match = None if in_fence else _TAG_LINE.match(line)
        if match and not (
            blocks and blocks[-1][0] in ("example", "code") and (match.group(1) not in _KNOWN_TAGS)
        ):
            blocks.append((match.group(1).lower(), [match.group(2)]))
        elif blocks:
            blocks[-1][1].append(line)
        else:
            head.append(line)
    if not blocks:
        return text
    out = ["\n".join(head).rstrip()]
    fields: list[str] = []
    tail: list[str] = []
    for tag, body in blocks:
        first = body[0].strip()
        joined = " ".join([first, *(b.strip() for b in body[1:])]).strip()
        if tag in ("example", "code", "usage"):
            code = body[1:]
            title = ""
            if first:
                caption = re.match(r"^<caption>(.*?)</caption>\s*(.*)$", first)
                if caption:
                    title, rest = caption.group(1), caption.group(2)
                    if rest:
                        code = [rest, *code]
                elif yard:
                    title = first
                else:
                    code = [body[0], *code]
            if tag == "code":
                code = [
                    c for c in code if not c.strip().lower().startswith(("@endcode", "\\endcode"))
                ]
            if any(c.strip() for c in code):
                tail.append(f"{title.strip() or 'Example'}:" if tag != "code" else "")
                joined_code = "\n".join(code).strip()
                if re.fullmatch(r"\x00\d+\x00", joined_code):
                    # TSDoc writes its `@example` as a fence: fenced already, not twice.
                    tail.append(joined_code)
                else:
                    tail.append(protect(fence("\n".join(code), code_language)))
            continue
        if tag in (
            "brief",
            "summary",
            "details",
            "description",
            "desc",
            "classdesc",
            "file",
            "fileoverview",
            "overview",
            "packagedocumentation",
            "module",
        ):
            if tag in ("module", "file") and not joined.count(" "):
                continue  # `@module name`: a name, no prose
            rest = "\n".join([first, *body[1:]]).strip()
            if rest:
                out.insert(1, rest) if tag in ("brief", "summary") else out.append(rest)
            continue
        if tag in _DROP_TAGS:
            continue
        if tag in _PARAM_TAGS:
            fields.extend(_param_field(tag, joined, yard))
        elif tag in _RETURN_TAGS:
            fields.extend(_typed_field("returns", "rtype", joined, code_language == "php"))
        elif tag in _THROW_TAGS:
            fields.extend(_throws_field(joined, protect))
        elif tag in ("yields", "yield"):
            fields.extend(_typed_field("yields", "ytype", joined))
        elif _KEEP_FIELDS.get(tag) == "see":
            see = _see_field(joined, protect)
            if see:
                fields.append(see)
        elif tag in _KEEP_FIELDS:
            fields.append(_field_line(_KEEP_FIELDS[tag], "", joined))
        elif joined:
            fields.append(_field_line(tag.replace("-", ""), "", joined))
    parts = [p for p in out if p.strip()]
    if fields:
        parts.append("\n".join(fields))
    parts.extend(t for t in tail if t)
    return "\n\n".join(parts)


# Tags that end an `@example` block; any other `@Word` line in it is code (a decorator).
_KNOWN_TAGS = (
    _DROP_TAGS
    | _PARAM_TAGS
    | _RETURN_TAGS
    | _THROW_TAGS
    | set(_KEEP_FIELDS)
    | {"example", "code", "endcode", "usage", "brief", "summary", "details", "description"}
)


# --- Javadoc / KDoc / PHPDoc / JSDoc HTML -----------------------------------------------------

_PRE = re.compile(r"<pre\b[^>]*>(.*?)</pre\s*>", re.IGNORECASE | re.DOTALL)
_CODE_TAG = re.compile(r"<(code|tt|kbd|samp|var)\b[^>]*>(.*?)</\1\s*>", re.IGNORECASE | re.DOTALL)
_ANCHOR = re.compile(r"<a\b[^>]*?href\s*=\s*[\"']([^\"']*)[\"'][^>]*>(.*?)</a\s*>", re.I | re.S)
_HEADING_TAG = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1\s*>", re.IGNORECASE | re.DOTALL)
_BREAK_TAG = re.compile(
    r"</?(?:p|div|blockquote|table|thead|tbody|tfoot|dl|center|section|article|br|hr)\b[^>]*>",
    re.I,
)
_LIST_TAG = re.compile(r"\s*<(/?)(ul|ol|li|dt|dd)\b[^>]*>[ \t]*", re.IGNORECASE)
_CELL_TAG = re.compile(r"</?(?:tr|td|th|caption)\b[^>]*>", re.IGNORECASE)
_STRIP_TAG = re.compile(
    r"</?(?:b|i|em|strong|u|s|strike|del|ins|small|big|sup|sub|span|font|cite|dfn|abbr|"
    r"a|img|code|tt|kbd|samp|var|nobr|wbr|mark|q|col|colgroup|figure|figcaption|summary|"
    r"details|html|body|head|meta|link|style|script|iframe|object|embed|frame|svg|math|"
    r"form|input|button|label|select|option|textarea)\b[^>]*>",
    re.IGNORECASE,
)


_HTML_HINT = re.compile(
    r"</?(?:p|pre|code|br|ul|ol|li|b|i|em|strong|a|table|img|div|h[1-6])\b", re.I
)


def _plain_code(text: str, unescape: bool) -> str:
    text = inline_tags(text, lambda s: s, raw_code=True)
    text = _STRIP_TAG.sub("", _BREAK_TAG.sub("\n", text))
    return html.unescape(text) if unescape else text


def convert_html(text: str, protect: Callable[[str], str], code_language: str) -> str:
    """Javadoc-style HTML (`<p>`, `<pre>`, `<code>`, lists, headings, links) as the dialect."""
    if "<" not in text:
        return text
    text = _PRE.sub(
        lambda m: "\n\n" + protect(fence(_plain_code(m.group(1), True), code_language)) + "\n\n",
        text,
    )
    text = _CODE_TAG.sub(
        lambda m: protect(code_span(_plain_code(m.group(2), True))) if m.group(2).strip() else "",
        text,
    )
    text = _ANCHOR.sub(lambda m: protect(md_link(_STRIP_TAG.sub("", m.group(2)), m.group(1))), text)
    text = _HEADING_TAG.sub(lambda m: heading(_STRIP_TAG.sub("", m.group(2))), text)
    depth = 0
    out: list[str] = []
    pos = 0
    for match in _LIST_TAG.finditer(text):
        out.append(text[pos : match.start()])
        pos = match.end()
        closing, tag = match.group(1), match.group(2).lower()
        if tag in ("ul", "ol"):
            depth = max(0, depth - 1) if closing else depth + 1
            out.append("\n\n" if closing and depth == 0 else "\n")
        elif tag in ("li", "dt", "dd") and not closing:
            out.append("\n" + "  " * max(0, depth - 1) + ("- " if tag != "dd" else "  "))
    out.append(text[pos:])
    text = "".join(out)
    text = _BREAK_TAG.sub("\n\n", text)
    text = _CELL_TAG.sub(" ", text)
    text = _STRIP_TAG.sub("", text)
    return text


def _unescape_prose(text: str) -> str:
    return html.unescape(text) if "&" in text else text


def _tidy(text: str) -> str:
    """List items lose the indentation of the HTML they came from; runs of blanks fold."""
    lines = [ln.rstrip() for ln in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if not line.strip():
            if out and out[-1] != "":
                out.append("")
            continue
        out.append(line)
    return "\n".join(out).strip()


_KDOC_LINK = re.compile(r"(?<![\]\w`\\])\[([A-Za-z_][\w.#]*)\](?![(\[:])")


def convert_javadoc(text: str, language: str) -> str:
    """Javadoc (Java) and KDoc (Kotlin, Markdown plus `[Name]` links)."""
    protect = _Protector()
    text = convert_html(text, protect, language)
    text = inline_tags(text, protect)
    if language == "kotlin":
        text = _KDOC_LINK.sub(lambda m: protect(role(m.group(1))), text)
        text = convert_markdown_blocks(text, protect, "kotlin")
    text = convert_tags(text, protect, language)
    return protect.restore(_tidy(_unescape_prose(text)))


def convert_jsdoc(text: str, language: str) -> str:
    """JSDoc / TSDoc (and PHPDoc, Doxygen, YARD, which share the block-tag shape)."""
    protect = _Protector()
    code_language = {"tsx": "typescript", "c": "c", "cpp": "cpp"}.get(language, language)
    if "<" in text and _HTML_HINT.search(text):
        text = convert_html(text, protect, code_language)
    text = inline_tags(text, protect, js=language in ("javascript", "typescript", "tsx"))
    text = convert_markdown_blocks(text, protect, code_language)
    text = convert_tags(text, protect, code_language, yard=language == "ruby")
    if language == "php":
        text = _unescape_prose(text)
    return protect.restore(_tidy(_md_unescape(text)))


# --- Markdown-based doc comments (rustdoc, KDoc, JSDoc, Go's headings) ------------------------

_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_REF_DEF = re.compile(r"^\s{0,3}\[([^\]\n]+)\]:\s*(\S+)(?:\s+[\"'(].*)?\s*$")
_MD_LINK = re.compile(
    r"\[((?:[^\[\]\n]|\[[^\[\]\n]*\])+)\](?:\(([^()\s]*(?:\([^()\s]*\))?[^()\s]*)\)|\[([^\[\]\n]*)\])?"
)
_PATHLIKE = re.compile(
    r"^(?:[A-Za-z_][\w]*(?:(?:::|\.|#)[A-Za-z_][\w]*)*(?:\(\)|!)?|[A-Za-z_]\w*@[\w:]+)$"
)


def convert_markdown_blocks(text: str, protect: Callable[[str], str], code_language: str) -> str:
    """Markdown fences (kept, language normalised), indented code blocks (fenced) and `#`
    headings (as underlined titles)."""
    if "```" not in text and "~~~" not in text and "#" not in text and "\n    " not in text:
        return text
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    previous = ""  # the last non-blank line before this one
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if (
            line.startswith("    ")
            and stripped
            and i > 0
            and not lines[i - 1].strip()
            and previous
            and not previous.startswith((" ", "\t"))
            and not _MD_LIST_ITEM.match(previous)
        ):
            # An indented block after a paragraph: Markdown's own code block.
            j = i
            while j < len(lines) and (not lines[j].strip() or lines[j].startswith("    ")):
                j += 1
            out.append(protect(fence("\n".join(lines[i:j]), code_language)))
            out.append("")
            previous = ""
            i = j
            continue
        if stripped:
            previous = line
        if stripped.startswith(("```", "~~~")):
            marker = stripped[:3]
            info = stripped[3:].strip().lstrip("`~").strip()
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith(marker):
                j += 1
            body = lines[i + 1 : j]
            lang = _fence_language(info, code_language)
            if lang == "rust":  # rustdoc hides `# ` lines from the rendered example
                body = [b for b in body if not re.match(r"^\s*#(?:\s|$)", b)]
            out.append(protect(fence("\n".join(body), lang)))
            i = j + 1
            continue
        heading_match = _MD_HEADING.match(line) if "#" in line else None
        if heading_match:
            out.append(heading(heading_match.group(2)))
        else:
            out.append(line)
        i += 1
    return "\n".join(out)


_MD_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s")


def _fence_language(info: str, default: str) -> str:
    words = [w for w in re.split(r"[,\s]+", info.lower()) if w]
    rust_attrs = {"ignore", "no_run", "should_panic", "compile_fail", "edition2015", "edition2018"}
    rust_attrs |= {"edition2021", "edition2024", "rust", "test_harness"}
    if not words or (
        default == "rust" and all(w in rust_attrs or w.startswith("edition") for w in words)
    ):
        return default
    return words[0]


def _intra_links(text: str, protect: Callable[[str], str], defs: dict[str, str]) -> str:
    """rustdoc / Go / KDoc links: `[Name]`, `` [`Name`] ``, `[text](path)`, `[text][ref]`."""

    def replace(match: re.Match[str]) -> str:
        label, target, ref = match.group(1), match.group(2), match.group(3)
        if target is None:
            key = ref if ref else label
            target = defs.get(key.strip("`").strip()) or defs.get(key)
            if target is None:
                bare = label.strip("`")
                if (
                    ref is None
                    and _PATHLIKE.match(bare)
                    and (label != bare or bare[:1].isupper() or "::" in bare or "." in bare)
                ):
                    return protect(role(bare))
                if ref is not None and not ref and _PATHLIKE.match(bare):  # `[Name][]`
                    return protect(role(bare))
                if ref and _PATHLIKE.match(ref.strip("`")):  # `[text][Path]`
                    return protect(role(ref.strip("`"), label.strip("`")))
                return match.group(0)
        target = target.strip().strip("<>")
        if _URL.match(target):
            return protect(md_link(label.strip("`"), target))
        bare_target = target.strip("`")
        if _PATHLIKE.match(bare_target):
            title = label.strip("`")
            return protect(role(bare_target, title if title != bare_target else ""))
        # A relative page (`../foo/index.html`), an anchor or a scheme: keep the text only.
        return label

    return _MD_LINK.sub(replace, text)


def _ref_definitions(lines: list[str]) -> tuple[list[str], dict[str, str]]:
    defs: dict[str, str] = {}
    kept: list[str] = []
    for line in lines:
        match = _REF_DEF.match(line) if "]:" in line else None
        if match:
            defs[match.group(1).strip("`").strip()] = match.group(2)
            defs[match.group(1)] = match.group(2)
        else:
            kept.append(line)
    return kept, defs


_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|~])")
_BACKTICK_SPLIT = re.compile(r"(`+[^`\n]*`+)")


def _md_unescape(text: str) -> str:
    """Markdown's backslash escapes (`\\[`, `\\*`) as the characters they stand for; the
    renderer escapes them again its own way. Code spans are left as they are."""
    if "\\" not in text:
        return text
    parts = _BACKTICK_SPLIT.split(text)
    return "".join(p if i % 2 else _MD_ESCAPE.sub(r"\1", p) for i, p in enumerate(parts))


def convert_rustdoc(text: str) -> str:
    protect = _Protector()
    lines, defs = _ref_definitions(text.split("\n"))
    text = convert_markdown_blocks("\n".join(lines), protect, "rust")
    if "<" in text and _HTML_HINT.search(text):
        text = convert_html(text, protect, "rust")  # crate docs hold tables, images, breaks
    if "[" in text:
        text = _intra_links(text, protect, defs)
    return protect.restore(_tidy(_md_unescape(text)))


def convert_markdown(text: str, code_language: str) -> str:
    """Plain Markdown doc comments (C, C++, Ruby without tags): fences and headings."""
    protect = _Protector()
    text = convert_markdown_blocks(text, protect, code_language)
    return protect.restore(_tidy(text))


# --- Go doc -----------------------------------------------------------------------------------

_GO_LIST = re.compile(r"^\s+(?:[-*+•]|\d+[.)])\s")


def convert_godoc(text: str) -> str:
    """Go doc comments: indented spans are code, `# Title` headings, `[Name]` doc links."""
    protect = _Protector()
    lines, defs = _ref_definitions(text.split("\n"))
    out: list[str] = []
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        if line[:1] in (" ", "\t") and line.strip() and not _GO_LIST.match(line):
            j = i
            while j < n and (not lines[j].strip() or lines[j][:1] in (" ", "\t")):
                j += 1
            out.append(protect(fence("\n".join(lines[i:j]).expandtabs(4), "go")))
            out.append("")
            i = j
            continue
        if _GO_LIST.match(line):
            out.append("- " + re.sub(r"^\s+(?:[-*+•]|\d+[.)])\s+", "", line))
            i += 1
            continue
        heading_match = re.match(r"^#\s+(\S.*)$", line)
        prev_blank = i == 0 or not lines[i - 1].strip()
        next_blank = i + 1 >= n or not lines[i + 1].strip()
        if heading_match and prev_blank and next_blank:
            out.append(heading(heading_match.group(1)))
        else:
            out.append(line)
        i += 1
    text = "\n".join(out)
    if "[" in text:
        text = _intra_links(text, protect, defs)
    return protect.restore(_tidy(text))


# --- RDoc (Ruby) -------------------------------------------------------------------------------

_RDOC_HEADING = re.compile(r"^(={1,6})\s+(\S.*)$")
_RDOC_TT = re.compile(r"<(tt|code)>(.*?)</\1>|(?<![\w+])\+([\w.:#?!=\[\]-]+)\+(?!\w)")
_RDOC_LABEL = re.compile(r"^(?:\[([^\]\n]{1,80})\]|([A-Z][\w ]{0,40})::)\s+(\S.*)$")
_RDOC_LIST = re.compile(r"^\s*(?:[-*]|\d+\.|\[[^\]]+\]|\S+::)\s")


def convert_rdoc(text: str) -> str:
    """Ruby comments (RDoc with YARD tags): indented spans are code, `== Title` headings,
    `<tt>x</tt>` and `+x+` literals."""
    protect = _Protector()
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        after_blank = i == 0 or not lines[i - 1].strip()
        if line.startswith("  ") and line.strip() and after_blank and not _RDOC_LIST.match(line):
            j = i
            while j < n and (not lines[j].strip() or lines[j].startswith("  ")):
                j += 1
            out.append(protect(fence("\n".join(lines[i:j]), "ruby")))
            out.append("")
            i = j
            continue
        match = _RDOC_HEADING.match(line)
        if match:
            out.append(heading(match.group(2)))
        elif labelled := _RDOC_LABEL.match(line):
            # `[label] text` and `Label:: text`: RDoc's labelled lists.
            label = labelled.group(1) or labelled.group(2)
            out.append(f"- **{label.strip()}** — {labelled.group(3)}")
        else:
            out.append(line)
        i += 1
    text = "\n".join(out)
    if "<" in text or "+" in text:
        text = _RDOC_TT.sub(
            lambda m: protect(code_span(html.unescape(m.group(2) or m.group(3) or ""))), text
        )
    if "@" in text:
        text = convert_tags(text, protect, "ruby", yard=True)
    return protect.restore(_tidy(text))


# --- C# XML documentation comments ------------------------------------------------------------

_XML_CODE = re.compile(r"<code\b[^>]*>(.*?)</code\s*>", re.IGNORECASE | re.DOTALL)
_XML_C = re.compile(r"<c\b[^>]*>(.*?)</c\s*>", re.IGNORECASE | re.DOTALL)
_XML_SEE = re.compile(r"<(see|seealso)\b([^>]*?)(?:/>|>(.*?)</\1\s*>)", re.IGNORECASE | re.DOTALL)
_XML_REF = re.compile(r"<(paramref|typeparamref)\b([^>]*?)/?>(?:</\1\s*>)?", re.IGNORECASE)
_XML_FIELD = re.compile(
    r"<(param|typeparam|returns|value|exception|permission)\b([^>]*)>(.*?)</\1\s*>",
    re.IGNORECASE | re.DOTALL,
)
_XML_ATTR = re.compile(r"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_XML_LIST_TAG = re.compile(r"<(/?)(list|item|term|description|listheader)\b[^>]*>", re.I)
_XML_ANY_TAG = re.compile(r"</?[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>")
_XML_BREAK = re.compile(r"</?(?:summary|remarks|para|example|br)\b[^>]*>", re.IGNORECASE)


def _attrs(text: str) -> dict[str, str]:
    return {
        m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or "")
        for m in _XML_ATTR.finditer(text)
    }


def _cref(value: str) -> str:
    """`T:Namespace.Type{T}` as `Namespace.Type`: member prefix and generics dropped."""
    value = re.sub(r"^[A-Z]:", "", value.strip())
    value = re.sub(r"\{[^{}]*\}|`\d+", "", value)
    return value


def convert_xmldoc(text: str) -> str:
    """C# `///` XML comments: summary, remarks, params, returns, exceptions, see, code."""
    protect = _Protector()
    if "<" not in text:
        return _unescape_prose(text)

    def see(match: re.Match[str]) -> str:
        attrs = _attrs(match.group(2))
        inner = " ".join(html.unescape(_XML_ANY_TAG.sub("", match.group(3) or "")).split())
        if "cref" in attrs:
            target = _cref(attrs["cref"])
            if inner:
                return protect(_link_role(target, inner))
            # Shown by its last name, as Visual Studio shows a cref.
            return protect(role("~" + target) if _PATHLIKE.match(target) else code_span(target))
        if "href" in attrs:
            return protect(md_link(inner or attrs["href"], attrs["href"]))
        if "langword" in attrs:
            return protect(code_span(attrs["langword"]))
        return inner

    text = _XML_CODE.sub(
        lambda m: "\n\n" + protect(fence(html.unescape(m.group(1)), "csharp")) + "\n\n", text
    )
    text = _XML_C.sub(
        lambda m: protect(code_span(html.unescape(_XML_ANY_TAG.sub("", m.group(1))))), text
    )
    text = _XML_SEE.sub(see, text)
    text = _XML_REF.sub(
        lambda m: (
            protect(code_span(_attrs(m.group(2)).get("name", "")))
            if _attrs(m.group(2)).get("name")
            else ""
        ),
        text,
    )
    fields: list[str] = []

    def field(match: re.Match[str]) -> str:
        tag, attrs, body = match.group(1).lower(), _attrs(match.group(2)), match.group(3)
        body = _unescape_prose(_XML_ANY_TAG.sub(" ", body))
        if tag == "param":
            fields.append(_field_line("param", attrs.get("name", ""), body))
        elif tag == "typeparam":
            fields.append(_field_line("tparam", attrs.get("name", ""), body))
        elif tag == "returns":
            fields.append(_field_line("returns", "", body))
        elif tag == "value":
            fields.append(_field_line("value", "", body))
        elif tag == "exception":
            fields.append(_field_line("throws", _cref(attrs.get("cref", "")), body))
        return ""

    text = _XML_FIELD.sub(field, text)
    text = _XML_LIST_TAG.sub(
        lambda m: {"/term": " — ", "item": "\n- ", "listheader": "\n- "}.get(
            m.group(1) + m.group(2).lower(), "\n" if m.group(2).lower() == "list" else ""
        ),
        text,
    )
    text = re.sub(r"\n[ \t]*\n(?=- )", "\n", text)  # items on lines of their own
    text = _XML_BREAK.sub("\n\n", text)
    text = _XML_ANY_TAG.sub("", text)
    text = _unescape_prose(text)
    # XML prose is indented and wrapped at will: one paragraph per block.
    paragraphs = [p for p in re.split(r"\n\s*\n", text)]
    body = "\n\n".join(
        "\n".join(ln.strip() for ln in p.split("\n") if ln.strip()) for p in paragraphs if p.strip()
    )
    if fields:
        body = f"{body}\n\n" + "\n".join(fields) if body else "\n".join(fields)
    return protect.restore(_tidy(body))


# --- entry point ------------------------------------------------------------------------------


def convert_doc(text: str, language: str) -> str:
    """A cleaned doc comment (markers already off) in the renderer's docstring dialect."""
    if not text:
        return ""
    if language in ("java", "kotlin"):
        return convert_javadoc(text, language)
    if language in ("javascript", "typescript", "tsx", "php"):
        return convert_jsdoc(text, language)
    if language == "rust":
        return convert_rustdoc(text)
    if language == "go":
        return convert_godoc(text)
    if language == "csharp":
        return convert_xmldoc(text)
    if language == "ruby":
        return convert_rdoc(text)
    if language in ("c", "cpp"):
        if re.search(r"^\s*[@\\][A-Za-z]", text, re.MULTILINE):
            return convert_jsdoc(text, language)
        return convert_markdown(text, language)
    return text
