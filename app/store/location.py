"""Where an index lives, and the write side: one build at a time, what a build may
reuse, and publishing a version. A folder (the default) or a PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

import numpy as np

from app.errors import IndexMismatchError
from app.store.base import Store
from app.store.local import IndexStore, build_lock, live_version, read_manifest, write_index
from app.store.manifest import Manifest
from app.types import Chunk, SourceDocument

__all__ = ["Folder", "Location", "Postgres", "Reusable", "locate"]

# Stored documents by content hash, with their chunks and vectors.
Reusable = dict[str, tuple[SourceDocument, list[Chunk], np.ndarray]]


class Location(Protocol):
    """An index's home: open its live version, and build and publish new ones."""

    def describe(self) -> str:
        """Where it is, for messages (never a password)."""
        ...

    def open(self, embedder: str | None = None) -> Store:
        """The live version; ``IndexMismatchError`` if built with another embedder."""
        ...

    def latest(self) -> str:
        """The name of the live version now."""
        ...

    def lock(self) -> AbstractContextManager[None]:
        """Held for a whole build: builds of one index never interleave."""
        ...

    def reusable(self, embedder: str, chunking: dict[str, int]) -> Reusable:
        """What the live version holds, when it was built the same way; else nothing."""
        ...

    def publish(
        self,
        manifest: Manifest,
        documents: Sequence[SourceDocument],
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
    ) -> str:
        """Write a whole version and make it live at once; returns its name."""
        ...


class Folder:
    """The local index folder: FAISS, BM25 arrays and SQLite per version folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def describe(self) -> str:
        return str(self.root)

    def open(self, embedder: str | None = None) -> Store:
        return IndexStore.open(self.root, embedder)

    def latest(self) -> str:
        return live_version(self.root).name

    def lock(self) -> AbstractContextManager[None]:
        return build_lock(self.root)

    def reusable(self, embedder: str, chunking: dict[str, int]) -> Reusable:
        manifest = read_manifest(self.root)
        if manifest.embedder != embedder or manifest.chunking != chunking:
            return {}
        store = IndexStore.open(self.root, embedder)
        try:
            return store.reusable()
        finally:
            store.close()

    def publish(
        self,
        manifest: Manifest,
        documents: Sequence[SourceDocument],
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
    ) -> str:
        return write_index(self.root, manifest, documents, chunks, vectors).name


class Postgres:
    """A PostgreSQL database with pgvector, shared by servers and index workers."""

    def __init__(self, url: str) -> None:
        self.url = url

    def describe(self) -> str:
        from app.store.postgres import hidden

        return f"the database at {hidden(self.url)}"

    def open(self, embedder: str | None = None) -> Store:
        from app.store.postgres import PostgresStore

        return PostgresStore(self.url, embedder)

    def latest(self) -> str:
        from app.store.postgres import connect, live_version

        connection = connect(self.url)
        try:
            version = live_version(connection)
        finally:
            connection.close()
        return f"pg-{version}"

    @contextmanager
    def lock(self) -> Iterator[None]:
        from app.store.postgres import BUILD_LOCK, connect

        connection = connect(self.url)
        try:
            connection.execute("SELECT pg_advisory_lock(%s)", (BUILD_LOCK,))
            yield
        finally:
            connection.close()  # the session ends, and its lock with it

    def reusable(self, embedder: str, chunking: dict[str, int]) -> Reusable:
        from app.store.postgres import PostgresStore

        try:
            store = PostgresStore(self.url, embedder)
        except IndexMismatchError:
            return {}
        try:
            return store.reusable() if store.chunking == chunking else {}
        finally:
            store.close()

    def publish(
        self,
        manifest: Manifest,
        documents: Sequence[SourceDocument],
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
    ) -> str:
        from app.store.postgres import publish

        return publish(self.url, manifest, documents, chunks, vectors)


def locate(index_dir: Path, url: str | None) -> Location:
    """The PostgreSQL database at ``url`` when one is set, else the folder."""
    return Postgres(url) if url else Folder(index_dir)
