"""One ASGI layer in front of everything: which routes exist, token, body size and
security headers.

Pure ASGI (no ``BaseHTTPMiddleware``) so streamed answers pass straight through.

Gradio mounts dozens of routes (uploads, file serving, a proxy, its own API); the chat
needs a handful. Every path that is not docqa's own and not on ``UI_ROUTES`` is answered
404 before anything else looks at it, token or not.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import re
from collections.abc import Iterable
from http.cookies import SimpleCookie

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "COOKIE",
    "OWN_PREFIXES",
    "PUBLIC_PREFIXES",
    "UI_ROUTES",
    "Guard",
    "error_payload",
    "token_matches",
    "ui_route",
]

COOKIE = "docqa_token"
# Paths anyone may fetch: health for probes, the login form, the embed page and its
# scripts (they hold no data; the embed page sends the token with each question),
# and the API description with its (local) assets.
PUBLIC_PREFIXES = ("/api/health", "/login", "/embed", "/docs", "/openapi.json")
# docqa's own routes; everything else is the Gradio chat's.
OWN_PREFIXES = ("/api/", "/embed", "/login", "/docs", "/openapi.json")
# What the chat page uses of Gradio (its page, assets, config, the queue that streams
# answers, heartbeats, cancel and reset); nothing that uploads, serves or proxies files.
UI_ROUTES: tuple[tuple[frozenset[str], re.Pattern[str]], ...] = tuple(
    (frozenset(methods.split()), re.compile(pattern))
    for methods, pattern in (
        ("GET HEAD", r"/"),
        ("GET HEAD", r"/(?:assets|static|svelte)/[^\x00]+"),
        ("GET HEAD", r"/(?:theme\.css|favicon\.ico|robots\.txt|config/?)"),
        ("GET", r"/gradio_api/(?:heartbeat/[\w-]+|queue/data|queue/status)"),
        ("POST", r"/gradio_api/(?:queue/join|cancel|reset/?)"),
    )
)
UI_BODY_LIMIT = 2 * 1024 * 1024  # Gradio posts carry the chat history


def ui_route(method: str, path: str) -> bool:
    """Whether the chat page needs ``method path`` of Gradio."""
    return any(method in methods and rx.fullmatch(path) for methods, rx in UI_ROUTES)


def error_payload(code: str, message: str) -> dict[str, str]:
    """What every error says: a machine code and a sentence a person can act on."""
    return {"error": code, "message": message}


def token_matches(offered: str, token: str) -> bool:
    """Constant-time comparison of a presented token with the configured one."""
    return bool(offered) and hmac.compare_digest(offered.encode(), token.encode())


class Guard:
    """Bearer token or cookie (when configured), request body limit, security headers."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str | None,
        max_body_bytes: int,
        frame_origins: Iterable[str],
        body_timeout: float = 30.0,
    ) -> None:
        self.app = app
        self.token = token
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout
        ancestors = " ".join(["'self'", *frame_origins])
        self.frame_policy = f"frame-ancestors {ancestors}".encode()
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = dict(scope["headers"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._secured(list(message.get("headers", [])))
            await send(message)

        if not path.startswith(OWN_PREFIXES) and not ui_route(scope["method"], path):
            await _json(
                send_with_headers,
                404,
                error_payload("not_found", f"There is no {_shown(path)} on this server."),
            )
            return
        if self.token and not path.startswith(PUBLIC_PREFIXES) and not self._authorised(headers):
            await self._refuse(scope, send_with_headers)
            return
        limit = self.max_body_bytes if path.startswith("/api/") else UI_BODY_LIMIT
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send_with_headers, limit)
            return
        if scope["method"] in ("POST", "PUT", "PATCH"):
            # Read the body up front (it is small by construction) so an oversized one
            # gets a clean 413, and one sent too slowly a 408, before the application.
            try:
                async with asyncio.timeout(self.body_timeout):
                    body = await _read_body(receive, limit)
            except TimeoutError:
                await _json(
                    send_with_headers,
                    408,
                    error_payload(
                        "request_timeout",
                        f"The request body did not arrive within {self.body_timeout:g} seconds.",
                    ),
                    extra=[(b"connection", b"close")],
                )
                return
            if body is None:
                return  # the client went away
            if len(body) > limit:
                await _too_large(send_with_headers, limit)
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send_with_headers)

    def _secured(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """The response's headers with ours added; a page's own policy gains frame-ancestors."""
        existing = {k.lower() for k, _ in headers}
        out = [
            (k, v + b"; " + self.frame_policy)
            if k.lower() == b"content-security-policy" and b"frame-ancestors" not in v
            else (k, v)
            for k, v in headers
        ]
        if b"content-security-policy" not in existing:
            out.append((b"content-security-policy", self.frame_policy))
        return out + [h for h in self.headers if h[0] not in existing]

    def _authorised(self, headers: dict[bytes, bytes]) -> bool:
        assert self.token is not None
        offered = ""
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if auth[:7].lower() == "bearer ":
            offered = auth[7:].strip()
        elif cookie := headers.get(b"cookie"):
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(cookie.decode("latin-1"))
            except Exception:  # a malformed Cookie header is just not a token
                jar = SimpleCookie()
            if COOKIE in jar:
                offered = jar[COOKIE].value
        return token_matches(offered, self.token)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        wants_page = scope["method"] == "GET" and not scope["path"].startswith(
            ("/api/", "/gradio_api/")
        )
        if wants_page:  # a person at a browser: send them to the login form
            await send(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [(b"location", b"/login"), (b"content-length", b"0")],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await _json(
            send,
            401,
            error_payload(
                "unauthorized",
                "This docqa server needs an API token: send `Authorization: Bearer <token>` "
                "(the value of DOCQA_API_TOKEN on the server).",
            ),
            extra=[(b"www-authenticate", b"Bearer")],
        )


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or as soon as it passes ``limit``; None if the client disconnected."""
    body, more = b"", True
    while more and len(body) <= limit:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        more = message.get("more_body", False)
    return body


def _shown(path: str, limit: int = 80) -> str:
    """A client's path in a message: cut short, so a long one is not echoed whole."""
    return path if len(path) <= limit else path[:limit] + "…"


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that yields ``body`` once, then whatever the client sends next."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _too_large(send: Send, limit: int) -> None:
    await _json(
        send,
        413,
        error_payload(
            "body_too_large",
            f"The request body is larger than {limit:,} bytes. Send the question alone, "
            "with a shorter history.",
        ),
    )


async def _json(
    send: Send, status: int, payload: dict[str, str], extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(extra or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
