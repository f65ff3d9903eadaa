"""The chat at ``/``, opened after the server answers.

Importing Gradio and building the chat take about two seconds, longer than loading the
models and the index. ``docqa serve`` answers ``/api``, ``/v1``, ``/mcp`` and ``/embed``
without waiting for them: until the chat is built, ``/`` is a short page that says the chat
is opening and reloads itself, the chat's other paths answer 503 with ``Retry-After``, and
``/api/health`` says ``"chat": "opening"``. Tests and embedders that want the chat at once
build it inside ``create_app`` instead (``chat_after_start=False``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Literal

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

__all__ = ["ChatMount"]

logger = logging.getLogger(__name__)

ChatState = Literal["opening", "ready", "failed"]

_OPENING = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="1"><meta name="viewport" content="width=device-width,
initial-scale=1"><title>docqa: opening</title><style>body{font:16px system-ui,sans-serif;
display:grid;place-items:center;min-height:90vh;margin:0;background:#f6f7f9;color:#1f2937}
</style></head><body><p role="status">docqa is opening the chat&hellip; this page reloads
itself in a moment.</p></body></html>"""

_FAILED = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>docqa</title>
</head><body style="font:16px system-ui,sans-serif;margin:3rem"><p role="alert">The chat
could not be opened; the server's log says why. The API at <a href="/docs">/docs</a> and
the embeddable chat at <a href="/embed">/embed</a> still answer.</p></body></html>"""


class ChatMount:
    """An ASGI app for ``/`` that hands every request to the chat once ``open`` has built
    it, and says the chat is opening until then.

    ``build`` mounts the chat on the FastAPI app it is given (``ui.mount_ui``); it runs
    in a worker thread, and the app's own lifespan (Gradio's queue) runs inside ``open``.
    ``opened`` is told "ready" or "failed" once that is known.
    """

    def __init__(
        self, build: Callable[[FastAPI], None], opened: Callable[[str], None] | None = None
    ) -> None:
        self._build = build
        self._opened = opened
        self._chat: FastAPI | None = None
        self.state: ChatState = "opening"
        self._closing = asyncio.Event()
        self._opening: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin ``open`` as a task of the running event loop (the server's lifespan)."""
        self._opening = asyncio.create_task(self.open())

    async def open(self) -> None:
        """Build the chat and serve it until ``close``; a failure is logged and leaves the
        rest of the server answering."""
        try:
            chat = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
            await run_in_threadpool(self._build, chat)
            if self._closing.is_set():  # the server stopped while the chat was built
                return
            async with chat.router.lifespan_context(chat):
                self._chat, self.state = chat, "ready"
                logger.info("the chat is open")
                if self._opened is not None:
                    self._opened(self.state)
                await self._closing.wait()
        except Exception as exc:  # the chat's own bug: the API must go on answering
            self.state = "failed"
            logger.error("the chat could not be opened: %s", type(exc).__name__, exc_info=exc)
            if self._opened is not None:
                self._opened(self.state)
        finally:
            self._chat = None

    async def stop(self, wait: float = 5.0) -> None:
        """Let ``open`` leave the chat's lifespan, and wait up to ``wait`` seconds for the
        task ``start`` began: a chat still being built is not waited for longer than that
        (its worker thread ends with the process)."""
        self._closing.set()
        if self._opening is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._opening), wait)
        except TimeoutError:
            logger.warning("the chat was still opening when the server stopped")
            self._opening.cancel()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._chat is not None:
            await self._chat(scope, receive, send)
            return
        if scope["type"] != "http":  # a websocket before the chat is open: not accepted
            await send({"type": "websocket.close", "code": 1013})
            return
        opening = self.state == "opening"
        page: Response
        if scope.get("path", "/") in ("", "/"):
            page = HTMLResponse(_OPENING if opening else _FAILED, status_code=503)
        else:
            page = PlainTextResponse(
                "The chat is opening; try again in a moment."
                if opening
                else "The chat could not be opened; the API at /api still answers.",
                status_code=503,
            )
        if opening:
            page.headers["retry-after"] = "1"
        await page(scope, receive, send)
