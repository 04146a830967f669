"""Stop signals that reach ``runworker`` before its Worker is ready to handle them.

Django's start-up takes most of a second; a SIGTERM in that window (a deploy that
changes its mind, a container stopped right after start) would otherwise kill the
process by signal. ``manage.py`` calls ``capture`` first thing for ``runworker``;
the Worker replays what arrived once its own handlers are installed. No Django
imports here: this runs before settings are loaded.
"""

from __future__ import annotations

import signal
from types import FrameType

_received: list[int] = []


def _remember(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)


def capture() -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _remember)


def received() -> list[int]:
    """Signals caught before the worker took over, oldest first."""
    return list(_received)
