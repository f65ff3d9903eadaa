"""Answers: exact citations, refusals, question validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.answer.extractive import ExtractiveAnswerer
from app.errors import QuestionError
from app.retrieval import HybridRetriever
from app.service import DocQA


@pytest.fixture
def indexed(service: DocQA, corpus: Path) -> DocQA:
    service.index([corpus])
    return service


def test_answer_cites_exact_spans(indexed: DocQA) -> None:
    answer = indexed.ask("How many homes were evacuated when the Wendle flooded Marsby?")
    assert not answer.refused
    assert "40 homes" in answer.answer
    assert answer.citations
    for citation in answer.citations:
        document = indexed.store.document(citation.doc_id)
        assert document is not None
        assert document.text[citation.start : citation.end] == citation.quote
        assert f"[{citation.id}]" in answer.answer
    assert answer.citations[0].source == "articles/alpha.txt"
    assert answer.citations[0].date == "2026-01-05"


def test_every_marker_has_a_citation(indexed: DocQA) -> None:
    answer = indexed.ask("What pay rise did the rail unions accept?")
    ids = [c.id for c in answer.citations]
    assert ids == list(range(1, len(ids) + 1))
    assert len(answer.answer.split("[")) - 1 == len(ids)
    assert "four percent" in answer.answer


def test_refusal_has_no_citations_but_closest_passages(indexed: DocQA) -> None:
    answer = indexed.ask("What is the boiling point of tungsten in kelvin?")
    assert answer.refused
    assert answer.citations == ()
    assert answer.closest
    assert "do not answer" in answer.answer
    data = answer.to_dict()
    assert data["citations"] == []
    assert data["refused"] is True


@pytest.mark.parametrize(
    ("question", "message"), [("", "empty"), ("   \n", "empty"), ("x" * 100_000, "limit is 2,000")]
)
def test_bad_questions_get_clear_errors(indexed: DocQA, question: str, message: str) -> None:
    with pytest.raises(QuestionError, match=message):
        indexed.ask(question)


def test_json_contract_shape(indexed: DocQA) -> None:
    data = indexed.ask("Who is the mayor of Marsby?").to_dict()
    assert set(data) >= {"question", "answer", "refused", "citations", "timings_ms"}
    citation = data["citations"][0]
    assert set(citation) == {
        "id", "source", "title", "date", "start", "end", "quote", "document"
    }  # fmt: skip
    assert indexed.document(citation["document"]).source == citation["source"]
    assert data["timings_ms"]["total"] > 0


def test_long_sentences_are_cut_around_the_question_terms(service: DocQA, tmp_path: Path) -> None:
    folder = tmp_path / "long"
    folder.mkdir()
    filler = ", ".join(f"the {w} committee met in hall {n}" for n, w in enumerate(
        ["budget", "harbour", "school", "transport", "water", "housing", "library", "parks",
         "museum", "market", "bridge", "airport"]
    ))  # fmt: skip
    sentence = f"In the spring session {filler}, and the lighthouse keeper Mira Toll was elected."
    (folder / "council.txt").write_text(
        f"date 2026-01-02 {sentence} The session ended late.", encoding="utf-8"
    )
    service.index([folder])
    answer = service.ask("Which lighthouse keeper was elected?")
    assert not answer.refused
    assert len(answer.answer) <= service.settings.answer.max_chars
    assert "Mira Toll" in answer.answer
    assert answer.answer.startswith("… ")
    lead = answer.sentences[0].text.removeprefix("… ").removesuffix(" …")
    assert lead in answer.citations[0].quote  # the shown words are the quote's own
    assert answer.citations[0].quote == sentence


def test_a_sentence_is_ranked_with_the_sentence_before_it_in_its_paragraph(
    service: DocQA, tmp_path: Path
) -> None:
    folder = tmp_path / "museum"
    folder.mkdir()
    (folder / "harrow.txt").write_text(
        "date 2026-01-02 The Harrow clock museum stands by the river. "
        "Ada Brenn founded it in 1890. The Harrow clock museum opens daily.\n\n"
        "Tom Reed founded it in 1920 as a bakery. The bakery is busy.",
        encoding="utf-8",
    )
    service.index([folder])
    question = "Who founded the Harrow clock museum?"
    retriever = HybridRetriever(
        store=service.store, encoder=service.encoder, settings=service.settings.retrieval
    )
    answerer = ExtractiveAnswerer(service.store, service.encoder, service.settings.answer)
    hits = retriever.search(question)
    ranked = {c.text: c for c in answerer.candidates(question, hits)}
    ada = ranked["Ada Brenn founded it in 1890."]
    tom = ranked["Tom Reed founded it in 1920 as a bakery."]
    assert ada.lexical == tom.lexical  # alone, both only say "founded"
    assert ada.score > ada.evidence  # the sentence before names the museum
    assert tom.score == tom.evidence  # a paragraph break ends a sentence's context
