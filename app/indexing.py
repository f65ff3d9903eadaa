"""Build or update the index from folders and files; unchanged documents are never re-embedded."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from app.chunks import chunk_text
from app.embeddings import ArrayEmbeddings, embed_matrix
from app.errors import (
    DocQAError,
    IndexCorruptError,
    IndexNotFoundError,
    NoDocumentsError,
    SourceError,
)
from app.settings import ChunkingSettings, SourceSettings
from app.sources import Candidate, discover, load_document, printable_name
from app.store import Manifest, StoredDocument
from app.store.location import Location
from app.types import Chunk, Skipped, SourceDocument

__all__ = ["IndexReport", "build_index"]

logger = logging.getLogger(__name__)

EMBED_BATCH = 256  # texts per progress step; the embedder batches further inside


@dataclass
class IndexReport:
    """What a build did, for the end-of-run summary."""

    documents: int = 0
    chunks: int = 0
    embedded_chunks: int = 0
    reused_documents: int = 0
    new_documents: int = 0
    removed_documents: int = 0
    duplicates: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    embed_seconds: float = 0.0
    total_seconds: float = 0.0
    unchanged: bool = False
    version: str | None = None  # the version published, if one was
    damage: str | None = None  # what was wrong with the live index this build replaced

    @property
    def chunks_per_second(self) -> float:
        """Embedding throughput over the chunks embedded in this run."""
        return self.embedded_chunks / self.embed_seconds if self.embed_seconds else 0.0

    @property
    def documents_per_second(self) -> float:
        """Whole-build throughput."""
        return self.documents / self.total_seconds if self.total_seconds else 0.0


@dataclass
class _Collected:
    documents: list[SourceDocument] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    duplicates: int = 0


def _collect(paths: list[Path], limits: SourceSettings, progress: bool) -> _Collected:
    """Load every candidate file; duplicates by content hash are skipped with a reason."""
    found = list(discover(paths))
    out = _Collected(skipped=[f for f in found if isinstance(f, Skipped)])
    first_by_hash: dict[str, str] = {}
    candidates = [f for f in found if isinstance(f, Candidate)]
    for candidate in tqdm(candidates, desc="reading", unit="file", disable=not progress):
        try:
            document = load_document(candidate, limits)
        except SourceError as exc:
            out.skipped.append(Skipped(candidate.source, str(exc)))
            continue
        if document.sha256 in first_by_hash:
            out.duplicates += 1
            out.skipped.append(
                Skipped(document.source, f"duplicate of {first_by_hash[document.sha256]}")
            )
            continue
        first_by_hash[document.sha256] = document.source
        out.documents.append(document)
    return out


Reusable = dict[str, tuple[SourceDocument, list[Chunk], np.ndarray]]


def _reusable(
    where: Location, embedder: str, chunking: ChunkingSettings, report: IndexReport
) -> Reusable:
    """The live index's documents, chunks and vectors, if they can be reused as they are.

    A damaged live index is never trusted: the report says what was wrong with it and
    everything is embedded afresh.
    """
    try:
        return where.reusable(embedder, chunking.model_dump())
    except IndexNotFoundError:
        return {}
    except IndexCorruptError as exc:
        report.damage = exc.damage
        return {}
    except DocQAError as exc:
        logger.info("no reusable index in %s (%s)", where.describe(), exc)
        return {}


def build_index(
    paths: list[Path],
    where: Location,
    embeddings: Embeddings,
    embedder: str,
    dimension: int,
    chunking: ChunkingSettings,
    sources: SourceSettings,
    *,
    rebuild: bool = False,
    progress: bool = False,
    on_loaded: Callable[[int], None] | None = None,
) -> IndexReport:
    """Index exactly the documents under ``paths`` into ``where``, reusing unchanged ones.

    Raises ``NoDocumentsError`` (leaving any existing index untouched) when nothing under
    ``paths`` can be indexed.
    """
    started = time.perf_counter()
    collected = _collect(paths, sources, progress)
    report = IndexReport(skipped=collected.skipped, duplicates=collected.duplicates)
    if not collected.documents:
        raise _nothing_to_index(paths, collected.skipped)
    if on_loaded:
        on_loaded(len(collected.documents))
    with where.lock():
        reusable = {} if rebuild else _reusable(where, embedder, chunking, report)
        old_sources = {d.source for d, _, _ in reusable.values()}
        if reusable and _same_documents(collected.documents, reusable):
            report.unchanged = True
            report.documents = len(collected.documents)
            report.reused_documents = report.documents
            report.chunks = sum(len(c) for _, c, _ in reusable.values())
            report.total_seconds = time.perf_counter() - started
            return report
        documents, chunks, vectors = _assemble(
            collected.documents, reusable, embeddings, chunking, report, progress
        )
        report.removed_documents = len(old_sources - {d.source for d in documents})
        manifest = Manifest(
            embedder=embedder,
            dimension=dimension,
            chunking=chunking.model_dump(),
            documents=[
                StoredDocument(
                    source=d.source, sha256=d.sha256, title=d.title, date=d.date, chunks=n
                )
                for d, n in zip(documents, _chunk_counts(documents, chunks), strict=True)
            ],
            chunks=len(chunks),
        )
        report.version = where.publish(manifest, documents, chunks, vectors)
    report.documents, report.chunks = len(documents), len(chunks)
    report.total_seconds = time.perf_counter() - started
    return report


def _nothing_to_index(paths: list[Path], skipped: list[Skipped]) -> NoDocumentsError:
    """Say why nothing could be indexed: the first few skipped files with their reasons."""
    where = ", ".join(printable_name(str(p)) for p in paths)
    reasons = "; ".join(f"{s.source}: {s.reason}" for s in skipped[:3])
    more = f" and {len(skipped) - 3} more" if len(skipped) > 3 else ""
    why = f" ({len(skipped)} skipped: {reasons}{more})" if skipped else ""
    return NoDocumentsError(
        f"Nothing to index under {where}: no readable .txt, .md, .html or .pdf files{why}.",
        skipped,
    )


def _same_documents(documents: list[SourceDocument], reusable: Reusable) -> bool:
    stored = {(d.source, d.sha256) for d, _, _ in reusable.values()}
    return stored == {(d.source, d.sha256) for d in documents}


def _chunk_counts(documents: list[SourceDocument], chunks: list[Chunk]) -> list[int]:
    counts = [0] * len(documents)
    for chunk in chunks:
        counts[chunk.doc_id] += 1
    return counts


def _assemble(
    documents: list[SourceDocument],
    reusable: Reusable,
    embeddings: Embeddings,
    chunking: ChunkingSettings,
    report: IndexReport,
    progress: bool,
) -> tuple[list[SourceDocument], list[Chunk], np.ndarray]:
    """Number documents and chunks afresh, copying reusable vectors and embedding the rest."""
    chunks: list[Chunk] = []
    parts: list[np.ndarray | None] = []
    to_embed: list[int] = []
    for doc_id, document in enumerate(documents):
        if document.sha256 in reusable:
            _, old_chunks, old_vectors = reusable[document.sha256]
            report.reused_documents += 1
            for old, vector in zip(old_chunks, old_vectors, strict=True):
                chunks.append(
                    Chunk(len(chunks), doc_id, old.start, old.end, old.text, old.sentences)
                )
                parts.append(vector)
            continue
        report.new_documents += 1
        for span in chunk_text(document.text, chunking.max_chars, chunking.overlap_sentences):
            to_embed.append(len(chunks))
            text = document.text[span.start : span.end]
            chunks.append(Chunk(len(chunks), doc_id, span.start, span.end, text, span.sentences))
            parts.append(None)
    embedded = _embed([chunks[i].text for i in to_embed], embeddings, report, progress)
    for row, chunk_id in enumerate(to_embed):
        parts[chunk_id] = embedded[row]
    vectors = np.stack(parts) if parts else np.zeros((0, 0), np.float32)  # type: ignore[arg-type]
    return documents, chunks, vectors


def _embed(
    texts: list[str], embeddings: Embeddings, report: IndexReport, progress: bool
) -> np.ndarray:
    if texts and isinstance(embeddings, ArrayEmbeddings):
        embeddings.warm()  # the first run builds the model: not part of the throughput
    started = time.perf_counter()
    blocks = []
    with tqdm(total=len(texts), desc="embedding", unit="chunk", disable=not progress) as bar:
        for begin in range(0, len(texts), EMBED_BATCH):
            block = embed_matrix(embeddings, texts[begin : begin + EMBED_BATCH])
            blocks.append(block)
            bar.update(len(block))
    report.embed_seconds = time.perf_counter() - started
    report.embedded_chunks = len(texts)
    logger.info(
        "embedded %d chunks in %.1fs (%.1f chunks/s)",
        len(texts), report.embed_seconds, report.chunks_per_second,
    )  # fmt: skip
    return np.concatenate(blocks) if blocks else np.zeros((0, 0), np.float32)
