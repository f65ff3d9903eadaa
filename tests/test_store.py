"""The store contract: what retrieval, answering and the service may rely on, whatever
keeps the index. One suite, run over every backend the ``store`` fixture offers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from app.service import DocQA
from app.store import DateWindow, Store, document_key
from app.text.analysis import analyse


@pytest.fixture(params=["local"])
def store(request: pytest.FixtureRequest, service: DocQA, corpus: Path) -> Store:
    """The conftest corpus (three dated articles) indexed by each backend."""
    service.index([corpus])
    return service.store


def _vector(store: Store, chunk_id: int) -> np.ndarray:
    return store.vectors([chunk_id])[0]


def test_dense_search_finds_a_chunk_by_its_own_vector_first(store: Store) -> None:
    for chunk_id in range(store.size):
        found = store.dense_search(_vector(store, chunk_id), 3)
        assert found[0][0] == chunk_id
        assert found[0][1] == pytest.approx(1.0, abs=1e-3)
        scores = [s for _, s in found]
        assert scores == sorted(scores, reverse=True)


def test_a_date_window_is_applied_inside_both_searches(store: Store) -> None:
    march = DateWindow(since=date(2026, 3, 1))
    (rail,) = {c.doc_id for c in store.chunks(range(store.size)) if "rail" in c.text.lower()}
    vector = _vector(store, 0)
    dense = store.dense_search(vector, 10, march)
    assert dense
    assert {c.doc_id for c in store.chunks([i for i, _ in dense])} == {rail}
    terms = analyse(["river flooded rail strike"])[0]
    lexical = store.lexical_search(terms, 10, march)
    assert {c.doc_id for c in store.chunks([i for i, s in lexical.items() if s > 0])} == {rail}
    assert store.dense_search(vector, 10, DateWindow(until=date(2025, 12, 31))) == []


def test_lexical_search_scores_the_best_and_the_chunks_asked_about(store: Store) -> None:
    terms = analyse(["apple harvest"])[0]
    best = store.lexical_search(terms, 1)
    (top,) = best
    assert "Apple growers" in store.chunks([top])[0].text
    others = [i for i in range(store.size) if i != top]
    scored = store.lexical_search(terms, 1, also=others)
    assert set(scored) == set(range(store.size))
    assert all(scored[i] <= scored[top] for i in others)
    assert store.lexical_search(["zzzunknownterm"], 5) == {}


def test_term_weights_favour_rare_terms_and_know_the_corpus(store: Store) -> None:
    (apple,) = analyse(["apple"])[0]
    assert store.knows_any([apple])
    assert not store.knows_any(["zzzunknownterm"])
    weights = store.weights([apple, "zzzunknownterm"])
    assert weights["zzzunknownterm"] >= weights[apple] > 0


def test_chunks_come_in_the_order_asked_with_exact_text(store: Store) -> None:
    ids = list(reversed(range(store.size)))
    chunks = store.chunks(ids)
    assert [c.id for c in chunks] == ids
    for chunk in chunks:
        document = store.document(chunk.doc_id)
        assert document is not None
        assert document.text[chunk.start : chunk.end] == chunk.text
    assert store.chunks([]) == []


def test_documents_by_key_and_their_metadata(store: Store) -> None:
    doc_ids = sorted({c.doc_id for c in store.chunks(range(store.size))})
    meta = store.document_meta(doc_ids)
    assert set(meta) == set(doc_ids)
    for doc_id, (source, _title, _date, key) in meta.items():
        document = store.document(doc_id)
        assert document is not None
        assert document.source == source
        assert key == document_key(document.sha256)
        assert store.document_by_key(key) == document
    assert store.document_by_key("0" * 16) is None
    assert store.document_by_key("not a key") is None
    assert store.document(10_000) is None


def test_a_summary_names_the_version_and_its_size(store: Store) -> None:
    stats = store.stats()
    assert stats["documents"] == 3
    assert stats["chunks"] == store.size > 0
    assert store.version
    assert store.embedder
    assert len(store.sample_texts(2)) == 2
    assert len(list(store.texts())) == 3
    store.check()
