"""Analysts' questions on the seed articles with the real models: the answers are the
right kind (a follow-up in its frame, a timeline in date order, one side's own view),
every citation quotes its article exactly, and bad dates are said to be bad."""

from __future__ import annotations

import json
from datetime import date

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app import cli
from app.cli import common
from app.question.entities import entity_of
from app.server import create_app
from app.service import DocQA
from app.types import Answer
from tests.conftest import shared_file

pytestmark = pytest.mark.model

AS_OF = date(2026, 3, 5)


def _exact(service: DocQA, answer: Answer) -> None:
    for citation in (*answer.citations, *answer.closest):
        document = service.document(citation.document)
        assert document is not None
        assert document.text[citation.start : citation.end] == citation.quote


def test_a_follow_up_about_another_place_is_answered_for_that_place(seeded: DocQA) -> None:
    kabul = seeded.ask("What was hit in Kabul?", as_of=AS_OF)
    history = [
        {"role": "user", "content": "What was hit in Kabul?"},
        {"role": "assistant", "content": kabul.answer},
    ]
    kandahar = seeded.ask("And what about Kandahar?", history, as_of=AS_OF)
    assert not kandahar.refused
    assert kandahar.answer != kabul.answer
    assert "Kandahar" in kandahar.answer[:300]
    _exact(seeded, kandahar)


def test_a_timeline_is_in_date_order_and_every_line_is_cited(seeded: DocQA) -> None:
    answer = seeded.ask("List the main events of February 2026 in order.", as_of=AS_OF)
    assert answer.form == "timeline"
    assert len(answer.sentences) >= 3
    days = [s.label for s in answer.sentences]
    assert all(days)
    order = [date.fromisoformat(c.date) for c in answer.citations if c.date]
    assert order  # the articles are dated
    assert all(s.citations for s in answer.sentences)
    firsts = [_first_day(s.label or "") for s in answer.sentences]
    assert firsts == sorted(firsts)
    assert all(d.month == 2 and d.year == 2026 for d in firsts)
    _exact(seeded, answer)


def _first_day(label: str) -> date:
    from app.text.dates import date_spans

    return date_spans(label.removeprefix("reported "), AS_OF)[0].first


def test_a_position_question_cites_only_the_named_sides_own_view(seeded: DocQA) -> None:
    answer = seeded.ask("What does Afghanistan say about the TTP?", as_of=AS_OF)
    assert not answer.refused
    pakistan = entity_of("Pakistan")
    afghanistan = entity_of("Afghanistan")
    assert pakistan is not None
    assert afghanistan is not None
    assert "Afghanistan’s argument" in answer.sentences[0].text
    for citation in answer.citations:
        assert "Pakistan’s argument" not in citation.quote
    _exact(seeded, answer)


def test_a_name_the_articles_give_a_group_is_that_group_not_its_country(
    seeded: DocQA,
) -> None:
    # "…Tehrik-e-Taliban Pakistan (TTP) extremist group, also known as the Pakistani
    # Taliban": the question is about the TTP and Kabul, not a quarrel of two countries.
    answer = seeded.ask(
        "Why do experts doubt Kabul will break with the Pakistani Taliban?", as_of=AS_OF
    )
    assert not answer.refused
    assert "tribal ties between the TTP and Afghan Taliban" in answer.answer[:600]
    assert not any(s.label == "Pakistan" for s in answer.sentences)
    _exact(seeded, answer)


def test_a_british_spelling_finds_the_american_articles_words(seeded: DocQA) -> None:
    asked = "What lies at the heart of the hostility between the two neighbours?"
    answer = seeded.ask(asked, as_of=AS_OF)
    assert not answer.refused
    assert "The core issue between the two neighbors" in answer.sentences[0].text
    assert answer.question == asked  # searched respelled, shown as asked
    _exact(seeded, answer)


INTERVIEW = "000_fce48783007ea49c.txt"


def test_an_interview_guests_account_is_their_answers_however_they_are_named(
    seeded: DocQA,
) -> None:
    asked = "According to the Crisis Group's Kabul analyst, what's the real danger in this cycle?"
    answer = seeded.ask(asked, as_of=AS_OF)
    assert not answer.refused
    for citation in answer.citations:  # his answers, not the line introducing him
        assert citation.source.endswith(INTERVIEW)
        assert "spoke to" not in citation.quote
        assert not citation.quote.endswith("?")
    _exact(seeded, answer)
    who = "Who is Ibraheem Bahiss?"
    history = [
        {"role": "user", "content": who},
        {"role": "assistant", "content": seeded.ask(who, as_of=AS_OF).answer},
    ]
    hope = seeded.ask("What is he hoping will happen next?", history, as_of=AS_OF)
    assert "saner minds" in hope.sentences[0].text


def test_an_account_no_document_gives_is_a_refusal_that_names_whose(seeded: DocQA) -> None:
    answer = seeded.ask(
        "How many Afghan fighters were killed according to the United Nations?", as_of=AS_OF
    )
    assert answer.refused
    assert "attributed to the United Nations" in answer.answer


def test_a_window_with_no_report_is_a_refusal_that_says_so(seeded: DocQA) -> None:
    answer = seeded.ask("What happened on 3 January 2026?", as_of=AS_OF)
    assert answer.refused
    assert "3 January 2026" in answer.answer


def test_a_day_named_in_the_question_finds_the_sentence_about_that_day(seeded: DocQA) -> None:
    answer = seeded.ask("What happened on 26 February 2026?", as_of=AS_OF)
    assert not answer.refused
    assert "clashes" in answer.answer
    assert answer.citations[0].quote.endswith("last Thursday.")  # the article of 3 March


def test_an_unparseable_as_of_is_400_in_the_api_and_exit_2_in_the_cli(
    seeded: DocQA, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(create_app(seeded.settings, seeded, ui=False)) as client:
        bad = client.post("/api/ask", json={"question": "What happened?", "as_of": "March 3"})
        assert bad.status_code == 400
        assert "YYYY-MM-DD" in bad.json()["message"]
        far = client.post(
            "/api/ask", json={"question": "What happened this week?", "as_of": "2099-01-01"}
        )
        assert far.status_code == 200
        assert far.json()["refused"]
    monkeypatch.setattr(common, "service", lambda index_dir: seeded)
    result = CliRunner().invoke(cli.app, ["ask", "What happened?", "--as-of", "3/3/2026"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_the_analyst_questions_all_pass(
    seeded: DocQA, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    questions = shared_file("eval", "analyst_dev.jsonl")
    out = tmp_path_factory.mktemp("analyst") / "report"
    monkeypatch.setattr(common, "service", lambda index_dir: seeded)
    result = CliRunner().invoke(cli.app, ["eval", str(questions), "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    failed = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    failed = [(r["id"], r["reason"]) for r in failed if r["verdict"] != "pass"]
    assert summary["figures"]["passed"] == summary["figures"]["questions"], failed
