"""Readers' verdicts on answers, and refusals, kept for the operators and exported in pages."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import gradio as gr
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app import cli
from app.cli import common
from app.server.identity import Identities
from app.server.ui import ChatHandlers
from app.service import DocQA
from tests.support.org import (
    STATIC,
    bearer,
    token,
)


def test_feedback_and_refusals_are_kept_and_exported(
    org: tuple[TestClient, DocQA], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    client, service = org
    ana = bearer(token("ana", ["finance"]))
    answer = client.post("/api/ask", json={"question": "What is the harbour budget?"},
                         headers=ana).json()  # fmt: skip
    verdict = {"verdict": "not_helpful", "question": answer["question"],
               "answer": answer["answer"], "citations": answer["citations"],
               "comment": "wrong year"}  # fmt: skip
    assert client.post("/api/feedback", json=verdict, headers=ana).status_code == 201
    refused = client.post("/api/ask", json={"question": "zzqx wuvv?"}, headers=ana).json()
    assert refused["refused"]
    records = client.get("/api/feedback", headers=bearer(STATIC)).json()["records"]
    kinds = [r["verdict"] for r in records]
    assert kinds == ["not_helpful", "refused"]
    first = records[0]
    assert first["comment"] == "wrong year"
    assert first["index_version"]
    assert first["citations"][0]["document"] == answer["citations"][0]["document"]
    assert first["user"].startswith("hmac:")
    assert "ana" not in first["user"]
    # Keyed: the plain hash of a name on a staff list does not find it.
    assert hashlib.sha256(b"ana").hexdigest()[:32] not in first["user"]
    assert "quote" not in first["citations"][0]
    # The CLI exports the same records as JSON lines; a rebuild keeps them.
    service.index([service.settings.index_dir.parent / "archive"], rebuild=True)
    monkeypatch.setattr(common, "service", lambda index_dir: service)
    result = CliRunner().invoke(cli.app, ["feedback", "export", "--since", "2026-01-01"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    assert [r["verdict"] for r in lines] == kinds


def test_a_verdict_in_the_chat_is_kept_with_its_answer(service: DocQA, corpus: Path) -> None:
    service.index([corpus])
    indexed = service
    chat = ChatHandlers(indexed, Identities(indexed.settings))
    respond, verdict, sent = chat.respond, chat.verdict, chat.comment_sent
    *_, (history, turns, _) = respond("Who is the mayor of Marsby?", [], [], None, None, None, None)
    like = gr.LikeData(None, {"index": 1, "value": history[1]["content"], "liked": False})
    held, row, _ = verdict(turns, None, like, None)
    assert row["visible"] is True  # the comment box opens once a verdict is given
    assert indexed.feedback_log.since() == []  # held until the comment is sent or skipped
    question = gr.LikeData(None, {"index": 0, "value": "q", "liked": True})
    assert verdict(turns, held, question, None)[0]["__type__"] == "update"  # not an answer
    held_after, row, comment = sent(turns, held, " names the wrong mayor ", None)
    assert (held_after, row["visible"], comment) == (None, False, "")
    (record,) = indexed.feedback_log.since()
    assert record["verdict"] == "not_helpful"
    assert record["comment"] == "names the wrong mayor"
    assert record["question"] == "Who is the mayor of Marsby?"
    assert record["answer"] == turns[0]["answer"]
    assert record["user"] is None
    # A question the documents do not answer is kept too.
    *_, (_, refused, _) = respond("zzqx wuvv?", [], [], None, None, None, None)
    assert refused[0]["refused"]
    assert [r["verdict"] for r in indexed.feedback_log.since()] == ["not_helpful", "refused"]
