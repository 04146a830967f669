"""Cross-references in doc text: `{@link Foo#bar}`, `:class:`~pkg.Foo``, `[Foo]`, `cref`.

The generator knows every component's page and anchor, so a name written in a doc comment
resolves to the section that documents it. A name resolves only when the documented
component is plausibly the one meant: a dotted target (`os.path.join`) must name the
component's class or a folder or file of its path, so a stray `join` elsewhere in the
repository never steals the link. Unresolved names stay code spans (the renderer's default).
"""

from __future__ import annotations

import posixpath
import re

from .markdown import Resolver
from .site import SiteContext

_PARAMS = re.compile(r"\(.*\)$")
_GENERICS = re.compile(r"<[^<>]*>")
_RUST_KIND = re.compile(
    r"^(?:struct|enum|trait|fn|mod|type|const|static|macro|union|method|field|variant"
    r"|tymethod|derive|prim|primitive|value|constructor)@"
)
_SKIP_PARTS = frozenset({"crate", "self", "super", "Self", "this", "global"})


def split_target(target: str) -> list[str]:
    """`crate::de::Deserializer::deserialize_any()` -> [de, Deserializer, deserialize_any]."""
    text = target.strip().lstrip("~!.#")
    text = _RUST_KIND.sub("", text).rstrip("!")
    text = _PARAMS.sub("", text)
    if "<" in text:
        text = _GENERICS.sub("", _GENERICS.sub("", text))
    text = text.replace("::", ".").replace("#", ".").replace("/", ".").replace("\\", ".")
    return [p for p in text.split(".") if p and p not in _SKIP_PARTS]


def _index(ctx: SiteContext) -> dict[str, list[str]]:
    """Qualname and its last one or two parts -> component ids."""
    index = ctx.xref_index
    if index is not None:
        return index
    # Unsorted: `resolve` picks among candidates on a total order (ending in the id).
    index = {}
    paged = ctx.module_of_file
    for cid, comp in ctx.graph.components.items():
        if comp.file not in paged:
            continue
        qualname = comp.qualname
        index.setdefault(qualname, []).append(cid)
        if "." in qualname:
            parts = qualname.split(".")
            index.setdefault(parts[-1], []).append(cid)
            if len(parts) > 2:
                index.setdefault(".".join(parts[-2:]), []).append(cid)
    ctx.xref_index = index
    return index


def _plausible(ctx: SiteContext, cid: str, parts: list[str], matched: int) -> bool:
    """Whether the parts in front of the matched name fit where the component lives."""
    if matched >= len(parts):
        return True
    comp = ctx.graph.components[cid]
    qual = comp.qualname.split(".")
    before = parts[-matched - 1]
    if len(qual) > matched and qual[-matched - 1] == before:
        return True
    folders = comp.file.split("/")
    stem = posixpath.splitext(folders[-1])[0]
    if before in folders[:-1] or before.lower() == stem.lower():
        return True
    # Folders named after a dotted namespace (`Src/Newtonsoft.Json/`).
    return any(before in folder.split(".") for folder in folders[:-1] if "." in folder)


def resolve(ctx: SiteContext, target: str, from_file: str = "") -> str | None:
    """The link (`page.md#anchor`) of the component `target` names, or None."""
    parts = split_target(target)
    if not parts or len(parts) > 12:
        return None
    index = _index(ctx)
    for size in sorted({len(parts), min(2, len(parts)), 1}, reverse=True):
        key = ".".join(parts[-size:])
        ids = index.get(key)
        if not ids:
            continue
        fits = [cid for cid in ids if _plausible(ctx, cid, parts, size)]
        if not fits:
            continue
        best = min(fits, key=lambda cid: _rank(ctx, cid, key, from_file))
        return _href(ctx, best)
    return None


def _rank(ctx: SiteContext, cid: str, key: str, from_file: str) -> tuple[int, int, int, str]:
    comp = ctx.graph.components[cid]
    same_file = 0 if comp.file == from_file else 1
    near = 0 if posixpath.dirname(comp.file) == posixpath.dirname(from_file) else 1
    exact = 0 if comp.qualname == key else 1
    return (exact, same_file, near + (0 if cid in ctx.anchors else 2), cid)


def _href(ctx: SiteContext, cid: str) -> str | None:
    comp = ctx.graph.components[cid]
    module = ctx.module_of_file.get(comp.file)
    if module is None:
        return None
    anchor = ctx.anchors.get(cid)
    return f"{module.page}#{anchor}" if anchor else module.page


def resolver(ctx: SiteContext, from_file: str = "") -> Resolver:
    """`resolve` bound to the file whose doc text is rendered (its neighbours win ties)."""
    cache = ctx.xref_cache

    def lookup(target: str) -> str | None:
        key = f"{from_file}\0{target}"
        if key not in cache:
            cache[key] = resolve(ctx, target, from_file)
        if ctx.xref_log is not None:  # what a cached page must still resolve to (page_cache)
            ctx.xref_log.append((from_file, target, cache[key]))
        return cache[key]

    return lookup
