"""A worker killed outright leaves no git behind, even while git hangs on a silent server."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from jobs import services
from jobs.models import Job, Repository, Status
from tests.conftest import wait_for
from tests.support.gitserve import HangingServer
from tests.support.procs import processes_touching

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def leftovers(hanging_server: HangingServer, output_dir: Path) -> Iterator[None]:
    """Whatever the outcome, kill git processes this test caused (a failed run must not leak)."""
    yield
    for pid in processes_touching(hanging_server.port, output_dir / "temp"):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize(
    ("commit", "step"),
    [("", " ls-remote "), ("ab" * 20, " fetch ")],
    ids=["ls-remote", "fetch"],
)
def test_sigkilled_worker_leaves_no_git_running(
    settings: Any,
    hanging_server: HangingServer,
    worker_process: Any,
    output_dir: Path,
    leftovers: None,
    commit: str,
    step: str,
) -> None:
    settings.CODEWIKI_CLONE_TIMEOUT = 600  # git must still be hanging when the worker dies
    job = services.submit(f"{hanging_server.host_entry}/acme/silent", commit).job
    worker = worker_process()
    temp = output_dir / "temp"
    hanging = wait_for(
        lambda: {
            pid: line
            for pid, line in processes_touching(hanging_server.port, temp).items()
            if step in line
        },
        timeout=20,
        what=f"git{step}to hang on the silent server",
    )
    assert Job.objects.get(pk=job.pk).status == Status.PROCESSING
    worker.signal(signal.SIGKILL)
    worker.wait(timeout=10)
    wait_for(
        lambda: not processes_touching(hanging_server.port, temp),
        timeout=10,
        what=f"git of the killed worker to die (was {hanging})",
    )


def test_sigkilled_worker_leaves_no_git_of_a_refresh_running(
    hanging_server: HangingServer, worker_process: Any, output_dir: Path, leftovers: None
) -> None:
    """The scheduled refresh runs ``git ls-remote`` in the worker itself, not in a job child."""
    Repository.objects.create(
        url=f"{hanging_server.host_entry}/acme/tracked",
        next_check_at=timezone.now() - timedelta(seconds=1),
    )
    worker = worker_process()
    hanging = wait_for(
        lambda: processes_touching(hanging_server.port, output_dir / "temp"),
        timeout=20,
        what="the refresh's git ls-remote to hang on the silent server",
    )
    worker.signal(signal.SIGKILL)
    worker.wait(timeout=10)
    wait_for(
        lambda: not processes_touching(hanging_server.port, output_dir / "temp"),
        timeout=10,
        what=f"git of the killed worker to die (was {hanging})",
    )
