"""The first stage: a follow-up made into a question that stands alone.

``RuleCondenser`` (no language model) rewrites by the shape of the follow-up (see
``follow_up``); ``ChatCondenser`` asks the chat model with the condense prompt and falls
back to the rules when the model fails or answers with something that is not a question.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from app.question.follow_up import follow_up_query, turns_of

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.prompts import ChatPromptTemplate

__all__ = ["ChatCondenser", "Condenser", "RuleCondenser"]

logger = logging.getLogger(__name__)

HISTORY_MESSAGES = 6  # how much of the chat the condensing prompt sees
HISTORY_CHARS = 600


class Condenser(Protocol):
    """Turns a question asked after ``history`` into one that stands alone."""

    def standalone(self, question: str, history: Sequence[Mapping[str, Any]] | None) -> str:
        """The question as it would be asked without the chat before it."""
        ...


class RuleCondenser:
    """Follow-ups rewritten by their shape, with no model."""

    def standalone(self, question: str, history: Sequence[Mapping[str, Any]] | None) -> str:
        """See ``follow_up.follow_up_query``."""
        return follow_up_query(question, history)


class ChatCondenser:
    """The chat model rewrites the follow-up; the rules stand in when it cannot."""

    def __init__(self, model: BaseChatModel, prompt: ChatPromptTemplate) -> None:
        self.model = model
        self.prompt = prompt
        self.rules = RuleCondenser()

    def standalone(self, question: str, history: Sequence[Mapping[str, Any]] | None) -> str:
        """The model's rewrite, or the rules' when the model fails or wanders off."""
        from app.answer.generative.verify import is_no_answer, sanitise

        turns = turns_of(history)[-HISTORY_MESSAGES:]
        if not any(role == "user" for role, _ in turns):
            return question
        lines = "\n".join(
            f"{'User' if role == 'user' else 'Assistant'}: {text[:HISTORY_CHARS]}"
            for role, text in turns
        )
        try:
            reply = self.model.invoke(self.prompt.format_messages(history=lines, question=question))
        except Exception as exc:  # the provider's own errors: any of them means "no rewrite"
            logger.warning("condensing failed (%s); the rules rewrite it", type(exc).__name__)
            return self.rules.standalone(question, history)
        text = reply.content if isinstance(reply.content, str) else str(reply.content)
        rewritten = next((ln.strip(" \"'") for ln in text.splitlines() if ln.strip()), "")
        rewritten = sanitise(rewritten)
        if not rewritten or is_no_answer(rewritten) or len(rewritten) > 4 * len(question) + 200:
            return self.rules.standalone(question, history)
        return rewritten
