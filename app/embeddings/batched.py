"""Tokenise once, sort by length, run an exported MiniLM graph batch by batch.

The exported graphs (ONNX Runtime, OpenVINO) take token ids and an attention mask and
return pooled, L2-normalised vectors; what differs between runtimes is only how a batch
is run. Tokenisation matches sentence-transformers (truncation at 256 word pieces).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

from app.embeddings.base import ArrayEmbeddings
from app.embeddings.packaged import MAX_SEQ_LENGTH, MODEL_DIMENSION, packaged_model_path
from app.models.batching import tokenized_batches


def load_tokenizer() -> Any:
    """The packaged model's fast tokenizer, set to truncate like sentence-transformers."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(packaged_model_path() / "tokenizer.json"))
    # The shipped tokenizer.json pads and truncates at 128; sentence-transformers uses 256.
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=MAX_SEQ_LENGTH)
    return tokenizer


def graph_inputs(ids: np.ndarray, mask: np.ndarray) -> dict[str, np.ndarray]:
    """The three inputs every exported graph takes."""
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}


class BatchedGraphEmbeddings(ArrayEmbeddings):
    """Embeddings from an exported graph; subclasses load it and run one padded batch."""

    bucketed = False  # whether the runtime wants few distinct input shapes

    def __init__(self, batch_size: int = 16, threads: int | None = None) -> None:
        self.batch_size = batch_size
        self.threads = threads
        self._tokenizer: Any = None

    def warm(self) -> None:
        """Build (once) and load the model and tokenizer."""
        if self._tokenizer is not None:
            return
        self._load()
        self._tokenizer = load_tokenizer()

    @abstractmethod
    def _load(self) -> None:
        """Build the graph if needed and load it."""

    @abstractmethod
    def _run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Embed one padded batch: (rows, width) int64 ids and mask to (rows, dim) float32."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts into L2-normalised vectors, batching texts of similar length."""
        self.warm()
        out = np.zeros((len(texts), MODEL_DIMENSION), dtype=np.float32)
        if not texts:
            return out
        for rows, inputs in tokenized_batches(
            self._tokenizer, texts, self.batch_size, bucketed=self.bucketed
        ):
            out[rows] = self._run(inputs["input_ids"], inputs["attention_mask"])[: len(rows)]
        return out
