"""Helpers shared by the language parsers."""

from __future__ import annotations

import keyword

from ..model import Component, FileInfo

# Identifiers that are never worth resolving (keywords, `self`, common builtins): dropped at
# parse time so the per-component name sets held until resolution stay small.
NOISE_WORDS = frozenset(
    {
        *keyword.kwlist,
        *("self", "cls", "this", "super", "args", "kwargs", "str", "int", "float", "bool"),
        *("isinstance", "getattr", "setattr", "hasattr", "null", "true", "false", "nil"),
        *("void", "const", "let", "var", "function", "return", "new", "public", "private"),
        *("protected", "static", "func", "fn", "pub", "mut", "impl", "end", "def", "string"),
        *("number", "val", "fun"),
    }
)
MAX_SIGNATURE = 300
MAX_DOC = 16000


def one_line(text: str, limit: int = MAX_SIGNATURE) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def clip_doc(doc: str) -> str:
    doc = doc.strip()
    if len(doc) > MAX_DOC:
        # At a paragraph break when there is one late enough, else at a word.
        cut = doc.rfind("\n\n", MAX_DOC // 2, MAX_DOC)
        if cut < 0:
            cut = doc.rfind(" ", MAX_DOC // 2, MAX_DOC)
        doc = doc[: cut if cut > 0 else MAX_DOC].rstrip() + "\n\n…"
    return doc


def count_lines(text: str) -> int:
    if not text:
        return 0
    return text.count("\n") + (0 if text.endswith("\n") else 1)


class ComponentSink:
    """Collects components of one file and keeps their ids unique (overloads, property setters)."""

    def __init__(self, info: FileInfo) -> None:
        self.info = info
        self._ids: set[str] = set()

    def add(
        self,
        name: str,
        qualname: str,
        kind: str,
        start_line: int,
        end_line: int,
        *,
        signature: str = "",
        doc: str = "",
        parent: Component | None = None,
    ) -> Component:
        cid = f"{self.info.path}::{qualname}"
        if cid in self._ids:
            cid = f"{cid}@{start_line}"
        self._ids.add(cid)
        comp = Component(
            id=cid,
            name=name,
            qualname=qualname,
            kind=kind,
            file=self.info.path,
            start_line=start_line,
            end_line=end_line,
            signature=signature,
            doc=clip_doc(doc),
            parent=parent.id if parent else None,
        )
        self.info.components.append(comp)
        return comp
