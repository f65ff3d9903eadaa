"""Feedback in the PostgreSQL backend's own table, outside every generation."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from psycopg.types.json import Jsonb

from app.feedback import PAGE
from app.store.postgres.connections import Connections

__all__ = ["PostgresFeedback"]


class PostgresFeedback:
    """Feedback records in ``docqa_feedback``."""

    def __init__(self, connections: Connections) -> None:
        self._connections = connections

    def add(self, record: dict[str, Any]) -> None:
        """Keep one record."""
        with self._connections.connection("keep a feedback record") as connection:
            connection.execute(
                "INSERT INTO docqa_feedback (created, record) VALUES (%s::timestamptz, %s)",
                (record["time"], Jsonb(record)),
            )

    def since(
        self, day: date | None = None, after: int = 0, limit: int = PAGE
    ) -> list[dict[str, Any]]:
        """A page of records from ``day`` on, oldest first, each with its ``id``."""
        with self._connections.connection("read the feedback") as connection:
            rows = connection.execute(
                "SELECT id, record FROM docqa_feedback WHERE (%s::date IS NULL OR "
                "created >= %s::date) AND id > %s ORDER BY id LIMIT %s",
                (day, day, after, limit),
            ).fetchall()
        return [{"id": int(i), **(r if isinstance(r, dict) else json.loads(r))} for i, r in rows]
