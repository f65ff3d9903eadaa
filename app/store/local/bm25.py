"""The lexical side of the local store: BM25 over chunk texts (bm25s), saved without pickles."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import bm25s
import numpy as np

from app.text.analysis import STOPWORDS, stemmer

__all__ = ["LexicalIndex"]


class LexicalIndex:
    """BM25 over chunk texts (bm25s), plus each term's IDF for scoring sentences."""

    def __init__(self, bm25: bm25s.BM25, idf: np.ndarray) -> None:
        self._bm25 = bm25
        self._vocab: dict[str, int] = bm25.vocab_dict
        self.idf = idf

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        """Index passages; an empty corpus gets an empty index."""
        tokenized = bm25s.tokenize(
            texts, stopwords=STOPWORDS, stemmer=stemmer(), show_progress=False, allow_empty=True
        )
        bm25 = bm25s.BM25()
        bm25.index(tokenized, show_progress=False)
        df = np.zeros(len(tokenized.vocab), dtype=np.float64)
        for ids in tokenized.ids:
            df[np.unique(np.asarray(ids, dtype=np.int64))] += 1
        # The bm25s id order is kept for vocab_dict, so the df array lines up with it.
        order = np.array([tokenized.vocab[t] for t in bm25.vocab_dict], dtype=np.int64)
        n = max(len(texts), 1)
        idf = np.log(1 + (n - df[order] + 0.5) / (df[order] + 0.5)).astype(np.float32)
        return cls(bm25, idf)

    def save(self, folder: Path) -> None:
        """Write the index as JSON and .npy files (no pickle)."""
        self._bm25.save(str(folder), allow_pickle=False)
        np.save(folder / "idf.npy", self.idf, allow_pickle=False)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """Read an index written by ``save``."""
        bm25 = bm25s.BM25.load(str(folder), allow_pickle=False)
        return cls(bm25, np.load(folder / "idf.npy", allow_pickle=False))

    def problem(self, chunks: int) -> str | None:
        """What is inconsistent in the loaded arrays for an index of ``chunks`` passages."""
        scores = self._bm25.scores
        data, indices, indptr = (np.asarray(scores[k]) for k in ("data", "indices", "indptr"))
        terms = len(self._vocab)
        if scores.get("num_docs") != chunks:
            return f"counts {scores.get('num_docs')} passages for {chunks} chunks"
        if len(self.idf) != terms or len(indptr) not in (terms, terms + 1):
            return f"has arrays of {len(self.idf)} and {len(indptr)} terms for {terms}"
        if len(data) != len(indices) or (len(indptr) and int(indptr[-1]) != len(data)):
            return "has score arrays of mismatched lengths"
        if len(indices) and (int(indices.min()) < 0 or int(indices.max()) >= max(chunks, 1)):
            return "refers to passages that do not exist"
        return None

    def term_ids(self, terms: list[str]) -> list[int]:
        """Ids of the terms the corpus knows; unknown terms cannot match anything."""
        return [self._vocab[t] for t in terms if t in self._vocab]

    def weights(self, terms: Iterable[str]) -> dict[str, float]:
        """IDF of each distinct term; a term the corpus never uses weighs as the rarest."""
        rarest = float(self.idf.max()) if len(self.idf) else 1.0
        return {
            t: float(self.idf[self._vocab[t]]) if t in self._vocab else rarest for t in set(terms)
        }

    def scores(self, terms: list[str]) -> np.ndarray | None:
        """BM25 score of every chunk, or None when no term is in the corpus."""
        known = [t for t in terms if t in self._vocab]
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32) if known else None

    def search(self, terms: list[str], k: int) -> list[tuple[int, float]]:
        """The ``k`` best chunks by BM25 as ``(chunk_id, score)``, best first, scores > 0."""
        scores = self.scores(terms)
        if scores is None or k <= 0:
            return []
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]
