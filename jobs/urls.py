from django.urls import path

from jobs import api

urlpatterns = [
    path("api/jobs", api.jobs_collection, name="api-jobs"),
    path("api/jobs/<slug:job_id>", api.job_detail, name="api-job"),
    path("healthz", api.healthz, name="healthz"),
]
