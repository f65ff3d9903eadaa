"""Example questions for the chat's empty state, made from the documents themselves: a
person they introduce ("Ibraheem Bahiss, a senior analyst…" → "Who is Ibraheem
Bahiss?"), an organisation they spell out ("Tehrik-e-Taliban Pakistan (TTP)" → "What is
the TTP?"), the places they name most ("What happened in Kabul?"), and what one of the
countries they name says. Only questions the analyst features answer well, each
grammatical whatever the names."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from app.question.entities import entity_of, place_of

__all__ = ["example_questions"]

# "Ibraheem Bahiss, a senior analyst": a person introduced by what they are.
_INTRODUCED = re.compile(
    r"\b((?-i:[A-Z][a-z’'-]+)(?:\s+(?-i:[A-Z][a-z’'.-]*)){1,2}),\s+(?:an?|the)\s+"
    r"(?:[a-z-]+\s+){0,3}(?:analyst|minister|leader|spokes\w+|director|head|chief|president|"
    r"professor|expert|official|commander|reporter|correspondent|founder|mayor|editor|"
    r"researcher|lawyer|governor|ambassador|secretary|general|officer|chairman|chair)\b"
)
# "Tehrik-e-Taliban Pakistan (TTP)": an organisation spelled out.
_SPELLED = re.compile(r"\b((?-i:[A-Z][\w’'-]*)(?:\s+(?-i:[A-Z][\w’'-]*)){1,5})\s+\(([A-Z]{2,6})\)")
_CAPITALISED = re.compile(r"\b(?-i:[A-Z][a-z]+)(?:\s+(?-i:[A-Z][a-z]+))?\b")


def example_questions(texts: Iterable[str], count: int = 4) -> list[str]:
    """Up to ``count`` questions about the people, organisations and places ``texts``
    name most (each counted once per document)."""
    people: Counter[str] = Counter()
    groups: Counter[str] = Counter()
    places: Counter[str] = Counter()
    countries: Counter[str] = Counter()
    said: Counter[str] = Counter()  # how often each short form is used, to break ties
    for text in texts:
        people.update(set(_INTRODUCED.findall(text)))
        shorts = {short for _, short in _SPELLED.findall(text)}
        groups.update(shorts)
        said.update({short: len(re.findall(rf"\b{short}\b", text)) for short in shorts})
        named = {place for n in set(_CAPITALISED.findall(text)) if (place := place_of(n))}
        places.update(named)
        countries.update({e.name for n in named if (e := entity_of(n)) is not None})
    out: list[str] = []
    if people:
        out.append(f"Who is {_top(people)[0]}?")
    if groups:
        out.append(f"What is the {_top(groups, said)[0]}?")
    top = _top(places)[:3]
    capitals = [p for p in top if p not in countries]
    if capitals or top:
        out.append(f"What happened in {(capitals or top)[0]}?")
    sides = _top(countries)[:2]
    if len(sides) == 2:
        out.append(f"Why are {sides[0]} and {sides[1]} in conflict?")
    elif sides:
        out.append(f"What does {sides[0]} say?")
    out.append("What happened this week?")
    return list(dict.fromkeys(out))[:count]


def _top(counts: Counter[str], used: Counter[str] | None = None) -> list[str]:
    """The names counted, most often first, then the most used, then alphabetical (the
    same examples whatever order the documents come in)."""
    used = used or Counter()
    return sorted(counts, key=lambda name: (-counts[name], -used[name], name))
