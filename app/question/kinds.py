"""What kind of answer a question asks for, and where a sentence holds one.

"When did Warsaw become the capital?" wants a time and "How many people live there?"
a quantity: a sentence with no year or number in it cannot answer them, however many
of the question's words it repeats. "Who…" wants a person and "Where…" a place: names,
which nearly every sentence holds, so they mark where in a sentence the answer stands
rather than which sentence holds it. The question's own wording decides the kind; the
candidates are found by plain patterns.
"""

from __future__ import annotations

import re
from enum import Enum

__all__ = ["NOT_NAMES", "Kind", "answer_spans", "asked_role", "times_in", "wanted"]


class Kind(Enum):
    TIME = "time"
    QUANTITY = "quantity"
    PERSON = "person"
    PLACE = "place"

    @property
    def names(self) -> bool:
        """Whether a name answers it: who, or which place."""
        return self in (Kind.PERSON, Kind.PLACE)

    @property
    def ranks(self) -> bool:
        """Whether holding such a span says a sentence can answer (names are everywhere)."""
        return self in (Kind.TIME, Kind.QUANTITY)


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

# Words for a person: "which minister", "the name of the spokesman".
_PEOPLE = (
    r"(?:person|people|man|woman|king|queen|president|leader|minister|general|emperor|"
    r"artist|author|writer|scientist|player|coach|ruler|pope|architect|composer|inventor|"
    r"spokesman|spokeswoman|spokesperson|commander|founder|envoy|ambassador|governor|mayor|"
    r"analyst|journalist|reporter|correspondent)"
)
# "the name of the Taliban spokesman": up to three words before the word for the person.
_NAME_OF = r"\bname\s+of\s+(?:the|a|an|its|their)\s+(?:[\w’'-]+\s+){0,3}?"
# Offices a person is asked for by, which no synonym in the articles would stand for.
_OFFICES = (
    r"(?:spokesman|spokeswoman|spokesperson|leader|commander|founder|minister|president|"
    r"envoy|ambassador|governor|mayor|king|queen|emperor|pope)"
)
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
    (
        Kind.PERSON,
        re.compile(
            rf"\bwho(?:m|se)?\b|\b(?:what|which)\s+{_PEOPLE}\b|"
            # "What is the name of the Taliban spokesman who…"
            rf"{_NAME_OF}{_PEOPLE}\b",
            re.IGNORECASE,
        ),
    ),
    (
        Kind.PLACE,
        re.compile(
            r"\bwhere\b|\b(?:what|which)\s+(?:city|country|state|place|region|town|"
            r"province|continent|area|location|county|district|island|river|village|"
            r"capital|nation|site|stadium)\b",
            re.IGNORECASE,
        ),
    ),
)
# Words that may only ask for their kind where they open the question or a clause.
_CLAUSE_WORD = re.compile(r"\b(?:when|who|whom|whose|where)\b", re.IGNORECASE)

# The answer: spans of a sentence that can be one.
_YEAR = r"\b(?:1[0-9]{3}|20[0-9]{2})s?\b|\b\d{1,4}\s*(?:BC|BCE|AD|CE)\b|\b'\d0s\b"
# A whole date first, so "February 27, 2026" is one span and not a month.
_DATE = (
    rf"\b(?:{_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b|"
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})(?:,?\s+\d{{4}})?\b|"
    rf"\b(?:(?:early|mid|late)[\s-]+)?(?:{_MONTHS})\s+(?:of\s+)?\d{{4}}\b"
)
_TIME = re.compile(
    rf"{_DATE}|{_YEAR}|\b(?:{_MONTHS})\b|\b(?:\d{{1,2}}(?:st|nd|rd|th)|{_ORDINAL_WORDS}|"
    rf"nineteenth|eighteenth|seventeenth|sixteenth|fifteenth|twentieth|twenty-first)"
    rf"[\s-]+century\b|\b(?:\d{{1,2}}:\d{{2}})\b",
    re.IGNORECASE,
)
_QUANTITY = re.compile(
    rf"\b\d[\d,.]*(?:\s*%)?|\b(?:{_NUMBER_WORDS})(?:-(?:{_NUMBER_WORDS}))?\b",
    re.IGNORECASE,
)
# A name: capitalised words, with the particles names carry between them.
_NAME = re.compile(
    r"(?-i:[A-Z][\w’'.-]*[\w.])(?:\s+(?:(?:of|de|da|del|der|van|von|al|bin|ibn|la|le|du|"
    r"the|and)\s+)?(?-i:[A-Z](?:[\w’'.-]*[\w.])?))*"
)
# "Who is Khalid Sultan?" names the person and asks what they are: no name answers it.
_WHO_IS_NAMED = re.compile(
    r"^\s*who\s+(?:is|was|are|were)\s+(?:(?-i:[A-Z])[\w’'.-]*\s*)+\??\s*$", re.IGNORECASE
)
MIN_SHARED_STEM = 5  # a name word this long that extends a question word restates it
_FINDS = {Kind.TIME: _TIME, Kind.QUANTITY: _QUANTITY, Kind.PERSON: _NAME, Kind.PLACE: _NAME}
# Capitalised only because they open a sentence, or never a name.
NOT_NAMES = frozenset([
    "the", "a", "an", "in", "on", "at", "of", "for", "to", "by", "from", "with", "as", "it",
    "its", "this", "that", "these", "those", "he", "she", "they", "we", "i", "you", "our",
    "my", "his", "her", "their", "there", "here", "but", "and", "or", "so", "if", "when",
    "while", "after", "before", "since", "during", "mr", "mrs", "ms", "dr", "monday",
    "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
    "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december",
])  # fmt: skip


def times_in(text: str) -> list[str]:
    """The dates, months, years and centuries ``text`` names, as written."""
    return [m.group() for m in _TIME.finditer(text)]


def wanted(question: str) -> Kind | None:
    """The kind of answer ``question`` asks for, or None when its wording does not say.

    "What happened when the war ended?" asks for an event, not a time: "when" counts
    only where it opens the question or its last clause.
    """
    if _WHO_IS_NAMED.match(question):
        return None
    for kind, pattern in _ASKS:
        for match in pattern.finditer(question):
            bare = _CLAUSE_WORD.fullmatch(match.group())
            if not bare or _opens_clause(question, match.start()):
                return kind
    return None


# The office a person is asked for by: "the name of the Taliban spokesman who…", "who is
# the group's spokesman" ("which journalist" may be answered by "the host").
_ROLE = re.compile(
    rf"{_NAME_OF}(?P<named>{_OFFICES})\b|"
    rf"\bwho\s+(?:is|was|are|were)\s+(?:the|a|an)\s+(?:[\w’'-]+\s+){{0,3}}?(?P<who>{_OFFICES})"
    r"(?=\s+(?:of|who|that|for|in|at|on)\b|\s*[?.!]|\s*$)",
    re.IGNORECASE,
)


def asked_role(question: str) -> str | None:
    """The word for the person ``question`` asks for ("spokesman" in "What is the name
    of the Taliban spokesman?"), lower case; None when it names no role."""
    found = _ROLE.search(question)
    if found is None:
        return None
    return next(r for r in found.groups() if r).lower()


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

    A span the question already states ("What happened in 1848?") answers nothing; a
    name loses the words the question states ("Pakistan's Defense Minister Khwaja Asif"
    answers "Who is Pakistan's defense minister?" with "Khwaja Asif").
    """
    asked = question.lower()
    spans = []
    for m in _FINDS[kind].finditer(text):
        if kind in (Kind.PERSON, Kind.PLACE):
            span = _new_name_words(text, m.start(), m.end(), asked)
            if span is not None:
                spans.append(span)
        elif not _stated(m.group(), asked):
            spans.append(m.span())
    return spans


def _stated(words: str, asked: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(words.lower())}(?!\w)", asked) is not None


def _new_name_words(text: str, start: int, end: int, asked: str) -> tuple[int, int] | None:
    """The part of the name ``text[start:end]`` the question does not already state."""
    words = list(re.finditer(r"\S+", text[start:end]))

    stated = [w for w in re.findall(r"\w+", asked) if len(w) >= MIN_SHARED_STEM]

    def known(word: str) -> bool:
        bare = word.strip("’'.,").lower()
        bare = re.sub(r"[’']s$", "", bare)
        # "Pakistani" restates a question about "Pakistan's" minister.
        shared = len(bare) >= MIN_SHARED_STEM and any(
            bare.startswith(w) or w.startswith(bare) for w in stated
        )
        return bare in NOT_NAMES or shared or _stated(bare, asked)

    while words and known(words[0].group()):
        words.pop(0)
    while words and known(words[-1].group()):
        words.pop()
    if not words:
        return None
    last = words[-1].group()
    # A full stop that ends the sentence is not part of a name ("U.S." keeps its own).
    trim = 1 if last.endswith(".") and "." not in last[:-1] else 0
    return start + words[0].start(), start + words[-1].end() - trim
