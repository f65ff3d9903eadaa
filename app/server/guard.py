"""One ASGI layer in front of everything: which routes exist, who is asking (the API
token or a user token), whether a state change comes from this site, body size and
security headers.

A request that changes state (POST, PUT, PATCH, DELETE) and does not carry a bearer token
must come from docqa's own pages: a browser says where a request comes from
(``Sec-Fetch-Site``, else ``Origin``), and a cookie-authenticated request from any other
origin, even a sibling subdomain SameSite lets through, is refused, sign-in included.
Bearer-token clients and clients that are not browsers (no such header) are unaffected.
CORS (preflights included) is answered in front of this layer, for the allowed origins.

The reader a request stands for is left in ``scope["state"]["reader"]`` for the routes.

Pure ASGI (no ``BaseHTTPMiddleware``) so streamed answers pass straight through.

Gradio mounts dozens of routes (uploads, file serving, a proxy, its own API); the chat
needs a handful. Every path that is not docqa's own and not on ``UI_ROUTES`` is answered
404 before anything else looks at it, token or not.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterable
from http.cookies import SimpleCookie
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.server.identity import Identities, IdentityError

__all__ = [
    "COOKIE",
    "PUBLIC_PREFIXES",
    "UI_ROUTES",
    "Guard",
    "error_payload",
    "own_paths",
    "presented_token",
    "ui_route",
]

COOKIE = "docqa_token"
# Paths anyone may fetch: health for probes, the login form, the embed page and its
# scripts (they hold no data; the embed page sends the token with each question),
# and the API description with its (local) assets.
PUBLIC_PREFIXES = ("/api/health", "/login", "/embed", "/docs", "/openapi.json")
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
UPLOAD_PATH = "/api/documents"
_MULTIPART_ROOM = 64 * 1024
_CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_SAME_SITE = (b"same-origin", b"none")


def cross_site(headers: dict[bytes, bytes]) -> bool:
    """Whether a browser says the request comes from a page of another origin."""
    site = headers.get(b"sec-fetch-site")
    if site is not None:
        return site.lower() not in _SAME_SITE
    origin = headers.get(b"origin")
    if origin is None:
        return False  # not a browser, or a browser that sends neither on same-origin GETs
    host = headers.get(b"host", b"").lower()
    _, _, netloc = origin.lower().partition(b"://")
    return not netloc or netloc != host


def own_paths(routes: Iterable[Any]) -> tuple[str, ...]:
    """docqa's own path roots (``/api``, ``/v1``, ``/mcp``, ``/docs``, …), read from the
    application's routes: everything else on the server is the Gradio chat's, mounted at
    ``/``, and only ``UI_ROUTES`` of it are reachable."""
    paths = (str(getattr(route, "path", "")).strip("/") for route in routes)
    return tuple(sorted({"/" + path.split("/")[0] for path in paths if path}))


def _under(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root + "/") for root in roots)


def ui_route(method: str, path: str) -> bool:
    """Whether the chat page needs ``method path`` of Gradio."""
    return any(method in methods and rx.fullmatch(path) for methods, rx in UI_ROUTES)


def error_payload(code: str, message: str) -> dict[str, str]:
    """What every error says: a machine code and a sentence a person can act on."""
    return {"error": code, "message": message}


def presented_token(authorization: str, cookie: str) -> str:
    """The token a request carries: its bearer token, else the sign-in cookie's."""
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    if cookie:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(cookie)
        except Exception:  # a malformed Cookie header is just not a token
            return ""
        if COOKIE in jar:
            return jar[COOKIE].value
    return ""


class Guard:
    """Who is asking (bearer token or cookie), request body limit, security headers."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        identities: Identities,
        max_body_bytes: int,
        frame_origins: Iterable[str],
        body_timeout: float = 30.0,
        upload_bytes: int = 50 * 1024 * 1024,
        own: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.own = own
        self.identities = identities
        self.max_body_bytes = max_body_bytes
        self.upload_bytes = upload_bytes
        self.body_timeout = body_timeout
        self.origins = frozenset(o.lower() for o in frame_origins)
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

        if not _under(path, self.own) and not ui_route(scope["method"], path):
            await _json(
                send_with_headers,
                404,
                error_payload("not_found", f"There is no {_shown(path)} on this server."),
            )
            return
        if scope["method"] in _CHANGES and self._forged(headers, path):
            await _json(
                send_with_headers,
                403,
                error_payload(
                    "cross_origin",
                    "This request changes something and comes from a page of another site "
                    "with docqa's sign-in cookie: it is refused. Send it from docqa's own "
                    "pages, or with `Authorization: Bearer <token>`.",
                ),
            )
            return
        if not path.startswith(PUBLIC_PREFIXES):
            try:
                reader = self.identities.reader(self._offered(headers))
            except IdentityError as exc:
                await self._refuse(scope, send_with_headers, str(exc))
                return
            scope.setdefault("state", {})["reader"] = reader
        upload = path == UPLOAD_PATH and scope["method"] == "POST"
        limit = self._limit(path, upload)
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send_with_headers, limit, upload)
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
                await _too_large(send_with_headers, limit, upload)
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send_with_headers)

    def _forged(self, headers: dict[bytes, bytes], path: str) -> bool:
        """A state change a page of another origin makes in the reader's name: with the
        sign-in cookie (or signing in), from anywhere but docqa's own pages; with no
        credential at all, from anywhere but docqa and the allowed embedding origins."""
        if headers.get(b"authorization", b"")[:7].lower() == b"bearer ":
            return False
        if not cross_site(headers):
            return False
        if COOKIE.encode() in headers.get(b"cookie", b"") or path == "/login":
            return True
        origin = headers.get(b"origin", b"").decode("latin-1").lower()
        return origin not in self.origins

    def _limit(self, path: str, upload: bool) -> int:
        if upload:  # the files, and room for the form's own framing
            return self.upload_bytes + _MULTIPART_ROOM
        return self.max_body_bytes if path.startswith(("/api/", "/v1/", "/mcp")) else UI_BODY_LIMIT

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

    @staticmethod
    def _offered(headers: dict[bytes, bytes]) -> str:
        return presented_token(
            headers.get(b"authorization", b"").decode("latin-1"),
            headers.get(b"cookie", b"").decode("latin-1"),
        )

    async def _refuse(self, scope: Scope, send: Send, message: str) -> None:
        wants_page = scope["method"] == "GET" and not scope["path"].startswith(
            ("/api/", "/v1/", "/mcp", "/gradio_api/")
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
            error_payload("unauthorized", message),
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


async def _too_large(send: Send, limit: int, upload: bool = False) -> None:
    if upload:
        files = limit - _MULTIPART_ROOM
        message = (
            f"The upload is larger than {files / 1048576:g} MB, the limit for one upload "
            "(DOCQA_UPLOADS__MAX_TOTAL_MB). Send the files in several uploads."
        )
    else:
        message = (
            f"The request body is larger than {limit:,} bytes. Send the question alone, "
            "with a shorter history."
        )
    await _json(send, 413, error_payload("body_too_large", message))


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
