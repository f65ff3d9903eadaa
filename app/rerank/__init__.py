"""Reranking: a question's passages re-scored sentence by sentence; the one place the
reranking models are named."""

from __future__ import annotations

from app.embeddings.question import QuestionEncoder
from app.rerank.base import PairScorer, Ranked, Reranker, Sentence
from app.settings import Settings
from app.store.base import Store

__all__ = ["PairScorer", "Ranked", "Reranker", "Sentence", "make_pair_scorer", "make_reranker"]


def make_pair_scorer(settings: Settings) -> PairScorer | None:
    """The configured reranking model (loaded on ``warm``), or None when reranking is off."""
    if settings.rerank.model == "none":
        return None
    from app.rerank.cross_encoder import CrossEncoder

    return CrossEncoder(
        max_tokens=settings.rerank.max_tokens,
        threads=settings.rerank.threads,
        concurrent=settings.rerank.concurrent,
    )


def make_reranker(
    settings: Settings,
    model: PairScorer | None,
    encoder: QuestionEncoder,
    store: Store,
) -> Reranker:
    """The reranking stage over one index's term statistics."""
    options = settings.rerank
    if model is None:
        from app.rerank.similarity import SimilarityReranker

        return SimilarityReranker(
            encoder,
            store,
            passages=options.passages,
            sentences=options.sentences,
            min_score=settings.rerank.no_model_threshold,
            weights=options.weights,
        )
    from app.rerank.cross_encoder import CrossEncoderReranker

    return CrossEncoderReranker(
        model,
        store,
        passages=options.passages,
        sentences=options.sentences,
        min_relevance=options.min_relevance,
        read=options.read,
        framed=options.framed,
        analyst_sentences=options.analyst_sentences,
        weights=options.weights,
    )
