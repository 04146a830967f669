"""The dashboard in a real Chromium: live updates, staff cancel, no buttons for anonymous.

Run with ``pytest -m browser tests/dashboard``. A real ``runworker`` subprocess
processes the jobs; repositories come from the loopback git servers.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from jobs import services
from jobs.models import Job, Repository, Status
from tests.conftest import GitServer
from tests.dashboard.conftest import build_job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


def watch_statuses(page: Page, job_id: str, until: str, timeout: float = 60) -> list[str]:
    """The row's successive states as the page shows them, sampled every 100 ms."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    row = page.locator(f"#job-{job_id}")
    while time.monotonic() < deadline:
        status = row.get_attribute("data-status", timeout=5000)
        if status and (not seen or seen[-1] != status):
            seen.append(status)
        if status == until:
            return seen
        page.wait_for_timeout(100)
    raise AssertionError(f"row never reached {until}; saw {seen}")


def login(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/admin/login/?next=/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/")


def test_submit_and_watch_the_row_go_live(
    live_server: Any, page: Page, git_server: GitServer, worker_process: Any
) -> None:
    # The pack is held back a few seconds so "processing" lasts over a poll or two.
    url = git_server.make_slow_repo("acme/live", seconds=6)
    worker_process()
    page.goto(f"{live_server.url}/")
    expect(page.locator("text=No jobs yet")).to_be_visible()
    page.evaluate("window.__marker = 'same-page'")

    page.fill("#id_repo_url", url)
    page.click("button:has-text('Generate docs')")
    notice = page.locator("#submit-notice")
    expect(notice).to_contain_text("Queued")
    job = Job.objects.get()
    expect(page.locator(f"#job-{job.job_id}")).to_be_visible()
    assert page.locator("#live").get_attribute("data-polling") == "on"
    shot(page, "queued")

    seen = watch_statuses(page, job.job_id, until=Status.COMPLETED, timeout=90)
    assert seen[0] in (Status.QUEUED, Status.PROCESSING), seen
    assert Status.PROCESSING in seen and seen[-1] == Status.COMPLETED, seen
    # No navigation happened: the same document was updated in place.
    assert page.evaluate("window.__marker") == "same-page"
    # Nothing is active any more: the last poll answered 286 and polling stopped.
    expect(page.locator("#live")).to_have_attribute("data-polling", "off")
    expect(page.locator(f"#job-{job.job_id} .badge")).to_have_text("Completed")
    shot(page, "completed")

    with page.expect_navigation():
        page.click(f"#job-{job.job_id} a.docs-link")
    assert page.url == f"{live_server.url}/docs/{job.job_id}/"
    expect(page.locator("body")).to_contain_text("acme/live")


def test_staff_cancels_a_running_job(
    live_server: Any, page: Page, git_server: GitServer, worker_process: Any
) -> None:
    User.objects.create_user("operator", password="pw-operator-123", is_staff=True)
    url = git_server.make_slow_repo("acme/slow", seconds=60)
    job = services.submit(url).job
    worker_process()
    login(page, live_server.url, "operator", "pw-operator-123")
    page.goto(f"{live_server.url}/jobs/{job.job_id}/")
    expect(page.locator("#job-status")).to_have_text("Processing", timeout=30_000)
    shot(page, "detail-processing")

    started = time.monotonic()
    page.click("button[data-action=cancel]")
    expect(page.locator(".messages")).to_contain_text("Stopping job")
    # The detail page keeps polling and shows the worker's outcome without a reload.
    expect(page.locator("#job-status")).to_have_text("Cancelled", timeout=15_000)
    job.refresh_from_db()
    assert job.status == Status.CANCELLED
    assert time.monotonic() - started < 10  # worker stops the child within ~5 s + one poll
    expect(page.locator("button[data-action=retry]")).to_be_visible()
    shot(page, "detail-cancelled")


def test_anonymous_visitor_sees_no_action_buttons(live_server: Any, page: Page) -> None:
    jobs = [build_job(state) for state in Status.values]
    page.goto(f"{live_server.url}/")
    expect(page.locator("tr.job-row")).to_have_count(len(jobs))
    assert page.locator("[data-action]").count() == 0
    page.goto(f"{live_server.url}/jobs/{jobs[3].job_id}/")
    assert page.locator("[data-action]").count() == 0
    # Even a hand-made POST is refused.
    status = page.evaluate(
        """async (url) => {
            const token = document.querySelector('[name=csrfmiddlewaretoken]')?.value
              || JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
            const r = await fetch(url, {method: 'POST', headers: {'X-CSRFToken': token}});
            return r.status;
        }""",
        f"/jobs/{jobs[3].job_id}/retry",
    )
    assert status == 403
    assert Job.objects.get(pk=jobs[3].pk).status == jobs[3].status


def test_layout_on_a_phone_in_dark_mode(live_server: Any, page: Page) -> None:
    for state in Status.values:
        build_job(state)
    page.set_viewport_size({"width": 390, "height": 844})
    page.emulate_media(color_scheme="dark")
    page.goto(f"{live_server.url}/")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(15, 20, 25)"
    # No horizontal scrolling of the whole page on a narrow screen.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, "phone-dark")


def test_polling_pauses_while_the_tab_is_hidden(live_server: Any, page: Page) -> None:
    build_job(Status.QUEUED)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if r.headers.get("hx-request") else None)
    page.goto(f"{live_server.url}/")
    wait_in_page(page, lambda: len(requests) >= 1, timeout=10, what="a first poll")
    set_visibility(page, "hidden")
    page.wait_for_timeout(500)
    before = len(requests)
    page.wait_for_timeout(7000)  # two poll intervals
    assert len(requests) == before
    set_visibility(page, "visible")
    wait_in_page(page, lambda: len(requests) > before, timeout=5, what="polling to resume")


def wait_in_page(page: Page, predicate: Any, timeout: float, what: str) -> None:
    """Like ``wait_for``, but lets Playwright deliver its events while waiting
    (a plain ``time.sleep`` blocks the sync API's event dispatch)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        page.wait_for_timeout(100)


def set_visibility(page: Page, state: str) -> None:
    page.evaluate(
        """(state) => {
            Object.defineProperty(document, 'visibilityState', {value: state, configurable: true});
            document.dispatchEvent(new Event('visibilitychange'));
        }""",
        state,
    )


def test_repositories_and_prose_fields_fit_the_screen(live_server: Any, page: Page) -> None:
    """Long dotted names, branches and refresh errors wrap instead of pushing columns off."""
    url = "https://gitlab.com/long-group-name/nested-subgroup-with-long-name/three.js-fork-x"
    job = build_job(
        Status.COMPLETED,
        repo=url,
        resolved_commit="a" * 40,
        main_model="HuggingFaceTB/SmolLM2-135M-Instruct-GGUF-Q4_K_M",
        prose_status="completed",
        prose_note="12 of 12 pages written; 3 answers reused from the cache",
        llm_calls=12,
        llm_calls_reused=3,
        llm_tokens_in=123456,
        llm_tokens_out=23456,
    )
    Repository.objects.create(
        url=url,
        branch="feature/some-really-long-branch-name",
        latest_job=job,
        last_checked_at=job.completed_at,
        last_check_error="Failed to clone repository: unable to access "
        f"'{url}/': Could not resolve host: gitlab.com (and a long explanation follows)",
    )
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/repositories/")
        fits = "(e) => e.scrollWidth <= e.clientWidth + 1"
        assert page.locator(".table-scroll").evaluate(fits) or width < 600, "columns cut off"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        shot(page, f"repositories-{width}")
        page.goto(f"{live_server.url}/jobs/{job.job_id}/")
        expect(page.get_by_text("12 made, 3 reused from the answer cache")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        shot(page, f"job-prose-{width}")
