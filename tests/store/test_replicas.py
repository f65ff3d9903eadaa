"""Two `docqa serve` replicas on one PostgreSQL database, as behind a load balancer.

The API, the widget, sign-in and documents work on whichever replica a request lands on,
and both see a re-index at the next question. The Gradio chat is the one thing that must
be sticky: a browser session's queue and its answers' citations live in the replica that
answered it, so every ``/gradio_api/`` request of a session must reach the same replica.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from app.server import create_app
from app.service import DocQA
from app.settings import RerankSettings, ServerSettings, Settings
from tests.conftest import ARTICLES, CountingFakeEmbeddings, on_postgres
from tests.support.servers import LiveServer

TOKEN = "replica-test-token"
QUESTION = "What pay rise did the unions accept?"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def shared(
    postgres_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """Two replicas (each its own core, as its own process would have) over one database."""
    root = tmp_path_factory.mktemp("replicas")
    corpus = root / "articles"
    corpus.mkdir()
    for name, text in ARTICLES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    base = Settings(
        index_dir=root / "unused",
        server=ServerSettings(api_token=SecretStr(TOKEN)),
        rerank=RerankSettings(model="none", no_model_threshold=0.45),
        _env_file=None,  # type: ignore[call-arg]
    )
    settings = on_postgres(base, postgres_server.new_database())
    embeddings = CountingFakeEmbeddings(size=384)
    DocQA(settings, embeddings=embeddings).index([corpus])
    services = [DocQA(settings, embeddings=embeddings) for _ in range(2)]
    with (
        LiveServer(create_app(settings, services[0])) as a,
        LiveServer(create_app(settings, services[1])) as b,
    ):
        yield {"a": a.url, "b": b.url, "settings": settings, "corpus": corpus,
               "embeddings": embeddings}  # fmt: skip
    for service in services:
        service.close()


def _ask(url: str, question: str = QUESTION) -> dict[str, Any]:
    response = httpx.post(f"{url}/api/ask", json={"question": question}, headers=AUTH, timeout=30)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _comparable(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "timings_ms"}


def test_every_replica_answers_the_same_way(shared: dict[str, Any]) -> None:
    a, b = _ask(shared["a"]), _ask(shared["b"])
    assert a["citations"]
    assert _comparable(a) == _comparable(b)
    health = [httpx.get(f"{shared[r]}/api/health").json() for r in "ab"]
    assert health[0]["index_version"] == health[1]["index_version"]
    assert health[0]["backend"].startswith("postgresql 18")


def test_documents_and_the_widget_from_either_replica(shared: dict[str, Any]) -> None:
    key = _ask(shared["a"])["citations"][0]["document"]
    for replica in ("a", "b"):
        url = shared[replica]
        document = httpx.get(f"{url}/api/documents/{key}", headers=AUTH)
        assert document.status_code == 200
        assert "four percent" in document.json()["text"]
        assert httpx.get(f"{url}/embed/widget.js").status_code == 200
        assert httpx.get(f"{url}/embed").status_code == 200


def test_signing_in_on_one_replica_is_good_on_the_other(shared: dict[str, Any]) -> None:
    signed = httpx.post(f"{shared['a']}/login", data={"token": TOKEN})
    assert signed.status_code == 303
    cookies = signed.cookies
    assert httpx.get(f"{shared['b']}/", cookies=cookies).status_code == 200
    assert httpx.get(f"{shared['b']}/", follow_redirects=False).status_code in (302, 303, 307)


def test_a_reindex_is_seen_by_every_replica_at_the_next_question(shared: dict[str, Any]) -> None:
    corpus: Path = shared["corpus"]
    before = httpx.get(f"{shared['a']}/api/health").json()["index_version"]
    (corpus / "gamma.html").write_text(
        "<html><head><title>Rail strike ends</title></head><body>"
        "<p>The national rail strike ended after nine days.</p>"
        "<p>Unions accepted a pay rise of six percent.</p></body></html>",
        encoding="utf-8",
    )
    DocQA(shared["settings"], embeddings=shared["embeddings"]).index([corpus])
    for replica in ("a", "b"):
        answer = _ask(shared[replica])
        assert "six percent" in answer["answer"]
        version = httpx.get(f"{shared[replica]}/api/health").json()["index_version"]
        assert version != before


def _join(url: str, session: str, question: str) -> None:
    """Ask in the chat as the page does: the ``respond`` event on the question box."""
    config = httpx.get(f"{url}/config", cookies={"docqa_token": TOKEN}).json()
    (respond,) = [d for d in config["dependencies"] if d.get("api_name") == "respond"]
    (trigger,) = respond["targets"]
    body = {
        "data": [question, [], None, "", "", ""],
        "fn_index": respond["id"],
        "trigger_id": trigger[0],
        "session_hash": session,
        "event_data": None,
    }
    joined = httpx.post(f"{url}/gradio_api/queue/join", json=body, cookies={"docqa_token": TOKEN})
    assert joined.status_code == 200, joined.text


def _events(url: str, session: str) -> list[dict[str, Any]] | None:
    """The messages of the session's queue stream from ``url``; None if the replica cut
    the stream (Gradio starts it, then finds no such session)."""
    messages = []
    try:
        with httpx.stream(
            "GET",
            f"{url}/gradio_api/queue/data",
            params={"session_hash": session},
            cookies={"docqa_token": TOKEN},
            timeout=30,
        ) as response:
            if response.status_code != 200:
                return None
            for line in response.iter_lines():
                if line.startswith("data:"):
                    message = json.loads(line[5:])
                    messages.append(message)
                    if message.get("msg") == "process_completed":
                        break
    except httpx.RemoteProtocolError:
        return None
    return messages


def test_a_chat_session_is_served_by_the_replica_it_started_on(shared: dict[str, Any]) -> None:
    session = uuid.uuid4().hex[:11]
    _join(shared["a"], session, QUESTION)
    assert _events(shared["b"], session) is None, "replica B knows nothing of A's chat session"
    messages = _events(shared["a"], session)
    assert messages
    done = messages[-1]
    assert done["msg"] == "process_completed"
    assert done["success"]
    chat = json.dumps(done["output"]["data"][0])
    assert "four percent" in chat or "six percent" in chat
