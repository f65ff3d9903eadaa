"""Building the index, on every backend: incremental updates, whole versions published
at once, refusing mismatched indexes."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from app.errors import IndexMismatchError, IndexNotFoundError, NoDocumentsError
from app.service import DocQA
from app.settings import EmbeddingSettings, Settings
from app.store.local import IndexStore
from tests.conftest import CountingFakeEmbeddings


def _texts(service: DocQA) -> dict[str, str]:
    store = service.store
    return {source: store.document(doc_id).text for doc_id, source in store.sources().items()}  # type: ignore[union-attr]


def test_build_then_rerun_reembeds_nothing(
    any_service: DocQA, corpus: Path, fake_embeddings: CountingFakeEmbeddings
) -> None:
    first = any_service.index([corpus])
    assert (first.documents, first.new_documents) == (3, 3)
    embedded = fake_embeddings.embedded
    assert embedded == first.chunks
    version = any_service.store.version
    again = any_service.index([corpus])
    assert again.unchanged
    assert (again.documents, again.reused_documents, again.version) == (3, 3, None)
    assert fake_embeddings.embedded == embedded
    assert any_service.store.version == version


def test_changed_and_removed_files_are_updated(
    any_service: DocQA, corpus: Path, fake_embeddings: CountingFakeEmbeddings
) -> None:
    any_service.index([corpus])
    before = fake_embeddings.embedded
    (corpus / "alpha.txt").write_text("date 2026-01-06 The flood receded. Roads reopened.", "utf-8")
    (corpus / "beta.md").unlink()
    report = any_service.index([corpus])
    assert (report.new_documents, report.reused_documents, report.removed_documents) == (1, 1, 1)
    assert fake_embeddings.embedded - before == 1  # only the changed article's one chunk
    texts = _texts(any_service)
    assert sorted(texts) == ["articles/alpha.txt", "articles/gamma.html"]
    assert "receded" in texts["articles/alpha.txt"]
    answer = any_service.ask("Did the flood recede?")
    assert any("receded" in c.quote for c in (*answer.citations, *answer.closest))


def test_a_renamed_file_is_not_embedded_again(
    any_service: DocQA, corpus: Path, fake_embeddings: CountingFakeEmbeddings
) -> None:
    any_service.index([corpus])
    before = fake_embeddings.embedded
    (corpus / "alpha.txt").rename(corpus / "alpha-renamed.txt")
    report = any_service.index([corpus])
    assert fake_embeddings.embedded == before
    assert (report.documents, report.removed_documents) == (3, 1)
    assert "articles/alpha-renamed.txt" in _texts(any_service)


def test_duplicates_and_bad_files_are_skipped_with_reasons(
    any_service: DocQA, corpus: Path
) -> None:
    (corpus / "copy.txt").write_bytes((corpus / "alpha.txt").read_bytes())
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02\x03binary")
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    report = any_service.index([corpus])
    reasons = {s.source: s.reason for s in report.skipped}
    assert reasons == {
        "articles/copy.txt": "duplicate of articles/alpha.txt",
        "articles/empty.txt": "empty file",
        "articles/binary.txt": "binary file (contains NUL bytes)",
        "articles/broken.pdf": reasons["articles/broken.pdf"],
    }
    assert "PDF" in reasons["articles/broken.pdf"]
    assert report.documents == 3
    assert len(any_service.store.sources()) == 3


def test_merging_adds_replaces_and_removes_only_what_it_names(
    any_service: DocQA, corpus: Path, tmp_path: Path
) -> None:
    any_service.index([corpus])
    upload = tmp_path / "articles"  # the same folder name: sources are named from it
    upload = tmp_path / "upload" / "articles"
    upload.mkdir(parents=True)
    (upload / "delta.txt").write_text("date 2026-04-01 Tides rose in Marsby harbour.", "utf-8")
    report = any_service.index([upload], mode="merge", removals=["articles/beta.md"])
    assert (report.new_documents, report.removed_documents, report.documents) == (1, 1, 3)
    assert sorted(_texts(any_service)) == [
        "articles/alpha.txt", "articles/delta.txt", "articles/gamma.html"
    ]  # fmt: skip


def test_nothing_to_index_leaves_index_untouched(
    any_service: DocQA, corpus: Path, tmp_path: Path
) -> None:
    any_service.index([corpus])
    version = any_service.store.version
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "blank.txt").write_text("   ", "utf-8")
    with pytest.raises(NoDocumentsError, match="Nothing to index"):
        any_service.index([empty])
    assert any_service.backend.latest() == version
    assert len(any_service.store.sources()) == 3


def test_index_from_another_embedder_is_refused(
    any_service: DocQA, corpus: Path, fake_embeddings: CountingFakeEmbeddings
) -> None:
    any_service.index([corpus])
    other = any_service.settings.model_copy(
        update={"embedding": EmbeddingSettings(runtime="torch")}
    )
    with pytest.raises(IndexMismatchError, match=r"openvino-int8.*torch.*docqa index --rebuild"):
        DocQA(other, embeddings=fake_embeddings).ask("anything?")


def test_a_rebuild_embeds_everything_again(
    any_service: DocQA, corpus: Path, fake_embeddings: CountingFakeEmbeddings
) -> None:
    first = any_service.index([corpus])
    again = any_service.index([corpus], rebuild=True)
    assert again.version is not None
    assert fake_embeddings.embedded == 2 * first.chunks
    assert len(any_service.store.sources()) == 3


def test_missing_index_says_what_to_run(any_service: DocQA) -> None:
    with pytest.raises(IndexNotFoundError, match="docqa index"):
        any_service.ask("Where is the index?")


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


def test_two_runs_on_the_folder_take_turns(
    settings: Settings, corpus: Path, tmp_path: Path
) -> None:
    """The folder backend holds one run at a time: a second waits for the first to publish."""
    spans: list[tuple[float, float]] = []

    class Slow(CountingFakeEmbeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            started = time.monotonic()
            time.sleep(0.3)
            spans.append((started, time.monotonic()))
            return super().embed_documents(texts)

    other = tmp_path / "other"
    other.mkdir()
    (other / "delta.txt").write_text("date 2026-04-01 Tides rose in Marsby harbour.", "utf-8")
    runs = [
        threading.Thread(target=DocQA(settings, embeddings=Slow(size=384)).index, args=([p],))
        for p in (corpus, other)
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    first, second = sorted(spans)
    assert first[1] <= second[0], "the runs embedded at the same time"
    sources = DocQA(settings, embeddings=Slow(size=384)).store.sources().values()
    assert sorted(sources) in (
        ["other/delta.txt"],
        ["articles/alpha.txt", "articles/beta.md", "articles/gamma.html"],
    )


def test_a_format_2_index_is_upgraded_without_embedding_again(
    service: DocQA, corpus: Path, fake_embeddings: CountingFakeEmbeddings
) -> None:
    """An index written before access groups: served only after `docqa index`, which keeps
    its vectors and gives its documents their groups."""
    import sqlite3

    from app.store.local.manifest import file_record, parse_manifest
    from app.store.local.version import live_version

    service.index([corpus])
    embedded = fake_embeddings.embedded
    folder = live_version(service.settings.index_dir)
    with sqlite3.connect(folder / "docs.sqlite") as db:  # back to the format 2 schema
        db.executescript(
            "DROP TABLE document_groups; ALTER TABLE documents DROP COLUMN groups; VACUUM;"
        )
    manifest = parse_manifest(folder / "manifest.json")
    files = dict(manifest.files, **{"docs.sqlite": file_record(folder / "docs.sqlite")})
    documents = [d.model_copy(update={"groups": []}) for d in manifest.documents]
    old = manifest.model_copy(update={"format_version": 2, "files": files, "documents": documents})
    (folder / "manifest.json").write_text(old.to_json(), encoding="utf-8")
    service.close()
    with pytest.raises(IndexMismatchError, match="has format 2"):
        DocQA(service.settings, embeddings=fake_embeddings).health()
    upgraded = DocQA(service.settings, embeddings=fake_embeddings)
    report = upgraded.index([corpus])
    assert fake_embeddings.embedded == embedded
    assert report.version is not None
    assert {i.groups for i in upgraded.store.catalogue()} == {("everyone",)}
    assert not upgraded.ask("Who is the mayor of Marsby?").refused


def test_chunks_embed_from_their_documents_text_and_are_stored_with_it(
    settings: Settings, tmp_path: Path
) -> None:
    # Chunks being indexed carry no text of their own: what is embedded and what is
    # stored is their document's text between their offsets.
    seen: list[str] = []

    class Recording(CountingFakeEmbeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            seen.extend(texts)
            return super().embed_documents(texts)

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "date 2026-01-01 The river Wendle flooded Marsby. " + "The levee held. " * 150,
        encoding="utf-8",
    )
    service = DocQA(settings, embeddings=Recording(size=384))
    service.index([folder])
    chunks = service.store.chunks(service.store.chunk_ids())
    assert len(chunks) > 1
    assert seen == [c.text for c in chunks]
    assert all(c.text for c in chunks)
