"""``manage.py submit <repo_url> [--commit C] [--priority N]``: queue a job from the shell."""

from __future__ import annotations

import argparse
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jobs import services
from jobs.api import job_json


class Command(BaseCommand):
    help = "Submit a repository for documentation (same rules as the web form and API)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("repo_url", help="Repository URL (or a local path if allowed).")
        parser.add_argument("--commit", default="", help="Commit sha, branch or tag.")
        parser.add_argument(
            "--priority", type=int, default=0, help="Higher runs first (default 0)."
        )
        parser.add_argument("--json", action="store_true", help="Print the job as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = services.submit(
                options["repo_url"], options["commit"], priority=options["priority"],
                submitted_by="manage.py",
            )  # fmt: skip
        except services.SubmissionError as exc:
            raise CommandError(f"{exc.field}: {exc.message}") from exc
        job = result.job
        if options["json"]:
            self.stdout.write(json.dumps(job_json(job, include_trace=True), indent=2))
        elif result.created:
            self.stdout.write(self.style.SUCCESS(f"Queued {job.job_id} for {job.repo_url}"))
        else:
            self.stdout.write(f"Already {job.status}: {job.job_id} for {job.repo_url}")
