from django.urls import path, re_path, register_converter

from jobs import api, docs_viewer, ops_views, repository_views, views
from jobs.models import JOB_ID_PATTERN


class JobIdConverter:
    """``<job:job_id>``: exactly the ids ``new_job_id`` makes (dots included)."""

    regex = JOB_ID_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(JobIdConverter, "job")

urlpatterns = [
    path("api/jobs", api.jobs_collection, name="api-jobs"),
    path("api/jobs/<job:job_id>", api.job_detail, name="api-job"),
    path("healthz", api.healthz, name="healthz"),
    path("livez", ops_views.livez, name="livez"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics_view, name="metrics"),
    path("hooks/github", api.webhook, {"provider": "github"}, name="hook-github"),
    path("hooks/gitlab", api.webhook, {"provider": "gitlab"}, name="hook-gitlab"),
    path("hooks/gitea", api.webhook, {"provider": "gitea"}, name="hook-gitea"),
    path("", views.dashboard, name="dashboard"),
    path("jobs/submit", views.submit_job, name="job-submit"),
    path("jobs/<job:job_id>/", views.job_detail, name="job-detail"),
    path("jobs/<job:job_id>/retry", views.job_action, {"action": "retry"}, name="job-retry"),
    path("jobs/<job:job_id>/cancel", views.job_action, {"action": "cancel"}, name="job-cancel"),
    path("jobs/<job:job_id>/delete", views.job_action, {"action": "delete"}, name="job-delete"),
    path("docs/<job:job_id>/", docs_viewer.docs_page, name="docs-index"),
    path("docs/<job:job_id>/download.zip", docs_viewer.docs_download, name="docs-download"),
    path("docs/<job:job_id>/<path:page>", docs_viewer.docs_page, name="docs-page"),
    path("repositories/", repository_views.repository_list, name="repositories"),
    path("repositories/<int:pk>/", repository_views.repository_detail, name="repository-detail"),
    path(
        "repositories/<int:pk>/enabled",
        repository_views.repository_toggle,
        name="repository-toggle",
    ),
    # Stable links: any name a host allows (dots, nested groups), an optional @ref and page.
    re_path(r"^r/(?P<rest>.+)$", repository_views.stable_link, name="stable-link"),
]
