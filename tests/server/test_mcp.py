"""The MCP server, driven by the official ``mcp`` SDK's client: over streamable HTTP on a
live `docqa serve` (tokens and groups), and over stdio from `docqa mcp`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from app.server import create_app
from app.service import DocQA
from app.settings import Settings
from tests.conftest import CountingFakeEmbeddings
from tests.support.org import org_settings, token, write_archive
from tests.support.servers import LiveServer


@pytest.fixture
def live(
    backend_settings: Settings, fake_embeddings: CountingFakeEmbeddings, tmp_path: Path
) -> Iterator[tuple[str, DocQA]]:
    """Three departments' articles served live on each store backend, with user tokens."""
    settings = org_settings(backend_settings)
    service = DocQA(settings, embeddings=fake_embeddings)
    service.index([write_archive(tmp_path / "archive")])
    with LiveServer(create_app(settings, service, ui=False)) as server:
        yield server.url + "/mcp", service
    service.close()


def over_http(url: str, key: str | None, calls: Any) -> Any:
    """Run ``calls(client)`` with an MCP client connected to ``url`` with ``key``."""

    async def run() -> Any:
        headers = {"authorization": f"Bearer {key}"} if key else {}
        async with httpx2.AsyncClient(headers=headers, timeout=60) as http, Client(
            streamable_http_client(url, http_client=http)
        ) as client:  # fmt: skip
            return await calls(client)

    return anyio.run(run)


def _text(result: Any) -> str:
    return "".join(getattr(c, "text", "") for c in result.content)


def test_the_tools_answer_each_reader_from_their_own_documents(live: tuple[str, DocQA]) -> None:
    url, service = live
    hr_key = next(d.key for d in service.catalogue() if d.source.endswith("hr/leave.txt"))
    question = {"question": "How many weeks is the parental leave policy?"}

    async def as_hr(client: Client) -> dict[str, Any]:
        tools = {t.name for t in (await client.list_tools()).tools}
        answer = await client.call_tool("ask", question)
        found = await client.call_tool("search", {"query": "parental leave", "k": 2})
        opened = await client.call_tool("get_document", {"key": hr_key})
        return {"tools": tools, "answer": answer, "found": found, "opened": opened}

    hr = over_http(url, token("bo", ["hr"]), as_hr)
    assert hr["tools"] == {"ask", "search", "get_document"}
    answer = hr["answer"].structured_content
    assert not hr["answer"].is_error
    assert "20 weeks" in answer["answer"]
    assert answer["citations"][0]["source"] == "archive/hr/leave.txt"
    passages = hr["found"].structured_content["result"]
    assert passages[0]["source"] == "archive/hr/leave.txt"
    assert passages[0]["groups"] == ["hr"]
    assert hr["opened"].structured_content["text"].startswith("The personnel department")

    async def as_finance(client: Client) -> dict[str, Any]:
        return {
            "answer": await client.call_tool("ask", question),
            "found": await client.call_tool("search", {"query": "parental leave", "k": 10}),
            "opened": await client.call_tool("get_document", {"key": hr_key}),
        }

    finance = over_http(url, token("ana", ["finance"]), as_finance)
    seen = [*finance["answer"].structured_content["citations"],
            *finance["answer"].structured_content["closest"],
            *finance["found"].structured_content["result"]]  # fmt: skip
    assert not any("hr/" in c["source"] for c in seen)
    assert finance["opened"].is_error
    assert "No document" in _text(finance["opened"])
    assert "personnel" not in _text(finance["opened"])


def test_the_documents_are_resources_listed_and_read_per_reader(live: tuple[str, DocQA]) -> None:
    url, service = live
    hr_key = next(d.key for d in service.catalogue() if d.source.endswith("hr/leave.txt"))

    async def read(client: Client) -> dict[str, Any]:
        listed = (await client.list_resources()).resources
        try:
            opened = await client.read_resource(f"docqa://documents/{hr_key}")
            text = opened.contents[0].text  # type: ignore[union-attr]
        except Exception as exc:  # the SDK raises the server's refusal
            text = f"refused: {exc}"
        return {"listed": [(r.name, str(r.uri)) for r in listed], "hr": text}

    hr = over_http(url, token("bo", ["hr"]), read)
    assert {name for name, _ in hr["listed"]} == {"archive/hr/leave.txt",
                                                 "archive/news/weather.txt"}  # fmt: skip
    assert f"docqa://documents/{hr_key}" in {uri for _, uri in hr["listed"]}
    assert hr["hr"].startswith("The personnel department")
    finance = over_http(url, token("ana", ["finance"]), read)
    assert {name for name, _ in finance["listed"]} == {"archive/finance/budget.txt",
                                                      "archive/news/weather.txt"}  # fmt: skip
    assert finance["hr"].startswith("refused:")
    assert "personnel" not in finance["hr"]


def test_without_a_token_nothing_is_answered(live: tuple[str, DocQA]) -> None:
    url, _ = live
    listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    accept = {"accept": "application/json, text/event-stream"}
    unauthorized = httpx2.post(url, json=listing, headers=accept)
    assert unauthorized.status_code == 401
    assert unauthorized.json()["error"] == "unauthorized"
    with pytest.raises(Exception):  # noqa: B017,PT011 (the SDK's own error for a 401)
        over_http(url, "not-a-token", lambda client: client.list_tools())


@pytest.mark.model
def test_docqa_mcp_answers_over_stdio(seeded: DocQA) -> None:
    docqa = Path(sys.executable).parent / "docqa"
    params = StdioServerParameters(
        command=str(docqa), args=["mcp", "--index-dir", str(seeded.settings.index_dir)]
    )

    async def run() -> Any:
        async with Client(params) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            answer = await client.call_tool("ask", {"question": "What was hit in Kabul?"})
            bad = await client.call_tool("ask", {"question": "x", "as_of": "yesterday-ish"})
            return tools, answer, bad

    tools, answer, bad = anyio.run(run)
    assert tools == {"ask", "search", "get_document"}
    found = answer.structured_content
    assert "Kabul" in found["answer"]
    assert found["citations"]
    assert bad.is_error
    assert "YYYY-MM-DD" in _text(bad)
