"""The viewer on real generator output: every page renders and every link lands."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest
from django.test import Client

from jobs.docs_cache import docs_root
from jobs.models import Job
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
