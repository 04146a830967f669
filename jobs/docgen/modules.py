"""The module tree: follows folders, merges tiny ones, splits huge ones, names pages uniquely.

A folder whose own files hold too many components for one page is split along the lines an
engineer would look for: every substantial file becomes a module of its own (named after the
file, `jobs/worker`), small files that share a name prefix (`related_*`) or import each other
are grouped, and whatever is left stays on the folder's own page with its `__init__.py`.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .classify import FileRole
from .model import FileInfo

MIN_COMPONENTS = 4  # a leaf folder with fewer components is folded into its parent
MAX_COMPONENTS = 120  # a module whose own files hold more is split by file
SUBSTANTIAL = 25  # in a folder being split, a file with this many components is a module
SUBSTANTIAL_LINES = 600  # ... and so is a file this long (a big class with many overloads)
MIN_GROUP = 8  # a group of small files needs this many components to be a module
MAX_GROUP = 80  # groups of small files stop growing at this size
MAX_PAGE_STEM = 80
MAX_GROUP_LABEL = 60
MAX_TREE_DEPTH = 4  # deeper folders are shown on their level-4 ancestor's page
MAX_TITLE = 59
APPENDIX_TITLE = "Appendix: tests, examples and tooling"
APPENDIX_ORDER = (FileRole.TEST, FileRole.EXAMPLE, FileRole.BENCHMARK, FileRole.DOCS_TOOLING)
RESERVED_STEMS = frozenset({"overview", "module_tree", "first_module_tree", "metadata", "index"})
CONTAINER_DIRS = frozenset(
    {
        *("src", "source", "sources", "lib", "libs", "pkg", "main", "java", "kotlin"),
        *("packages", "app", "include", "inc"),
    }
)
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
    # Part of the appendix (tests, examples, benchmarks, docs and tooling), never of the
    # main architecture; `role` names the appendix group a node belongs to.
    appendix: bool = False
    role: str = ""
    is_group: bool = False  # some small files of a folder shown together (not a folder)
    role_root: bool = False  # the appendix's node for one role ("Tests", "Examples")

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

    Production files make the main modules; tests, examples, benchmarks and docs/tooling
    files go to one last top-level module, the appendix, grouped by role. `file_deps`
    (file -> files it uses) lets a split folder group small files that import each other.
    """
    counts = {info.path: len(info.components) for info in files}
    deps = file_deps or {}
    production = [info for info in files if info.role == FileRole.PRODUCTION]
    # How many names package files re-export from each file: what the package shows its
    # users (requests' `api.py` gives `requests.get`), ranked first in a group's name.
    exported: Counter[str] = Counter(
        entry.resolved.split("::", 1)[0]
        for info in production
        for entry in info.reexports
        if entry.resolved
    )
    modules = _folder_modules(production, counts, deps, exported)
    if not modules:
        modules.append(Module(name="root", path=""))
    appendix = _appendix(files, counts, deps)
    if appendix is not None:
        modules.append(appendix)
    for module in modules:
        _limit_depth(module, 1)
        _name_nodes(module, "")
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


def _folder_modules(
    files: list[FileInfo],
    counts: dict[str, int],
    deps: dict[str, set[str]],
    exported: Counter[str] | None = None,
) -> list[Module]:
    long_files = frozenset(
        info.path
        for info in files
        if info.lines >= SUBSTANTIAL_LINES and counts.get(info.path, 0) >= MIN_COMPONENTS
    )
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
    for child in top.children:
        child.name = _chain_name(child.path, "", top_level=True)
        modules.append(child)
    for module in modules:
        _split_huge(module, counts, deps, long_files, exported or Counter())
    return modules


def _appendix(
    files: list[FileInfo], counts: dict[str, int], deps: dict[str, set[str]]
) -> Module | None:
    """One module holding every non-production file, one child per role."""
    appendix = Module(
        name=APPENDIX_TITLE, path="", slug_source="appendix", full=APPENDIX_TITLE, appendix=True
    )
    for role in APPENDIX_ORDER:
        members = [info for info in files if info.role == role]
        if not members:
            continue
        group = Module(
            name=role.title,
            path="",
            slug_source=f"appendix-{role.value}",
            full=role.title,
            appendix=True,
            role=role.value,
            role_root=True,
        )
        for top in _folder_modules(members, counts, deps):
            if top.name == "root" and not top.path:
                # Files at the top of the repository; a big one was split off as a child.
                group.files = top.files
                group.children.extend(top.children)
            else:
                group.children.append(top)
        if not group.files and len(group.children) == 1:
            # All tests in `tests/`: the role's node is that folder, not a level above it.
            only = group.children[0]
            group.files, group.children, group.path = only.files, only.children, only.path
            group.doc_file = only.doc_file
        for node in group.walk():
            node.appendix = True
            node.role = role.value
        appendix.children.append(group)
    return appendix if appendix.children else None


def _limit_depth(module: Module, level: int) -> None:
    """Fold whatever lies below MAX_TREE_DEPTH into its level-4 ancestor's page."""
    if level >= MAX_TREE_DEPTH:
        if module.children:
            module.files = sorted(module.subtree_files())
            module.children = []
        return
    for child in module.children:
        _limit_depth(child, level + 1)


def short_title(text: str) -> str:
    """At most MAX_TITLE characters, keeping the end of a path (its most specific part)."""
    if len(text) <= MAX_TITLE:
        return text
    parts = text.split("/")
    while len(parts) > 1 and len("…/" + "/".join(parts)) > MAX_TITLE:
        parts.pop(0)
    short = "…/" + "/".join(parts)
    return short if len(short) <= MAX_TITLE else text[: MAX_TITLE - 1].rstrip() + "…"


def _chain_name(path: str, parent_path: str, *, top_level: bool = False) -> str:
    """The name of a folder module that may stand for a chain of folders collapsed into one.

    At the top, the project folder (`extras` for extras/src/main/java/com/google/gson);
    below, the deepest name that is not a mere container (`zod` for zod/src, `flask` for
    src/flask).
    """
    rel = (
        path[len(parent_path) + 1 :] if parent_path and path.startswith(parent_path + "/") else path
    )
    segments = [s for s in rel.split("/") if s]
    if not segments:
        return path
    meaningful = [s for s in segments if s.lower() not in CONTAINER_DIRS]
    if not meaningful:
        return segments[-1]
    return meaningful[0] if top_level else meaningful[-1]


def _name_nodes(module: Module, parent_full: str, parent_path: str = "") -> None:
    """Page titles that follow the concepts (`gson/internal`), not the file system path
    (`gson/src/main/java/com/google/gson/internal`): a folder that only leads to another
    folder was folded into it and only the last name is kept; appendix pages say where the
    tests or examples live."""
    if module.appendix:
        if not module.full:
            module.full = module.path or module.name
        if module.path and not module.role_root and not module.is_group:
            # Where the tests or examples live, relative to the node above.
            base = parent_path + "/" if parent_path else ""
            if module.path.startswith(base) and module.path not in module.files:
                module.name = module.path[len(base) :]
    elif module.path:
        if module.is_group and ", " in module.name:
            module.full = f"{parent_full}: {module.name}" if parent_full else module.name
        else:
            module.full = f"{parent_full}/{module.name}" if parent_full else module.name
    module.full = short_title(module.full)
    module.name = short_title(module.name)
    if not module.appendix and module.path:
        _name_folders(module.children, module.path)
    for child in module.children:
        _name_nodes(child, module.full if module.path else "", module.path)


def _name_folders(children: list[Module], parent_path: str) -> None:
    """Concept names for sub-folders; siblings that would share one (Kotlin's source sets
    `commonMain/kotlin/okio`, `jvmMain/kotlin/okio`) are told apart by their first name."""
    folders = [c for c in children if not c.is_group and c.path not in c.files]
    for child in folders:
        child.name = _chain_name(child.path, parent_path)
    names = Counter(c.name for c in children)
    for child in folders:
        if names[child.name] > 1:
            first = _chain_name(child.path, parent_path, top_level=True)
            if first != child.name:
                child.name = f"{first}/{child.name}" if first.lower().endswith("main") else first


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
        # A stray small file (`module-info.java`, a folded `java-templates` folder) does not
        # keep a pass-through level alive: it goes along into the one folder below.
        direct = [p for p in module.files if posixpath.dirname(p) == directory.path]
        # A crate's root (`src/lib.rs`) is the crate's page, never a mere way through.
        crate_root = any(posixpath.basename(p) in ("lib.rs", "main.rs") for p in direct)
        if not crate_root and (own == 0 or (own < MIN_COMPONENTS and not direct)):
            only = module.children[0]
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


def _split_huge(
    module: Module,
    counts: dict[str, int],
    deps: dict[str, set[str]],
    long_files: frozenset[str] = frozenset(),
    exported: Counter[str] | None = None,
) -> None:
    exported = exported if exported is not None else Counter()
    for child in module.children:
        _split_huge(child, counts, deps, long_files, exported)
    own = sum(counts.get(path, 0) for path in module.files)
    if own <= MAX_COMPONENTS or len(module.files) < 2:
        return
    folder = module.path
    # The package file stays with the folder: it is the folder's own description and API.
    anchored = [
        p for p in module.files if _stem(p) in PACKAGE_FILES and "/" not in _relative(p, folder)
    ]
    candidates = [p for p in module.files if p not in anchored]
    # A long file is a module of its own even when its overloads count as one component
    # (`Gson.java`): it is where a reader looks for the thing it is named after.
    big = [p for p in candidates if counts.get(p, 0) >= SUBSTANTIAL or p in long_files]
    small = [p for p in candidates if p not in big]
    groups = _group_small(small, folder, counts, deps, exported)
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
        rel = _relative(path, folder)
        parts.append(
            (
                path,
                Module(
                    name=rel, path=path, files=[path], slug_source=_joined(folder, rel),
                    doc_file=path,
                ),
            )
        )  # fmt: skip
    for label, slug, members, doc_file in groups:
        parts.append(
            (
                members[0],
                Module(
                    name=label,
                    path=folder,
                    files=sorted(members),
                    slug_source=_joined(folder, slug),
                    doc_file=doc_file,
                    is_group=True,
                ),
            )
        )
    # `compile.c` and `compile.h` both split off: their names keep the extension.
    names = Counter(m.name for _key, m in parts)
    for _key, part in parts:
        if names[part.name] > 1 and part.path in part.files:
            part.name = _relative(part.path, folder) + posixpath.splitext(part.path)[1]
    parts.sort(key=lambda item: item[1].name.lower())
    module.files = sorted(anchored + rest)
    module.children = [m for _key, m in parts] + module.children


def _group_small(
    small: list[str],
    folder: str,
    counts: dict[str, int],
    deps: dict[str, set[str]],
    exported: Counter[str] | None = None,
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
        # Named after its files, the ones a user meets first leading: public files before
        # private `_x` ones, then what the package re-exports, what the others use most,
        # the biggest. No one file describes the group (a `compat` docstring is no purpose
        # for `api` and `auth`): its page lists each file's own purpose.
        exported = exported or Counter()
        used = {p: sum(1 for q in members if p in deps.get(q, ())) for p in members}
        order = sorted(
            members,
            key=lambda p: (
                _relative(p, folder).startswith("_"),
                -exported[p],
                -used[p],
                -counts.get(p, 0),
                _relative(p, folder),
            ),
        )
        stems = [_relative(p, folder) for p in order]
        label = ", ".join(stems)
        if len(label) > MAX_GROUP_LABEL:
            # Too many to name them all: as many as fit, then "…".
            shown = stems[:1]
            for stem in stems[1:]:
                if len(", ".join([*shown, stem])) > MAX_GROUP_LABEL - 3:
                    break
                shown.append(stem)
            label = ", ".join(shown) + ", …"
        groups.append((label, f"{stems[0]}-related", sorted(members), ""))
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
