"""Why something happened: the sentence that gives the cause ("stems from", "a response
to", "because"), and, for a conflict between sides the question names, what each side
says of it, labelled by who holds it."""

from __future__ import annotations

from app.answer.extractive.compose.base import (
    Pick,
    Plan,
    distinct,
    held_by,
    read,
    strays,
    usable,
)
from app.answer.extractive.compose.fact import FactComposer
from app.question.analysis import Question
from app.rerank.base import Ranked, Sentence
from app.settings import AnswerSettings, ComposerWeights

__all__ = ["CauseComposer"]


def _score(s: Sentence, w: ComposerWeights) -> float:
    return s.relevance + w.cause_cue * s.cue


def _explained(ranked: Ranked) -> tuple[Pick, Pick] | None:
    """The best sentence and the one right after it, when that one gives the cause
    ("Islamabad had supported the Taliban since the 1990s. The strategy, experts say,
    was to install a pliant government…"): what a question asks why of is often
    explained by the next sentence, which the model reads alone as off the question."""
    best = next(iter(usable(ranked)), None)
    if best is None or best.cue >= 1:
        return None
    for s in read(ranked):
        if s.doc_id == best.doc_id and 0 <= s.start - best.end <= 2 and s.cue >= 1:
            return Pick(best), Pick(s)
    return None


class CauseComposer:
    """The cause, then each named side's own account of it."""

    def compose(self, question: Question, ranked: Ranked, settings: AnswerSettings) -> Plan:
        """See the module's description."""
        w = settings.weights
        found = [s for s in usable(ranked) if s.cue]
        found.sort(key=lambda s: _score(s, w), reverse=True)
        if not found or strays(found[0], ranked, w.stray_own_kind):
            explained = _explained(ranked)
            if explained is not None:
                return Plan(explained)
            return FactComposer().compose(question, ranked, settings)
        lead = distinct(found[:2], 2, w)
        sides = list(question.entities)
        if len(sides) < 2:
            return Plan(tuple(lead[: settings.max_sentences]))
        picks: list[Pick] = lead[:1]
        for side in sides[:2]:
            own = [s for s in read(ranked) if held_by(s, side) == 1]
            own.sort(key=lambda s: (s.read, _score(s, w)), reverse=True)
            taken = [p.sentence for p in picks]
            fresh = [s for s in own if s not in taken]
            if fresh:
                picks += distinct([*taken, fresh[0]], len(taken) + 1, w)[len(taken) :]
                if len(picks) > len(taken):
                    picks[-1] = Pick(picks[-1].sentence, side.name, picks[-1].also)
        return Plan(tuple(picks), form="positions" if any(p.label for p in picks) else "prose")
