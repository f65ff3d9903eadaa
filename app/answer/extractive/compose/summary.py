"""A summary: three or four distinct points, each dated, drawn from as many articles as
carry them, in the order of their dates."""

from __future__ import annotations

from app.answer.extractive.compose.base import Pick, Plan, distinct, read
from app.answer.extractive.compose.timeline import (
    CAPTIONS_GIVE_WAY,
    event_date,
    is_caption,
    topic_terms,
)
from app.question.analysis import Question
from app.rerank.base import Ranked, Sentence
from app.settings import AnswerSettings
from app.text.analysis import analyse

__all__ = ["SummaryComposer"]


class SummaryComposer:
    """Distinct dated points, from several articles."""

    def compose(self, question: Question, ranked: Ranked, settings: AnswerSettings) -> Plan:
        """See the module's description."""
        topic = topic_terms(question)
        w = settings.weights

        def score(s: Sentence) -> float:
            shares = bool(topic & set(analyse([s.text])[0]))
            return (w.summary_relevance * s.relevance + w.summary_topic * shares
                    + w.summary_cue * s.cue + w.summary_about * s.about)  # fmt: skip

        found = sorted(read(ranked), key=score, reverse=True)
        plain = [s for s in found if not is_caption(s)]
        if len(plain) >= CAPTIONS_GIVE_WAY:
            found = plain
        chosen: list[Sentence] = []
        articles: set[int] = set()
        while found and len(chosen) < 3 * w.summary_points:
            # The next point: the best, counting a new article in its favour.
            best = max(
                found, key=lambda s: score(s) + w.summary_new_article * (s.doc_id not in articles)
            )
            found.remove(best)
            chosen.append(best)
            articles.add(best.doc_id)
        picks = distinct(chosen, w.summary_points, w)
        dated = []
        for pick in picks:
            when, own = event_date(pick.sentence, question)
            label = None if when is None else (when.label if own else f"reported {when.label}")
            key = (when.first if when else None, pick.sentence.doc_id, pick.sentence.start)
            dated.append((key, Pick(pick.sentence, label, pick.also)))
        dated.sort(key=lambda item: (item[0][0] is None, item[0][0] or 0, item[0][1:]))
        return Plan(tuple(p for _, p in dated), form="points")
