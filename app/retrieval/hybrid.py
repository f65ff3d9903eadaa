"""Hybrid retrieval: dense and lexical (BM25) candidates, scores fused linearly.

A plain class over the store: LangChain callers use ``app.langchain.DocQARetriever``,
which searches as a given reader."""

from __future__ import annotations

from datetime import timedelta

from app.embeddings.question import QuestionEncoder
from app.question.acronyms import defines
from app.question.analysis import Question
from app.settings import RetrievalSettings
from app.store import Filter, Store
from app.types import Hit

__all__ = ["REPORT_LAG", "HybridRetriever"]

# How long after the days asked about an article may still report on them: first the
# reports of the days that followed (most news is reported within a week), then later
# ones when those are too few.
REPORT_LAGS = (timedelta(days=7), timedelta(days=60))
REPORT_LAG = REPORT_LAGS[-1]


def _dated(question: Question) -> bool:
    """Whether the question asks about days in the past (or "recently")."""
    when = question.when
    return when is not None and when.first <= question.day


class HybridRetriever:
    """Dense + BM25 retrieval over one loaded index."""

    def __init__(
        self, *, store: Store, encoder: QuestionEncoder, settings: RetrievalSettings
    ) -> None:
        self.store = store
        self.encoder = encoder
        self.settings = settings

    def search(self, question: Question, k: int | None = None) -> list[Hit]:
        """The best ``k`` chunks for ``question``, best first, from articles dated in its range
        that its asker may read."""
        k = k or self.settings.top_k * (2 if question.intent.gathers else 1)
        if _dated(question):
            # The nearest reports first, then later ones to fill the k places.
            found: dict[int, Hit] = {}
            for lag in REPORT_LAGS:
                for hit in self._search(question, k, lag=lag):
                    found.setdefault(hit.chunk.id, hit)
                if len(found) >= k:
                    break
            if found:
                return list(found.values())[:k]
        return self._search(question, k)

    def _search(self, question: Question, k: int, *, lag: timedelta | None = None) -> list[Hit]:
        """The best ``k`` chunks; with a ``lag``, only from articles published from the
        first day the question asks about to ``lag`` after its last (an article cannot
        report what had not happened yet)."""
        n, weight = self.settings.candidates, self.settings.dense_weight
        if weight is None:  # Settings sets it from the embedder
            raise ValueError("retrieval.dense_weight is unset")
        since, until = question.since, question.until
        if lag is not None and question.when is not None:
            first, last = question.when.first, question.when.last + lag
            since = max(since, first) if since else first
            until = min(until, last) if until else last
            if since > until:
                return []
        where = Filter.of(since, until, question.groups)
        q = self.encoder(question.lookup)
        dense = dict(self.store.dense_search(q, n, where))
        scores = self.store.lexical_search(question.lookup_terms, n, where, also=list(dense))
        pool = set(dense) | {i for i, s in scores.items() if s > 0}
        lexical: dict[int, float] = {}
        if scores and (scale := max(scores.values())) > 0:
            # BM25 is scaled by this question's best score so both sides live in [0, 1].
            lexical = {i: scores.get(i, 0.0) / scale for i in pool}
        missing = [i for i in pool if i not in dense]
        for chunk_id, vector in zip(missing, self.store.vectors(missing), strict=True):
            dense[chunk_id] = float(vector @ q)
        fused = {i: weight * dense[i] + (1 - weight) * lexical.get(i, 0.0) for i in pool}
        best = sorted(pool, key=fused.__getitem__, reverse=True)
        if short := question.acronym:
            # "What does TTP stand for?" is answered where TTP is spelled out, which need
            # not be where it is mentioned most: the best such chunk comes first.
            spelled = [c.id for c in self.store.chunks(best) if defines(c.text, short)]
            if spelled:
                best.remove(spelled[0])
                best.insert(0, spelled[0])
                fused[spelled[0]] = max(fused.values())
        best = best[:k]
        return [
            Hit(chunk, fused[chunk.id], dense[chunk.id], lexical.get(chunk.id, 0.0))
            for chunk in self.store.chunks(best)
        ]
