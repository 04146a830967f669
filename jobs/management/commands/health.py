"""``manage.py health``: readiness (or liveness) as an exit code, for container checks."""

from __future__ import annotations

import argparse
import json
from typing import Any

from django.core.management.base import BaseCommand

from jobs.health import CHECKS, readiness


def check_list(value: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    unknown = sorted(set(names) - set(CHECKS))
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown check {', '.join(unknown)}; choose from {', '.join(CHECKS)}"
        )
    return names


class Command(BaseCommand):
    help = "Exit 0 when CodeWiki is ready (database, output folder, a live worker), else 1."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--checks",
            type=check_list,
            default=CHECKS,
            help=f"Comma-separated checks to run (default: {','.join(CHECKS)}). A worker's "
            "own container check uses database,output.",
        )
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = readiness(options["checks"])
        if options["json"]:
            self.stdout.write(json.dumps(result.as_json()))
        elif result.ready:
            self.stdout.write(f"ready ({', '.join(result.checked)})")
        else:
            for reason in result.reasons:
                self.stderr.write(f"not ready: {reason}")
        if not result.ready:
            raise SystemExit(1)
