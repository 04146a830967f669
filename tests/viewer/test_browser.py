"""A real Chromium loads the viewer: diagrams are drawn, repository scripts never run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Dialog, Page, Route

from jobs.docs_cache import docs_relpath, docs_root
from jobs.models import Job, Status
from tests.viewer.conftest import DEFAULT_PAGES, SHA, write_docs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

HOSTILE_MD = """\
# Hostile page

<script>window.__pwned=1</script>

<img src=x onerror="window.__pwned=1;alert('img')">

[click me](javascript:window.__pwned=1)

```mermaid
graph TD
    A["<img src=x onerror='window.__pwned=1;alert(1)'>"] --> B["<script>window.__pwned=1</script>"]
    B --> C[Safe label]
    click C call alert("click")
```

```mermaid
%%{init: {"securityLevel": "loose"}}%%
flowchart LR
    X["<b onmouseover=alert(1)>bold</b>"] --> Y
    click X href "javascript:window.__pwned=1"
```

```python
print("<script>window.__pwned=1</script>")
```
"""


@pytest.fixture
def hostile_job(make_job: Callable[..., Job]) -> Job:
    return make_job(pages={"overview.md": HOSTILE_MD, "core.md": "# Core\n\nPlain page.\n"})


def _watch(page: Page) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {"dialogs": [], "page_errors": [], "requests": []}

    def on_dialog(dialog: Dialog) -> None:
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda exc: seen["page_errors"].append(str(exc)))
    page.on("request", lambda request: seen["requests"].append(request.url))
    return seen


def _strip_csp(route: Route) -> None:
    response = route.fetch()
    headers = {k: v for k, v in response.headers.items() if k != "content-security-policy"}
    route.fulfill(response=response, headers=headers)


@pytest.mark.parametrize("csp", ["with-csp", "without-csp"])
def test_mermaid_draws_and_repository_html_never_runs(
    live_server: Any, page: Page, hostile_job: Job, csp: str
) -> None:
    """Run twice: the second time the CSP header is removed in flight, to show the
    sanitising alone keeps repository markup inert (the CSP is a second fence)."""
    if csp == "without-csp":
        page.route("**/docs/**", _strip_csp)
    seen = _watch(page)
    response = page.goto(f"{live_server.url}/docs/{hostile_job.job_id}/")
    assert response is not None and response.ok
    assert ("content-security-policy" in response.headers) == (csp == "with-csp")

    # Mermaid replaces each <pre class="mermaid"> text with an SVG.
    page.wait_for_selector("pre.mermaid svg", timeout=20_000)
    page.wait_for_function(
        "document.querySelectorAll('pre.mermaid').length === "
        "document.querySelectorAll('pre.mermaid svg').length",
        timeout=20_000,
    )
    assert page.locator("pre.mermaid svg").count() == 2
    # Drawn diagrams, not mermaid's "Syntax error" picture.
    assert page.locator('pre.mermaid svg[aria-roledescription="error"]').count() == 0
    assert "Safe label" in page.locator("pre.mermaid svg").first.inner_html()

    # Give any injected handler a chance to fire: hover and click everything drawn.
    for node in page.locator("pre.mermaid svg .node").all():
        node.hover()
        node.click()
    page.wait_for_timeout(500)

    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert seen["dialogs"] == []
    assert seen["page_errors"] == []
    # No element from the repository made it into the DOM as markup.
    assert page.locator(".docs-content script").count() == 0
    assert page.locator(".docs-content img, .docs-content [onerror]").count() == 0
    assert page.locator(".docs-content [onmouseover], .docs-content [onclick]").count() == 0
    assert page.locator('a[href^="javascript:"]').count() == 0
    # The raw HTML is shown to the reader as text.
    assert "<script>window.__pwned=1</script>" in page.locator(".docs-content").inner_text()
    # Only our own assets were fetched: no CDN, and no image a diagram label asked for.
    assert all(url.startswith(live_server.url) for url in seen["requests"]), seen["requests"]
    fetched = {url.removeprefix(live_server.url) for url in seen["requests"]}
    assert f"/docs/{hostile_job.job_id}/x" not in fetched
    assert "/static/vendor/mermaid.min.js" in fetched

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"docs-viewer-mermaid-{csp}.png"), full_page=True)


def test_sidebar_navigation_in_the_browser(live_server: Any, page: Page, hostile_job: Job) -> None:
    page.goto(f"{live_server.url}/docs/{hostile_job.job_id}/")
    page.locator(".docs-sidebar").get_by_role("link", name="core", exact=True).click()
    page.wait_for_url(f"{live_server.url}/docs/{hostile_job.job_id}/core")
    assert page.locator(".docs-content h1").inner_text() == "Core"
    current = page.locator('.docs-sidebar a[aria-current="page"]')
    assert current.inner_text() == "core"
    # The page sends the viewer's CSP.
    response = page.request.get(f"{live_server.url}/docs/{hostile_job.job_id}/core")
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_generated_docs_draw_every_diagram(
    live_server: Any, page: Page, generated_job: Job
) -> None:
    """Real generator output: each page's diagrams parse and draw in the browser."""
    seen = _watch(page)
    base = f"{live_server.url}/docs/{generated_job.job_id}/"
    page.goto(base)
    links = page.locator(".docs-sidebar nav a").evaluate_all("els => els.map(e => e.href)")
    assert len(links) > 5
    drawn = 0
    for url in [base, *links[:12]]:
        page.goto(url)
        expected = page.locator("pre.mermaid").count()
        if expected:
            page.wait_for_function(
                f"document.querySelectorAll('pre.mermaid svg').length === {expected}",
                timeout=20_000,
            )
            errors = page.locator('pre.mermaid svg[aria-roledescription="error"]').count()
            assert errors == 0, f"mermaid could not parse a diagram on {url}"
            drawn += expected
        if url == base:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "docs-viewer-generated.png"), full_page=True)
    assert drawn >= 2
    assert seen["page_errors"] == [] and seen["dialogs"] == []


def test_pending_page_polls_and_shows_docs_when_ready(
    live_server: Any, page: Page, make_job: Callable[..., Job]
) -> None:
    """htmx polling works under the CSP and reloads into the docs once the job completes."""
    seen = _watch(page)
    job = make_job(Status.PROCESSING)
    page.goto(f"{live_server.url}/docs/{job.job_id}/")
    assert page.locator("h1").first.inner_text() == "Documentation is being generated"
    # Let at least one poll run while the job is still processing.
    page.wait_for_timeout(3_500)
    relpath = docs_relpath(job.repo_url, SHA)
    write_docs(docs_root() / relpath, DEFAULT_PAGES)
    Job.objects.filter(pk=job.pk).update(
        status=Status.COMPLETED, docs_path=relpath, resolved_commit=SHA
    )
    page.wait_for_selector(".docs-content h1", timeout=15_000)
    assert page.locator(".docs-content h1").inner_text() == "Widgets overview"
    page.wait_for_selector("pre.mermaid svg", timeout=20_000)
    assert seen["page_errors"] == []
