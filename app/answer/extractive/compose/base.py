"""What every composer shares: the plan it returns, and how sentences are chosen so that
no two of an answer say the same thing.

A composer reads the reranked sentences (``Ranked``: those the model read, best first,
and the passages' other sentences with their features) and returns a ``Plan``: the
sentences to show, in order, each with an optional label (a side's name, a date) and
the other sentences that report the same fact (cited beside it), or a refusal with its
reason. The answerer turns the plan into the answer's text and citations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

from app.question.analysis import Question
from app.question.entities import Entity
from app.rerank.base import Ranked, Sentence
from app.settings import AnswerSettings, ComposerWeights
from app.text.analysis import analyse
from app.text.attribution import held

__all__ = [
    "Composer",
    "Form",
    "Pick",
    "Plan",
    "distinct",
    "held_by",
    "named_nowhere",
    "read",
    "same_fact",
    "strays",
    "usable",
]

WEIGHTS = ComposerWeights()  # the defaults, for callers without settings

Form = Literal["prose", "timeline", "positions", "points"]


@dataclass(frozen=True)
class Pick:
    """A sentence to show, its label, and other sentences reporting the same fact."""

    sentence: Sentence
    label: str | None = None
    also: tuple[Sentence, ...] = ()


@dataclass(frozen=True)
class Plan:
    """What a composer decided: the sentences in order and the answer's form, or a
    refusal (``refusal`` says why, for the reader)."""

    picks: tuple[Pick, ...] = ()
    form: Form = "prose"
    refusal: str | None = None


class Composer(Protocol):
    """Writes the answer for one intent from the same reranked sentences."""

    def compose(self, question: Question, ranked: Ranked, settings: AnswerSettings) -> Plan:
        """The plan for the answer (the evidence is already known to suffice)."""
        ...


# An intent's composer prefers sentences of its own kind, but not at any cost: when the
# one it would lead with is judged less than a share (``ComposerWeights.stray``) as
# relevant as the best sentence the model read, the plain fact answer is better.


def strays(lead: Sentence, ranked: Ranked, share: float) -> bool:
    """Whether ``lead`` strays too far (below ``share`` of its relevance) from the best
    sentence the model read."""
    best = max((s.relevance for s in usable(ranked)), default=0.0)
    if not lead.read:
        return best >= 0.5
    return lead.relevance < share * best


def usable(ranked: Ranked) -> list[Sentence]:
    """The sentences the model read that are not themselves questions, best first."""
    return [s for s in ranked.sentences if not s.asks]


def read(ranked: Ranked) -> list[Sentence]:
    """Every candidate that is not a question: the read ones first, best first."""
    return usable(ranked) + [s for s in ranked.unread if not s.asks]


def _terms(text: str) -> set[str]:
    return set(analyse([text])[0])


_OWNER = re.compile(r"^.*\b\w+['’]s?\s+(?=\w)")


def named_nowhere(subject: Entity, ranked: Ranked) -> bool:
    """Whether no passage names ``subject``: no sentence holds one of its names or (for
    a name that is not a country's) a word of what it names ("India's *foreign
    ministry*", "the Taliban *now*" counts by "Taliban"). What others said or did is not
    the subject's answer."""
    sentences = [*ranked.sentences, *ranked.unread]
    if any(subject.pattern().search(s.text) for s in sentences):
        return False
    if subject.country:
        return True
    head = _OWNER.sub("", subject.name)
    wanted = _terms(head) or _terms(subject.name)
    return bool(wanted) and not any(wanted & _terms(s.text) for s in sentences)


_NOT = re.compile(r"\b(?:not(?!\s+only)|never|no\s+longer|neither|nor)\b|n['’]t\b", re.IGNORECASE)


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def same_fact(a: Sentence, b: Sentence, share: float) -> bool:
    """Whether ``a`` and ``b`` say the same thing (most of the content words of the
    shorter one, ``share`` of them, are in the other): never when they are about
    different days (the council met on Tuesday, but not the same Tuesday), nor when
    only one of them denies ("did not accuse" is not "has begun to accuse")."""
    if a.doc_id == b.doc_id and a.start == b.start:
        return True
    if (
        a.dates
        and b.dates
        and not any(x.overlaps(y.first, y.last) for x in a.dates for y in b.dates)
    ):
        return False
    if bool(_NOT.search(a.text)) != bool(_NOT.search(b.text)):
        return False  # "initially did not accuse" and "has begun to accuse" say the opposite
    numbers = set(_NUMBER.findall(a.text)), set(_NUMBER.findall(b.text))
    if all(numbers) and not numbers[0] & numbers[1]:
        return False  # "the average farm was 40 hectares" is not "… was 55 hectares"
    words, others = analyse([a.text, b.text])
    one, two = set(words), set(others)
    if not one or not two:
        return False
    if a.doc_id == b.doc_id and words[0] not in two and others[0] not in one:
        # One article's "Wardens are elected by…" and "Clerks are elected by…": their
        # first content words, what each is about, differ.
        return False
    return len(one & two) / min(len(one), len(two)) >= share


def distinct(
    sentences: Iterable[Sentence], limit: int, weights: ComposerWeights = WEIGHTS
) -> list[Pick]:
    """Up to ``limit`` sentences in the order given, each saying something new; one that
    repeats an earlier pick (``weights.same_fact``) is cited beside it instead."""
    picks: list[Pick] = []
    for sentence in sentences:
        for k, pick in enumerate(picks):
            if same_fact(pick.sentence, sentence, weights.same_fact):
                if sentence.doc_id != pick.sentence.doc_id:
                    picks[k] = Pick(pick.sentence, pick.label, (*pick.also, sentence))
                break
        else:
            if len(picks) < limit:
                picks.append(Pick(sentence))
    return picks


def held_by(sentence: Sentence, side: Entity) -> int:
    """Whether the view ``sentence`` reports is ``side``'s own (1), another's (-1) or
    no one's (0)."""
    return held(
        sentence.text,
        sentence.before,
        side.pattern(),
        nation=side.country,
        earlier=sentence.earlier,
    )
