"""Indexing into the local folder: one run at a time (a file lock), in one process, and
every run published as a whole new version folder that reuses what did not change."""

from __future__ import annotations

import dataclasses
import logging
import os
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from app.errors import (
    DocQAError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    NoDocumentsError,
)
from app.settings import DenseSettings
from app.store.base import BuildSpec, Published, Store
from app.store.local.feedback import SQLiteFeedback
from app.store.local.library import SQLiteLibrary, sqlite_failure
from app.store.local.manifest import FORMAT_VERSION, Manifest, StoredDocument
from app.store.local.store import IndexStore
from app.store.local.version import build_lock, live_version, write_index
from app.types import Chunk, Skipped, SourceDocument

__all__ = ["LocalBackend"]

logger = logging.getLogger(__name__)

# A document as a version holds it: text and metadata, chunks (ids are positions), vectors.
_Stored = tuple[SourceDocument, list[Chunk], np.ndarray]


class LocalBackend:
    """The index folder: FAISS, BM25 arrays and SQLite per version folder."""

    def __init__(self, root: Path, dense: DenseSettings | None = None) -> None:
        self.root = root
        self.dense = dense or DenseSettings()

    def describe(self) -> str:
        """The folder."""
        return str(self.root)

    def open(self, embedder: str | None = None) -> Store:
        """The live version, checked whole."""
        return IndexStore.open(self.root, embedder)

    def latest(self) -> str:
        """The live version folder's name."""
        return live_version(self.root).name

    def feedback(self) -> SQLiteFeedback:
        """``feedback.sqlite`` in the index folder, beside (never inside) the versions."""
        return SQLiteFeedback(self.root / "feedback.sqlite")

    def library(self) -> SQLiteLibrary:
        """``library.sqlite`` in the index folder, beside (never inside) the versions."""
        return SQLiteLibrary(self.root / "library.sqlite")

    def secret(self, name: str) -> bytes:
        """``NAME.key`` in the index folder (readable by its owner alone), made once."""
        path = self.root / f"{name}.key"
        try:
            if not path.exists():
                self.root.mkdir(parents=True, exist_ok=True)
                partial = self.root / f".{name}.key.{os.getpid()}"
                fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(secrets.token_bytes(32))
                    handle.flush()
                    os.fsync(handle.fileno())
                try:  # the first server to make it wins; the others read that one
                    os.link(partial, path)
                except FileExistsError:
                    pass
                finally:
                    partial.unlink(missing_ok=True)
            key = path.read_bytes()
        except OSError as exc:
            raise sqlite_failure(path, exc, f"keep the {name} key") from None
        if len(key) < 32:
            raise IndexCorruptError(f"The key file {path} is damaged (too short); remove it.")
        return key

    def close(self) -> None:
        """Nothing is shared between versions: each store holds its own files."""

    @contextmanager
    def writer(self, spec: BuildSpec) -> Iterator[_Writer]:
        """A run holding the folder's lock: a second run waits for this one."""
        with build_lock(self.root):
            yield _Writer(self, spec)


class _Writer:
    """A run in this process: sources handed out in order, kept in memory, published once."""

    def __init__(self, backend: LocalBackend, spec: BuildSpec) -> None:
        self.backend = backend
        self.spec = spec
        self.damage: str | None = None
        self.upgrade = False  # the live version is of an older format: always rewritten
        self.live: dict[str, _Stored] = self._load_live()
        self.queue: list[str] = []
        self._queued: set[str] = set()
        self.removals: set[str] = set()
        self.done: dict[str, _Stored | None] = {}  # source -> added, or None when kept
        self.skipped: dict[str, str] = {}
        self._next = 0

    def _load_live(self) -> dict[str, _Stored]:
        """The live version's documents by source, when they can be reused as they are.

        A damaged live index is never trusted: ``damage`` says what was wrong with it and
        everything is embedded afresh.
        """
        root, spec = self.backend.root, self.spec
        try:
            store = IndexStore.open(root, upgrade=True)
        except IndexNotFoundError:
            return {}
        except IndexCorruptError as exc:
            self.damage = exc.damage
            return {}
        except DocQAError as exc:  # another format: rebuilt
            logger.info("nothing reusable in %s (%s)", root, exc)
            return {}
        try:
            manifest = store.manifest
            self.upgrade = manifest.format_version != FORMAT_VERSION
            same = manifest.embedder == spec.embedder and manifest.chunking == dict(spec.chunking)
            if not same and spec.mode == "merge":
                raise IndexMismatchError(
                    f"The index in {root} was built with '{manifest.embedder}' and chunking "
                    f"{manifest.chunking}; documents cannot be added to it with other settings. "
                    "Rebuild it with `docqa index --rebuild PATH`."
                )
            if not same:
                return {}
            return {d.source: (d, c, v) for d, c, v in store.reusable().values()}
        finally:
            store.close()

    def enqueue(self, sources: Sequence[str]) -> None:
        """Add sources to the run, in the order given."""
        for source in sources:
            if source not in self._queued:
                self._queued.add(source)
                self.queue.append(source)

    def remove(self, sources: Sequence[str]) -> None:
        """Drop these sources at publication."""
        self.removals.update(sources)

    @contextmanager
    def claim(self, limit: int) -> Iterator[_Batch | None]:
        """The next ``limit`` sources; what the batch records is kept if the block ends well."""
        sources = self.queue[self._next : self._next + limit]
        if not sources:
            yield None
            return
        batch = _Batch(self, sources)
        yield batch
        self._next += len(sources)
        for source, record in batch.records.items():
            if isinstance(record, str):
                self.skipped[source] = record
            else:
                self.done[source] = record

    def _stored_by_sha(self, sha256: str) -> _Stored | None:
        for stored in (*self.live.values(), *(d for d in self.done.values() if d is not None)):
            if stored[0].sha256 == sha256:
                return stored
        return None

    def _final(self) -> list[_Stored]:
        """The documents the new version holds, in order."""
        order: list[str] = []
        if self.spec.mode == "merge":
            order = [s for s in self.live if s not in self._queued]
        order += self.queue
        out = []
        for source in order:
            if source in self.removals or source in self.skipped:
                continue
            if source in self.done:
                record = self.done[source]
                out.append(record if record is not None else self.live[source])
            elif source in self.live and (self.spec.mode == "merge" or source in self._queued):
                out.append(self.live[source])  # merge: kept; sync: never claimed (none here)
        return out

    def publish(self) -> Published:
        """Write the new version and make it live; nothing is written if nothing changed."""
        final = self._final()
        first: dict[str, str] = {}
        kept, duplicates = [], []
        for document, chunks, vectors in final:
            if document.sha256 in first:
                duplicates.append(
                    Skipped(document.source, f"duplicate of {first[document.sha256]}")
                )
                continue
            first[document.sha256] = document.source
            kept.append((document, chunks, vectors))
        if not kept and self.spec.mode == "sync":
            raise NoDocumentsError("Nothing to index.")
        new = {(d.source, d.sha256, d.groups) for d, _, _ in kept}
        old = {(d.source, d.sha256, d.groups) for d, _, _ in self.live.values()}
        removed = len({s for s, _, _ in old} - {s for s, _, _ in new})
        regrouped = len({(s, h) for s, h, _ in new} & {(s, h) for s, h, _ in old}) - len(new & old)
        chunk_total = sum(len(c) for _, c, _ in kept)
        if new == old and not self.damage and not self.spec.rebuild and not self.upgrade:
            return Published(None, len(kept), chunk_total, 0, tuple(duplicates))
        documents, chunks, parts = _number(kept)
        manifest = Manifest(
            embedder=self.spec.embedder,
            dimension=self.spec.dimension,
            chunking=dict(self.spec.chunking),
            documents=[
                StoredDocument(
                    source=d.source,
                    sha256=d.sha256,
                    title=d.title,
                    date=d.date,
                    chunks=len(c),
                    groups=list(d.groups),
                )
                for d, c, _ in kept
            ],
            chunks=len(chunks),
            dense=self.backend.dense,
        )
        # The run's records are written now: dropped here, so each document's vectors are
        # freed as they go into the index instead of being held twice.
        del final, kept
        self.done.clear()
        self.live.clear()
        folder = write_index(self.backend.root, manifest, documents, chunks, parts)
        return Published(
            folder.name, len(documents), len(chunks), removed, tuple(duplicates),
            regrouped=regrouped,
        )  # fmt: skip


def _number(
    kept: list[_Stored],
) -> tuple[list[SourceDocument], list[Chunk], list[np.ndarray]]:
    """Documents and chunks numbered afresh, in order, and each document's vectors (the
    index takes them one document at a time: no second copy of them all)."""
    documents: list[SourceDocument] = []
    chunks: list[Chunk] = []
    parts: list[np.ndarray] = []
    for doc_id, (document, own, vectors) in enumerate(kept):
        documents.append(document)
        parts.append(vectors[: len(own)])
        for chunk in own:
            chunks.append(dataclasses.replace(chunk, id=len(chunks), doc_id=doc_id))
    return documents, chunks, parts


class _Batch:
    """Sources handed to the indexing loop; its records reach the run when the batch ends."""

    def __init__(self, writer: _Writer, sources: list[str]) -> None:
        self.writer = writer
        self.sources = tuple(sources)
        rebuild = writer.spec.rebuild
        self.stored = {
            s: writer.live[s][0].sha256 for s in sources if s in writer.live and not rebuild
        }
        self.records: dict[str, _Stored | str | None] = {}

    def keep(self, source: str, sha256: str, groups: Sequence[str]) -> None:
        """The live version's copy stays, with these groups."""
        document, chunks, vectors = self.writer.live[source]
        if document.groups == tuple(groups):
            self.records[source] = None
        else:  # metadata only: the same chunks and vectors
            self.records[source] = (
                dataclasses.replace(document, groups=tuple(groups)),
                chunks,
                vectors,
            )

    def reuse(self, source: str, sha256: str, groups: Sequence[str]) -> bool:
        """Copy the chunks and vectors of the same content stored under another name."""
        if self.writer.spec.rebuild:
            return False
        found = self.writer._stored_by_sha(sha256)
        for record in self.records.values():
            if found is None and isinstance(record, tuple) and record[0].sha256 == sha256:
                found = record
        if found is None:
            return False
        document, chunks, vectors = found
        copy = dataclasses.replace(document, source=source, groups=tuple(groups))
        self.records[source] = (copy, chunks, vectors)
        return True

    def refresh(self, document: SourceDocument) -> bool:
        """``document`` with its source's live chunks and vectors, when the live text is
        the same (only the file's metadata changed)."""
        live = self.writer.live.get(document.source)
        if live is None or self.writer.spec.rebuild or live[0].text != document.text:
            return False
        self.records[document.source] = (document, live[1], live[2])
        return True

    def add(self, document: SourceDocument, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """A new or changed document. Its chunks are kept without their text until the
        version is written (it is the document's, between their offsets): a large file is
        not held twice."""
        self.records[document.source] = (
            document, [dataclasses.replace(c, text="") for c in chunks], vectors,
        )  # fmt: skip

    def skip(self, source: str, reason: str) -> None:
        """Not indexable."""
        self.records[source] = reason
