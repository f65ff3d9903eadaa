"""The question encoder: one embedding per question, shared by every stage that needs it."""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import TYPE_CHECKING

import numpy as np

from app.embeddings.base import ArrayEmbeddings, embed_question

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

__all__ = ["QuestionEncoder"]


class QuestionEncoder:
    """Embeds questions, remembering recent ones: retrieval and answering share one encode."""

    def __init__(self, embeddings: Embeddings | ArrayEmbeddings, size: int = 512) -> None:
        self.embeddings = embeddings
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def __call__(self, text: str) -> np.ndarray:
        """The normalised vector of ``text``."""
        with self._lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return self._cache[text]
        vector = embed_question(self.embeddings, text)
        with self._lock:
            self._cache[text] = vector
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return vector
