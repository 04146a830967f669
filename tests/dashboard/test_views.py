"""Dashboard, job detail, submit form and staff actions over the Django test client."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from jobs.models import Job, JobAttempt, Status
from tests.dashboard.conftest import add_attempt, build_job

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
STATES = [Status.QUEUED, Status.PROCESSING, Status.COMPLETED, Status.FAILED, Status.CANCELLED]


def row_ids(html: str) -> list[str]:
    return re.findall(r'<tr id="job-([^"]+)"', html)


def count_for(html: str, state: str) -> str:
    match = re.search(rf'data-state="{state}">([^<]*)<', html)
    assert match, f"no count for {state}"
    return match.group(1)


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- dashboard -------------------------------------------------------------------


def test_empty_dashboard_says_what_to_do(client: Client) -> None:
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "No jobs yet" in html and "Generate docs" in html
    assert "<title>Jobs (0) · CodeWiki</title>" in html
    assert 'data-polling="off"' in html  # nothing to watch: no poll trigger at all
    assert "No worker has reported" in html


def test_all_tab_lists_every_state_newest_first_with_counts(client: Client) -> None:
    jobs = [build_job(s, created_ago=timedelta(minutes=10 - i)) for i, s in enumerate(STATES)]
    html = client.get("/").content.decode()
    assert row_ids(html) == [j.job_id for j in reversed(jobs)]
    for state in STATES:
        assert count_for(html, state) == "1"
    assert count_for(html, "all") == "5"
    assert response_title(html) == "Jobs (5) · CodeWiki"


def response_title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html)
    assert match
    return match.group(1)


@pytest.mark.parametrize("state", STATES)
def test_each_state_tab_shows_only_that_state(client: Client, state: str) -> None:
    mine = build_job(state)
    others = [build_job(s) for s in STATES if s != state]
    html = client.get(f"/?state={state}").content.decode()
    assert row_ids(html) == [mine.job_id]
    assert all(o.job_id not in row_ids(html) for o in others)
    assert response_title(html) == f"{state.capitalize()} (1) · CodeWiki"
    assert f'class="tab tab-{state}" href="/?state={state}"' in html
    assert 'aria-current="page"' in html


def test_row_shows_state_specific_details(client: Client, make_worker: Any) -> None:
    worker = make_worker()
    running = build_job(Status.PROCESSING, worker=worker, commit_id="v1.2")
    done = build_job(Status.COMPLETED, resolved_commit="a" * 40)
    failed = build_job(Status.FAILED, error_message="Clone failed: <nope>")
    html = client.get("/").content.decode()
    # Progress bar, percent and text while processing.
    assert 'aria-valuenow="42"' in html and "42%" in html and "Analysing files" in html
    assert "v1.2" in html
    # Docs link only for the completed job, short sha shown.
    assert f'href="/docs/{done.job_id}/"' in html
    assert f'href="/docs/{running.job_id}/"' not in html
    assert "aaaaaaaaaaaa" in html
    # The error message, escaped.
    assert "Clone failed: &lt;nope&gt;" in html and "<nope>" not in html
    # Repository as owner/name linked to its host.
    assert f'href="{failed.repo_url}"' in html and ">owner/" in html
    # Times: relative text, absolute on hover.
    assert re.search(r'<time datetime="[^"]+" title="\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC">', html)
    # Workers panel shows the worker and its running job.
    assert f"{worker.hostname}:{worker.pid}" in html
    assert f'href="/jobs/{running.job_id}/"' in html


def test_stale_worker_is_marked(client: Client, make_worker: Any) -> None:
    make_worker("fresh", 1)
    make_worker("gone", 2, stale=True)
    html = client.get("/").content.decode()
    stale = r'class="worker stale">\s*<div class="worker-head">\s*<span[^>]*>'
    assert re.search(stale + "gone:2", html)
    assert not re.search(stale + "fresh", html)


def test_queue_depth_and_oldest_queued_age(client: Client) -> None:
    build_job(Status.QUEUED, created_ago=timedelta(minutes=7))
    build_job(Status.QUEUED, created_ago=timedelta(minutes=1))
    html = client.get("/").content.decode()
    assert '<dd id="queue-depth">2</dd>' in html
    assert re.search(r'<dd id="oldest-queued"><time [^>]*>7 min( \d+ s)?</time>', html)


def test_chart_counts_last_24_hours_only(client: Client) -> None:
    now = timezone.now()
    build_job(Status.COMPLETED, completed_at=now - timedelta(hours=1))
    build_job(Status.COMPLETED, completed_at=now - timedelta(hours=2))
    build_job(Status.FAILED, completed_at=now - timedelta(hours=3))
    build_job(Status.COMPLETED, completed_at=now - timedelta(days=3))  # outside the window
    html = client.get("/").content.decode()
    assert "2 completed" in html and "1 failed" in html
    assert html.count('class="bar-completed"') == 2
    assert html.count('class="bar-failed"') == 1
    assert "<svg" in html


def test_search_is_a_repository_prefix(client: Client) -> None:
    django = build_job(Status.COMPLETED, repo="https://github.com/django/django")
    channels = build_job(Status.COMPLETED, repo="https://github.com/django/channels")
    other = build_job(Status.COMPLETED, repo="https://gitlab.com/someone/djangoish")
    for term, expected in [
        ("django", {django.job_id, channels.job_id}),
        ("Django/dj", {django.job_id}),
        ("github.com/django/c", {channels.job_id}),
        ("https://github.com/django/django", {django.job_id}),
        ("someone", {other.job_id}),
        ("ango", set()),  # a prefix match, not contains: see filters.py
    ]:
        html = client.get("/", {"q": term}).content.decode()
        assert set(row_ids(html)) == expected, term
    html = client.get("/", {"q": "nomatch"}).content.decode()
    assert "No jobs for repositories starting with" in html and "Clear the search" in html


def test_search_also_filters_counts(client: Client) -> None:
    build_job(Status.FAILED, repo="https://github.com/django/django")
    build_job(Status.FAILED, repo="https://github.com/flask/flask")
    html = client.get("/", {"q": "django", "state": "failed"}).content.decode()
    assert count_for(html, "failed") == "1"
    assert 'href="/?state=failed&amp;q=django"' in html


def test_keyset_pagination_fifty_a_page(client: Client) -> None:
    jobs = [build_job(Status.COMPLETED, created_ago=timedelta(minutes=200 - i)) for i in range(60)]
    html = client.get("/").content.decode()
    assert row_ids(html) == [j.job_id for j in reversed(jobs)][:50]
    next_url = re.search(r'<a class="button subtle" href="([^"]+)" rel="next">', html)
    assert next_url
    html2 = client.get(next_url.group(1).replace("&amp;", "&")).content.decode()
    assert row_ids(html2) == [j.job_id for j in reversed(jobs)][50:]
    assert 'rel="next"' not in html2 and "« Newest" in html2


def test_bad_cursor_redirects_with_a_message(client: Client) -> None:
    response = client.get("/?cursor=%%%garbage")
    assert response.status_code == 303
    assert "no longer valid" in messages_of(response)[0]


def test_unknown_state_shows_all(client: Client) -> None:
    build_job(Status.FAILED)
    response = client.get("/?state=exploded")
    assert response.status_code == 200
    assert len(row_ids(response.content.decode())) == 1


# --- polling -------------------------------------------------------------------


def test_page_polls_only_while_visible_jobs_are_active(client: Client) -> None:
    build_job(Status.QUEUED)
    html = client.get("/").content.decode()
    assert 'data-polling="on"' in html
    assert "hx-trigger=\"every 3s [document.visibilityState === 'visible']" in html
    assert 'hx-sync="#panel:drop"' in html
    # The completed tab has nothing active: no trigger.
    assert 'data-polling="off"' in client.get("/?state=completed").content.decode()


def test_fragment_is_the_live_partial_and_varies_on_hx_request(client: Client) -> None:
    job = build_job(Status.PROCESSING)
    response = client.get("/", **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    assert html.lstrip().startswith('<div id="live"')
    assert "<html" not in html and "submit-form" not in html
    assert job.job_id in html and 'data-polling="on"' in html
    assert "HX-Request" in client.get("/")["Vary"]


def test_fragment_answers_286_when_nothing_is_active(client: Client) -> None:
    job = build_job(Status.PROCESSING)
    Job.objects.filter(pk=job.pk).update(status=Status.COMPLETED, completed_at=timezone.now())
    response = client.get("/", **HX)
    assert response.status_code == 286
    html = response.content.decode()
    # The final state is still delivered (htmx swaps it) but without a trigger.
    assert f'href="/docs/{job.job_id}/"' in html and 'data-polling="off"' in html


def test_fragment_keeps_filter_in_poll_url(client: Client) -> None:
    build_job(Status.QUEUED, repo="https://github.com/django/django")
    html = client.get("/", {"state": "queued", "q": "django"}, **HX).content.decode()
    assert 'hx-get="/?state=queued&amp;q=django"' in html


# --- submit -------------------------------------------------------------------


def test_submit_creates_job_and_redirects(client: Client, settings: Any) -> None:
    response = client.post("/jobs/submit", {"repo_url": "https://github.com/Django/Django"})
    assert response.status_code == 303 and response["Location"] == "/"
    job = Job.objects.get()
    assert job.repo_url == "https://github.com/django/django" and job.status == Status.QUEUED
    assert "Queued" in messages_of(response)[0]


def test_submit_shows_existing_job_on_dedupe(client: Client) -> None:
    existing = build_job(Status.PROCESSING, repo="https://github.com/django/django")
    response = client.post("/jobs/submit", {"repo_url": "github.com/django/django"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "already processing" in html and f'href="/jobs/{existing.job_id}/"' in html
    assert Job.objects.count() == 1


def test_submit_error_is_shown_inline_next_to_the_field(client: Client) -> None:
    response = client.post("/jobs/submit", {"repo_url": "git@github.com:a/b.git"})
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'class="field-error" id="id_repo_url-error"[^>]*>SSH URLs', html)
    assert 'value="git@github.com:a/b.git"' in html  # the input is kept
    assert not Job.objects.exists()


def test_submit_bad_commit_error_on_commit_field(client: Client) -> None:
    response = client.post(
        "/jobs/submit", {"repo_url": "https://github.com/a/b", "commit_id": "../etc"}, **HX
    )
    assert response.status_code == 200  # htmx swaps only 2xx responses
    assert 'id="id_commit_id-error"' in response.content.decode()


def test_submit_queue_full_is_a_form_error(client: Client, settings: Any) -> None:
    settings.CODEWIKI_QUEUE_SIZE = 1
    build_job(Status.QUEUED)
    html = client.post("/jobs/submit", {"repo_url": "https://github.com/a/b"}).content.decode()
    assert 'id="submit-errors"' in html and "The queue is full" in html


def test_htmx_submit_rerenders_panel_with_polling_and_pushes_url(client: Client) -> None:
    response = client.post(
        "/jobs/submit", {"repo_url": "https://github.com/a/b", "state": "completed"}, **HX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="panel"')
    job = Job.objects.get()
    assert job.job_id in row_ids(html)  # switched to "all", where the new job is
    assert 'data-polling="on"' in html  # polling starts again
    assert response["HX-Push-Url"] == "/"
    assert 'id="submit-notice"' in html and job.job_id in html


def test_priority_only_for_staff(client: Client, staff_client: Client) -> None:
    assert 'name="priority"' not in client.get("/").content.decode()
    client.post("/jobs/submit", {"repo_url": "https://github.com/a/b", "priority": "50"})
    assert Job.objects.get().priority == 0  # ignored for anonymous users
    assert 'name="priority"' in staff_client.get("/").content.decode()
    staff_client.post("/jobs/submit", {"repo_url": "https://github.com/a/c", "priority": "50"})
    assert Job.objects.get(repo_url__endswith="/a/c").priority == 50


def test_submit_requires_post(client: Client) -> None:
    assert client.get("/jobs/submit").status_code == 405


# --- job detail -------------------------------------------------------------------


def test_job_detail_shows_fields_timeline_and_links(client: Client, make_worker: Any) -> None:
    worker = make_worker()
    job = build_job(
        Status.COMPLETED,
        resolved_commit="b" * 40,
        commit_id="main",
        submitted_by="alice",
        worker=worker,
        attempts=2,
    )
    add_attempt(job, 1, JobAttempt.Outcome.RETRYING, "host-a:100")
    add_attempt(job, 2, JobAttempt.Outcome.COMPLETED, "host-b:200")
    response = client.get(f"/jobs/{job.job_id}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert response_title(html).endswith("Completed · CodeWiki")
    for text in ["b" * 40, "main", "alice", "2 of 3", "host-a:100", "host-b:200"]:
        assert text in html
    timeline = html[html.index('<ol class="timeline">') :]
    steps = [
        "Created",
        "Attempt 1 started",
        "Attempt 1: Will retry",
        "Attempt 2 started",
        "Attempt 2: Completed",
        "Finished: Completed",
    ]
    order = [timeline.index(f"<strong>{step}</strong>") for step in steps]
    assert order == sorted(order)
    assert f'href="/docs/{job.job_id}/"' in html and f'href="{job.repo_url}"' in html
    assert 'data-polling="off"' in html


def test_trace_is_staff_only_and_escaped(client: Client, staff_client: Client) -> None:
    job = build_job(
        Status.FAILED,
        error_message="Boom <script>",
        error_trace='Traceback:\n  File "/srv/secret/path.py"\n<script>alert(1)</script>',
    )
    public = client.get(f"/jobs/{job.job_id}/").content.decode()
    assert "Boom &lt;script&gt;" in public
    assert "/srv/secret/path.py" not in public
    staff = staff_client.get(f"/jobs/{job.job_id}/").content.decode()
    assert '<pre class="trace" id="error-trace">' in staff
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in staff and "<script>alert" not in staff


def test_job_detail_polls_while_active_and_stops_when_finished(client: Client) -> None:
    job = build_job(Status.PROCESSING)
    page = client.get(f"/jobs/{job.job_id}/").content.decode()
    assert 'data-polling="on"' in page and f'hx-get="/jobs/{job.job_id}/"' in page
    fragment = client.get(f"/jobs/{job.job_id}/", **HX)
    assert fragment.status_code == 200
    assert fragment.content.decode().lstrip().startswith('<div id="job-live"')
    assert "HX-Request" in fragment["Vary"]
    Job.objects.filter(pk=job.pk).update(status=Status.FAILED, completed_at=timezone.now())
    done = client.get(f"/jobs/{job.job_id}/", **HX)
    assert done.status_code == 286 and 'data-polling="off"' in done.content.decode()


def test_unknown_job_is_404(client: Client) -> None:
    assert client.get("/jobs/nope-12345678/").status_code == 404


# --- actions ------------------------------------------------------------------


ACTIONS = ["retry", "cancel", "delete"]


@pytest.mark.parametrize("action", ACTIONS)
def test_anonymous_and_non_staff_get_403(
    client: Client, plain_user_client: Client, action: str
) -> None:
    job = build_job(Status.FAILED)
    for who in (client, plain_user_client):
        assert who.post(f"/jobs/{job.job_id}/{action}").status_code == 403
    job.refresh_from_db()
    assert job.status == Status.FAILED


@pytest.mark.parametrize("action", ACTIONS)
def test_actions_refuse_get(staff_client: Client, action: str) -> None:
    job = build_job(Status.FAILED)
    assert staff_client.get(f"/jobs/{job.job_id}/{action}").status_code == 405


def test_anonymous_sees_no_buttons(client: Client, staff_client: Client) -> None:
    job = build_job(Status.FAILED)
    build_job(Status.QUEUED)
    for url in ("/", f"/jobs/{job.job_id}/"):
        html = client.get(url).content.decode()
        assert "data-action=" not in html and "/retry" not in html
        assert 'data-action="retry"' in staff_client.get(url).content.decode()


def test_buttons_follow_the_transition_map(staff_client: Client) -> None:
    expected = {
        Status.QUEUED: {"cancel"},
        Status.PROCESSING: {"cancel"},
        Status.COMPLETED: {"delete"},
        Status.FAILED: {"retry", "delete"},
        Status.CANCELLED: {"retry", "delete"},
    }
    for state, actions in expected.items():
        job = build_job(state)
        html = staff_client.get(f"/jobs/{job.job_id}/").content.decode()
        assert set(re.findall(r'data-action="(\w+)"', html)) == actions, state


def test_retry_failed_job_keeps_history(staff_client: Client) -> None:
    job = build_job(Status.FAILED)
    add_attempt(job, 1, JobAttempt.Outcome.FAILED)
    response = staff_client.post(f"/jobs/{job.job_id}/retry")
    assert response.status_code == 303 and response["Location"] == f"/jobs/{job.job_id}/"
    job.refresh_from_db()
    assert job.status == Status.QUEUED and job.error_message == ""
    assert job.attempt_log.count() == 1
    assert "Queued job" in messages_of(response)[0]


def test_cancel_queued_is_immediate(staff_client: Client) -> None:
    job = build_job(Status.QUEUED)
    response = staff_client.post(f"/jobs/{job.job_id}/cancel", {"next": "/?state=queued"})
    assert response.status_code == 303 and response["Location"] == "/?state=queued"
    job.refresh_from_db()
    assert job.status == Status.CANCELLED
    assert messages_of(response) == [f"Cancelled job {job.job_id}."]


def test_cancel_processing_asks_the_worker(staff_client: Client) -> None:
    job = build_job(Status.PROCESSING)
    response = staff_client.post(f"/jobs/{job.job_id}/cancel")
    job.refresh_from_db()
    assert job.status == Status.PROCESSING and job.cancel_requested
    assert "Stopping job" in messages_of(response)[0]
    html = staff_client.get(f"/jobs/{job.job_id}/").content.decode()
    assert "stopping" in html and 'data-action="cancel"' not in html


def test_delete_finished_job_keeps_docs_and_goes_to_dashboard(staff_client: Client) -> None:
    job = build_job(Status.COMPLETED)
    response = staff_client.post(f"/jobs/{job.job_id}/delete", {"next": f"/jobs/{job.job_id}/"})
    assert response.status_code == 303 and response["Location"] == "/"
    assert not Job.objects.filter(pk=job.pk).exists()
    assert "cached docs were kept" in messages_of(response)[0]


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (Status.COMPLETED, "retry"),
        (Status.QUEUED, "retry"),
        (Status.PROCESSING, "retry"),
        (Status.COMPLETED, "cancel"),
        (Status.FAILED, "cancel"),
        (Status.CANCELLED, "cancel"),
        (Status.QUEUED, "delete"),
        (Status.PROCESSING, "delete"),
    ],
)
def test_wrong_state_gives_a_message_not_a_crash(
    staff_client: Client, state: str, action: str
) -> None:
    job = build_job(state)
    response = staff_client.post(f"/jobs/{job.job_id}/{action}")
    assert response.status_code == 303
    message = messages_of(response)
    assert len(message) == 1 and f"Cannot {action} job {job.job_id}: it is {state}" in message[0]
    job.refresh_from_db()
    assert job.status == state
    # The message is shown on the next page.
    assert "Cannot" in staff_client.get(response["Location"]).content.decode()


def test_retry_blocked_by_active_duplicate_is_a_message(staff_client: Client) -> None:
    old = build_job(Status.FAILED, repo="https://github.com/a/b")
    build_job(Status.QUEUED, repo="https://github.com/a/b")
    response = staff_client.post(f"/jobs/{old.job_id}/retry")
    assert "already queued or processing" in messages_of(response)[0]
    old.refresh_from_db()
    assert old.status == Status.FAILED


def test_action_ignores_offsite_next(staff_client: Client) -> None:
    job = build_job(Status.QUEUED)
    response = staff_client.post(f"/jobs/{job.job_id}/cancel", {"next": "https://evil.example/"})
    assert response["Location"] == f"/jobs/{job.job_id}/"


def test_action_needs_csrf_token(staff_user: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    job = build_job(Status.QUEUED)
    assert client.post(f"/jobs/{job.job_id}/cancel").status_code == 403
    job.refresh_from_db()
    assert job.status == Status.QUEUED


# --- login required --------------------------------------------------------------


def test_login_required_puts_everything_behind_login(
    client: Client, staff_client: Client, settings: Any
) -> None:
    settings.CODEWIKI_LOGIN_REQUIRED = True
    job = build_job(Status.FAILED)
    for url in ("/", f"/jobs/{job.job_id}/", "/?state=failed"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    response = client.post("/jobs/submit", {"repo_url": "https://github.com/a/b"})
    assert response.status_code == 302 and not Job.objects.filter(repo_url__endswith="a/b").exists()
    assert staff_client.get("/").status_code == 200
    assert client.get("/admin/login/").status_code == 200


def test_dashboard_open_by_default(client: Client, settings: Any) -> None:
    settings.CODEWIKI_LOGIN_REQUIRED = False
    assert client.get("/").status_code == 200


def test_row_cells_escape_everything(client: Client) -> None:
    build_job(Status.QUEUED, progress='<img src=x onerror="alert(1)">', commit_id="v<1>")
    build_job(Status.PROCESSING, progress="<b>bold</b>")
    html = client.get("/").content.decode()
    assert "<img src=x" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "v&lt;1&gt;" in html
