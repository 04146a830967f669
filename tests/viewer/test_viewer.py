"""The viewer pages: layout, sidebar, metadata, caching headers, job states."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client

from jobs import markdown_render
from jobs.docs_viewer import CONTENT_SECURITY_POLICY, build_tree, mark_current, node_label
from jobs.models import Job, Status
from tests.viewer.conftest import SHA

pytestmark = pytest.mark.django_db


def test_index_renders_overview_with_sidebar_and_metadata(client: Client, docs_job: Job) -> None:
    response = client.get(f"/docs/{docs_job.job_id}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1" in html and "Widgets overview" in html
    # Generation info from metadata.json.
    assert "test-model-7b" in html
    assert f'<code title="{SHA}">{SHA[:7]}</code>' in html
    assert "2026-11-28 15:30" in html
    assert "<dd>42</dd>" in html
    # Sidebar from module_tree.json: nested, linked to existing pages.
    assert f'href="/docs/{docs_job.job_id}/core"' in html
    assert f'href="/docs/{docs_job.job_id}/storage"' in html
    assert re.search(r'<a href="/docs/[^"]+/" aria-current="page">Overview</a>', html)
    # Assets: local mermaid, no CDN, our stylesheet and script.
    assert '<script src="/static/vendor/mermaid.min.js" defer></script>' in html
    assert '<script src="/static/js/docs.js" defer></script>' in html
    assert "/static/css/docs.css" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "no inline scripts (CSP)"
    # Every script and stylesheet is served by us (a random CSRF token may spell "cdn").
    external = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="((?:https?:)?//[^"]*)"', html)
    assert external == []
    assert f'href="/docs/{docs_job.job_id}/download.zip"' in html
    assert f'href="/jobs/{docs_job.job_id}/"' in html


def test_page_highlights_current_and_shows_breadcrumbs(client: Client, docs_job: Job) -> None:
    response = client.get(f"/docs/{docs_job.job_id}/storage")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>storage · acme/widgets · CodeWiki</title>" in html
    assert re.search(
        r'<a href="/docs/[^"]+/storage" aria-current="page" '
        r'title="core/storage">storage</a>',
        html,
    )
    # storage is a child of core: the core branch is open.
    assert re.search(
        r'<details open>\s*<summary>\s*<a href="/docs/[^"]+/core" title="core">core</a>',
        html,
    )
    crumbs = re.search(r'<nav class="docs-breadcrumbs".*?</nav>', html, re.S)
    assert crumbs is not None
    crumb_text = re.sub(r"<[^>]+>|\s+", " ", crumbs.group(0)).split()
    assert crumb_text == ["CodeWiki", "acme/widgets", "core", "storage"]


def test_links_between_pages_work_from_the_viewer(client: Client, docs_job: Job) -> None:
    html = client.get(f"/docs/{docs_job.job_id}/core").content.decode()
    assert 'href="./"' in html and 'href="./storage"' in html
    # Relative to /docs/<job>/core, "./storage" is /docs/<job>/storage.
    assert client.get(f"/docs/{docs_job.job_id}/storage").status_code == 200


def test_md_suffix_redirects_to_canonical_url(client: Client, docs_job: Job) -> None:
    response = client.get(f"/docs/{docs_job.job_id}/core.md")
    assert response.status_code == 301
    assert response["Location"] == f"/docs/{docs_job.job_id}/core"
    response = client.get(f"/docs/{docs_job.job_id}/overview.md")
    assert response["Location"] == f"/docs/{docs_job.job_id}/"


def test_security_headers(client: Client, docs_job: Job) -> None:
    response = client.get(f"/docs/{docs_job.job_id}/core")
    csp = response["Content-Security-Policy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "unsafe-eval" not in csp and "script-src 'self' 'unsafe-inline'" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"


def test_repository_html_is_inert_in_the_page(client: Client, make_job: Callable[..., Job]) -> None:
    job = make_job(
        pages={
            "overview.md": (
                "# Evil\n\n<script>window.__pwned=1</script>\n\n"
                '<img src=x onerror="window.__pwned=1">\n\n[x](javascript:alert(1))\n'
            )
        }
    )
    html = client.get(f"/docs/{job.job_id}/").content.decode()
    content = html.split('<div class="docs-content">', 1)[1]
    assert "<script>" not in content
    assert "<img" not in content
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in content


def test_post_is_not_allowed(client: Client, docs_job: Job) -> None:
    assert client.post(f"/docs/{docs_job.job_id}/").status_code == 405


def test_pages_are_rendered_once_then_cached(
    client: Client, docs_job: Job, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = markdown_render.render_markdown

    def counting(text: str, **kwargs: object) -> str:
        calls.append(str(kwargs.get("page")))
        return real(text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(markdown_render, "render_markdown", counting)
    for _ in range(3):
        assert client.get(f"/docs/{docs_job.job_id}/core").status_code == 200
    assert calls == ["core.md"]


def test_jobs_sharing_a_docs_folder_share_rendered_pages(
    client: Client, make_job: Callable[..., Job]
) -> None:
    first = make_job()
    second = make_job(job_id="acme--widgets-second22", write=False)
    assert first.docs_path == second.docs_path
    client.get(f"/docs/{first.job_id}/core")
    html = client.get(f"/docs/{second.job_id}/core").content.decode()
    # Cached HTML holds relative links only, so it is right for the second job too.
    assert first.job_id not in html.split('<div class="docs-content">', 1)[1]
    assert f'href="/docs/{second.job_id}/storage"' in html


def test_index_without_overview_lists_pages(client: Client, make_job: Callable[..., Job]) -> None:
    job = make_job(pages={"core.md": "# Core\n", "extra.md": "# Extra\n"})
    response = client.get(f"/docs/{job.job_id}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "no overview page" in html
    assert f'href="/docs/{job.job_id}/core"' in html
    # A page not in the module tree is still reachable from the sidebar.
    assert f'href="/docs/{job.job_id}/extra"' in html


# --- states ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "text"),
    [
        (Status.QUEUED, 200, 'is <strong class="docs-status">queued</strong>'),
        (Status.PROCESSING, 200, 'is <strong class="docs-status">processing</strong>'),
        (Status.FAILED, 404, 'is <strong class="docs-status">failed</strong>'),
        (Status.CANCELLED, 404, 'is <strong class="docs-status">cancelled</strong>'),
    ],
)
def test_unfinished_jobs_get_a_clear_page(
    client: Client, make_job: Callable[..., Job], status: str, code: int, text: str
) -> None:
    job = make_job(status)
    for url in (
        f"/docs/{job.job_id}/",
        f"/docs/{job.job_id}/core",
        f"/docs/{job.job_id}/download.zip",
    ):
        response = client.get(url)
        assert response.status_code == code, url
        html = response.content.decode()
        assert text in html
        assert f'href="/jobs/{job.job_id}/"' in html
        assert "no-cache" in response["Cache-Control"]
    polling = 'hx-trigger="every 3s"' in html
    assert polling == (status in (Status.QUEUED, Status.PROCESSING))
    if status == Status.PROCESSING:
        assert '<progress max="100" value="30">' in html
        assert "Parsing 12 of 40 files" in html
    if status == Status.FAILED:
        assert "Clone failed: repository not found" in html


def test_unknown_job_is_404(client: Client, db: None) -> None:
    for url in ("/docs/no-such-job/", "/docs/no-such-job/core", "/docs/no-such-job/download.zip"):
        response = client.get(url)
        assert response.status_code == 404
        assert "No such job" in response.content.decode()
        assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_completed_job_with_vanished_docs_is_410(
    client: Client, docs_job: Job, docs_dir: Path
) -> None:
    shutil.rmtree(docs_dir)
    for url in (f"/docs/{docs_job.job_id}/", f"/docs/{docs_job.job_id}/download.zip"):
        response = client.get(url)
        assert response.status_code == 410
        html = response.content.decode()
        assert "Documentation is missing" in html
        assert "Retry the job" in html


def test_completed_job_with_broken_metadata_is_410(
    client: Client, docs_job: Job, docs_dir: Path
) -> None:
    (docs_dir / "metadata.json").write_text("{not json")
    assert client.get(f"/docs/{docs_job.job_id}/").status_code == 410


def test_completed_job_with_escaping_docs_path_is_410(client: Client, docs_job: Job) -> None:
    Job.objects.filter(pk=docs_job.pk).update(docs_path="../../etc")
    assert client.get(f"/docs/{docs_job.job_id}/").status_code == 410


def test_polling_reloads_when_the_job_finishes(
    client: Client, make_job: Callable[..., Job]
) -> None:
    job = make_job(Status.PROCESSING)
    url = f"/docs/{job.job_id}/"
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "HX-Refresh" not in response
    # The job fails: the poll asks htmx to reload so the failure page shows.
    Job.objects.filter(pk=job.pk).update(status=Status.FAILED)
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 204 and response["HX-Refresh"] == "true"


def test_polling_reloads_when_docs_are_ready(client: Client, docs_job: Job) -> None:
    response = client.get(f"/docs/{docs_job.job_id}/", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response["HX-Refresh"] == "true"


# --- the module tree -----------------------------------------------------------------


def test_tree_links_only_existing_pages_and_survives_junk() -> None:
    raw = {
        "core": {"children": {"gone": {}, "storage": {"children": None}}},
        "Web UI": {"components": []},
        "junk": "not a node",
    }
    tree = build_tree(raw, frozenset({"core.md", "storage.md", "Web_UI.md"}))
    assert [n.name for n in tree] == ["core", "Web UI"]
    assert tree[0].page == "core.md"
    assert [(c.name, c.page) for c in tree[0].children] == [
        ("gone", None),
        ("storage", "storage.md"),
    ]
    assert tree[1].page == "Web_UI.md"
    trail = mark_current(tree, "storage.md", lambda p: "/" + p)
    assert trail == ["core", "storage"]
    assert tree[0].open and not tree[0].current and tree[0].children[1].current


def test_absurdly_deep_tree_is_cut_off() -> None:
    raw: dict[str, object] = {}
    node = raw
    for depth in range(500):
        child: dict[str, object] = {}
        node[f"m{depth}"] = {"children": child}
        node = child
    tree = build_tree(raw, frozenset())
    depth = 0
    while tree:
        depth += 1
        tree = tree[0].children
    assert depth == 12


@pytest.mark.parametrize(
    ("name", "path", "parent_name", "parent_path", "label"),
    [
        ("jobs", "jobs", "", "", "jobs"),
        ("jobs-docgen", "jobs/docgen", "jobs", "jobs", "docgen"),
        ("jobs-docgen-parsers", "jobs/docgen/parsers", "jobs-docgen", "jobs/docgen", "parsers"),
        # A big folder split into several pages shares the parent's path.
        ("jobs-a.py-to-f.py", "jobs", "jobs", "jobs", "a.py-to-f.py"),
        ("root", "", "", "", "root"),
        ("other", "elsewhere/x", "jobs", "jobs", "elsewhere/x"),
    ],
)
def test_sidebar_labels(
    name: str, path: str, parent_name: str, parent_path: str, label: str
) -> None:
    assert node_label(name, path, parent_name, parent_path) == label


def test_appendix_is_a_separate_group_in_the_sidebar(
    client: Client, make_job: Callable[..., Job]
) -> None:
    tree = {
        "core": {"path": "core", "components": [], "children": {}},
        "appendix": {
            "path": "",
            "components": [],
            "appendix": True,
            "children": {
                "appendix-test": {
                    "path": "tests",
                    "components": [],
                    "appendix": True,
                    "role": "test",
                    "children": {},
                }
            },
        },
    }
    pages = {"overview.md": "# Demo\n", "core.md": "# core\n", "appendix.md": "# Appendix\n"}
    pages["appendix-test.md"] = "# Tests\n"
    job = make_job(pages=pages, tree=tree)
    html = client.get(f"/docs/{job.job_id}/core").content.decode()
    main, _, rest = html.partition('<section class="docs-appendix"')
    assert rest, "the appendix has its own section in the sidebar"
    appendix = rest.split("</section>", 1)[0]
    assert f'href="/docs/{job.job_id}/core"' in main
    assert f'href="/docs/{job.job_id}/appendix"' not in main
    assert f'href="/docs/{job.job_id}/appendix"' in appendix
    assert f'href="/docs/{job.job_id}/appendix-test"' in appendix


def test_an_appendix_node_named_otherwise_stays_a_node_under_the_heading(
    client: Client, make_job: Callable[..., Job]
) -> None:
    tree = {
        "core": {"path": "core", "components": [], "children": {}},
        "tooling": {"path": "tooling", "components": [], "appendix": True, "children": {}},
    }
    pages = {"overview.md": "# Demo\n", "core.md": "# core\n", "tooling.md": "# Tooling\n"}
    html = client.get(f"/docs/{make_job(pages=pages, tree=tree).job_id}/core").content.decode()
    appendix = html.split('<section class="docs-appendix"', 1)[1].split("</section>", 1)[0]
    assert '<p class="docs-appendix-title">Appendix</p>' in appendix
    assert re.search(r'href="/docs/[^"]+/tooling" title="tooling">tooling</a>', appendix)
