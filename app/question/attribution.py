"""Questions that name whose account they want: "How many died, according to the UN?"."""

from __future__ import annotations

import re

__all__ = ["named_source"]

# "according to" in any case, then a capitalised name: "the United Nations", "Reuters".
_ACCORDING_TO = re.compile(
    r"\b(?i:according\s+to|as\s+reported\s+by|in\s+the\s+words\s+of)\s+(?:the\s+)?"
    r"(?P<name>[A-Z][\w.&'’-]*(?:\s+(?:of\s+|for\s+|and\s+)?[A-Z][\w.&'’-]*)*)"
)


def named_source(question: str) -> str | None:
    """The source a question attributes its answer to, if it names one."""
    match = _ACCORDING_TO.search(question)
    return match.group("name") if match else None
