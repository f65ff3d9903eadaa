"""A pair scorer that stands in for the cross-encoder in tests: deterministic, instant,
and reading words, so the production reranker's path is the one tested."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext

import numpy as np

__all__ = ["TermScorer"]


class TermScorer:
    """A pair scorer that reads words: the share of the question's words in the text."""

    name = "terms"

    def warm(self) -> None:
        """Nothing to load."""

    def turn(self) -> AbstractContextManager[None]:
        return nullcontext()

    def score(self, question: str, texts: Sequence[str]) -> np.ndarray:
        asked = {w.strip("?.,").lower() for w in question.split() if len(w) > 3}
        return np.array(
            [len(asked & {w.strip(".,").lower() for w in t.split()}) / max(len(asked), 1)
             for t in texts],
            dtype=np.float32,
        )  # fmt: skip
