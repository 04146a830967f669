"""Queue throughput and pickup latency, both strategies, SQLite and PostgreSQL, in one run.

    .venv/bin/python -m benchmarks.queue [--jobs 2000] [--pickups 30] [--repeat 1]
                                         [--db sqlite|postgres|both]
                                         [--strategy legacy|current|both]

For each database and each worker strategy (``runworker --strategy``), in a fresh
throwaway database: N jobs whose docs are already cached are enqueued and one
real ``runworker --batch`` process drains them (throughput from the first claim
to the last completion, read from the job rows). Then an idle worker with the
default 1 s poll interval receives jobs submitted one at a time, 0.2–0.9 s apart;
submit→pickup is the job's ``started_at - created_at``. ``legacy`` is the queue
loop as it was before LISTEN/NOTIFY and batched cache hits; ``current`` is what
``runworker`` runs by default. Runs are interleaved (legacy, current, legacy, …)
so a machine busy with other work slows both alike; the ratios compare them.

A bare ``ast.parse`` of Django's own source (the docgen benchmark's baseline) is
timed first, so figures from different machines can be compared.

Targets (issue 11): current ≥ 2× legacy cache-hit jobs/s on both databases; median
pickup < 50 ms on PostgreSQL and < 0.25 s on SQLite.
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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
POLL_INTERVAL = 1.0
STRATEGIES = ("legacy", "current")
TARGET_SPEEDUP = 2.0
TARGET_PICKUP = {"sqlite": 0.25, "postgres": 0.05}


# --- reusable pieces (benchmarks/queue_outage.py builds on these) -----------------


@contextmanager
def throwaway_database(db: str, label: str = "bench") -> Iterator[dict[str, str]]:
    """An environment naming a fresh output folder and an empty database; both removed after."""
    workdir = Path(tempfile.mkdtemp(prefix=f"codewiki-{label}-{db}-"))
    env = {**os.environ, "CODEWIKI_OUTPUT_DIR": str(workdir), "CODEWIKI_LOG_LEVEL": "WARNING"}
    dbname = f"codewiki_{label}_{os.getpid()}_{int(time.monotonic() * 1000)}"
    if db == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {dbname}")
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{dbname}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    try:
        yield env
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if db == "postgres":
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")


def setup_django() -> None:
    """Inside a subprocess whose environment names the database: Django, migrated."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codewiki_site.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def cached_repos(count: int, start: int = 0) -> list[tuple[str, str]]:
    """``count`` (repository URL, full sha) pairs whose docs are in the cache (one folder)."""
    from django.conf import settings

    from jobs.models import CacheEntry

    docs = Path(settings.CODEWIKI_OUTPUT_DIR) / "docs" / "bench"
    if not docs.is_dir():
        docs.mkdir(parents=True)
        (docs / "overview.md").write_text("# ok\n")
        (docs / "metadata.json").write_text('{"files_generated": ["overview.md", "metadata.json"]}')
    repos = [
        (f"https://github.com/bench/repo{n}", f"{n:040x}") for n in range(start, start + count)
    ]
    CacheEntry.objects.bulk_create(
        CacheEntry(repo_url=url, commit_sha=sha, docs_path="bench") for url, sha in repos
    )
    return repos


def runworker_command(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), "runworker", *args]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def drain_rate(job_ids: list[int]) -> tuple[float, float]:
    """(seconds, jobs/s) from the first claim to the last completion of these jobs."""
    from jobs.models import Job

    finished = Job.objects.filter(pk__in=job_ids, status="completed")
    count = finished.count()
    assert count == len(job_ids), f"{len(job_ids) - count} jobs did not complete"
    first = min(finished.values_list("started_at", flat=True))
    last = max(finished.values_list("completed_at", flat=True))
    seconds = (last - first).total_seconds()
    return seconds, count / seconds


def check_timeline(job_ids: list[int]) -> None:
    """Exactly one attempt per job, completed: batching must not cost correctness."""
    from django.db.models import Count

    from jobs.models import Job, JobAttempt

    attempts = JobAttempt.objects.filter(job_id__in=job_ids)
    assert attempts.count() == len(job_ids), "attempt records missing or doubled"
    assert set(attempts.values_list("outcome", flat=True)) == {"completed"}
    assert not Job.objects.filter(pk__in=job_ids).exclude(attempts=1).exists()
    per_job = attempts.values("job_id").annotate(n=Count("id")).filter(n__gt=1)
    assert not per_job.exists(), "a job ran twice"


# --- one measurement --------------------------------------------------------------


def inner(jobs: int, pickups: int, strategy: str) -> dict[str, Any]:
    """Runs inside a subprocess whose environment names a fresh database."""
    setup_django()
    from django.conf import settings

    from jobs import services
    from jobs.models import Job

    settings.CODEWIKI_QUEUE_SIZE = jobs + pickups + 10
    repos = cached_repos(jobs + pickups)
    drained = [services.submit(url, sha).job.pk for url, sha in repos[:jobs]]

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    batch = ["--batch", "--interval", "0.05", "--strategy", strategy]
    subprocess.run(runworker_command(*batch), env=env, check=True)
    drain_seconds, rate = drain_rate(drained)
    check_timeline(drained)

    idle = subprocess.Popen(
        runworker_command("--interval", str(POLL_INTERVAL), "--strategy", strategy), env=env
    )
    try:
        time.sleep(2)  # started and idle
        rng = random.Random(7)
        ids = []
        for url, sha in repos[jobs:]:
            time.sleep(rng.uniform(0.2, 0.9))
            ids.append(services.submit(url, sha).job.pk)
        deadline = time.monotonic() + 60
        while Job.objects.filter(pk__in=ids, status="completed").count() < pickups:
            if time.monotonic() > deadline:
                raise RuntimeError("pickup jobs did not finish")
            time.sleep(0.1)
    finally:
        idle.send_signal(signal.SIGTERM)
        idle.wait(timeout=30)
    waits = [job.queue_seconds or 0.0 for job in Job.objects.filter(pk__in=ids)]
    return {
        "jobs": jobs,
        "drain_seconds": drain_seconds,
        "jobs_per_second": rate,
        "pickup_median": statistics.median(waits),
        "pickup_p95": percentile(waits, 0.95),
    }


def run_one(db: str, jobs: int, pickups: int, strategy: str = "current") -> dict[str, Any]:
    """One measurement of one strategy on a fresh database of kind ``db``."""
    with throwaway_database(db) as env:
        command = [sys.executable, "-m", "benchmarks.queue", "--inner"]
        command += ["--jobs", str(jobs), "--pickups", str(pickups), "--strategy", strategy]
        try:
            out = subprocess.run(
                command, cwd=ROOT, env=env, check=True, capture_output=True, text=True
            )
        except subprocess.CalledProcessError as exc:
            sys.stderr.write(exc.stderr)
            raise
        return json.loads(out.stdout.strip().splitlines()[-1])


def ast_parse_baseline(repeat: int = 3) -> tuple[int, float]:
    """(files, best seconds) for a bare read + ``ast.parse`` of Django's own source."""
    import ast

    import django

    files = sorted(p for p in Path(django.__file__).parent.rglob("*.py") if not p.is_symlink())
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for path in files:
            ast.parse(path.read_bytes().decode("utf-8", "replace"))
        best = min(best, time.perf_counter() - start)
    return len(files), best


# --- report -------------------------------------------------------------------------


def spread(values: list[float], fmt: str) -> str:
    """The median, and the range when there are several runs."""
    middle = format(statistics.median(values), fmt)
    if len(values) == 1:
        return middle
    return f"{middle} ({format(min(values), fmt)}–{format(max(values), fmt)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--pickups", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=1, help="runs per database and strategy")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--strategy", choices=[*STRATEGIES, "both"], default="both")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        print(json.dumps(inner(args.jobs, args.pickups, args.strategy)))
        return

    files, seconds = ast_parse_baseline()
    print(f"machine baseline: bare ast.parse of Django's {files} files, best of 3: {seconds:.2f} s")
    print(
        f"{args.jobs} cache-hit jobs drained by one worker; {args.pickups} pickups by an idle "
        f"worker (poll interval {POLL_INTERVAL:g} s); {args.repeat} run(s) each, "
        "median (min–max)\n"
    )
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    strategies = list(STRATEGIES) if args.strategy == "both" else [args.strategy]
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for db in dbs:
        for _ in range(args.repeat):
            for strategy in strategies:
                result = run_one(db, args.jobs, args.pickups, strategy)
                results.setdefault((db, strategy), []).append(result)
                print(  # progress, while the table waits for every run
                    f"  {db} {strategy}: {result['jobs_per_second']:.0f} jobs/s, pickup median "
                    f"{result['pickup_median']:.3f} s, p95 {result['pickup_p95']:.3f} s",
                    file=sys.stderr,
                    flush=True,
                )

    header = (
        f"{'database':<10} {'strategy':<8} {'jobs/s':>18} {'pickup median s':>22} "
        f"{'pickup p95 s':>20}"
    )
    print(header)
    print("-" * len(header))
    for (db, strategy), runs in results.items():
        print(
            f"{db:<10} {strategy:<8} "
            f"{spread([r['jobs_per_second'] for r in runs], '.0f'):>18} "
            f"{spread([r['pickup_median'] for r in runs], '.3f'):>22} "
            f"{spread([r['pickup_p95'] for r in runs], '.3f'):>20}"
        )
    if len(strategies) < 2:
        return
    print()
    for db in dbs:
        legacy, current = results[(db, "legacy")], results[(db, "current")]
        # Paired by run: each legacy run and the current run right after it.
        ratios = [
            c["jobs_per_second"] / old["jobs_per_second"]
            for old, c in zip(legacy, current, strict=True)
        ]
        pickup = statistics.median(r["pickup_median"] for r in current)
        print(
            f"{db:<10} current/legacy throughput {spread(ratios, '.2f')}x "
            f"(target ≥ {TARGET_SPEEDUP:g}x); current median pickup {pickup * 1000:.0f} ms "
            f"(target < {TARGET_PICKUP[db] * 1000:.0f} ms)"
        )


if __name__ == "__main__":
    main()
