"""Rendered module pages cached by a digest of what the page shows, next to the analyses.

A new commit usually changes a few files, and most module pages come out the same: a page
is rendered again only when something it shows changed. Its key digests exactly what
``module_page.render_module`` reads from the site context, gathered by ``PageKeys.inputs``:
the module and its sub-modules as the page describes them, its own files' analyses, and,
for every component it links to, only what the link shows (name, page, anchor). Keep the
two in step: a read that the key does not cover would let a stale page through.
``tests/docgen/test_page_cache.py`` makes edits that change what other pages show and
compares the docs with docs generated from scratch.

Two reads are not digested up front:

- Cross-references in doc text resolve against every component of the repository. The
  lookups a page made are stored with it and replayed: the cached page is used only when
  each one still resolves to the same link.
- Source links name the commit. They are stored with a marker in place of
  ``<repo>/blob/<commit>/`` and get the current commit back when the page is reused.
"""

from __future__ import annotations

import hashlib
import io
import pickle
from collections.abc import Callable
from typing import Any

from .analysis_cache import FINGERPRINT, AnalysisCache
from .examples import blob_prefix
from .languages import display_name
from .model import FileInfo
from .module_page import _owner, _split_components  # the page's own rules, not copies
from .modules import Module
from .site import SiteContext, full_name, module_summary, subtree_stats, users_of

# Not in rendered Markdown (a page that holds it anyway is not cached).
_COMMIT_MARKER = "\x00blob\x00"
_SUFFIX = ".page"

XrefLog = list[tuple[str, str, str | None]]  # (from file, target, link it resolved to)


class PageKeys:
    """``key(module, parent)``: the digest of ``inputs``, what ``render_module`` shows of
    the site context for that page (cross-references and the commit apart, see the module
    docstring). Digests of files and link targets are computed once per site."""

    def __init__(self, ctx: SiteContext, parsed: dict[str, bytes]) -> None:
        self.ctx = ctx
        self.parsed = parsed  # path -> digest of the parser's result (AnalysisCache.digests)
        self._files: dict[str, bytes] = {}
        self._targets: dict[str, tuple[str, str]] = {}
        self._languages: dict[str, frozenset[str]] = {}

    def key(self, module: Module, parent: Module | None) -> str:
        return _digest(self.inputs(module, parent)).hex()

    def inputs(self, module: Module, parent: Module | None) -> tuple[Any, ...]:
        ctx = self.ctx
        components = ctx.graph.components
        ancestors = []
        page = parent.page if parent is not None else None
        while page is not None and len(ancestors) < 20:
            ancestors.append((page, full_name(ctx.by_page[page])))
            page = ctx.parent_of.get(page)
        children = [
            (child.page, child.name, subtree_stats(ctx, child), module_summary(ctx, child))
            for child in module.children
        ]
        own_paths = list(dict.fromkeys([*module.files, module.doc_file]))
        own = set(own_paths)
        linked: set[str] = set()
        pages: set[str] = set()
        per_comp = []
        for cid in module.component_ids:
            comp = components[cid]
            users = users_of(ctx, comp)
            reexported = ctx.graph.reexported_by.get(cid)
            linked.update(comp.refs, comp.base_ids, users)
            if comp.parent is not None:
                linked.add(_owner(ctx, comp).id)
            if reexported:
                pages.update(_page_of(ctx, path) for path, _name in reexported)
            # A component's own fields are digested with its file's analysis.
            whole = None if comp.file in own else comp
            per_comp.append((cid, whole, users, reexported, ctx.examples.get(cid)))
        # Which components count as public (a section each) and which as private helpers.
        public, private = ctx.split_cache.get(module.page) or _split_components(
            ctx, [components[cid] for cid in module.component_ids]
        )
        split = ([c.id for c in public], [c.id for c in private])
        for path in own_paths:
            info = ctx.files.get(path)
            for entry in info.reexports if info is not None else ():
                linked.add(entry.resolved)
                pages.add(_page_of(ctx, entry.source_file))
        targets = []
        known = self._targets
        for cid in sorted(linked):
            fact, page = known.get(cid) or self._target(cid)
            targets.append(fact)
            pages.add(page)
        module_links = []
        for table in (ctx.module_deps, ctx.module_users):
            counts = table.get(module.page)
            module_links.append(sorted(counts.items()) if counts else [])
            pages.update(counts or ())
        siblings = ctx.sibling_edges.get(module.page)
        module_links.append(sorted(siblings.items()) if siblings else [])
        names = [(p, full_name(ctx.by_page[p])) for p in sorted(pages) if p in ctx.by_page]
        return (
            FINGERPRINT,
            ctx.repo_url,
            bool(ctx.commit),
            (module.page, module.name, module.full, module.path, module.files, module.doc_file),
            (module.component_ids, module.is_group, module.appendix, module.role),
            ancestors,
            children,
            sorted(self._subtree_languages(module)),
            [self._file(path) for path in own_paths],
            per_comp,
            split,
            targets,
            module_links,
            names,
            ctx.prose.get(module.page),
        )

    def _subtree_languages(self, module: Module) -> frozenset[str]:
        found = self._languages.get(module.page)
        if found is None:
            files = self.ctx.files
            own = {display_name(files[p].language) for p in module.files if p in files}
            for child in module.children:
                own |= self._subtree_languages(child)
            found = self._languages[module.page] = frozenset(own)
        return found

    def _file(self, path: str) -> bytes:
        """A digest of the file's analysis as it is now: the parser's result, and what
        later stages set on it (``after_parse``)."""
        digest = self._files.get(path)
        if digest is None:
            info = self.ctx.files.get(path)
            parsed = self.parsed.get(path)
            if info is None or parsed is None:
                digest = _digest(info)  # the whole of it: slower, as exact
            else:
                digest = _digest((parsed, after_parse(info)))
            self._files[path] = digest
        return digest

    def _target(self, cid: str) -> tuple[str, str]:
        """What a link to the component shows (its names, kind, file, page and anchor),
        and its page."""
        found = self._targets.get(cid)
        if found is None:
            ctx = self.ctx
            target = ctx.graph.components.get(cid)
            if target is None:
                found = (cid, "")
            else:
                page = _page_of(ctx, target.file)
                fields = (
                    cid, target.qualname, target.name, target.kind, target.file,
                    target.parent or "", target.role, page, ctx.anchors.get(cid, ""),
                    _owner(ctx, target).id,
                )  # fmt: skip
                found = ("\x1f".join(fields), page)
            self._targets[cid] = found
        return found


def after_parse(info: FileInfo) -> tuple[Any, ...]:
    """What the pipeline sets on a file's analysis after parsing it (roles, resolved
    references and re-exports). A field set later and missing here would let a stale page
    through: ``tests/docgen/test_page_cache.py`` checks that nothing else changes."""
    return (
        info.role,
        [(comp.role, comp.refs, comp.base_ids) for comp in info.components],
        [(entry.resolved, entry.source_file) for entry in info.reexports],
    )


def _digest(value: object) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    # No memo: equal values give equal bytes whether or not they share objects (analyses
    # read back from the cache share strings differently than ones fresh from a parser).
    pickler.fast = True
    pickler.dump(value)
    return hashlib.sha256(buffer.getvalue()).digest()


def _page_of(ctx: SiteContext, path: str) -> str:
    module = ctx.module_of_file.get(path)
    return module.page if module is not None else ""


class PageCache:
    """Module pages by ``PageKeys.key``, stored in the analysis cache's folder."""

    def __init__(self, store: AnalysisCache, ctx: SiteContext) -> None:
        self.store, self.ctx = store, ctx
        self.prefix = blob_prefix(ctx.repo_url, ctx.commit)
        self.hits = 0
        self._keys = PageKeys(ctx, store.digests)

    def key(self, module: Module, parent: Module | None) -> str:
        return self._keys.key(module, parent)

    def get(self, key: str, resolve: Callable[[str, str], str | None]) -> str | None:
        """The page, if one with this key was stored and its cross-references still hold."""
        payload = self.store.read(key + _SUFFIX)
        try:
            text, log = pickle.loads(payload) if payload is not None else (None, [])
        except Exception:
            text = None
        if not isinstance(text, str) or any(
            resolve(source, target) != link for source, target, link in log
        ):
            return None
        self.hits += 1
        return text.replace(_COMMIT_MARKER, self.prefix) if self.prefix else text

    def put(self, key: str, text: str, log: XrefLog) -> None:
        if _COMMIT_MARKER in text:
            return  # a NUL from repository text: the marker would be ambiguous
        if self.prefix:
            text = text.replace(self.prefix, _COMMIT_MARKER)
        payload = pickle.dumps((text, log), protocol=pickle.HIGHEST_PROTOCOL)
        self.store.write(key + _SUFFIX, payload)
