"""The server against hostile clients: which routes answer at all, with and without a
token; uploads; slow clients; throttled sign-in; errors in the documented format."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from app.server import create_app
from app.server.guard import PUBLIC_PREFIXES
from app.server.protocol import timed_protocol
from app.service import DocQA
from app.settings import ServerSettings
from tests.support.servers import LiveServer

# Every Gradio route the chat page may reach; all others must answer docqa's own 404.
CHAT_ROUTES = {
    ("GET", "/"),
    ("HEAD", "/"),
    ("GET", "/config"),
    ("GET", "/config/"),
    ("GET", "/assets/{path:path}"),
    ("GET", "/static/{path:path}"),
    ("GET", "/svelte/{path:path}"),
    ("GET", "/favicon.ico"),
    ("GET", "/theme.css"),
    ("GET", "/robots.txt"),
    ("GET", "/gradio_api/heartbeat/{session_hash}"),
    ("GET", "/gradio_api/queue/data"),
    ("GET", "/gradio_api/queue/status"),
    ("POST", "/gradio_api/queue/join"),
    ("POST", "/gradio_api/cancel"),
    ("POST", "/gradio_api/reset"),
    ("POST", "/gradio_api/reset/"),
}
OWN = ("/api", "/v1", "/mcp", "/embed", "/login", "/docs", "/openapi.json")


def _routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path template) of every route, through included routers and mounts."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes, prefix)
        elif hasattr(route, "routes") and hasattr(route, "app"):  # a Mount
            yield from _routes(route.routes, prefix + route.path)
        else:
            for method in sorted(getattr(route, "methods", None) or {"GET"}):
                yield method, prefix + route.path


def _concrete(template: str) -> str:
    path = re.sub(r"\{[^}]+:path\}", "some/file.js", template)
    return re.sub(r"\{[^}]+\}", "abc123", path)


@pytest.fixture
def indexed(service: DocQA, corpus: Path) -> DocQA:
    """The fake-embedding service over the small corpus."""
    service.index([corpus])
    return service


def _app(indexed: DocQA, **changes: Any) -> Any:
    server = changes.pop("server", indexed.settings.server)
    if "api_token" in changes:
        server = server.model_copy(update={"api_token": changes.pop("api_token")})
    settings = indexed.settings.model_copy(update={**changes, "server": server})
    indexed.settings = settings
    return create_app(settings, indexed, ui=True)


class _Server(LiveServer):
    """The real server (uvicorn with docqa's protocol) in a thread, on loopback."""

    def __init__(self, app: Any, settings: ServerSettings) -> None:
        super().__init__(
            app,
            http=timed_protocol(settings.header_timeout),
            timeout_keep_alive=settings.keep_alive_timeout,
        )

    def closes(self, payload: bytes, wait: float = 15.0) -> tuple[bool, bytes]:
        """Send ``payload`` and read until the server closes (True) or ``wait`` passes."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=wait) as sock:
            sock.sendall(payload)
            received = b""
            try:
                while chunk := sock.recv(4096):
                    received += chunk
            except TimeoutError:
                return False, received
            return True, received


def _status(base: str, method: str, path: str) -> tuple[int, str]:
    """Status and error code of one request; streamed answers are not read to their end."""
    with httpx.stream(method, base + path, timeout=20, follow_redirects=False) as response:
        code = ""
        if response.headers.get("content-type", "").startswith("application/json"):
            body = response.read()
            error = json.loads(body).get("error", "") if body.startswith(b"{") else ""
            if isinstance(error, dict):  # OpenAI's error body, under /v1
                error = {"invalid_api_key": "unauthorized"}.get(error["code"], error["code"])
            code = str(error)
            if method == "HEAD" and response.status_code in (401, 404):
                code = {401: "unauthorized", 404: "not_found"}[response.status_code]
        if response.status_code == 303 and response.headers.get("location") == "/login":
            code = "unauthorized"  # a page: the person is sent to sign in
        return response.status_code, code


def _fastapi(app: Any) -> Any:
    """The FastAPI application inside the server's ASGI layers (CORS, the guard)."""
    while not hasattr(app, "routes"):
        app = app.app
    return app


def test_only_the_routes_the_chat_needs_are_reachable(indexed: DocQA) -> None:
    app = _app(indexed)
    every = sorted(set(_routes(_fastapi(app).routes)))
    gradio = [(m, p) for m, p in every if not p.startswith(OWN)]
    assert len(gradio) > 40  # Gradio mounts many more routes than the chat uses
    with _Server(app, ServerSettings()) as server:
        answers = {(m, p): _status(server.url, m, _concrete(p)) for m, p in gradio}
    reachable = {route for route, answer in answers.items() if answer != (404, "not_found")}
    assert reachable == CHAT_ROUTES
    denied = {p for m, p in gradio if (m, p) not in CHAT_ROUTES}
    assert {"/gradio_api/upload", "/gradio_api/file={path_or_url:path}"} <= denied
    assert any(p.startswith("/gradio_api/proxy=") for p in denied)


def test_with_a_token_nothing_but_the_public_paths_answers_without_it(indexed: DocQA) -> None:
    app = _app(indexed, api_token=SecretStr("s3cret-token-value"))
    every = sorted(set(_routes(_fastapi(app).routes)))
    with _Server(app, ServerSettings()) as server:
        answers = {(m, p): _status(server.url, m, _concrete(p)) for m, p in every}
    for (method, template), (status, code) in answers.items():
        if _concrete(template).startswith(PUBLIC_PREFIXES):
            assert code != "unauthorized", (method, template)
        elif template.startswith(OWN) or (method, template) in CHAT_ROUTES:
            assert code == "unauthorized", (method, template, status)
        else:
            assert (status, code) == (404, "not_found"), (method, template)


def test_uploads_are_refused_and_nothing_is_written(
    indexed: DocQA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uploads = tmp_path / "gradio-tmp"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(uploads))
    with TestClient(_app(indexed)) as client:
        for _ in range(3):
            response = client.post(
                "/gradio_api/upload", files={"files": ("a.txt", b"x" * 2_000_000, "text/plain")}
            )
            assert response.status_code in (404, 413)
        assert client.get("/gradio_api/file=/etc/passwd").status_code == 404
        assert client.post("/api/ask", json={"question": "Who is the mayor of Marsby?"}).is_success
        assert client.get("/").status_code == 200
    assert not uploads.exists() or not any(uploads.rglob("*"))


def test_api_errors_use_the_documented_format(indexed: DocQA) -> None:
    with TestClient(_app(indexed)) as client:
        for method in ("PUT", "DELETE", "PATCH", "GET"):
            response = client.request(method, "/api/ask")
            assert response.status_code == 405
            assert response.json()["error"] == "method_not_allowed"
            assert response.headers["allow"] == "POST"
        missing = client.get("/api/no-such-thing")
        long_key = client.get("/api/documents/" + "a" * 50_000)
    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")
    assert long_key.status_code == 404
    assert len(long_key.json()["message"]) < 300


def test_an_unexpected_failure_is_a_json_500(indexed: DocQA) -> None:
    class Broken(DocQA):
        def ask(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("a bug")

    broken = Broken(indexed.settings, indexed.embeddings)
    app = create_app(indexed.settings, broken, ui=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/api/ask", json={"question": "Who is the mayor of Marsby?"})
    assert response.status_code == 500
    assert response.json()["error"] == "internal"
    assert "a bug" not in response.text


def test_sign_in_is_throttled_per_client(indexed: DocQA) -> None:
    app = _app(
        indexed,
        api_token=SecretStr("s3cret-token-value"),
        server=ServerSettings(login_rate="3/minute"),
    )
    with TestClient(app) as client:
        codes = [
            client.post("/login", data={"token": "wrong"}, follow_redirects=False).status_code
            for _ in range(5)
        ]
        right = client.post("/login", data={"token": "s3cret-token-value"}, follow_redirects=False)
    assert codes == [401, 401, 401, 429, 429]
    assert right.status_code == 429  # even the right token waits: no guessing at full speed
    assert int(right.headers["retry-after"]) > 0


def test_the_api_page_uses_only_local_files(indexed: DocQA) -> None:
    with TestClient(_app(indexed)) as client:
        page = client.get("/docs")
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        fetched = {a: client.get(a).status_code for a in assets}
    assert "http" not in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert len(fetched) == 4
    assert set(fetched.values()) == {200}


def test_slow_clients_are_cut_off(indexed: DocQA) -> None:
    limits = ServerSettings(header_timeout=1, keep_alive_timeout=1, body_timeout=1)
    app = _app(indexed, server=limits)
    with _Server(app, limits) as server:
        closed, _ = server.closes(b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        assert closed  # headers that never finish
        closed, _ = server.closes(b"")
        assert closed  # a connection that sends nothing
        closed, answer = server.closes(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert closed  # idle after the response
        assert answer.startswith(b"HTTP/1.1 200")
        body = b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        closed, answer = server.closes(body + b"Content-Length: 100\r\n\r\n{")
        assert closed
        assert answer.startswith(b"HTTP/1.1 408")
