"""Queue throughput and pickup latency, on SQLite and PostgreSQL, side by side.

    .venv/bin/python -m benchmarks.queue [--jobs 2000] [--db sqlite|postgres|both]

For each database: a throwaway database is created and migrated, N jobs whose
docs are already cached are enqueued, and one real ``runworker --batch``
process drains them (throughput from the first claim to the last completion,
read from the job rows). Then an idle worker polling every second receives
jobs submitted at random moments; the median submit→pickup time is compared
with the poll interval. Targets: ≥ 200 cache-hit jobs/s; pickup < interval.
"""

from __future__ import annotations

import os
import sys

# This file is named like the stdlib's ``queue``; when run as a script its folder
# comes first on sys.path and would shadow it for every library that imports it.
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(__file__)]

import argparse
import json
import random
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
POLL_INTERVAL = 1.0
TARGET_JOBS_PER_SECOND = 200


def inner(jobs: int, pickups: int) -> dict[str, float]:
    """Runs inside a subprocess whose environment names the database to use."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codewiki_site.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from jobs import services
    from jobs.models import CacheEntry, Job

    call_command("migrate", verbosity=0)
    settings.CODEWIKI_QUEUE_SIZE = jobs + pickups + 10
    docs = Path(settings.CODEWIKI_OUTPUT_DIR) / "docs" / "bench"
    docs.mkdir(parents=True)
    (docs / "overview.md").write_text("# ok\n")
    (docs / "metadata.json").write_text('{"files_generated": ["overview.md", "metadata.json"]}')

    def repo(n: int) -> tuple[str, str]:
        return f"https://github.com/bench/repo{n}", f"{n:040x}"

    CacheEntry.objects.bulk_create(
        CacheEntry(repo_url=url, commit_sha=sha, docs_path="bench")
        for url, sha in map(repo, range(jobs + pickups))
    )
    for n in range(jobs):
        services.submit(*repo(n))

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    worker = [sys.executable, str(ROOT / "manage.py"), "runworker"]
    subprocess.run([*worker, "--batch", "--interval", "0.05"], env=env, check=True)
    finished = Job.objects.filter(status="completed")
    assert finished.count() == jobs, "not every job completed"
    first = min(finished.values_list("started_at", flat=True))
    last = max(finished.values_list("completed_at", flat=True))
    drain = (last - first).total_seconds()

    idle = subprocess.Popen([*worker, "--interval", str(POLL_INTERVAL)], env=env)
    time.sleep(2)  # started and idle
    rng = random.Random(7)
    ids = []
    for n in range(jobs, jobs + pickups):
        time.sleep(rng.uniform(0.2, 0.9))
        ids.append(services.submit(*repo(n)).job.pk)
    deadline = time.monotonic() + 30
    while Job.objects.filter(pk__in=ids, status="completed").count() < pickups:
        if time.monotonic() > deadline:
            raise RuntimeError("pickup jobs did not finish")
        time.sleep(0.1)
    idle.send_signal(signal.SIGTERM)
    idle.wait(timeout=30)
    waits = [
        (job.started_at - job.created_at).total_seconds() for job in Job.objects.filter(pk__in=ids)
    ]
    return {
        "jobs": jobs,
        "drain_seconds": drain,
        "jobs_per_second": jobs / drain,
        "pickup_median": statistics.median(waits),
        "pickup_max": max(waits),
    }


def run_one(db: str, jobs: int, pickups: int) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix=f"codewiki-bench-{db}-"))
    env = {
        **os.environ,
        "CODEWIKI_OUTPUT_DIR": str(workdir),
        "CODEWIKI_LOG_LEVEL": "WARNING",
    }
    dbname = f"codewiki_bench_{os.getpid()}"
    if db == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {dbname}")
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{dbname}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--inner", "--jobs", str(jobs), "--pickups", str(pickups)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])
    except subprocess.CalledProcessError as exc:
        sys.stderr.write(exc.stderr)
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if db == "postgres":
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--pickups", type=int, default=20)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        print(json.dumps(inner(args.jobs, args.pickups)))
        return
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    header = (
        f"{'database':<10} {'jobs':>6} {'drain s':>8} {'jobs/s':>8} {'vs 200/s':>9} "
        f"{'pickup median s':>16} {'max s':>6} {'median/interval':>16}"
    )
    print(header)
    print("-" * len(header))
    for db in dbs:
        r = run_one(db, args.jobs, args.pickups)
        print(
            f"{db:<10} {r['jobs']:>6} {r['drain_seconds']:>8.2f} {r['jobs_per_second']:>8.0f} "
            f"{r['jobs_per_second'] / TARGET_JOBS_PER_SECOND:>8.2f}x "
            f"{r['pickup_median']:>16.3f} {r['pickup_max']:>6.2f} "
            f"{r['pickup_median'] / POLL_INTERVAL:>16.2f}"
        )


if __name__ == "__main__":
    main()
