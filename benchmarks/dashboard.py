"""Dashboard speed at 1 thousand, 100 thousand and 1 million jobs, on SQLite and PostgreSQL.

Fills a throwaway database (a temp SQLite file, or a ``codewiki_bench_<pid>``
PostgreSQL database that is created and dropped) with a realistic mix of jobs
and prints the median time of the dashboard page and of the fragment HTMX
polls, through Django's test client, at each size.

    .venv/bin/python -m benchmarks.dashboard --db both --sizes 1000,100000,1000000

Targets: fragment < 15 ms, page < 50 ms at every size, and the largest size
within 1.3x the smallest. Each database runs in its own subprocess because
Django reads DATABASE_URL once at start-up.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
TARGET_FRAGMENT_MS = 15.0
TARGET_PAGE_MS = 50.0
TARGET_RATIO = 1.3
# A realistic mix: nearly everything completed, some failures and cancellations,
# a bounded queue and a few running jobs.
QUEUED = 100
PROCESSING = 4
FAILED_SHARE = 0.03
CANCELLED_SHARE = 0.02
COLUMNS = [
    "job_id",
    "repo_url",
    "status",
    "created_at",
    "started_at",
    "completed_at",
    "error_message",
    "progress",
    "docs_path",
    "main_model",
    "commit_id",
    "priority",
    "progress_percent",
    "error_trace",
    "resolved_commit",
    "attempts",
    "max_attempts",
    "run_after",
    "worker_id",
    "lease_expires_at",
    "heartbeat_at",
    "cancel_requested",
    "from_cache",
    "submitted_by",
]
SCENARIOS = {
    "page": ("/", False),
    "fragment": ("/", True),
    "failed tab": ("/?state=failed", True),
    "search": ("/?q=owner12", True),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--sizes",
        default="1000,100000,1000000",
        help="comma-separated job counts, ascending (default: 1000,100000,1000000)",
    )
    parser.add_argument("--repeat", type=int, default=40, help="timed requests each (default: 40)")
    parser.add_argument(
        "--pg-url", default=DEFAULT_PG, help=f"server to create the database on ({DEFAULT_PG})"
    )
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=0,
        help="DATABASE_CONN_MAX_AGE for the run; 0 opens a connection per request, "
        "as the project's default does (default: 0)",
    )
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --- parent: one subprocess per database ---------------------------------------------


def run_parent(args: argparse.Namespace) -> int:
    engines = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results: list[dict[str, Any]] = []
    for engine in engines:
        with tempfile.TemporaryDirectory(prefix="codewiki-bench-") as tmp:
            env = {
                **os.environ,
                "CODEWIKI_OUTPUT_DIR": tmp,
                "DATABASE_CONN_MAX_AGE": str(args.conn_max_age),
            }
            env.setdefault("DJANGO_SETTINGS_MODULE", "codewiki_site.settings")
            # ``-m`` from the project root: this folder's other scripts (queue.py …)
            # must not shadow standard-library modules in the child.
            command = [sys.executable, "-m", "benchmarks.dashboard", "--child", engine]
            command += ["--sizes", args.sizes, "--repeat", str(args.repeat)]
            command += ["--pg-url", args.pg_url]
            out = subprocess.run(
                command, env=env, cwd=BASE_DIR, check=True, stdout=subprocess.PIPE, text=True
            ).stdout
            results += [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return print_table(results, args.conn_max_age)


def create_pg_database(server_url: str) -> str:
    import psycopg

    name = f"codewiki_bench_{os.getpid()}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(server_url: str, url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def print_table(results: list[dict[str, Any]], conn_max_age: int) -> int:
    names = list(SCENARIOS)
    header = f"{'db':<9}{'jobs':>10}  " + "".join(f"{n + ' ms':>15}" for n in names)
    header += f"{'fill s':>9}{'load':>7}"
    print(
        f"medians of {results[0]['repeat'] if results else 0} requests each, "
        f"DATABASE_CONN_MAX_AGE={conn_max_age}"
    )
    print(header)
    print("-" * len(header))
    failures = []
    by_engine: dict[str, list[dict[str, Any]]] = {}
    for row in results:
        by_engine.setdefault(row["engine"], []).append(row)
        cells = "".join(f"{row['ms'][n]:>15.2f}" for n in names)
        print(
            f"{row['engine']:<9}{row['size']:>10,}  {cells}{row['fill_s']:>9.1f}{row['load']:>7.1f}"
        )
        if row["ms"]["fragment"] > TARGET_FRAGMENT_MS:
            failures.append(
                f"{row['engine']} {row['size']:,}: fragment over {TARGET_FRAGMENT_MS} ms"
            )
        if row["ms"]["page"] > TARGET_PAGE_MS:
            failures.append(f"{row['engine']} {row['size']:,}: page over {TARGET_PAGE_MS} ms")
    for engine, rows in by_engine.items():
        first, last = rows[0], rows[-1]
        ratios = {n: last["ms"][n] / first["ms"][n] for n in names}
        cells = "".join(f"{ratios[n]:>14.2f}x" for n in names)
        print(f"{engine:<9}{'ratio':>10}  {cells}   ({last['size']:,} vs {first['size']:,})")
        for n in ("page", "fragment"):
            if ratios[n] > TARGET_RATIO:
                failures.append(f"{engine}: {n} ratio {ratios[n]:.2f} over {TARGET_RATIO}")
    print()
    print(
        f"targets: fragment < {TARGET_FRAGMENT_MS} ms, page < {TARGET_PAGE_MS} ms, "
        f"largest/smallest <= {TARGET_RATIO}x"
    )
    print("all targets met" if not failures else "MISSED: " + "; ".join(failures))
    return 0 if not failures else 1


# --- child: fill and measure one database -------------------------------------------


def run_child(args: argparse.Namespace) -> int:
    """Runs in its own process: DATABASE_URL must be set before Django starts."""
    if args.child == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{os.environ['CODEWIKI_OUTPUT_DIR']}/bench.sqlite3"
    else:
        os.environ["DATABASE_URL"] = create_pg_database(args.pg_url)
    try:
        return measure_all(args)
    finally:
        if args.child == "postgres":
            from django.db import connections

            connections.close_all()
            drop_pg_database(args.pg_url, os.environ["DATABASE_URL"])


def measure_all(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    sizes = [int(s) for s in args.sizes.split(",")]
    filler = Filler(args.child)
    for size in sizes:
        started = time.perf_counter()
        filler.fill_to(size)
        filled = time.perf_counter() - started
        ms = measure(args.repeat)
        print(
            json.dumps(
                {
                    "engine": args.child,
                    "size": size,
                    "ms": ms,
                    "fill_s": round(filled, 1),
                    "repeat": args.repeat,
                    # Timings are wall-clock: a busy machine inflates them all.
                    "load": round(os.getloadavg()[0], 1),
                }
            ),
            flush=True,
        )
        print(f"# {args.child} {size:,} jobs filled in {filled:.1f} s", file=sys.stderr)
    return 0


class Filler:
    """Bulk-inserts jobs with raw executemany (SQLite) or COPY (PostgreSQL)."""

    def __init__(self, engine: str) -> None:
        from django.utils import timezone

        self.engine = engine
        self.count = 0
        self.now = timezone.now()
        self.rng = random.Random(42)
        self.workers: list[str] = []

    def fill_to(self, size: int) -> None:
        from django.db import connection

        if self.count == 0:
            self._make_active()
        finished = size - self.count
        # Oldest first, as a live system writes them: rows that finished on the
        # same day sit in neighbouring pages, which is what the chart's range
        # scan sees in production (random order would scatter them over the table).
        ages = sorted(
            (self.rng.uniform(600, 365 * 86400) for _ in range(max(finished, 0))), reverse=True
        )
        batch: list[tuple[Any, ...]] = []
        for age in ages:
            batch.append(self._finished_row(age))
            if len(batch) == 20_000:
                self._insert(batch)
                batch = []
        if batch:
            self._insert(batch)
        self.count = size
        with connection.cursor() as cursor:
            if self.engine == "postgres":
                # What autovacuum does in production: statistics and the visibility
                # map that index-only scans (the capped counts) rely on. The
                # checkpoint flushes the bulk load now, not during the timings.
                cursor.execute("VACUUM ANALYZE jobs_job")
                cursor.execute("CHECKPOINT")
            else:
                cursor.execute("ANALYZE")
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        time.sleep(2)  # let the machine settle after the load

    def _make_active(self) -> None:
        from jobs.models import Worker

        for i in range(PROCESSING):
            worker = Worker.objects.create(hostname=f"bench-{i}", pid=1000 + i)
            self.workers.append(worker.pk.hex if self.engine == "sqlite" else str(worker.pk))
        rows = []
        for i in range(QUEUED + PROCESSING):
            created = self.now - timedelta(seconds=10 * i)
            processing = i < PROCESSING
            rows.append(
                self._row(
                    job_id=f"active--q{i}-{uuid.uuid4().hex[:8]}",
                    repo_url=f"https://github.com/active/q{i}",
                    status="processing" if processing else "queued",
                    created_at=created,
                    started_at=created + timedelta(seconds=1) if processing else None,
                    worker_id=self.workers[i] if processing else None,
                    progress_percent=37 if processing else 0,
                    progress="Analysing files" if processing else "Waiting for a worker",
                    attempts=1 if processing else 0,
                )
            )
        self._insert(rows)
        self.count = QUEUED + PROCESSING

    def _finished_row(self, age_seconds: float) -> tuple[Any, ...]:
        rng = self.rng
        # Spread over a year, so the last 24 h hold about 1/365 of the rows.
        created = self.now - timedelta(seconds=age_seconds)
        started = created + timedelta(seconds=rng.uniform(0.5, 30))
        completed = started + timedelta(seconds=rng.uniform(5, 600))
        roll = rng.random()
        status = "completed"
        error = ""
        if roll < FAILED_SHARE:
            status, error = "failed", "Clone failed: repository not found"
        elif roll < FAILED_SHARE + CANCELLED_SHARE:
            status, error = "cancelled", "Cancelled by operator"
        owner = rng.randrange(5000)
        return self._row(
            job_id=f"owner{owner}--r-{uuid.uuid4().hex[:12]}",
            repo_url=f"https://github.com/owner{owner}/repo{rng.randrange(20)}",
            status=status,
            created_at=created,
            started_at=started,
            completed_at=completed,
            error_message=error,
            progress="Documentation generated" if status == "completed" else error,
            progress_percent=100 if status == "completed" else 40,
            docs_path="github.com--x/abc" if status == "completed" else "",
            resolved_commit="a" * 40,
            attempts=1,
        )

    def _row(self, **values: Any) -> tuple[Any, ...]:
        defaults: dict[str, Any] = {
            "started_at": None,
            "completed_at": None,
            "error_message": "",
            "progress": "",
            "docs_path": "",
            "main_model": "static-analysis",
            "commit_id": "",
            "priority": 0,
            "progress_percent": 0,
            "error_trace": "",
            "resolved_commit": "",
            "attempts": 0,
            "max_attempts": 3,
            "worker_id": None,
            "lease_expires_at": None,
            "heartbeat_at": None,
            "cancel_requested": False,
            "from_cache": False,
            "submitted_by": "",
        }
        defaults.update(values)
        defaults["run_after"] = defaults["created_at"]
        row = [defaults[c] for c in COLUMNS]
        if self.engine == "sqlite":
            # Django stores aware datetimes as naive UTC text on SQLite.
            row = [
                v.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
                if isinstance(v, datetime)
                else v
                for v in row
            ]
        return tuple(row)

    def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        from django.db import connection, transaction

        columns = ", ".join(COLUMNS)
        with transaction.atomic(), connection.cursor() as cursor:
            if self.engine == "postgres":
                raw = cursor.cursor  # psycopg 3 cursor under Django's wrapper
                with raw.copy(f"COPY jobs_job ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(COLUMNS))
                cursor.executemany(f"INSERT INTO jobs_job ({columns}) VALUES ({marks})", rows)


def measure(repeat: int) -> dict[str, float]:
    from django.db import reset_queries
    from django.test import Client

    client = Client()
    result = {}
    for name, (url, htmx) in SCENARIOS.items():
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        for _ in range(15):  # warm caches, template loading, connection
            response = client.get(url, **headers)
            assert response.status_code in (200, 286), (name, response.status_code)
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            client.get(url, **headers)
            times.append((time.perf_counter() - started) * 1000)
            reset_queries()
        result[name] = round(statistics.median(times), 3)
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return run_child(args)
    return run_parent(args)


if __name__ == "__main__":
    raise SystemExit(main())
