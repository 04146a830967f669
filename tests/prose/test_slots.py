"""The per-worker limit on model requests: lock-file slots shared by a worker's job processes."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from jobs.docgen.prose import FileSlots, Stop
from tests.conftest import wait_for

HOLD = """
import sys, time
from pathlib import Path
from jobs.docgen.prose import FileSlots, Stop
with FileSlots(Path(sys.argv[1]), 1, Stop())():
    print("holding", flush=True)
    time.sleep(600)
"""


def test_slots_limit_concurrent_requests(tmp_path: Path) -> None:
    slots = FileSlots(tmp_path, 2, Stop())
    inside = 0
    most = 0
    lock = threading.Lock()
    release = threading.Event()

    def request() -> None:
        nonlocal inside, most
        with slots():
            with lock:
                inside += 1
                most = max(most, inside)
            release.wait(5)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=request) for _ in range(5)]
    for thread in threads:
        thread.start()
    wait_for(lambda: inside == 2, timeout=10, what="two requests inside")
    release.set()
    for thread in threads:
        thread.join(10)
    assert most == 2


def test_a_killed_holder_frees_its_slot(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)], cwd=root, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        stop = Stop()
        threading.Timer(0.5, holder.kill).start()  # a job process killed mid-request
        with FileSlots(tmp_path, 1, stop)():
            assert holder.wait(5) is not None  # got the slot only once the holder died
    finally:
        holder.kill()
        holder.wait(5)


def test_waiting_for_a_slot_ends_when_stopped(tmp_path: Path) -> None:
    stop = Stop()
    first = FileSlots(tmp_path, 1, stop)
    with first():
        threading.Timer(0.3, stop.set, args=("cancelled",)).start()
        try:
            with FileSlots(tmp_path, 1, stop)():
                raise AssertionError("a second slot was handed out")
        except Exception as exc:  # the ModelError("stopped") the prose step records
            assert getattr(exc, "kind", "") == "stopped"
