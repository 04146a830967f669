"""The documentation viewer: ``/docs/<job_id>/``, ``/docs/<job_id>/<page>`` and the zip.

A page is served only if its name is in the docs folder's ``files_generated``
list, is a plain relative name, and is a regular file on disk (no symlink in
any component). The URL is never joined to a filesystem path before that
lookup, so ``../``, encoded dots, absolute paths and the like cannot reach
anything: they are simply not in the list.

The views are thin; the helpers above them do the work and are what the tests
exercise directly where that is clearer.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, wraps
from pathlib import Path
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from jobs.docs_cache import generated_files, resolve_docs_dir
from jobs.markdown_render import INDEX_PAGE, PAGE_SUFFIX, page_url_name, render_cached
from jobs.models import ACTIVE_STATES, Job, Status

logger = logging.getLogger(__name__)

MODULE_TREE_FILE = "module_tree.json"
METADATA_FILE = "metadata.json"
# Pages are slug-like names, optionally in folders; nothing hidden, no "..".
NAME_SEGMENT_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")
MAX_NAME_LENGTH = 255
# A module tree deeper than this is not something we generated; stop there.
MAX_TREE_DEPTH = 12
MAX_PAGE_BYTES = 5 * 1024 * 1024
# Scripts only from our own origin (htmx, mermaid, docs.js). Mermaid writes
# <style> into its SVGs, hence 'unsafe-inline' for styles only.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# --- the docs folder ------------------------------------------------------------


def is_safe_name(name: str) -> bool:
    """A relative, slash-separated name with no empty, dot or hidden segments."""
    if not name or len(name) > MAX_NAME_LENGTH:
        return False
    return all(NAME_SEGMENT_RE.match(segment) for segment in name.split("/"))


def _open_regular_file(docs_dir: Path, name: str) -> int | None:
    """An fd for ``docs_dir/name`` if every component is a real directory/file, else None.

    ``lstat`` on each component rejects symlinks anywhere on the way, and
    ``O_NOFOLLOW`` closes the gap for the last one should it be swapped meanwhile.
    """
    if not is_safe_name(name):
        return None
    current = docs_dir
    segments = name.split("/")
    try:
        for segment in segments[:-1]:
            current = current / segment
            if not stat.S_ISDIR(os.lstat(current).st_mode):
                return None
        path = current / segments[-1]
        # O_NONBLOCK: opening a FIFO planted in the folder must not hang the worker.
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(path, flags)
    except OSError:
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    return fd


def read_file(docs_dir: Path, name: str, limit: int = MAX_PAGE_BYTES) -> bytes | None:
    fd = _open_regular_file(docs_dir, name)
    if fd is None:
        return None
    with os.fdopen(fd, "rb") as handle:
        return handle.read(limit)


@dataclass(frozen=True)
class DocsFolder:
    relpath: str
    path: Path
    files: tuple[str, ...]

    @cached_property
    def pages(self) -> frozenset[str]:
        """Listed Markdown files that are safe to serve: the only names the viewer knows.

        Checked up front (a few ``lstat`` calls) so the sidebar, link rewriting
        and the ``.md`` redirect never point at a symlink or a missing file.
        """
        return frozenset(
            name for name in self.files if name.endswith(PAGE_SUFFIX) and self._is_regular(name)
        )

    def _is_regular(self, name: str) -> bool:
        fd = _open_regular_file(self.path, name)
        if fd is None:
            return False
        os.close(fd)
        return True

    def page_file(self, name: str) -> Path | None:
        """The on-disk path of a listed page, or None (unlisted, unsafe, symlink, missing)."""
        if name not in self.pages or not self._is_regular(name):
            return None
        return self.path / name

    def read_json(self, name: str) -> Any:
        data = read_file(self.path, name)
        if data is None:
            return None
        try:
            return json.loads(data)
        except (ValueError, RecursionError):
            logger.warning("Unreadable %s in %s", name, self.path)
            return None


def open_docs(job: Job) -> DocsFolder | None:
    """The job's docs folder if it exists and is complete enough to list, else None."""
    docs_dir = resolve_docs_dir(job.docs_path)
    if docs_dir is None or not docs_dir.is_dir():
        return None
    files = generated_files(docs_dir)
    if files is None:
        return None
    return DocsFolder(job.docs_path, docs_dir, tuple(dict.fromkeys(files)))


# --- metadata and the module tree -------------------------------------------------


@dataclass
class GenerationInfo:
    model: str = ""
    timestamp: datetime | None = None
    timestamp_text: str = ""
    commit: str = ""
    generator_version: str = ""
    total_components: int | None = None
    max_depth: int | None = None

    @property
    def short_commit(self) -> str:
        return self.commit[:7]


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def generation_info(folder: DocsFolder, job: Job) -> GenerationInfo:
    data = folder.read_json(METADATA_FILE)
    data = data if isinstance(data, dict) else {}
    gen = data.get("generation_info") if isinstance(data.get("generation_info"), dict) else {}
    stats = data.get("statistics") if isinstance(data.get("statistics"), dict) else {}
    info = GenerationInfo(
        model=_str(gen.get("main_model")) or job.main_model,
        timestamp_text=_str(gen.get("timestamp")),
        commit=_str(gen.get("commit_id")) or job.resolved_commit,
        generator_version=_str(gen.get("generator_version")),
        total_components=_int(stats.get("total_components")),
        max_depth=_int(stats.get("max_depth")),
    )
    if info.timestamp_text:
        with contextlib.suppress(ValueError):
            info.timestamp = datetime.fromisoformat(info.timestamp_text)
    return info


@dataclass
class TreeNode:
    name: str  # the module_tree.json key (the generator uses the page stem)
    page: str | None
    label: str = ""  # what the sidebar shows
    path: str = ""  # the source folder the module documents
    url: str | None = None
    current: bool = False
    open: bool = False
    appendix: bool = False  # tests, examples, tooling: shown apart from the main modules
    children: list[TreeNode] = field(default_factory=list)


def page_candidates(name: str, node: dict[str, Any]) -> list[str]:
    """Which file a module-tree node's page may be, most specific first.

    The generator keys nodes by page stem (``jobs-docgen`` → ``jobs-docgen.md``);
    the other candidates keep hand-written or older trees working.
    """
    candidates = [_str(node.get(key)) for key in ("page", "file", "doc_file")]
    candidates += [name + PAGE_SUFFIX]
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "module"
    candidates += [slug + PAGE_SUFFIX, slug.lower() + PAGE_SUFFIX, slugify(name) + PAGE_SUFFIX]
    return [c if c.endswith(PAGE_SUFFIX) else c + PAGE_SUFFIX for c in candidates if c]


def node_label(name: str, path: str, parent_name: str, parent_path: str) -> str:
    """A short sidebar label: the folder relative to the parent's, else the key minus its prefix."""
    if path and path != parent_path:
        if parent_path and path.startswith(parent_path + "/"):
            return path[len(parent_path) + 1 :]
        return path
    if parent_name and name.startswith(parent_name + "-"):
        # A large folder split into several pages: "jobs-a.py-to-f.py" under "jobs".
        return name[len(parent_name) + 1 :]
    return name


def build_tree(
    raw: Any, pages: frozenset[str], depth: int = 0, parent: TreeNode | None = None
) -> list[TreeNode]:
    """Sidebar nodes from ``module_tree.json``; only pages that exist are linked."""
    if not isinstance(raw, dict) or depth >= MAX_TREE_DEPTH:
        return []
    nodes = []
    for name, node in raw.items():
        if not isinstance(node, dict) or not isinstance(name, str):
            continue
        page = next((c for c in page_candidates(name, node) if c in pages), None)
        path = _str(node.get("path")).strip("/")
        item = TreeNode(name=name, page=page, path=path, appendix=node.get("appendix") is True)
        item.label = node_label(
            name, path, parent.name if parent else "", parent.path if parent else ""
        )
        item.children = build_tree(node.get("children"), pages, depth + 1, item)
        nodes.append(item)
    return nodes


def mark_current(nodes: list[TreeNode], page: str, url_for: Callable[[str], str]) -> list[str]:
    """Set urls, highlight ``page``, open its ancestors; return the breadcrumb labels."""
    trail: list[str] = []
    for node in nodes:
        node.url = url_for(node.page) if node.page else None
        below = mark_current(node.children, page, url_for)
        if node.page == page:
            node.current = node.open = True
            trail = [node.label]
        elif below and not trail:
            node.open = True
            trail = [node.label, *below]
    return trail


APPENDIX_TITLE = "Appendix"


def appendix_section(tree: list[TreeNode]) -> tuple[TreeNode | None, list[TreeNode]]:
    """The node the sidebar's "Appendix" heading stands for (if any) and the nodes below it.

    The generator puts tests, examples and tooling under one top node named "appendix": listed
    as is, the sidebar would say "Appendix ▸ appendix". That node becomes the heading (its
    page linked from it) and its children are listed directly under it.
    """
    nodes = [node for node in tree if node.appendix]
    if len(nodes) == 1 and nodes[0].label.casefold() == APPENDIX_TITLE.casefold():
        return nodes[0], nodes[0].children
    return None, nodes


# --- responses ----------------------------------------------------------------------


def with_csp(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Every viewer response forbids scripts from anywhere but our own origin."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Referrer-Policy", "same-origin")
        return response

    return wrapper


def job_detail_url(job_id: str) -> str:
    return f"/jobs/{job_id}/"


def _state_response(request: HttpRequest, job: Job | None, job_id: str) -> HttpResponse:
    """Why there are no docs to show: unknown job, still running, failed, or missing."""
    if job is None:
        state, status = "unknown", 404
    elif job.status in ACTIVE_STATES:
        # 200: the page is a valid "come back soon" that polls itself.
        state, status = "pending", 200
    elif job.status == Status.COMPLETED:
        # The job finished but its folder was purged or damaged: gone, not "never was".
        state, status = "missing", 410
    else:
        state, status = "failed", 404
    if request.htmx and state != "pending":
        # The polling fragment asked; the job moved on, so reload the whole page.
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    response = TemplateResponse(
        request,
        "docs/state.html",
        {
            "job": job,
            "job_id": job_id,
            "state": state,
            "job_url": job_detail_url(job_id),
            "poll": state == "pending",
        },
        status=status,
    )
    add_never_cache_headers(response)
    return response


def _load(request: HttpRequest, job_id: str) -> tuple[Job | None, DocsFolder | None]:
    job = Job.objects.visible_to(request.user).filter(job_id=job_id).first()
    if job is None or job.status != Status.COMPLETED:
        return job, None
    return job, open_docs(job)


def _view_url(job_id: str, page: str) -> str:
    return f"/docs/{job_id}/{page_url_name(page)}"


def _page_file_name(page: str, pages: frozenset[str]) -> str | None:
    """The listed file a URL segment names: ``''`` is the overview, ``foo`` is ``foo.md``."""
    if page == "":
        return INDEX_PAGE if INDEX_PAGE in pages else None
    name = page + PAGE_SUFFIX
    return name if name in pages else None


def _title(name: str, trail: list[str]) -> str:
    if trail:
        return trail[-1]
    if name == INDEX_PAGE:
        return "Overview"
    return name.removesuffix(PAGE_SUFFIX).rsplit("/", 1)[-1]


def _read_text(folder: DocsFolder, name: str) -> Callable[[], str]:
    def read() -> str:
        data = read_file(folder.path, name)
        if data is None:
            raise Http404("Page not found")
        return data.decode("utf-8", errors="replace")

    return read


def _page_context(job: Job, folder: DocsFolder, name: str | None) -> dict[str, Any]:
    """Everything the page template shows: sidebar, breadcrumbs, metadata, content."""
    pages = folder.pages
    tree = build_tree(folder.read_json(MODULE_TREE_FILE), pages)
    trail = mark_current(tree, name or "", lambda p: _view_url(job.job_id, p))
    path = folder.page_file(name) if name else None
    content = (
        render_cached(folder.relpath, name, path, _read_text(folder, name), pages)
        if name and path
        else ""
    )
    linked = {node.page for node in _walk(tree)}
    appendix_node, appendix_tree = appendix_section(tree)
    return {
        "job": job,
        "page_name": name,
        "title": _title(name or INDEX_PAGE, trail),
        "trail": trail,
        "tree": [node for node in tree if not node.appendix],
        "appendix_title": APPENDIX_TITLE,
        "appendix_node": appendix_node,
        "appendix_tree": appendix_tree,
        # Pages the module tree does not reach stay reachable from the sidebar.
        "other_pages": [
            {"name": p, "url": _view_url(job.job_id, p)}
            for p in sorted(pages - linked - {INDEX_PAGE})
        ],
        "content": content,
        "info": generation_info(folder, job),
        "index_url": _view_url(job.job_id, INDEX_PAGE),
        "job_url": job_detail_url(job.job_id),
        "download_url": f"/docs/{job.job_id}/download.zip",
    }


@require_safe
@with_csp
def docs_page(request: HttpRequest, job_id: str, page: str = "") -> HttpResponseBase:
    job, folder = _load(request, job_id)
    if job is None or folder is None:
        return _state_response(request, job, job_id)
    if request.htmx:
        # A poll from the "still generating" page: the docs are ready now.
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    if page.endswith(PAGE_SUFFIX) and page in folder.pages:
        # Links pasted from the file list land on the canonical URL.
        return redirect(_view_url(job_id, page), permanent=True)
    name = _page_file_name(page, folder.pages)
    if name is None and page != "":
        # Unknown, unlisted, unsafe or symlinked: all the same "no such page".
        context = {**_page_context(job, folder, None), "missing_page": True, "title": "Not found"}
        return TemplateResponse(request, "docs/page.html", context, status=404)
    # name is None here only for a folder without overview.md: sidebar and page list.
    return TemplateResponse(request, "docs/page.html", _page_context(job, folder, name))


def _walk(nodes: Iterable[TreeNode]) -> Iterable[TreeNode]:
    for node in nodes:
        yield node
        yield from _walk(node.children)


def zip_filename(job: Job, info: GenerationInfo) -> str:
    repo = slugify(job.repo_display.replace("/", "-")) or "docs"
    sha = info.short_commit or job.resolved_commit[:7] or "unknown"
    return f"{repo}-{slugify(sha)}-docs.zip"


def build_zip(folder: DocsFolder, prefix: str) -> tempfile.SpooledTemporaryFile[bytes]:
    """A zip of exactly the listed files that are safe to read, under ``prefix/``.

    Spooled: small archives stay in memory, large ones spill to a temp file.
    """
    # Returned open: FileResponse closes it once the response is sent.
    spool: tempfile.SpooledTemporaryFile[bytes] = tempfile.SpooledTemporaryFile(  # noqa: SIM115
        max_size=8 * 1024 * 1024
    )
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in folder.files:
            fd = _open_regular_file(folder.path, name)
            if fd is None:
                logger.warning("Skipping unsafe or missing %r in %s", name, folder.path)
                continue
            with os.fdopen(fd, "rb") as handle:
                mtime = os.fstat(handle.fileno()).st_mtime
                info = zipfile.ZipInfo(
                    f"{prefix}/{name}", datetime.fromtimestamp(mtime).timetuple()[:6]
                )
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, handle.read())
    spool.seek(0)
    return spool


@require_safe
@with_csp
def docs_download(request: HttpRequest, job_id: str) -> HttpResponseBase:
    job, folder = _load(request, job_id)
    if job is None or folder is None:
        return _state_response(request, job, job_id)
    filename = zip_filename(job, generation_info(folder, job))
    archive = build_zip(folder, filename.removesuffix(".zip"))
    return FileResponse(
        archive, as_attachment=True, filename=filename, content_type="application/zip"
    )
