"""The module tree: follows folders, merges tiny ones, splits huge ones, names pages uniquely.

A folder whose own files hold too many components for one page is split along the lines an
engineer would look for: every substantial file becomes a module of its own (named after the
file, `jobs/worker`), small files that share a name prefix (`related_*`) or import each other
are grouped, and whatever is left stays on the folder's own page with its `__init__.py`.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from dataclasses import dataclass, field

from .model import FileInfo

MIN_COMPONENTS = 4  # a leaf folder with fewer components is folded into its parent
MAX_COMPONENTS = 120  # a module whose own files hold more is split by file
SUBSTANTIAL = 25  # in a folder being split, a file with this many components is a module
MIN_GROUP = 8  # a group of small files needs this many components to be a module
MAX_GROUP = 80  # groups of small files stop growing at this size
MAX_PAGE_STEM = 80
MAX_GROUP_LABEL = 60
RESERVED_STEMS = frozenset({"overview", "module_tree", "first_module_tree", "metadata", "index"})
PACKAGE_FILES = frozenset({"__init__", "index", "mod", "lib", "main"})
_SLUG_BAD = re.compile(r"[^a-z0-9._-]+")


@dataclass
class Module:
    name: str
    path: str
    files: list[str] = field(default_factory=list)
    children: list[Module] = field(default_factory=list)
    page: str = ""  # "<stem>.md", unique across the tree
    slug_source: str = ""  # what the page name is derived from when `path` is shared
    full: str = ""  # the name to show where modules from all over the repository are mixed
    doc_file: str = ""  # the file whose docstring describes the module ("" if none does)
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


def build_module_tree(
    files: list[FileInfo], file_deps: dict[str, set[str]] | None = None
) -> list[Module]:
    """Top-level modules, each with nested children, in stable (path) order.

    `file_deps` (file -> files it uses) lets a split folder group small files that import
    each other.
    """
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
        _split_huge(module, counts, file_deps or {})
    _assign_pages(modules)
    for module in modules:
        for node in module.walk():
            if not node.doc_file:
                node.doc_file = _doc_file(node)
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
    module.files.sort()
    # A folder whose only content is one folder (src/main/java/..., or a `management`
    # package around `commands`, whose `__init__.py` defines nothing) is shown as a single
    # step; its empty package files go along.
    if directory.path and len(module.children) == 1:
        own = sum(counts.get(path, 0) for path in module.files)
        if own == 0 and all(_stem(path) in PACKAGE_FILES for path in module.files):
            only = module.children[0]
            only.name = f"{module.name}/{only.name}"
            only.files = sorted(module.files + only.files)
            return only
    return module


def _doc_file(module: Module) -> str:
    """A module is described by its package file, or by its only file; never by a child's."""
    for path in module.files:
        if posixpath.dirname(path) == module.path and _stem(path) in PACKAGE_FILES:
            return path
    return module.files[0] if len(module.files) == 1 else ""


def _stem(path: str) -> str:
    return posixpath.splitext(posixpath.basename(path))[0]


def _relative(path: str, folder: str) -> str:
    """`path` without `folder` and without its extension: `db/models/query.py` -> `query`."""
    rel = path[len(folder) :].lstrip("/") if folder else path
    return posixpath.splitext(rel)[0]


def _joined(folder: str, rel: str) -> str:
    return f"{folder}/{rel}" if folder else rel


def _split_huge(module: Module, counts: dict[str, int], deps: dict[str, set[str]]) -> None:
    for child in module.children:
        _split_huge(child, counts, deps)
    own = sum(counts.get(path, 0) for path in module.files)
    if own <= MAX_COMPONENTS or len(module.files) < 2:
        return
    folder = module.path
    # The package file stays with the folder: it is the folder's own description and API.
    anchored = [
        p for p in module.files if _stem(p) in PACKAGE_FILES and "/" not in _relative(p, folder)
    ]
    candidates = [p for p in module.files if p not in anchored]
    big = [p for p in candidates if counts.get(p, 0) >= SUBSTANTIAL]
    small = [p for p in candidates if counts.get(p, 0) < SUBSTANTIAL]
    groups = _group_small(small, folder, counts, deps)
    grouped = {p for _label, _slug, members, _doc in groups for p in members}
    rest = [p for p in small if p not in grouped]
    # Whatever stays on the folder's page must itself fit on a page: promote its largest files.
    kept = sum(counts.get(p, 0) for p in anchored + rest)
    for path in sorted(rest, key=lambda p: (-counts.get(p, 0), p)):
        if kept <= MAX_COMPONENTS or counts.get(path, 0) < MIN_COMPONENTS:
            break
        big.append(path)
        rest.remove(path)
        kept -= counts.get(path, 0)
    if not big and not groups:
        return
    parts: list[tuple[str, Module]] = []
    for path in big:
        name = _joined(folder, _relative(path, folder))
        parts.append(
            (
                path,
                Module(
                    name=name, path=path, files=[path], slug_source=name, full=name, doc_file=path
                ),
            )
        )
    for label, slug, members, doc_file in groups:
        name = f"{folder}: {label}" if folder and ", " in label else _joined(folder, label)
        parts.append(
            (
                members[0],
                Module(
                    name=name,
                    path=folder,
                    files=sorted(members),
                    slug_source=_joined(folder, slug),
                    full=name,
                    doc_file=doc_file,
                ),
            )
        )
    parts.sort(key=lambda item: item[1].name.lower().replace(": ", "/"))
    module.files = sorted(anchored + rest)
    module.children = [m for _key, m in parts] + module.children


def _group_small(
    small: list[str], folder: str, counts: dict[str, int], deps: dict[str, set[str]]
) -> list[tuple[str, str, list[str], str]]:
    """(label, slug, files, describing file) for groups of small related files.

    Files sharing a name prefix (`related_*`) first, then files that import each other.
    """
    groups: list[tuple[str, str, list[str], str]] = []
    by_prefix: dict[str, list[str]] = defaultdict(list)
    for path in small:
        rel = _relative(path, folder)
        if "/" in rel:
            continue  # files of merged sub-folders stay with their folder's page
        prefix = rel.split("_", 1)[0].split(".", 1)[0]
        if prefix:
            by_prefix[prefix].append(path)
    taken: set[str] = set()
    for prefix, members in sorted(by_prefix.items()):
        size = sum(counts.get(p, 0) for p in members)
        if len(members) < 2 or size < MIN_GROUP or size > MAX_GROUP * 2:
            continue
        groups.append((f"{prefix}_*", f"{prefix}-files", sorted(members), ""))
        taken.update(members)

    # Import affinity: join small files that import each other, while groups stay small.
    pool = [p for p in small if p not in taken]
    in_pool = set(pool)
    parent = {p: p for p in pool}
    size = {p: counts.get(p, 0) for p in pool}

    def find(p: str) -> str:
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    edges = sorted((a, b) for a in pool for b in deps.get(a, ()) if b in in_pool and b != a)
    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb and size[ra] + size[rb] <= MAX_GROUP:
            parent[rb] = ra
            size[ra] += size[rb]
    clusters: dict[str, list[str]] = defaultdict(list)
    for p in pool:
        clusters[find(p)].append(p)
    for members in clusters.values():
        total = sum(counts.get(p, 0) for p in members)
        if len(members) < 2 or total < MIN_GROUP:
            continue
        # Named after the file the others use most (then the biggest one).
        member_set = set(members)
        used = {p: sum(1 for q in members if p in deps.get(q, ())) for p in members}
        hub = max(sorted(members), key=lambda p: (used[p], counts.get(p, 0)))
        hub_rel = _relative(hub, folder)
        others = len(member_set) - 1
        # Named after all of its files when that stays short: "utils: inspect, version".
        stems = [hub_rel, *sorted(_relative(p, folder) for p in members if p != hub)]
        label = ", ".join(stems)
        if len(label) > MAX_GROUP_LABEL:
            label = f"{hub_rel} and {others} related file{'s' if others != 1 else ''}"
        groups.append((label, f"{hub_rel}-related", sorted(members), hub))
    return groups


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
