"""What someone did, or what was done: the sentences that report the action ("in
retaliation … launched", "bombed", "stormed"). When the question names who acted, their
own actions come first, not the actions done to them ("Islamabad launched the strikes
after the Taliban attacked" is Islamabad's); when it asks how they responded, the
sentences that report a response, and none for a country that never acts in them. A
subject no passage names is a refusal that says so."""

from __future__ import annotations

import re

from app.answer.extractive.compose.base import (
    Plan,
    distinct,
    held_by,
    named_nowhere,
    strays,
    usable,
)
from app.answer.extractive.compose.fact import FactComposer
from app.question.analysis import Question
from app.question.entities import Entity
from app.rerank.base import Ranked, Sentence
from app.settings import AnswerSettings

__all__ = ["EventComposer", "acts"]

_ACTION = re.compile(
    r"\b(?:launch\w*|struck|strikes?|hit|attack(?:ed|s)?|fired|bomb(?:ed|s)|storm(?:ed|s)|"
    r"carried\s+out|target(?:ed|s)|raid(?:ed|s)|shell(?:ed|s)|killed|seized|captured|"
    r"respond(?:ed|s)?|retaliat(?:ed|es|ing)|announced|closed|deployed|sent|ordered|"
    # a response in words is an action too: "Kabul has always resisted that call"
    r"resist(?:ed|s)|reject(?:ed|s)|refus(?:ed|es)|den(?:ies|ied)|dismiss(?:ed|es)|"
    r"condemn(?:ed|s)|vow(?:ed|s))\b",
    re.IGNORECASE,
)
_RESPONSE = re.compile(
    r"\b(?:in\s+retaliation|retaliat\w+|respond\w*|in\s+response|in\s+return|reply|replied|"
    r"hit\s+back|countered|den(?:y|ies|ied)|rejected|dismissed|condemned|vowed|resisted|"
    r"refused)\b",
    re.IGNORECASE,
)
_ASKS_RESPONSE = re.compile(
    r"\b(?:respond\w*|react\w*|retaliat\w*|repl(?:y|ied|ies)|answer\w*|hit\s+back)\b", re.I
)


# "How does the Afghan side usually react…": what it does as a rule, which a sentence
# says with "usually", "every time", "at times", "has always".
_AS_A_RULE = (
    r"usually|typically|normally|generally|habitually|routinely|as\s+a\s+rule|every\s+time|"
    r"each\s+time|whenever|tends?\s+to"
)
_ASKS_AS_A_RULE = re.compile(rf"\b(?:{_AS_A_RULE})\b", re.IGNORECASE)
_SAYS_AS_A_RULE = re.compile(
    rf"\b(?:{_AS_A_RULE}|at\s+times|often|always|precedent|again\s+and\s+again)\b", re.IGNORECASE
)


def acts(sentence: Sentence, subject: Entity) -> bool:
    """Whether ``subject`` is who acts in ``sentence``: named before its first action."""
    first = _ACTION.search(sentence.text)
    return (
        first is not None and subject.pattern().search(sentence.text[: first.start()]) is not None
    )


def _responds(sentence: Sentence, subject: Entity) -> bool:
    """Whether ``sentence`` may report ``subject`` responding: it acts in it, or the
    sentence names it and reports a response ("In response, the Indian foreign ministry
    called the claims baseless", "The accusations were rejected by India")."""
    return acts(sentence, subject) or (
        _RESPONSE.search(sentence.text) is not None
        and subject.pattern().search(sentence.text) is not None
    )


class EventComposer:
    """The actions, the subject's own first."""

    def compose(self, question: Question, ranked: Ranked, settings: AnswerSettings) -> Plan:
        """See the module's description."""
        subject = ranked.subject or question.subject
        response = _ASKS_RESPONSE.search(question.search) is not None
        w = settings.weights  # an action, the subject acting, a response when asked about

        def score(s: Sentence) -> float:
            return (
                s.relevance
                + w.event_cue * s.cue
                + w.event_agent * (subject is not None and acts(s, subject))
                + w.event_response * (response and _RESPONSE.search(s.text) is not None)
            )

        found = usable(ranked)  # a sentence of the kind counts in its favour, not alone
        if subject is not None and named_nowhere(subject, ranked):
            return Plan(refusal=f"The documents don't mention {subject.name}.")
        if not found:
            return FactComposer().compose(question, ranked, settings)
        if (
            response
            and subject is not None
            and subject.country
            and not any(_responds(s, subject) for s in found)
        ):
            # "How did India respond?" where India is only ever spoken of ("Indian
            # proxies"), never acts. A country goes by all its names (its capital, its
            # people), so none of them acting is telling; a group's name as asked may not
            # be the one the passages give it ("the Taliban leadership": "Kabul").
            return Plan(refusal=f"The documents don't say how {subject.name} responded.")
        found.sort(key=score, reverse=True)
        if strays(found[0], ranked, w.stray):
            return FactComposer().compose(question, ranked, settings)
        best = score(found[0])
        kept = [s for s in found if score(s) >= best * settings.min_relative_score]
        if subject is not None and _ASKS_AS_A_RULE.search(question.search):
            # what the subject itself does as a rule, first
            kept.sort(
                key=lambda s: (
                    not (
                        _SAYS_AS_A_RULE.search(s.text)
                        and (acts(s, subject) or held_by(s, subject) == 1)
                    )
                )
            )
        return Plan(tuple(distinct(kept, 2, w)))
