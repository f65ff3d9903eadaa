"""Answering: the seam every answerer fills, and the retrieval + answer chain."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda

from app.retrieval.hybrid import hit_from_document
from app.types import Answer, Delta, Hit

__all__ = [
    "Answerer",
    "Query",
    "finish",
    "make_chain",
    "make_retrieve",
    "stream_answer",
    "stream_pieces",
]


@dataclass(frozen=True)
class Query:
    """A question as asked, the form retrieval and answering use, and a date range."""

    question: str
    search: str
    since: date | None = None
    until: date | None = None


class Answerer(Protocol):
    """Turns a question and its retrieved passages into a cited answer.

    ``ExtractiveAnswerer`` (no LLM) is the default; ``GenerativeAnswerer`` writes with
    a chat model and verifies its citations.
    """

    mode: str

    def standalone(self, question: str, history: Sequence[Mapping[str, Any]] | None) -> str:
        """The retrieval form of a follow-up question, given the chat so far."""
        ...

    def answer(self, question: str, hits: list[Hit]) -> Answer:
        """Answer from ``hits`` only; every claim cites one of them."""
        ...

    def stream(self, question: str, hits: list[Hit]) -> Iterator[Delta | Answer]:
        """The answer as it is written: ``Delta`` pieces, then the finished ``Answer``."""
        ...


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


def make_retrieve(retriever: BaseRetriever) -> Runnable[Query, dict[str, Any]]:
    """Query in, ``{"query", "hits", "retrieve_ms"}`` out."""

    def retrieve(query: Query) -> dict[str, Any]:
        started = time.perf_counter()
        documents = retriever.invoke(query.search, since=query.since, until=query.until)
        return {
            "query": query,
            "hits": [hit_from_document(d) for d in documents],
            "retrieve_ms": (time.perf_counter() - started) * 1000,
        }

    return RunnableLambda(retrieve).with_config(run_name="retrieve")


def finish(result: Answer, query: Query, retrieve_ms: float, answering: float) -> Answer:
    """The answer under the question as asked, with its retrieval and answering times."""
    if result.question != query.question:
        result = dataclasses.replace(result, question=query.question)
    result.timings_ms.update(retrieve=retrieve_ms, answer=(time.perf_counter() - answering) * 1000)
    return result


def make_chain(retriever: BaseRetriever, answerer: Answerer) -> Runnable[Query, Answer]:
    """``Query`` in, ``Answer`` out: retrieval then answering, as one LangChain runnable."""

    def answer(inputs: dict[str, Any]) -> Answer:
        started = time.perf_counter()
        query: Query = inputs["query"]
        result = answerer.answer(query.search, inputs["hits"])
        return finish(result, query, inputs["retrieve_ms"], started)

    return make_retrieve(retriever) | RunnableLambda(answer).with_config(run_name="answer")
