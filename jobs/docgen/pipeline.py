"""The generation pipeline: scan, analyse, resolve, group into modules, render, write."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from . import (
    DocGenError,
    GenerationOptions,
    GenerationResult,
    ProgressCallback,
    __version__,
    analysis_cache,
)
from .classify import FileRole, assign_roles, promote_shipped_test_support
from .examples import Example, mine_examples
from .graph import ImportResolver, build_graph
from .model import FileInfo, SkippedFile
from .module_page import compute_anchors, render_module
from .modules import Module, build_module_tree, depth, module_of_file, short_title
from .overview import render_overview
from .page_cache import PageCache, XrefLog
from .parsers import parse_source
from .project import checkout_commit, read_project
from .prose import ProseReport, write_prose
from .scan import Candidate, content_skip_reason, read_repo_file, scan_repository
from .site import SiteContext, compute_module_edges, safe_commit, safe_url
from .writer import OutputWriter
from .xref import resolver

STATIC_MODEL = "static-analysis"
# Progress bands: analysis dominates the run time, page writing most of the rest.
ANALYSE_START, ANALYSE_END = 2, 75
WRITE_START, WRITE_END = 82, 97
# With a model, waiting on it dominates: analysis ends early and the prose step gets a band.
PROSE_ANALYSE_END, PROSE_START, PROSE_END = 30, 38, 80


class _Progress:
    """Forwards progress only when the percentage grows, so callers see a monotonic series."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self.callback = callback
        self.last = -1

    def __call__(self, percent: float, text: str, *, always: bool = False) -> None:
        if self.callback is None:
            return
        value = max(0, min(100, int(percent)))
        if value < self.last or (value == self.last and not always):
            return
        self.last = value
        self.callback(value, text)


def _display_name(options: GenerationOptions, root: str) -> str:
    name = options.repo_name.strip()
    if not name or name.startswith(("/", "\\", "~")) or ":\\" in name:
        # Never echo a server path: fall back to the folder's own name.
        name = (name or root).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return name or "repository"


def run(
    repo_dir: Path, out_dir: Path, options: GenerationOptions, callback: ProgressCallback | None
) -> GenerationResult:
    # The run allocates millions of short-lived, acyclic AST nodes while its own records
    # pile up; the cyclic collector would rescan those records over and over for nothing
    # (about a third of the run time). Reference counting still frees everything.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    # The cache keeps one set of packs per repository: the URL when there is one.
    scope = options.repo_url or options.repo_name or os.path.basename(os.path.realpath(repo_dir))
    cache = analysis_cache.activate(options.analysis_cache or None, scope)
    complete = False
    try:
        result = _run(repo_dir, out_dir, options, callback)
        complete = True
        return result
    finally:
        if cache is not None:
            cache.close(complete=complete)
        analysis_cache.activate(None)
        if gc_was_enabled:
            gc.enable()


def _run(
    repo_dir: Path, out_dir: Path, options: GenerationOptions, callback: ProgressCallback | None
) -> GenerationResult:
    progress = _Progress(callback)
    if not repo_dir.is_dir():
        raise DocGenError("repository directory does not exist or is not a directory")
    if options.max_files < 1:
        raise DocGenError("max_files must be at least 1")
    # The checkout folder itself is the caller's choice; links *inside* it are never followed.
    root = real_root = os.path.realpath(repo_dir)

    progress(0, "Scanning files")
    scan = scan_repository(
        root,
        max_files=options.max_files,
        max_file_bytes=options.max_file_bytes,
        include=list(options.include),
        exclude=list(options.exclude),
    )
    skipped: list[SkippedFile] = list(scan.skipped)
    analyse_end = ANALYSE_END if options.prose is None else PROSE_ANALYSE_END
    files = _analyse(
        root, real_root, scan.candidates, options.max_file_bytes, skipped, progress, analyse_end
    )
    assign_roles(files)

    progress(analyse_end + 1, "Reading project metadata")
    project = read_project(root, real_root)
    progress(analyse_end + 2, "Resolving references")
    resolver = ImportResolver(files, root_name=os.path.basename(root), go_module=project.go_module)
    promote_shipped_test_support(files, resolver.resolve)
    graph = build_graph(files, resolver)
    progress(analyse_end + 5, "Building module tree")
    modules = build_module_tree(files, graph.file_deps)
    _name_root(modules, project.go_module or project.name, _display_name(options, root))

    budget_note = ""
    if scan.budget_reached:
        budget_note = (
            f"File budget reached: analysis stopped after {options.max_files} files; "
            "the rest of the repository is not documented."
        )
    ctx = SiteContext(
        title=_display_name(options, root),
        repo_url=safe_url(options.repo_url),
        commit=safe_commit(options.commit.strip() or checkout_commit(root)),
        files={info.path: info for info in files},
        graph=graph,
        modules=modules,
        module_of_file=module_of_file(modules),
        project=project,
        skipped=skipped,
        budget_note=budget_note,
        version=__version__,
    )
    compute_module_edges(ctx)
    compute_anchors(ctx)
    pages: list[tuple[Module, Module | None]] = []
    for top in modules:
        _collect_pages(top, None, pages)
    total = len(pages)
    # Started now, so that a writing process is up by the time the first page is ready.
    writer = OutputWriter(out_dir, process=total >= WRITER_PROCESS_MIN_PAGES)
    try:
        progress(analyse_end + 6, "Finding usage examples")
        ctx.examples = _examples(ctx, root, real_root, options.max_file_bytes)
        prose_report = None
        if options.prose is not None:
            prose_report = _write_prose(root, real_root, ctx, options, progress)
        overview = render_overview(ctx)

        store = analysis_cache.active()
        page_cache = PageCache(store, ctx) if store is not None else None
        writer.write_text("overview.md", overview)
        for i, (module, text) in enumerate(_PageRenderer(ctx, pages, page_cache), start=1):
            writer.write_text(module.page, text)
            progress(
                WRITE_START + (WRITE_END - WRITE_START) * i / max(total, 1),
                f"Writing module pages {i}/{total}",
            )

        progress(WRITE_END + 1, "Writing module tree and metadata")
        tree = {m.page[:-3]: _tree_json(m) for m in modules}
        writer.write_json("module_tree.json", tree, compact=len(graph.components) > 2000)
        first = {m.page[:-3]: _first_json(m) for m in modules}
        writer.write_json("first_module_tree.json", first, compact=len(graph.components) > 2000)
        main_model = (prose_report.model if prose_report else "") or options.main_model
        main_model = main_model or STATIC_MODEL
        leaves = sum(1 for top in modules for node in top.walk() if not node.children)
        listed = [*_in_page_order(writer.files_generated, pages), "metadata.json"]
        metadata = {
            "generation_info": {
                "timestamp": datetime.now(UTC).isoformat(),
                "main_model": main_model,
                "generator_version": f"codewiki-docgen {__version__}",
                "repo_path": ctx.title,
                "commit_id": ctx.commit,
            },
            "statistics": {
                "total_components": len(graph.components),
                "leaf_nodes": leaves,
                "max_depth": depth(modules),
            },
            "files_generated": listed,
        }
        if prose_report is not None:
            metadata["llm"] = prose_report.as_json()
        if page_cache is not None:
            metadata["analysis"] = {
                "files_reanalysed": page_cache.store.misses,
                "files_reused": page_cache.store.hits,
                "pages_rendered": total - page_cache.hits,
                "pages_reused": page_cache.hits,
            }
        writer.write_json("metadata.json", metadata)
    finally:
        # Waits for the writing process, if there is one; metadata.json, sent last, lands last.
        writer.close()
    progress(100, "Done")
    return GenerationResult(
        files_generated=listed,
        main_model=main_model,
        component_count=len(graph.components),
        module_count=total,
        prose=prose_report,
    )


# Rendering a page is pure given the site context, which forked helpers share for free
# (copy-on-write); only the finished Markdown comes back.
PARALLEL_MIN_PAGES = 40
# Below this, starting a writing process (about 20 ms) costs more than writing here.
WRITER_PROCESS_MIN_PAGES = 40
_render_job: tuple[SiteContext, list[tuple[Module, Module | None]]] | None = None
Rendered = tuple[str, XrefLog]  # a page and the cross-references it resolved


def _render_logged(ctx: SiteContext, module: Module, parent: Module | None) -> Rendered:
    ctx.xref_log = []
    try:
        text = render_module(ctx, module, parent)
        return text, list(dict.fromkeys(ctx.xref_log))
    finally:
        ctx.xref_log = None


def _render_some(indices: list[int]) -> list[Rendered]:
    assert _render_job is not None
    ctx, pages = _render_job
    return [_render_logged(ctx, *pages[i]) for i in indices]


class _PageRenderer:
    """Every page, each as soon as it is ready (not in page order): first those the page
    cache holds, each read back as soon as its key is known, so that the writing process
    writes them while later keys are computed; then the rest, of which this process
    renders the first share while helpers render the others."""

    def __init__(
        self,
        ctx: SiteContext,
        pages: list[tuple[Module, Module | None]],
        cache: PageCache | None,
    ) -> None:
        self.ctx, self.pages, self.cache = ctx, pages, cache

    def __iter__(self) -> Iterator[tuple[Module, str]]:
        cache = self.cache
        keys: list[str] = []
        todo: list[int] = []
        # Asked before the writing process gets busy with the stored pages: it is no reason
        # to render the rest without helpers.
        idle = _idle_cores()
        for i, (module, parent) in enumerate(self.pages):
            # A page with no entry, or one corrupt or stale (a cross-reference resolves
            # elsewhere now), is rendered.
            text = None
            if cache is not None:
                keys.append(cache.key(module, parent))
                text = cache.get(keys[i], self._resolve)
            if text is None:
                todo.append(i)
            else:
                yield module, text
        pool, futures = self._start_helpers(todo, idle)
        # Helpers take the last pages to render, so waiting for them in page order never
        # holds up a page this process could render meanwhile.
        from_helpers: dict[int, Rendered] = {}
        waiting = {i: n for n, (part, _future) in enumerate(futures) for i in part}
        try:
            for i in todo:
                module, parent = self.pages[i]
                if i in waiting and i not in from_helpers:
                    part, future = futures[waiting[i]]
                    # A helper that died (out of memory, killed) left its pages to this one.
                    with contextlib.suppress(Exception):
                        from_helpers.update(zip(part, future.result(), strict=True))
                text, log = from_helpers.pop(i, None) or _render_logged(self.ctx, module, parent)
                if cache is not None:
                    cache.put(keys[i], text, log)
                yield module, text
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    def _start_helpers(
        self, todo: list[int], idle: float
    ) -> tuple[ProcessPoolExecutor | None, list[tuple[list[int], Future[list[Rendered]]]]]:
        """Helper processes rendering the later slices of ``todo``, when it is long enough."""
        global _render_job
        helpers = _helper_processes(len(todo), PARALLEL_MIN_PAGES, idle)
        if not helpers:
            return None, []
        cuts = _cut_points(len(todo), helpers)
        slices = [todo[cuts[i] : cuts[i + 1]] for i in range(1, len(cuts) - 1)]
        _render_job = (self.ctx, self.pages)
        pool = None
        try:
            pool = ProcessPoolExecutor(helpers, mp_context=multiprocessing.get_context("fork"))
            return pool, [(part, pool.submit(_render_some, part)) for part in slices]
        except (OSError, ValueError):
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
            return None, []
        finally:
            _render_job = None

    def _resolve(self, source: str, target: str) -> str | None:
        return resolver(self.ctx, source)(target)


def _write_prose(
    root: str, real_root: str, ctx: SiteContext, options: GenerationOptions, progress: _Progress
) -> ProseReport:
    sources: dict[str, str | None] = {}

    def read_source(rel: str) -> str | None:
        if rel not in sources:
            data = read_repo_file(root, real_root, rel, options.max_file_bytes)
            sources[rel] = None if data is None else data.decode("utf-8", "replace")
        return sources[rel]

    def report(done: int, total: int, text: str) -> None:
        span = PROSE_END - PROSE_START
        progress(PROSE_START + span * done / max(total, 1), text, always=True)

    assert options.prose is not None
    return write_prose(ctx, options.prose, read_source, report)


# Parsing is per file and most of the run time: with enough files, forked processes take
# slices of the list while this process parses its own (larger) slice, since results
# coming back pickled cost the receiving side a little time too.
PARALLEL_MIN_FILES = 300
MAX_PARSE_PROCESSES = 4
PARENT_SHARE = 1.4  # this process's slice, relative to one helper's


def _analyse(
    root: str,
    real_root: str,
    candidates: list[Candidate],
    max_bytes: int,
    skipped: list[SkippedFile],
    progress: _Progress,
    analyse_end: int = ANALYSE_END,
) -> list[FileInfo]:
    total = len(candidates)
    span = analyse_end - ANALYSE_START
    # Files the analysis cache already holds are loaded here first: helpers only pay for
    # parsing, and forking them to unpickle cached results would cost more than it saves.
    reused = _reuse_cached(root, real_root, candidates, max_bytes)
    offset = len(reused)
    all_candidates = candidates
    candidates = [cand for i, cand in enumerate(candidates) if i not in reused]

    def report(done: int) -> None:
        done += offset
        progress(ANALYSE_START + span * done / max(total, 1), f"Analysing {done}/{total} files")

    if reused:
        report(0)
    helpers = _helper_processes(len(candidates), PARALLEL_MIN_FILES)
    futures: list[Future[list[FileInfo | SkippedFile]]] = []
    pool: ProcessPoolExecutor | None = None
    own = candidates
    if helpers:
        cuts = _cut_points(len(candidates), helpers)
        slices = [candidates[cuts[i] : cuts[i + 1]] for i in range(helpers + 1)]
        own = slices[0]
        try:
            pool = ProcessPoolExecutor(helpers, mp_context=multiprocessing.get_context("fork"))
            futures = [
                pool.submit(_analyse_slice_counted, root, real_root, part, max_bytes)
                for part in slices[1:]
            ]
        except (OSError, ValueError):
            pool, futures, own = None, [], candidates
    results = _analyse_slice(root, real_root, own, max_bytes, report)
    if pool is not None:
        try:
            for future, part in zip(futures, slices[1:], strict=True):
                try:
                    part_results, misses, digests, entries = future.result()
                    results += part_results
                    cache = analysis_cache.active()
                    if cache is not None:  # the helper's entries and counts, merged into ours
                        cache.misses += misses
                        cache.digests.update(digests)
                        cache.add_new(entries)
                except Exception:
                    # A helper died (out of memory, killed): its slice is parsed here.
                    results += _analyse_slice(root, real_root, part, max_bytes)
                report(len(results))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    # Back in scan order, as if every file had been analysed in one pass.
    fresh = iter(results)
    ordered = [reused[i] if i in reused else next(fresh) for i in range(len(all_candidates))]
    files: list[FileInfo] = []
    for item in ordered:
        if isinstance(item, SkippedFile):
            skipped.append(item)
        else:
            files.append(item)
    return files


def _cut_points(count: int, helpers: int) -> list[int]:
    """Where ``count`` items are cut into this process's slice (the first, PARENT_SHARE
    times a helper's) and one slice per helper: ``helpers + 2`` points from 0 to count."""
    weights = [PARENT_SHARE] + [1.0] * helpers
    bounds = [0.0]
    for weight in weights:
        bounds.append(bounds[-1] + weight)
    return [round(count * bound / bounds[-1]) for bound in bounds]


def _reuse_cached(
    root: str, real_root: str, candidates: list[Candidate], max_bytes: int
) -> dict[int, FileInfo]:
    """The cached analyses of candidates whose content is unchanged, by candidate index."""
    cache = analysis_cache.active()
    if cache is None:
        return {}
    found: dict[int, FileInfo] = {}
    for i, cand in enumerate(candidates):
        data = read_repo_file(root, real_root, cand.rel, max_bytes, (cand.device, cand.inode))
        # Unreadable files take the ordinary path, which records why. Content the cache
        # holds was analysed, not skipped: the skip rules are part of its key.
        if data is None:
            continue
        info = cache.get(cand.rel, cand.language, data)
        if info is not None:
            cache.hits += 1
            found[i] = info
    return found


def _helper_processes(count: int, minimum: int, idle: float | None = None) -> int:
    """How many extra processes to share ``count`` items with (0: do them all here);
    ``idle``: the cores ``_idle_cores`` found, when it was asked earlier."""
    if count < minimum or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    cores = _cores()
    # Helpers only pay on cores nobody else is using: on a busy machine (other jobs,
    # other workers) they would only add the cost of sending results back.
    idle = cores - _busy_elsewhere() if idle is None else idle
    return max(0, min(int(idle + 0.5), cores, MAX_PARSE_PROCESSES) - 1)


def _cores() -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return cores or 1


def _idle_cores() -> float:
    return _cores() - _busy_elsewhere()


def _busy_elsewhere() -> float:
    """How many cores other processes are using now, this process's own one not counted.

    Linux says how many tasks are running at this instant; the load average (elsewhere)
    trails by a minute, so right after a burst of work it would keep helpers from idle
    cores, and a worker's previous job would slow down its next one."""
    try:
        with open("/proc/loadavg", encoding="ascii") as handle:
            running = int(handle.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        running = os.getloadavg()[0] if hasattr(os, "getloadavg") else 1.0
    return max(0.0, running - 1.0)


def _analyse_slice_counted(
    root: str, real_root: str, candidates: list[Candidate], max_bytes: int
) -> tuple[list[FileInfo | SkippedFile], int, dict[str, bytes], dict[str, bytes]]:
    """A helper process's slice, with how many files it analysed for the analysis cache,
    their digests and their entries (the parent writes them with its own)."""
    cache = analysis_cache.active()
    if cache is not None:
        cache.misses = 0  # counted afresh in this forked copy
        cache.digests = {}
        cache.take_new()
    results = _analyse_slice(root, real_root, candidates, max_bytes)
    if cache is None:
        return results, 0, {}, {}
    return results, cache.misses, cache.digests, cache.take_new()


def _parse(cand: Candidate, text: str, data: bytes) -> FileInfo:
    """``parse_source``, its result stored in the analysis cache when one is active.

    Only files `_reuse_cached` did not find in the cache get here: no second lookup."""
    info = parse_source(cand.rel, cand.language, text, data)
    cache = analysis_cache.active()
    if cache is None:
        return info
    cache.misses += 1
    cache.put(cand.rel, cand.language, data, info)  # before any later stage changes it
    return info


def _analyse_slice(
    root: str,
    real_root: str,
    candidates: list[Candidate],
    max_bytes: int,
    report: Callable[[int], None] | None = None,
) -> list[FileInfo | SkippedFile]:
    out: list[FileInfo | SkippedFile] = []
    for i, cand in enumerate(candidates, start=1):
        if report is not None:
            report(i)
        data = read_repo_file(root, real_root, cand.rel, max_bytes, (cand.device, cand.inode))
        if data is None:
            out.append(SkippedFile(cand.rel, "unreadable or outside the repository"))
            continue
        reason = content_skip_reason(data)
        if reason is not None:
            out.append(SkippedFile(cand.rel, reason))
            continue
        text = data.decode("utf-8", "replace")
        try:
            info = _parse(cand, text, data)
        except Exception as exc:
            info = FileInfo(
                path=cand.rel,
                language=cand.language,
                note=f"analysis failed ({type(exc).__name__})",
            )
        out.append(info)
    return out


def _examples(
    ctx: SiteContext, root: str, real_root: str, max_bytes: int
) -> dict[str, list[Example]]:
    """Usage examples for the production components that have a section of their own."""
    # Every public production component has a section (an anchor or not: one named like
    # its page shares the page's heading id).
    wanted = {
        comp.id
        for public, _private in ctx.split_cache.values()
        for comp in public
        if comp.role == FileRole.PRODUCTION
    }

    def read(rel: str) -> str | None:
        data = read_repo_file(root, real_root, rel, max_bytes)
        return data.decode("utf-8", "replace") if data is not None else None

    return mine_examples(ctx.graph, ctx.files, read, wanted)


def _name_root(modules: list[Module], package: str, title: str) -> None:
    """The files at the top of the repository are the project itself (gin's `gin.go`): the
    module is named after the package, not "root"."""
    for module in modules:
        if module.name == "root" and not module.path and not module.appendix:
            name = (package or title).rstrip("/").rsplit("/", 1)[-1].strip()
            if name and len(name) < 60 and name.isprintable():
                module.name = module.full = name
                for node in module.walk()[1:]:
                    own = node.full or node.path or node.name
                    sep = ": " if ", " in own and "/" not in own else "/"
                    node.full = short_title(f"{name}{sep}{own}")


def _in_page_order(written: list[str], pages: list[tuple[Module, Module | None]]) -> list[str]:
    """The files written, pages in page order (each was written as soon as it was ready):
    the overview first, then the pages, then the rest, as written."""
    rank = {module.page: n for n, (module, _parent) in enumerate(pages)}
    rank["overview.md"] = -1
    return sorted(written, key=lambda name: rank.get(name, len(rank)))


def _collect_pages(
    module: Module, parent: Module | None, out: list[tuple[Module, Module | None]]
) -> None:
    out.append((module, parent))
    for child in module.children:
        _collect_pages(child, module, out)


def _tree_json(module: Module) -> dict[str, object]:
    node: dict[str, object] = {
        "path": module.path,
        "components": list(module.component_ids),
        "children": {c.page[:-3]: _tree_json(c) for c in module.children},
    }
    return _mark_appendix(module, node)


def _mark_appendix(module: Module, node: dict[str, object]) -> dict[str, object]:
    # CodeWiki's shape plus two fields on the appendix's nodes only: readers that do not
    # know them still see an ordinary tree.
    if module.appendix:
        node["appendix"] = True
        if module.role:
            node["role"] = module.role
    return node


def _first_json(module: Module) -> dict[str, object]:
    # The first pass: top-level modules only, each owning every component below it.
    ids = [cid for node in module.walk() for cid in node.component_ids]
    return _mark_appendix(module, {"path": module.path, "components": ids, "children": {}})
