"""Follow-up questions without an LLM: borrow the topic of the previous question.

"Who leads it?" after "What is the TTP?" has nothing to retrieve by itself. When a
question looks like a follow-up (it leans on a pronoun, opens with "and" or "what
about", or has almost no content words) the previous question is prepended to the
retrieval query; the answer still shows the question as asked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from app.lexical import analyse

__all__ = ["follow_up_query", "user_turns"]

_ANAPHORA = re.compile(
    r"\b(it|its|they|them|their|theirs|he|him|his|she|her|hers|this|that|these|those|"
    r"there|then|the same|the other)\b",
    re.IGNORECASE,
)
_OPENERS = re.compile(r"^\s*(and|also|but|so|what about|how about|and what about)\b", re.I)
MAX_CONTENT_TERMS = 2  # a question with this few content words leans on what came before


def user_turns(history: Sequence[Any] | None) -> list[str]:
    """The user's earlier questions, oldest first, from ``{"role", "content"}`` messages."""
    turns = []
    for message in history or ():
        role = message.get("role") if isinstance(message, dict) else getattr(message, "role", "")
        content = (
            message.get("content") if isinstance(message, dict) else getattr(message, "content", "")
        )
        if role == "user" and isinstance(content, str) and content.strip():
            turns.append(" ".join(content.split()))
    return turns


def follow_up_query(question: str, history: Sequence[Any] | None) -> str:
    """The retrieval query for ``question`` asked after ``history``."""
    previous = user_turns(history)
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
