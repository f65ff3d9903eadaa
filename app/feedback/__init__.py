"""Readers' verdicts on answers, and the questions nobody could answer.

Each record keeps the question, the answer, its citations, the index version and who
gave it: the user id keyed-hashed (HMAC-SHA-256 with a key kept with the index, or
DOCQA_FEEDBACK__USER_ID_KEY), so one user's records can be told apart but a list of
staff names does not reveal whose they are; as given with
DOCQA_FEEDBACK__KEEP_USER_IDS=true. Records live in the store's database, outside every
index version, so a rebuild keeps them: ``feedback.sqlite`` beside the local index's
versions, or the PostgreSQL backend's ``docqa_feedback`` table.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal, Protocol

from app.types import Answer

__all__ = ["PAGE", "FeedbackLog", "Verdict", "record_of", "refusal_record", "user_label"]

Verdict = Literal["helpful", "not_helpful", "refused"]
PAGE = 1000  # records per page of an export


class FeedbackLog(Protocol):
    """Where feedback records are kept; each record is a JSON object.

    Errors: ``FeedbackUnavailableError`` (or a store error) when a record cannot be kept
    or read.
    """

    def add(self, record: dict[str, Any]) -> None:
        """Keep one record (its ``time`` is set here when missing)."""
        ...

    def since(
        self, day: date | None = None, after: int = 0, limit: int = PAGE
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` records from ``day`` on (all when None) whose ``id`` is above
        ``after``, oldest first; each carries its ``id``, the next page's ``after``."""
        ...


def user_label(user: str | None, keep: bool, key: bytes) -> str | None:
    """The user id as stored: as given when ``keep``, else its HMAC under ``key``."""
    if user is None or keep:
        return user
    return "hmac:" + hmac.new(key, user.encode(), hashlib.sha256).hexdigest()[:32]


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
