"""Helpers shared by the language parsers."""

from __future__ import annotations

import keyword

from ..model import Component, FileInfo, Member

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
# Noise elsewhere, names here: TypeScript's `string`/`number` in type position are blanked
# before names are read (ts_languages' type keywords), so what is left is a value, such as
# zod's `string()`.
_VALUE_WORDS = {
    "typescript": frozenset({"string", "number"}),
    "tsx": frozenset({"string", "number"}),
}


def noise_words(language: str) -> frozenset[str]:
    """The words never resolved as references in code of this language."""
    value_words = _VALUE_WORDS.get(language)
    return NOISE_WORDS - value_words if value_words else NOISE_WORDS


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
        # Declarations without a body (`@overload` stubs, TS overload signatures, prototypes)
        # and Python property setters/deleters: folded into their implementation by finish().
        self.stubs: set[str] = set()
        self.accessors: dict[str, str] = {}

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

    def finish(self, *, merge_all: bool) -> None:
        """Fold repeated declarations of one callable into a single component.

        The implementation (the first declaration with a body) stands for the group and keeps
        its docstring; the others become its `overloads`, in source order, so none is hidden.
        With `merge_all` false (Python) only stubs and accessors are folded: two plain `def`s
        of one name are alternative definitions, not overloads.
        """
        groups: dict[tuple[str | None, str], list[Component]] = {}
        for comp in self.info.components:
            if comp.kind in ("function", "method"):
                groups.setdefault((comp.parent, comp.qualname), []).append(comp)
        dropped: set[str] = set()
        for group in groups.values():
            if len(group) < 2:
                continue
            special = [c for c in group if c.id in self.stubs or c.id in self.accessors]
            if not merge_all and not special:
                continue
            bodies = [c for c in group if c.id not in self.stubs and c.id not in self.accessors]
            primary = bodies[0] if bodies else group[0]
            folded = [c for c in group if c is not primary]
            if not merge_all:
                folded = [c for c in folded if c in special]
            if not folded:
                continue
            first = group[0]
            if first is not primary and first in folded:
                # The survivor takes the plain id (`file::name`), the one links expect.
                first.id, primary.id = primary.id, first.id
            seen = {_bare(primary.signature)}
            for comp in folded:
                dropped.add(comp.id)
                primary.names |= comp.names
                if not primary.doc and comp.doc:
                    primary.doc = comp.doc
                if _bare(comp.signature) in seen:
                    continue  # a C prototype repeating its definition
                seen.add(_bare(comp.signature))
                primary.overloads.append(
                    Member(
                        comp.name,
                        self.accessors.get(comp.id, "overload"),
                        comp.signature,
                        comp.doc,
                        comp.start_line,
                    )
                )
            primary.overloads.sort(key=lambda m: m.line)
        if dropped:
            self.info.components = [c for c in self.info.components if c.id not in dropped]


def _bare(signature: str) -> str:
    return " ".join(signature.rstrip(";").split())
