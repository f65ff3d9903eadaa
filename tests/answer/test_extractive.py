"""Answers: exact citations, refusals, question validation."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from app.embeddings.packaged import MODEL_DIMENSION
from app.errors import QuestionError
from app.question.analysis import analyse_question
from app.rerank import Sentence, make_reranker
from app.retrieval.hybrid import HybridRetriever
from app.service import DocQA
from app.settings import AnswerSettings, ReadingWeights, Settings

LONG = AnswerSettings().long_lead


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
    assert answer.answer.startswith("The documents don't say.")
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


def _index_one(service: DocQA, folder: Path, text: str) -> None:
    """Index ``folder`` holding one article, ``text``."""
    folder.mkdir()
    (folder / "article.txt").write_text(text, encoding="utf-8")
    service.index([folder])


def test_very_long_sentences_are_cut_at_clauses_around_the_question_terms(
    service: DocQA, tmp_path: Path
) -> None:
    filler = ", ".join(f"the {w} committee met in hall {n}" for n, w in enumerate(
        ["budget", "harbour", "school", "transport", "water", "housing", "library", "parks",
         "museum", "market", "bridge", "airport"]
    ))  # fmt: skip
    sentence = f"In the spring session {filler}, and the lighthouse keeper Mira Toll was elected."
    _index_one(service, tmp_path / "long", f"date 2026-01-02 {sentence} The session ended late.")
    answer = service.ask("Which lighthouse keeper was elected?")
    assert not answer.refused
    assert len(sentence) > LONG
    assert len(answer.sentences[0].text) <= LONG
    assert "Mira Toll" in answer.answer
    assert answer.answer.startswith("… the ")  # at a clause, never inside one
    lead = answer.sentences[0].text.removeprefix("… ").removesuffix(" …")
    assert lead in answer.citations[0].quote  # the shown words are the quote's own
    assert answer.citations[0].quote == sentence


SETTINGS_LONG_LEAD = AnswerSettings().long_lead


def test_a_cut_that_would_end_at_the_question_words_shows_what_follows_them(
    service: DocQA, tmp_path: Path
) -> None:
    things = ", ".join(["free ferry passes", "night shelters", "hot meals", "winter coats",
                        "legal advice", "boat repairs", "fishing licences", "school books",
                        "warm blankets", "lamp oil", "fresh bread", "rope and nets",
                        "sail cloth", "fishing hooks"])  # fmt: skip
    sentence = (
        "Among the many charities of the old port town, the most loved is the Harbour Guild, "
        f'"which hands out {things} to the widows of the great storm of last winter, and '
        'asks for nothing in return from anyone who ever knocks on its old blue door".'
    )
    _index_one(service, tmp_path / "guild", f"date 2026-01-02 {sentence}")
    answer = service.ask("What does the Harbour Guild hand out?")
    assert not answer.refused
    shown = answer.sentences[0].text
    assert len(sentence) > len(shown)
    # The clauses alone would end at "the Harbour Guild,": the words after them answer.
    assert "free ferry passes" in shown
    assert shown.startswith("Among the many charities")
    assert shown.endswith(" …")
    assert shown.removesuffix(" …") in answer.citations[0].quote
    assert len(sentence) > SETTINGS_LONG_LEAD


def test_a_lead_a_cut_would_only_end_early_is_shown_whole(service: DocQA, tmp_path: Path) -> None:
    # 403 characters: over the plain answer's 300, under the 420 a lead is shown whole.
    sentence = (
        "Among the many charities of the old port town, the most loved is the Harbour Guild, "
        '"which hands out free ferry passes, night shelters, hot meals, winter coats, legal '
        "advice, boat repairs, fishing licences, school books, warm blankets, lamp oil, fresh "
        "bread, rope and nets to the widows of the great storm of last winter, and asks for "
        'nothing in return from anyone who ever knocks on its old blue door".'
    )
    assert 300 < len(sentence) <= SETTINGS_LONG_LEAD
    _index_one(service, tmp_path / "guild", f"date 2026-01-02 {sentence}")
    answer = service.ask("What does the Harbour Guild hand out?")
    assert answer.sentences[0].text == sentence


def test_a_cut_that_would_begin_at_the_question_words_shows_what_precedes_them(
    service: DocQA, tmp_path: Path
) -> None:
    sentence = (
        "The harbour has many kinds of workers, ranging from porters (who carry the cargo of "
        "visiting ships from the quay to the warehouses behind the old customs house from "
        "dawn until dusk) and clerks (who count every barrel and crate and sack that is "
        "landed on the quay or loaded onto the carts) to netmakers, who mend the nets of "
        "the fishing fleet for a small fee paid in fish and bread, and settle quarrels "
        "between the captains in accordance with the customs of the port."
    )
    _index_one(service, tmp_path / "harbour", f"date 2026-01-02 {sentence}")
    answer = service.ask("Who mends the nets of the fishing fleet?")
    assert not answer.refused
    shown = answer.sentences[0].text
    assert len(sentence) > len(shown)
    # The clauses alone would begin at "who mend the nets": the word before answers.
    assert "netmakers, who mend the nets" in shown
    assert shown.startswith("… ")
    assert shown.removeprefix("… ").removesuffix(" …") in answer.citations[0].quote


def test_an_undated_article_is_dated_by_the_years_it_writes(service: DocQA, tmp_path: Path) -> None:
    _index_one(
        service,
        tmp_path / "undated",
        "The Marsby college opened in 1969 in the old mill. It became Marsby University in "
        "1992 as part of the national process in which colleges became universities.",
    )
    answer = service.ask("What happened in 1992 in the national process?")
    assert not answer.refused, answer.answer
    assert "became Marsby University" in answer.answer


def _ranked(service: DocQA, question: str) -> dict[str, Sentence]:
    """The question's sentences as reranking without a model scores them."""
    retriever = HybridRetriever(
        store=service.store, encoder=service.encoder, settings=service.settings.retrieval
    )
    reranker = make_reranker(service.settings, None, service.encoder, service.store)
    analysed = analyse_question(question)
    ranked = reranker.rerank(analysed, retriever.search(analysed))
    return {s.text: s for s in ranked.sentences}


def test_a_sentence_is_ranked_with_the_sentence_before_it_in_its_paragraph(
    service: DocQA, tmp_path: Path
) -> None:
    _index_one(
        service,
        tmp_path / "museum",
        "date 2026-01-02 The Harrow clock museum stands by the river. "
        "Ada Brenn founded it in 1890. The Harrow clock museum opens daily.\n\n"
        "Tom Reed founded it in 1920 as a bakery. The bakery is busy.",
    )
    ranked = _ranked(service, "Who founded the Harrow clock museum?")
    ada = ranked["Ada Brenn founded it in 1890."]
    tom = ranked["Tom Reed founded it in 1920 as a bakery."]
    assert ada.lexical == tom.lexical  # alone, both only say "founded"
    assert ada.rank > ada.relevance  # the sentence before names the museum
    assert tom.rank == tom.relevance  # a paragraph break ends a sentence's context


def test_a_sentence_with_the_kind_of_answer_asked_for_ranks_higher(
    service: DocQA, tmp_path: Path
) -> None:
    _index_one(
        service,
        tmp_path / "bridge",
        "date 2026-01-02 The Harrow bridge was opened by the mayor.\n\n"
        "The Harrow bridge was opened in 1890.",
    )
    when = _ranked(service, "When was the Harrow bridge opened?")
    dated, plain = (
        when["The Harrow bridge was opened in 1890."],
        when["The Harrow bridge was opened by the mayor."],
    )
    assert dated.lexical == plain.lexical
    assert dated.rank > dated.relevance  # it holds a time: the kind asked for
    assert dated.rank - dated.relevance == pytest.approx(service.settings.rerank.weights.kind)
    assert plain.rank == plain.relevance
    # A question that does not ask for a time gives the year nothing.
    who = _ranked(service, "Who opened the Harrow bridge?")
    assert who["The Harrow bridge was opened in 1890."].rank == pytest.approx(
        who["The Harrow bridge was opened in 1890."].relevance
    )


class _BagOfWords(Embeddings):
    """Each word hashed to a dimension: texts sharing words have a high cosine."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        vector = [0.0] * MODEL_DIMENSION
        for word in re.findall(r"\w+", text.lower()):
            vector[zlib.crc32(word.encode()) % MODEL_DIMENSION] += 1.0
        return vector


def test_a_sentence_is_also_read_with_the_sentence_before_it(
    settings: Settings, tmp_path: Path
) -> None:
    service = DocQA(settings, embeddings=_BagOfWords())
    _index_one(
        service,
        tmp_path / "festival",
        "date 2026-01-02 The Harrow lantern festival is held each May. "
        "It opens with a parade of boats.\n\n"
        "The Kell fair opens with a parade of horses.",
    )
    question = "How does the Harrow lantern festival open?"
    read = _ranked(service, question)
    unread = ReadingWeights(context_dense=0.0)
    rerank = settings.rerank.model_copy(update={"weights": unread})
    alone = _ranked(DocQA(settings.model_copy(update={"rerank": rerank}), _BagOfWords()), question)
    boats, horses = (
        "It opens with a parade of boats.",
        "The Kell fair opens with a parade of horses.",
    )
    # The sentence before names the festival: read with it, "It opens…" means more.
    assert read[boats].rank > alone[boats].rank
    assert read[boats].relevance == alone[boats].relevance  # the refusal threshold's part
    assert read[horses].rank == alone[horses].rank  # first of its paragraph


def test_a_cut_lead_follows_the_question_words_over_a_guessed_span_of_the_kind() -> None:
    from types import SimpleNamespace

    from app.answer.extractive.lead import shown_text
    from app.text.analysis import analyse

    question = analyse_question("How many tonnes of grain reach the harbour where the ships wait?")
    text = (
        "Each year 900 tonnes of grain leave the inland farms by cart, and the carts cross "
        "the old stone bridge, pass the mill and the long road through the marsh villages, "
        "stop at the toll gates of the county, then at the inn by the ford, then at the "
        "market square, and at last 40 tonnes of grain reach the harbour of Marsby, where "
        "the ships wait."
    )
    weights = dict.fromkeys(analyse([question.search])[0], 1.0)
    # The span guessed is the other figure of the kind; the lead still shows the one the
    # question's words stand beside.
    lead = SimpleNamespace(text=text, answer="900", published=None)
    shown = shown_text(question, lead, weights, None, True, long=200)
    assert shown is not None
    assert "40 tonnes of grain reach the harbour of Marsby" in shown.text
