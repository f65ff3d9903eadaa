"""One analyser for passages and questions alike: lower case, English stop words, Snowball stems."""

from __future__ import annotations

from functools import lru_cache

import bm25s
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

__all__ = ["STOPWORDS", "analyse", "stemmer"]


# bm25s's short English list plus question words and auxiliaries: they say what kind of
# answer is wanted, never where it is, and would otherwise count as unmatched terms.
STOPWORDS = sorted(
    set(STOPWORDS_EN)
    | {"what", "who", "whom", "whose", "which", "when", "where", "why", "how", "many", "much"}
    | {"did", "does", "do", "has", "have", "had", "was", "were", "can", "could", "would"}
)


@lru_cache(maxsize=1)
def stemmer() -> Stemmer.Stemmer:
    """The English Snowball stemmer (built once)."""
    return Stemmer.Stemmer("english")


def analyse(texts: list[str]) -> list[list[str]]:
    """Turn texts into lists of stemmed terms, the same way for passages and questions."""
    return bm25s.tokenize(
        texts, stopwords=STOPWORDS, stemmer=stemmer(), return_ids=False, show_progress=False
    )
