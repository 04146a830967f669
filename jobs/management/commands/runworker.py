"""``manage.py runworker``: parse options, start a Worker. The loop lives in jobs.worker."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand

from jobs.worker import STRATEGIES, Worker


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not an integer") from exc
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def non_negative_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from exc
    if number < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return number


def port_number(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from exc
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError("must be between 0 and 65535")
    return number


class Command(BaseCommand):
    help = "Run a worker that claims queued documentation jobs and processes them."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--concurrency",
            type=positive_int,
            default=1,
            help="Jobs run at once, each in its own child process (default: 1).",
        )
        parser.add_argument(
            "--interval",
            type=non_negative_float,
            default=1.0,
            help="Longest wait between polls of an empty queue. On SQLite polls start "
            "0.05 s apart after work and slow down to this; on PostgreSQL a new job wakes "
            "the worker at once (LISTEN/NOTIFY) and polling is the fallback (default: 1).",
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Exit once the queue is empty and running jobs have finished.",
        )
        parser.add_argument(
            "--max-jobs",
            type=positive_int,
            default=None,
            help="Exit after claiming this many jobs (default: no limit).",
        )
        parser.add_argument(
            "--grace",
            type=non_negative_float,
            default=None,
            help="Seconds running jobs may finish after the first SIGTERM/SIGINT before "
            "they are handed back (default: CODEWIKI_SHUTDOWN_GRACE_SECONDS, 30).",
        )

        parser.add_argument(
            "--metrics-port",
            type=port_number,
            default=None,
            help="Serve this worker's Prometheus metrics on this port (default: off; 0 picks "
            "a free port). Protected by CODEWIKI_METRICS_TOKEN when set.",
        )
        parser.add_argument(
            "--metrics-bind",
            default="127.0.0.1",
            help="Address for --metrics-port (default: 127.0.0.1; 0.0.0.0 for a remote "
            "Prometheus).",
        )
        parser.add_argument(
            "--strategy",
            choices=sorted(STRATEGIES),
            default="current",
            help="legacy: the earlier queue loop (fixed-interval polling, no LISTEN, one "
            "claim per cache hit), kept to measure against (default: current).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker = Worker(
            concurrency=options["concurrency"],
            interval=options["interval"],
            batch=options["batch"],
            max_jobs=options["max_jobs"],
            grace_seconds=options["grace"],
            metrics_port=options["metrics_port"],
            metrics_host=options["metrics_bind"],
            strategy=options["strategy"],
        )
        worker.run()
