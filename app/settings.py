"""One settings object, read from ``DOCQA_*`` environment variables and an optional ``.env``.

Nested groups use a double underscore: ``DOCQA_EMBEDDING__RUNTIME=torch``.
Built once at an entry point and passed down; nothing reads the environment elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "AnswerSettings",
    "ChunkingSettings",
    "EmbeddingSettings",
    "RetrievalSettings",
    "Settings",
]


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "docqa"


class EmbeddingSettings(BaseModel):
    """Which runtime embeds text; an index remembers it and refuses another."""

    runtime: Literal["onnx-int8", "onnx-fp32", "torch"] = "onnx-int8"
    batch_size: int = Field(16, ge=1, le=512)
    threads: int | None = Field(None, ge=1, description="CPU threads; default: all cores")
    cache_dir: Path = Field(default_factory=_default_cache, description="Where ONNX exports live")


class ChunkingSettings(BaseModel):
    """How documents are cut into passages."""

    max_chars: int = Field(1000, ge=200, le=8000)
    overlap_sentences: int = Field(1, ge=0, le=5)


class RetrievalSettings(BaseModel):
    """Hybrid retrieval: dense and BM25 candidates, scores fused linearly.

    fused = w * cosine + (1 - w) * bm25 / max(bm25). The default weight was chosen on
    1,000 SQuAD dev questions (seed 7), disjoint from nothing the product ships.
    """

    top_k: int = Field(5, ge=1, le=50, description="Passages handed to the answerer")
    candidates: int = Field(50, ge=1, le=1000, description="Candidates from each retriever")
    dense_weight: float = Field(0.6, ge=0, le=1)


class AnswerSettings(BaseModel):
    """The extractive answerer."""

    max_chars: int = Field(300, ge=80, le=2000, description="Length budget of the answer lead")
    passages: int = Field(3, ge=1, le=20, description="Top passages whose sentences compete")
    max_sentences: int = Field(3, ge=1, le=10)
    min_relative_score: float = Field(
        0.8, ge=0, le=1, description="Further sentences need this share of the best one's score"
    )
    min_score: float = Field(
        0.61, description="Below this evidence score the answer is a refusal (calibrated)"
    )
    closest: int = Field(3, ge=0, le=10, description="Passages shown with a refusal")


class Settings(BaseSettings):
    """Everything docqa can be told, with defaults that work offline."""

    model_config = SettingsConfigDict(
        env_prefix="DOCQA_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    index_dir: Path = Path("index")
    answerer: Literal["extractive"] = "extractive"
    max_question_chars: int = Field(2000, ge=10, le=100_000)
    embedding: EmbeddingSettings = EmbeddingSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()

    @model_validator(mode="after")
    def _candidates_cover_top_k(self) -> Settings:
        if self.retrieval.candidates < self.retrieval.top_k:
            raise ValueError("retrieval.candidates must be at least retrieval.top_k")
        return self
