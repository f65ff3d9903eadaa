"""Chat models behind LangChain's ``BaseChatModel``: the one place LLM providers are named.

Each provider is an optional extra; asking for one that is not installed gives the
command that installs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr

from app.errors import ConfigError, LLMError
from app.extras import require
from app.settings import Settings

__all__ = ["LlamaCppChat", "make_chat_model", "stream_text"]


def stream_text(model: BaseChatModel, messages: list[BaseMessage]) -> Iterator[str]:
    """The model's reply as pieces of text. Whatever the provider raises (the network, an
    HTTP status, a malformed reply: each provider has its own error types) becomes an
    ``LLMError`` naming it, here at the seam, so callers handle one kind of failure."""
    try:
        for chunk in model.stream(messages):
            yield _text(chunk.content)
    except LLMError:
        raise
    except Exception as exc:
        reason = " ".join(str(exc).split())[:200]
        raise LLMError(f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__) from exc


def _text(content: Any) -> str:
    """The text of a streamed message chunk, whatever shape the provider gives it."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p if isinstance(p, str) else str(p.get("text", "")) for p in content)
    return ""


def _require(provider: str) -> None:
    require(provider, f"or set DOCQA_ANSWERER=extractive (DOCQA_LLM__PROVIDER={provider})")


def make_chat_model(settings: Settings) -> BaseChatModel:
    """The configured chat model; cheap (no request is made, no weights are loaded)."""
    provider, model = settings.llm.provider, settings.llm.model
    if provider is None or model is None:
        raise ConfigError("Set DOCQA_LLM__PROVIDER and DOCQA_LLM__MODEL to use DOCQA_ANSWERER=llm.")
    _require(provider)
    key = settings.llm.api_key.get_secret_value() if settings.llm.api_key else None
    if provider == "openai":
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            model=model,
            base_url=settings.llm.base_url,
            # Local gateways take any key; the client refuses to start without one.
            api_key=key or "not-needed",
            temperature=settings.llm.temperature,
            max_tokens=settings.llm.max_tokens,
            timeout=settings.llm.timeout,
            max_retries=1,
        )
    if provider == "ollama":
        from langchain_ollama import ChatOllama

        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return ChatOllama(
            model=model,
            base_url=settings.llm.base_url,
            temperature=settings.llm.temperature,
            num_predict=settings.llm.max_tokens,
            client_kwargs={"timeout": settings.llm.timeout, "headers": headers},
        )
    path = Path(model).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"DOCQA_LLM__MODEL={model}: no such GGUF file. With DOCQA_LLM__PROVIDER=llamacpp the "
            "model is the path of a .gguf file."
        )
    return LlamaCppChat(
        model_path=str(path),
        n_ctx=settings.llm.context,
        max_tokens=settings.llm.max_tokens,
        temperature=settings.llm.temperature,
        n_threads=settings.embedding.threads,
    )


class LlamaCppChat(BaseChatModel):
    """A GGUF model run in-process by llama.cpp, through its own chat-completion API.

    llama.cpp applies the chat template stored in the GGUF file. The weights load on
    the first request and stay loaded.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: str
    n_ctx: int = 4096
    max_tokens: int = 400
    temperature: float = 0.0
    n_threads: int | None = None
    _llama: Any = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "llamacpp"

    def _client(self) -> Any:
        if self._llama is None:
            from llama_cpp import Llama

            self._llama = Llama(
                model_path=self.model_path,
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                verbose=False,
            )
        return self._llama

    def _request(self, messages: list[BaseMessage], stop: list[str] | None) -> dict[str, Any]:
        roles = {"human": "user", "ai": "assistant", "system": "system"}
        return {
            "messages": [{"role": roles.get(m.type, "user"), "content": m.text} for m in messages],
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "stop": stop,
        }

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        result = self._client().create_chat_completion(**self._request(messages, stop))
        text = result["choices"][0]["message"].get("content") or ""
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for part in self._client().create_chat_completion(
            **self._request(messages, stop), stream=True
        ):
            text = part["choices"][0]["delta"].get("content") or ""
            if text:
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                if run_manager:
                    run_manager.on_llm_new_token(text, chunk=chunk)
                yield chunk
