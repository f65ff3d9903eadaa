"""`docqa serve`, `docqa mcp` and `docqa info`."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from app.cli import common
from app.cli.common import IndexDir, app, fail
from app.errors import DocQAError

__all__ = ["info", "mcp", "serve"]


@app.command()
def serve(
    index_dir: IndexDir = None,
    host: Annotated[str | None, typer.Option(help="Listen address (DOCQA_SERVER__HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (DOCQA_SERVER__PORT).")] = None,
) -> None:
    """Serve the chat UI at /, the API at /api, the embeddable chat at /embed, the
    OpenAI-compatible API at /v1 and the MCP server at /mcp."""
    service = common.service(index_dir, host=host, port=port)
    service.warm_in_background()  # the models load while the server's code is imported
    from app.server import serve as run_server
    from app.server.identity import Identities

    try:
        Identities(service.settings)  # a missing or unreadable key file stops here
        service.check_store()  # an unreachable database stops here; a missing index does not
        service.check_answerer()  # a broken LLM setup stops here too
    except DocQAError as exc:
        raise fail(exc) from None
    logging.getLogger("app").setLevel(logging.INFO)
    run_server(service.settings, service)


@app.command()
def mcp(
    index_dir: IndexDir = None,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="DOCQA_MCP_TOKEN",
            help="Read as the user this token names (a portal token, verified with the "
            "DOCQA_AUTH__* settings); without it, every document is read, as `docqa ask` does.",
        ),
    ] = None,
) -> None:
    """Serve the MCP tools (ask, search, get_document) and the documents over stdio, for
    desktop assistants; `docqa serve` offers the same at /mcp over HTTP."""
    from app.server.identity import Identities, IdentityError
    from app.server.mcp import make_mcp

    service = common.service(index_dir)
    try:
        reader = Identities(service.settings).reader(token) if token else None
        service.check_store()
    except IdentityError as exc:
        typer.echo(f"docqa mcp: the token is not accepted: {exc}", err=True)
        raise typer.Exit(2) from None
    except DocQAError as exc:
        raise fail(exc) from None
    # Standard output is the protocol's: everything else goes to standard error.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, force=True)
    make_mcp(service, reader).run("stdio")


@app.command()
def info(index_dir: IndexDir = None) -> None:
    """Show what the index holds and what it was built with."""
    try:
        stats = common.service(index_dir).store.stats()
    except DocQAError as exc:
        raise fail(exc) from None
    for key, value in stats.items():
        typer.echo(f"{key}: {value}")
