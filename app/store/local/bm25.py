"""The lexical side of the local store: BM25 over chunk texts, in numpy, saved without
pickles.

The index is a term-major sparse matrix of each passage's BM25 weight for each term
(``data``, ``indices`` and ``indptr``, as ``.npy`` files, in the layout bm25s saves, so
versions written before read alike), the vocabulary (JSON) and each term's IDF. It is
built passage by passage into flat arrays (memory in proportion to the terms, not to
Python lists of lists), and a query sums the columns of its terms.
"""

from __future__ import annotations

import json
from array import array
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from app.text.analysis import K1, B, terms

__all__ = ["LexicalIndex"]

_FILES = ("data", "indices", "indptr")


class LexicalIndex:
    """BM25 weights of every passage for every term, and each term's IDF."""

    def __init__(
        self,
        vocab: dict[str, int],
        data: np.ndarray,
        indices: np.ndarray,
        indptr: np.ndarray,
        idf: np.ndarray,
        passages: int,
    ) -> None:
        self._vocab = vocab
        self.data, self.indices, self.indptr = data, indices, indptr
        self.idf = idf
        self.passages = passages

    @classmethod
    def build(cls, texts: Iterable[str]) -> LexicalIndex:
        """Index passages; an empty corpus gets an empty index."""
        vocab: dict[str, int] = {}
        docs, ids, tfs = array("I"), array("I"), array("I")
        lengths = array("I")
        for n, text in enumerate(texts):
            found = terms(text)
            lengths.append(len(found))
            for word, count in Counter(found).items():
                docs.append(n)
                ids.append(vocab.setdefault(word, len(vocab)))
                tfs.append(count)
        passages = len(lengths)
        # One posting per (passage, term): the arrays are read in place and each step's
        # intermediate freed, so building holds a few bytes per posting, not dozens.
        doc = np.frombuffer(docs, dtype=np.uint32)
        term = np.frombuffer(ids, dtype=np.uint32)
        length = np.frombuffer(lengths, dtype=np.uint32).astype(np.float64)
        df = np.bincount(term, minlength=len(vocab)).astype(np.float64)
        n = max(passages, 1)
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
        average = float(length.mean()) if passages else 1.0
        # Per passage, then per posting: K1 * (1 - B + B * len / avg).
        norm = (K1 * (1 - B + B * length / (average or 1.0)))[doc]
        tf = np.frombuffer(tfs, dtype=np.uint32).astype(np.float64)
        weight = (idf[term] * tf / (tf + norm)).astype(np.float32)
        del norm, tf
        order = np.argsort(term, kind="stable")
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(term, minlength=len(vocab)), out=indptr[1:])
        return cls(
            vocab,
            weight[order],
            doc[order].astype(np.int32),
            indptr,
            idf.astype(np.float32),
            passages,
        )

    def save(self, folder: Path) -> None:
        """Write the index as ``.npy`` and JSON files (no pickle)."""
        for name, array_ in zip(_FILES, (self.data, self.indices, self.indptr), strict=True):
            np.save(folder / f"{name}.csc.index.npy", array_, allow_pickle=False)
        (folder / "vocab.index.json").write_text(json.dumps(self._vocab), encoding="utf-8")
        params = {"k1": K1, "b": B, "method": "lucene", "num_docs": self.passages}
        (folder / "params.index.json").write_text(json.dumps(params), encoding="utf-8")
        np.save(folder / "idf.npy", self.idf, allow_pickle=False)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """Read an index written by ``save`` (or by bm25s, in an earlier docqa)."""
        data, indices, indptr = (
            np.load(folder / f"{name}.csc.index.npy", allow_pickle=False) for name in _FILES
        )
        vocab = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        params = json.loads((folder / "params.index.json").read_text(encoding="utf-8"))
        idf = np.load(folder / "idf.npy", allow_pickle=False)
        if not isinstance(vocab, dict) or not isinstance(params, dict):
            raise ValueError("not an index")
        return cls(vocab, data, indices, indptr, idf, int(params.get("num_docs", -1)))

    def problem(self, chunks: int) -> str | None:
        """What is inconsistent in the loaded arrays for an index of ``chunks`` passages."""
        terms_ = len(self._vocab)
        if self.passages != chunks:
            return f"counts {self.passages} passages for {chunks} chunks"
        if len(self.idf) != terms_ or len(self.indptr) not in (terms_, terms_ + 1):
            return f"has arrays of {len(self.idf)} and {len(self.indptr)} terms for {terms_}"
        data, indices, indptr = self.data, self.indices, self.indptr
        if len(data) != len(indices) or (len(indptr) and int(indptr[-1]) != len(data)):
            return "has score arrays of mismatched lengths"
        if len(indices) and (int(indices.min()) < 0 or int(indices.max()) >= max(chunks, 1)):
            return "refers to passages that do not exist"
        if len(self.indptr) == terms_:  # bm25s may omit the last pointer
            self.indptr = np.append(self.indptr, len(data))
        return None

    def term_ids(self, words: list[str]) -> list[int]:
        """Ids of the terms the corpus knows; unknown terms cannot match anything."""
        return [self._vocab[t] for t in words if t in self._vocab]

    def weights(self, words: Iterable[str]) -> dict[str, float]:
        """IDF of each distinct term; a term the corpus never uses weighs as the rarest."""
        rarest = float(self.idf.max()) if len(self.idf) else 1.0
        return {
            t: float(self.idf[self._vocab[t]]) if t in self._vocab else rarest for t in set(words)
        }

    def scores(self, words: list[str]) -> np.ndarray | None:
        """BM25 score of every chunk, or None when no term is in the corpus."""
        known = self.term_ids(words)
        if not known:
            return None
        out = np.zeros(self.passages, dtype=np.float32)
        for t in known:  # a repeated query term counts again, as bm25s counts it
            start, end = int(self.indptr[t]), int(self.indptr[t + 1])
            np.add.at(out, self.indices[start:end], self.data[start:end])
        return out

    def search(self, words: list[str], k: int) -> list[tuple[int, float]]:
        """The ``k`` best chunks by BM25 as ``(chunk_id, score)``, best first, scores > 0."""
        scores = self.scores(words)
        if scores is None or k <= 0:
            return []
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]
