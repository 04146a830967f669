"""Waking idle workers as soon as there is work.

Producers: every path that makes a job ready to run now — submit, an operator's
retry, a job handed back or taken back from a lost worker — calls
``jobs_ready()``. On PostgreSQL that sends one ``NOTIFY`` once the surrounding
transaction commits (never for work that was rolled back); it is the only place
that sends one. On SQLite it does nothing.

Consumers: a worker on PostgreSQL holds a ``Listener``, a dedicated autocommit
connection that ``LISTEN``s on the channel. Its socket joins the worker's wait
beside signals and child exits, so a notification ends an idle wait at once.
Polling stays the fallback: a lost notification, a restarted database or a
dropped listener costs at most one poll interval, and the listener reconnects
on its own. Without notifications (SQLite, or while reconnecting) ``IdleBackoff``
spaces the polls: short right after work, growing to the poll interval.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from functools import partial

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

logger = logging.getLogger("jobs.worker")

CHANNEL = "codewiki_jobs"
RECONNECT_SECONDS = 2.0  # between attempts to re-open a dropped LISTEN connection


def notifications_supported(using: str = DEFAULT_DB_ALIAS) -> bool:
    return connections[using].vendor == "postgresql"


def jobs_ready(using: str = DEFAULT_DB_ALIAS) -> None:
    """Tell idle workers that a job is ready, once the current transaction commits."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    # One NOTIFY per transaction is enough however many jobs it queues: a bulk
    # retry of 1,000 jobs must not wake every worker 1,000 times. A callback is
    # dropped only when a savepoint it was registered under rolls back, and every
    # open savepoint encloses this call too, so the one already registered fires
    # whenever this one would.
    for _, callback, _ in connection.run_on_commit:
        if isinstance(callback, partial) and callback.func is _send and callback.args == (using,):
            return
    transaction.on_commit(partial(_send, using), using=using)


def _send(using: str) -> None:
    try:
        with connections[using].cursor() as cursor:
            cursor.execute(f"NOTIFY {CHANNEL}")
    except DatabaseError:
        # The job is committed; workers find it at their next poll.
        logger.warning("Could not notify workers; they will find the job by polling")


@dataclass
class IdleBackoff:
    """Seconds between polls when no notification can wake the worker.

    Right after work the next job is likely soon, so polls start ``floor`` apart
    and grow by ``growth`` per empty poll up to ``ceiling`` (the poll interval):
    quick pickup of bursts without a busy loop while idle.
    """

    ceiling: float
    floor: float = 0.05
    growth: float = 1.5
    _next: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self.floor = min(self.floor, self.ceiling)
        self.reset()

    def reset(self) -> None:
        """Work just happened: poll again soon."""
        self._next = self.floor

    def next_wait(self) -> float:
        wait = self._next
        self._next = min(self._next * self.growth, self.ceiling)
        return wait


class Listener:
    """A dedicated PostgreSQL connection that LISTENs for ``jobs_ready()``."""

    def __init__(self, using: str = DEFAULT_DB_ALIAS) -> None:
        self.using = using
        self._wrapper: BaseDatabaseWrapper | None = None
        self._next_attempt = 0.0
        self._failing = False  # logged once per outage, not at every reconnect attempt

    @property
    def listening(self) -> bool:
        return self._wrapper is not None

    @property
    def application_name(self) -> str:
        """How this connection shows in ``pg_stat_activity``."""
        return f"codewiki-listen-{os.getpid()}"

    def ensure(self) -> bool:
        """Open the connection and LISTEN unless already listening; True if it just did.

        Notifications sent while not listening are lost, so after a (re)start the
        worker claims before it waits.
        """
        if self._wrapper is not None or time.monotonic() < self._next_attempt:
            return False
        wrapper = self._new_wrapper()
        try:
            wrapper.connect()
            raw = wrapper.connection
            raw.autocommit = True
            raw.execute(f"LISTEN {CHANNEL}")
        except Exception as exc:
            self._next_attempt = time.monotonic() + RECONNECT_SECONDS
            if not self._failing:
                logger.warning("Cannot LISTEN for new jobs (%s); polling meanwhile", exc)
            self._failing = True
            _close_quietly(wrapper)
            return False
        self._wrapper = wrapper
        self._failing = False
        logger.info("Listening for new jobs (PostgreSQL LISTEN %s)", CHANNEL)
        return True

    def _new_wrapper(self) -> BaseDatabaseWrapper:
        """A connection of its own, outside ``connections``.

        Django's per-request connection handling and the close before forking a
        child never touch it. TCP keepalives notice a peer that vanished without
        closing the connection (a failed-over host): the socket then reports an
        error and the listener reconnects, instead of waiting forever in silence.
        """
        main = connections[self.using]
        options = {
            **main.settings_dict.get("OPTIONS", {}),
            "application_name": self.application_name,
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
        }
        options.pop("pool", None)  # LISTEN needs a connection nobody else uses
        return type(main)({**main.settings_dict, "OPTIONS": options}, self.using)

    def fileno(self) -> int | None:
        """The socket to wait on, or None when not listening."""
        if self._wrapper is None:
            return None
        return self._wrapper.connection.fileno()

    def drain(self) -> int:
        """Consume the notifications waiting on the socket; returns how many.

        A dropped connection (database restart, ``pg_terminate_backend``) makes the
        socket readable too: the listener closes it and reconnects at the next
        ``ensure()``.
        """
        if self._wrapper is None:
            return 0
        raw = self._wrapper.connection
        try:
            count = sum(1 for _ in raw.notifies(timeout=0))
            if not raw.closed and not raw.broken:
                return count
        except Exception as exc:
            logger.warning("LISTEN connection lost (%s); polling until it is back", exc)
        else:
            logger.warning("LISTEN connection lost; polling until it is back")
        self.close()
        return 0

    def close(self) -> None:
        if self._wrapper is not None:
            _close_quietly(self._wrapper)
            self._wrapper = None


def _close_quietly(wrapper: BaseDatabaseWrapper) -> None:
    try:
        wrapper.close()
    except Exception:
        logger.debug("Closing the LISTEN connection failed", exc_info=True)
