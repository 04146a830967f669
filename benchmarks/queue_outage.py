"""The cache-hit drain with the database restarted in the middle: nothing lost, nothing run twice.

    .venv/bin/python -m benchmarks.queue_outage [--jobs 1000] [--child-jobs 200] [--outages 2,8]

PostgreSQL only. The outage is real and touches nothing else on the server:
the benchmark's own throwaway database refuses new connections and its open
ones are terminated (``tests/support/pg_outage.py``), which is what a worker
sees of a restart or a stopped server. Two real ``runworker`` processes
(concurrency 2, ``CODEWIKI_LEASE_SECONDS=5``) drain two kinds of cache hit:

- *in claim*: jobs naming a full sha whose docs are cached, completed inside
  the claiming transaction (the worker parent's path, as in benchmarks/queue.py);
- *in child*: jobs naming a branch of a local repository whose head is cached;
  each runs in a job child (``git ls-remote``, then the cache hit), so leases,
  heartbeats and the per-attempt guard are all exercised.

Each kind is drained without an outage and then with each outage length, the
outage starting once half the jobs are done. Printed per run: jobs completed,
attempts used, jobs run twice (two attempts of one job whose start-to-end
spans overlap; must be 0), the drain time and its ratio to the drain without
an outage, and the workers' log lines about the database (one when it goes,
one when it is back, per process) and tracebacks (must be 0). An outage longer
than the lease makes the guards stop running children before their leases
expire; those jobs go back to the queue and cost one more attempt each.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.gitserve import git, init_repo  # noqa: E402
from tests.support.pg_outage import database_outage  # noqa: E402

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
LEASE_SECONDS = 5
WORKERS = 2
CONCURRENCY = 2


@dataclass
class Result:
    kind: str
    outage: float
    jobs: int
    completed: int
    attempts: int
    run_twice: int
    drain: float
    db_log_lines: int
    tracebacks: int


def setup_django(dbname: str, output: Path) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="codewiki_site.settings",
        DATABASE_URL=f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{dbname}",
        CODEWIKI_OUTPUT_DIR=str(output),
        CODEWIKI_LEASE_SECONDS=str(LEASE_SECONDS),
        CODEWIKI_ALLOW_LOCAL_REPOS="1",
        CODEWIKI_QUEUE_SIZE="1000000",
        CODEWIKI_LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_cached_docs(output: Path) -> str:
    docs = output / "docs" / "bench"
    docs.mkdir(parents=True)
    (docs / "overview.md").write_text("# ok\n")
    (docs / "metadata.json").write_text('{"files_generated": ["overview.md", "metadata.json"]}')
    return "bench"


def make_branchy_repo(path: Path, branches: int) -> str:
    """A local repository with ``branches`` branches all at one commit; returns its sha."""
    sha = init_repo(path, {"README.md": "# bench\n"})
    refs = "".join(f"{sha} refs/heads/b{n}\n" for n in range(branches))
    header = "# pack-refs with: peeled fully-peeled sorted \n"
    (path / ".git" / "packed-refs").write_text(header + refs)
    git("rev-parse", "b0", cwd=path)  # git reads the refs we wrote
    return sha


def enqueue(kind: str, count: int, repo: Path, repo_sha: str, docs_path: str) -> None:
    from jobs import services
    from jobs.models import CacheEntry
    from jobs.repo_urls import normalize_repo_url

    if kind == "in claim":
        CacheEntry.objects.bulk_create(
            CacheEntry(
                repo_url=f"https://github.com/bench/repo{n}",
                commit_sha=f"{n:040x}",
                docs_path=docs_path,
            )
            for n in range(count)
        )
        for n in range(count):
            services.submit(f"https://github.com/bench/repo{n}", f"{n:040x}")
    else:
        CacheEntry.objects.create(
            repo_url=normalize_repo_url(str(repo)), commit_sha=repo_sha, docs_path=docs_path
        )
        for n in range(count):
            services.submit(str(repo), f"b{n}")


def finished_count() -> int:
    from jobs.models import Job, Status

    return Job.objects.filter(
        status__in=[Status.COMPLETED, Status.FAILED, Status.CANCELLED]
    ).count()


def wait_until(predicate: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise RuntimeError("the drain did not finish in time")
        time.sleep(0.02)


def run_once(
    kind: str, count: int, outage: float, dbname: str, repo: Path, sha: str, logs: Path
) -> Result:
    from django.db import connections

    from jobs.models import CacheEntry, Job, JobAttempt, Status

    Job.objects.all().delete()
    CacheEntry.objects.all().delete()
    enqueue(kind, count, repo, sha, "bench")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, str(ROOT / "manage.py"), "runworker"]
    command += ["--interval", "0.05", "--concurrency", str(CONCURRENCY)]
    log_paths = [logs / f"{kind.replace(' ', '-')}-{outage:g}-{n}.log" for n in range(WORKERS)]
    workers = [
        subprocess.Popen(command, env=env, stdout=path.open("w"), stderr=subprocess.STDOUT)
        for path in log_paths
    ]
    try:
        if outage:
            # A child kind waits for a job to be in a child, so the outage catches one mid-run.
            busy = Job.objects.filter(status=Status.PROCESSING)
            wait_until(
                lambda: finished_count() >= count // 2 and (kind == "in claim" or busy.exists()),
                timeout=120,
            )
            with database_outage(dbname, **PG):
                time.sleep(outage)
            connections.close_all()  # ours was terminated too
        wait_until(lambda: finished_count() >= count, timeout=300)
    finally:
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        for proc in workers:
            proc.wait(timeout=60)

    jobs = Job.objects.all()
    completed = jobs.filter(status=Status.COMPLETED)
    first = min(jobs.values_list("started_at", flat=True))
    last = max(completed.values_list("completed_at", flat=True))
    spans: dict[int, list[tuple[object, object]]] = {}
    rows = JobAttempt.objects.order_by("job_id", "started_at", "id")
    for job_id, started, finished in rows.values_list("job_id", "started_at", "finished_at"):
        spans.setdefault(job_id, []).append((started, finished))
    run_twice = sum(
        1
        for attempts in spans.values()
        if any(
            end is None or end > next_start  # type: ignore[operator]
            for (_, end), (next_start, _) in itertools.pairwise(attempts)
        )
    )
    text = "".join(path.read_text(errors="replace") for path in log_paths)
    return Result(
        kind=kind,
        outage=outage,
        jobs=count,
        completed=completed.count(),
        attempts=JobAttempt.objects.count(),
        run_twice=run_twice,
        drain=(last - first).total_seconds(),
        db_log_lines=text.count("Database unreachable") + text.count("Database reachable again"),
        tracebacks=text.count("Traceback"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1000, help="in-claim cache hits (1000)")
    parser.add_argument("--child-jobs", type=int, default=200, help="in-child cache hits (200)")
    parser.add_argument(
        "--outages", default="2,8", help="outage lengths in seconds, comma-separated (2,8)"
    )
    parser.add_argument("--keep-logs", type=Path, help="copy the workers' logs to this folder")
    args = parser.parse_args()
    outages = [0.0, *(float(x) for x in args.outages.split(",") if x.strip())]

    work = Path(tempfile.mkdtemp(prefix="codewiki-outage-bench-"))
    dbname = f"codewiki_outage_bench_{os.getpid()}"
    with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {dbname}")
    try:
        setup_django(dbname, work / "output")
        make_cached_docs(work / "output")
        sha = make_branchy_repo(work / "repo", args.child_jobs)
        (work / "logs").mkdir()
        header = (
            f"{'kind':<9} {'outage s':>8} {'jobs':>5} {'completed':>9} {'attempts':>8} "
            f"{'run twice':>9} {'drain s':>8} {'vs none':>8} {'db log lines':>12} "
            f"{'tracebacks':>10}"
        )
        print(f"PostgreSQL, {WORKERS} workers × concurrency {CONCURRENCY}, lease {LEASE_SECONDS} s")
        print(header)
        print("-" * len(header))
        for kind, count in (("in claim", args.jobs), ("in child", args.child_jobs)):
            baseline = None
            for outage in outages:
                r = run_once(kind, count, outage, dbname, work / "repo", sha, work / "logs")
                baseline = baseline or r.drain
                print(
                    f"{r.kind:<9} {r.outage:>8g} {r.jobs:>5} {r.completed:>9} {r.attempts:>8} "
                    f"{r.run_twice:>9} {r.drain:>8.2f} {r.drain / baseline:>7.2f}x "
                    f"{r.db_log_lines:>12} {r.tracebacks:>10}",
                    flush=True,
                )
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep_logs and (work / "logs").is_dir():
            shutil.copytree(work / "logs", args.keep_logs, dirs_exist_ok=True)
        shutil.rmtree(work, ignore_errors=True)
        with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")


if __name__ == "__main__":
    main()
