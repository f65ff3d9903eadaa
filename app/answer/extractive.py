"""The default answerer, no LLM: pick the retrieved sentences that best answer the question."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.answer import stream_answer
from app.answer.injection import addresses_model
from app.conversation import follow_up_query
from app.dates import annotate
from app.embeddings import embed_matrix
from app.lexical import analyse
from app.retrieval import Hit, QuestionEncoder
from app.schema import Answer, AnswerSentence, Citation, Delta
from app.settings import AnswerSettings
from app.store import IndexStore

__all__ = ["REFUSAL", "Candidate", "ExtractiveAnswerer", "Selection"]

_SPACE = re.compile(r"\s+")
REFUSAL = "The documents do not answer this question. The closest passages are listed below."


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved chunk, scored; offsets are into its document."""

    doc_id: int
    start: int
    end: int
    text: str
    score: float
    lexical: float
    dense: float
    passage: float


@dataclass(frozen=True)
class Selection:
    """The sentences chosen for the answer, best first, and whether the evidence is too weak."""

    sentences: tuple[Candidate, ...]
    evidence: float
    refused: bool
    ranked: tuple[Candidate, ...] = ()


class ExtractiveAnswerer:
    """Scores each sentence of the top passages by term overlap, meaning and passage rank."""

    mode = "extractive"

    # Weights of the sentence score, chosen on 1,000 SQuAD dev questions (seed 7).
    W_LEXICAL, W_DENSE, W_PASSAGE = 0.35, 0.30, 0.35

    def __init__(
        self, store: IndexStore, encoder: QuestionEncoder, settings: AnswerSettings
    ) -> None:
        self.store = store
        self.lexical = store.lexical
        self.encoder = encoder
        self.settings = settings

    def standalone(self, question: str, history: Sequence[Mapping[str, Any]] | None) -> str:
        """A follow-up borrows the previous question's words (no LLM to rewrite it)."""
        return follow_up_query(question, history)

    def stream(self, question: str, hits: list[Hit]) -> Iterator[Delta | Answer]:
        """The answer sentence by sentence (it is complete before the first piece)."""
        return stream_answer(self.answer(question, hits))

    def candidates(self, question: str, hits: list[Hit]) -> list[Candidate]:
        """Every distinct sentence of ``hits`` with its score, best first."""
        seen: set[tuple[int, int]] = set()
        spans: list[tuple[Hit, int, int, str]] = []
        for hit in hits:
            chunk = hit.chunk
            for start, end in chunk.sentences:
                if (chunk.doc_id, start) in seen:
                    continue
                seen.add((chunk.doc_id, start))
                text = chunk.text[start - chunk.start : end - chunk.start]
                if addresses_model(text):  # an order to an AI is never an answer to a person
                    continue
                spans.append((hit, start, end, text))
        if not spans:
            return []
        lexical = self._overlap(question, [s[3] for s in spans])
        top = max(h.score for h in hits) or 1.0
        passage = [hit.score / top for hit, *_ in spans]
        cheap = [
            self.W_LEXICAL * lex + self.W_PASSAGE * rank
            for lex, rank in zip(lexical, passage, strict=True)
        ]
        # Embedding sentences is most of an answer's cost; only the best by the cheap
        # part of the score compete on meaning (on SQuAD the best sentence is among the
        # top 8 by the cheap score 99% of the time).
        keep = sorted(range(len(spans)), key=cheap.__getitem__, reverse=True)
        keep = keep[: self.settings.rerank_sentences]
        dense = embed_matrix(self.encoder.embeddings, [spans[i][3] for i in keep]) @ self.encoder(
            question
        )
        out = []
        for i, cos in zip(keep, dense, strict=True):
            hit, start, end, text = spans[i]
            score = cheap[i] + self.W_DENSE * float(cos)
            out.append(
                Candidate(
                    hit.chunk.doc_id, start, end, text, score, lexical[i], float(cos), passage[i]
                )
            )
        out.sort(key=lambda c: c.score, reverse=True)
        return out

    def _overlap(self, question: str, texts: list[str]) -> list[float]:
        """Share of the question's IDF mass in each text; zero if a text adds nothing new."""
        q_terms = analyse([question])[0]
        q_ids = set(self.lexical.term_ids(q_terms))
        # A question term the corpus never uses counts as the rarest term: it cannot be
        # matched, so a question about something absent scores low and is refused.
        unknown = len(set(q_terms)) - len(q_ids)
        rarest = float(self.lexical.idf.max()) if len(self.lexical.idf) else 1.0
        total = float(sum(self.lexical.idf[i] for i in q_ids)) + unknown * rarest
        if not q_ids or total <= 0:
            return [0.0] * len(texts)
        out = []
        for terms in analyse(texts):
            ids = set(self.lexical.term_ids(terms))
            covered = float(sum(self.lexical.idf[i] for i in ids & q_ids))
            # A sentence that only repeats the question's words cannot hold its answer.
            novel = bool(set(terms) - set(q_terms))
            out.append(covered / total if novel else 0.0)
        return out

    def select(self, question: str, hits: list[Hit]) -> Selection:
        """Choose the lead sentences within the length budget, or refuse."""
        ranked = self.candidates(question, hits[: self.settings.passages])
        if not ranked or ranked[0].score < self.settings.min_score:
            return Selection((), ranked[0].score if ranked else 0.0, True, tuple(ranked))
        chosen: list[Candidate] = []
        used = 0
        for candidate in ranked[: self.settings.max_sentences * 3]:
            length = len(_SPACE.sub(" ", candidate.text)) + 5
            if chosen and (
                used + length > self.settings.max_chars
                or candidate.score < ranked[0].score * self.settings.min_relative_score
            ):
                continue
            chosen.append(candidate)
            used += length
            if len(chosen) >= self.settings.max_sentences:
                break
        return Selection(tuple(chosen), ranked[0].score, False)

    def answer(self, question: str, hits: list[Hit]) -> Answer:
        """A short answer whose every sentence cites its exact span, or a refusal."""
        selection = self.select(question, hits)
        if selection.refused:
            return self.refusal(question, selection)
        citations = self._citations(list(selection.sentences))
        # Relative dates ("last Thursday") get the date they mean, from the article's date;
        # the citation's quote stays exactly the document's text.
        sentences = tuple(
            AnswerSentence(
                _shorten(annotate(c.quote, c.date), self.settings.max_chars), (c.id,), True
            )
            for c in citations
        )
        return Answer(
            question=question,
            answer=" ".join(f"{s.text} [{s.citations[0]}]" for s in sentences),
            refused=False,
            citations=tuple(citations),
            sentences=sentences,
        )

    def refusal(self, question: str, selection: Selection | list[Hit]) -> Answer:
        """The documents do not answer: say so, and list the closest passages."""
        if not isinstance(selection, Selection):
            selection = Selection(
                (), 0.0, True, tuple(self.candidates(question, selection[: self.settings.passages]))
            )
        closest = list(selection.ranked[: self.settings.closest])
        return Answer(
            question=question,
            answer=REFUSAL,
            refused=True,
            closest=tuple(self._citations(closest)),
        )

    def _citations(self, sentences: list[Candidate]) -> list[Citation]:
        meta = self.store.document_meta(sorted({s.doc_id for s in sentences}))
        out = []
        for n, s in enumerate(sentences, start=1):
            source, title, date, key = meta[s.doc_id]
            out.append(
                Citation(n, source, title, date, s.start, s.end, s.text, key, doc_id=s.doc_id)
            )
        return out


def _shorten(text: str, limit: int) -> str:
    """One line of text, cut at a word with an ellipsis when it exceeds ``limit``."""
    text = _SPACE.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    return text[: text.rfind(" ", 0, limit - 1)].rstrip(",;:") + " …"
