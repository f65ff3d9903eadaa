"""The question pipeline: a ``Query`` flows condense → analyse → retrieve → rerank →
answer, over one index version.

Each stage is a typed call with a typed result; the pipeline times them and hands the
answer back with its evidence and timings. ``run`` is the last item of ``stream``: a
question answered whole and one answered as it is written take the same path.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.answer import Answerer, final_answer
from app.answer.evidence import calibrated
from app.question.analysis import Question, analyse_question, as_documents_name
from app.question.condense import Condenser
from app.rerank.base import Ranked, Reranker
from app.retrieval.hybrid import HybridRetriever
from app.store import Store
from app.text.analysis import terms
from app.text.spelling import respelled
from app.types import Answer, Delta, Hit, Reader

__all__ = ["Pipeline", "Query"]


@dataclass(frozen=True)
class Query:
    """What was asked, checked: the question, the chat before it, the publication window,
    the day it is asked on (``as_of``; None: today) and who asks."""

    question: str
    history: tuple[Mapping[str, Any], ...] = ()
    since: date | None = None
    until: date | None = None
    as_of: date | None = None
    reader: Reader | None = None
    # "extractive": answered by the extractive answerer even where an LLM is configured.
    answerer: str | None = None


@dataclass
class _Clock:
    """How long each stage took, in milliseconds."""

    started: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)
    _last: float = field(default_factory=time.perf_counter)

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = (now - self._last) * 1000
        self._last = now

    def total(self) -> dict[str, float]:
        return {**self.timings, "total": (time.perf_counter() - self.started) * 1000}


class Pipeline:
    """One index version's stages, built once per version and shared by every question."""

    def __init__(
        self,
        store: Store,
        condenser: Condenser,
        retriever: HybridRetriever,
        reranker: Reranker,
        answerer: Answerer,
        extractive: Answerer | None = None,
    ) -> None:
        self.store = store
        self.condenser = condenser
        self.retriever = retriever
        self.reranker = reranker
        self.answerer = answerer
        self.extractive = extractive or answerer

    @property
    def version(self) -> str:
        """The index version the stages read."""
        return self.store.version

    def analyse(self, query: Query) -> Question:
        """Condense and analyse: everything later stages need to know about the question."""
        search = self.condenser.standalone(query.question, query.history)
        # "neighbours" asked of articles that write "neighbors": searched as they write it.
        search = respelled(search, lambda word: self.store.knows_any(terms(word)))
        groups = query.reader.groups if query.reader is not None else None
        return analyse_question(
            query.question, search, query.since, query.until, groups, as_of=query.as_of
        )

    def retrieve(self, question: Question) -> list[Hit]:
        """The question's best passages."""
        return self.retriever.search(question)

    def rerank(self, question: Question, hits: Sequence[Hit]) -> Ranked:
        """The passages' sentences scored, best first."""
        return self.reranker.rerank(question, hits)

    def stream(self, query: Query) -> Iterator[Delta | Answer]:
        """The answer as it is written: ``Delta`` pieces, then the finished ``Answer``."""
        clock = _Clock()
        question = self.analyse(query)
        clock.lap("analyse")
        hits = self.retrieve(question)
        # A name the passages give something else is read as theirs ("…TTP, also known
        # as the Pakistani Taliban"), not as the country it seemed to name.
        question = as_documents_name(question, (h.chunk.text for h in hits))
        clock.lap("retrieve")
        ranked = self.rerank(question, hits)
        clock.lap("rerank")
        answerer = self.extractive if query.answerer == "extractive" else self.answerer
        for event in answerer.stream(question, ranked):
            if isinstance(event, Answer):
                clock.lap("answer")
                event = dataclasses.replace(
                    event,
                    question=question.asked,
                    evidence=ranked.evidence
                    if event.refused
                    else calibrated(question, ranked, event),
                    relevance=ranked.evidence,
                    timings_ms={**event.timings_ms, **clock.total()},
                )
            yield event

    def run(self, query: Query) -> Answer:
        """The finished answer: the stream's last item."""
        return final_answer(self.stream(query))
