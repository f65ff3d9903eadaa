"""Feedback beside the local index: ``feedback.sqlite`` in the index folder, outside
every version folder (a rebuild never touches it)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from datetime import date
from pathlib import Path
from typing import Any

__all__ = ["SQLiteFeedback"]


class SQLiteFeedback:
    """Feedback records in one SQLite file, one JSON object a row."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=10)
        db.execute(
            "CREATE TABLE IF NOT EXISTS feedback (id INTEGER PRIMARY KEY, time TEXT NOT NULL, "
            "record TEXT NOT NULL)"
        )
        return db

    def add(self, record: dict[str, Any]) -> None:
        """Keep one record."""
        with self._lock, contextlib.closing(self._connect()) as db, db:
            db.execute(
                "INSERT INTO feedback (time, record) VALUES (?, ?)",
                (record["time"], json.dumps(record, ensure_ascii=False)),
            )

    def since(self, day: date | None = None, limit: int = 100_000) -> list[dict[str, Any]]:
        """Records from ``day`` on, oldest first."""
        if not self.path.exists():
            return []
        with self._lock, contextlib.closing(self._connect()) as db:
            rows = db.execute(
                "SELECT record FROM feedback WHERE time >= ? ORDER BY id LIMIT ?",
                (day.isoformat() if day else "", limit),
            ).fetchall()
        return [json.loads(r[0]) for r in rows]
