"""How something has changed: the sentences that say it did ("have deteriorated
sharply", "has grown", "since 2021 … increasingly"), about what the question names."""

from __future__ import annotations

from app.answer.extractive.compose.base import STRAY_OWN_KIND, Plan, distinct, strays, usable
from app.answer.extractive.compose.fact import FactComposer
from app.question.analysis import Question
from app.rerank.base import Ranked, Sentence
from app.settings import AnswerSettings

__all__ = ["ChangeComposer"]

W_CUE, W_ABOUT, W_WINDOW = 0.3, 0.1, 0.1


def _score(s: Sentence) -> float:
    return s.relevance + W_CUE * s.cue + W_ABOUT * s.about + W_WINDOW * bool(s.in_window)


class ChangeComposer:
    """The sentences of change, best first."""

    def compose(self, question: Question, ranked: Ranked, settings: AnswerSettings) -> Plan:
        """See the module's description."""
        found = [s for s in usable(ranked) if s.cue]
        if not found:
            return FactComposer().compose(question, ranked, settings)
        found.sort(key=_score, reverse=True)
        if strays(found[0], ranked, STRAY_OWN_KIND):
            return FactComposer().compose(question, ranked, settings)
        best = _score(found[0])
        kept = [s for s in found if _score(s) >= best * settings.min_relative_score]
        return Plan(tuple(distinct(kept, settings.max_sentences)))
