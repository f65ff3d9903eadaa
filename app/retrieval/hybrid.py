"""Hybrid retrieval: dense (FAISS) and lexical (BM25) candidates, scores fused linearly."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from app.embeddings.question import QuestionEncoder
from app.question.acronyms import defines
from app.question.analysis import Intent, Question, analyse_question
from app.settings import RetrievalSettings
from app.store import Filter, Store
from app.types import Chunk, Hit

__all__ = ["REPORT_LAG", "HybridRetriever", "hit_from_document", "hit_to_document"]

# How long after the days asked about an article may still report on them: first the
# reports of the days that followed (most news is reported within a week), then later
# ones when those are too few.
REPORT_LAGS = (timedelta(days=7), timedelta(days=60))
REPORT_LAG = REPORT_LAGS[-1]
# Intents that gather events from many passages: twice the passages are read.
_WIDE = frozenset({Intent.TIMELINE, Intent.SUMMARY})


def _dated(question: Question) -> bool:
    """Whether the question asks about days in the past (or "recently")."""
    when = question.when
    return when is not None and when.first <= question.day


def hit_to_document(hit: Hit) -> Document:
    """The LangChain form, for the runnable chain."""
    c = hit.chunk
    return Document(
        page_content=c.text,
        metadata={
            "chunk_id": c.id,
            "doc_id": c.doc_id,
            "start": c.start,
            "end": c.end,
            "sentences": c.sentences,
            "score": hit.score,
            "dense": hit.dense,
            "lexical": hit.lexical,
        },
    )


def hit_from_document(document: Document) -> Hit:
    """Back from the LangChain form to ours."""
    m = document.metadata
    chunk = Chunk(
        m["chunk_id"], m["doc_id"], m["start"], m["end"], document.page_content,
        tuple(tuple(s) for s in m["sentences"]),
    )  # fmt: skip
    return Hit(chunk, m["score"], m["dense"], m["lexical"])


class HybridRetriever(BaseRetriever):
    """Dense + BM25 retrieval over one loaded index, as a LangChain retriever."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: Store
    encoder: QuestionEncoder
    settings: RetrievalSettings

    def search(self, question: Question, k: int | None = None) -> list[Hit]:
        """The best ``k`` chunks for ``question``, best first, from articles dated in its range
        that its asker may read."""
        k = k or self.settings.top_k * (2 if question.intent in _WIDE else 1)
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
        q = self.encoder(question.search)
        dense = dict(self.store.dense_search(q, n, where))
        scores = self.store.lexical_search(question.terms, n, where, also=list(dense))
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

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        question = analyse_question(query, since=kwargs.get("since"), until=kwargs.get("until"))
        return [hit_to_document(hit) for hit in self.search(question, kwargs.get("k"))]
