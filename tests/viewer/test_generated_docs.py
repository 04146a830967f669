"""The viewer on real generator output: every page renders and every link lands."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
from django.test import Client

from jobs.docgen import GenerationOptions, generate_docs
from jobs.docs_cache import docs_relpath, docs_root
from jobs.models import Job, Status
from tests.support.gitserve import write_files
from tests.viewer.conftest import GENERATED_SHA as SHA

pytestmark = pytest.mark.django_db


def test_every_generated_page_renders_and_every_link_resolves(
    client: Client, generated_job: Job
) -> None:
    base = f"/docs/{generated_job.job_id}/"
    index = client.get(base)
    assert index.status_code == 200
    html = index.content.decode()
    assert '<pre class="mermaid">' in html, "the overview has an architecture diagram"
    assert f'<code title="{SHA}">{SHA[:7]}</code>' in html

    sidebar = re.search(r'<aside class="docs-sidebar".*?</aside>', html, re.S)
    assert sidebar is not None
    page_urls = set(re.findall(rf'href="({re.escape(base)}[^"]*)"', sidebar.group(0)))
    page_urls.discard(base + "download.zip")
    assert len(page_urls) > 5, "the module tree should link the module pages"

    seen: set[str] = set()
    todo = [base, *sorted(page_urls)]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        content = page.split('<div class="docs-content">', 1)[1]
        assert "<script" not in content and "<img" not in content
        for href in re.findall(r'<a href="([^"#]+)[^"]*"', content):
            if href.startswith(("http://", "https://", "mailto:")):
                continue
            target = urljoin("http://testserver" + url, href).removeprefix("http://testserver")
            assert target.startswith(base), (url, href)
            todo.append(target)
    # Every module page was reached through the sidebar or links.
    md_pages = {
        p for p in (docs_root() / generated_job.docs_path).glob("*.md") if p.name != "overview.md"
    }
    assert {base + p.name.removesuffix(".md") for p in md_pages} <= seen


def _appendix_sidebar(html: str) -> str:
    sidebar = re.search(r'<aside class="docs-sidebar".*?</aside>', html, re.S)
    assert sidebar is not None
    section = re.search(r'<section class="docs-appendix".*?</section>', sidebar.group(0), re.S)
    assert section is not None, "the appendix has its own section in the sidebar"
    return section.group(0)


def test_appendix_children_sit_directly_under_the_appendix_heading(
    client: Client, tmp_path: Path
) -> None:
    repo = write_files(
        tmp_path / "repo",
        {
            "shop/cart.py": "def total(items):\n    '''Sum the prices.'''\n    return 0\n",
            "tests/test_cart.py": "from shop.cart import total\n\n\n"
            "def test_total():\n    assert total([]) == 0\n",
            "benchmarks/bench_cart.py": "from shop.cart import total\n\n\n"
            "def bench():\n    total([])\n",
        },
    )
    relpath = docs_relpath("https://github.com/acme/shop", SHA)
    generate_docs(repo, docs_root() / relpath, GenerationOptions(repo_name="acme/shop"))
    tree = json.loads((docs_root() / relpath / "module_tree.json").read_text(encoding="utf-8"))
    # The generator's appendix: one top node named "appendix" holding the groups.
    assert tree["appendix"]["appendix"] is True and len(tree["appendix"]["children"]) > 1
    job = Job.objects.create(
        job_id="acme--shop-a7b8c9d2",
        repo_url="https://github.com/acme/shop",
        status=Status.COMPLETED,
        docs_path=relpath,
        resolved_commit=SHA,
    )
    base = f"/docs/{job.job_id}/"

    appendix = _appendix_sidebar(client.get(base).content.decode())
    # The heading itself links to the appendix page; no tree item repeats its name.
    assert f'<p class="docs-appendix-title"><a href="{base}appendix">Appendix</a></p>' in appendix
    labels = re.findall(r'title="[^"]*">([^<]+)</a>', appendix)
    assert "appendix" not in labels
    assert sorted(labels) == ["benchmark", "test"]
    first_list = appendix.split("</p>", 1)[1].lstrip()
    assert first_list.startswith('<ul class="docs-tree">')
    assert "<details" not in appendix, "the groups are not folded under an 'appendix' node"

    # On the appendix page, the heading is the current page.
    appendix = _appendix_sidebar(client.get(base + "appendix").content.decode())
    assert f'<a href="{base}appendix" aria-current="page">Appendix</a>' in appendix
