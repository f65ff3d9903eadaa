"""The HTTP API under ``/api``: the core's JSON contract over HTTP, plus streaming."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from app.errors import DocQAError, IndexStoreError, QuestionError
from app.schema import Answer
from app.server.guard import error_payload
from app.service import DocQA

__all__ = ["api_error", "make_router", "stream_pieces"]

logger = logging.getLogger(__name__)

MAX_HISTORY = 50


class Message(BaseModel):
    """One earlier message of the chat."""

    role: Literal["user", "assistant"]
    content: str = Field(max_length=20_000)


class AskRequest(BaseModel):
    """A question, with the chat so far when it is a follow-up."""

    question: str = Field(description="The question, in plain language")
    history: list[Message] = Field(
        default_factory=list, max_length=MAX_HISTORY, description="Earlier messages, oldest first"
    )


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


class AnswerOut(BaseModel):
    """The core's `--json` contract."""

    question: str
    answer: str
    refused: bool
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


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 404, 413, 503)
}


def api_error(status: int, code: str, message: str) -> JSONResponse:
    """An error response in the API's one format."""
    return JSONResponse(error_payload(code, message), status_code=status)


def from_exception(exc: DocQAError) -> JSONResponse:
    """The status and message for a core error."""
    if isinstance(exc, QuestionError):
        return api_error(400, "bad_question", str(exc))
    if isinstance(exc, IndexStoreError):
        return api_error(503, "index_unavailable", str(exc))
    return api_error(500, "internal", str(exc))


def stream_pieces(text: str) -> Iterator[str]:
    """An answer in the increments it is streamed in: sentence by sentence, citation kept."""
    for piece in re.split(r"(?<=\]) ", text):
        if piece:
            yield piece


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def make_router(service: DocQA) -> APIRouter:
    """The ``/api`` routes over one ``DocQA``."""
    router = APIRouter(prefix="/api", responses=_ERRORS)

    async def answer(body: AskRequest) -> Answer:
        history = [m.model_dump() for m in body.history]
        return await run_in_threadpool(service.ask, body.question, history)

    @router.post("/ask", response_model=AnswerOut, summary="Answer a question, with citations")
    async def ask(body: AskRequest) -> Any:
        try:
            return (await answer(body)).to_dict()
        except DocQAError as exc:
            return from_exception(exc)

    @router.post(
        "/ask/stream",
        summary="Answer a question as server-sent events",
        description='Events: `delta` (`{"text"}`: the next piece of the answer), then '
        '`citations` (`{"citations", "closest"}`), then `done` (the whole answer, as '
        "from /api/ask). A failure after the stream started arrives as `error`.",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def ask_stream(body: AskRequest) -> Any:
        try:
            result = (await answer(body)).to_dict()
        except DocQAError as exc:
            return from_exception(exc)

        def events() -> Iterator[str]:
            for piece in stream_pieces(result["answer"]):
                yield _sse("delta", {"text": piece + " "})
            yield _sse("citations", {k: result[k] for k in ("citations", "closest")})
            yield _sse("done", result)

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )

    @router.get("/documents/{key}", response_model=DocumentOut, summary="A cited document's text")
    async def document(key: str) -> Any:
        try:
            found = await run_in_threadpool(service.document, key)
        except DocQAError as exc:
            return from_exception(exc)
        if found is None:
            return api_error(
                404,
                "document_not_found",
                f"No document '{key}' in the current index; it may have been removed by a "
                "rebuild. Ask the question again to get fresh citations.",
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
            stats = await run_in_threadpool(lambda: service.store.stats())
        except DocQAError as exc:
            return from_exception(exc)
        return {
            "status": "ok",
            "documents": stats["documents"],
            "chunks": stats["chunks"],
            "embedder": stats["embedder"],
            "index_created": stats["created"],
        }

    return router
