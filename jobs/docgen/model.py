"""Plain data records shared by the analysis, graph and rendering stages."""

from __future__ import annotations

from dataclasses import dataclass, field

CLASS_KINDS = frozenset(
    {"class", "struct", "interface", "trait", "enum", "record", "module", "object", "union", "type"}
)


@dataclass(slots=True)
class Component:
    """A class-like or callable definition found in one file."""

    id: str
    name: str
    qualname: str
    kind: str
    file: str
    start_line: int
    end_line: int
    signature: str = ""
    doc: str = ""
    parent: str | None = None
    bases: list[str] = field(default_factory=list)
    # Raw identifiers seen in the body; resolved into `refs` by the graph stage, then dropped.
    names: set[str] = field(default_factory=set)
    refs: list[str] = field(default_factory=list)
    base_ids: list[str] = field(default_factory=list)
    # The file's role (a `classify.FileRole` value): production, test, example, ...
    role: str = "production"

    @property
    def is_public(self) -> bool:
        if self.name == "__init__":
            return True
        return not self.name.startswith("_")

    @property
    def is_class_like(self) -> bool:
        return self.kind in CLASS_KINDS


@dataclass(slots=True)
class FileInfo:
    """What the analysis learnt about one source file."""

    path: str
    language: str
    lines: int = 0
    components: list[Component] = field(default_factory=list)
    # Import targets as written, normalised to "/"-separated paths by the parser.
    imports: list[str] = field(default_factory=list)
    # Names bound by `from x import Name` style imports: local name -> import target.
    imported_names: dict[str, str] = field(default_factory=dict)
    module_doc: str = ""
    note: str = ""
    has_main_guard: bool = False
    # What the file is for (a `classify.FileRole` value), set by the pipeline from its path.
    role: str = "production"


@dataclass(slots=True)
class SkippedFile:
    path: str
    reason: str
