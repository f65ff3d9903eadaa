"""A real uvicorn server in a thread, on a free loopback port, for the tests that need
HTTP as a browser or another process speaks it."""

from __future__ import annotations

import functools
import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from tests.bench.load import free_port


class LiveServer:
    """``with LiveServer(app) as server: server.url`` serves ``app`` until the block ends."""

    def __init__(self, app: Any, port: int | None = None, **config: Any) -> None:
        self.port = port or free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", **config)
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 120
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def static_site(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """``folder``'s files served on another loopback origin (a portal page); the server
    and its URL (call ``shutdown`` when done)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@contextmanager
def serving(settings: Any, embeddings: Any, paths: list[Path], port: int) -> Iterator[Any]:
    """``paths`` indexed into a fresh core with ``settings``, the whole server live on
    ``port``; yields the core (the server's URL is http://127.0.0.1:port)."""
    from app.server import create_app
    from app.service import DocQA

    service = DocQA(settings, embeddings)
    service.index(paths)
    try:
        with LiveServer(create_app(settings, service), port):
            yield service
    finally:
        service.close()
