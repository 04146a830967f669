"""Riding out a database restart or outage: bounded retries, and one log line per change.

A database that blinks (a restart, a failover, a connection dropped by the
server) must not fail a job, and a long outage must not fill the log with a
traceback a second. ``retrying`` reconnects and re-runs one unit of work until
it succeeds or its time budget is spent (then ``DatabaseUnavailable``), and
``OutageLog`` writes "unreachable" when an outage starts and "reachable again"
when it ends, once each per process.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import DatabaseError, InterfaceError, OperationalError, connections

T = TypeVar("T")

# What a lost or refused connection raises (psycopg and sqlite3 alike); a
# constraint or programming error is a bug, not an outage, and is not retried.
DISCONNECT_ERRORS = (OperationalError, InterfaceError)


class DatabaseUnavailable(Exception):
    """The database stayed unreachable for a whole retry budget."""


def is_disconnect(exc: BaseException) -> bool:
    return isinstance(exc, DISCONNECT_ERRORS)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


class OutageLog:
    """Logs the start and the end of a database outage, once each."""

    def __init__(self, logger: logging.Logger, who: str = "") -> None:
        self.logger = logger
        self.who = f"{who}: " if who else ""
        self.down_since: float | None = None

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def lost(self, exc: BaseException) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()
            self.logger.warning(
                "%sDatabase unreachable (%s); retrying until it is back", self.who, _first_line(exc)
            )

    def back(self) -> None:
        if self.down_since is not None:
            seconds = time.monotonic() - self.down_since
            self.down_since = None
            self.logger.warning("%sDatabase reachable again after %.1f s", self.who, seconds)


def reset_connections() -> None:
    """Drop this process's database connections so the next query opens a new one."""
    for conn in connections.all(initialized_only=True):
        with contextlib.suppress(DatabaseError):  # closing a dead socket may complain
            conn.close()


def retrying(fn: Callable[[], T], *, budget: float, log: OutageLog, what: str) -> T:
    """Run ``fn``; while the database is unreachable, reconnect and run it again.

    ``fn`` must be safe to repeat: one transaction, or idempotent writes. Gives
    up with ``DatabaseUnavailable`` once ``budget`` seconds have passed.
    """
    started = time.monotonic()
    deadline = started + budget
    delay = 0.1
    while True:
        try:
            result = fn()
        except DISCONNECT_ERRORS as exc:
            if any(conn.in_atomic_block for conn in connections.all(initialized_only=True)):
                raise  # the enclosing transaction is lost; whoever opened it retries
            log.lost(exc)
            reset_connections()
            if time.monotonic() + delay > deadline:
                raise DatabaseUnavailable(
                    f"Database still unreachable after {time.monotonic() - started:.1f} s "
                    f"of retries while {what}"
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
        else:
            log.back()
            return result
