"""The HTTP API under ``/api``: the core's JSON contract over HTTP, plus streaming."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import iterate_in_threadpool, run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse

from app.errors import (
    ConfigError,
    DocQAError,
    FeedbackError,
    FeedbackUnavailableError,
    IndexStoreError,
    LimitError,
    LLMError,
    ModelUnavailableError,
    QuestionError,
    StorageFullError,
    StoreUnavailableError,
)
from app.server.deps import Core
from app.server.guard import error_payload
from app.server.identity import reader_of
from app.server.schemas import ERRORS, AnswerOut, AskRequest, DocumentOut
from app.service import DocQA
from app.text.clean import replace_invalid
from app.types import Delta

__all__ = ["api_error", "document_limits", "from_exception", "router"]

logger = logging.getLogger(__name__)


def api_error(status: int, code: str, message: str) -> JSONResponse:
    """An error response in the API's one format."""
    return JSONResponse(error_payload(code, replace_invalid(message)), status_code=status)


_LIMITS = {
    "TooManyQuestionsError": "too_many_questions",
    "TooMuchFeedbackError": "too_much_feedback",
    "QueueFullError": "too_many_jobs",
}


def from_exception(exc: DocQAError) -> JSONResponse:
    """The status and message for a core error."""
    if isinstance(exc, QuestionError):
        return api_error(400, "bad_question", str(exc))
    if isinstance(exc, FeedbackError):
        return api_error(400, "bad_feedback", str(exc))
    if isinstance(exc, LimitError):
        response = api_error(429, _LIMITS.get(type(exc).__name__, "too_many_requests"), str(exc))
        response.headers["retry-after"] = str(exc.retry_after)
        return response
    if isinstance(exc, StorageFullError):
        logger.warning("%s", exc)
        return api_error(507, "insufficient_storage", str(exc))
    if isinstance(exc, FeedbackUnavailableError):
        logger.warning("%s", exc)
        return api_error(503, "feedback_unavailable", str(exc))
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


# docqa's own API: parse, call the core (a dependency), render.
router = APIRouter(prefix="/api", responses=ERRORS)


def _ask(service: DocQA, body: AskRequest, request: Request) -> Any:
    history = [m.model_dump() for m in body.history]
    return service.ask(
        body.question, history, body.since, body.until, reader_of(request), as_of=body.as_of
    )


def _ask_stream(service: DocQA, body: AskRequest, request: Request) -> Any:
    history = [m.model_dump() for m in body.history]
    return service.ask_stream(
        body.question, history, body.since, body.until, reader_of(request), as_of=body.as_of
    )


@router.post("/ask", response_model=AnswerOut, summary="Answer a question, with citations")
async def ask_route(body: AskRequest, request: Request, service: Core) -> Any:
    try:
        answer = await run_in_threadpool(_ask, service, body, request)
        return answer.to_dict()
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
async def ask_stream_route(body: AskRequest, request: Request, service: Core) -> Any:
    try:
        # The question is checked (and the index opened) before the response starts,
        # so a bad request is still a plain 4xx.
        events = await run_in_threadpool(_ask_stream, service, body, request)
    except DocQAError as exc:
        return from_exception(exc)

    async def sse() -> AsyncIterator[str]:
        try:
            async for event in iterate_in_threadpool(events):
                if isinstance(event, Delta):
                    yield _sse("delta", {"text": event.text})
                    continue
                result = event.to_dict()
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
async def document(key: str, request: Request, service: Core) -> Any:
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


@router.get("/about", summary="What you may ask about: documents, dates, examples")
async def about(request: Request, service: Core) -> Any:
    try:
        return await run_in_threadpool(service.about, reader_of(request))
    except DocQAError as exc:
        return from_exception(exc)


@router.get("/health", summary="Is the server ready to answer?")
async def health(service: Core, request: Request) -> Any:
    try:
        stats = await run_in_threadpool(service.health)
    except DocQAError as exc:
        return from_exception(exc)
    return {
        "status": "ok",
        "answerer": service.settings.answerer,
        "llm": service.settings.llm.describe() if service.settings.answerer == "llm" else None,
        "documents": stats["documents"],
        "chunks": stats["chunks"],
        "embedder": stats["embedder"],
        "index_created": stats["created"],
        "backend": stats["backend"],
        "index_version": stats["version"],
        "dates": stats.get("dates"),
        "feedback": stats["feedback"],
        "chat": request.app.state.chat_state(),
    }
