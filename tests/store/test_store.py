"""The store contract: what retrieval, answering and the service may rely on, whatever
keeps the index. One suite, run over every backend the ``store`` fixture offers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from app.errors import IndexMismatchError, IndexStoreError
from app.service import DocQA
from app.settings import EmbeddingSettings, Settings
from app.store import Filter, Store, document_key
from app.text.analysis import analyse
from tests.conftest import CountingFakeEmbeddings, on_postgres


@pytest.fixture
def store(any_service: DocQA, corpus: Path) -> Store:
    """The conftest corpus (three dated articles) indexed by each backend."""
    any_service.index([corpus])
    return any_service.store


def _vector(store: Store, chunk_id: int) -> np.ndarray:
    return store.vectors([chunk_id])[0]


def test_dense_search_finds_a_chunk_by_its_own_vector_first(store: Store) -> None:
    for chunk_id in store.chunk_ids():
        found = store.dense_search(_vector(store, chunk_id), 3)
        assert found[0][0] == chunk_id
        assert found[0][1] == pytest.approx(1.0, abs=1e-3)
        scores = [s for _, s in found]
        assert scores == sorted(scores, reverse=True)


def test_a_date_window_is_applied_inside_both_searches(store: Store) -> None:
    march = Filter(since=date(2026, 3, 1))
    (rail,) = {c.doc_id for c in store.chunks(store.chunk_ids()) if "rail" in c.text.lower()}
    vector = _vector(store, store.chunk_ids()[0])
    dense = store.dense_search(vector, 10, march)
    assert dense
    assert {c.doc_id for c in store.chunks([i for i, _ in dense])} == {rail}
    terms = analyse(["river flooded rail strike"])[0]
    lexical = store.lexical_search(terms, 10, march)
    assert {c.doc_id for c in store.chunks([i for i, s in lexical.items() if s > 0])} == {rail}
    assert store.dense_search(vector, 10, Filter(until=date(2025, 12, 31))) == []


def test_lexical_search_scores_the_best_and_the_chunks_asked_about(store: Store) -> None:
    terms = analyse(["apple harvest"])[0]
    best = store.lexical_search(terms, 1)
    (top,) = best
    assert "Apple growers" in store.chunks([top])[0].text
    others = [i for i in store.chunk_ids() if i != top]
    scored = store.lexical_search(terms, 1, also=others)
    assert set(scored) == set(store.chunk_ids())
    assert all(scored[i] <= scored[top] for i in others)
    assert store.lexical_search(["zzzunknownterm"], 5) == {}


def test_term_weights_favour_rare_terms_and_know_the_corpus(store: Store) -> None:
    (apple,) = analyse(["apple"])[0]
    assert store.knows_any([apple])
    assert not store.knows_any(["zzzunknownterm"])
    weights = store.weights([apple, "zzzunknownterm"])
    assert weights["zzzunknownterm"] >= weights[apple] > 0


def test_chunks_come_in_the_order_asked_with_exact_text(store: Store) -> None:
    ids = list(reversed(store.chunk_ids()))
    assert len(ids) == store.size
    chunks = store.chunks(ids)
    assert [c.id for c in chunks] == ids
    for chunk in chunks:
        document = store.document(chunk.doc_id)
        assert document is not None
        assert document.text[chunk.start : chunk.end] == chunk.text
    assert store.chunks([]) == []


def test_documents_by_key_and_their_metadata(store: Store) -> None:
    doc_ids = sorted({c.doc_id for c in store.chunks(store.chunk_ids())})
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
    assert len(store.sources()) == 3
    store.check()


def test_answers_from_postgres_cite_exact_spans_like_the_folders(
    settings: Settings, fake_embeddings: CountingFakeEmbeddings, corpus: Path, postgres_url: str
) -> None:
    local = DocQA(settings, embeddings=fake_embeddings)
    local.index([corpus])
    shared = DocQA(on_postgres(settings, postgres_url), embeddings=fake_embeddings)
    report = shared.index([corpus])
    assert (report.documents, report.version) == (3, shared.store.version)
    for question in ("Who is the mayor of Marsby?", "How large was the apple harvest?"):
        ours, theirs = local.ask(question), shared.ask(question)
        assert theirs.answer == ours.answer
        for citation in theirs.citations:
            document = shared.store.document(citation.doc_id)
            assert document is not None
            assert document.text[citation.start : citation.end] == citation.quote
    assert shared.health()["backend"].startswith("postgresql 18")
    again = shared.index([corpus])
    assert again.unchanged, "an unchanged corpus is not rewritten"
    shared.close()


def test_postgres_refuses_an_index_of_another_embedder(
    settings: Settings, fake_embeddings: CountingFakeEmbeddings, corpus: Path, postgres_url: str
) -> None:
    DocQA(on_postgres(settings, postgres_url), embeddings=fake_embeddings).index([corpus])
    other = on_postgres(settings, postgres_url).model_copy(
        update={"embedding": EmbeddingSettings(runtime="torch")}
    )
    with pytest.raises(IndexMismatchError, match="was built with the embedder"):
        DocQA(other, embeddings=fake_embeddings).ask("Who is the mayor of Marsby?")


def test_an_unreachable_database_is_named_without_its_password(
    settings: Settings, fake_embeddings: CountingFakeEmbeddings, tmp_path: Path
) -> None:
    url = f"postgresql://docqa:s3cret@/docqa?host={tmp_path}&port=1"
    service = DocQA(on_postgres(settings, url), embeddings=fake_embeddings)
    with pytest.raises(IndexStoreError) as caught:
        service.ask("Who is the mayor of Marsby?")
    message = str(caught.value)
    assert "Cannot reach the database at" in message
    assert "s3cret" not in message
    assert "DOCQA_STORE__POSTGRES__URL" in message


@pytest.fixture
def grouped(any_service: DocQA, corpus: Path) -> Store:
    """The corpus with an access file: the rail article for finance only, the harvest
    report for hr by its front matter, the flood report for the defaults."""
    (corpus / "access.yaml").write_text(
        "rules:\n  - match: 'gamma.*'\n    groups: [finance]\n  - match: '*.md'\n"
        "    groups: [finance]\n",
        encoding="utf-8",
    )
    beta = corpus / "beta.md"
    beta.write_text(beta.read_text().replace("---\ntitle", "---\ngroups: [hr]\ntitle"))
    any_service.index([corpus])
    return any_service.store


def _doc_sources(store: Store, chunk_ids: object) -> set[str]:
    ids = sorted({c.doc_id for c in store.chunks(list(chunk_ids))})  # type: ignore[call-overload]
    return {source.rsplit("/", 1)[-1] for source, *_ in store.document_meta(ids).values()}


def test_access_groups_are_applied_inside_both_searches(grouped: Store) -> None:
    everything = grouped.chunk_ids()
    vector = _vector(grouped, everything[0])
    terms = analyse(["river flooded rail strike apple harvest"])[0]
    expected = {
        frozenset({"finance"}): {"gamma.html"},
        frozenset({"hr"}): {"beta.md"},
        frozenset({"everyone"}): {"alpha.txt"},
        frozenset({"everyone", "finance"}): {"alpha.txt", "gamma.html"},
        frozenset(): set(),
    }
    for groups, sources in expected.items():
        where = Filter(groups=groups)
        dense = grouped.dense_search(vector, 10, where)
        assert _doc_sources(grouped, [i for i, _ in dense]) == sources, groups
        lexical = grouped.lexical_search(terms, 10, where)
        assert _doc_sources(grouped, [i for i, s in lexical.items() if s > 0]) == sources
    # Groups and dates together: finance's article is from March.
    both = Filter(since=date(2026, 3, 1), groups=frozenset({"everyone"}))
    assert grouped.dense_search(vector, 10, both) == []


def test_a_document_is_fetched_and_sampled_only_by_those_who_may_read_it(grouped: Store) -> None:
    by_name = {i.source.rsplit("/", 1)[-1]: i for i in grouped.catalogue()}
    assert {n: i.groups for n, i in by_name.items()} == {
        "alpha.txt": ("everyone",),
        "beta.md": ("hr",),
        "gamma.html": ("finance",),
    }
    key = by_name["gamma.html"].key
    assert grouped.document_by_key(key, frozenset({"hr", "everyone"})) is None
    found = grouped.document_by_key(key, frozenset({"finance"}))
    assert found is not None
    assert found.groups == ("finance",)
    assert grouped.document_by_key(key) is not None  # no restriction: a service account
    assert all("Apple" in t for t in grouped.sample_texts(10, frozenset({"hr"})))
    assert len(grouped.sample_texts(10, frozenset({"hr"}))) == 1
    assert len(grouped.sample_texts(10)) == 3


def test_changing_groups_changes_metadata_and_embeds_nothing(
    any_service: DocQA, corpus: Path, fake_embeddings: CountingFakeEmbeddings
) -> None:
    any_service.index([corpus])
    embedded = fake_embeddings.embedded
    (corpus / "access.yaml").write_text(
        "rules:\n  - match: 'alpha.txt'\n    groups: [legal]\n", encoding="utf-8"
    )
    report = any_service.index([corpus])
    assert fake_embeddings.embedded == embedded
    assert report.regrouped_documents == 1
    assert report.new_documents == 0
    assert report.version is not None
    store = any_service.store
    alpha = next(i for i in store.catalogue() if i.source.endswith("alpha.txt"))
    assert alpha.groups == ("legal",)
    vector = _vector(store, store.chunk_ids()[0])
    found = store.dense_search(vector, 10, Filter(groups=frozenset({"legal"})))
    assert _doc_sources(store, [i for i, _ in found]) == {"alpha.txt"}


def test_groups_changed_in_front_matter_embed_nothing_either(
    any_service: DocQA, corpus: Path, fake_embeddings: CountingFakeEmbeddings
) -> None:
    any_service.index([corpus])
    embedded = fake_embeddings.embedded
    beta = corpus / "beta.md"
    beta.write_text(beta.read_text().replace("---\ntitle", "---\ngroups: [orchard]\ntitle"))
    report = any_service.index([corpus])
    assert fake_embeddings.embedded == embedded
    assert report.version is not None
    store = any_service.store
    (entry,) = [i for i in store.catalogue() if i.source.endswith("beta.md")]
    assert entry.groups == ("orchard",)
    vector = _vector(store, store.chunk_ids()[0])
    found = store.dense_search(vector, 10, Filter(groups=frozenset({"orchard"})))
    assert _doc_sources(store, [i for i, _ in found]) == {"beta.md"}
    # A changed text is embedded again, as before.
    beta.write_text(beta.read_text() + "\nPears did well too.")
    any_service.index([corpus])
    assert fake_embeddings.embedded > embedded


@pytest.mark.parametrize("exact_under", [0, 20_000])
def test_postgres_filters_groups_through_the_vector_scan_or_exactly(
    settings: Settings,
    postgres_url: str,
    fake_embeddings: CountingFakeEmbeddings,
    corpus: Path,
    exact_under: int,
) -> None:
    """Both ways PostgreSQL searches for a reader: inside the HNSW scan (groups that read
    many chunks) and exactly among the readable chunks (groups that read few)."""
    (corpus / "access.yaml").write_text(
        "rules:\n  - match: 'gamma.*'\n    groups: [finance]\n", encoding="utf-8"
    )
    configured = on_postgres(settings, postgres_url, exact_under=exact_under)
    service = DocQA(configured, embeddings=fake_embeddings)
    try:
        service.index([corpus])
        store = service.store
        chunks = store.chunks(store.chunk_ids())
        assert len(chunks) < 10  # every readable chunk is among the 10 asked for
        groups_of = {c.id: store.document(c.doc_id).groups for c in chunks}  # type: ignore[union-attr]
        for reader in (frozenset({"finance"}), frozenset({"everyone"}), frozenset({"hr"})):
            readable = {i for i, g in groups_of.items() if not reader.isdisjoint(g)}
            for chunk in chunks:
                found = store.dense_search(_vector(store, chunk.id), 10, Filter(groups=reader))
                assert {i for i, _ in found} == readable
                if chunk.id in readable:
                    assert found[0][0] == chunk.id
    finally:
        service.close()
