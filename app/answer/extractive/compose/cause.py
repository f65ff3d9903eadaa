"""Why something happened: the sentence that gives the cause ("stems from", "a response
to", "because"), and, for a conflict between sides the question names, what each side
says of it, labelled by who holds it."""

from __future__ import annotations

import re

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
from app.question.entities import Entity
from app.rerank.base import Ranked, Sentence
from app.settings import AnswerSettings, ComposerWeights

__all__ = ["CauseComposer"]


def _score(s: Sentence, w: ComposerWeights, actor: Entity | None = None) -> float:
    cue = s.cue if actor is None or not _actor_is_the_cause(s.text, actor) else 0.0
    return s.relevance + w.cause_cue * cue


# "X happened after / because / in response to Y": the effect before the word, the cause
# after it.
_LINK = re.compile(
    r"\b(?:after|because|due\s+to|owing\s+to|in\s+response\s+to|a\s+response\s+to|"
    r"in\s+retaliation\s+(?:for|to))\b",
    re.IGNORECASE,
)


# A conflict between the sides a question names: "Why are Afghanistan and Pakistan
# fighting?", "the root of the dispute", "Why have relations soured?"
_CONFLICT = re.compile(
    r"\b(?:fight\w*|fought|conflict\w*|war|wars|warring|tensions?|clash\w*|dispute\w*|"
    r"hostilit\w*|feud\w*|rift|quarrel\w*|standoff|stand-off|at\s+odds|enmity|rivalry|"
    r"confrontation\w*|escalat\w*|retaliat\w*|tit[\s-]for[\s-]tat|relations|relationship|"
    r"ties|falling[\s-]out|fell\s+out|split|broke\s+with|break\s+with)\b",
    re.IGNORECASE,
)


def _actor_is_the_cause(text: str, actor: Entity) -> bool:
    """Whether ``text`` gives what ``actor`` did as the cause of something else, not
    the cause of what it did: named only after the word that links the two ("The clashes
    occurred days after Pakistan carried out strikes" says why clashes occurred, not why
    Pakistan struck; "Islamabad launched the strikes after the Taliban attacked" does)."""
    link = _LINK.search(text)
    if link is None:
        return False
    pattern = actor.pattern()
    # The actor opens the clause after the link ("after Pakistan carried out"), not a
    # later one ("in response to a Taliban offensive, which was in response to
    # airstrikes by Pakistan").
    after = " ".join(text[link.end() :].split()[:4])
    return pattern.search(after) is not None and pattern.search(text[: link.start()]) is None


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
        # Who acts in the question ("Why did Pakistan's air force hit Kabul?"): its first name.
        actor = question.entities[0] if question.entities else None
        found = [s for s in usable(ranked) if s.cue and not s.caption]  # a photo has no cause
        found.sort(key=lambda s: _score(s, w, actor), reverse=True)
        if not found or strays(found[0], ranked, w.stray_own_kind):
            explained = _explained(ranked)
            if explained is not None:
                return Plan(explained)
            return FactComposer().compose(question, ranked, settings)
        lead = distinct(found[:2], 2, w)
        # Each side's account of a conflict between them, unless it asks someone else's
        # ("Why do experts say…"); "Why did Temüjin kill Jamukha's men?" has no sides.
        quarrel = _CONFLICT.search(question.search) is not None
        sides = (
            list(question.entities)
            if quarrel and not (question.onlookers or question.holder)
            else []
        )
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
