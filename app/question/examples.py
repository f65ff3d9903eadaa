"""Example questions for the chat, from the things the documents name most."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

__all__ = ["example_questions"]

# Runs of capitalised words (optionally joined by "of"), as a cheap named-thing finder.
_NAMES = re.compile(r"(?<![.!?]\s)(?<![-\w])([A-Z][a-z]+(?: (?:of )?[A-Z][a-z]+)+)(?![-\w])")
_NOT_NAMES = {"The", "In", "On", "At", "But", "And"}


def example_questions(texts: Iterable[str], count: int = 4) -> list[str]:
    """Up to ``count`` questions about the names most documents among ``texts`` mention."""
    names: Counter[str] = Counter()
    for text in texts:
        seen = set(_NAMES.findall(text)) - _NOT_NAMES
        names.update(seen)  # counted once per document: spread beats repetition
    picked = [name for name, n in names.most_common(count) if n > 1] or [
        name for name, _ in names.most_common(count)
    ]
    return [f"What do the documents say about {name}?" for name in picked]
