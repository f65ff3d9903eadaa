"""One BM25 for both stores: the folder store's numpy index scores as bm25s scores, and
PostgreSQL's SQL scores the same chunks as the folder store, term for term."""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np
import pytest

from app.service import DocQA
from app.settings import Settings
from app.store.local.bm25 import LexicalIndex
from app.text.analysis import K1, STOPWORDS, B, analyse, stemmer
from tests.conftest import ARTICLES, CountingFakeEmbeddings, on_postgres

TEXTS = [
    "The river Wendle flooded the town of Marsby on Monday.",
    "Officials said 40 homes were evacuated from Marsby.",
    "The mayor, Ada Quill, promised new levees by spring; the levees cost 3 million euros.",
    "Apple growers in Tillby reported a record harvest of 12,000 tonnes.",
    "",
    "Cold nights in October gave the fruit its colour, growers said.",
]


def test_the_terms_are_the_ones_bm25s_makes() -> None:
    expected = bm25s.tokenize(
        TEXTS,
        stopwords=STOPWORDS,
        stemmer=stemmer(),
        return_ids=False,
        show_progress=False,
        allow_empty=False,
    )
    assert analyse(TEXTS) == [[t for t in row if t] for row in expected]


@pytest.mark.parametrize("words", ["levees", "Marsby flooded", "growers harvest town town"])
def test_the_folder_stores_bm25_scores_as_bm25s_does(words: str) -> None:
    (query,) = analyse([words])
    reference = bm25s.BM25(k1=K1, b=B)
    reference.index(
        bm25s.tokenize(TEXTS, stopwords=STOPWORDS, stemmer=stemmer(), show_progress=False),
        show_progress=False,
    )
    ours = LexicalIndex.build(TEXTS)
    expected = reference.get_scores(query)
    got = ours.scores(query)
    assert got is not None
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_an_index_saved_and_loaded_scores_the_same(tmp_path: Path) -> None:
    built = LexicalIndex.build(TEXTS)
    built.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path)
    assert loaded.problem(len(TEXTS)) is None
    for query in analyse(["levees", "growers colour"]):
        np.testing.assert_allclose(loaded.scores(query), built.scores(query))  # type: ignore[arg-type]


def test_both_stores_score_the_same_chunks_alike(
    settings: Settings, postgres_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    scores = []
    for configured in (settings, on_postgres(settings, postgres_url)):
        service = DocQA(configured, embeddings=CountingFakeEmbeddings(size=384))
        service.index([folder])
        store = service.store
        by_text = {c.text: c.id for c in store.chunks(store.chunk_ids())}
        found = store.lexical_search(
            ["harvest", "levee", "strike"], 10, also=list(by_text.values())
        )
        scores.append({text: round(found.get(i, 0.0), 5) for text, i in by_text.items()})
        service.close()
    assert scores[0] == scores[1]
    assert any(v > 0 for v in scores[0].values())
