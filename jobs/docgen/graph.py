"""Resolving imports to files and identifiers to components; the dependency graph.

Everything here is dictionary lookups over precomputed indexes, linear in the number of
identifiers, so large repositories do not pay a quadratic price.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from dataclasses import dataclass, field

from .model import Component, FileInfo, Reexport
from .parsers.common import NOISE_WORDS, noise_words

PRODUCTION = "production"

# Index stems that stand for their directory (Python packages, JS index files, Rust mod.rs).
PACKAGE_STEMS = frozenset({"__init__", "index", "mod"})
LANGUAGE_FAMILY = {"tsx": "typescript", "javascript": "typescript", "cpp": "c"}
MIN_GLOBAL_NAME = 4
MAX_DIR_FANOUT = 30


def _family(language: str) -> str:
    return LANGUAGE_FAMILY.get(language, language)


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a.split("/"), b.split("/"), strict=False):
        if x != y:
            break
        n += 1
    return n


class ImportResolver:
    """Maps an import target (as normalised by the parsers) to repository files."""

    def __init__(self, files: list[FileInfo], root_name: str = "", go_module: str = "") -> None:
        self.root_name = root_name
        self.go_module = go_module.strip("/")
        self.exact: dict[str, list[str]] = defaultdict(list)
        self.suffix: dict[str, list[str]] = defaultdict(list)
        self.dirs: dict[str, list[str]] = defaultdict(list)
        self._cache: dict[tuple[str, str], list[str]] = {}
        for info in files:
            path = info.path
            stem, ext = posixpath.splitext(path)
            parts = stem.split("/")
            keys = [parts]
            if parts[-1] in PACKAGE_STEMS and len(parts) > 1:
                keys.append(parts[:-1])
            for key_parts in keys:
                self.exact["/" + "/".join(key_parts)].append(path)
                for k in range(1, len(key_parts) + 1):
                    self.suffix["/".join(key_parts[-k:])].append(path)
            self.exact["/" + path].append(path)
            for k in range(1, len(parts) + 1):
                self.suffix["/".join(parts[-k:]) + ext].append(path)
            dir_parts = parts[:-1]
            self.dirs["/" + "/".join(dir_parts)].append(path)
            for k in range(1, len(dir_parts) + 1):
                self.dirs["/".join(dir_parts[-k:])].append(path)

    def resolve(self, target: str, importer: str) -> list[str]:
        # Absolute targets repeat across a repository; ties only depend on the folder.
        key = (target, importer.rpartition("/")[0])
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._resolve(target, importer)
        return cached

    def _resolve(self, target: str, importer: str) -> list[str]:
        if not target:
            return []
        if target.startswith("/"):
            return self._exact(target)
        if self.go_module and (target == self.go_module or target.startswith(self.go_module + "/")):
            return self._exact("/" + target[len(self.go_module) :].strip("/"))
        parts = [p for p in target.split("/") if p]
        attempts = [parts]
        if self.root_name and len(parts) > 1 and parts[0] == self.root_name:
            attempts.append(parts[1:])
        for attempt in attempts:
            for variant in (attempt, attempt[:-1]):
                if not variant:
                    continue
                hits = self._pick(self.suffix.get("/".join(variant)), importer, len(variant))
                if hits:
                    return hits
            hits = self._pick_dir(self.dirs.get("/".join(attempt)), len(attempt))
            if hits:
                return hits
        if "." in parts[0] and len(parts) > 1:
            # A Go-style path ("example.com/shop/store") whose module prefix we do not know:
            # accept the longest trailing folder path that names exactly one folder.
            for k in range(len(parts) - 1, 0, -1):
                hits = self.dirs.get("/".join(parts[-k:]))
                if hits and len({posixpath.dirname(h) for h in hits}) == 1:
                    return hits[:MAX_DIR_FANOUT]
        return []

    def _exact(self, target: str) -> list[str]:
        target = posixpath.normpath(target)
        for key in (target, posixpath.dirname(target)):
            # TypeScript's ES modules import the compiled name: `./util.js` is `util.ts`.
            hits = self.exact.get(key) or self.exact.get(_without_js_suffix(key))
            if hits:
                return hits[:1] if len(hits) == 1 else self._prefer_source(hits)
        hits = self.dirs.get(target)
        return hits[:MAX_DIR_FANOUT] if hits else []

    @staticmethod
    def _prefer_source(hits: list[str]) -> list[str]:
        # `#include "list.h"` style keys can match list.h and list.c; keep both.
        return hits[:2]

    @staticmethod
    def _pick(hits: list[str] | None, importer: str, depth: int) -> list[str]:
        if not hits:
            return []
        unique = list(dict.fromkeys(hits))
        if len(unique) == 1:
            return unique
        # An ambiguous one-word key (`utils`) is only trusted next to the importer.
        best = max(unique, key=lambda p: _common_prefix(p, importer))
        if depth == 1 and posixpath.dirname(best) != posixpath.dirname(importer):
            return []
        return [best]

    @staticmethod
    def _pick_dir(hits: list[str] | None, depth: int) -> list[str]:
        if not hits or depth < 2:
            return []
        return hits[:MAX_DIR_FANOUT]


@dataclass
class Graph:
    components: dict[str, Component] = field(default_factory=dict)
    file_deps: dict[str, set[str]] = field(default_factory=dict)
    # component id -> ids of components that reference it
    used_by: dict[str, list[str]] = field(default_factory=dict)
    # component id -> (file, public name) of each re-export that makes it available elsewhere
    reexported_by: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def _self_and_ancestors(comp: Component, components: dict[str, Component]) -> set[str]:
    # A method "using" its own class (or itself, recursively) is not a dependency worth drawing.
    out = {comp.id}
    parent_id = comp.parent
    while parent_id and parent_id not in out:
        out.add(parent_id)
        parent = components.get(parent_id)
        parent_id = parent.parent if parent else None
    return out


def build_graph(files: list[FileInfo], resolver: ImportResolver) -> Graph:
    graph = Graph()
    top_level: dict[str, dict[str, Component]] = {}
    members: dict[str, dict[str, Component]] = defaultdict(dict)
    global_types: dict[tuple[str, str], list[Component]] = defaultdict(list)
    for info in files:
        names: dict[str, Component] = {}
        family = _family(info.language)
        for comp in info.components:
            graph.components[comp.id] = comp
            if comp.parent is None:
                names.setdefault(comp.name, comp)
            else:
                members[comp.parent].setdefault(comp.name, comp)
            if comp.is_class_like and len(comp.name) >= MIN_GLOBAL_NAME:
                global_types[(family, comp.name)].append(comp)
        top_level[info.path] = names

    role_of = {info.path: info.role for info in files}
    for info in files:
        deps: set[str] = set()
        for target in info.imports:
            deps.update(resolver.resolve(target, info.path))
        deps.discard(info.path)
        if info.role == PRODUCTION:
            # Production code never depends on a test or an example, whatever a name says.
            deps = {dep for dep in deps if role_of.get(dep) == PRODUCTION}
        graph.file_deps[info.path] = deps

    # Names that identify exactly one type per language family: the last-resort resolution.
    unique_types: dict[str, dict[str, Component]] = defaultdict(dict)
    production_types: dict[str, dict[str, Component]] = defaultdict(dict)
    for (family, name), comps in global_types.items():
        if len(comps) == 1:
            unique_types[family][name] = comps[0]
        prod = [c for c in comps if c.role == PRODUCTION]
        if len(prod) == 1:
            # A test double named like a production type does not hide the real one.
            production_types[family][name] = prod[0]

    # name -> the files defining it at top level, in path order: a file's scope is looked
    # up name by name (`_Scope`) instead of merging all of its dependencies' names.
    defined_in: dict[str, list[str]] = defaultdict(list)
    for path in sorted(top_level):
        for name in top_level[path]:
            defined_in[name].append(path)

    used_by: dict[str, list[str]] = defaultdict(list)
    components = graph.components
    # Keywords, `self`, common builtins: never worth resolving (dropped here once rather
    # than from every component's names).
    all_names = {comp.name for comp in components.values()}
    known_names = all_names - NOISE_WORDS
    # A language may take back some noise words as names (TypeScript's `string()`); its
    # parser kept them only where they are values.
    known_by_language: dict[str, set[str]] = {}
    for info in files:
        known_here = known_by_language.get(info.language)
        if known_here is None:
            taken_back = all_names & (NOISE_WORDS - noise_words(info.language))
            known_here = known_names | taken_back if taken_back else known_names
            known_by_language[info.language] = known_here
        deps = graph.file_deps[info.path]
        production = info.role == PRODUCTION
        imported: dict[str, Component] = {}
        for local, target in info.imported_names.items():
            source_name = target.rsplit("/", 1)[-1]
            for path in resolver.resolve(target, info.path):
                comp = top_level.get(path, {}).get(source_name)
                if comp is not None and (not production or comp.role == PRODUCTION):
                    imported[local] = comp
                    break
        scope = _Scope(imported, top_level[info.path], set(deps), top_level, defined_in)
        for entry in info.reexports:
            entry.resolved = _resolve_reexport(entry, info.path, resolver, top_level)
            if not entry.resolved and entry.target:
                files = resolver.resolve(_without_js_suffix(entry.target), info.path)
                entry.source_file = files[0] if len(files) == 1 else ""
            if entry.resolved and components[entry.resolved].file != info.path:
                graph.reexported_by.setdefault(entry.resolved, []).append((info.path, entry.name))
        fallback = unique_types.get(_family(info.language), {})
        if production:
            fallback = production_types.get(_family(info.language), {})
        extra_deps: set[str] = set()
        for comp in info.components:
            parent_id = comp.parent
            siblings = members.get(parent_id, {}) if parent_id else {}
            # One C-level intersection drops the locals, keywords and builtins; only names
            # that some component somewhere carries are looked up, in priority order.
            refs: dict[str, None] = {}
            excluded: set[str] | None = None
            names = comp.names
            found = (
                known_here.intersection(names.split("\0"))
                if isinstance(names, str)
                else names & known_here
            )
            # Sorted: set order changes with PYTHONHASHSEED, the "Uses" list must not.
            for name in sorted(found):
                target = siblings.get(name) or scope.get(name) or fallback.get(name)
                if target is None:
                    continue
                if excluded is None:
                    excluded = _self_and_ancestors(comp, components)
                if target.id not in excluded:
                    refs[target.id] = None
            for base in comp.bases:
                target = scope.get(base) or fallback.get(base)
                if target is None or not target.is_class_like:
                    continue
                if excluded is None:
                    excluded = _self_and_ancestors(comp, components)
                if target.id not in excluded:
                    if target.id not in comp.base_ids:
                        comp.base_ids.append(target.id)
                    refs[target.id] = None
            comp.refs = list(refs)
            comp.names = ""  # no longer needed; keeps peak memory down
            for ref in comp.refs:
                used_by[ref].append(comp.id)
                ref_file = components[ref].file
                if ref_file != info.path:
                    extra_deps.add(ref_file)
        deps.update(extra_deps)
    graph.used_by = dict(used_by)
    return graph


class _Scope:
    """The components a file's names refer to: imported names first, then the file's own
    top-level names, then its dependencies' (the first dependency in path order wins)."""

    def __init__(
        self,
        imported: dict[str, Component],
        own: dict[str, Component],
        deps: set[str],
        top_level: dict[str, dict[str, Component]],
        defined_in: dict[str, list[str]],
    ) -> None:
        self.imported, self.own, self.deps = imported, own, deps
        self.top_level, self.defined_in = top_level, defined_in
        self.found: dict[str, Component | None] = {}

    def get(self, name: str) -> Component | None:
        if name in self.found:
            return self.found[name]
        comp = self.imported.get(name) or self.own.get(name)
        if comp is None:
            for path in self.defined_in.get(name, ()):
                if path in self.deps:
                    comp = self.top_level[path][name]
                    break
        self.found[name] = comp
        return comp


def _resolve_reexport(
    entry: Reexport,
    importer: str,
    resolver: ImportResolver,
    top_level: dict[str, dict[str, Component]],
) -> str:
    """The component a re-exported name stands for, when this repository defines it."""
    if not entry.target:
        return ""
    original = entry.original.rsplit(".", 1)[-1] or entry.name
    if original in ("*", "default"):
        return ""
    base = _without_js_suffix(entry.target)
    for target in (base, f"{base}/{original}"):
        for path in resolver.resolve(target, importer):
            comp = top_level.get(path, {}).get(original)
            if comp is not None:
                return comp.id
    return ""


def _without_js_suffix(target: str) -> str:
    # TypeScript imports name the compiled file: `./core/index.js` is `core/index.ts`.
    for suffix in (".js", ".mjs", ".cjs", ".jsx"):
        if target.endswith(suffix):
            return target[: -len(suffix)]
    return target
