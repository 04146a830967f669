"""Model answers → validated fields → grounded, escaped Markdown.

Model output is untrusted twice over (it read someone else's repository), so nothing it
writes reaches the page as markup: every character is escaped, except links and code spans
that this module builds itself. A name in backticks becomes a link only when it is a
component or module of this repository; a link the model wrote is kept only when it points
at a page (and anchor) that exists; images become their alt text. The viewer then renders
the page through the same Markdown-without-HTML and sanitiser path as every other page.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

from ..markdown import code_span, escape_inline
from ..site import SiteContext, full_name

MAX_FIELD_CHARS = 2500
_FENCED = re.compile(r"^\s*```[a-zA-Z]*\s*\n(.*)\n\s*```\s*$", re.DOTALL)
# Markdown links and images the model wrote, and code spans.
_INLINE = re.compile(
    r"(?P<bang>!?)\[(?P<text>[^\]\n]{0,300})\]\((?P<target>(?:[^()\s]|\([^()\s]{0,100}\)){0,500})(?:\s+\"[^\"\n]*\")?\)"
    r"|(?P<ticks>`+)(?P<code>[^`\n]+?)(?P=ticks)"
)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+\u2022]|\d{1,3}[.)])\s+(.*)$")
_LINE_START = re.compile(r"^([#+\-=])|^(\d+)([.)])")
_CALL_SUFFIX = re.compile(r"\(\s*\)$")
_BARE_NAME = re.compile(r"(?<![\w.`/-])[A-Za-z_][\w.]*[\w](?:\(\))?(?![\w`/-])")


class InvalidAnswer(ValueError):
    """The model's text is not the JSON object that was asked for."""


def parse_fields(text: str, fields: tuple[str, ...]) -> dict[str, str]:
    """The answer's JSON object, with every required field a non-empty string."""
    body = text.strip()
    fenced = _FENCED.match(body)
    if fenced:
        body = fenced.group(1)
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end <= start:
        raise InvalidAnswer("the answer holds no JSON object")
    try:
        data = json.loads(body[start : end + 1], strict=False)
    except ValueError as exc:
        raise InvalidAnswer(f"the answer is not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise InvalidAnswer("the answer is not a JSON object")
    out: dict[str, str] = {}
    for name in fields:
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            raise InvalidAnswer(f"the answer has no text in its {name!r} field")
        out[name] = value.strip()[:MAX_FIELD_CHARS]
    return out


class Grounding:
    """Which names and link targets are real: components, modules, pages, anchors."""

    def __init__(self, ctx: SiteContext) -> None:
        self.pages = {"overview.md", *ctx.by_page}
        self.anchors: dict[str, set[str]] = defaultdict(set)
        by_name: dict[str, set[str]] = defaultdict(set)
        by_qualname: dict[str, set[str]] = defaultdict(set)
        self.targets: dict[str, str] = {}
        for cid, comp in ctx.graph.components.items():
            module = ctx.module_of_file.get(comp.file)
            if module is None:
                continue
            anchor = ctx.anchors.get(cid)
            target = f"{module.page}#{anchor}" if anchor else module.page
            if anchor:
                self.anchors[module.page].add(anchor)
            self.targets[cid] = target
            by_qualname[comp.qualname].add(cid)
            by_name[comp.name].add(cid)
        self.by_name = by_name
        self.by_qualname = by_qualname
        self.components = ctx.graph.components
        self.module_of_file = ctx.module_of_file
        self.modules: dict[str, str] = {}
        for page, module in ctx.by_page.items():
            for name in {full_name(module), module.path, module.name}:
                if name:
                    self.modules.setdefault(name, page)
        for page in self.pages:
            self.anchors[page].update(
                {"what-this-module-does", "how-it-works", "what-this-repository-does"}
            )

    def resolve_name(self, name: str, page: str) -> str | None:
        """The link target for a name the model wrote, or None when it is not ours."""
        name = _CALL_SUFFIX.sub("", name.strip())
        if not name or len(name) > 200:
            return None
        ids = self.by_qualname.get(name) or self.by_name.get(name)
        if ids:
            if len(ids) > 1:
                # Ambiguous: only a definition on this very page is a safe guess.
                here = [
                    cid
                    for cid in ids
                    if (m := self.module_of_file.get(self.components[cid].file)) is not None
                    and m.page == page
                ]
                if len(here) != 1:
                    return None
                ids = set(here)
            return self.targets.get(next(iter(ids)))
        return self.modules.get(name.rstrip("/"))

    def resolve_link(self, target: str) -> str | None:
        """A link the model wrote, kept only if it names one of our pages (and anchor)."""
        page, _, anchor = target.partition("#")
        page = page.removeprefix("./")
        if not page or page not in self.pages:
            return None
        return f"{page}#{anchor}" if anchor and anchor in self.anchors[page] else page


def _escape(segment: str) -> str:
    """Model text between links and code spans: escaped, keeping its edge spaces."""
    if not segment:
        return ""
    lead = " " if segment[0].isspace() else ""
    trail = " " if segment[-1].isspace() and segment.strip() else ""
    inner = escape_inline(segment)
    return f"{lead}{inner}{trail}" if inner else lead


def _looks_like_code(word: str) -> bool:
    """CamelCase, snake_case or dotted: a word that names code, not an English word."""
    core = word.removesuffix("()")
    return "_" in core or "." in core or (len(core) >= 4 and any(c.isupper() for c in core[1:]))


def _plain(text: str, page: str, grounding: Grounding, linked: set[str]) -> str:
    """Model prose outside code spans: escaped, its first mention of each real name linked."""
    out: list[str] = []
    pos = 0
    for match in _BARE_NAME.finditer(text):
        word = match.group(0).rstrip(".")
        capitalised = word[:1].isupper() and len(word) >= 4
        if word in linked or not (_looks_like_code(word) or capitalised):
            continue
        target = grounding.resolve_name(word, page)
        if target is None:
            continue
        linked.add(word)
        out.append(_escape(text[pos : match.start()]))
        out.append(f"[{code_span(word)}]({target})")
        pos = match.start() + len(word)
    out.append(_escape(text[pos:]))
    return "".join(out)


def _inline(text: str, page: str, grounding: Grounding) -> str:
    out: list[str] = []
    pos = 0
    linked: set[str] = set()
    for match in _INLINE.finditer(text):
        out.append(_plain(text[pos : match.start()], page, grounding, linked))
        pos = match.end()
        if match.group("ticks"):
            code = match.group("code")
            target = grounding.resolve_name(code, page)
            span = code_span(code)
            out.append(f"[{span}]({target})" if target and span else span)
            if target:
                linked.add(code)
            continue
        label = match.group("text")
        if match.group("bang"):
            out.append(_escape(label))  # never an image: its alt text stands in
            continue
        target = grounding.resolve_link(match.group("target"))
        shown = _escape(label.strip()) or escape_inline(match.group("target"))
        out.append(f"[{shown}]({target})" if target and shown else shown)
    out.append(_plain(text[pos:], page, grounding, linked))
    line = "".join(out).strip()
    start = _LINE_START.match(line)
    if start:
        line = (
            "\\" + line if start.group(1) else start.group(2) + "\\" + line[len(start.group(2)) :]
        )
    return line


def to_markdown(text: str, page: str, grounding: Grounding) -> list[str]:
    """Paragraphs and bullet lists of escaped, grounded Markdown, one entry per block."""
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if paragraph:
            line = _inline(" ".join(paragraph), page, grounding)
            if line:
                blocks.append(line)
            paragraph.clear()
        if items:
            blocks.append("\n".join(items))
            items.clear()

    for raw in text.replace("\r", "").split("\n"):
        line = raw.strip().lstrip("#").strip() if raw.strip().startswith("#") else raw.strip()
        if not line:
            flush()
            continue
        item = _LIST_ITEM.match(line)
        if item:
            if paragraph:
                flush()
            rendered = _inline(item.group(1), page, grounding)
            if rendered:
                items.append(f"- {rendered}")
            continue
        if items:
            flush()
        paragraph.append(line)
    flush()
    return blocks


def marker(model: str, what: str) -> str:
    return f"_Written by the language model {code_span(model)} from {what}; check it against them._"


def plain_summary(text: str, limit: int = 400) -> str:
    """A model answer as plain one-line text, for a parent's facts."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section(title: str, blocks: list[str]) -> list[str]:
    out = [f"## {title}", ""]
    for block in blocks:
        out += [block, ""]
    return out


def note(text: str) -> list[str]:
    return [f"> {escape_inline(text)}", ""]


def field_blocks(answer: dict[str, Any], name: str, page: str, grounding: Grounding) -> list[str]:
    return to_markdown(str(answer.get(name, "")), page, grounding)
