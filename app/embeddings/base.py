"""Embeddings with LangChain's ``Embeddings`` interface that also hand out NumPy
matrices, which indexing needs.

``ArrayEmbeddings`` has every method of LangChain's ``Embeddings`` without deriving from
it: that class's module imports LangChain's runnables and callbacks (0.3 s), which a
`docqa ask` never uses. It is registered as one (a virtual subclass) where LangChain is
in use (``app.langchain``); docqa's own code checks for ``ArrayEmbeddings``.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings


class ArrayEmbeddings(ABC):
    """Embeddings computed as a float32 matrix; the list API is derived from it."""

    @abstractmethod
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (n, dim) float32 matrix of L2-normalised vectors (``texts`` may be
        any sequence: indexing hands its chunks' texts over as slices of their documents,
        taken as they are read)."""

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Questions to vectors; models trained with a query instruction add it here."""
        return self.encode(texts)

    def warm(self) -> None:  # noqa: B027 (a hook: most embedders load on first use)
        """Load heavy resources now rather than on first use."""

    def release(self) -> None:  # noqa: B027 (a hook: most embedders keep nothing)
        """Give back the working memory a large run left behind (indexing calls it once a
        batch is embedded, before the index is written); the model stays loaded."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages (LangChain interface)."""
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """Embed one question (LangChain interface)."""
        return self.encode_queries([text])[0].tolist()

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages without blocking the event loop (LangChain interface)."""
        return await asyncio.to_thread(self.embed_documents, texts)

    async def aembed_query(self, text: str) -> list[float]:
        """Embed one question without blocking the event loop (LangChain interface)."""
        return await asyncio.to_thread(self.embed_query, text)


def embed_matrix(embeddings: Embeddings | ArrayEmbeddings, texts: Sequence[str]) -> np.ndarray:
    """Embed ``texts`` with any LangChain embeddings into a normalised float32 matrix."""
    if isinstance(embeddings, ArrayEmbeddings):
        matrix = embeddings.encode(texts)
    elif texts:
        matrix = np.asarray(embeddings.embed_documents(list(texts)), dtype=np.float32)
    else:
        return np.zeros((0, 0), dtype=np.float32)
    return normalise(matrix, in_place=True)  # the matrix is ours: no second copy


def embed_question(embeddings: Embeddings | ArrayEmbeddings, text: str) -> np.ndarray:
    """Embed one question into a normalised float32 vector."""
    if isinstance(embeddings, ArrayEmbeddings):
        vector = embeddings.encode_queries([text])[0]
    else:
        vector = np.asarray(embeddings.embed_query(text), dtype=np.float32)
    return normalise(vector[None, :])[0]


def normalise(matrix: np.ndarray, *, in_place: bool = False) -> np.ndarray:
    """L2-normalise rows, leaving zero rows at zero (``in_place``: into ``matrix`` itself,
    when it is already contiguous float32)."""
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    # Row by row through einsum: np.linalg.norm squares a copy of the whole matrix first
    # (25 MB for the 16,000 chunks of a 12 MB file, at the end of its indexing).
    norms = np.maximum(np.sqrt(np.einsum("ij,ij->i", matrix, matrix)), 1e-12)[:, None]
    if in_place:
        return np.divide(matrix, norms, out=matrix)
    return matrix / norms
