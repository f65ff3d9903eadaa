"""What something or someone is: the sentence that says so about the subject ("X, a
senior analyst with…", "X, which is a militant group…", "X (…), also known as…"), not
the sentence that uses the name most, nor one reporting what a side claims X is. A
second sentence follows when it adds another defining fact."""

from __future__ import annotations

import re

from app.answer.extractive.compose.base import Plan, distinct, held_by, read
from app.answer.extractive.compose.fact import FactComposer
from app.question.analysis import Question
from app.question.entities import Entity
from app.rerank.base import Ranked, Sentence
from app.settings import AnswerSettings

__all__ = ["DefinitionComposer", "defining"]

# What a sentence counts beside the model's relevance: saying what the subject is, and
# spelling out the acronym asked about.

_AFTER_NAME = (
    r"(?:\s*\([^)]{1,80}\))?(?:\s+[\w-]+){0,2}?"  # "(TTP) extremist group"
    r"(?:,?\s+(?:which|who)\s+(?:is|was|are|were|has\s+been)\b"
    r"|,\s+(?:a|an|the|one\s+of)\s"
    r"|\s+(?:is|was|are|were)\s+(?:a|an|the|one\s+of)\b"
    r",?|,?\s+(?:also\s+)?known\s+as\b"
    r"|\s+(?:emerged|was\s+(?:founded|formed|created|set\s+up|established))\b)"
)
_BEFORE_NAME = r"(?:also\s+known\s+as|called|named|dubbed|spoke\s+to|led\s+by)\s+(?:the\s+)?"


def defining(sentence: Sentence, subject: Entity) -> bool:
    """Whether ``sentence`` says what ``subject`` is (and is not someone's claim)."""
    names = subject.alternatives()
    pattern = re.compile(rf"(?:{names}){_AFTER_NAME}|{_BEFORE_NAME}(?:{names})\b", re.I)
    return pattern.search(sentence.text) is not None and held_by(sentence, subject) >= 0


class DefinitionComposer:
    """The defining sentences about the subject; a plain fact answer without one."""

    def compose(self, question: Question, ranked: Ranked, settings: AnswerSettings) -> Plan:
        """See the module's description."""
        w = settings.weights
        subject = ranked.subject or question.subject
        if subject is None:
            return FactComposer().compose(question, ranked, settings)

        def score(s: Sentence) -> float:
            return (s.relevance + w.definition_defines * defining(s, subject)
                    + w.definition_spelled * s.defines + w.definition_cue * s.cue)  # fmt: skip

        about = [s for s in read(ranked) if s.defines or (s.about and defining(s, subject))]
        if not about:
            return FactComposer().compose(question, ranked, settings)
        # A sentence saying what the subject is leads however the model reads it: it
        # often reads an apposition ("the ferries are run by Harbourlink, the port's
        # transport authority") as barely relevant.
        about.sort(key=lambda s: (score(s), s.read), reverse=True)
        best = score(about[0])
        second = [s for s in about[1:] if s.read and score(s) >= best * settings.min_relative_score]
        return Plan(tuple(distinct([about[0], *second], 2, w)))
