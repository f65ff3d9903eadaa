"""The HTTP API under ``/api``: the core's JSON contract over HTTP, plus streaming."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import iterate_in_threadpool, run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field, field_validator

from app.answer.chat_models import describe_llm
from app.errors import (
    ConfigError,
    DocQAError,
    IndexStoreError,
    LLMError,
    ModelUnavailableError,
    QuestionError,
    StoreUnavailableError,
)
from app.server.guard import error_payload
from app.server.identity import EVERYTHING
from app.service import DocQA
from app.text.clean import replace_invalid
from app.types import Answer, Delta, Reader

__all__ = [
    "ERRORS",
    "QuestionRate",
    "api_error",
    "document_limits",
    "from_exception",
    "make_router",
    "reader_of",
]

logger = logging.getLogger(__name__)

MAX_HISTORY = 50
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


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

    @field_validator("since", "until", mode="before")
    @classmethod
    def _calendar_day(cls, value: object) -> object:
        # Only a written day: pydantic would also take 0 or "1700000000" as a timestamp.
        if value is None or (isinstance(value, str) and _DAY.fullmatch(value)):
            return value
        raise ValueError("write the day as YYYY-MM-DD, for example 2026-02-27")


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


def reader_of(request: Request) -> Reader:
    """Who sent ``request``, as the guard found out."""
    reader = getattr(request.state, "reader", None)
    return reader if isinstance(reader, Reader) else EVERYTHING


class QuestionRate:
    """Questions per verified user, kept in this process (each replica counts its own).

    Callers without a user id (the API token's service accounts, an open single-user
    server) are not counted: they are the operator's own.
    """

    def __init__(self, rate: str) -> None:
        from limits import parse
        from limits.storage import MemoryStorage
        from limits.strategies import MovingWindowRateLimiter

        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._limit = parse(rate)
        self.rate = rate

    def refusal(self, request: Request) -> JSONResponse | None:
        """A 429 with ``Retry-After`` when the asker is over the rate, else None."""
        import time

        reader = reader_of(request)
        if reader.user is None or self._limiter.hit(self._limit, "ask", reader.user):
            return None
        who = reader.user
        reset = self._limiter.get_window_stats(self._limit, "ask", who).reset_time
        wait = max(1, int(reset - time.time()) + 1)
        response = api_error(
            429,
            "too_many_questions",
            f"Too many questions: the limit is {self.rate} (DOCQA_SERVER__QUESTION_RATE). "
            f"Try again in {wait} seconds.",
        )
        response.headers["retry-after"] = str(wait)
        return response


def api_error(status: int, code: str, message: str) -> JSONResponse:
    """An error response in the API's one format."""
    return JSONResponse(error_payload(code, replace_invalid(message)), status_code=status)


def from_exception(exc: DocQAError) -> JSONResponse:
    """The status and message for a core error."""
    if isinstance(exc, QuestionError):
        return api_error(400, "bad_question", str(exc))
    if isinstance(exc, StoreUnavailableError):
        logger.warning("%s", exc)  # which database, for the operator; never for the caller
        return api_error(503, "index_unavailable", StoreUnavailableError.FOR_READERS)
    if isinstance(exc, IndexStoreError):
        return api_error(503, "index_unavailable", str(exc))
    if isinstance(exc, ConfigError | ModelUnavailableError | LLMError):
        return api_error(503, "answerer_unavailable", str(exc))
    return api_error(500, "internal", str(exc))


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def document_limits(schema: dict[str, Any], max_question_chars: int) -> dict[str, Any]:
    """The OpenAPI document with this server's question length limit written in."""
    properties = schema["components"]["schemas"]["AskRequest"]["properties"]
    properties["question"]["maxLength"] = max_question_chars
    return schema


def make_router(service: DocQA, rate: QuestionRate) -> APIRouter:
    """The ``/api`` routes over one ``DocQA``."""
    router = APIRouter(prefix="/api", responses=ERRORS)

    def arguments(body: AskRequest, request: Request) -> tuple[Any, ...]:
        history = [m.model_dump() for m in body.history]
        return body.question, history, body.since, body.until, reader_of(request)

    def noted(answer: Answer, request: Request) -> Answer:
        if answer.refused:
            try:
                service.note_refusal(answer, reader_of(request))
            except DocQAError as exc:  # the answer matters more than its record
                logger.warning("refusal not recorded: %s", type(exc).__name__)
        return answer

    @router.post("/ask", response_model=AnswerOut, summary="Answer a question, with citations")
    async def ask(body: AskRequest, request: Request) -> Any:
        if (limited := rate.refusal(request)) is not None:
            return limited
        try:
            answer = await run_in_threadpool(service.ask, *arguments(body, request))
            return (await run_in_threadpool(noted, answer, request)).to_dict()
        except DocQAError as exc:
            return from_exception(exc)

    @router.post(
        "/ask/stream",
        summary="Answer a question as server-sent events",
        description='Events: `delta` (`{"text"}`: the next piece of the answer, each sentence '
        'verified before it is sent), then `citations` (`{"citations", "closest"}`), then '
        "`done` (the whole answer, as from /api/ask). A failure after the stream started "
        "arrives as `error`.",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def ask_stream(body: AskRequest, request: Request) -> Any:
        if (limited := rate.refusal(request)) is not None:
            return limited
        try:
            # The question is checked (and the index opened) before the response starts,
            # so a bad request is still a plain 4xx.
            events = await run_in_threadpool(service.ask_stream, *arguments(body, request))
        except DocQAError as exc:
            return from_exception(exc)

        async def sse() -> AsyncIterator[str]:
            try:
                async for event in iterate_in_threadpool(events):
                    if isinstance(event, Delta):
                        yield _sse("delta", {"text": event.text})
                        continue
                    result = (await run_in_threadpool(noted, event, request)).to_dict()
                    yield _sse("citations", {k: result[k] for k in ("citations", "closest")})
                    yield _sse("done", result)
            except DocQAError as exc:
                yield _sse("error", error_payload("answer_failed", str(exc)))
            except Exception as exc:  # a bug: the stream still ends with a documented event
                logger.error("unexpected %s while streaming", type(exc).__name__, exc_info=exc)
                yield _sse("error", error_payload("internal", "The answer failed inside docqa."))

        return StreamingResponse(
            sse(),
            media_type="text/event-stream",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )

    @router.get("/documents/{key}", response_model=DocumentOut, summary="A cited document's text")
    async def document(key: str, request: Request) -> Any:
        try:
            found = await run_in_threadpool(service.document, key, reader_of(request))
        except DocQAError as exc:
            return from_exception(exc)
        if found is None:
            shown = key if len(key) <= 40 else key[:40] + "…"
            return api_error(
                404,
                "document_not_found",
                f"No document '{shown}' in the current index that you may read; it may have "
                "been removed by a rebuild. Ask the question again to get fresh citations.",
            )
        return {
            "document": key,
            "source": found.source,
            "title": found.title,
            "date": found.date,
            "text": found.text,
        }

    @router.get("/health", summary="Is the server ready to answer?")
    async def health() -> Any:
        try:
            stats = await run_in_threadpool(service.health)
        except DocQAError as exc:
            return from_exception(exc)
        return {
            "status": "ok",
            "answerer": service.settings.answerer,
            "llm": describe_llm(service.settings) if service.settings.answerer == "llm" else None,
            "documents": stats["documents"],
            "chunks": stats["chunks"],
            "embedder": stats["embedder"],
            "index_created": stats["created"],
            "backend": stats["backend"],
            "index_version": stats["version"],
        }

    return router
