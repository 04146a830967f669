"""Markdown pages: the overview and one page per module."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

from .graph import Graph
from .languages import display_name
from .markdown import code_fence, escape_block, escape_inline, link, mermaid_label
from .model import Component, FileInfo, SkippedFile
from .modules import Module
from .project import ProjectInfo

MAX_DIAGRAM_NODES = 40
MAX_DIAGRAM_EDGES = 60
MAX_LINKS = 15
MAX_LISTED = 50
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
        for target in targets:
            dst = owner.get(target)
            if dst is not None and dst is not src:
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
    ctx.module_deps = deps
    ctx.module_users = users
    ctx.sibling_edges = siblings
    ctx.by_page = {node.page: node for top in ctx.modules for node in top.walk()}


def _record_parents(module: Module, parent: str | None, out: dict[str, str | None]) -> None:
    out[module.page] = parent
    for child in module.children:
        _record_parents(child, module.page, out)


def _escaped_name(ctx: SiteContext, comp: Component) -> str:
    cached = ctx.name_cache.get(comp.id)
    if cached is None:
        cached = ctx.name_cache[comp.id] = escape_inline(comp.qualname)
    return cached


def _location(ctx: SiteContext, comp: Component) -> str:
    text = ctx.file_cache.get(comp.file)
    if text is None:
        text = ctx.file_cache[comp.file] = escape_inline(comp.file)
    text = f"{text}:{comp.start_line}"
    if ctx.repo_url:
        ref = ctx.commit or "HEAD"
        url = f"{ctx.repo_url}/blob/{ref}/{quote(comp.file)}#L{comp.start_line}"
        return f"[{text}]({url})"
    return text


def _summary(doc: str) -> str:
    # Docs are stored stripped, so the first line is the summary line.
    return doc.partition("\n")[0].strip()[:160]


def _comp_link(ctx: SiteContext, cid: str) -> str:
    cached = ctx.link_cache.get(cid)
    if cached is not None:
        return cached
    comp = ctx.graph.components.get(cid)
    if comp is None:
        return ""
    module = ctx.module_of_file.get(comp.file)
    name = _escaped_name(ctx, comp)
    text = name if module is None else f"[{name}]({module.page})"
    ctx.link_cache[cid] = text
    return text


def _link_list(ctx: SiteContext, ids: Iterable[str]) -> str:
    ids = list(ids)
    shown = [_comp_link(ctx, cid) for cid in ids[:MAX_LINKS]]
    text = ", ".join(s for s in shown if s)
    if len(ids) > MAX_LINKS:
        text += f" and {len(ids) - MAX_LINKS} more"
    return text


# --- overview ------------------------------------------------------------------------------


def render_overview(ctx: SiteContext) -> str:
    out: list[str] = [f"# {escape_inline(ctx.title)}", ""]
    stamp = f"Documentation generated by static analysis (CodeWiki docgen {ctx.version})"
    if ctx.commit:
        stamp += f" at commit {ctx.commit[:12]}"
    out += [f"_{escape_inline(stamp)}_", ""]
    out += _overview_about(ctx)
    out += _overview_languages(ctx)
    out += _overview_architecture(ctx)
    out += ["## Modules", ""]
    for module in ctx.modules:
        _module_list_item(ctx, module, 0, out)
    out.append("")
    out += _overview_entry_points(ctx)
    out += _overview_notes(ctx)
    return "\n".join(out) + "\n"


def _overview_about(ctx: SiteContext) -> list[str]:
    project = ctx.project
    out = ["## What this repository is", ""]
    facts = []
    if project.name:
        facts.append(f"**Package:** {escape_inline(project.name)}")
    if project.version:
        facts.append(f"**Version:** {escape_inline(project.version)}")
    if project.sources:
        facts.append(f"**Metadata from:** {escape_inline(', '.join(project.sources))}")
    if ctx.repo_url:
        facts.append(f"**Source:** <{ctx.repo_url}>")
    if facts:
        out += [" · ".join(facts), ""]
    if project.description:
        out += [escape_block(project.description), ""]
    if project.readme_summary:
        out += ["From the README:", "", escape_block(project.readme_summary), ""]
    if not project.description and not project.readme_summary:
        out += [
            "No README or package description was found; "
            "the pages below are derived from the code.",
            "",
        ]
    comps = ctx.graph.components.values()
    kinds = Counter("class-like" if c.is_class_like else c.kind for c in comps)
    out += [
        f"The analysis found {len(ctx.files)} source files with {sum(kinds.values())} components "
        f"({kinds.get('class-like', 0)} classes and other types, "
        f"{kinds.get('function', 0)} functions, {kinds.get('method', 0)} methods), grouped into "
        f"{sum(len(m.walk()) for m in ctx.modules)} modules.",
        "",
    ]
    return out


def _overview_languages(ctx: SiteContext) -> list[str]:
    files: Counter[str] = Counter()
    lines: Counter[str] = Counter()
    for info in ctx.files.values():
        name = display_name(info.language)
        files[name] += 1
        lines[name] += info.lines
    out = ["## Languages", "", "| Language | Files | Lines |", "| --- | ---: | ---: |"]
    for name, count in files.most_common():
        out.append(f"| {escape_inline(name)} | {count} | {lines[name]} |")
    return [*out, ""]


def _overview_architecture(ctx: SiteContext) -> list[str]:
    # Top-level modules when there are few; otherwise the largest ones, the rest summarised.
    nodes = [node for top in ctx.modules for node in top.walk()]
    if len(nodes) > MAX_DIAGRAM_NODES:
        nodes = list(ctx.modules)
    aggregate_to: dict[str, str] = {}
    for top in ctx.modules:
        for node in top.walk():
            aggregate_to[node.page] = node.page if node in nodes else top.page
    sizes = {
        n.page: sum(len(ctx.files[p].components) for p in n.subtree_files() if p in ctx.files)
        for n in nodes
    }
    nodes.sort(key=lambda n: -sizes[n.page])
    hidden = nodes[MAX_DIAGRAM_NODES:]
    nodes = nodes[:MAX_DIAGRAM_NODES]
    ids = {n.page: f"m{i}" for i, n in enumerate(nodes)}
    edges: Counter[tuple[str, str]] = Counter()
    for src, targets in ctx.module_deps.items():
        if ctx.by_page[src].children:
            continue  # parents only repeat what their sub-modules already contribute
        a = ids.get(aggregate_to.get(src, ""))
        for dst, count in targets.items():
            b = ids.get(aggregate_to.get(dst, ""))
            if a and b and a != b:
                edges[(a, b)] += count
    out = [
        "## Architecture",
        "",
        "Dependencies between modules (an arrow points to what is used):",
        "",
    ]
    diagram = ["graph LR"]
    for node in nodes:
        diagram.append(f"    {ids[node.page]}[{mermaid_label(node.name)}]")
    ranked = sorted(edges.items(), key=lambda e: (-e[1], e[0]))
    for (a, b), _count in ranked[:MAX_DIAGRAM_EDGES]:
        diagram.append(f"    {a} --> {b}")
    out += [code_fence("\n".join(diagram), "mermaid"), ""]
    if hidden:
        out += [f"{len(hidden)} smaller modules are not shown in the diagram.", ""]
    if len(ranked) > MAX_DIAGRAM_EDGES:
        out += [
            f"Only the {MAX_DIAGRAM_EDGES} strongest of {len(ranked)} dependencies are drawn; "
            "each module page lists all of its own.",
            "",
        ]
    return out


def _module_list_item(ctx: SiteContext, module: Module, level: int, out: list[str]) -> None:
    count = len(module.component_ids)
    files = len(module.files)
    summary = _module_summary(ctx, module)
    line = f"{'  ' * level}- {link(module.name, module.page)} — {count} components in {files} files"
    if summary:
        line += f": {escape_inline(summary)}"
    out.append(line)
    for child in module.children:
        _module_list_item(ctx, child, level + 1, out)


def _full_name(module: Module) -> str:
    """Where a module lives, for lists that mix modules from all over the repository."""
    return module.slug_source or module.path or module.name


def _module_doc(ctx: SiteContext, module: Module) -> str:
    """The package docstring if there is one, else the first module docstring found."""
    files = module.files or module.subtree_files()
    package_init = f"{module.path}/__init__.py" if module.path else "__init__.py"
    ordered = sorted(files, key=lambda p: (p != package_init, not p.endswith("__init__.py"), p))
    for path in ordered:
        info = ctx.files.get(path)
        if info is not None and info.module_doc:
            return info.module_doc
    return ""


def _module_summary(ctx: SiteContext, module: Module) -> str:
    return _summary(_module_doc(ctx, module))


def _overview_entry_points(ctx: SiteContext) -> list[str]:
    items: list[str] = []
    for entry in ctx.project.entry_points:
        text = f"{escape_inline(entry.kind)}: {escape_inline(entry.name)}"
        if entry.target:
            text += f" → {escape_inline(entry.target)}"
        items.append(text)
    for path, info in sorted(ctx.files.items()):
        name = path.rsplit("/", 1)[-1]
        module = ctx.module_of_file.get(path)
        where = link(path, module.page) if module else escape_inline(path)
        if name == "manage.py":
            items.append(f"Django management script: {where}")
        elif name == "__main__.py":
            items.append(f"Package entry (`python -m`): {where}")
        elif info.has_main_guard:
            items.append(f"Runnable script (`__main__` guard): {where}")
        for comp in info.components:
            if comp.name == "main" and comp.kind in ("function", "method"):
                items.append(f"`main` {comp.kind}: {_location(ctx, comp)} in {where}")
    out = ["## Entry points", ""]
    if not items:
        return [*out, "No entry points were detected.", ""]
    shown = items[:MAX_LISTED]
    out += [f"- {item}" for item in shown]
    if len(items) > len(shown):
        out.append(f"- … and {len(items) - len(shown)} more")
    return [*out, ""]


def _overview_notes(ctx: SiteContext) -> list[str]:
    out: list[str] = []
    if ctx.budget_note:
        out.append(f"- **{escape_inline(ctx.budget_note)}**")
    troubled = [(p, i.note) for p, i in sorted(ctx.files.items()) if i.note]
    for path, note in troubled[:MAX_LISTED]:
        out.append(f"- {escape_inline(path)}: {escape_inline(note)}")
    if len(troubled) > MAX_LISTED:
        out.append(f"- … and {len(troubled) - MAX_LISTED} more files with problems")
    reasons = Counter(s.reason for s in ctx.skipped)
    for reason, count in reasons.most_common():
        examples = [s.path for s in ctx.skipped if s.reason == reason][:5]
        listed = ", ".join(escape_inline(e) for e in examples)
        out.append(f"- Skipped {count} files ({escape_inline(reason)}), e.g. {listed}")
    if not out:
        return []
    return ["## Notes", "", *out, ""]


# --- module pages --------------------------------------------------------------------------


def render_module(ctx: SiteContext, module: Module, parent: Module | None) -> str:
    comps = [ctx.graph.components[cid] for cid in module.component_ids]
    out: list[str] = [f"# {escape_inline(module.name)}", ""]
    crumbs = [link("Overview", "overview.md")]
    if parent is not None:
        crumbs.append(link(parent.name, parent.page))
    out += [" › ".join(crumbs), ""]
    if module.path:
        out += [f"**Path:** {escape_inline(module.path)}", ""]
    out += _module_purpose(ctx, module, comps)
    if module.children:
        out += ["## Sub-modules", ""]
        for child in module.children:
            summary = _module_summary(ctx, child)
            line = f"- {link(child.name, child.page)} — {len(child.component_ids)} components"
            out.append(line + (f": {escape_inline(summary)}" if summary else ""))
        out.append("")
    out += _module_files(ctx, module)
    out += _module_components_table(ctx, module, comps)
    out += _module_diagram(ctx, module, comps)
    out += _module_dependencies(ctx, module)
    out += _module_api(ctx, comps)
    return "\n".join(out) + "\n"


def _module_purpose(ctx: SiteContext, module: Module, comps: list[Component]) -> list[str]:
    out = ["## Purpose", ""]
    doc = _module_doc(ctx, module)
    if doc:
        out += [escape_block(doc), ""]
    top = [c for c in comps if c.parent is None]
    files = module.subtree_files() if module.children else module.files
    languages = sorted({display_name(ctx.files[p].language) for p in files if p in ctx.files})
    if module.children:
        subtree = [
            ctx.graph.components[cid] for node in module.walk() for cid in node.component_ids
        ]
        kinds = Counter(
            "types" if c.is_class_like else "functions" for c in subtree if c.parent is None
        )
        where = f"across {len(module.children)} sub-modules"
    else:
        kinds = Counter("types" if c.is_class_like else "functions" for c in top)
        where = ""
    sentence = (
        f"This module holds {len(files)} files"
        + (f" ({', '.join(languages)})" if languages else "")
        + f" defining {kinds.get('types', 0)} classes or types and {kinds.get('functions', 0)} "
        + "top-level functions"
        + (f" {where}" if where else "")
        + "."
    )
    out.append(escape_inline(sentence))
    key = sorted(top, key=lambda c: -len(ctx.graph.used_by.get(c.id, ())))[:5]
    if key:
        out.append(
            "The most used components are "
            + ", ".join(escape_inline(c.qualname) for c in key)
            + "."
        )
    return [*out, ""]


def _module_files(ctx: SiteContext, module: Module) -> list[str]:
    if not module.files:
        return []
    out = [
        "## Files",
        "",
        "| File | Language | Lines | Components | Notes |",
        "| --- | --- | ---: | ---: | --- |",
    ]
    for path in module.files:
        info = ctx.files.get(path)
        if info is None:
            continue
        note = info.note or _summary(info.module_doc)
        out.append(
            f"| {escape_inline(path)} | {escape_inline(display_name(info.language))} "
            f"| {info.lines} | {len(info.components)} | {escape_inline(note)} |"
        )
    return [*out, ""]


def _module_components_table(ctx: SiteContext, module: Module, comps: list[Component]) -> list[str]:
    if not comps:
        text = (
            "Components are documented on the sub-module pages listed above."
            if module.children
            else "This module defines no classes or functions."
        )
        return ["## Components", "", text, ""]
    out = [
        "## Components",
        "",
        "| Component | Kind | Location | Summary |",
        "| --- | --- | --- | --- |",
    ]
    for comp in comps:
        out.append(
            f"| {_escaped_name(ctx, comp)} | {comp.kind} | "
            f"{_location(ctx, comp)} | {escape_inline(_summary(comp.doc))} |"
        )
    return [*out, ""]


def _owner(ctx: SiteContext, comp: Component) -> Component:
    """The top-level component a method belongs to (methods are drawn as their class)."""
    owner = comp
    components = ctx.graph.components
    while owner.parent is not None and owner.parent in components:
        owner = components[owner.parent]
    return owner


def _module_diagram(ctx: SiteContext, module: Module, comps: list[Component]) -> list[str]:
    components = ctx.graph.components
    local = [c for c in comps if c.parent is None]
    local.sort(key=lambda c: (not c.is_class_like, -len(ctx.graph.used_by.get(c.id, ()))))
    shown = local[: MAX_DIAGRAM_NODES - 10]
    ids = {c.id: f"c{i}" for i, c in enumerate(shown)}
    own_ids = {c.id for c in comps}
    edges: set[tuple[str, str, str]] = set()
    external: Counter[str] = Counter()
    external_pairs: set[tuple[str, str]] = set()
    for comp in comps:
        src = ids.get(_owner(ctx, comp).id)
        if src is None:
            continue
        for ref in comp.refs:
            target = components.get(ref)
            if target is None:
                continue
            if ref in own_ids:
                dst = ids.get(_owner(ctx, target).id)
                if dst and dst != src:
                    style = "-.->|inherits|" if ref in comp.base_ids else "-->"
                    edges.add((src, style, dst))
                continue
            target_module = ctx.module_of_file.get(target.file)
            if target_module is not None and target_module is not module:
                external[target_module.page] += 1
                external_pairs.add((src, target_module.page))
    out = ["## Diagram", ""]
    if module.children:
        out += _children_diagram(ctx, module)
    if not shown:
        if module.children:
            return out
        return [*out, "Nothing to draw: this module has no top-level components.", ""]
    diagram = ["graph LR"]
    for comp in shown:
        diagram.append(f"    {ids[comp.id]}[{mermaid_label(f'{comp.kind} {comp.name}')}]")
    lines = [f"    {src} {style} {dst}" for src, style, dst in sorted(edges)]
    top_external = external.most_common(MAX_DIAGRAM_NODES - len(shown))
    ext_ids = {page: f"x{i}" for i, (page, _count) in enumerate(top_external)}
    for page, ext in ext_ids.items():
        diagram.append(f"    {ext}[{mermaid_label('module ' + ctx.by_page[page].name)}]")
    lines += [
        f"    {src} --> {ext_ids[page]}" for src, page in sorted(external_pairs) if page in ext_ids
    ]
    diagram += lines[:MAX_DIAGRAM_EDGES]
    out += [code_fence("\n".join(diagram), "mermaid"), ""]
    if len(local) > len(shown):
        out += [f"{len(local) - len(shown)} more top-level components are not drawn.", ""]
    if len(lines) > MAX_DIAGRAM_EDGES:
        out += [f"{len(lines) - MAX_DIAGRAM_EDGES} more links are not drawn.", ""]
    return out


def _children_diagram(ctx: SiteContext, module: Module) -> list[str]:
    children = module.children[:MAX_DIAGRAM_NODES]
    ids = {child.page: f"s{i}" for i, child in enumerate(children)}
    lines = ["graph LR"]
    for child in children:
        lines.append(f"    {ids[child.page]}[{mermaid_label(child.name)}]")
    edges = ctx.sibling_edges.get(module.page, Counter())
    ranked = [e for e in sorted(edges.items(), key=lambda e: (-e[1], e[0])) if e[0][0] in ids]
    for (a, b), _count in [e for e in ranked if e[0][1] in ids][:MAX_DIAGRAM_EDGES]:
        lines.append(f"    {ids[a]} --> {ids[b]}")
    out = [
        "Sub-modules and the dependencies between them:",
        "",
        code_fence("\n".join(lines), "mermaid"),
        "",
    ]
    if len(module.children) > len(children):
        out += [f"{len(module.children) - len(children)} more sub-modules are not drawn.", ""]
    return out


def _module_dependencies(ctx: SiteContext, module: Module) -> list[str]:
    out = ["## Dependencies", ""]
    for title, table in (("Depends on", ctx.module_deps), ("Used by", ctx.module_users)):
        counts = table.get(module.page, Counter())
        out += [f"### {title}", ""]
        if not counts:
            out += [
                "Nothing in this repository." if title == "Depends on" else "No other module.",
                "",
            ]
            continue
        for page, count in counts.most_common(MAX_LISTED):
            other = ctx.by_page[page]
            out.append(f"- {link(_full_name(other), other.page)} ({count} file links)")
        if len(counts) > MAX_LISTED:
            out.append(f"- … and {len(counts) - MAX_LISTED} more")
        out.append("")
    return out


def _module_api(ctx: SiteContext, comps: list[Component]) -> list[str]:
    public_ids: set[str] = set()
    out = ["## API", ""]
    for comp in comps:
        if not comp.is_public or (comp.parent is not None and comp.parent not in public_ids):
            continue
        public_ids.add(comp.id)
        level = "###" if comp.parent is None else "####"
        out.append(f"{level} {_escaped_name(ctx, comp)}")
        out.append("")
        language = ctx.files[comp.file].language if comp.file in ctx.files else ""
        # Kinds are our own fixed vocabulary, never repository text.
        out.append(f"_{comp.kind}_ · {_location(ctx, comp)}–{comp.end_line}")
        out.append("")
        if comp.signature:
            out += [code_fence(comp.signature, language), ""]
        if comp.doc:
            out += [escape_block(comp.doc), ""]
        if comp.base_ids:
            out += [f"**Inherits from:** {_link_list(ctx, comp.base_ids)}", ""]
        uses = [r for r in comp.refs if r not in comp.base_ids]
        if uses:
            out += [f"**Uses:** {_link_list(ctx, uses)}", ""]
        users = ctx.graph.used_by.get(comp.id)
        if users:
            out += [f"**Used by:** {_link_list(ctx, users)}", ""]
    if len(out) == 2:
        out += ["No public components.", ""]
    return out
