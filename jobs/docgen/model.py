"""Plain data records shared by the analysis, graph and rendering stages."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import partial
from operator import attrgetter
from typing import Any, TypeVar

_T = TypeVar("_T")


def _pickled_as_call(cls: type[_T], joined: str = "") -> type[_T]:
    """Pickle instances as a call of the class with every field, in order (so every
    field must be a parameter of ``__init__``).

    The default for a slots class pickles a dict of its slots and sets them one by one
    when loading; a constructor call loads in about 60 % of the time, and an incremental
    run loads every unchanged file's analysis from the cache. ``joined`` names a field
    holding a set of strings, pickled as one string joined by NUL (see ``Component.names``).
    """
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    values = attrgetter(*names)
    at = names.index(joined) if joined else -1

    def __reduce__(self: Any) -> tuple[type[_T], tuple[Any, ...]]:
        args = values(self)
        if at < 0 or isinstance(args[at], str):
            return cls, args
        return cls, (*args[:at], "\0".join(args[at]), *args[at + 1 :])

    cls.__reduce__ = __reduce__  # type: ignore[method-assign,assignment]
    return cls


CLASS_KINDS = frozenset(
    {"class", "struct", "interface", "trait", "enum", "record", "module", "object", "union", "type"}
)


@_pickled_as_call
@dataclass(slots=True)
class Member:
    """A field, property, enum variant or overload signature shown under its component.

    Members are part of the API a reader sees but not nodes of the dependency graph.
    """

    name: str
    # "field", "property", "attribute", "variant", "embedded", "method" or, in
    # `Component.overloads`, "overload" / "setter" / "deleter".
    kind: str
    # The declared type (fields), the payload or value (variants), the signature (overloads).
    type: str = ""
    doc: str = ""
    line: int = 0


@_pickled_as_call
@dataclass(slots=True)
class Reexport:
    """A name a file makes public although it is defined elsewhere (`pub use`, `export from`)."""

    name: str
    # The package or module it comes from, as written (`serde`, `./mod`, `.models`).
    source: str
    # The name in the source when it differs (`export { a as b }`), else empty.
    original: str = ""
    line: int = 0
    # Import target normalised like FileInfo.imports; resolved by the graph stage.
    target: str = ""
    # Component id the graph stage resolved it to, when it is defined in this repository.
    resolved: str = ""
    # Else the repository file it comes from, when the source is one (`./application`).
    source_file: str = ""


@partial(_pickled_as_call, joined="names")
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
    # A set while the parser collects them; one string joined by NUL once pickled and read
    # back (from the analysis cache, from a parse helper): loading some 120,000 short
    # strings one by one was half the time of reading Django's cached analyses.
    names: set[str] | str = field(default_factory=set)
    refs: list[str] = field(default_factory=list)
    base_ids: list[str] = field(default_factory=list)
    # Fields, properties and variants, in source order (public ones only).
    members: list[Member] = field(default_factory=list)
    # Other declarations of the same callable: overloads, typing.overload stubs, setters.
    overloads: list[Member] = field(default_factory=list)
    # Its doc comment marks it as not public API (`@private`, `@internal`, `@api private`).
    private: bool = False
    # The file's role (a `classify.FileRole` value): production, test, example, ...
    role: str = "production"

    @property
    def is_public(self) -> bool:
        if self.private:
            return False
        if self.name == "__init__":
            return True
        return not self.name.startswith("_")

    @property
    def is_class_like(self) -> bool:
        return self.kind in CLASS_KINDS


@_pickled_as_call
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
    reexports: list[Reexport] = field(default_factory=list)
    # Public module-level constants and variables (`const X`, `pub static`, `MAX_SIZE = 10`).
    variables: list[Member] = field(default_factory=list)
    note: str = ""
    has_main_guard: bool = False
    # What the file is for (a `classify.FileRole` value), set by the pipeline from its path.
    role: str = "production"


@_pickled_as_call
@dataclass(slots=True)
class SkippedFile:
    path: str
    reason: str
