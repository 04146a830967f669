"""What every page renderer shares: the site context, module edges and link helpers."""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

from .examples import Example, blob_prefix
from .graph import Graph
from .markdown import doc_summary, escape_inline
from .model import Component, FileInfo, SkippedFile
from .modules import Module
from .project import ProjectInfo

MAX_DIAGRAM_NODES = 40
MAX_OVERVIEW_NODES = 25  # the overview's architecture diagram: readable at a glance
MAX_DIAGRAM_EDGES = 60
MAX_LINKS = 15
MAX_LISTED = 50
GROUP_SUMMARY_FILES = 2  # a group of small files: the first files whose own purpose is quoted
_SAFE_URL = re.compile(r"^https?://[A-Za-z0-9.\-]+(:\d+)?(/[A-Za-z0-9._~\-/%+]*)?$")
_HEX = re.compile(r"^[0-9a-fA-F]{7,64}$")


@dataclass
class SiteContext:
    """Everything the page renderers need, computed once."""

    title: str
    repo_url: str
    commit: str
    files: dict[str, FileInfo]
    graph: Graph
    modules: list[Module]
    module_of_file: dict[str, Module]
    project: ProjectInfo
    skipped: list[SkippedFile]
    budget_note: str
    version: str
    module_deps: dict[str, Counter[str]] = field(default_factory=dict)
    module_users: dict[str, Counter[str]] = field(default_factory=dict)
    by_page: dict[str, Module] = field(default_factory=dict)
    sibling_edges: dict[str, Counter[tuple[str, str]]] = field(default_factory=dict)
    link_cache: dict[str, str] = field(default_factory=dict)
    name_cache: dict[str, str] = field(default_factory=dict)
    file_cache: dict[str, str] = field(default_factory=dict)
    private_cache: dict[str, bool] = field(default_factory=dict)
    # component id -> the id of its heading on its module page (GitHub-style, as the viewer
    # and GitHub both derive it), so that "Uses" and "Used by" land on the section itself.
    anchors: dict[str, str] = field(default_factory=dict)
    parent_of: dict[str, str | None] = field(default_factory=dict)  # page -> parent page
    # module page -> (public, private) components, computed with the anchors
    split_cache: dict[str, tuple[list[Component], list[Component]]] = field(default_factory=dict)
    users_cache: dict[str, list[str]] = field(default_factory=dict)
    # cross-references in doc text: name -> component ids, and resolved (file, name) -> link
    xref_index: dict[str, list[str]] | None = None
    xref_cache: dict[str, str | None] = field(default_factory=dict)
    # While a page renders for the page cache: each cross-reference it resolved, and to what.
    xref_log: list[tuple[str, str, str | None]] | None = None
    # component id -> usage examples mined from the repository (see examples.py)
    examples: dict[str, list[Example]] = field(default_factory=dict)
    # page -> model-written Markdown (or a note why there is none), from the prose step
    prose: dict[str, list[str]] = field(default_factory=dict)


def safe_url(url: str) -> str:
    url = url.strip().removesuffix(".git").rstrip("/")
    return url if _SAFE_URL.match(url) else ""


def safe_commit(commit: str) -> str:
    return commit if _HEX.match(commit) else ""


def compute_module_edges(ctx: SiteContext) -> None:
    """Module-to-module dependency counts, from file imports and component references.

    A parent module is credited with its sub-modules' links to the outside, so its page lists
    what the whole sub-tree depends on; links between siblings feed the parent's diagram.
    """
    parent_of: dict[str, str | None] = {}
    for top in ctx.modules:
        _record_parents(top, None, parent_of)
    chains: dict[str, list[str]] = {}
    for page in parent_of:
        chain = [page]
        while (up := parent_of[chain[-1]]) is not None:
            chain.append(up)
        chains[page] = chain
    deps: dict[str, Counter[str]] = {}
    users: dict[str, Counter[str]] = {}
    siblings: dict[str, Counter[tuple[str, str]]] = {}
    owner = ctx.module_of_file
    pair_counts: Counter[tuple[str, str]] = Counter()
    for path, targets in ctx.graph.file_deps.items():
        src = owner.get(path)
        if src is None:
            continue
        for target in sorted(targets):
            dst = owner.get(target)
            if dst is None or dst is src:
                continue
            if src.appendix and not dst.appendix:
                # What tests and examples exercise is not "use" by the project: it only
                # shows on the test module's own page (its "Depends on").
                deps.setdefault(src.page, Counter())[dst.page] += 1
                continue
            pair_counts[(src.page, dst.page)] += 1
    for (src, dst), count in pair_counts.items():
        src_chain, dst_chain = chains[src], chains[dst]
        dst_set = set(dst_chain)
        below_lca_src = []
        lca = None
        for page in src_chain:
            if page in dst_set:
                lca = page
                break
            below_lca_src.append(page)
        below_lca_dst = dst_chain[: dst_chain.index(lca)] if lca else dst_chain
        for page in below_lca_src:
            deps.setdefault(page, Counter())[dst] += count
        for page in below_lca_dst:
            users.setdefault(page, Counter())[src] += count
        if lca is not None and below_lca_src and below_lca_dst:
            edge = (below_lca_src[-1], below_lca_dst[-1])
            siblings.setdefault(lca, Counter())[edge] += count
    ctx.parent_of = parent_of
    ctx.module_deps = deps
    ctx.module_users = users
    ctx.sibling_edges = siblings
    ctx.by_page = {node.page: node for top in ctx.modules for node in top.walk()}


def _record_parents(module: Module, parent: str | None, out: dict[str, str | None]) -> None:
    out[module.page] = parent
    for child in module.children:
        _record_parents(child, module.page, out)


def escaped_name(ctx: SiteContext, comp: Component) -> str:
    cached = ctx.name_cache.get(comp.id)
    if cached is None:
        cached = ctx.name_cache[comp.id] = escape_inline(comp.qualname)
    return cached


def location(ctx: SiteContext, comp: Component, base: str = "") -> str:
    """`file:line`, the file relative to `base` (the folder of the page it is shown on)."""
    key = f"{base}\0{comp.file}"
    text = ctx.file_cache.get(key)
    if text is None:
        shown = (
            comp.file[len(base) + 1 :] if base and comp.file.startswith(base + "/") else comp.file
        )
        text = ctx.file_cache[key] = escape_inline(shown)
    text = f"{text}:{comp.start_line}"
    if ctx.repo_url:
        url = f"{blob_prefix(ctx.repo_url, ctx.commit)}{quote(comp.file)}#L{comp.start_line}"
        return f"[{text}]({url})"
    return text


def summary(doc: str) -> str:
    """A docstring's first sentence, as plain text for one line (escape before use)."""
    return doc_summary(doc) if doc else ""


def comp_link(ctx: SiteContext, cid: str) -> str:
    cached = ctx.link_cache.get(cid)
    if cached is not None:
        return cached
    comp = ctx.graph.components.get(cid)
    if comp is None:
        return ""
    module = ctx.module_of_file.get(comp.file)
    name = escaped_name(ctx, comp)
    anchor = ctx.anchors.get(cid)
    target = f"{module.page}#{anchor}" if module is not None and anchor else None
    text = name if module is None else f"[{name}]({target or module.page})"
    ctx.link_cache[cid] = text
    return text


def link_list(ctx: SiteContext, ids: Iterable[str]) -> str:
    ids = list(ids)
    shown = [comp_link(ctx, cid) for cid in ids[:MAX_LINKS]]
    text = ", ".join(s for s in shown if s)
    if len(ids) > MAX_LINKS:
        text += f" and {len(ids) - MAX_LINKS} more"
    return text


_HEADING_DROP = re.compile(r"[^\w\- ]+")


def heading_slug(text: str) -> str:
    """The id GitHub (and the viewer) give a heading with this plain text."""
    if text.isascii() and text.replace(".", "").isidentifier():
        return text.lower().replace(".", "")  # the common case: only dots to drop
    return _HEADING_DROP.sub("", text.lower()).strip().replace(" ", "-") or "section"


def full_name(module: Module) -> str:
    """Where a module lives, for lists that mix modules from all over the repository."""
    return module.full or module.path or module.name


def module_doc(ctx: SiteContext, module: Module) -> str:
    """The docstring that describes the module: its package file's, or its only file's."""
    info = ctx.files.get(module.doc_file) if module.doc_file else None
    return info.module_doc if info is not None else ""


def module_summary(ctx: SiteContext, module: Module) -> str:
    if module.is_group and not module.doc_file:
        # Small files shown together: no one file speaks for the others, each says its part.
        parts = []
        for path in sorted(module.files, key=lambda p: (posixpath.basename(p)[:1] == "_", p)):
            info = ctx.files.get(path)
            first = summary(info.module_doc) if info is not None else ""
            if first:
                stem = posixpath.splitext(posixpath.basename(path))[0]
                parts.append(f"{stem}: {first.rstrip('.')}")
        shown = "; ".join(parts[:GROUP_SUMMARY_FILES])
        return shown + ("; …" if len(parts) > GROUP_SUMMARY_FILES else "")
    return summary(module_doc(ctx, module))


def users_of(ctx: SiteContext, comp: Component) -> list[str]:
    """Who uses `comp`: for production code only production code (a test is no user)."""
    users = ctx.graph.used_by.get(comp.id, [])
    if comp.role != "production" or not users:
        return users
    cached = ctx.users_cache.get(comp.id)
    if cached is None:
        components = ctx.graph.components
        cached = [u for u in users if components[u].role == "production"]
        ctx.users_cache[comp.id] = cached
    return cached


def ranked(counts: Counter[str], limit: int | None = None) -> list[tuple[str, int]]:
    """Most common first, ties in name order: never in set or insertion order."""
    items = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return items if limit is None else items[:limit]


def plural(count: int, noun: str, many: str = "") -> str:
    """ "1 file", "3 files"; `many` for irregular plurals."""
    return f"{count:,} {noun if count == 1 else (many or noun + 's')}"


def subtree_stats(ctx: SiteContext, module: Module) -> tuple[int, int]:
    """(components, files) in the module and all of its sub-modules."""
    files = module.subtree_files()
    return sum(len(node.component_ids) for node in module.walk()), len(files)
