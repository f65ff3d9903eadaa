"""Building the index: incremental updates, atomic swaps, refusing mismatched indexes."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.errors import IndexMismatchError, IndexNotFoundError, NoDocumentsError
from app.service import DocQA
from app.settings import EmbeddingSettings, Settings
from app.store import IndexStore
from tests.conftest import CountingFakeEmbeddings


def test_build_then_rerun_reembeds_nothing(
    service: DocQA, corpus: Path, fake_embeddings: CountingFakeEmbeddings
) -> None:
    first = service.index([corpus])
    assert (first.documents, first.new_documents) == (3, 3)
    embedded = fake_embeddings.embedded
    assert embedded == first.chunks
    again = service.index([corpus])
    assert again.unchanged
    assert fake_embeddings.embedded == embedded


def test_changed_and_removed_files_are_updated(
    service: DocQA, corpus: Path, fake_embeddings: CountingFakeEmbeddings
) -> None:
    service.index([corpus])
    before = fake_embeddings.embedded
    (corpus / "alpha.txt").write_text("date 2026-01-06 The flood receded. Roads reopened.", "utf-8")
    (corpus / "beta.md").unlink()
    report = service.index([corpus])
    assert (report.new_documents, report.reused_documents, report.removed_documents) == (1, 1, 1)
    assert fake_embeddings.embedded - before == 1  # only the changed article's one chunk
    sources = service.store.sources()
    assert sources == ["articles/alpha.txt", "articles/gamma.html"]
    assert "receded" in service.store.chunks([0])[0].text


def test_duplicates_and_bad_files_are_skipped_with_reasons(service: DocQA, corpus: Path) -> None:
    (corpus / "copy.txt").write_bytes((corpus / "alpha.txt").read_bytes())
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02\x03binary")
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    report = service.index([corpus])
    reasons = {s.source: s.reason for s in report.skipped}
    assert reasons == {
        "articles/copy.txt": "duplicate of articles/alpha.txt",
        "articles/empty.txt": "empty file",
        "articles/binary.txt": "binary file (contains NUL bytes)",
        "articles/broken.pdf": reasons["articles/broken.pdf"],
    }
    assert "PDF" in reasons["articles/broken.pdf"]
    assert report.documents == 3


def test_crash_mid_build_keeps_previous_index(
    service: DocQA, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.index([corpus])
    (corpus / "delta.txt").write_text("A new article about tides. It is short.", "utf-8")

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr("app.store.local.LexicalIndex.build", crash)
    with pytest.raises(KeyboardInterrupt):
        service.index([corpus])
    monkeypatch.undo()
    root = service.settings.index_dir
    assert not [p for p in root.iterdir() if p.name.startswith(".tmp-")]
    store = IndexStore.open(root)
    assert len(store.manifest.documents) == 3
    assert service.ask("Who is the mayor of Marsby?").citations


def test_nothing_to_index_leaves_index_untouched(
    service: DocQA, corpus: Path, tmp_path: Path
) -> None:
    service.index([corpus])
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "blank.txt").write_text("   ", "utf-8")
    with pytest.raises(NoDocumentsError, match="Nothing to index"):
        service.index([empty])
    assert len(IndexStore.open(service.settings.index_dir).manifest.documents) == 3


def test_index_from_another_embedder_is_refused(
    service: DocQA, corpus: Path, fake_embeddings: CountingFakeEmbeddings
) -> None:
    service.index([corpus])
    other = Settings(
        index_dir=service.settings.index_dir, embedding=EmbeddingSettings(runtime="torch")
    )
    with pytest.raises(IndexMismatchError, match=r"openvino-int8.*torch.*docqa index --rebuild"):
        DocQA(other, embeddings=fake_embeddings).ask("anything?")


def test_missing_index_says_what_to_run(service: DocQA) -> None:
    with pytest.raises(IndexNotFoundError, match="docqa index"):
        service.ask("Where is the index?")
