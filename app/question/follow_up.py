"""Follow-up questions without a language model: rewritten by their shape.

- "And what about Kandahar?" after "What was hit in Kabul?" asks the same in Kandahar's
  frame: the name in the earlier question that ``Kandahar`` stands in for (the last
  one) is replaced: "What was hit in Kandahar?".
- "Which provinces?" after "Which cities did Pakistan bomb on February 27?" keeps the
  earlier question and changes what it asks for: "Which provinces did Pakistan bomb on
  February 27?".
- "What did he say?" after a question or answer about Khalid Sultan is about him: a
  personal pronoun is replaced by the last person named (a name of two or more words),
  in the last answer or question.
- "When did it first emerge?" after "What's the TTP?": "it" (or "its") is the last name
  the earlier question gives.
- "Why does the second one matter?" after an answer naming Kabul and Kandahar is about
  Kandahar: "the first", "the second one", "the last", "the former", "the latter" stand
  for that name among those the last answer gives that the earlier question did not.
- Any other question that leans on what came before (another pronoun, an opening "and",
  almost no content words and no name of its own) is searched with the earlier question
  in front of it; "What is the population of Kabul?" stands on its own.
- A question that names no one and no time ("Do we know how many people died?") after
  one that did is asked in that frame: the earlier question's names and dates follow it.

The answer always shows the question as asked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.question.kinds import NOT_NAMES, times_in
from app.text.analysis import analyse

__all__ = ["follow_up_query", "turns_of"]

_ANAPHORA = re.compile(
    r"\b(it|its|they|them|their|theirs|he|him|his|she|her|hers|this|that|these|those|"
    r"there|then|the same|the other)\b",
    re.IGNORECASE,
)
_PERSONAL = re.compile(r"\b(he|him|his|she|her|hers)\b", re.IGNORECASE)
_OPENERS = re.compile(r"^\s*(and|also|but|so|what about|how about|and what about)\b", re.I)
# "And what about Kandahar?", "How about in March?", "What of the TTP?", "And Kandahar?"
_ABOUT = re.compile(
    r"^\s*(?:and\s+|but\s+|also\s+)?(?:(?:what|how)\s+about|what\s+of|same\s+for|and)\s+"
    r"(?P<rest>.+?)\s*\??\s*$",
    re.IGNORECASE,
)
# "Which provinces?", "How many civilians?", "When?": what to ask for, and nothing else.
_ELLIPTIC = re.compile(
    r"^\s*(?:and\s+)?(?P<wh>(?:which|what|how\s+many|how\s+much)(?:\s+[a-z-]+){1,3}|when|"
    r"where|who|why|how)\s*\??\s*$",
    re.IGNORECASE,
)
# Words that make a question of their own, not a phrase asking for a kind of thing.
_NOT_ASKED_FOR = frozenset([
    "about", "of", "did", "do", "does", "is", "are", "was", "were", "has", "have", "had",
    "can", "could", "will", "would", "should", "he", "she", "it", "they", "them", "him",
    "her", "his", "its", "their", "this", "that", "there",
])  # fmt: skip
_WH_PHRASE = re.compile(
    r"^\s*(?P<wh>(?:which|what|how\s+many|how\s+much)\s+(?:[a-z-]+\s+){0,2}?[a-z-]+s?|when|"
    r"where|who|why|how)(?=\s+(?:did|do|does|was|were|is|are|has|have|had|can|could|will|"
    r"would)\b)",
    re.IGNORECASE,
)
# Capitalised words, with the particles names carry between them.
_NAME = re.compile(
    r"(?-i:[A-Z][\w’'-]*)(?:\s+(?:(?:of|de|al|bin|ibn|van|von|the)\s+)?(?-i:[A-Z][\w’'-]*))*"
)
# Capitalised only because they open a question (beside the words that never name
# anything, months and weekdays included, in ``kinds.NOT_NAMES``).
_OPENERS_NOT_NAMES = frozenset([
    "what", "who", "where", "why", "how", "which", "was", "were", "is", "are", "did", "does",
    "do", "has", "have", "had", "can", "could", "will", "would", "should", "whose", "whom",
    "tell", "list", "give", "show", "describe", "explain", "summarize", "summarise", "define",
    "compare", "name", "outline", "trace", "lay", "put",
])  # fmt: skip
# "what's…", "how did…": the rest of "And …?" is a question of its own.
_OWN_QUESTION = re.compile(
    r"^(?:what|who|whom|whose|where|when|why|how|which|is|are|was|were|did|does|do|has|have|"
    r"can|could|will|would)\b",
    re.IGNORECASE,
)
_POSSESSIVE = re.compile(r"['’]s?$")
MAX_CONTENT_TERMS = 2  # a question with this few content words leans on what came before


def turns_of(history: Sequence[Mapping[str, Any]] | None) -> list[tuple[str, str]]:
    """``(role, text)`` of each usable message, white space folded."""
    return [
        (str(m.get("role")), " ".join(m["content"].split()))
        for m in history or ()
        if m.get("role") in ("user", "assistant")
        and isinstance(m.get("content"), str)
        and m["content"].strip()
    ]


def follow_up_query(question: str, history: Sequence[Mapping[str, Any]] | None) -> str:
    """The retrieval query for ``question`` asked after ``{"role", "content"}`` messages."""
    turns = turns_of(history)
    asked = [text for role, text in turns if role == "user"]
    if not asked:
        return question
    previous = asked[-1]
    answered = next((t for r, t in reversed(turns) if r == "assistant"), "")
    for rewrite in (_in_frame, _asks_for_other, _by_place_in_list, _named_person, _named_thing):
        rewritten = rewrite(question, previous, answered)
        if rewritten is not None:
            return rewritten
    terms = analyse([question])[0]
    if (
        _ANAPHORA.search(question)
        or _OPENERS.match(question)
        or (len(set(terms)) <= MAX_CONTENT_TERMS and not _names(question))
    ):
        return f"{previous} {question}"
    return _in_context(question, previous)


@dataclass(frozen=True)
class _Name:
    """A name in a question: its words and where they stand."""

    text: str
    at: int

    def group(self) -> str:
        return self.text

    def start(self) -> int:
        return self.at

    def end(self) -> int:
        return self.at + len(self.text)


def _names(text: str) -> list[_Name]:
    """The names ``text`` holds, less the question words that open it ("What's the HSB"
    names the HSB)."""
    out = []
    for m in _NAME.finditer(text):
        words = list(re.finditer(r"\S+", m.group()))
        while words and _opener(words[0].group()):
            words.pop(0)
        if words:
            start = m.start() + words[0].start()
            out.append(_Name(text[start : m.start() + words[-1].end()], start))
    return out


def _opener(word: str) -> bool:
    bare = re.sub(r"['’](?:s|re|ve|ll|d)$", "", word.lower())
    return bare in _OPENERS_NOT_NAMES or bare in NOT_NAMES


def _in_frame(question: str, previous: str, answered: str) -> str | None:
    """ "And what about X?": the earlier question with its last name replaced by X."""
    found = _ABOUT.match(question)
    if found is None:
        return None
    subject = found.group("rest").strip()
    names = _names(previous)
    if not _names(subject) or not names:
        return None
    if _OWN_QUESTION.match(subject):
        # "And what's Kabul's counter-argument?": a question of its own, about the names
        # of the earlier one of other kinds than those it names.
        kinds = {_name_kind(n.group()) for n in _names(subject)}
        frame = [n.group() for n in names if _name_kind(n.group()) not in kinds]
        return _framed(subject, frame)
    kind = _name_kind(subject)
    same = [n for n in names if _name_kind(n.group()) == kind]
    last = (same or names)[-1]
    before, after = previous[: last.start()], previous[last.end() :]
    owner = _POSSESSIVE.search(last.group())
    if owner and not _POSSESSIVE.search(subject):
        subject += owner.group()  # "Pakistan's argument" -> "Afghanistan's argument"
    if re.search(r"\bthe\s+$", before, re.I):
        subject = re.sub(r"^the\s+", "", subject, flags=re.I)
    return before + subject + after


def _name_kind(name: str) -> str:
    """What a name names, as far as its form says: a country or capital, an acronym, or
    another name. "And Afghanistan?" after "What is Pakistan's argument about the TTP?"
    stands in for Pakistan, not the TTP."""
    from app.question.entities import is_place

    bare = _POSSESSIVE.sub("", name.strip(" ?.,"))
    if is_place(bare):
        return "place"
    if re.fullmatch(r"(?:the\s+)?[A-Z][A-Z0-9-]+", bare):
        return "acronym"
    return "name"


def _asks_for_other(question: str, previous: str, answered: str) -> str | None:
    """ "Which provinces?": the earlier question asking for provinces instead."""
    found = _ELLIPTIC.match(question)
    wh = _WH_PHRASE.match(previous)
    if found is None or wh is None:
        return None
    if _NOT_ASKED_FOR & set(found.group("wh").lower().split()[1:]):
        return None
    return previous[: wh.start("wh")] + found.group("wh").strip() + previous[wh.end("wh") :]


def _named_person(question: str, previous: str, answered: str) -> str | None:
    """ "What did he say?": the pronoun replaced by the last person named."""
    pronoun = _PERSONAL.search(question)
    if pronoun is None:
        return None
    # The person the earlier question was about, else the first one its answer names.
    people = [m.group() for text in (previous, answered) for m in _names(text)
              if len(m.group().split()) >= 2]  # fmt: skip
    if not people:
        return None
    person = people[0]
    word = pronoun.group().lower()
    replacement = f"{person}'s" if word in ("his", "hers") else person
    return question[: pronoun.start()] + replacement + question[pronoun.end() :]


def _framed(question: str, frame: list[str]) -> str:
    """``question`` asked about the names and dates of ``frame``, when there are any."""
    asked = question.rstrip(" ?")
    return f"{asked} ({', '.join(frame)})?" if frame else f"{asked}?"


def _in_context(question: str, previous: str) -> str:
    """``question`` followed by the names and dates of the earlier question, when it
    names neither itself."""
    if _names(question) or times_in(question):
        return question
    frame = [m.group() for m in _names(previous)]
    frame += [t for t in times_in(previous) if not any(t in f for f in frame)]
    return _framed(question, frame) if frame else question


_THING = re.compile(r"\b(it|its)\b", re.IGNORECASE)
_EXPLETIVE = re.compile(
    r"\b(?:is|was|isn['’]t|wasn['’]t|does|did)\s+it\s+(?:true|possible|likely|clear|known|"
    r"right|the\s+case|seem|appear|matter)\b|\bit\s+(?:is|was|seems|appears)\b",
    re.IGNORECASE,
)


def _named_thing(question: str, previous: str, answered: str) -> str | None:
    """ "When did it first emerge?": "it" replaced by the earlier question's last name."""
    pronoun = _THING.search(question)
    names = _names(previous)
    if pronoun is None or not names or _names(question) or _EXPLETIVE.search(question):
        return None  # a question with a name of its own, or "is it true that…"
    name = _POSSESSIVE.sub("", names[-1].group())
    if pronoun.group().lower() == "its":
        name += "'s"
    return question[: pronoun.start()] + name + question[pronoun.end() :]


_ORDINALS = {"first": 0, "former": 0, "second": 1, "latter": 1, "third": 2, "fourth": 3}
# "the second one", "the latter", "the last city": a place in the list the answer gave.
_IN_LIST = re.compile(
    r"\bthe\s+(?P<which>first|second|third|fourth|last|former|latter)"
    r"(?:\s+(?:one|city|place|province|country|group|person|man|woman)\b|(?=\s*(?:['’]s\b|[?.!,]|$)))"
    r"(?P<own>['’]s)?",
    re.IGNORECASE,
)


def _by_place_in_list(question: str, previous: str, answered: str) -> str | None:
    """ "Why does the second one matter?": the ordinal replaced by that name in the last
    answer, counting only names the earlier question did not give (its subject is not
    one of the things listed)."""
    found = _IN_LIST.search(question)
    if found is None or not answered:
        return None
    asked = {_POSSESSIVE.sub("", n.group()).lower() for n in _names(previous)}
    listed: list[str] = []
    for name in _names(answered):
        bare = _POSSESSIVE.sub("", name.group())
        if bare.lower() in asked or bare in listed or _not_an_item(answered, name, bare):
            continue
        listed.append(bare)
    # "Pakistani jets", "an Islamabad-based analyst": words that describe, not items.
    listed = [n for n in listed if not _demonym(n) and not re.search(r"-[a-z]+$", n)]
    which = found.group("which").lower()
    at = len(listed) - 1 if which == "last" else _ORDINALS[which]
    if (which in ("former", "latter") and len(listed) != 2) or not 0 <= at < len(listed):
        return None
    chosen = listed[at] + ("'s" if found.group("own") else "")
    return question[: found.start()] + chosen + question[found.end() :]


_SOURCE = re.compile(r"(?:according\s+to|source:|sources?\s+said|reported\s+by)\s*$", re.I)


def _not_an_item(answered: str, name: _Name, bare: str) -> bool:
    """A capital that opens a sentence ("Strikes hit Kabul"), unless it is a place's name,
    or the source of the report ("According to Reuters")."""
    before = answered[: name.start()].rstrip()
    opens = not before or before[-1] in '.!?:;"“'
    if opens and len(bare.split()) == 1:
        from app.question.entities import place_of

        if place_of(bare) is None:
            return True
    return _SOURCE.search(answered[: name.start()]) is not None


def _demonym(name: str) -> bool:
    """ "Pakistani jets": a people's adjective names no item of a list ("the Afghan
    Taliban" does)."""
    from app.question.entities import entity_of, place_of

    if len(name.split()) > 1:
        return False
    entity = entity_of(name)
    return bool(
        entity and entity.country and not place_of(name) and name.lower() != entity.name.lower()
    )
