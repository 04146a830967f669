"""At most N model requests at once across every job of one worker.

Each job runs in its own process, so the limit is a set of lock files: a request holds one
`flock` for its duration. The kernel drops the lock when its holder dies, so a job killed
mid-request (cancelled, timed out) never leaks a slot.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from .client import Stop

POLL_SECONDS = 0.05


class FileSlots:
    def __init__(self, folder: Path, count: int, stop: Stop) -> None:
        self.folder = folder
        self.count = max(1, count)
        self.stop = stop

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        while True:
            for index in range(self.count):
                fd = os.open(self.folder / f"slot-{index}.lock", os.O_CREAT | os.O_RDWR, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                try:
                    yield
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    os.close(fd)
                return
            self.stop.sleep(POLL_SECONDS)
