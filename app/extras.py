"""Optional parts of docqa, each an extra of the package, and the message that says how to
install one when it is missing."""

from __future__ import annotations

import importlib.util

from app.errors import ModelUnavailableError

__all__ = ["EXTRAS", "installed", "require"]

# extra -> the modules it brings, and what it is for.
EXTRAS: dict[str, tuple[tuple[str, ...], str]] = {
    "openvino": (("openvino", "nncf"), "the default embedding runtime, openvino-int8"),
    "postgres": (("psycopg", "psycopg_pool", "pgvector"), "the PostgreSQL store"),
    "plots": (("matplotlib",), "the plots of docqa eval's report"),
    "openai": (("langchain_openai",), "LLM answers from an OpenAI-compatible endpoint"),
    "ollama": (("langchain_ollama",), "LLM answers from Ollama"),
    "llamacpp": (("llama_cpp",), "LLM answers from a local GGUF model"),
}


def installed(extra: str) -> bool:
    """Whether every module ``extra`` brings can be imported."""
    modules, _ = EXTRAS[extra]
    return all(importlib.util.find_spec(m) is not None for m in modules)


def require(extra: str, otherwise: str = "") -> None:
    """``ModelUnavailableError`` naming the command that installs ``extra``, unless it is
    installed; ``otherwise`` says what else the person can do."""
    if installed(extra):
        return
    _, purpose = EXTRAS[extra]
    raise ModelUnavailableError(
        f"{purpose[0].upper()}{purpose[1:]} needs the '{extra}' extra: run "
        f"`pip install 'docqa[{extra}]'` (in a checkout `make run` installs it, or "
        f"`.venv/bin/pip install -e '.[{extra}]'`){'; ' + otherwise if otherwise else ''}."
    )
