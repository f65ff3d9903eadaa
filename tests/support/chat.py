"""Scripted fake chat models, as LangChain's own fakes are, for the LLM answerer's tests."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

from app.service import DocQA
from app.settings import LLMSettings, Settings, VerifySettings
from tests.conftest import CountingFakeEmbeddings


class ScriptedChat(BaseChatModel):
    """A fake chat model whose reply is a function of the prompt; streams word by word."""

    script: Callable[[str], str]
    prompts: list[str] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _reply(self, messages: list[BaseMessage]) -> str:
        prompt = "\n".join(m.text for m in messages)
        self.prompts.append(prompt)
        return self.script(prompt)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(self._reply(messages)))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for piece in re.split(r"(?<=\s)", self._reply(messages)):
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))


class UnreachableChat(ScriptedChat):
    """A fake chat model whose server is down."""

    def _reply(self, messages: list[BaseMessage]) -> str:
        raise ConnectionError("Connection refused: 127.0.0.1:9")


def passage(prompt: str, needle: str) -> int:
    """The number the prompt gave the passage containing ``needle``."""
    for number, body in re.findall(r'<passage id="(\d+)"[^>]*>\n(.*?)\n</passage>', prompt, re.S):
        if needle in body:
            return int(number)
    raise AssertionError(f"no passage holds {needle!r}")


def is_condense(prompt: str) -> bool:
    """Whether ``prompt`` asks to rewrite a follow-up."""
    return "Last question:" in prompt


def llm_service(
    settings: Settings, embeddings: CountingFakeEmbeddings, corpus: Path, model: BaseChatModel
) -> DocQA:
    """The core answering with ``model``, ``corpus`` indexed."""
    # Fake vectors carry no meaning: verification is judged on the terms alone here.
    llm = settings.model_copy(
        update={
            "answerer": "llm",
            "llm": LLMSettings(provider="openai", model="scripted"),
            "verify": VerifySettings(lexical_weight=1.0, min_support=0.75),
        }
    )
    service = DocQA(llm, embeddings=embeddings, chat_model=model)
    service.index([corpus])
    return service
