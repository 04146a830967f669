"""The module tree: follows folders, merges tiny ones, splits huge ones, names pages uniquely."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import FileInfo

MIN_COMPONENTS = 4  # a leaf folder with fewer components is folded into its parent
MAX_COMPONENTS = 120  # a module whose own files hold more is split by file
MAX_PAGE_STEM = 80
RESERVED_STEMS = frozenset({"overview", "module_tree", "first_module_tree", "metadata", "index"})
_SLUG_BAD = re.compile(r"[^a-z0-9._-]+")


@dataclass
class Module:
    name: str
    path: str
    files: list[str] = field(default_factory=list)
    children: list[Module] = field(default_factory=list)
    page: str = ""  # "<stem>.md", unique across the tree
    slug_source: str = ""  # what the page name is derived from when `path` is shared
    component_ids: list[str] = field(default_factory=list)

    def walk(self) -> list[Module]:
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out

    def subtree_files(self) -> list[str]:
        out = list(self.files)
        for child in self.children:
            out.extend(child.subtree_files())
        return out


def slugify(text: str) -> str:
    slug = _SLUG_BAD.sub("-", text.lower().replace("/", "-"))
    slug = re.sub(r"-{2,}", "-", re.sub(r"\.{2,}", ".", slug)).strip("-._")
    slug = slug[:MAX_PAGE_STEM].strip("-._")
    return slug or "module"


@dataclass
class _Dir:
    path: str
    files: list[str] = field(default_factory=list)
    subdirs: dict[str, _Dir] = field(default_factory=dict)


def build_module_tree(files: list[FileInfo]) -> list[Module]:
    """Top-level modules, each with nested children, in stable (path) order."""
    counts = {info.path: len(info.components) for info in files}
    root = _Dir("")
    for info in sorted(files, key=lambda i: i.path):
        node = root
        parts = info.path.split("/")
        for i, part in enumerate(parts[:-1]):
            node = node.subdirs.setdefault(part, _Dir("/".join(parts[: i + 1])))
        node.files.append(info.path)

    top = _build(root, counts)
    modules: list[Module] = []
    if top.files:
        modules.append(Module(name="root", path="", files=top.files))
    modules.extend(top.children)
    if not modules:
        modules.append(Module(name="root", path=""))
    for module in modules:
        _split_huge(module, counts)
    _assign_pages(modules)
    by_file: dict[str, list[str]] = {info.path: [c.id for c in info.components] for info in files}
    for module in modules:
        for node in module.walk():
            node.component_ids = [cid for path in node.files for cid in by_file.get(path, [])]
    return modules


def _count(module: Module, counts: dict[str, int]) -> int:
    return sum(counts.get(path, 0) for path in module.subtree_files())


def _build(directory: _Dir, counts: dict[str, int]) -> Module:
    module = Module(name=directory.path.rsplit("/", 1)[-1], path=directory.path)
    module.files = list(directory.files)
    for sub in directory.subdirs.values():
        child = _build(sub, counts)
        if not child.files and not child.children:
            continue
        if not child.children and _count(child, counts) < MIN_COMPONENTS:
            module.files.extend(child.files)
            continue
        module.children.append(child)
    # A folder holding only one folder (src/main/java/...) is shown as a single step.
    if directory.path and not module.files and len(module.children) == 1:
        only = module.children[0]
        only.name = f"{module.name}/{only.name}"
        return only
    module.files.sort()
    return module


def _split_huge(module: Module, counts: dict[str, int]) -> None:
    for child in module.children:
        _split_huge(child, counts)
    own = sum(counts.get(path, 0) for path in module.files)
    if own <= MAX_COMPONENTS or len(module.files) < 2:
        return
    chunks: list[list[str]] = [[]]
    size = 0
    for path in module.files:
        weight = counts.get(path, 0)
        if chunks[-1] and size + weight > MAX_COMPONENTS:
            chunks.append([])
            size = 0
        chunks[-1].append(path)
        size += weight
    if len(chunks) < 2:
        return
    parts: list[Module] = []
    for chunk in chunks:
        # Labels are relative to the folder: merged sub-folders keep their prefix.
        first = chunk[0][len(module.path) :].lstrip("/") if module.path else chunk[0]
        last = chunk[-1][len(module.path) :].lstrip("/") if module.path else chunk[-1]
        label = first if len(chunk) == 1 else f"{first} to {last}"
        path = chunk[0] if len(chunk) == 1 else module.path
        parts.append(
            Module(name=label, path=path, files=chunk, slug_source=f"{module.path}/{label}")
        )
    module.files = []
    module.children = parts + module.children


def _assign_pages(modules: list[Module]) -> None:
    taken: set[str] = set(RESERVED_STEMS)
    for top in modules:
        for node in top.walk():
            source = node.slug_source or node.path
            base = slugify(source) if source else "root"
            stem = base
            n = 2
            while stem in taken:
                stem = f"{base}-{n}"
                n += 1
            taken.add(stem)
            node.page = f"{stem}.md"


def module_of_file(modules: list[Module]) -> dict[str, Module]:
    owner: dict[str, Module] = {}
    for top in modules:
        for node in top.walk():
            for path in node.files:
                owner[path] = node
    return owner


def depth(modules: list[Module]) -> int:
    def _depth(module: Module) -> int:
        return 1 + max((_depth(c) for c in module.children), default=0)

    return max((_depth(m) for m in modules), default=0)
