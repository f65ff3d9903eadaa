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

from app.errors import DocQAError, FeedbackUnavailableError
from app.feedback import PAGE
from app.store.local.library import sqlite_failure

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
        try:
            with self._lock, contextlib.closing(self._connect()) as db, db:
                db.execute(
                    "INSERT INTO feedback (time, record) VALUES (?, ?)",
                    (record["time"], json.dumps(record, ensure_ascii=False)),
                )
        except (sqlite3.Error, OSError) as exc:
            raise _unavailable(self.path, exc, "keep a feedback record") from None

    def since(
        self, day: date | None = None, after: int = 0, limit: int = PAGE
    ) -> list[dict[str, Any]]:
        """A page of records from ``day`` on, oldest first, each with its ``id``."""
        if not self.path.exists():
            return []
        try:
            with self._lock, contextlib.closing(self._connect()) as db:
                rows = db.execute(
                    "SELECT id, record FROM feedback WHERE time >= ? AND id > ? ORDER BY id "
                    "LIMIT ?",
                    (day.isoformat() if day else "", after, limit),
                ).fetchall()
        except (sqlite3.Error, OSError) as exc:
            raise _unavailable(self.path, exc, "read the feedback") from None
        return [{"id": i, **json.loads(r)} for i, r in rows]


def _unavailable(path: Path, exc: sqlite3.Error | OSError, what: str) -> DocQAError:
    return FeedbackUnavailableError(str(sqlite_failure(path, exc, what)))
