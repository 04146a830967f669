"""One page per module: purpose, files, components, diagram, dependencies and API."""

from __future__ import annotations

import posixpath
from collections import Counter

from .examples import render_examples
from .languages import display_name
from .markdown import (
    code_fence,
    code_span,
    escape_inline,
    inline_doc,
    link,
    mermaid_label,
    render_doc,
)
from .model import Component, Member, Reexport
from .modules import Module
from .site import (
    MAX_DIAGRAM_EDGES,
    MAX_DIAGRAM_NODES,
    MAX_LISTED,
    SiteContext,
    comp_link,
    escaped_name,
    full_name,
    heading_slug,
    link_list,
    location,
    module_doc,
    module_summary,
    plural,
    ranked,
    subtree_stats,
    summary,
    users_of,
)
from .xref import resolver

MAX_PRIVATE_LISTED = 40


def render_module(ctx: SiteContext, module: Module, parent: Module | None) -> str:
    comps = [ctx.graph.components[cid] for cid in module.component_ids]
    out: list[str] = [f"# {escape_inline(full_name(module))}", ""]
    ancestors: list[Module] = []
    page = parent.page if parent is not None else None
    while page is not None and len(ancestors) < 20:
        ancestors.append(ctx.by_page[page])
        page = ctx.parent_of.get(page)
    crumbs = [link("Overview", "overview.md")]
    crumbs += [link(full_name(m), m.page) for m in reversed(ancestors)]
    out += [" › ".join(crumbs), ""]
    if module.path and not _is_group(module):  # a group's purpose lists its files
        out += [f"**Path:** {code_span(module.path)}", ""]
    out += ctx.prose.get(module.page, [])
    out += _module_purpose(ctx, module, comps)
    if module.children:
        out += ["## Sub-modules", ""]
        for child in module.children:
            child_summary = module_summary(ctx, child)
            count, _files = subtree_stats(ctx, child)
            line = f"- {link(child.name, child.page)} — {plural(count, 'component')}"
            out.append(line + (f": {inline_doc(child_summary)}" if child_summary else ""))
        out.append("")
    public, private = _split_cached(ctx, module, comps)
    out += _module_files(ctx, module)
    out += _module_components_table(ctx, module, comps, public, private)
    out += _module_variables(ctx, module)
    out += _module_reexports(ctx, module)
    out += _module_diagram(ctx, module, comps)
    out += _module_dependencies(ctx, module)
    out += _module_api(ctx, comps, public, _folder(module))
    return "\n".join(out) + "\n"


def _folder(module: Module) -> str:
    """The folder a module's file locations are shown relative to."""
    if module.path in module.files:  # a one-file module: its path is the file's
        return posixpath.dirname(module.path)
    return module.path


def _is_group(module: Module) -> bool:
    """A module made of some of a folder's small files (not a folder, not one file)."""
    return module.is_group


def _is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def _is_private(ctx: SiteContext, comp: Component) -> bool:
    """A leading underscore (not a dunder) on the component or anything it is nested in;
    in Go, a lower-case name (not exported from its package); a doc comment that says
    `@private` or `@internal`."""
    if comp.name.startswith("_") and not _is_dunder(comp.name):
        return True
    if comp.private or (comp.name[:1].islower() and comp.file.endswith(".go")):
        return True
    if comp.parent is None:
        return False
    cached = ctx.private_cache.get(comp.parent)
    if cached is None:
        parent = ctx.graph.components.get(comp.parent)
        cached = parent is not None and _is_private(ctx, parent)
        ctx.private_cache[comp.parent] = cached
    return cached


def _split_components(
    ctx: SiteContext, comps: list[Component]
) -> tuple[list[Component], list[Component]]:
    """(public components worth a row and a section, private helpers).

    Undocumented dunder methods (`__init__`, `__str__`, ...) are neither: they are noise.
    """
    public: list[Component] = []
    private: list[Component] = []
    seen: set[tuple[str, str]] = set()
    for comp in comps:
        if _is_dunder(comp.name) and not comp.doc:
            continue
        key = (comp.file, comp.qualname)
        if key in seen:
            continue  # a property's setter, an overload: the first definition stands for all
        seen.add(key)
        if _is_private(ctx, comp):
            private.append(comp)
        else:
            public.append(comp)
    return public, private


def _split_cached(
    ctx: SiteContext, module: Module, comps: list[Component]
) -> tuple[list[Component], list[Component]]:
    cached = ctx.split_cache.pop(module.page, None)
    return cached if cached is not None else _split_components(ctx, comps)


# Headings every module page may carry before its API section; a component whose heading
# would share one of these ids gets no direct link (the viewer would number it).
_PAGE_HEADINGS = frozenset(
    heading_slug(h)
    for h in (
        "Purpose", "Sub-modules", "Files", "Files of its own", "Components", "Diagram",
        "Dependencies", "Depends on", "Used by", "API", "Constants and variables",
        "Re-exports",
    )
)  # fmt: skip


def _api_components(public: list[Component]) -> list[Component]:
    """The components with a section in the API, in page order."""
    ids = {c.id for c in public}
    return [c for c in public if c.parent is None or c.parent in ids]


def compute_anchors(ctx: SiteContext) -> None:
    """Heading ids of every API section, computed before any page links to one."""
    for top in ctx.modules:
        for module in top.walk():
            comps = [ctx.graph.components[cid] for cid in module.component_ids]
            public, private = _split_components(ctx, comps)
            ctx.split_cache[module.page] = (public, private)
            # The page title comes first: a component named like it (the `engine` package's
            # `Engine`) gets the title's id plus "-1", as the viewer and GitHub number it.
            seen: Counter[str] = Counter({heading_slug(full_name(module)): 1})
            for comp in _api_components(public):
                slug = heading_slug(comp.qualname)
                count = seen[slug]
                seen[slug] += 1
                if slug not in _PAGE_HEADINGS:
                    ctx.anchors[comp.id] = slug if count == 0 else f"{slug}-{count}"


def _module_purpose(ctx: SiteContext, module: Module, comps: list[Component]) -> list[str]:
    out = ["## Purpose", ""]
    if _is_group(module):
        # Several small files of one folder: each says what it is for itself.
        how = "share a name prefix" if module.name.endswith("_*") else "use one another"
        folder = posixpath.dirname(module.files[0])
        where = code_span(folder) if folder else "the top folder"
        out += [f"Small files of {where} shown together because they {how}:", ""]
        for path in module.files:
            info = ctx.files.get(path)
            if info is None:
                continue
            first = summary(info.module_doc)
            facts = f"{plural(info.lines, 'line')}, {plural(len(info.components), 'component')}"
            item = f"- {code_span(posixpath.basename(path))} ({facts})"
            out.append(f"{item}: {inline_doc(first)}" if first else item)
        out.append("")
    else:
        doc = module_doc(ctx, module)
        if doc:
            out += [render_doc(doc, resolver(ctx, module.doc_file or "")), ""]
    top = [c for c in comps if c.parent is None]
    languages = sorted(
        {display_name(ctx.files[p].language) for p in module.subtree_files() if p in ctx.files}
    )
    kinds = Counter("types" if c.is_class_like else "functions" for c in top)
    facts = []
    if module.files:
        what = []
        if kinds.get("types"):
            what.append(plural(kinds["types"], "class or type", "classes or types"))
        if kinds.get("functions"):
            what.append(plural(kinds["functions"], "top-level function"))
        sentence = plural(len(module.files), "file") + (
            f" ({', '.join(languages)})" if languages and not module.children else ""
        )
        only = ctx.files.get(module.files[0]) if len(module.files) == 1 else None
        if only is not None and not module.children:
            sentence = f"one {display_name(only.language)} file of {plural(only.lines, 'line')}"
            if only.note:
                sentence += f" ({only.note})"
        if module.children:
            own = "Its own file defines" if len(module.files) == 1 else f"Its own {sentence} define"
            sentence = f"{own} {' and '.join(what)}." if what else ""
        else:
            sentence = f"This module holds {sentence}" + (
                f" defining {' and '.join(what)}." if what else " with no classes or functions."
            )
        if sentence:
            facts.append(sentence)
    if module.children:
        count, files = subtree_stats(ctx, module)
        facts.insert(
            0,
            f"With its {plural(len(module.children), 'sub-module')} this module covers "
            f"{plural(files, 'file')}"
            + (f" ({', '.join(languages)})" if languages else "")
            + f" and {plural(count, 'component')}.",
        )
    out += [escape_inline(" ".join(facts))]
    used = [c for c in top if users_of(ctx, c) and not _is_private(ctx, c)]
    key = sorted(used, key=lambda c: -len(users_of(ctx, c)))[:5]
    if key:
        lead = "The most used components are " if len(key) > 1 else "The most used component is "
        out.append(lead + ", ".join(code_span(c.qualname) for c in key) + ".")
    return [*out, ""]


def _module_files(ctx: SiteContext, module: Module) -> list[str]:
    """The module's files that say something; empty `__init__.py` files and the like are
    counted, not listed row by row."""
    if not module.files or (len(module.files) == 1 and not module.children) or _is_group(module):
        return []  # one file, or a group whose purpose lists its files: said already
    rows: list[str] = []
    quiet: list[str] = []
    for path in module.files:
        info = ctx.files.get(path)
        if info is None:
            continue
        if not info.components and not info.note and not info.module_doc:
            quiet.append(path)
            continue
        note = (
            escape_inline(info.note)
            if info.note
            else inline_doc(summary(info.module_doc), table=True)
        )
        rows.append(
            f"| {code_span(path, table=True)} | {escape_inline(display_name(info.language))} "
            f"| {info.lines:,} | {len(info.components):,} | {note} |"
        )
    if not rows and (module.children or len(quiet) <= 1):
        return []
    out = ["## Files" if not module.children else "## Files of its own", ""]
    if rows:
        out += [
            "| File | Language | Lines | Components | Notes |",
            "| --- | --- | ---: | ---: | --- |",
            *rows,
            "",
        ]
    if quiet:
        shown = ", ".join(code_span(p) for p in quiet[:5])
        more = f" and {len(quiet) - 5} more" if len(quiet) > 5 else ""
        lead = "Also " if rows else ""
        verb = "defines" if len(quiet) == 1 else "define"
        out += [
            f"{lead}{plural(len(quiet), 'file')} {verb} no classes or functions and "
            f"{'has' if len(quiet) == 1 else 'have'} no file-level documentation: {shown}{more}.",
            "",
        ]
    return out


def _module_components_table(
    ctx: SiteContext,
    module: Module,
    comps: list[Component],
    public: list[Component],
    private: list[Component],
) -> list[str]:
    """An index of the public top-level components; methods are listed under their class."""
    if not comps:
        if module.children:
            return []  # the sub-module list above says where the components are
        return ["## Components", "", "This module defines no classes or functions.", ""]
    base = _folder(module)
    methods: Counter[str] = Counter(c.parent for c in public if c.parent is not None)
    top_public = [c for c in public if c.parent is None]
    out = ["## Components", ""]
    if top_public:
        out += [
            "| Component | Kind | Location | Summary |",
            "| --- | --- | --- | --- |",
        ]
        for comp in top_public:
            kind = comp.kind
            counts = []
            if methods.get(comp.id):
                counts.append(plural(methods[comp.id], "method"))
            if comp.members:
                counts.append(_member_count(comp.members))
            if counts:
                kind += f" ({', '.join(counts)})"
            out.append(
                f"| {escaped_name(ctx, comp)} | {kind} | "
                f"{location(ctx, comp, base)} | {inline_doc(summary(comp.doc), table=True)} |"
            )
        out.append("")
    else:
        out += ["This module has no public top-level components.", ""]
    top_private = [c for c in private if c.parent is None]
    if top_private:
        names = ", ".join(code_span(c.qualname) for c in top_private[:MAX_PRIVATE_LISTED])
        if len(top_private) > MAX_PRIVATE_LISTED:
            names += f" and {len(top_private) - MAX_PRIVATE_LISTED} more"
        out += [f"**Private helpers ({len(top_private)}):** {names}", ""]
    nested_private = len(private) - len(top_private)
    if nested_private:
        out += [
            f"Not listed: {plural(nested_private, 'private method')} "
            "(a leading underscore, a lower-case Go name, a `@private` or `@internal` doc tag, "
            "or inside a private class).",
            "",
        ]
    return out


def _owner(ctx: SiteContext, comp: Component) -> Component:
    """The top-level component a method belongs to (methods are drawn as their class)."""
    owner = comp
    components = ctx.graph.components
    while owner.parent is not None and owner.parent in components:
        owner = components[owner.parent]
    return owner


def _module_diagram(ctx: SiteContext, module: Module, comps: list[Component]) -> list[str]:
    """Links between the module's top-level components and out to other modules.

    Only components that take part in a link are drawn: a column of unconnected boxes tells
    the reader nothing the component table does not.
    """
    components = ctx.graph.components
    own_ids = {c.id for c in comps}
    edges: set[tuple[str, str, str]] = set()  # (source id, style, target id)
    external: Counter[str] = Counter()
    external_pairs: set[tuple[str, str]] = set()
    for comp in comps:
        if not comp.refs:
            continue
        src = comp.id if comp.parent is None else _owner(ctx, comp).id
        for ref in comp.refs:
            target = components.get(ref)
            if target is None:
                continue
            if ref in own_ids:
                dst = ref if target.parent is None else _owner(ctx, target).id
                if dst != src:
                    style = "-.->|inherits|" if ref in comp.base_ids else "-->"
                    edges.add((src, style, dst))
                continue
            target_module = ctx.module_of_file.get(target.file)
            if target_module is not None and target_module is not module:
                external[target_module.page] += 1
                external_pairs.add((src, target_module.page))
    degree: Counter[str] = Counter()
    for src, _style, dst in edges:
        degree[src] += 1
        degree[dst] += 1
    top_external = [page for page, _n in ranked(external, 10)]
    for src, page in external_pairs:
        if page in top_external:
            degree[src] += 1
    by_degree = sorted(
        (components[cid] for cid in degree),
        key=lambda c: (-degree[c.id], not c.is_class_like, c.qualname, c.id),
    )
    shown = by_degree[: MAX_DIAGRAM_NODES - len(top_external)]
    ids = {c.id: f"c{i}" for i, c in enumerate(shown)}
    out: list[str] = []
    if module.children:
        out += _children_diagram(ctx, module)
    if shown:
        diagram = ["graph LR"]
        names = Counter(c.name for c in shown)
        for comp in shown:
            label = f"{comp.kind} {comp.name}"
            if names[comp.name] > 1:  # 23 classes called Command: say which file each is in
                label += f" ({comp.file.rsplit('/', 1)[-1]})"
            diagram.append(f"    {ids[comp.id]}[{mermaid_label(label)}]")
        lines = [
            f"    {ids[src]} {style} {ids[dst]}"
            for src, style, dst in sorted(edges)
            if src in ids and dst in ids
        ]
        ext_ids = {page: f"x{i}" for i, page in enumerate(top_external)}
        used_ext = {page for src, page in external_pairs if src in ids and page in ext_ids}
        for page in top_external:
            if page in used_ext:
                label = mermaid_label("module " + full_name(ctx.by_page[page]))
                diagram.append(f"    {ext_ids[page]}[{label}]")
        lines += [
            f"    {ids[src]} --> {ext_ids[page]}"
            for src, page in sorted(external_pairs)
            if src in ids and page in used_ext
        ]
        diagram += lines[:MAX_DIAGRAM_EDGES]
        out += [
            "How this module's components use each other and other modules "
            "(an arrow points to what is used):",
            "",
            code_fence("\n".join(diagram), "mermaid"),
            "",
        ]
        if len(by_degree) > len(shown):
            out += [f"{len(by_degree) - len(shown)} more linked components are not drawn.", ""]
        if len(lines) > MAX_DIAGRAM_EDGES:
            out += [f"{len(lines) - MAX_DIAGRAM_EDGES} more links are not drawn.", ""]
    if not out:
        return []
    return ["## Diagram", "", *out]


def _children_diagram(ctx: SiteContext, module: Module) -> list[str]:
    edges = ctx.sibling_edges.get(module.page, Counter())
    ranked = sorted(edges.items(), key=lambda e: (-e[1], e[0]))
    linked: list[str] = []
    for (a, b), _count in ranked:
        for page in (a, b):
            if page not in linked:
                linked.append(page)
    order = {child.page: i for i, child in enumerate(module.children)}
    children = sorted((p for p in linked if p in order), key=order.__getitem__)[:MAX_DIAGRAM_NODES]
    if not children:
        return []
    ids = {page: f"s{i}" for i, page in enumerate(children)}
    lines = ["graph LR"]
    for page in children:
        lines.append(f"    {ids[page]}[{mermaid_label(ctx.by_page[page].name)}]")
    drawn = [e for e in ranked if e[0][0] in ids and e[0][1] in ids][:MAX_DIAGRAM_EDGES]
    for (a, b), _count in drawn:
        lines.append(f"    {ids[a]} --> {ids[b]}")
    out = [
        "Sub-modules and the dependencies between them (an arrow points to what is used):",
        "",
        code_fence("\n".join(lines), "mermaid"),
        "",
    ]
    alone = [c for c in module.children if c.page not in ids]
    if alone:
        names = ", ".join(link(c.name, c.page) for c in alone[:MAX_LISTED])
        more = f" and {len(alone) - MAX_LISTED} more" if len(alone) > MAX_LISTED else ""
        out += [f"Not drawn (no links to their siblings): {names}{more}.", ""]
    return out


def _module_dependencies(ctx: SiteContext, module: Module) -> list[str]:
    out = ["## Dependencies", ""]
    empty = []
    for title, table in (("Depends on", ctx.module_deps), ("Used by", ctx.module_users)):
        counts = table.get(module.page, Counter())
        if not counts:
            empty.append(title)
            continue
        out += [f"### {title}", ""]
        for page, count in ranked(counts, MAX_LISTED):
            other = ctx.by_page[page]
            out.append(f"- {link(full_name(other), other.page)} ({plural(count, 'file link')})")
        if len(counts) > MAX_LISTED:
            out.append(f"- … and {len(counts) - MAX_LISTED} more")
        out.append("")
    if len(empty) == 2:
        out += ["No other module of this repository is used by this one, or uses it.", ""]
    elif empty == ["Depends on"]:
        out += ["It uses no other module of this repository.", ""]
    elif empty == ["Used by"]:
        out += ["No other module of this repository uses it.", ""]
    return out


def _module_api(
    ctx: SiteContext, comps: list[Component], public: list[Component], base: str
) -> list[str]:
    if not public:
        return []
    public_ids = {c.id for c in public}
    # An undocumented constructor adds its parameters to its class's section instead.
    inits = {
        c.parent: c
        for c in comps
        if c.name == "__init__" and c.parent in public_ids and c.id not in public_ids
    }
    out = ["## API", ""]
    for comp in _api_components(public):
        level = "###" if comp.parent is None else "####"
        out.append(f"{level} {escaped_name(ctx, comp)}")
        out.append("")
        language = ctx.files[comp.file].language if comp.file in ctx.files else ""
        # Kinds are our own fixed vocabulary, never repository text.
        out.append(f"_{comp.kind}_ · {location(ctx, comp, base)}–{comp.end_line}")
        out.append("")
        signature = comp.signature
        init = inits.get(comp.id)
        if init is not None and init.signature:
            indented = "\n".join("    " + line for line in init.signature.splitlines())
            signature = f"{signature}\n{indented}" if signature else init.signature
        if signature:
            out += [code_fence(signature, language), ""]
        if comp.overloads:
            out += _overloads(comp, language)
        if comp.doc:
            # An RST literal block (`::`) in a Python docstring is Python, as Sphinx shows it.
            literal = "python" if language == "python" else ""
            out += [render_doc(comp.doc, resolver(ctx, comp.file), literal), ""]
        if comp.members:
            out += _members_table(ctx, comp)
        exported = ctx.graph.reexported_by.get(comp.id)
        if exported:
            out += [f"**Re-exported as:** {_reexport_places(ctx, exported)}", ""]
        out += render_examples(ctx.examples.get(comp.id, []), ctx.repo_url, ctx.commit)
        if comp.base_ids:
            out += [f"**Inherits from:** {link_list(ctx, comp.base_ids)}", ""]
        uses = [r for r in comp.refs if r not in comp.base_ids]
        if uses:
            out += [f"**Uses:** {link_list(ctx, uses)}", ""]
        users = users_of(ctx, comp)
        if users:
            # Callers elsewhere say more about a component than its own siblings do.
            if len(users) > 1:
                components = ctx.graph.components
                users = sorted(users, key=lambda u: components[u].file == comp.file)
            out += [f"**Used by:** {link_list(ctx, users)}", ""]
    return out


# Member kinds (our own vocabulary) and how a table of only that kind is titled.
_MEMBER_TITLES = {
    "field": ("field", "Fields"),
    "attribute": ("attribute", "Attributes"),
    "property": ("property", "Properties"),
    "variant": ("variant", "Variants"),
    "embedded": ("embedded type", "Embedded types"),
    "event": ("event", "Events"),
    "constant": ("constant", "Constants"),
    "element": ("element", "Annotation elements"),
    "associated type": ("associated type", "Associated types"),
    "signature": ("signature", "Signatures"),
    "constraint": ("type constraint", "Type constraints"),
}
MAX_MEMBERS_LISTED = 200


def _member_count(members: list[Member]) -> str:
    kinds = {m.kind for m in members}
    if len(kinds) == 1:
        kind = next(iter(kinds))
        noun, title = _MEMBER_TITLES.get(kind, ("member", "Members"))
        return plural(len(members), noun, title.lower() if kind in _MEMBER_TITLES else "")
    return plural(len(members), "member")


def _members_table(ctx: SiteContext, comp: Component) -> list[str]:
    """Fields, properties, variants: what a reader sets, reads or matches on."""
    members = comp.members
    # A type that is one of this repository's components links to its section.
    components = ctx.graph.components
    known = {components[r].name: r for r in comp.refs if r in components}
    kinds = list(dict.fromkeys(m.kind for m in members))
    mixed = len(kinds) > 1
    title = "Members" if mixed else _MEMBER_TITLES.get(kinds[0], ("", "Members"))[1]
    type_header = "Value" if kinds == ["variant"] else "Type"
    head = ["Name", *(["Kind"] if mixed else []), type_header, "Description"]
    out = [f"**{title}:**", "", "| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for member in members[:MAX_MEMBERS_LISTED]:
        cells = [code_span(member.name, table=True)]
        if mixed:
            cells.append(_MEMBER_TITLES.get(member.kind, (member.kind, ""))[0])
        cells.append(_member_type(ctx, member.type, known))
        cells.append(inline_doc(summary(member.doc), table=True) if member.doc else "")
        out.append("| " + " | ".join(cells) + " |")
    if len(members) > MAX_MEMBERS_LISTED:
        out.append(f"| … and {len(members) - MAX_MEMBERS_LISTED} more |" + " |" * (len(head) - 1))
    return [*out, ""]


def _member_type(ctx: SiteContext, text: str, known: dict[str, str]) -> str:
    if not text:
        return ""
    shown = code_span(text, table=True)
    target = known.get(text.lstrip("*&?[]").removesuffix("?"))
    if target is None:
        return shown
    module = ctx.module_of_file.get(ctx.graph.components[target].file)
    anchor = ctx.anchors.get(target)
    if module is None:
        return shown
    return f"[{shown}]({module.page}#{anchor})" if anchor else f"[{shown}]({module.page})"


def _overloads(comp: Component, language: str) -> list[str]:
    """Every other declaration of the callable: overloads, `@overload` stubs, setters."""
    out: list[str] = []
    overloads = [m for m in comp.overloads if m.kind == "overload"]
    if overloads:
        # Python: `@overload` stubs over a real implementation (in a `.pyi` stub file the
        # first stub stands for the rest and reads like any other overload).
        stubs = language == "python" and not comp.signature.startswith("@")
        lead = (
            f"**Overloads ({len(overloads)}),** typed signatures of the implementation above:"
            if stubs
            else f"**Also declared as ({len(overloads)} more overloads):**"
            if len(overloads) > 1
            else "**Also declared as (one more overload):**"
        )
        out += [lead, ""]
        own = summary(comp.doc)
        for member in overloads:
            item = f"- {code_span(member.type)}"
            first = summary(member.doc)
            if first and first != own and not stubs:
                item += f" — {inline_doc(first)}"
            out.append(item)
        out.append("")
    for member in comp.overloads:
        if member.kind in ("setter", "deleter"):
            out += [f"**{member.kind.capitalize()}:** {code_span(member.type)}", ""]
    return out


def _reexport_places(ctx: SiteContext, places: list[tuple[str, str]]) -> str:
    """Where a component can also be imported from: the public path users usually write."""
    items = []
    for path, name in places[:MAX_LISTED]:
        module = ctx.module_of_file.get(path)
        where = link(path, module.page) if module is not None else code_span(path)
        items.append(f"{code_span(name)} in {where}")
    more = f" and {len(places) - MAX_LISTED} more" if len(places) > MAX_LISTED else ""
    return ", ".join(items) + more


def _module_variables(ctx: SiteContext, module: Module) -> list[str]:
    """Public module-level constants and variables, file by file."""
    rows: list[str] = []
    total = 0
    for path in module.files:
        info = ctx.files.get(path)
        if info is None or not info.variables:
            continue
        where = posixpath.basename(path)
        for member in info.variables:
            total += 1
            if len(rows) >= MAX_MEMBERS_LISTED:
                continue
            value = code_span(member.type, table=True) if member.type else ""
            doc = inline_doc(summary(member.doc), table=True) if member.doc else ""
            rows.append(
                f"| {code_span(member.name, table=True)} | {value} "
                f"| {code_span(f'{where}:{member.line}', table=True)} | {doc} |"
            )
    if not rows:
        return []
    out = [
        "## Constants and variables",
        "",
        "| Name | Type and value | Where | Description |",
        "| --- | --- | --- | --- |",
        *rows,
    ]
    if total > len(rows):
        out.append(f"| … and {total - len(rows)} more | | | |")
    return [*out, ""]


def _module_reexports(ctx: SiteContext, module: Module) -> list[str]:
    """Names the module's files make public that are defined elsewhere."""
    rows: list[str] = []
    entries: list[tuple[str, Reexport]] = []
    for path in module.files:
        info = ctx.files.get(path)
        if info is not None:
            entries.extend((path, entry) for entry in info.reexports)
    if not entries:
        return []
    several = len({e.source for _p, e in entries}) > 1
    for path, entry in entries[:MAX_MEMBERS_LISTED]:
        name = code_span(entry.name, table=True) if entry.name != "*" else "everything (`*`)"
        if entry.resolved and entry.resolved in ctx.graph.components:
            name = comp_link(ctx, entry.resolved)
        source = code_span(entry.source, table=True)
        source_module = ctx.module_of_file.get(entry.source_file) if entry.source_file else None
        if source_module is not None and source_module is not module:
            source = f"[{source}]({source_module.page})"
        if entry.original:
            source += f" (as {code_span(entry.original, table=True)})"
        where = code_span(f"{posixpath.basename(path)}:{entry.line}", table=True)
        rows.append(f"| {name} | {source} | {where} |")
    out = [
        "## Re-exports",
        "",
        "Names this module makes available although they are defined elsewhere"
        + (" (another package, or another file of this repository):" if several else ":"),
        "",
        "| Name | Defined in | Where |",
        "| --- | --- | --- |",
        *rows,
    ]
    if len(entries) > MAX_MEMBERS_LISTED:
        out.append(f"| … and {len(entries) - MAX_MEMBERS_LISTED} more | | |")
    return [*out, ""]
