"""The chat opened after the server answers: what ``/`` says while it opens, once it is
open, and when it cannot be opened; the API answers throughout."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient

from app.server import create_app
from app.server.chatmount import ChatMount
from app.service import DocQA
from tests.support.waiting import until


def _server(chat: ChatMount) -> FastAPI:
    """An app that answers /api/ping and opens ``chat`` at / as ``create_app`` does."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        chat.start()
        yield
        await chat.stop(wait=0.5)

    app = FastAPI(lifespan=lifespan)
    app.add_api_route("/api/ping", lambda: {"ok": True})
    app.mount("/", chat)
    return app


def _held_chat(release: threading.Event, told: list[str]) -> ChatMount:
    """A chat whose building waits for ``release``, then serves "the chat" at /."""

    def build(app: FastAPI) -> None:
        release.wait(20)
        app.add_api_route("/", lambda: PlainTextResponse("the chat"))

    return ChatMount(build, told.append)


def _until(check: Callable[[], bool], seconds: float = 20.0) -> None:
    until(check, seconds)


def test_the_api_answers_while_the_chat_opens_and_the_chat_follows() -> None:
    release = threading.Event()
    told: list[str] = []
    chat = _held_chat(release, told)
    with TestClient(_server(chat)) as client:
        assert client.get("/api/ping").json() == {"ok": True}
        page = client.get("/")
        assert (page.status_code, page.headers["retry-after"]) == (503, "1")
        assert 'http-equiv="refresh"' in page.text
        assert "opening the chat" in page.text
        asset = client.get("/gradio_api/info")
        assert asset.status_code == 503
        assert "try again in a moment" in asset.text
        assert chat.state == "opening"
        assert told == []
        release.set()
        _until(lambda: chat.state == "ready")
        assert client.get("/").text == "the chat"
        assert told == ["ready"]


def test_a_chat_that_cannot_be_built_leaves_the_api_answering() -> None:
    def build(app: FastAPI) -> None:
        raise RuntimeError("no theme")

    told: list[str] = []
    chat = ChatMount(build, told.append)
    with TestClient(_server(chat)) as client:
        _until(lambda: chat.state == "failed")
        page = client.get("/")
        assert page.status_code == 503
        assert "could not be opened" in page.text
        assert "retry-after" not in page.headers  # reloading would not help
        assert client.get("/api/ping").json() == {"ok": True}
        assert told == ["failed"]


@pytest.mark.model
def test_served_chat_opens_after_health_and_health_says_so(seeded: DocQA) -> None:
    told: list[str] = []
    app = create_app(seeded.settings, seeded, chat_after_start=True, on_chat_open=told.append)
    with TestClient(app) as client:
        assert client.get("/api/health").json()["chat"] in ("opening", "ready")
        _until(lambda: client.get("/api/health").json()["chat"] == "ready", 60)
        page = client.get("/")
        assert page.status_code == 200
        assert "gradio" in page.text.lower()
        assert told == ["ready"]
    with TestClient(create_app(seeded.settings, seeded, ui=False)) as client:
        assert client.get("/api/health").json()["chat"] == "off"


def test_a_server_stopped_while_the_chat_is_built_neither_waits_long_nor_says_ready() -> None:
    release = threading.Event()
    told: list[str] = []
    chat = _held_chat(release, told)
    started = time.monotonic()
    with TestClient(_server(chat)) as client:
        assert client.get("/api/ping").json() == {"ok": True}
    assert time.monotonic() - started < 5  # the stop waited half a second, not 20
    release.set()
    time.sleep(0.2)
    assert told == []
    assert chat.state == "opening"
