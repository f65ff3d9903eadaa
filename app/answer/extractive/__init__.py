"""The default answerer, no LLM: the reranked sentences that best answer the question.

The lead is the best sentence (whole when it fits, cut around its answer when not), then
further sentences only while they answer nearly as well: a "why" or "how" may need two
or three, a "who" or "when" rarely more than one. A sentence that is itself a question
never leads. Below the reranker's calibrated relevance, the documents do not
answer, and the closest passages are shown instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from app.answer import final_answer, stream_answer
from app.answer.extractive.lead import lead_texts
from app.question.analysis import Question
from app.rerank.base import Ranked, Sentence
from app.rerank.sentences import question_weights
from app.settings import AnswerSettings
from app.store import Store
from app.types import Answer, AnswerSentence, Citation, Delta

__all__ = ["REFUSAL", "ExtractiveAnswerer", "Selection"]

REFUSAL = "The documents do not answer this question. The closest passages are listed below."


@dataclass(frozen=True)
class Selection:
    """The sentences chosen for the answer, best first, and whether the evidence is too weak."""

    sentences: tuple[Sentence, ...]
    evidence: float
    refused: bool


class ExtractiveAnswerer:
    """Answers with the reranked sentences themselves, each citing its exact span."""

    mode = "extractive"

    def __init__(self, store: Store, settings: AnswerSettings) -> None:
        self.store = store
        self.settings = settings

    def stream(self, question: Question, ranked: Ranked) -> Iterator[Delta | Answer]:
        """The answer sentence by sentence (it is complete before the first piece)."""
        selection = self.select(ranked)
        if selection.refused:
            yield from stream_answer(self.refusal(question, ranked))
            return
        yield from stream_answer(self._compose(question, selection))

    def answer(self, question: Question, ranked: Ranked) -> Answer:
        """The stream's finished answer."""
        return final_answer(self.stream(question, ranked))

    def select(self, ranked: Ranked) -> Selection:
        """Choose the lead sentences, best first, or refuse."""
        usable = [s for s in ranked.sentences if not s.asks]
        evidence = ranked.evidence
        if evidence < ranked.min_relevance:
            return Selection((), evidence, True)
        floor = usable[0].rank * self.settings.min_relative_score
        chosen = [s for s in usable if s.rank >= floor][: self.settings.max_sentences]
        return Selection(tuple(chosen), evidence, False)

    def _compose(self, question: Question, selection: Selection) -> Answer:
        chosen = self._citations(list(selection.sentences))
        shown = lead_texts(
            question,
            [(c.quote, c.date, s.answer) for c, s in zip(chosen, selection.sentences, strict=True)],
            question_weights(question, self.store),
            self.settings.max_chars,
            self.settings.min_window_chars,
        )
        citations = chosen[: len(shown)]  # numbered in order, so a cut tail leaves no gap
        sentences = tuple(
            AnswerSentence(s.text, (c.id,), True, s.answer_span)
            for s, c in zip(shown, citations, strict=True)
        )
        return Answer(
            question=question.asked,
            answer=" ".join(f"{s.text} [{s.citations[0]}]" for s in sentences),
            refused=False,
            citations=tuple(citations),
            sentences=sentences,
        )

    def refusal(self, question: Question, ranked: Ranked) -> Answer:
        """The documents do not answer: say so, and list the closest passages."""
        closest = [s for s in ranked.sentences if not s.asks][: self.settings.closest]
        return Answer(
            question=question.asked,
            answer=REFUSAL,
            refused=True,
            closest=tuple(self._citations(closest)),
        )

    def _citations(self, sentences: list[Sentence]) -> list[Citation]:
        meta = self.store.document_meta(sorted({s.doc_id for s in sentences}))
        out = []
        for n, s in enumerate(sentences, start=1):
            source, title, date, key = meta[s.doc_id]
            out.append(
                Citation(n, source, title, date, s.start, s.end, s.text, key, doc_id=s.doc_id)
            )
        return out
