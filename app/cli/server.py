"""`docqa serve` and `docqa info`."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from app.cli import common
from app.cli.common import IndexDir, app, fail
from app.errors import DocQAError

__all__ = ["info", "serve"]


@app.command()
def serve(
    index_dir: IndexDir = None,
    host: Annotated[str | None, typer.Option(help="Listen address (DOCQA_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (DOCQA_PORT).")] = None,
) -> None:
    """Serve the chat UI at /, the API at /api and the embeddable chat at /embed."""
    from app.server import serve as run_server
    from app.server.identity import Identities

    service = common.service(index_dir, host=host, port=port)
    try:
        Identities(service.settings)  # a missing or unreadable key file stops here
        service.check_store()  # an unreachable database stops here; a missing index does not
        service.check_answerer()  # a broken LLM setup stops here too
    except DocQAError as exc:
        raise fail(exc) from None
    logging.getLogger("app").setLevel(logging.INFO)
    run_server(service.settings, service)


@app.command()
def info(index_dir: IndexDir = None) -> None:
    """Show what the index holds and what it was built with."""
    try:
        stats = common.service(index_dir).store.stats()
    except DocQAError as exc:
        raise fail(exc) from None
    for key, value in stats.items():
        typer.echo(f"{key}: {value}")
