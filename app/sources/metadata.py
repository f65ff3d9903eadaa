"""What a file yields before it becomes a document, and dates in the forms files carry them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

__all__ = ["Extracted", "normalise_date"]


@dataclass(frozen=True)
class Extracted:
    """What a file yields before it becomes a document: its text and what metadata it carries."""

    text: str
    title: str | None
    date: str | None


def normalise_date(value: Any) -> str | None:
    """Return a ``YYYY-MM-DD`` string for a date-like value, or None if it is not one."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.startswith("D:") and len(text) >= 10:  # PDF date: D:YYYYMMDDHHmmSS
        text = f"{text[2:6]}-{text[6:8]}-{text[8:10]}"
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None
