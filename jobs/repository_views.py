"""Tracked repositories: the list, one repository's docs by commit, stable links, the toggle."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from jobs import repositories
from jobs.models import Repository
from jobs.repo_urls import web_url
from jobs.views import safe_next_url, see_other


@require_safe
def repository_list(request: HttpRequest) -> HttpResponse:
    repos = list(
        Repository.objects.visible_to(request.user).select_related("latest_job").order_by("url")
    )
    rows = [(repo, repositories.stable_url(repo.url)) for repo in repos]
    return render(
        request,
        "jobs/repositories.html",
        {"rows": rows, "is_staff": request.user.is_staff, "here": request.get_full_path()},
    )


@require_safe
def repository_detail(request: HttpRequest, pk: int) -> HttpResponse:
    repo = get_object_or_404(
        Repository.objects.visible_to(request.user).select_related("latest_job"), pk=pk
    )
    jobs = [
        (job, repositories.stable_url(repo.url, job.resolved_commit))
        for job in repositories.completed_jobs(repo)
        if job.visible_to(request.user)
    ]
    return render(
        request,
        "jobs/repository_detail.html",
        {
            "repo": repo,
            "jobs": jobs,
            "stable_url": repositories.stable_url(repo.url),
            "repo_link": web_url(repo.url),
            "is_staff": request.user.is_staff,
            "here": request.get_full_path(),
        },
    )


def _not_found(message: str) -> HttpResponse:
    # Plain text: the message quotes the link, which must stay inert.
    return HttpResponseNotFound(message, content_type="text/plain; charset=utf-8")


@require_safe
def stable_link(request: HttpRequest, rest: str) -> HttpResponse:
    """``/r/<host>/<owner>/<name>/[@<sha-or-ref>/][page]`` → the docs it names (302)."""
    link = repositories.parse_stable_link(rest)
    if link is None:
        return _not_found(
            "Not a repository link: /r/<host>/<owner>/<name>/[@<commit-or-ref>/][page], "
            "where the ref is a valid git branch or tag name."
        )
    found = repositories.find_docs(link, request.user)
    if found.job is None:
        if found.repo is not None and not link.after_at:
            # Tracked but nothing generated yet: its page says what is going on.
            return HttpResponseRedirect(reverse("repository-detail", args=[found.repo.pk]))
        if link.after_at:
            named = "/".join(link.after_at)
            return _not_found(
                f"No documentation for '@{named}' of this repository: no completed job "
                "documents a commit or ref that this names."
            )
        return _not_found("No documentation for this repository yet.")
    return HttpResponseRedirect(reverse("docs-index", args=[found.job.job_id]) + found.page)


@require_POST
def repository_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_staff:
        raise PermissionDenied("Only staff may enable or disable tracked repositories.")
    repo = get_object_or_404(Repository, pk=pk)
    enabled = request.POST.get("enabled") == "1"
    repositories.set_enabled(repo, enabled)
    messages.success(
        request,
        f"{'Enabled' if enabled else 'Disabled'} refreshing of {repo.display}.",
    )
    return see_other(safe_next_url(request, reverse("repositories")))
