"""The PostgreSQL backend: one database shared by every server and index worker.

Vectors in pgvector (an HNSW index, cosine), text, term statistics and metadata in
tables, indexing runs coordinated through row claims and advisory locks. See
``schema.py`` for how generations keep every question on one whole corpus.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from app.errors import IndexNotFoundError
from app.store.base import BuildSpec, Store
from app.store.postgres.connections import Connections
from app.store.postgres.feedback import PostgresFeedback
from app.store.postgres.library import PostgresLibrary
from app.store.postgres.schema import connect, failure, hidden
from app.store.postgres.store import PostgresStore
from app.store.postgres.writer import Writer

__all__ = ["PostgresBackend", "PostgresStore", "hidden"]


class PostgresBackend:
    """A PostgreSQL database with pgvector, shared by servers and index workers."""

    def __init__(
        self,
        url: str,
        grace_seconds: float = 600.0,
        ef_search: int = 400,
        exact_under: int = 20_000,
    ) -> None:
        self.url = url
        self.grace_seconds = grace_seconds
        self.ef_search = ef_search
        self.exact_under = exact_under
        self._connections = Connections(url)

    def feedback(self) -> PostgresFeedback:
        """The ``docqa_feedback`` table (created with the schema on first use)."""
        connect(self.url).close()  # the schema, migrated if needed
        return PostgresFeedback(self._connections)

    def library(self) -> PostgresLibrary:
        """``docqa_uploads`` and ``docqa_jobs`` (created with the schema on first use)."""
        connect(self.url).close()  # the schema, migrated if needed
        return PostgresLibrary(self._connections)

    def secret(self, name: str) -> bytes:
        """A row of ``docqa_keys``, made once by whichever server asks first."""
        with self._connections.connection(f"keep the {name} key") as c:
            if not _has_key(c, name):  # a role that may only read never needs to write it
                c.execute(
                    "INSERT INTO docqa_keys VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
                    (name, secrets.token_bytes(32)),
                )
            (value,) = c.execute("SELECT value FROM docqa_keys WHERE name = %s", (name,)).fetchone()
        return bytes(value)

    def close(self) -> None:
        """Close the connections the stores shared."""
        self._connections.close()

    def describe(self) -> str:
        """The database, its password hidden."""
        return f"the database at {hidden(self.url)}"

    def open(self, embedder: str | None = None) -> Store:
        """The live generation."""
        return PostgresStore(
            self.url, self._connections, embedder, self.ef_search, self.exact_under
        )

    def latest(self) -> str:
        """The live generation's name (``IndexNotFoundError`` before the first)."""
        connection = connect(self.url)
        try:
            row = connection.execute("SELECT id FROM docqa_generations WHERE live").fetchone()
        finally:
            connection.close()
        if row is None:
            raise IndexNotFoundError(
                f"No index in the database at {hidden(self.url)} yet: run `docqa index PATH`."
            )
        return f"pg-{row[0]}"

    @contextmanager
    def writer(self, spec: BuildSpec) -> Iterator[Writer]:
        """This process's part in the open run with ``spec.key``, or in a new run; a
        database failure during the run is named for what it is (the run's work so far
        stays staged for the next run)."""
        import psycopg

        writer = Writer(self.url, spec, self.grace_seconds)
        try:
            yield writer
        except psycopg.Error as exc:
            raise failure(self.url, exc, "index the documents") from None
        finally:
            with contextlib.suppress(psycopg.Error):
                writer.close()


def _has_key(connection: Any, name: str) -> bool:
    """Whether the key exists."""
    row = connection.execute("SELECT 1 FROM docqa_keys WHERE name = %s", (name,)).fetchone()
    return row is not None
