"""A real PostgreSQL outage for one database, without touching the shared server.

``ALTER DATABASE … ALLOW_CONNECTIONS false`` refuses new connections and
``pg_terminate_backend`` drops the open ones, which is what a worker sees of a
restart or a stopped server; other databases on the same server carry on.
Used by the tests and by ``benchmarks/queue_outage.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql


def _admin(host: str, port: int | str, user: str) -> psycopg.Connection:
    return psycopg.connect(host=host, port=port, user=user, dbname="postgres", autocommit=True)


@contextmanager
def database_outage(
    dbname: str,
    *,
    host: str = "127.0.0.1",
    port: int | str = 5432,
    user: str = "postgres",
    spare_pids: Iterable[int] = (),
) -> Iterator[None]:
    """Make ``dbname`` unreachable inside the block; connections in ``spare_pids`` survive."""
    with _admin(host, port, user) as admin:
        name = sql.Identifier(dbname)
        admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(name))
        try:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> ALL(%s)",
                (dbname, list(spare_pids)),
            )
            yield
        finally:
            admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(name))
