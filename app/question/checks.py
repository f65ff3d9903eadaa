"""What makes a question askable: some text, under the length limit, all of it encodable."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.errors import QuestionError
from app.text.clean import first_invalid

__all__ = ["check_history", "checked_question"]


def checked_question(question: Any, limit: int) -> str:
    """The question with its white space folded, or ``QuestionError`` saying what is wrong."""
    if not isinstance(question, str) or not question.strip():
        raise QuestionError("The question is empty. Type a question about the documents.")
    if len(question) > limit:
        raise QuestionError(
            f"The question is {len(question):,} characters long; the limit is {limit:,} "
            "(DOCQA_MAX_QUESTION_CHARS). Shorten it to the question itself."
        )
    if (at := first_invalid(question)) is not None:
        raise QuestionError(_not_text("The question", at))
    return " ".join(question.split())


def check_history(history: Sequence[Mapping[str, Any]] | None) -> None:
    """``QuestionError`` if an earlier message holds text that cannot be encoded."""
    for number, message in enumerate(history or (), start=1):
        content = message.get("content")
        if isinstance(content, str) and (at := first_invalid(content)) is not None:
            raise QuestionError(_not_text(f"Message {number} of the history", at))


def _not_text(what: str, at: int) -> str:
    return (
        f"{what} holds a character that is not text at position {at + 1} (a lone UTF-16 "
        "surrogate, or a byte that is not UTF-8). Retype it, or send it as UTF-8."
    )
