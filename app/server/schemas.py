"""The API's request and response bodies, as its OpenAPI description shows them."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "ERRORS",
    "AnswerOut",
    "AskRequest",
    "CitedOut",
    "DocumentOut",
    "ErrorOut",
    "FeedbackIn",
    "Message",
    "calendar_day",
]

MAX_HISTORY = 50
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def calendar_day(value: object) -> object:
    """A day field's value if it is written YYYY-MM-DD (or absent), else ``ValueError``:
    pydantic alone would also take 0 or "1700000000" as a timestamp."""
    if value is None or (isinstance(value, str) and _DAY.fullmatch(value)):
        return value
    raise ValueError("write the day as YYYY-MM-DD, for example 2026-02-27")


class Message(BaseModel):
    """One earlier message of the chat."""

    role: Literal["user", "assistant"]
    content: str = Field(max_length=20_000)


class AskRequest(BaseModel):
    """A question, with the chat so far when it is a follow-up."""

    # The core checks these, with messages for the asker; the schema states them too
    # (maxLength is set per server from DOCQA_MAX_QUESTION_CHARS; see `document_limits`).
    question: str = Field(
        description="The question, in plain language",
        json_schema_extra={"minLength": 1, "pattern": r"\S"},
    )
    history: list[Message] = Field(
        default_factory=list, max_length=MAX_HISTORY, description="Earlier messages, oldest first"
    )
    since: date | None = Field(None, description="Only articles published on or after (YYYY-MM-DD)")
    until: date | None = Field(
        None, description="Only articles published on or before (YYYY-MM-DD)"
    )
    as_of: date | None = Field(
        None,
        description='The day the question is asked on (YYYY-MM-DD; default today): "this '
        'week", "recently" and "last month" in the question are relative to it',
    )

    _days = field_validator("since", "until", "as_of", mode="before")(calendar_day)


class CitationOut(BaseModel):
    """An exact span of one document: ``text[start:end] == quote``."""

    id: int
    source: str
    title: str | None
    date: str | None
    start: int
    end: int
    quote: str
    document: str = Field(description="Key for GET /api/documents/{document}")


class SentenceOut(BaseModel):
    """One sentence of the answer, its citation ids, and whether they support it."""

    text: str
    citations: list[int]
    supported: bool
    answer_span: list[int] | None = Field(
        description="[start, end) into text: the words that answer a who/when/where/how-many "
        "question, or null"
    )


class AnswerOut(BaseModel):
    """The core's `--json` contract."""

    question: str
    answer: str
    refused: bool
    evidence: float | None = Field(
        description="How well the best passage sentence answers (0 to 1); below the refusal "
        "threshold the answer is a refusal"
    )
    mode: Literal["extractive", "llm"]
    sentences: list[SentenceOut]
    notice: str | None = Field(description="Something the reader should know about this answer")
    citations: list[CitationOut]
    closest: list[CitationOut]
    timings_ms: dict[str, float]


class DocumentOut(BaseModel):
    """A cited document, for the citation viewer."""

    document: str
    source: str
    title: str | None
    date: str | None
    text: str


class ErrorOut(BaseModel):
    """Every error: a machine code and a message a person can act on."""

    error: str
    message: str


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 405, 408, 413, 429, 500, 503)
}


class CitedOut(BaseModel):
    """Where a citation of the answer pointed (no passage text)."""

    model_config = ConfigDict(strict=True)

    id: int | None = None
    document: str | None = Field(None, max_length=64)
    source: str | None = Field(None, max_length=2000)
    start: int | None = None
    end: int | None = None


class FeedbackIn(BaseModel):
    """A reader's verdict on one answer."""

    verdict: Literal["helpful", "not_helpful"]
    question: str = Field(min_length=1, max_length=20_000)
    answer: str = Field(max_length=50_000)
    citations: list[CitedOut] = Field(default_factory=list, max_length=50)
    comment: str | None = Field(None, max_length=20_000)
