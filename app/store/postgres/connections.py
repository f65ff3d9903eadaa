"""The connections every store of a PostgreSQL backend shares."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from app.store.postgres.schema import failure, unreachable

__all__ = ["Connections"]

_WAIT = 5.0  # seconds to wait for a connection before telling the asker the database is away


class Connections:
    """The connections every store of a backend shares: a small pool, replaced whole when
    the database went away, so questions work again as soon as it is back."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._pool: Any = None
        self._lock = threading.Lock()

    @contextmanager
    def connection(self, what: str = "read the index") -> Iterator[Any]:
        """A connection for one piece of work (``what``, for messages);
        ``StoreUnavailableError`` when the database cannot be reached (the pool is then
        started afresh on the next call), and every other database error named for what
        it is (a role without the privilege, a full disk)."""
        import psycopg
        import psycopg_pool

        try:
            with self._current().connection(timeout=_WAIT) as connection:
                yield connection
        except (psycopg.OperationalError, psycopg_pool.PoolTimeout) as exc:
            self.close()
            raise unreachable(self.url, exc) from None
        except psycopg.Error as exc:
            raise failure(self.url, exc, what) from None

    def _current(self) -> Any:
        from psycopg_pool import ConnectionPool, PoolTimeout

        with self._lock:
            if self._pool is None:
                pool = ConnectionPool(
                    self.url, min_size=1, max_size=8, open=True, configure=_configure,
                    kwargs={"autocommit": True},
                    # A connection the server dropped is replaced before it is handed out.
                    check=ConnectionPool.check_connection,
                )  # fmt: skip
                try:
                    pool.wait(timeout=_WAIT)  # fail fast while the database is down
                except PoolTimeout:
                    pool.close(timeout=0)
                    raise
                self._pool = pool
            return self._pool

    def close(self) -> None:
        """Close the pool; the next connection starts a new one."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close(timeout=2)


def _configure(connection: Any) -> None:
    from pgvector.psycopg import register_vector

    register_vector(connection)
