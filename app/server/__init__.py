"""One server: the Gradio chat at ``/``, the API at ``/api``, the embeddable chat at ``/embed``.

``create_app`` builds the ASGI application; ``serve`` runs it with uvicorn.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from html import escape
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi_offline import FastAPIOffline
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.exceptions import HTTPException
from starlette.routing import Match, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import DocQAError
from app.jobs import Jobs, adopt_uploads_folder
from app.server import api, manage, openai
from app.server.api import api_error, document_limits
from app.server.chatmount import ChatMount
from app.server.guard import COOKIE, Guard, own_paths
from app.server.identity import MAX_TOKEN_CHARS, Identities, IdentityError
from app.server.mcp import MCP_PATH, make_mcp
from app.server.openai import OpenAIErrors
from app.server.protocol import timed_protocol
from app.service import DocQA
from app.settings import Settings

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

__all__ = ["create_app", "serve"]

logger = logging.getLogger(__name__)

STATIC = Path(str(resources.files("app.server") / "static"))
EMBED_FILES = {"embed.js", "embed.css", "answer.css", "widget.js"}


def create_app(
    settings: Settings,
    service: DocQA | None = None,
    *,
    ui: bool = True,
    chat_after_start: bool = False,
    on_chat_open: Callable[[str], None] | None = None,
) -> ASGIApp:
    """The whole server as one ASGI app; the model and index load before it serves.

    ``chat_after_start``: the chat is built once the server answers (``ChatMount``), as
    ``docqa serve`` does, and ``on_chat_open`` is told how that went ("ready" or
    "failed"); otherwise the chat is built here, before the app is returned.
    """
    service = service or DocQA(settings)
    jobs = Jobs(service)
    mcp = make_mcp(service)
    chat = (
        ChatMount(lambda mounted: _mount_chat(mounted, service, identities), on_chat_open)
        if ui and chat_after_start
        else None
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if chat is not None:  # built while the models load; the API does not wait for it
            chat.start()
        try:
            try:
                await run_in_threadpool(service.warm)
                logger.info("ready: model and index loaded")
            except DocQAError as exc:  # serve anyway: /api/health says what to do
                logger.warning("not ready: %s", exc)
            try:
                await run_in_threadpool(adopt_uploads_folder, service)
            except DocQAError as exc:
                logger.warning("the earlier uploads folder was not taken in: %s", exc)
            jobs.start()  # jobs a stopped server left are resumed too
            async with mcp.session_manager.run():
                yield
        finally:
            if chat is not None:
                await chat.stop()
            await run_in_threadpool(jobs.close)

    # Swagger UI's files come from the fastapi-offline package, served at /docs/assets:
    # the API page needs no CDN and, with its own script file, no inline script.
    app = FastAPIOffline(
        title="docqa",
        summary="Answers from your documents, every claim cited.",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        static_url="/docs/assets",
    )

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        return api_error(
            400,
            "bad_request",
            f"The request is not valid ({problems}). Send JSON like "
            '{"question": "...", "history": []}.',
        )

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> Response:
        return api_error(exc.status_code, "http_error", str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> Response:
        # A bug, not the asker's fault: said in the documented format, logged with its stack.
        logger.error("unexpected %s", type(exc).__name__, exc_info=exc)
        return api_error(
            500, "internal", "Something went wrong inside docqa; the request was not answered."
        )

    identities = Identities(settings)  # a bad key file is a ConfigError at start
    # What the routes' dependencies (app/server/deps.py) hand them.
    app.state.core, app.state.jobs, app.state.managed = service, jobs, identities.required
    # What /api/health says of the chat: off, opening, ready or failed.
    fixed = "ready" if ui else "off"
    app.state.chat_state = (lambda: chat.state) if chat is not None else (lambda: fixed)
    app.include_router(api.router)
    app.include_router(manage.router)
    app.include_router(openai.router)
    _add_mcp(app, mcp)
    openapi = app.openapi
    app.openapi = lambda: document_limits(openapi(), settings.max_question_chars)  # type: ignore[method-assign]
    _add_api_fallback(app, "/api")
    _add_api_fallback(app, "/v1")
    _add_docs_page(app)
    _add_embed_routes(app)
    _add_login(app, identities, settings.server.login_rate)
    own = own_paths(app.router.routes)  # before the chat is mounted at /
    if chat is not None:
        app.mount("/", chat)
    elif ui:
        _mount_chat(app, service, identities)
    guarded = Guard(
        app,
        identities=identities,
        max_body_bytes=settings.server.max_body_bytes,
        frame_origins=settings.server.embed_origins,
        body_timeout=settings.server.body_timeout,
        upload_bytes=settings.uploads.max_total_mb * 1024 * 1024,
        own=own,
    )
    # CORS in front of the guard: a browser's preflight carries no token and is answered
    # here, for exactly the allowed origins; the guard's own refusals (401, 403, 413)
    # carry the CORS headers, so a page of an allowed origin can read why.
    return CORSMiddleware(
        OpenAIErrors(guarded),
        allow_origins=settings.server.embed_origins,  # never "*", never an echo of any Origin
        allow_methods=["GET", "POST", "DELETE"],
        allow_headers=["authorization", "content-type"],
        max_age=600,
    )


def _mount_chat(app: FastAPI, service: DocQA, identities: Identities) -> None:
    from app.server.ui import mount_ui  # Gradio is imported only where the chat is built

    mount_ui(app, service, identities)


_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]  # those an Allow header lists


def _add_mcp(app: FastAPI, mcp: MCPServer) -> None:
    """The MCP server at ``/mcp``: stateless streamable HTTP with JSON responses, so any
    replica answers any call. The guard has checked the token (and, for a browser, the
    origin) before a call arrives, so the SDK's own DNS-rebinding check is not needed."""
    from mcp.server.transport_security import TransportSecuritySettings

    served = mcp.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    for route in served.routes:  # ahead of the chat, which is mounted at /
        app.router.routes.insert(0, route)


def _add_api_fallback(app: FastAPI, prefix: str) -> None:
    """Unknown paths under ``prefix`` are 404 and known ones asked with another method 405,
    in the API's error format (the chat, mounted at ``/``, would otherwise answer them)."""

    async def no_such_route(request: Request) -> Response:
        path = request.url.path
        routes = [r for r in app.router.routes if r is not fallback and not isinstance(r, Mount)]
        allowed = [
            method
            for method in _METHODS
            if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
        ]
        if not allowed:
            shown = path if len(path) <= 80 else path[:80] + "…"
            return api_error(404, "not_found", f"There is no {shown} in the API; see /docs.")
        response = api_error(
            405,
            "method_not_allowed",
            f"{path} answers {' and '.join(allowed)}, not {request.method}; see /docs.",
        )
        response.headers["allow"] = ", ".join(allowed)
        return response

    class Fallback:
        """As an ASGI app (not a function) the route takes every method, QUERY and TRACE too."""

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            response = await no_such_route(Request(scope, receive))
            await response(scope, receive, send)

    fallback = Route(prefix + "/{rest:path}", Fallback(), include_in_schema=False)
    app.router.routes.append(fallback)


# The API page runs only this server's scripts and styles.
DOCS_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'"
)


def _add_docs_page(app: FastAPI) -> None:
    @app.get("/docs", include_in_schema=False)
    async def docs_page() -> FileResponse:
        page = FileResponse(STATIC / "docs.html", media_type="text/html")
        page.headers["content-security-policy"] = DOCS_POLICY
        return page

    @app.get("/docs/docs.js", include_in_schema=False)
    async def docs_script() -> FileResponse:
        return FileResponse(STATIC / "docs.js", media_type="text/javascript")


def _add_embed_routes(app: FastAPI) -> None:
    @app.get("/embed", include_in_schema=False)
    async def embed_page() -> FileResponse:
        return FileResponse(STATIC / "embed.html", media_type="text/html")

    @app.get("/embed/{name}", include_in_schema=False)
    async def embed_asset(name: str) -> Response:
        if name not in EMBED_FILES:  # a fixed list: no path from the URL reaches the disk
            return api_error(404, "not_found", f"There is no /embed/{name}.")
        media = "text/css" if name.endswith(".css") else "text/javascript"
        return FileResponse(STATIC / name, media_type=media)


_LOGIN = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>docqa: sign in</title>
<style>body{{font:16px system-ui,sans-serif;display:grid;place-items:center;min-height:90vh;
margin:0;background:#f6f7f9}}form{{background:#fff;padding:2rem;border-radius:12px;
box-shadow:0 1px 4px #0002;display:grid;gap:.8rem;width:min(22rem,90vw)}}
input,button{{font:inherit;padding:.6rem;border-radius:8px;border:1px solid #bbb}}
button{{background:#2563eb;color:#fff;border:0}}.err{{color:#b91c1c}}</style></head>
<body><form method="post" action="/login"><h1 style="margin:0;font-size:1.3rem">docqa</h1>
<label for="t">Access token</label><input id="t" name="token" type="password" required
autocomplete="current-password">{error}<button type="submit">Sign in</button></form>
</body></html>"""


def _add_login(app: FastAPI, identities: Identities, rate: str) -> None:
    # Attempts per client address; kept in this process (each replica counts its own).
    limiter, limit = MovingWindowRateLimiter(MemoryStorage()), parse(rate)

    @app.get("/login", include_in_schema=False)
    async def login_form() -> HTMLResponse:
        return HTMLResponse(_LOGIN.format(error=""))

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        client = request.client.host if request.client else "unknown"
        if not limiter.hit(limit, "login", client):
            reset = limiter.get_window_stats(limit, "login", client).reset_time
            wait = max(1, int(reset - time.time()) + 1)
            message = f'<p class="err">Too many sign-in attempts. Try again in {wait} seconds.</p>'
            page = HTMLResponse(_LOGIN.format(error=message), status_code=429)
            page.headers["retry-after"] = str(wait)
            return page
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        offered = (form.get("token") or [""])[0].strip()
        if not identities.required:
            return RedirectResponse("/", status_code=303)
        try:
            identities.reader(offered)
        except IdentityError as exc:
            message = f'<p class="err">{escape(str(exc))} Ask whoever runs this server.</p>'
            return HTMLResponse(_LOGIN.format(error=message), status_code=401)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            COOKIE,
            offered,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            max_age=30 * 24 * 3600,
        )
        return response


def serve(settings: Settings, service: DocQA | None = None) -> None:
    """Run the server on ``DOCQA_SERVER__HOST``:``DOCQA_SERVER__PORT`` until interrupted."""
    import uvicorn

    core = service or DocQA(settings)

    shown = "localhost" if settings.server.host in ("0.0.0.0", "::", "") else settings.server.host
    address = f"http://{shown}:{settings.server.port}/"
    # The address is printed once the socket is open, the index answers and the chat is
    # open: whichever of the last two comes second prints it.
    known: dict[str, str] = {}

    def tell() -> None:
        if known.get("api") != "answers" or "chat" not in known:
            return
        if known["chat"] == "ready":
            print(f"docqa is ready: open {address}  (Ctrl-C stops it)\n", flush=True)
        else:
            print(f"docqa could not open the chat (see the log); the API answers at {address}api\n",
                  flush=True)  # fmt: skip

    def opened(state: str) -> None:
        known["chat"] = state
        tell()

    app = create_app(settings, core, chat_after_start=True, on_chat_open=opened)

    class Server(uvicorn.Server):
        """Says where to go once the socket is open and the index answers."""

        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if not self.started:
                return
            try:
                await run_in_threadpool(core.health)
            except DocQAError as exc:
                print(f"\ndocqa is serving {address} but cannot answer yet: {exc}\n", flush=True)
                return
            known["api"] = "answers"
            if "chat" not in known:
                print(f"\ndocqa answers at {address}api; the chat is opening", flush=True)
            tell()

    config = uvicorn.Config(
        app,
        host=settings.server.host,
        port=settings.server.port,
        log_level="info",
        http=timed_protocol(settings.server.header_timeout),
        # Request headers up to twice the longest user token docqa accepts.
        h11_max_incomplete_event_size=2 * MAX_TOKEN_CHARS,
        timeout_keep_alive=settings.server.keep_alive_timeout,
    )
    Server(config).run()
