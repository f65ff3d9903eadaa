"""Prompts are data: one YAML file per prompt in ``prompts/``, checked when loaded."""

from __future__ import annotations

from pathlib import Path

import yaml
from langchain_core.prompts import ChatPromptTemplate

from app.errors import ConfigError

__all__ = ["load_prompt"]


def load_prompt(folder: Path, name: str, variables: set[str]) -> ChatPromptTemplate:
    """The prompt ``folder/name.yaml``; ``ConfigError`` unless it uses exactly ``variables``."""
    path = folder / f"{name}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(
            f"Cannot read the prompt {path} ({exc}). Restore it, or point DOCQA_PROMPTS_DIR "
            "at a folder holding it."
        ) from exc
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), str) for k in ("system", "human")
    ):
        raise ConfigError(f"The prompt {path} needs 'system' and 'human' texts.")
    declared = set(data.get("variables") or [])
    try:
        prompt = ChatPromptTemplate.from_messages(
            [("system", data["system"]), ("human", data["human"])]
        )
    except (ValueError, KeyError) as exc:
        raise ConfigError(f"The prompt {path} is not a valid template: {exc}") from exc
    used = set(prompt.input_variables)
    if used != variables or declared != variables:
        raise ConfigError(
            f"The prompt {path} must use the variables {sorted(variables)} (and list them under "
            f"'variables'); it uses {sorted(used)} and lists {sorted(declared)}. Literal braces "
            "are written {{ and }}."
        )
    return prompt
