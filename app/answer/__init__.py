"""Answering: the seam every answerer fills, and the retrieval + answer chain."""

from __future__ import annotations

import time
from typing import Any, Protocol

from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda

from app.retrieval import Hit, hit_from_document
from app.schema import Answer

__all__ = ["Answerer", "make_chain"]


class Answerer(Protocol):
    """Turns a question and its retrieved passages into a cited answer.

    The extractive answerer is the default; a generative one plugs in here.
    """

    def answer(self, question: str, hits: list[Hit]) -> Answer:
        """Answer from ``hits`` only; every claim cites one of them."""
        ...


def make_chain(retriever: BaseRetriever, answerer: Answerer) -> Runnable[str, Answer]:
    """Question in, ``Answer`` out: retrieval then answering, as one LangChain runnable."""

    def retrieve(question: str) -> dict[str, Any]:
        started = time.perf_counter()
        documents = retriever.invoke(question)
        return {
            "question": question,
            "hits": [hit_from_document(d) for d in documents],
            "retrieve_ms": (time.perf_counter() - started) * 1000,
        }

    def answer(inputs: dict[str, Any]) -> Answer:
        started = time.perf_counter()
        result = answerer.answer(inputs["question"], inputs["hits"])
        result.timings_ms.update(
            retrieve=inputs["retrieve_ms"], answer=(time.perf_counter() - started) * 1000
        )
        return result

    return RunnableLambda(retrieve).with_config(run_name="retrieve") | RunnableLambda(
        answer
    ).with_config(run_name="answer")
