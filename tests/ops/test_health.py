"""Liveness, readiness and ``manage.py health`` (issue 10, operations)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from jobs.health import readiness
from jobs.models import Worker
from tests.conftest import BASE_DIR, subprocess_env, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make ``folder`` unwritable for real: a read-only mount as root, else permissions."""
    if os.geteuid() != 0:
        os.chmod(folder, 0o500)
        try:
            yield
        finally:
            os.chmod(folder, 0o700)
        return
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=16k", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs: {mounted.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=False)


def health_command(settings: Any, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), "health", *args],
        cwd=BASE_DIR,
        env=subprocess_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_liveness_needs_no_database(client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        response = client.get("/livez")
    assert response.status_code == 200
    assert response.json() == {"alive": True}


def test_readiness_lists_every_reason_then_turns_ready(
    client: Client, settings: Any, output_dir: Path, worker_process: Any
) -> None:
    settings.CODEWIKI_LOGIN_REQUIRED = True  # machines still get an answer
    with read_only(output_dir):
        response = client.get("/readyz")
    assert response.status_code == 503
    reasons = response.json()["reasons"]
    assert len(reasons) == 2
    assert reasons[0].startswith("output folder not writable (CODEWIKI_OUTPUT_DIR): ")
    assert reasons[1] == "no live worker (none has sent a heartbeat within CODEWIKI_LEASE_SECONDS)"

    result = health_command(settings)
    assert result.returncode == 1
    assert "not ready: no live worker" in result.stderr

    worker_process()
    wait_for(Worker.objects.exists, timeout=30, what="a worker row")
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["live_workers"] == 1
    result = health_command(settings)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ready")


def test_missing_output_folder_and_selected_checks(settings: Any, tmp_path: Path) -> None:
    settings.CODEWIKI_OUTPUT_DIR = tmp_path / "missing"
    assert readiness(("database", "output")).reasons == [
        "output folder missing (CODEWIKI_OUTPUT_DIR)"
    ]
    result = health_command(settings, "--checks", "database", "--json")
    assert result.returncode == 0, result.stderr
    assert health_command(settings, "--checks", "disk").returncode == 2  # argparse error
