"""A SIGTERM while a worker is still starting stops it cleanly (exit 0, issue 10.5)."""

from __future__ import annotations

import signal
import time
from typing import Any

import pytest

from jobs.models import Worker
from tests.conftest import wait_for


def _catches(pid: int, signum: int) -> bool:
    """Whether the process has a handler for ``signum`` (SigCgt in /proc)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) & (1 << (signum - 1)))
    except FileNotFoundError:
        pass
    return False


@pytest.mark.parametrize("delay", [0.1, 0.3, 0.6])
def test_sigterm_during_startup_exits_zero(worker_process: Any, delay: float) -> None:
    worker = worker_process()
    # Python installs its SIGINT handler while the interpreter starts, before manage.py
    # runs; from then on, Django's start-up takes most of a second.
    wait_for(lambda: _catches(worker.pid, signal.SIGINT), timeout=10, interval=0.005)
    time.sleep(delay)
    worker.signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0, worker.log()
    assert not Worker.objects.exists()
