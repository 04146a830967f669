from django.urls import path

from jobs import api, docs_viewer, views

urlpatterns = [
    path("api/jobs", api.jobs_collection, name="api-jobs"),
    path("api/jobs/<slug:job_id>", api.job_detail, name="api-job"),
    path("healthz", api.healthz, name="healthz"),
    path("", views.dashboard, name="dashboard"),
    path("jobs/submit", views.submit_job, name="job-submit"),
    path("jobs/<slug:job_id>/", views.job_detail, name="job-detail"),
    path("jobs/<slug:job_id>/retry", views.job_action, {"action": "retry"}, name="job-retry"),
    path("jobs/<slug:job_id>/cancel", views.job_action, {"action": "cancel"}, name="job-cancel"),
    path("jobs/<slug:job_id>/delete", views.job_action, {"action": "delete"}, name="job-delete"),
    path("docs/<slug:job_id>/", docs_viewer.docs_page, name="docs-index"),
    path("docs/<slug:job_id>/download.zip", docs_viewer.docs_download, name="docs-download"),
    path("docs/<slug:job_id>/<path:page>", docs_viewer.docs_page, name="docs-page"),
]
