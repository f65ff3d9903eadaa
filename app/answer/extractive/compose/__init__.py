"""One composer per intent, each a small module over the same reranked sentences: the
answerer picks the composer by what the question asks for."""

from __future__ import annotations

from app.answer.extractive.compose.base import Composer, Form, Pick, Plan
from app.answer.extractive.compose.cause import CauseComposer
from app.answer.extractive.compose.change import ChangeComposer
from app.answer.extractive.compose.definition import DefinitionComposer
from app.answer.extractive.compose.event import EventComposer
from app.answer.extractive.compose.fact import FactComposer
from app.answer.extractive.compose.position import PositionComposer
from app.answer.extractive.compose.summary import SummaryComposer
from app.answer.extractive.compose.timeline import TimelineComposer
from app.question.intent import Intent

__all__ = ["COMPOSERS", "Composer", "Form", "Pick", "Plan", "composer_for"]

COMPOSERS: dict[Intent, Composer] = {
    Intent.FACT: FactComposer(),
    Intent.DEFINITION: DefinitionComposer(),
    Intent.CAUSE: CauseComposer(),
    Intent.EVENT: EventComposer(),
    Intent.POSITION: PositionComposer(),
    Intent.SUMMARY: SummaryComposer(),
    Intent.CHANGE: ChangeComposer(),
    Intent.TIMELINE: TimelineComposer(),
}


def composer_for(intent: Intent) -> Composer:
    """The composer that writes answers for ``intent``."""
    return COMPOSERS[intent]
