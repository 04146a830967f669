"""The generation pipeline: scan, analyse, resolve, group into modules, render, write."""

from __future__ import annotations

import gc
import os
from datetime import UTC, datetime
from pathlib import Path

from . import DocGenError, GenerationOptions, GenerationResult, ProgressCallback, __version__
from .classify import assign_roles
from .graph import ImportResolver, build_graph
from .model import FileInfo, SkippedFile
from .module_page import compute_anchors, render_module
from .modules import Module, build_module_tree, depth, module_of_file
from .overview import render_overview
from .parsers import parse_source
from .project import checkout_commit, read_project
from .scan import Candidate, content_skip_reason, read_repo_file, scan_repository
from .site import SiteContext, compute_module_edges, safe_commit, safe_url
from .writer import OutputWriter

STATIC_MODEL = "static-analysis"
# Progress bands: analysis dominates the run time, page writing most of the rest.
ANALYSE_START, ANALYSE_END = 2, 75
WRITE_START, WRITE_END = 82, 97


class _Progress:
    """Forwards progress only when the percentage grows, so callers see a monotonic series."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self.callback = callback
        self.last = -1

    def __call__(self, percent: float, text: str) -> None:
        if self.callback is None:
            return
        value = max(0, min(100, int(percent)))
        if value <= self.last:
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
    try:
        return _run(repo_dir, out_dir, options, callback)
    finally:
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
    files = _analyse(root, real_root, scan.candidates, options.max_file_bytes, skipped, progress)
    assign_roles(files)

    progress(ANALYSE_END + 1, "Reading project metadata")
    project = read_project(root, real_root)
    progress(ANALYSE_END + 2, "Resolving references")
    resolver = ImportResolver(files, root_name=os.path.basename(root), go_module=project.go_module)
    graph = build_graph(files, resolver)
    progress(ANALYSE_END + 5, "Building module tree")
    modules = build_module_tree(files, graph.file_deps)

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

    writer = OutputWriter(out_dir)
    try:
        writer.write_text("overview.md", render_overview(ctx))
        pages: list[tuple[Module, Module | None]] = []
        for top in modules:
            _collect_pages(top, None, pages)
        total = len(pages)
        for i, (module, parent) in enumerate(pages, start=1):
            writer.write_text(module.page, render_module(ctx, module, parent))
            progress(
                WRITE_START + (WRITE_END - WRITE_START) * i / max(total, 1),
                f"Writing module pages {i}/{total}",
            )

        progress(WRITE_END + 1, "Writing module tree and metadata")
        tree = {m.page[:-3]: _tree_json(m) for m in modules}
        writer.write_json("module_tree.json", tree, compact=len(graph.components) > 2000)
        first = {m.page[:-3]: _first_json(m) for m in modules}
        writer.write_json("first_module_tree.json", first, compact=len(graph.components) > 2000)
        main_model = options.main_model or STATIC_MODEL
        leaves = sum(1 for top in modules for node in top.walk() if not node.children)
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
            "files_generated": [*writer.files_generated, "metadata.json"],
        }
        writer.write_json("metadata.json", metadata)
    finally:
        # Waits for the background writes; metadata.json, queued last, lands last.
        writer.close()
    progress(100, "Done")
    return GenerationResult(
        files_generated=list(writer.files_generated),  # now ends with metadata.json
        main_model=main_model,
        component_count=len(graph.components),
        module_count=total,
    )


def _analyse(
    root: str,
    real_root: str,
    candidates: list[Candidate],
    max_bytes: int,
    skipped: list[SkippedFile],
    progress: _Progress,
) -> list[FileInfo]:
    files: list[FileInfo] = []
    total = len(candidates)
    span = ANALYSE_END - ANALYSE_START
    for i, cand in enumerate(candidates, start=1):
        progress(ANALYSE_START + span * i / max(total, 1), f"Analysing {i}/{total} files")
        data = read_repo_file(root, real_root, cand.rel, max_bytes, (cand.device, cand.inode))
        if data is None:
            skipped.append(SkippedFile(cand.rel, "unreadable or outside the repository"))
            continue
        reason = content_skip_reason(data)
        if reason is not None:
            skipped.append(SkippedFile(cand.rel, reason))
            continue
        text = data.decode("utf-8", "replace")
        try:
            info = parse_source(cand.rel, cand.language, text, data)
        except Exception as exc:
            info = FileInfo(
                path=cand.rel,
                language=cand.language,
                note=f"analysis failed ({type(exc).__name__})",
            )
        files.append(info)
    return files


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
