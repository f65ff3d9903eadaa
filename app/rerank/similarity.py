"""The reranker without a cross-encoder (``DOCQA_RERANK__MODEL=none``): no pair model
reads the question with each sentence; passages keep retrieval's order.

Sentences are scored as docqa scored them before it had a cross-encoder: the share of
the question's term weight each holds, its passage's standing and, for the best
``sentences`` of those, its MiniLM similarity to the question. ``relevance`` is that
weighted evidence (0 to 1, refusal threshold ``DOCQA_RERANK__NO_MODEL_THRESHOLD``); the ranking
also counts the question's words in the sentence before, and a time or a figure when
the question asks for one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from app.embeddings import embed_matrix
from app.embeddings.question import QuestionEncoder
from app.question.analysis import Question
from app.question.kinds import answer_spans
from app.rerank.base import Ranked
from app.rerank.sentences import READING, gather, prior, reading_order, their_words
from app.settings import ReadingWeights
from app.store.base import Store
from app.types import Hit

__all__ = ["SimilarityReranker"]


class SimilarityReranker:
    """No pair model: retrieval's order, sentences scored by terms, standing and MiniLM
    similarity."""

    name = "none"

    def __init__(
        self,
        encoder: QuestionEncoder,
        statistics: Store,
        *,
        passages: int,
        sentences: int,
        min_score: float,
        weights: ReadingWeights = READING,
    ) -> None:
        self.weights = weights  # the evidence's weights are ReadingWeights' "model none" ones
        self.encoder = encoder
        self.statistics = statistics
        self.passages = passages
        self.sentences = sentences
        self.min_score = min_score

    def warm(self) -> None:
        """Nothing to load beyond the embedder."""

    def rerank(self, question: Question, hits: Sequence[Hit]) -> Ranked:
        """The hits as retrieved; their best sentences scored the way described above."""
        hits = tuple(hits)
        subject, _, found = gather(question, hits, self.statistics, self.passages, self.weights)
        found = their_words(question, found) or found  # a guest's account, in their words
        kind = question.kind if question.kind and question.kind.ranks else None
        typed = [
            self.weights.kind * bool(kind and answer_spans(kind, s.text, question.asked))
            for s in found
        ]
        cheap = [prior(s, self.weights) for s in found]
        order = reading_order(
            question,
            found,
            [c + t for c, t in zip(cheap, typed, strict=True)],
            self.sentences,
            self.weights,
        )
        keep = order[: self.sentences]
        unread = tuple(found[i] for i in order[self.sentences :])
        # The best few are also read after the sentence before them in their paragraph
        # ("This takes two forms, …" means something only then), in the same batch.
        reread = [i for i in keep if found[i].before][: self.weights.reread]
        cosines = (
            embed_matrix(
                self.encoder.embeddings,
                [found[i].text for i in keep]
                + [f"{found[i].before} {found[i].text}" for i in reread],
            )
            @ self.encoder(question.search)
            if keep
            else []
        )
        dense = dict(zip(keep, list(cosines[: len(keep)]), strict=True))
        in_context = dict(zip(reread, list(cosines[len(keep) :]), strict=True))
        scored = []
        for i, cos in dense.items():
            s = found[i]
            # Relevance is on the 0-to-1 scale the seam promises: a sentence pointing away
            # from the question (negative cosine) has none, not less than none.
            weighed = cheap[i] + self.weights.dense * float(cos)
            evidence = min(1.0, max(0.0, weighed))
            rank = weighed + self.weights.context * (s.context - s.lexical) + typed[i]
            rank += self.weights.context_dense * max(
                0.0, float(in_context.get(i, cos)) - float(cos)
            )
            rank += 1.0 if s.defines else 0.0  # above any sentence that only uses it
            scored.append(replace(s, relevance=evidence, rank=rank, read=True))
        scored.sort(key=lambda s: s.rank, reverse=True)
        # No unknown words: the refusal they feed is set on the cross-encoder's relevance.
        return Ranked(hits, tuple(scored), self.min_score, self.name, unread, subject)
