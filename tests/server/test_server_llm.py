"""The API in LLM mode (scripted fake chat model): streaming, date ranges, health."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.server import create_app
from tests.answer.test_generative import QUESTION, ScriptedChat, llm_service, passage
from tests.conftest import CountingFakeEmbeddings


@pytest.fixture
def client(
    settings: object, fake_embeddings: CountingFakeEmbeddings, corpus: Path
) -> Iterator[TestClient]:
    model = ScriptedChat(
        script=lambda p: (
            "NO_ANSWER"
            if "chess" in p
            else f"Officials evacuated 40 homes [{passage(p, '40 homes')}]. "
            f"The mayor fled to Brussels [{passage(p, '40 homes')}]."
        )
    )
    service = llm_service(settings, fake_embeddings, corpus, model)  # type: ignore[arg-type]
    with TestClient(create_app(service.settings, service, ui=False)) as c:
        yield c


def events(client: TestClient, body: dict[str, object]) -> list[tuple[str, dict[str, object]]]:
    with client.stream("POST", "/api/ask/stream", json=body) as response:
        assert response.status_code == 200
        text = "".join(response.iter_text())
    return [
        (block.split("\n")[0].removeprefix("event: "), json.loads(block.split("\n")[1][6:]))
        for block in text.strip().split("\n\n")
    ]


def test_llm_answers_stream_verified_sentences(client: TestClient) -> None:
    got = events(client, {"question": QUESTION})
    kinds = [k for k, _ in got]
    assert kinds == ["delta", "delta", "citations", "done"]
    done = got[-1][1]
    assert done["mode"] == "llm"
    assert "".join(str(d["text"]) for k, d in got if k == "delta").strip() == done["answer"]
    assert [s["supported"] for s in done["sentences"]] == [True, False]  # type: ignore[index]
    assert str(got[1][1]["text"]).strip().endswith("[unsupported]")


def test_llm_refusal_over_the_api(client: TestClient) -> None:
    data = client.post("/api/ask", json={"question": "Who won the chess olympiad?"}).json()
    assert (data["refused"], data["mode"]) == (True, "llm")
    assert data["closest"]


def test_date_range_over_the_api(client: TestClient) -> None:
    body = {"question": QUESTION, "since": "2026-01-01", "until": "2026-01-31"}
    data = client.post("/api/ask", json=body).json()
    assert {c["date"] for c in data["citations"]} == {"2026-01-05"}
    bad = client.post("/api/ask", json={"question": QUESTION, "since": "yesterday"})
    assert bad.status_code == 400
    assert "since" in bad.json()["message"]
    empty = client.post(
        "/api/ask/stream", json={"question": QUESTION, "since": "2026-03-01", "until": "2026-01-01"}
    )
    assert empty.status_code == 400
    assert "after until" in empty.json()["message"]


def test_health_names_the_answerer_but_never_the_key(client: TestClient) -> None:
    data = client.get("/api/health").json()
    assert data["answerer"] == "llm"
    assert data["llm"] == "openai model 'scripted'"
