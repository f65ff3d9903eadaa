"""docqa as an MCP server, on the official ``mcp`` SDK: ``docqa mcp`` speaks it over
stdio (desktop assistants), and ``docqa serve`` at ``/mcp`` (streamable HTTP, stateless,
JSON responses) behind the same tokens and groups as ``/api``.

Tools: ``ask`` (a question, optionally ``since``/``until``/``as_of`` → the answer with
its citations, as ``/api/ask`` gives it), ``search`` (a query, ``k``, ``since``/``until`` →
passages with their offsets and dates) and ``get_document`` (a key → title, date, text).
Resources: the documents the reader may read, each ``docqa://documents/{key}`` (its
text), listed a page at a time. Each call reads as the reader the HTTP
request's token names; over stdio, as the reader ``docqa mcp`` was started for.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.types import ListResourcesResult, PaginatedRequestParams, Resource

from app.errors import DocQAError
from app.server.identity import reader_of
from app.service import DocQA
from app.types import Reader

__all__ = ["MCP_PATH", "DocQAMCP", "make_mcp"]

MCP_PATH = "/mcp"
PAGE = 500  # documents per page of resources/list
_INSTRUCTIONS = (
    "docqa answers questions from an organisation's documents; every claim of an answer "
    "carries a citation [n] to an exact passage. Use `ask` for an answer, `search` for "
    "passages to read yourself, `get_document` to read a cited document whole."
)


def _asker(request: Any, fixed: Reader | None) -> Reader | None:
    """Who is asking: the HTTP request's reader (the guard verified its token), else the
    reader this server was started for (stdio)."""
    return reader_of(request) if request is not None else fixed


def _reader(ctx: Context[Any], fixed: Reader | None) -> Reader | None:
    return _asker(ctx.request_context.request, fixed)


class DocQAMCP(MCPServer):
    """The SDK's server, listing as resources the documents each caller may read (the
    SDK lists only resources registered up front, the same for everyone)."""

    def __init__(self, service: DocQA, reader: Reader | None) -> None:
        super().__init__("docqa", instructions=_INSTRUCTIONS, log_level="WARNING")
        self.service = service
        self.reader = reader

    async def _handle_list_resources(
        self, ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListResourcesResult:
        cursor = params.cursor if params is not None else None
        offset = int(cursor) if cursor and cursor.isdigit() else 0
        who = _asker(ctx.request, self.reader)
        try:
            listed = await anyio.to_thread.run_sync(self.service.catalogue, offset, PAGE + 1, who)
        except DocQAError as exc:
            raise ResourceNotFoundError(str(exc)) from None
        return ListResourcesResult(
            resources=[
                Resource(
                    uri=f"docqa://documents/{d.key}",
                    name=d.source,
                    title=d.title,
                    description=f"published {d.date}" if d.date else None,
                    mime_type="text/plain",
                )
                for d in listed[:PAGE]
            ],
            next_cursor=str(offset + PAGE) if len(listed) > PAGE else None,
        )


def make_mcp(service: DocQA, reader: Reader | None = None) -> MCPServer:
    """The MCP server over ``service``; ``reader`` is who stdio calls read as (None: every
    document, as the command line reads)."""
    mcp = DocQAMCP(service, reader)

    @mcp.tool()
    def ask(
        question: str,
        ctx: Context[Any],
        since: str | None = None,
        until: str | None = None,
        as_of: str | None = None,
    ) -> dict[str, Any]:
        """Answer a question from the documents. The answer's [n] markers refer to
        `citations` (source, title, date, start, end, quote); `refused` is true when the
        documents don't say, with the closest passages in `closest`. Dates are YYYY-MM-DD:
        `since`/`until` keep to articles published in that window, `as_of` is the day the
        question is asked on ("this week" is relative to it)."""
        try:
            answer = service.ask(question, None, since, until, _reader(ctx, reader), as_of=as_of)
        except DocQAError as exc:
            raise ToolError(str(exc)) from None
        found = answer.to_dict()
        found.pop("timings_ms", None)
        return found

    @mcp.tool()
    def search(
        query: str,
        ctx: Context[Any],
        k: int = 5,
        since: str | None = None,
        until: str | None = None,
    ) -> list[dict[str, Any]]:
        """The k (1-50) passages best matching the query, best first: each with its text,
        source, title, date, start and end in its document, and `document`, the key
        `get_document` reads."""
        try:
            found = service.search(query, k, since, until, _reader(ctx, reader))
        except DocQAError as exc:
            raise ToolError(str(exc)) from None
        return [p.to_dict() for p in found]

    @mcp.tool()
    def get_document(key: str, ctx: Context[Any]) -> dict[str, Any]:
        """A document by its key (a citation's or passage's `document`): its source,
        title, date and whole text."""
        try:
            found = service.document(key, _reader(ctx, reader))
        except DocQAError as exc:
            raise ToolError(str(exc)) from None
        if found is None:
            raise ToolError(f"No document '{key[:40]}' that you may read.")
        return {"document": key, "source": found.source, "title": found.title,
                "date": found.date, "text": found.text}  # fmt: skip

    @mcp.resource("docqa://documents/{key}", mime_type="text/plain")
    def document(key: str, ctx: Context[Any]) -> str:
        """One document's text, by its key."""
        try:
            found = service.document(key, _reader(ctx, reader))
        except DocQAError as exc:
            raise ResourceNotFoundError(str(exc)) from None
        if found is None:
            raise ResourceNotFoundError(f"No document '{key[:40]}' that you may read.")
        return found.text

    return mcp
