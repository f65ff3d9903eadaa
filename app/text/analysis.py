"""One analyser for passages and questions alike, and the one BM25 both stores score with.

Terms: lower case, words of two or more characters, English stop words dropped, Snowball
stems (PyStemmer) — the tokens ``bm25s`` makes, so an index built before scores alike.
Scores: BM25 in the "lucene" form, ``idf(t) * tf / (tf + K1 * (1 - B + B * len / avg))``
with ``idf = ln(1 + (N - df + 0.5) / (df + 0.5))``. The folder store computes it in
numpy, PostgreSQL in SQL, from the same constants (a contract test holds them equal).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from functools import lru_cache

import Stemmer

__all__ = ["K1", "STOPWORDS", "B", "analyse", "idf", "stemmer", "terms"]

# bm25s's defaults, kept whatever bm25s does next: both stores rank with these.
K1, B = 1.5, 0.75

# Lucene's short English list (as bm25s ships it), plus question words and auxiliaries:
# they say what kind of answer is wanted, never where it is, and would otherwise count as
# unmatched terms.
_LUCENE = [
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is",
    "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there",
    "these", "they", "this", "to", "was", "will", "with",
]  # fmt: skip
STOPWORDS = sorted(
    set(_LUCENE)
    | {"what", "who", "whom", "whose", "which", "when", "where", "why", "how", "many", "much"}
    | {"did", "does", "do", "has", "have", "had", "was", "were", "can", "could", "would"}
)
_STOP = frozenset(STOPWORDS)
_WORD = re.compile(r"(?u)\b\w\w+\b")


@lru_cache(maxsize=1)
def stemmer() -> Stemmer.Stemmer:
    """The English Snowball stemmer (built once)."""
    return Stemmer.Stemmer("english")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return str(stemmer().stemWord(word))


def terms(text: str) -> list[str]:
    """The stemmed content terms of ``text``, in order (repeats kept)."""
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP]


def analyse(texts: Iterable[str]) -> list[list[str]]:
    """``terms`` of each text, the same way for passages and questions."""
    return [terms(t) for t in texts]


def idf(n: int, df: float) -> float:
    """The "lucene" inverse document frequency of a term in ``df`` of ``n`` passages."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))
