"""Answering: the seam every answerer fills, and how a finished answer is streamed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Protocol

from app.question.analysis import Question
from app.rerank.base import Ranked
from app.types import Answer, Delta

__all__ = ["Answerer", "final_answer", "stream_answer", "stream_pieces"]


class Answerer(Protocol):
    """Turns a question and its reranked passages into a cited answer, or a refusal.

    ``ExtractiveAnswerer`` (no LLM) is the default; ``GenerativeAnswerer`` writes with
    a chat model and verifies its citations. ``answer`` is the last item of ``stream``.
    """

    mode: str

    def stream(self, question: Question, ranked: Ranked) -> Iterator[Delta | Answer]:
        """The answer as it is written: ``Delta`` pieces, then the finished ``Answer``."""
        ...

    def answer(self, question: Question, ranked: Ranked) -> Answer:
        """The finished answer: the stream's last item."""
        ...

    def refusal(self, question: Question, ranked: Ranked) -> Answer:
        """The documents do not answer: the closest passages instead."""
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
    """An answer in the increments it is streamed in: sentence by sentence (a sentence
    ends with its citations), each with the space or line break that follows it, so the
    pieces joined are the answer."""
    for piece in re.split(r"(?<=\])(?=\s)", text):
        if piece:
            yield piece


def stream_answer(answer: Answer) -> Iterator[Delta | Answer]:
    """A finished answer replayed as a stream."""
    for piece in stream_pieces(answer.answer):
        yield Delta(piece)
    yield answer
