"""One page per module: purpose, files, components, diagram, dependencies and API."""

from __future__ import annotations

from collections import Counter

from .languages import display_name
from .markdown import code_fence, escape_block, escape_inline, link, mermaid_label
from .model import Component
from .modules import Module
from .site import (
    MAX_DIAGRAM_EDGES,
    MAX_DIAGRAM_NODES,
    MAX_LISTED,
    SiteContext,
    escaped_name,
    full_name,
    link_list,
    location,
    module_doc,
    module_summary,
    summary,
)


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
            summary = module_summary(ctx, child)
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
    doc = module_doc(ctx, module)
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
    used = [c for c in top if ctx.graph.used_by.get(c.id)]
    key = sorted(used, key=lambda c: -len(ctx.graph.used_by[c.id]))[:5]
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
        note = info.note or summary(info.module_doc)
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
            f"| {escaped_name(ctx, comp)} | {comp.kind} | "
            f"{location(ctx, comp)} | {escape_inline(summary(comp.doc))} |"
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
            out.append(f"- {link(full_name(other), other.page)} ({count} file links)")
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
        out.append(f"{level} {escaped_name(ctx, comp)}")
        out.append("")
        language = ctx.files[comp.file].language if comp.file in ctx.files else ""
        # Kinds are our own fixed vocabulary, never repository text.
        out.append(f"_{comp.kind}_ · {location(ctx, comp)}–{comp.end_line}")
        out.append("")
        if comp.signature:
            out += [code_fence(comp.signature, language), ""]
        if comp.doc:
            out += [escape_block(comp.doc), ""]
        if comp.base_ids:
            out += [f"**Inherits from:** {link_list(ctx, comp.base_ids)}", ""]
        uses = [r for r in comp.refs if r not in comp.base_ids]
        if uses:
            out += [f"**Uses:** {link_list(ctx, uses)}", ""]
        users = ctx.graph.used_by.get(comp.id)
        if users:
            out += [f"**Used by:** {link_list(ctx, users)}", ""]
    if len(out) == 2:
        out += ["No public components.", ""]
    return out
