"""OpenAI-compatible Chat Completions under ``/v1``: docqa as a model any OpenAI client
can talk to (Open WebUI, LibreChat, the ``openai`` package, LangChain's ``ChatOpenAI``).

``POST /v1/chat/completions`` answers the last user message, the messages before it being
the chat's history (follow-ups work as in ``/api/ask``); ``stream: true`` sends OpenAI's
``chat.completion.chunk`` events and ends with ``data: [DONE]``. The bearer token is the
API token or a user's token, so the reader's groups and question budget apply exactly as
in ``/api/ask``. The answer's text carries ``[n]`` markers; the citations travel in an
extension OpenAI clients ignore: ``choices[0].message.citations`` (streamed: the last
chunk's ``choices[0].delta.citations``) and ``docqa``, the whole answer as ``/api/ask``
gives it. Errors have OpenAI's body (``{"error": {"message", "type", "param",
"code"}}``), made by ``OpenAIErrors`` from the server's own errors.

Models: ``docqa`` (the configured answerer); where an LLM is configured also
``docqa-llm`` (the same) and ``docqa-extractive`` (without the LLM).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import iterate_in_threadpool, run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.answer import final_answer
from app.errors import DocQAError
from app.server.api import api_error, from_exception
from app.server.deps import Core
from app.server.guard import error_payload
from app.server.identity import reader_of
from app.server.schemas import MAX_HISTORY, calendar_day
from app.service import DocQA
from app.types import Answer, Delta

__all__ = ["PREFIX", "OpenAIErrors", "router"]

PREFIX = "/v1"
_STARTED = int(time.time())


class OpenAIErrorDetail(BaseModel):
    """What went wrong, as OpenAI's clients read it."""

    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIErrorOut(BaseModel):
    """An error under ``/v1``, in OpenAI's format."""

    error: OpenAIErrorDetail


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": OpenAIErrorOut} for code in (400, 401, 403, 404, 405, 408, 413, 429, 500, 503)
}


class _Part(BaseModel):
    """One part of a message's content (only text parts are read)."""

    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    """One message of the conversation, in OpenAI's shape."""

    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[_Part] | None = None

    def text(self) -> str:
        """The message's text (its text parts joined), or ``ValueError`` for other parts."""
        if self.content is None or isinstance(self.content, str):
            return self.content or ""
        kinds = {p.type for p in self.content} - {"text"}
        if kinds:
            raise ValueError(
                f"docqa reads text only; this message holds {', '.join(sorted(kinds))}"
            )
        return "\n".join(p.text or "" for p in self.content)


class ChatRequest(BaseModel):
    """A Chat Completions request; OpenAI's sampling options are accepted and ignored
    (docqa's answers come from the documents). ``since``, ``until`` and ``as_of`` are
    docqa's own (``extra_body`` in the openai package)."""

    model_config = ConfigDict(extra="allow")
    model: str
    messages: list[ChatMessage] = Field(min_length=1, max_length=2 * MAX_HISTORY + 1)
    stream: bool = False
    n: int = Field(1, ge=1, le=1, description="docqa writes one answer")
    since: date | None = None
    until: date | None = None
    as_of: date | None = None

    _days = field_validator("since", "until", "as_of", mode="before")(calendar_day)


def _models(service: DocQA) -> list[str]:
    if service.settings.answerer == "llm":
        return ["docqa", "docqa-llm", "docqa-extractive"]
    return ["docqa"]


def _conversation(body: ChatRequest) -> tuple[str, list[dict[str, str]]]:
    """The question (the last user message) and the history before it."""
    turns = [(m.role, m.text()) for m in body.messages if m.role in ("user", "assistant")]
    if not turns or turns[-1][0] != "user":
        raise ValueError("the last message must be the user's question")
    *before, (_, question) = turns
    return question, [{"role": role, "content": text} for role, text in before][-MAX_HISTORY:]


def _citations(answer: Answer) -> list[dict[str, Any]]:
    return [c.to_dict() for c in answer.citations]


def _words(text: str) -> int:
    return len(text.split())


def _usage(question: str, answer: Answer) -> dict[str, int]:
    """Counts of words (docqa has no tokens to count), under OpenAI's names."""
    asked, written = _words(question), _words(answer.answer)
    return {"prompt_tokens": asked, "completion_tokens": written, "total_tokens": asked + written}


router = APIRouter(prefix=PREFIX, tags=["OpenAI-compatible"], responses=_ERRORS)


@router.get("/models", summary="The models docqa answers as (OpenAI's list)")
async def models(service: Core) -> Any:
    return {
        "object": "list",
        "data": [
            {"id": name, "object": "model", "created": _STARTED, "owned_by": "docqa"}
            for name in _models(service)
        ],
    }


def _start(service: DocQA, body: ChatRequest, request: Request) -> tuple[str, Any]:
    question, history = _conversation(body)
    stream = service.ask_stream(
        question, history, body.since, body.until, reader_of(request),
        as_of=body.as_of,
        answerer="extractive" if body.model == "docqa-extractive" else None,
    )  # fmt: skip
    return question, stream


@router.post(
    "/chat/completions",
    summary="Answer the conversation's last question (OpenAI's Chat Completions)",
    description="The answer's `[n]` markers refer to `choices[0].message.citations` "
    "(streamed: the last chunk's `choices[0].delta.citations`); `docqa` holds the whole "
    "answer as /api/ask gives it.",
    responses={200: {"content": {"application/json": {}, "text/event-stream": {}}}},
)
async def chat_completions(body: ChatRequest, request: Request, service: Core) -> Any:
    if body.model not in _models(service):
        return api_error(
            404, "model_not_found",
            f"No model '{body.model[:60]}': this server answers as "
            f"{', '.join(_models(service))} (GET /v1/models).",
        )  # fmt: skip
    try:
        question, events = await run_in_threadpool(_start, service, body, request)
    except ValueError as exc:
        return api_error(400, "bad_request", f"The conversation cannot be answered: {exc}.")
    except DocQAError as exc:
        return from_exception(exc)
    ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    head = {"id": ident, "created": created, "model": body.model}
    if body.stream:
        return StreamingResponse(
            _chunks(events, head, question),
            media_type="text/event-stream",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )
    try:
        answer = await run_in_threadpool(final_answer, events)
    except DocQAError as exc:
        return from_exception(exc)
    return {
        **head,
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": answer.answer,
                    "refusal": None,
                    "citations": _citations(answer),
                },
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(question, answer),
        "docqa": answer.to_dict(),
    }


def _chunk(head: dict[str, Any], delta: dict[str, Any], finish: str | None = None,
           **extra: Any) -> str:  # fmt: skip
    data = {
        **head,
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        **extra,
    }
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


async def _chunks(events: Any, head: dict[str, Any], question: str) -> AsyncIterator[str]:
    """OpenAI's stream: the role, the answer's pieces, then a last chunk with the
    citations, and ``[DONE]``. A failure after the first chunk ends the stream with an
    ``error`` object, as OpenAI's own streams do."""
    yield _chunk(head, {"role": "assistant", "content": ""})
    try:
        async for event in iterate_in_threadpool(events):
            if isinstance(event, Delta):
                yield _chunk(head, {"content": event.text})
                continue
            yield _chunk(
                head, {"citations": _citations(event)}, "stop",
                usage=_usage(question, event), docqa=event.to_dict(),
            )  # fmt: skip
    except DocQAError as exc:
        yield f"data: {json.dumps(openai_error(500, error_payload('answer_failed', str(exc))))}\n\n"
    except Exception:  # a bug: the stream still ends in OpenAI's form
        failed = error_payload("internal", "The answer failed inside docqa.")
        yield f"data: {json.dumps(openai_error(500, failed))}\n\n"
    yield "data: [DONE]\n\n"


# OpenAI's error types by status (what its clients read to choose an exception).
_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    408: "timeout_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
}


def openai_error(status: int, payload: dict[str, Any]) -> dict[str, Any]:
    """docqa's error body (``{"error": code, "message": …}``) in OpenAI's shape."""
    code = payload.get("error")
    kind = _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    if status == 401:
        code = "invalid_api_key"
    return {"error": {"message": payload.get("message", ""), "type": kind, "param": None,
                      "code": code}}  # fmt: skip


class OpenAIErrors:
    """Every error under ``/v1``, wherever it comes from (the guard, validation, the
    routes), answered in OpenAI's error format; other paths pass untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        held: dict[str, Any] = {}

        async def translate(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] >= 400:
                held["start"], held["body"] = message, b""
                return
            if "start" not in held:
                await send(message)
                return
            held["body"] += message.get("body", b"")
            if message.get("more_body", False):
                return
            start = held["start"]
            try:
                payload = json.loads(held["body"])
                body = json.dumps(openai_error(start["status"], payload)).encode()
            except (ValueError, AttributeError, TypeError):
                body = held["body"]
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in
                       (b"content-length", b"content-type")]  # fmt: skip
            headers += [(b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode())]  # fmt: skip
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, translate)
