"""fp32 embeddings through sentence-transformers and PyTorch."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from app.embeddings.base import ArrayEmbeddings
from app.embeddings.packaged import MAX_SEQ_LENGTH, packaged_model_path

logger = logging.getLogger(__name__)


class SentenceTransformerEmbeddings(ArrayEmbeddings):
    """The packaged MiniLM through sentence-transformers; loaded on first use."""

    def __init__(self, batch_size: int = 8, threads: int | None = None) -> None:
        self.batch_size = batch_size
        self.threads = threads
        self._model: Any = None

    def warm(self) -> None:
        """Load the model now rather than on the first question."""
        if self._model is not None:
            return
        import torch
        from sentence_transformers import SentenceTransformer

        if self.threads:
            torch.set_num_threads(self.threads)
        path = packaged_model_path()
        logger.info("loading sentence-transformers model from %s", path)
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self._model.max_seq_length = MAX_SEQ_LENGTH

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts into L2-normalised fp32 vectors."""
        self.warm()
        if not texts:
            return np.zeros((0, self._model.get_sentence_embedding_dimension()), np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
