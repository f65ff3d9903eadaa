"""The reranking seam, between retrieval and answering.

A reranker reads a question's retrieved passages sentence by sentence and says how well
each sentence answers it; the passages come back in the order of their best sentence.
Both answerers read the result: the extractive one takes its sentences, the generative
one gives the model the passages in this order.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from app.question.analysis import Question
from app.question.entities import Entity
from app.text.dates import DateSpan
from app.types import Hit

__all__ = ["PairScorer", "Ranked", "Reranker", "Sentence"]


@dataclass(frozen=True)
class Sentence:
    """One sentence of a retrieved passage, a candidate for the answer.

    ``relevance`` (0 to 1) is the reranker's belief that the sentence answers the
    question; the refusal threshold is on its scale. ``rank`` orders candidates, and is
    ``relevance`` unless the reranker adds what only ranking should weigh.
    """

    chunk_id: int  # the passage it was read from
    doc_id: int
    start: int
    end: int
    text: str
    before: str  # the sentence before it in its paragraph, or ""
    lexical: float  # share of the question's term weight it holds, 0 to 1
    context: float  # the same, counting the sentence before it
    standing: float  # its passage's retrieval score over the best passage's, 0 to 1
    defines: bool  # spells out the acronym the question asks about
    asks: bool  # is itself a question (an interviewer's), or a guest's line that only
    # announces what follows ("there are two reasons."), so never an answer
    relevance: float = 0.0
    rank: float = 0.0
    # The words of ``text`` that answer a who/when/where/how-many question, as the
    # reranker found them, or None: the answerer then finds them by the question's terms.
    answer: str | None = None
    # What the question's intent, subject and time make of it (see ``sentences.py``).
    published: str | None = None  # its article's date
    dates: tuple[DateSpan, ...] = ()  # the dates it names, resolved against ``published``
    # Words of the kind the intent looks for ("in retaliation", "stems from"): 1, or less
    # for words that only may be ("after"), 0 for none.
    cue: float = 0.0
    about: bool = False  # names the question's subject (or, without one, what it names)
    # 1: its view is that of whose account is asked for (the holder, else the subject);
    # -1: another's; 0: nobody's
    held: int = 0
    in_window: bool | None = None  # whether it is about the days asked (None: none asked)
    # Who says it, where the passage does not name them: an interview's guest, when the
    # question is about them (the model reads "Ibraheem Bahiss: But my hope is…").
    speaker: str | None = None
    caption: bool = False  # in a photo's caption (its paragraph ends with the credit)
    earlier: str = ""  # the sentence before ``before`` in its paragraph, or ""
    read: bool = False  # whether the reranking model read it

    @property
    def when(self) -> DateSpan | None:
        """The date it reports on: the first it names, else none."""
        return self.dates[0] if self.dates else None


@dataclass(frozen=True)
class Ranked:
    """A question's passages and candidate sentences, best first, and the threshold
    below which the best sentence's relevance means the documents do not answer."""

    hits: tuple[Hit, ...]
    sentences: tuple[Sentence, ...]  # read by the model, best first
    min_relevance: float
    scorer: str  # what the relevance came from
    unread: tuple[Sentence, ...] = ()  # the passages' other sentences, with their features
    # The question's subject with the names the passages give it too (an acronym's long
    # form where they spell it out).
    subject: Entity | None = None
    # The question's words no document uses, its names aside ("mediate" in "Which country
    # offered to mediate?" over articles that never say it); the cross-encoder reranker
    # reads them for who and which-place questions, the only ones they refuse.
    unknown: tuple[str, ...] = ()

    @property
    def evidence(self) -> float:
        """How well the best sentence that is not itself a question answers, 0 to 1: below
        ``min_relevance`` the documents do not answer."""
        return max((s.relevance for s in self.sentences if not s.asks), default=0.0)


class Reranker(Protocol):
    """Re-scores a question's hits; a heavy model is loaded once, in ``warm``."""

    @property
    def name(self) -> str:
        """What scores the sentences."""
        ...

    def warm(self) -> None:
        """Load the model now rather than on the first question."""
        ...

    def rerank(self, question: Question, hits: Sequence[Hit]) -> Ranked:
        """The hits reordered, with their sentences scored, best first."""
        ...


class PairScorer(Protocol):
    """A model that reads a question with a text and scores the pair, 0 to 1."""

    @property
    def name(self) -> str:
        """The model's name."""
        ...

    def warm(self) -> None:
        """Load the model."""
        ...

    def score(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """The relevance of each text to the question."""
        ...

    def turn(self) -> AbstractContextManager[None]:
        """Hold the model for one question's whole reading: a model that serves a
        limited number of questions at once admits them in the order they came."""
        ...
