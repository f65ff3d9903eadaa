"""What the rest of docqa needs from a store, and nothing about how one keeps it.

Retrieval, reranking, answering and the service read one live index version through
``Store``: dense and lexical search (each with the date window applied inside the
search), chunks and documents by id, a document by its public key, and the term weights
the answerers score sentences with. No caller knows about FAISS ids, SQLite, file locks
or folder names.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, runtime_checkable

import numpy as np

from app.types import Chunk, SourceDocument

__all__ = ["DateWindow", "DocumentMeta", "Store", "TermWeights"]

# (source, title, date, public key)
DocumentMeta = tuple[str, str | None, str | None, str]


@dataclass(frozen=True)
class DateWindow:
    """Publication days a search keeps to, both ends included; documents without a date
    are outside every window."""

    since: date | None = None
    until: date | None = None

    @property
    def bounds(self) -> tuple[str, str]:
        """The window as ISO days, open ends made explicit."""
        return (
            self.since.isoformat() if self.since else "0000-00-00",
            self.until.isoformat() if self.until else "9999-99-99",
        )

    @classmethod
    def of(cls, since: date | None, until: date | None) -> DateWindow | None:
        """The window, or None when neither end is set."""
        return None if since is None and until is None else cls(since, until)


class TermWeights(Protocol):
    """How much each stemmed term says (its inverse document frequency)."""

    def weights(self, terms: Iterable[str]) -> dict[str, float]:
        """The weight of each distinct term; one the corpus never uses weighs as the rarest."""
        ...

    def knows_any(self, terms: Iterable[str]) -> bool:
        """Whether the corpus uses any of ``terms``."""
        ...


@runtime_checkable  # retrieval, a pydantic model, checks what it is given
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
        self, vector: np.ndarray, k: int, window: DateWindow | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` chunks nearest ``vector`` by cosine, ``(chunk_id, score)``, best first."""
        ...

    def lexical_search(
        self,
        terms: Sequence[str],
        k: int,
        window: DateWindow | None = None,
        also: Sequence[int] = (),
    ) -> dict[int, float]:
        """BM25 scores of the ``k`` best chunks for ``terms``, and of the ``also`` chunks.

        Only chunks inside ``window`` score; an empty result means no term is known.
        """
        ...

    def vectors(self, chunk_ids: Sequence[int]) -> np.ndarray:
        """Stored embeddings of the given chunks, in that order."""
        ...

    def chunks(self, chunk_ids: Sequence[int]) -> list[Chunk]:
        """Chunks by id, in the order asked, with their text."""
        ...

    def document(self, doc_id: int) -> SourceDocument | None:
        """A document with its full text, or None."""
        ...

    def document_by_key(self, key: str) -> SourceDocument | None:
        """A document by its public key, or None."""
        ...

    def document_meta(self, doc_ids: Sequence[int]) -> dict[int, DocumentMeta]:
        """``doc_id -> (source, title, date, key)`` without loading texts."""
        ...

    def sources(self) -> list[str]:
        """Every document's source, by document id."""
        ...

    def sample_texts(self, limit: int) -> list[str]:
        """Up to ``limit`` document texts, newest first."""
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
