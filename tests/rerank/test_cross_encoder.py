"""The reranking seam with a scripted pair scorer, and the lead rules it feeds."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from app.answer.extractive.lead import shown_text
from app.question.analysis import analyse_question
from app.rerank import make_reranker
from app.rerank.cross_encoder import CrossEncoderReranker
from app.retrieval.hybrid import HybridRetriever
from app.service import DocQA
from app.settings import RerankSettings, Settings
from tests.conftest import CountingFakeEmbeddings


class ScriptedScorer:
    """Scores a sentence by the first of its words found in ``scores`` (else ``rest``),
    and records every text it was asked to read."""

    name = "scripted"

    def __init__(self, scores: dict[str, float], rest: float = 0.01) -> None:
        self.scores = scores
        self.rest = rest
        self.read: list[list[str]] = []
        self.warmed = False

    def warm(self) -> None:
        self.warmed = True

    def turn(self) -> AbstractContextManager[None]:
        return nullcontext()

    def score(self, question: str, texts: Sequence[str]) -> np.ndarray:
        self.read.append(list(texts))
        return np.array(
            [next((v for w, v in self.scores.items() if w in t), self.rest) for t in texts],
            dtype=np.float32,
        )


INTERVIEW = {
    "interview.txt": "date 2026-03-02 So what should we read into the post by the harbour "
    "master of Lindqvist? The harbour master of Lindqvist is Orla Brenn, who took the post "
    "in 2024. Ferries to Lindqvist run twice a day. The harbour master of Lindqvist also "
    "chairs the pilots' guild.",
    "weather.txt": "date 2026-03-03 Storms closed the harbour of Lindqvist for two days. "
    "Fishing boats stayed in port.",
}


def _service(
    tmp_path: Path, scorer: ScriptedScorer, articles: dict[str, str] = INTERVIEW, **rerank: object
) -> DocQA:
    corpus = tmp_path / "articles"
    corpus.mkdir()
    for name, text in articles.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = Settings(
        index_dir=tmp_path / "index",
        rerank=RerankSettings(**rerank),  # type: ignore[arg-type]
        _env_file=None,  # type: ignore[call-arg]
    )
    service = DocQA(settings, CountingFakeEmbeddings(size=384), pair_scorer=scorer)
    service.index([corpus])
    return service


def _reranker(service: DocQA) -> tuple[CrossEncoderReranker, HybridRetriever]:
    store = service.store
    reranker = make_reranker(service.settings, service.pair_scorer, service.encoder, store)
    assert isinstance(reranker, CrossEncoderReranker)
    retriever = HybridRetriever(
        store=store, encoder=service.encoder, settings=service.settings.retrieval
    )
    return reranker, retriever


def test_sentences_come_in_the_scorers_order_and_passages_follow_their_best(
    tmp_path: Path,
) -> None:
    scorer = ScriptedScorer({"Storms": 0.9, "Orla Brenn": 0.7, "Ferries": 0.2})
    service = _service(tmp_path, scorer)
    reranker, retriever = _reranker(service)
    question = analyse_question("Who is the harbour master of Lindqvist?")
    ranked = reranker.rerank(question, retriever.search(question))
    texts = [s.text for s in ranked.sentences]
    assert texts[0].startswith("Storms")
    assert texts[1].startswith("The harbour master")
    relevance = [s.relevance for s in ranked.sentences]
    assert relevance == sorted(relevance, reverse=True)
    assert all(0.0 <= r <= 1.0 for r in relevance)
    assert ranked.hits[0].chunk.text.startswith("Storms"), "the passage of the best sentence"
    assert ranked.scorer == "scripted"
    assert ranked.min_relevance == service.settings.rerank.min_relevance


def test_the_model_reads_no_more_sentences_than_configured(tmp_path: Path) -> None:
    scorer = ScriptedScorer({})
    service = _service(tmp_path, scorer, sentences=2, read="sentence")
    reranker, retriever = _reranker(service)
    question = analyse_question("Who is the harbour master of Lindqvist?")
    reranker.rerank(question, retriever.search(question))
    assert [len(batch) for batch in scorer.read] == [2]


def test_only_the_first_sentences_are_read_again_in_their_paragraph_in_one_call(
    tmp_path: Path,
) -> None:
    scorer = ScriptedScorer({"Orla Brenn": 0.9, "Ferries": 0.5, "chairs": 0.4})
    service = _service(tmp_path, scorer, read="paragraph", framed=2)
    reranker, retriever = _reranker(service)
    question = analyse_question("Who is the harbour master of Lindqvist?")
    ranked = reranker.rerank(question, retriever.search(question))
    [read] = scorer.read  # both readings in one call to the model
    alone, framed = read[:6], read[6:]
    before = {s.text: s.before for s in ranked.sentences}
    assert set(alone) == set(before)
    # The first two the model read alone, each after the sentence before it in its
    # paragraph (a sentence that opens its paragraph is read once).
    expected = [f"{before[t]} {t}" for t in alone[:2] if before[t]]
    assert (
        framed
        == expected
        == [
            "So what should we read into the post by the harbour master of Lindqvist? The harbour "
            "master of Lindqvist is Orla Brenn, who took the post in 2024."
        ]
    )


@pytest.mark.parametrize("read", ["sentence", "paragraph"])
def test_read_in_its_paragraph_a_sentence_moves_its_passage_not_the_answer(
    tmp_path: Path, read: str
) -> None:
    # "Fishing boats stayed in port." answers only read after "Storms closed the harbour".
    scorer = ScriptedScorer({"for two days. Fishing": 0.95, "Orla Brenn": 0.6})
    service = _service(tmp_path, scorer, read=read, framed=6)
    reranker, retriever = _reranker(service)
    question = analyse_question("Who is the harbour master of Lindqvist?")
    ranked = reranker.rerank(question, retriever.search(question))
    framed = [t for batch in scorer.read for t in batch if "two days. Fishing" in t]
    assert framed == (["Storms closed the harbour of Lindqvist for two days. Fishing boats "
                       "stayed in port."] if read == "paragraph" else [])  # fmt: skip
    assert ranked.sentences[0].text.startswith("The harbour master of Lindqvist is Orla Brenn")
    fishing = next(s for s in ranked.sentences if s.text.startswith("Fishing"))
    assert fishing.relevance == pytest.approx(0.01), "the answer is judged by the sentence alone"
    first = ranked.hits[0].chunk.text
    assert first.startswith("Storms" if read == "paragraph" else "So what")


def test_a_sides_view_known_from_the_sentence_before_is_read_after_it(tmp_path: Path) -> None:
    # "The council is called …" holds Sudmark's view only by the sentence before it.
    articles = {
        "dam.txt": "date 2026-03-02 Norland says the dam must stay closed. On the Sudmark "
        "side, the tone has hardened too. The Norland council is now called the flood cartel.",
    }
    scorer = ScriptedScorer({"side, the tone has hardened too. The Norland": 0.9})
    service = _service(tmp_path, scorer, articles, read="paragraph", framed=1)
    reranker, retriever = _reranker(service)
    question = analyse_question("How does Sudmark portray the Norland council?")
    ranked = reranker.rerank(question, retriever.search(question))
    read = [t for batch in scorer.read for t in batch]
    assert (
        "On the Sudmark side, the tone has hardened too. The Norland council is now "
        "called the flood cartel." in read
    )
    lead = ranked.sentences[0]
    assert lead.text == "The Norland council is now called the flood cartel."
    assert (lead.held, lead.relevance) == (1, pytest.approx(0.9))


def test_an_interviewers_question_never_leads_however_high_it_scores(tmp_path: Path) -> None:
    scorer = ScriptedScorer({"So what": 0.99, "Orla Brenn": 0.8})
    service = _service(tmp_path, scorer)
    answer = service.ask("Who is the harbour master of Lindqvist?")
    assert not answer.refused
    assert answer.sentences[0].text.startswith("The harbour master of Lindqvist is Orla Brenn")
    assert "?" not in answer.answer
    span = answer.sentences[0].answer_span
    assert span is not None
    assert answer.sentences[0].text[span[0] : span[1]] == "Orla Brenn"
    for c in answer.citations:
        assert service.document(c.document).text[c.start : c.end] == c.quote


def test_below_the_calibrated_relevance_the_answer_is_a_refusal(tmp_path: Path) -> None:
    scorer = ScriptedScorer({"Orla Brenn": 0.3}, rest=0.05)
    service = _service(tmp_path, scorer, min_relevance=0.35)
    answer = service.ask("Who is the harbour master of Lindqvist?")
    assert answer.refused
    assert answer.citations == ()
    assert answer.closest, "the closest passages are still listed"


def test_further_sentences_need_nearly_the_best_ones_relevance(tmp_path: Path) -> None:
    scorer = ScriptedScorer({"Orla Brenn": 0.9, "chairs": 0.8, "Storms": 0.2})
    service = _service(tmp_path, scorer)
    answer = service.ask("Who is the harbour master of Lindqvist?")
    shown = [s.text for s in answer.sentences]
    assert len(shown) == 2
    assert "chairs the pilots' guild" in shown[1]
    assert not any("Storms" in s for s in shown)


def test_warm_loads_the_scorer(tmp_path: Path) -> None:
    scorer = ScriptedScorer({})
    service = _service(tmp_path, scorer)
    service.warm()
    assert scorer.warmed


def _said(text: str) -> SimpleNamespace:
    """A further sentence of an answer, as the answerer shows it."""
    return SimpleNamespace(text=text, answer=None, published=None)


@pytest.mark.parametrize("budget", [60, 90, 140])
def test_a_cut_sentence_keeps_its_answer_whole(budget: int) -> None:
    question = analyse_question("When did the Lindqvist harbour reopen?")
    sentence = (
        "After weeks of argument between the port authority, the fishermen's union and the "
        "ferry operators about who should pay for the repairs, the Lindqvist harbour "
        "reopened on February 27, 2026, to the relief of everyone who works there."
    )
    weights = {"lindqvist": 1.0, "harbour": 1.0, "reopen": 1.0}
    shown = shown_text(question, _said(sentence), weights, budget, plain=True)
    assert shown is not None
    assert len(shown.text) <= budget
    assert shown.answer_span is not None
    start, end = shown.answer_span
    assert shown.text[start:end] == "February 27, 2026"


def test_a_sentence_that_fits_is_shown_whole() -> None:
    question = analyse_question("Which provinces did the jets bomb?")
    sentence = "The jets bombed Nangarhar, Paktia, Paktika, and Laghman, the army said."
    shown = shown_text(question, _said(sentence), {"provinc": 1.0, "jet": 1.0}, 300, plain=True)
    assert shown is not None
    assert shown.text == sentence


FERRY = {
    "ferry.txt": "date 2026-03-04 The ferry to Lindqvist began running in 1998, and its "
    "second boat arrived in 2005. Tickets are sold at the pier.",
}


@pytest.mark.parametrize(("answer", "other"), [("2005", "1998"), ("1998", "2005")])
def test_the_answer_span_is_the_one_whose_absence_the_model_misses_most(
    tmp_path: Path, answer: str, other: str
) -> None:
    # The sentence read without the answer scores lowest: that span is marked.
    scorer = ScriptedScorer({answer: 0.9, other: 0.3})
    service = _service(tmp_path, scorer, FERRY)
    result = service.ask("When did the ferry to Lindqvist begin running?")
    lead = result.sentences[0]
    assert lead.answer_span is not None
    start, end = lead.answer_span
    assert lead.text[start:end] == answer
    left_out = scorer.read[-1]
    assert sorted(left_out) == sorted(lead.text.replace(year, "…") for year in ("1998", "2005")), (
        "the model read the sentence once without each year"
    )


def test_a_single_span_of_the_kind_asked_for_costs_no_further_reading(tmp_path: Path) -> None:
    scorer = ScriptedScorer({"Orla Brenn": 0.9})
    service = _service(tmp_path, scorer)
    result = service.ask("When did Orla Brenn take the post?")
    lead = result.sentences[0]
    assert lead.answer_span is not None
    assert lead.text[lead.answer_span[0] : lead.answer_span[1]] == "2024"
    assert len(scorer.read) == 1, "one reading: the sentences alone"


def test_a_refused_question_is_not_read_again_for_its_answer(tmp_path: Path) -> None:
    scorer = ScriptedScorer({}, rest=0.01)  # nothing answers
    service = _service(tmp_path, scorer, FERRY)
    result = service.ask("When did the ferry to Lindqvist begin running?")
    assert result.refused
    assert len(scorer.read) == 1


def test_the_model_reads_a_sentence_with_the_questions_name_for_what_it_names(
    tmp_path: Path,
) -> None:
    articles = {
        "guild.txt": "date 2026-03-02 The North Sea Pilots Guild (NSPG), also known as the "
        "Harbour Guild, met in Lindqvist. The Harbour Guild was founded in 1911. "
        "Ferries to Lindqvist run twice a day.",
    }
    scorer = ScriptedScorer({"(NSPG) was founded": 0.9})
    service = _service(tmp_path, scorer, articles)
    reranker, retriever = _reranker(service)
    question = analyse_question("When was the NSPG founded?")
    ranked = reranker.rerank(question, retriever.search(question))
    read = [t for call in scorer.read for t in call]
    assert "The Harbour Guild (NSPG) was founded in 1911." in read
    # What the reader is shown is the document's own sentence.
    assert ranked.sentences[0].text == "The Harbour Guild was founded in 1911."
