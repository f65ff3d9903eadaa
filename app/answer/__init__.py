"""Answering: the seam every answerer fills, and the retrieve → rerank → answer chain."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from langchain_core.runnables import Runnable, RunnableLambda

from app.question.analysis import Question
from app.rerank.base import Ranked, Reranker
from app.types import Answer, Delta, Hit

__all__ = [
    "Answerer",
    "Retrieve",
    "final_answer",
    "finish",
    "make_chain",
    "make_steps",
    "stream_answer",
    "stream_pieces",
]


class Answerer(Protocol):
    """Turns a question and its reranked passages into a cited answer, or a refusal.

    ``ExtractiveAnswerer`` (no LLM) is the default; ``GenerativeAnswerer`` writes with
    a chat model and verifies its citations. ``answer`` is the last item of ``stream``.
    """

    mode: str

    def standalone(self, question: str, history: Sequence[Mapping[str, Any]] | None) -> str:
        """The retrieval form of a follow-up question, given the chat so far."""
        ...

    def stream(self, question: Question, ranked: Ranked) -> Iterator[Delta | Answer]:
        """The answer as it is written: ``Delta`` pieces, then the finished ``Answer``."""
        ...

    def answer(self, question: Question, ranked: Ranked) -> Answer:
        """The finished answer: the stream's last item."""
        ...

    def refusal(self, question: Question, ranked: Ranked) -> Answer:
        """The documents do not answer: the closest passages instead."""
        ...


class Retrieve(Protocol):
    """Retrieval as the chain needs it: a question's best passages."""

    def search(self, question: Question) -> list[Hit]:
        """The question's passages, best first."""
        ...


def final_answer(stream: Iterable[Delta | Answer]) -> Answer:
    """The ``Answer`` an answer's stream ends with."""
    final: Delta | Answer | None = None
    for final in stream:  # noqa: B007
        pass
    if not isinstance(final, Answer):
        raise TypeError("an answer's stream must end with the Answer")
    return final


def stream_pieces(text: str) -> Iterator[str]:
    """An answer in the increments it is streamed in: sentence by sentence, citation kept."""
    for piece in re.split(r"(?<=\]) ", text):
        if piece:
            yield piece


def stream_answer(answer: Answer) -> Iterator[Delta | Answer]:
    """A finished answer replayed as a stream."""
    for piece in stream_pieces(answer.answer):
        yield Delta(piece + " ")
    yield answer


def finish(
    result: Answer, question: Question, ranked: Ranked, timings: Mapping[str, float]
) -> Answer:
    """The answer under the question as asked, with its evidence and the time each stage
    took."""
    result = dataclasses.replace(result, question=question.asked, evidence=ranked.evidence)
    result.timings_ms.update(timings)
    return result


def _timed(name: str, step: Any) -> Runnable[dict[str, Any], dict[str, Any]]:
    """A chain step that adds its output and its time (ms) to the state it passes on."""

    def run(state: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        out = step(state)
        return {**state, **out, "timings": {**state["timings"], name: _ms(started)}}

    return RunnableLambda(run).with_config(run_name=name)


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def make_steps(retriever: Retrieve, reranker: Reranker) -> Runnable[Question, dict[str, Any]]:
    """``Question`` in; ``{"question", "hits", "ranked", "timings"}`` out."""
    start: Runnable[Question, dict[str, Any]] = RunnableLambda(
        lambda q: {"question": q, "timings": {}}
    )
    retrieve = _timed("retrieve", lambda s: {"hits": retriever.search(s["question"])})
    rerank = _timed("rerank", lambda s: {"ranked": reranker.rerank(s["question"], s["hits"])})
    return start | retrieve | rerank


def make_chain(
    retriever: Retrieve, reranker: Reranker, answerer: Answerer
) -> Runnable[Question, Answer]:
    """``Question`` in, ``Answer`` out: retrieval, reranking and answering as one runnable."""

    def answer(state: dict[str, Any]) -> Answer:
        started = time.perf_counter()
        result = answerer.answer(state["question"], state["ranked"])
        timings = {**state["timings"], "answer": _ms(started)}
        return finish(result, state["question"], state["ranked"], timings)

    steps = make_steps(retriever, reranker)
    return steps | RunnableLambda(answer).with_config(run_name="answer")
