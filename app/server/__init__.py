"""One server: the Gradio chat at ``/``, the API at ``/api``, the embeddable chat at ``/embed``.

``create_app`` builds the ASGI application; ``serve`` runs it with uvicorn.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp

from app.errors import DocQAError
from app.server.api import api_error, make_router
from app.server.guard import COOKIE, Guard, token_matches
from app.service import DocQA
from app.settings import Settings

__all__ = ["create_app", "serve"]

logger = logging.getLogger(__name__)

STATIC = Path(str(resources.files("app.server") / "static"))
EMBED_FILES = {"embed.js", "embed.css", "widget.js"}


def create_app(settings: Settings, service: DocQA | None = None, *, ui: bool = True) -> ASGIApp:
    """The whole server as one ASGI app; the model and index load before it serves."""
    service = service or DocQA(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            await run_in_threadpool(service.warm)
            logger.info("ready: model and index loaded")
        except DocQAError as exc:  # serve anyway: /api/health says what to do
            logger.warning("not ready: %s", exc)
        yield

    app = FastAPI(
        title="docqa",
        summary="Answers from your documents, every claim cited.",
        version="1",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.embed_origins,  # never "*", never an echo of any Origin
        allow_methods=["GET", "POST"],
        allow_headers=["authorization", "content-type"],
        max_age=600,
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

    token = settings.api_token.get_secret_value() if settings.api_token else None
    app.include_router(make_router(service))
    _add_embed_routes(app)
    _add_login(app, token)
    if ui:
        from app.server.ui import mount_ui

        mount_ui(app, service)
    return Guard(
        app,
        token=token,
        max_body_bytes=settings.max_body_bytes,
        frame_origins=settings.embed_origins,
    )


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


def _add_login(app: FastAPI, token: str | None) -> None:
    @app.get("/login", include_in_schema=False)
    async def login_form() -> HTMLResponse:
        return HTMLResponse(_LOGIN.format(error=""))

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        offered = (form.get("token") or [""])[0]
        if not token:
            return RedirectResponse("/", status_code=303)
        if not token_matches(offered, token):
            message = '<p class="err">That token is not right. Ask whoever runs this server.</p>'
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
    """Run the server on ``DOCQA_HOST``:``DOCQA_PORT`` until interrupted."""
    import uvicorn

    app = create_app(settings, service)
    logger.info("docqa on http://%s:%s", settings.host, settings.port)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
