"""What every reranker promises, checked over each implementation: the cross-encoder
reranker (with a deterministic pair scorer standing in for the model) and the reranker
without a pair model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.question.analysis import analyse_question
from app.rerank import Reranker, make_reranker
from app.retrieval.hybrid import HybridRetriever
from app.service import DocQA
from app.settings import RerankSettings, Settings
from app.types import Hit
from tests.conftest import ARTICLES, CountingFakeEmbeddings
from tests.support.scorer import TermScorer

QUESTIONS = [
    "How many homes were evacuated when the Wendle flooded Marsby?",
    "What did apple growers in Tillby report?",
    "When did the rail strike end?",
    "Who is the president of Mars?",  # nothing answers it
]


@pytest.fixture(params=["cross-encoder", "none"])
def ranked_by(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[DocQA, Reranker]]:
    """The corpus indexed, and one implementation of the seam over it."""
    corpus = tmp_path / "articles"
    corpus.mkdir()
    for name, text in ARTICLES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = Settings(
        index_dir=tmp_path / "index",
        rerank=RerankSettings(model=request.param),
        _env_file=None,  # type: ignore[call-arg]
    )
    scorer = TermScorer() if request.param == "cross-encoder" else None
    service = DocQA(settings, CountingFakeEmbeddings(size=384), pair_scorer=scorer)
    service.index([corpus])
    reranker = make_reranker(settings, service.pair_scorer, service.encoder, service.store)
    reranker.warm()
    yield service, reranker
    service.close()


def _hits(service: DocQA, question: str) -> list[Hit]:
    retriever = HybridRetriever(
        store=service.store, encoder=service.encoder, settings=service.settings.retrieval
    )
    return retriever.search(analyse_question(question))


@pytest.mark.parametrize("asked", QUESTIONS)
def test_a_reranker_returns_the_passages_it_was_given_and_exact_sentences(
    ranked_by: tuple[DocQA, Reranker], asked: str
) -> None:
    service, reranker = ranked_by
    hits = _hits(service, asked)
    ranked = reranker.rerank(analyse_question(asked), hits)
    assert sorted(h.chunk.id for h in ranked.hits) == sorted(h.chunk.id for h in hits)
    assert ranked.scorer == reranker.name
    texts = {}
    for sentence in [*ranked.sentences, *ranked.unread]:
        if sentence.doc_id not in texts:
            document = service.store.document(sentence.doc_id)
            assert document is not None
            texts[sentence.doc_id] = document.text
        assert texts[sentence.doc_id][sentence.start : sentence.end] == sentence.text
        assert 0.0 <= sentence.relevance <= 1.0
    ranks = [s.rank for s in ranked.sentences]
    assert ranks == sorted(ranks, reverse=True)
    assert 0.0 <= ranked.evidence <= 1.0
    assert ranked.min_relevance == service.settings.refusal_threshold


def test_a_reranker_given_nothing_finds_nothing(ranked_by: tuple[DocQA, Reranker]) -> None:
    _, reranker = ranked_by
    ranked = reranker.rerank(analyse_question("When did the rail strike end?"), [])
    assert (ranked.hits, ranked.sentences, ranked.evidence) == ((), (), 0.0)


def test_the_answering_sentence_outranks_the_rest(ranked_by: tuple[DocQA, Reranker]) -> None:
    service, reranker = ranked_by
    asked = "When did the national rail strike end?"
    ranked = reranker.rerank(analyse_question(asked), _hits(service, asked))
    assert "rail strike ended" in ranked.sentences[0].text
