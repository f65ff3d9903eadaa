"""Readers' verdicts on answers, and the questions nobody could answer.

Each record keeps the question, the answer, its citations, the index version and who
gave it (the user id hashed unless DOCQA_FEEDBACK__KEEP_USER_IDS=true). Records live in
the store's database, outside every index version, so a rebuild keeps them:
``feedback.sqlite`` beside the local index's versions, or the PostgreSQL backend's
``docqa_feedback`` table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal, Protocol

from app.types import Answer

__all__ = ["FeedbackLog", "Verdict", "record_of", "refusal_record", "user_label"]

Verdict = Literal["helpful", "not_helpful", "refused"]


class FeedbackLog(Protocol):
    """Where feedback records are kept; each record is a JSON object."""

    def add(self, record: dict[str, Any]) -> None:
        """Keep one record (its ``time`` is set here when missing)."""
        ...

    def since(self, day: date | None = None, limit: int = 100_000) -> list[dict[str, Any]]:
        """Records from ``day`` on (all when None), oldest first."""
        ...


def user_label(user: str | None, keep: bool) -> str | None:
    """The user id as stored: as given when ``keep``, else a one-way hash of it."""
    if user is None or keep:
        return user
    return "sha256:" + hashlib.sha256(user.encode()).hexdigest()[:32]


def record_of(
    verdict: Verdict,
    question: str,
    answer: str,
    citations: Sequence[dict[str, Any]],
    version: str | None,
    user: str | None,
    comment: str | None = None,
) -> dict[str, Any]:
    """One feedback record; citations keep where they point, not the passage text."""
    return {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "verdict": verdict,
        "question": question,
        "answer": answer,
        "citations": [
            {k: c.get(k) for k in ("id", "document", "source", "start", "end")} for c in citations
        ],
        "index_version": version,
        "user": user,
        "comment": comment or None,
    }


def refusal_record(answer: Answer, version: str | None, user: str | None) -> dict[str, Any]:
    """The record of a question the documents did not answer."""
    closest = [c.to_dict() for c in answer.closest]
    return record_of("refused", answer.question, answer.answer, closest, version, user)
