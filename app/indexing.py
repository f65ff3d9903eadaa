"""Indexing: files → documents → chunks → vectors, into any store backend.

The loop is the same for every backend and for every worker of a run: claim a batch of
sources, read each file, keep it if its bytes are unchanged, copy it if the same bytes
are stored under another name, else extract, chunk and embed it; then publish the run
as one version. Unchanged documents are never read past their bytes, never re-embedded.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, overload

import numpy as np
from tqdm import tqdm

from app.chunks import chunk_text
from app.embeddings import ArrayEmbeddings, embed_matrix
from app.errors import NoDocumentsError, SourceError
from app.settings import ChunkingSettings, IndexingSettings, SourceSettings
from app.sources import (
    Candidate,
    content_hash,
    discover,
    document_groups,
    expand,
    extract_document,
    printable_name,
    read_source,
    unique_sources,
)
from app.sources.formats import listed
from app.store.base import Backend, Batch, BuildSpec
from app.types import EVERYONE, Chunk, Skipped, SourceDocument

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

__all__ = ["IndexReport", "build_index"]

logger = logging.getLogger(__name__)

BATCH = IndexingSettings().batch  # documents per claim (``IndexingSettings.batch``)


@dataclass
class IndexReport:
    """What a run did, for the end-of-run summary."""

    documents: int = 0
    chunks: int = 0
    embedded_chunks: int = 0
    reused_documents: int = 0
    new_documents: int = 0
    removed_documents: int = 0
    regrouped_documents: int = 0  # kept documents whose access groups changed
    duplicates: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    embed_seconds: float = 0.0
    total_seconds: float = 0.0
    unchanged: bool = False
    version: str | None = None  # the version published, if one was
    damage: str | None = None  # what was wrong with the live index this run replaced
    published_by_other: bool = False  # another worker of the run published it

    @property
    def chunks_per_second(self) -> float:
        """Embedding throughput over the chunks embedded in this run."""
        return self.embedded_chunks / self.embed_seconds if self.embed_seconds else 0.0


@dataclass(frozen=True)
class Ingestion:
    """How files become stored documents: limits, chunking, the embedder, and the groups
    of documents nothing else names."""

    embeddings: Embeddings | ArrayEmbeddings
    chunking: ChunkingSettings
    sources: SourceSettings
    default_groups: tuple[str, ...] = (EVERYONE,)


def build_index(
    paths: list[Path],
    backend: Backend,
    pipeline: Ingestion,
    spec: BuildSpec,
    *,
    removals: Sequence[str] = (),
    progress: bool = False,
    batch_size: int = BATCH,
    observe: Callable[[int, int], None] | None = None,
    stored: Callable[[], Sequence[Candidate]] | None = None,
) -> IndexReport:
    """Index the documents under ``paths`` (and the ``stored`` ones: uploads the backend
    keeps, listed once the run holds the index, so none sent meanwhile is missed) into
    ``backend`` as ``spec`` says.

    Raises ``NoDocumentsError`` (leaving any existing index untouched) when a ``sync``
    run finds nothing that can be indexed. ``observe(done, total)`` is told after each
    batch. Two documents never share a source: the later one is skipped, naming both.
    """
    started = time.perf_counter()
    found: list[Candidate | Skipped] = list(discover(paths))
    with backend.writer(spec) as writer:
        if stored is not None:
            found += stored()
        found = unique_sources(list(expand(found, pipeline.sources)))
        candidates = {f.source: f for f in found if isinstance(f, Candidate)}
        report = IndexReport(skipped=[f for f in found if isinstance(f, Skipped)])
        if not candidates and spec.mode == "sync":
            raise _nothing_to_index(paths, report.skipped)
        report.damage = writer.damage
        writer.enqueue(list(candidates))
        writer.remove(list(removals))
        published = None
        done = 0  # counted here: a disabled progress bar counts nothing
        with tqdm(total=len(candidates), desc="indexing", unit="doc", disable=not progress) as bar:
            while published is None:  # None: a worker joined with more sources meanwhile
                while True:
                    with writer.claim(batch_size) as batch:
                        if batch is None:
                            break
                        _fill(batch, candidates, pipeline, report)
                    done += len(batch.sources)
                    bar.update(len(batch.sources))
                    if observe is not None:
                        observe(done, len(candidates))
                try:
                    published = writer.publish()
                except NoDocumentsError:
                    raise _nothing_to_index(paths, report.skipped) from None
    report.skipped.extend(published.skipped)
    report.duplicates = sum(s.reason.startswith("duplicate of") for s in report.skipped)
    report.version = published.version
    report.published_by_other = published.by_other
    report.unchanged = published.version is None
    report.documents, report.chunks = published.documents, published.chunks
    report.removed_documents = published.removed
    report.regrouped_documents = published.regrouped
    report.total_seconds = time.perf_counter() - started
    return report


def _fill(
    batch: Batch, candidates: dict[str, Candidate], pipeline: Ingestion, report: IndexReport
) -> None:
    """Record every source of ``batch``: kept, copied, skipped, or extracted and embedded."""
    pending: list[tuple[SourceDocument, list[Chunk]]] = []
    # Same bytes twice in the batch: (source, its groups, which pending document).
    copies: list[tuple[str, tuple[str, ...], int]] = []
    first: dict[str, int] = {}
    for source in batch.sources:
        candidate = candidates.get(source)
        if candidate is None:
            _skip(batch, report, source, "not found under the paths this worker was given")
            continue
        try:
            data = read_source(candidate, pipeline.sources)
        except SourceError as exc:
            _skip(batch, report, source, str(exc))
            continue
        sha = content_hash(data)
        groups = document_groups(candidate, data, pipeline.default_groups)
        if batch.stored.get(source) == sha:
            batch.keep(source, sha, groups)
            report.reused_documents += 1
        elif sha in first:
            copies.append((source, groups, first[sha]))
        elif batch.reuse(source, sha, groups):
            report.reused_documents += 1
        else:
            try:
                document = extract_document(candidate, data, pipeline.sources, groups)
            except SourceError as exc:
                _skip(batch, report, source, str(exc))
                continue
            if batch.refresh(document):
                report.reused_documents += 1  # new metadata, the same text: nothing embedded
                continue
            first[sha] = len(pending)
            pending.append((document, _chunks(document, pipeline.chunking)))
    data = b""  # the last file's bytes are not kept while the batch embeds
    vectors = _embed(_ChunkTexts(pending), pipeline, report)
    at = 0
    for document, chunks in pending:
        batch.add(document, chunks, vectors[at : at + len(chunks)])
        at += len(chunks)
        report.new_documents += 1
    for source, groups, of in copies:  # a duplicate is named at publication; vectors shared
        document, chunks = pending[of]
        start = sum(len(c) for _, c in pending[:of])
        copy = dataclasses.replace(document, source=source, groups=groups, path=None)
        batch.add(copy, chunks, vectors[start : start + len(chunks)])


def _skip(batch: Batch, report: IndexReport, source: str, reason: str) -> None:
    batch.skip(source, reason)
    report.skipped.append(Skipped(source, reason))


def _chunks(document: SourceDocument, chunking: ChunkingSettings) -> list[Chunk]:
    """A document's chunks, numbered from 0 (a store numbers them for good), without
    their text: it is the document's, between their offsets (``_ChunkTexts``)."""
    return [
        Chunk(n, 0, span.start, span.end, "", span.sentences)
        for n, span in enumerate(
            chunk_text(document.text, chunking.max_chars, chunking.overlap_sentences)
        )
    ]


class _ChunkTexts(Sequence[str]):
    """The texts of the pending documents' chunks, cut from their documents as they are
    read: a large file's chunks are not held twice while they embed."""

    def __init__(self, pending: Sequence[tuple[SourceDocument, Sequence[Chunk]]]) -> None:
        self._spans = [(d.text, c.start, c.end) for d, chunks in pending for c in chunks]

    def __len__(self) -> int:
        return len(self._spans)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [text[a:b] for text, a, b in self._spans[index]]
        text, a, b = self._spans[index]
        return text[a:b]


def _embed(texts: Sequence[str], pipeline: Ingestion, report: IndexReport) -> np.ndarray:
    """Vectors of ``texts``; the time it takes counts toward the run's throughput."""
    if not texts:
        return np.zeros((0, 0), np.float32)
    embeddings = pipeline.embeddings
    if isinstance(embeddings, ArrayEmbeddings):
        embeddings.warm()  # the first run builds the model: not part of the throughput
    started = time.perf_counter()
    vectors = embed_matrix(embeddings, texts)
    report.embed_seconds += time.perf_counter() - started
    report.embedded_chunks += len(texts)
    if isinstance(embeddings, ArrayEmbeddings):
        # The runtime's buffers for every input width are not held while the index is
        # written: a 12 MB file peaked about 30 MB lower, at the same speed.
        embeddings.release()
    return vectors


def _nothing_to_index(paths: list[Path], skipped: list[Skipped]) -> NoDocumentsError:
    """Say why nothing could be indexed: the first few skipped files with their reasons."""
    where = ", ".join(printable_name(str(p)) for p in paths)
    reasons = "; ".join(f"{s.source}: {s.reason}" for s in skipped[:3])
    more = f" and {len(skipped) - 3} more" if len(skipped) > 3 else ""
    why = f" ({len(skipped)} skipped: {reasons}{more})" if skipped else ""
    return NoDocumentsError(
        f"Nothing to index under {where}: no readable files ({listed()}){why}.",
        skipped,
    )
