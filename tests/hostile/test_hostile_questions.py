"""Text that cannot be encoded (lone surrogates, bytes that are not UTF-8) in a question is
refused with a 400 or exit code 2 and a message, wherever a question enters."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app import cli
from app.cli import common
from app.errors import QuestionError
from app.server import create_app
from app.server.identity import Identities
from app.server.ui import ChatHandlers
from app.service import DocQA
from app.settings import Settings

LONE = "Who is the mayor of Marsby \ud800?"
RAW = b'{"question": "Who is the mayor of Marsby \\ud800?"}'


@pytest.fixture
def indexed(service: DocQA, corpus: Path) -> DocQA:
    """The fake-embedding service over the small corpus."""
    service.index([corpus])
    return service


def test_the_core_refuses_it_with_the_position(indexed: DocQA) -> None:
    with pytest.raises(QuestionError, match="position 28"):
        indexed.ask(LONE)
    with pytest.raises(QuestionError, match="Message 1 of the history"):
        indexed.ask("Who?", history=[{"role": "user", "content": "x\udcff"}])


@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream"])
def test_the_api_answers_400_json(indexed: DocQA, path: str) -> None:
    with TestClient(create_app(indexed.settings, indexed, ui=False)) as client:
        response = client.post(path, content=RAW, headers={"content-type": "application/json"})
        history = client.post(
            path,
            content=b'{"question": "Who?", "history": [{"role": "user", "content": "\\udcff"}]}',
            headers={"content-type": "application/json"},
        )
        fine = client.post(path, json={"question": "Who is the mayor of Marsby?"})
    assert response.status_code == 400
    assert response.json()["error"] == "bad_question"
    assert "not text at position 28" in response.json()["message"]
    assert history.status_code == 400
    assert history.json()["error"] in ("bad_question", "bad_request")
    assert fine.status_code == 200


def test_the_chat_shows_the_message_and_stays_encodable(indexed: DocQA) -> None:
    respond = ChatHandlers(indexed, Identities(indexed.settings)).respond
    *_, (history, turns, _) = respond(LONE, [], [], None, None, None, None)
    assert "not text at position 28" in history[-1]["content"]
    assert turns == []
    orjson.dumps(history)  # what Gradio sends the browser: no surrogate may remain


def test_the_cli_exits_2_with_a_message(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, indexed: DocQA, tmp_path: Path
) -> None:
    monkeypatch.setattr(common, "service", lambda index_dir: DocQA(settings, indexed.embeddings))
    runner = CliRunner()
    result = runner.invoke(cli.app, ["ask", "Alder \udcff mill"])
    assert result.exit_code == 2
    assert "not text at position 7" in result.output
    assert "Traceback" not in result.output

    questions = tmp_path / "questions.txt"
    questions.write_bytes(
        RAW + b'\nWho is the mayor of Marsby?\n{not json\nAlder \xff mill\n{"question": 3}\n'
    )
    many = runner.invoke(cli.app, ["ask", "--questions", str(questions), "--json"])
    assert many.exit_code == 0, many.output
    records = [json.loads(line) for line in many.output.splitlines()]
    assert len(records) == 5
    assert "not text at position 28" in records[0]["error"]
    assert "Ada Quill" in records[1]["answer"]
    assert "questions.txt:3: not valid JSON" in records[2]["error"]
    assert "not text at position 7" in records[3]["error"]
    assert records[3]["question"] == "Alder \ufffd mill"
    assert 'a JSON line needs a "question" string' in records[4]["error"]


def test_a_date_with_such_text_is_a_clear_error(indexed: DocQA) -> None:
    with pytest.raises(QuestionError, match="is not a date"):
        indexed.ask("Who is the mayor of Marsby?", since="2026-\udcff")
