"""What the rest of docqa needs from a store, and nothing about how one keeps it.

Read side: retrieval, reranking, answering and the service read one live index version
through ``Store``: dense and lexical search (each with the date window and the asker's
access groups applied inside the search, never to its results), chunks and documents by
id, a document by its public key, and the term weights the answerers score sentences with.

Write side: ``Backend`` opens the live version and starts an indexing run
(``IndexWriter``); a run takes the sources it was given, hands them out in ``Batch``es
(to one process, or to several workers sharing a database), and publishes the result as
one new version. No caller knows about FAISS ids, SQLite, file locks, folder names,
database rows or claims.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, Protocol

import numpy as np

from app.feedback import FeedbackLog
from app.store.library import Library
from app.types import Chunk, Skipped, SourceDocument

__all__ = [
    "KEY_LENGTH",
    "Backend",
    "Batch",
    "BuildSpec",
    "DocumentInfo",
    "DocumentMeta",
    "Filter",
    "Groups",
    "IndexWriter",
    "Published",
    "Store",
    "TermWeights",
    "document_key",
    "is_document_key",
    "readable",
]

KEY_LENGTH = 16


def document_key(sha256: str) -> str:
    """A document's public id: the start of its content hash, stable across rebuilds."""
    return sha256[:KEY_LENGTH]


def is_document_key(key: str) -> bool:
    """Whether ``key`` has the shape of a public document key (never sent to a store else)."""
    return len(key) == KEY_LENGTH and all(c in "0123456789abcdef" for c in key)


# (source, title, date, public key)
DocumentMeta = tuple[str, str | None, str | None, str]


Groups = frozenset[str] | None  # whose documents a reader may read; None: every document


@dataclass(frozen=True)
class DocumentInfo:
    """A document as the catalogue lists it (no text)."""

    key: str
    source: str
    title: str | None
    date: str | None
    groups: tuple[str, ...]
    chunks: int


def readable(document_groups: Iterable[str], groups: Groups) -> bool:
    """Whether a reader of ``groups`` may read a document of ``document_groups``."""
    return groups is None or not groups.isdisjoint(document_groups)


@dataclass(frozen=True)
class Filter:
    """What a search keeps to, applied inside the search.

    Publication days, both ends included (documents without a date are outside every
    window), and the asker's access groups: a document is found only when it shares one
    of them (``groups`` None: no restriction).
    """

    since: date | None = None
    until: date | None = None
    groups: Groups = None

    @property
    def dated(self) -> bool:
        """Whether a date window is set."""
        return self.since is not None or self.until is not None

    @property
    def bounds(self) -> tuple[str, str]:
        """The window as ISO days, open ends made explicit."""
        return (
            self.since.isoformat() if self.since else "0000-00-00",
            self.until.isoformat() if self.until else "9999-99-99",
        )

    @classmethod
    def of(cls, since: date | None, until: date | None, groups: Groups = None) -> Filter | None:
        """The filter, or None when it keeps everything."""
        if since is None and until is None and groups is None:
            return None
        return cls(since, until, None if groups is None else frozenset(groups))


class TermWeights(Protocol):
    """How much each stemmed term says (its inverse document frequency)."""

    def weights(self, terms: Iterable[str]) -> dict[str, float]:
        """The weight of each distinct term; one the corpus never uses weighs as the rarest."""
        ...

    def knows_any(self, terms: Iterable[str]) -> bool:
        """Whether the corpus uses any of ``terms``."""
        ...


class Store(TermWeights, Protocol):
    """One live index version, read by every question."""

    @property
    def version(self) -> str:
        """Which published version of the index this is."""
        ...

    @property
    def size(self) -> int:
        """Number of chunks."""
        ...

    def latest(self) -> str:
        """The name of the version live now (this store may read an older one)."""
        ...

    @property
    def embedder(self) -> str:
        """The embedder the vectors were made with."""
        ...

    def dense_search(
        self, vector: np.ndarray, k: int, where: Filter | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` chunks ``where`` allows nearest ``vector`` by cosine,
        ``(chunk_id, score)``, best first."""
        ...

    def lexical_search(
        self,
        terms: Sequence[str],
        k: int,
        where: Filter | None = None,
        also: Sequence[int] = (),
    ) -> dict[int, float]:
        """BM25 scores of the ``k`` best chunks for ``terms``, and of the ``also`` chunks.

        Only chunks ``where`` allows score; an empty result means no term is known.
        """
        ...

    def vectors(self, chunk_ids: Sequence[int]) -> np.ndarray:
        """Stored embeddings of the given chunks, in that order."""
        ...

    def chunks(self, chunk_ids: Sequence[int]) -> list[Chunk]:
        """Chunks by id, in the order asked, with their text."""
        ...

    def chunk_ids(self) -> list[int]:
        """Every chunk's id, in order."""
        ...

    def document(self, doc_id: int) -> SourceDocument | None:
        """A document with its full text, or None."""
        ...

    def document_by_key(self, key: str, groups: Groups = None) -> SourceDocument | None:
        """A document by its public key, or None (also when ``groups`` may not read it)."""
        ...

    def catalogue(
        self, offset: int = 0, limit: int = 100, groups: Groups = None
    ) -> list[DocumentInfo]:
        """Documents ``groups`` may read (None: all), in source order, without their texts."""
        ...

    def document_meta(self, doc_ids: Sequence[int]) -> dict[int, DocumentMeta]:
        """``doc_id -> (source, title, date, key)`` without loading texts."""
        ...

    def groups_of(self, doc_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        """``doc_id -> the groups that may read it``, without loading texts."""
        ...

    def sources(self) -> dict[int, str]:
        """Every document's source, by document id."""
        ...

    def hashes(self, sources: Sequence[str]) -> dict[str, str]:
        """The content hash of each of ``sources`` the version holds (others absent)."""
        ...

    def sample_texts(self, limit: int, groups: Groups = None) -> list[str]:
        """Up to ``limit`` texts of documents ``groups`` may read, newest first."""
        ...

    def coverage(self, groups: Groups = None) -> tuple[int, str | None, str | None]:
        """How many documents ``groups`` may read, and the first and last of their dates."""
        ...

    def texts(self) -> Iterator[str]:
        """Every document's text, one at a time."""
        ...

    def check(self) -> None:
        """Raise ``IndexCorruptError`` if the version is no longer what was opened."""
        ...

    def stats(self) -> dict[str, Any]:
        """A summary for `docqa info` and health checks."""
        ...

    def close(self) -> None:
        """Release what the store holds open."""
        ...


@dataclass(frozen=True)
class BuildSpec:
    """What an indexing run builds: the model and chunking its vectors come from, and
    what happens to documents it was not given.

    ``sync``: the index ends up holding exactly the run's sources (``docqa index PATH``).
    ``merge``: the run's sources are added or replaced, the sources it removes dropped,
    every other document kept (uploads, ``--watch``).
    """

    embedder: str
    dimension: int
    chunking: Mapping[str, int]
    mode: Literal["sync", "merge"] = "sync"
    rebuild: bool = False  # embed everything afresh, trusting nothing stored
    # Workers given the same paths (the same key) share one run and split its sources.
    key: str = ""


@dataclass(frozen=True)
class Published:
    """What a run's publication left live."""

    version: str | None  # the version made live; None when nothing changed
    documents: int
    chunks: int
    removed: int = 0  # live documents the run dropped
    skipped: tuple[Skipped, ...] = ()  # found at publication: duplicates by content
    by_other: bool = False  # another worker of the run published it
    regrouped: int = 0  # kept documents whose access groups changed (nothing re-embedded)


class Batch(Protocol):
    """Sources claimed by one worker; what it records is kept only if the batch ends well.

    Every source of the batch must be recorded once: kept as stored, reused, added or
    skipped. ``stored`` maps each source the live index holds to its content hash. Kept
    and reused documents take the access groups given: a change of groups alone changes
    the stored metadata, never the chunks or vectors.
    """

    @property
    def sources(self) -> tuple[str, ...]:
        """The claimed sources, in order."""
        ...

    @property
    def stored(self) -> Mapping[str, str]:
        """Each claimed source the live index holds, with its content hash."""
        ...

    def keep(self, source: str, sha256: str, groups: Sequence[str]) -> None:
        """The live index holds this source with this content (its groups may change)."""
        ...

    def reuse(self, source: str, sha256: str, groups: Sequence[str]) -> bool:
        """Store ``source`` from a stored copy of the same content (no extraction, no
        embedding); False when no copy exists."""
        ...

    def refresh(self, document: SourceDocument) -> bool:
        """Store ``document`` with the chunks and vectors its source has in the live index,
        when its text is the same there (a file whose metadata alone changed, such as its
        front matter's groups); False when it is not."""
        ...

    def add(self, document: SourceDocument, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """A new or changed document: its chunks (ids are positions; a chunk may come
        without its text, which is then the document's between its offsets) and their
        vectors."""
        ...

    def skip(self, source: str, reason: str) -> None:
        """Not indexable; the live index drops it."""
        ...


class IndexWriter(Protocol):
    """One indexing run against a backend, entered as a context manager."""

    @property
    def damage(self) -> str | None:
        """What was wrong with the live index the run replaces, if anything."""
        ...

    def enqueue(self, sources: Sequence[str]) -> None:
        """The sources of this run (a worker joining a run adds what it found)."""
        ...

    def remove(self, sources: Sequence[str]) -> None:
        """Drop these sources (``merge`` runs)."""
        ...

    def claim(self, limit: int) -> AbstractContextManager[Batch | None]:
        """Up to ``limit`` sources no other worker holds, as a batch that is kept when the
        block ends without an error; None when the run has nothing left to do. Waits
        while other workers hold the last sources."""
        ...

    def publish(self) -> Published | None:
        """Make the run's result the live version, at once and whole; None when another
        worker added sources meanwhile (claim again)."""
        ...


class Backend(Protocol):
    """Where an index lives: its live version for reading, and indexing runs for writing."""

    def describe(self) -> str:
        """Where it is, for messages (never a password)."""
        ...

    def open(self, embedder: str | None = None) -> Store:
        """The live version; ``IndexMismatchError`` if built with another embedder."""
        ...

    def latest(self) -> str:
        """The name of the live version now."""
        ...

    def writer(self, spec: BuildSpec) -> AbstractContextManager[IndexWriter]:
        """An indexing run; runs that do not share a key never interleave."""
        ...

    def feedback(self) -> FeedbackLog:
        """Where readers' feedback is kept, beside the index and outside its versions."""
        ...

    def library(self) -> Library:
        """Where uploaded documents and their jobs are kept, outside every version."""
        ...

    def secret(self, name: str) -> bytes:
        """A random key kept with the index (made on first use), the same for every
        server of the index: what stored user ids are keyed with."""
        ...

    def close(self) -> None:
        """Release what every store opened from here shares (connections)."""
        ...
