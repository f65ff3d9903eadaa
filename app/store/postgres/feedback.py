"""Feedback in the PostgreSQL backend's own table, outside every generation."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from psycopg.types.json import Jsonb

from app.store.postgres.connections import Connections

__all__ = ["PostgresFeedback"]


class PostgresFeedback:
    """Feedback records in ``docqa_feedback``."""

    def __init__(self, connections: Connections) -> None:
        self._connections = connections

    def add(self, record: dict[str, Any]) -> None:
        """Keep one record."""
        with self._connections.connection() as connection:
            connection.execute(
                "INSERT INTO docqa_feedback (created, record) VALUES (%s::timestamptz, %s)",
                (record["time"], Jsonb(record)),
            )

    def since(self, day: date | None = None, limit: int = 100_000) -> list[dict[str, Any]]:
        """Records from ``day`` on, oldest first."""
        with self._connections.connection() as connection:
            rows = connection.execute(
                "SELECT record FROM docqa_feedback WHERE %s::date IS NULL OR created >= %s::date "
                "ORDER BY id LIMIT %s",
                (day, day, limit),
            ).fetchall()
        return [r[0] if isinstance(r[0], dict) else json.loads(r[0]) for r in rows]
