"""How something has changed: the sentences that say it did ("have deteriorated
sharply", "has grown", "since 2021 … increasingly"), about what the question names."""

from __future__ import annotations

from app.answer.extractive.compose.base import Plan, distinct, strays, usable
from app.answer.extractive.compose.fact import FactComposer
from app.question.analysis import Question
from app.rerank.base import Ranked, Sentence
from app.settings import AnswerSettings, ComposerWeights

__all__ = ["ChangeComposer"]


def _score(s: Sentence, w: ComposerWeights) -> float:
    return (s.relevance + w.change_cue * s.cue + w.change_about * s.about
            + w.change_window * bool(s.in_window))  # fmt: skip


class ChangeComposer:
    """The sentences of change, best first."""

    def compose(self, question: Question, ranked: Ranked, settings: AnswerSettings) -> Plan:
        """See the module's description."""
        w = settings.weights
        found = [s for s in usable(ranked) if s.cue]
        if not found:
            return FactComposer().compose(question, ranked, settings)
        found.sort(key=lambda s: _score(s, w), reverse=True)
        if strays(found[0], ranked, w.stray_own_kind):
            return FactComposer().compose(question, ranked, settings)
        best = _score(found[0], w)
        kept = [s for s in found if _score(s, w) >= best * settings.min_relative_score]
        return Plan(tuple(distinct(kept, settings.max_sentences, w)))
