"""Embeddings behind LangChain's ``Embeddings`` interface; the one place runtimes are named."""

from __future__ import annotations

from app.embeddings.base import ArrayEmbeddings, embed_matrix, embed_question
from app.embeddings.packaged import MODEL_DIMENSION, MODEL_NAME
from app.settings import EmbeddingSettings

__all__ = [
    "ArrayEmbeddings",
    "embed_matrix",
    "embed_question",
    "embedder_id",
    "embedding_dimension",
    "make_embeddings",
]


def embedder_id(settings: EmbeddingSettings) -> str:
    """The name an index records: vectors from different runtimes must never mix."""
    if settings.model == "bge-small-en-v1.5":
        from app.embeddings.bge import BGE_SMALL, DIMENSION

        return f"{settings.model}/onnx-int8/{DIMENSION}/{BGE_SMALL.files[0][1][:10]}"
    if settings.runtime == "torch":
        return f"{MODEL_NAME}/torch/{MODEL_DIMENSION}"
    from app.embeddings.onnx import EXPORT_VERSION

    name = f"{MODEL_NAME}/{settings.runtime}/{MODEL_DIMENSION}/graph-{EXPORT_VERSION}"
    if settings.runtime == "openvino-int8":
        from app.embeddings.openvino import quantisation_key

        name += f"/q-{quantisation_key()}"
    return name


def embedding_dimension(settings: EmbeddingSettings) -> int:
    """The length of the vectors the configured model gives."""
    if settings.model == "bge-small-en-v1.5":
        from app.embeddings.bge import DIMENSION

        return DIMENSION
    return MODEL_DIMENSION


def make_embeddings(settings: EmbeddingSettings) -> ArrayEmbeddings:
    """Build (cheaply; the model loads on first use or ``warm()``) the configured embedder."""
    if settings.model == "bge-small-en-v1.5":
        from app.embeddings.bge import BgeEmbeddings

        return BgeEmbeddings(batch_size=settings.batch_size, threads=settings.threads)
    if settings.runtime == "torch":
        from app.embeddings.torch_st import SentenceTransformerEmbeddings

        return SentenceTransformerEmbeddings(
            batch_size=settings.batch_size, threads=settings.threads
        )
    if settings.runtime == "openvino-int8":
        from app.embeddings.openvino import OpenVinoEmbeddings
        from app.extras import require

        require("openvino", "or set DOCQA_EMBEDDING__RUNTIME=onnx-int8 (ONNX Runtime, included)")

        return OpenVinoEmbeddings(
            settings.cache_dir / "models", batch_size=settings.batch_size, threads=settings.threads
        )
    from app.embeddings.onnx import OnnxEmbeddings

    return OnnxEmbeddings(
        settings.cache_dir / "models",
        precision="int8" if settings.runtime == "onnx-int8" else "fp32",
        batch_size=settings.batch_size,
        threads=settings.threads,
    )
