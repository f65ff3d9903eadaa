"""The words shown for each chosen sentence.

A sentence is shown whole: the lead up to ``AnswerSettings.long_lead`` characters,
further sentences while they fit what is left of the answer's length budget (one that
does not fit is left out, never shown cut). A longer lead is cut at its clause
boundaries (commas, semicolons, dashes outside quotations) to the clauses around the
words that answer the question (a name, a date, a figure of the kind asked for) and its
heaviest terms; a single clause too long is cut to the words around them. Never through
an answer. Clauses that would begin or end at the question's own words are widened to
the words around them, up to the room (an answer stands next to the words asking for
it); otherwise never inside a quotation. Relative dates ("last Thursday") get the date
they mean from the article's date.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.question.analysis import Question
from app.question.kinds import answer_spans
from app.settings import AnswerSettings
from app.text.analysis import analyse
from app.text.dates import annotate

__all__ = ["LeadText", "answer_span", "shown_text"]

_SPACE = re.compile(r"\s+")
Span = tuple[int, int]
Fits = Callable[[int, int], bool]
# How long a lead is shown whole, how much room a further sentence needs and what a word
# of the kind asked for weighs in a cut: ``AnswerSettings``.
_ANSWER = AnswerSettings()
# Where a sentence may be cut: after a comma, semicolon or colon, or around a dash.
_CLAUSE_END = re.compile(r"(?<=[,;:])\s+|\s+(?=[—–-]\s)|(?<=[—–])\s+")
_QUOTE_MARKS = '“”"'


@dataclass(frozen=True)
class LeadText:
    """What is shown for one sentence, and the part of it that answers, if one does."""

    text: str
    answer_span: Span | None


def answer_span(
    question: Question, text: str, weights: dict[str, float], found: str | None = None
) -> Span | None:
    """The words of ``text`` that answer a who/when/where/how-many question: of the spans
    of the kind asked for, the one the reranker ``found``, else the one nearest the
    question's heaviest terms."""
    if question.kind is None:
        return None
    spans = answer_spans(question.kind, text, question.asked)
    if not spans:
        return None
    if found is not None:
        words = _SPACE.sub(" ", found).strip()
        chosen = [s for s in spans if text[s[0] : s[1]] == words]
        if chosen:
            return chosen[0]
    anchors = [m.start() for m, terms in _words(text) if any(t in weights for t in terms)]
    if not anchors:
        return spans[0]
    return min(spans, key=lambda s: min(abs(s[0] - a) for a in anchors))


def shown_text(
    question: Question,
    sentence: Any,
    weights: dict[str, float],
    limit: int | None,
    plain: bool,
    *,
    dated: bool = True,
    long: int = _ANSWER.long_lead,
    whole: int = _ANSWER.long_lead,
    room: int = _ANSWER.min_window_chars,
    kind_mass: float = _ANSWER.kind_mass,
) -> LeadText | None:
    """What is shown for ``sentence`` (a reranked ``Sentence``): whole, or (the lead,
    ``limit`` None) cut at clause boundaries past ``long``, unless the cut would only end
    it early and it is no longer than ``whole`` (the words that answer stand in its first
    ``long`` characters either way: a lead is not cut for nothing). A further sentence that does
    not fit ``limit`` is, for a question of fact (``plain``), cut at its clauses to fit
    (the words that answer may be in it, weighing ``kind_mass``), when at least ``room``
    characters are left; otherwise it is left out (None). ``dated``: relative dates
    explained."""
    text = _SPACE.sub(" ", sentence.text).strip()
    span = answer_span(question, text, weights, sentence.answer) if plain else None
    if limit is None and len(text) > long:
        # The lead's clauses follow the question's words, the span of the kind asked for
        # weighing in like them: the span guessed may be another figure or name of the
        # kind than the one the question asks about.
        cut = _clauses(text, weights, long, span, kind_mass, hold_span=False)
        if cut[0].startswith("…") or len(text) > whole:
            text, span = cut
    elif limit is not None and len(text) > limit:
        if not plain or limit < room:
            return None
        text, span = _clauses(text, weights, limit, span, kind_mass)
    shown, moved = _annotated(text, span, sentence.published) if dated else (text, span)
    return LeadText(shown, moved) if limit is None or len(shown) <= limit else None


def _quoted_at(text: str) -> list[bool]:
    """For each character, whether it stands inside a quotation."""
    inside, out = False, []
    for ch in text:
        if ch in _QUOTE_MARKS:
            inside = ch != "”" if ch != '"' else not inside
        out.append(inside)
    return out


def _clauses(
    text: str,
    weights: dict[str, float],
    limit: int,
    span: Span | None,
    kind_mass: float = _ANSWER.kind_mass,
    hold_span: bool = True,
) -> tuple[str, Span | None]:
    """The clauses of ``text`` around its answer and heaviest terms, within ``limit``;
    ``hold_span``: only clauses holding ``span`` (else it weighs in, ``kind_mass``)."""
    quoted = _quoted_at(text)
    cuts = [0] + [
        m.end() for m in _CLAUSE_END.finditer(text)
        if not quoted[m.start()] and not (span and span[0] < m.end() <= span[1])
    ] + [len(text)]  # fmt: skip
    pieces = [(a, b) for a, b in itertools.pairwise(cuts) if b > a]
    mass = []
    for a, b in pieces:
        terms = analyse([text[a:b]])[0]
        weight = sum(weights.get(t, 0.0) for t in terms)
        if span and a <= span[0] < b:
            weight += kind_mass * max(weights.values(), default=1.0) + 1.0
        mass.append(weight)
    room = limit - 4  # the ellipses
    windows = [
        (sum(mass[i : j + 1]), pieces[j][1] - pieces[i][0], pieces[i][0], pieces[j][1])
        for i in range(len(pieces))
        for j in range(i, len(pieces))
        if pieces[j][1] - pieces[i][0] <= room
        and (span is None or not hold_span or pieces[i][0] <= span[0] < pieces[j][1])
    ]
    if not windows or max(windows)[0] <= 0:
        # No clause holding the answer fits, or none holds the question's words: the
        # words around them, as a sentence too long for its clauses is cut.
        return _cut(text, weights, limit, span, kind_mass)
    *_, start, end = max(windows)  # the most weight; on a tie, the longest
    start, end = _past_the_question(text, start, end, weights, room)
    core = text[start:end].rstrip(" ,;:—–-")
    cut = ("… " if start > 0 else "") + core + (" …" if start + len(core) < len(text) else "")
    shift = 2 if start > 0 else 0
    kept = None
    if span and start <= span[0] and span[1] <= start + len(core):
        kept = (span[0] - start + shift, span[1] - start + shift)
    return cut, kept


# Clauses with fewer content words than this before their first word from the question,
# or after their last, show no answer to it there.
_MARGIN_WORDS = 3


def _past_the_question(
    text: str, start: int, end: int, weights: dict[str, float], room: int
) -> tuple[int, int]:
    """``text[start:end]``, clauses that begin or end at the question's own words, widened
    to the words around them up to ``room`` characters (a third of the room before when
    both sides need it, as answers more often follow): the answer stands next to the
    words that ask for it ("…to netmakers, who mend the nets…", "…relaunched (for
    example, the Harbour Guild…")."""
    words = _words(text[start:end])
    asked = [k for k, (_, terms) in enumerate(words) if any(t in weights for t in terms)]
    if not asked:
        return start, end
    content = [k for k, (_, terms) in enumerate(words) if terms]  # "which is called the"
    back = start > 0 and sum(k < asked[0] for k in content) < _MARGIN_WORDS
    on = end < len(text) and sum(k > asked[-1] for k in content) < _MARGIN_WORDS
    spare = room - (end - start)
    if back:
        reach = spare // 3 if on else spare
        before = re.finditer(r"\S+", text[:start])
        starts = [m.start() for m in before if m.start() >= start - reach]
        start = starts[0] if starts else start
    if on:
        ends = [m.end() for m in re.finditer(r"\S+", text) if end < m.end() <= start + room]
        end = ends[-1] if ends else end
    return start, end


def _annotated(text: str, span: Span | None, published: str | None) -> tuple[str, Span | None]:
    """``text`` with relative dates explained, and ``span`` moved to match."""
    if span is None:
        return annotate(text, published), None
    before = annotate(text[: span[0]], published)
    inside = annotate(text[span[0] : span[1]], published)
    after = annotate(text[span[1] :], published)
    return before + inside + after, (len(before), len(before) + len(inside))


def _words(text: str) -> list[tuple[re.Match[str], list[str]]]:
    matches = list(re.finditer(r"\S+", text))
    return list(zip(matches, analyse([m.group() for m in matches]), strict=True))


def _cut(
    text: str,
    weights: dict[str, float],
    limit: int,
    span: Span | None,
    kind_mass: float = _ANSWER.kind_mass,
) -> tuple[str, Span | None]:
    """The words of ``text`` around its heaviest cluster of terms, within ``limit``,
    holding all of ``span`` when it fits; the span's place in the cut text."""
    words = [m.span() for m, _ in _words(text)]
    mass = [sum(weights.get(t, 0.0) for t in terms) for _, terms in _words(text)]
    extra = kind_mass * max(weights.values(), default=0.0)
    room = limit - 4  # the ellipses
    inside = [k for k, (x, y) in enumerate(words) if span and span[0] < y and x < span[1]]
    for k in inside:
        mass[k] += extra

    def fits(i: int, j: int) -> bool:  # words i..j-1
        return words[j - 1][1] - words[i][0] <= room

    first, last = _heaviest(words, mass, fits)
    heavy = [k for k in range(first, last) if mass[k] > 0] or [first]
    a, b = heavy[0], heavy[-1] + 1
    if inside and fits(min(inside[0], a), max(inside[-1] + 1, b)):
        a, b = min(inside[0], a), max(inside[-1] + 1, b)  # never through the answer
    a, b = _grow(a, b, len(words), fits)
    if a == b:  # one word longer than the limit
        return text[:room].rstrip() + " …", None
    start, end = words[a][0], words[b - 1][1]
    cut = ("… " if start > 0 else "") + text[start:end] + (" …" if end < len(text) else "")
    shift = 2 if start > 0 else 0
    kept = None
    if span and start <= span[0] and span[1] <= end:
        kept = (span[0] - start + shift, span[1] - start + shift)
    return cut, kept


def _heaviest(words: list[Span], mass: list[float], fits: Fits) -> tuple[int, int]:
    """The window of words (of at most the room ``fits`` allows) holding the most weight."""
    best, first, last, j, total = -1.0, 0, 1, 0, 0.0
    for i in range(len(words)):
        if j <= i:
            j, total = i, 0.0
        while j < len(words) and fits(i, j + 1):
            total += mass[j]
            j += 1
        if j > i and total > best:
            best, first, last = total, i, j
        total -= mass[i] if j > i else 0.0
    return first, last


def _grow(a: int, b: int, n: int, fits: Fits) -> tuple[int, int]:
    """Widen words a..b-1 while they fit: two words after for each word before, as
    answers more often follow the question's words than precede them."""
    grown = True
    while grown:
        grown = False
        for _ in range(2):
            if b < n and fits(a, b + 1):
                b, grown = b + 1, True
        if a > 0 and fits(a - 1, b):
            a, grown = a - 1, True
    return a, b
