"""Follow-up questions without an LLM: borrow the topic of the previous question.

"Who leads it?" after "What is the TTP?" has nothing to retrieve by itself. When a
question looks like a follow-up (it leans on a pronoun, opens with "and" or "what
about", or has almost no content words) the previous question is prepended to the
retrieval query; the answer still shows the question as asked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from app.text.analysis import analyse

__all__ = ["follow_up_query"]

_ANAPHORA = re.compile(
    r"\b(it|its|they|them|their|theirs|he|him|his|she|her|hers|this|that|these|those|"
    r"there|then|the same|the other)\b",
    re.IGNORECASE,
)
_OPENERS = re.compile(r"^\s*(and|also|but|so|what about|how about|and what about)\b", re.I)
MAX_CONTENT_TERMS = 2  # a question with this few content words leans on what came before


def follow_up_query(question: str, history: Sequence[Mapping[str, Any]] | None) -> str:
    """The retrieval query for ``question`` asked after ``{"role", "content"}`` messages."""
    previous = [
        " ".join(m["content"].split())
        for m in history or ()
        if m.get("role") == "user" and isinstance(m.get("content"), str) and m["content"].strip()
    ]
    if not previous:
        return question
    terms = analyse([question])[0]
    if (
        _ANAPHORA.search(question)
        or _OPENERS.match(question)
        or len(set(terms)) <= MAX_CONTENT_TERMS
    ):
        return f"{previous[-1]} {question}"
    return question
