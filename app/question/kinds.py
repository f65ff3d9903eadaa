"""What kind of answer a question asks for, and where a sentence holds one.

"When did Warsaw become the capital?" wants a time and "How many people live there?"
a quantity: a sentence with no year or number in it cannot answer them, however many
of the question's words it repeats. The question's own wording decides the kind; the
candidates are found by plain patterns, which is all an extractive answer needs to
prefer the sentence (and the part of a long sentence) that can hold the answer.
"""

from __future__ import annotations

import re
from enum import Enum

__all__ = ["Kind", "answer_spans", "wanted"]


class Kind(Enum):
    TIME = "time"
    QUANTITY = "quantity"


# Month names only capitalised: "may" is more often a verb than a month.
_MONTHS = (
    "(?-i:January|February|March|April|May|June|July|August|September|October|November|December)"
)
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    "fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    "eighty|ninety|hundred|hundreds|thousand|thousands|million|millions|billion|billions|"
    "trillion|dozen|dozens|half|twice|thrice|once"
)
_ORDINAL_WORDS = "first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth"

# The question: its wh-phrase, wherever it stands ("In what year…", "…ended when?").
_ASKS = (
    (
        Kind.TIME,
        re.compile(
            r"\bwhen\b|\b(?:what|which)\s+(?:year|years|month|day|date|decade|century|era|"
            r"period|season|time\s+period)\b|\bhow\s+long\s+ago\b|\bwhat\s+time\b",
            re.IGNORECASE,
        ),
    ),
    (
        Kind.QUANTITY,
        re.compile(
            r"\bhow\s+(?:many|much|long|old|far|big|large|tall|high|wide|deep|heavy|fast|often)\b|"
            r"\b(?:what|which)\s+(?:percentage|percent|proportion|fraction|share|number|amount|"
            r"population|size|age|length|height|distance|speed|temperature|cost|price|total|"
            r"ratio|rate)\b",
            re.IGNORECASE,
        ),
    ),
)
_WHEN_CLAUSE = re.compile(r"\bwhen\b", re.IGNORECASE)

# The answer: spans of a sentence that can be one.
_YEAR = r"\b(?:1[0-9]{3}|20[0-9]{2})s?\b|\b\d{1,4}\s*(?:BC|BCE|AD|CE)\b|\b'\d0s\b"
_TIME = re.compile(
    rf"{_YEAR}|\b(?:{_MONTHS})\b|\b(?:\d{{1,2}}(?:st|nd|rd|th)|{_ORDINAL_WORDS}|"
    rf"nineteenth|eighteenth|seventeenth|sixteenth|fifteenth|twentieth|twenty-first)"
    rf"[\s-]+century\b|\b(?:\d{{1,2}}:\d{{2}})\b",
    re.IGNORECASE,
)
_QUANTITY = re.compile(
    rf"\b\d[\d,.]*(?:\s*%)?|\b(?:{_NUMBER_WORDS})(?:-(?:{_NUMBER_WORDS}))?\b",
    re.IGNORECASE,
)
_FINDS = {Kind.TIME: _TIME, Kind.QUANTITY: _QUANTITY}


def wanted(question: str) -> Kind | None:
    """The kind of answer ``question`` asks for, or None when its wording does not say.

    "What happened when the war ended?" asks for an event, not a time: "when" counts
    only where it opens the question or its last clause.
    """
    for kind, pattern in _ASKS:
        for match in pattern.finditer(question):
            bare_when = _WHEN_CLAUSE.fullmatch(match.group())
            if not bare_when or _opens_clause(question, match.start()):
                return kind
    return None


def _opens_clause(question: str, at: int) -> bool:
    """Whether the word at ``question[at:]`` opens the question or a clause, or ends
    the question ("The talks resumed when?")."""
    before = question[:at].rstrip().lower()
    rest = question[at:].split(maxsplit=1)[1:]
    return (
        not before
        or before.endswith((",", ";", ":", " and", " or", " but"))
        or not rest
        or rest[0].strip() == "?"
    )


def answer_spans(kind: Kind, text: str, question: str) -> list[tuple[int, int]]:
    """Character spans of ``text`` that could answer a question wanting ``kind``.

    A span the question already states ("What happened in 1848?") answers nothing.
    """
    asked = question.lower()
    return [
        m.span()
        for m in _FINDS[kind].finditer(text)
        if not re.search(rf"(?<!\w){re.escape(m.group().lower())}(?!\w)", asked)
    ]
