"""What one side says: the sentences whose view is the subject's own (it is the one
saying, arguing, accusing, denying), never the other side's account of it. A side no
passage names is a refusal that says so."""

from __future__ import annotations

import re
from dataclasses import replace

from app.answer.extractive.compose.base import (
    Plan,
    distinct,
    held_by,
    named_nowhere,
    read,
    strays,
)
from app.answer.extractive.compose.fact import FactComposer
from app.question.analysis import Question
from app.rerank.base import Ranked, Sentence
from app.settings import AnswerSettings, ComposerWeights
from app.text.analysis import terms

__all__ = ["PositionComposer"]


def _score(s: Sentence, w: ComposerWeights) -> float:
    return s.relevance + w.position_cue * s.cue


# Acts of saying specific enough that a sentence doing the same answers best: "What is
# Islamabad accusing the Taliban of?" is answered by its accusations ("say" and "think"
# are anything anyone says).
_ACTS = frozenset(
    terms("accuse allege blame deny demand claim warn threaten insist propose condemn")
)
# "did not actually accuse", "never claimed": an act not done.
_NOT_DONE = re.compile(r"\b(?:not(?!\s+only)|never|n['’]t)\s+(?:\w+\s+){0,2}?$", re.IGNORECASE)


def _asked_act(question: Question) -> str | None:
    """The specific act of saying the question asks about (its term), if any."""
    return next((t for t in question.terms if t in _ACTS), None)


def _does(s: Sentence, act: str) -> bool:
    """Whether ``s`` reports the act ``act`` done, not denied having been done."""
    for found in re.finditer(r"[\w’'-]+", s.text):
        if terms(found.group()) == [act] and not _NOT_DONE.search(s.text[: found.start()]):
            return True
    return False


class PositionComposer:
    """The subject's own stated views, best first."""

    def compose(self, question: Question, ranked: Ranked, settings: AnswerSettings) -> Plan:
        """See the module's description."""
        w = settings.weights
        subject = ranked.subject or question.subject
        if subject is None:
            return FactComposer().compose(question, ranked, settings)
        if named_nowhere(subject, ranked):  # "What is China's position?" and none is quoted
            return Plan(refusal=f"The documents don't mention {subject.name}.")
        holds = [(s, held_by(s, subject)) for s in read(ranked)]
        own = [s for s, h in holds if h == 1]
        # What is said about the subject in no one else's name ("The defense minister has
        # made similar comments, accusing…"): theirs too where the model reads it as the
        # better answer, and all there is when nobody is quoted.
        quoted = max((s.relevance for s in own), default=0.0)
        own += [
            s for s, h in holds if h == 0 and s.about and s.cue and s.relevance > quoted
        ]  # fmt: skip
        if not own:
            return FactComposer().compose(question, ranked, settings)
        own.sort(key=lambda s: (s.read, _score(s, w)), reverse=True)
        if strays(own[0], ranked, w.stray_own_kind):  # a plain answer, but not the other side's
            others = tuple(s for s in ranked.sentences if held_by(s, subject) >= 0)
            return FactComposer().compose(question, replace(ranked, sentences=others), settings)
        best = _score(own[0], w)
        kept = [own[0]] + [
            s for s in own[1:] if s.read and _score(s, w) >= best * settings.min_relative_score
        ]
        act = _asked_act(question)
        if act is not None:  # its accusations first, when asked what it accuses
            kept.sort(key=lambda s: not _does(s, act))
        return Plan(tuple(distinct(kept, settings.max_sentences, w)))
