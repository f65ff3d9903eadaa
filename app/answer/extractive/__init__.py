"""The default answerer, no LLM: the reranked sentences that best answer the question,
chosen and arranged by the composer for what the question asks (``compose/``).

A fact gets its best sentence and further ones only while they answer nearly as well; a
definition the sentence that says what the subject is; a cause the sentence that gives
it and each named side's account; a position the subject's own statements; a timeline
dated events in order; a summary distinct dated points. A sentence that is itself a
question never leads, and no two sentences of an answer say the same thing: the same
fact reported twice is one sentence citing both. Below the reranker's calibrated
relevance the documents do not answer, and the closest passages are shown instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from app.answer import final_answer, stream_answer
from app.answer.extractive.compose import Plan, composer_for
from app.answer.extractive.lead import answer_span, shown_text
from app.question.analysis import Intent, Question
from app.question.entities import Entity
from app.rerank.base import Ranked, Sentence
from app.rerank.sentences import question_weights
from app.settings import AnswerSettings
from app.store import Store
from app.types import Answer, AnswerSentence, Citation, Delta

__all__ = ["REFUSAL", "ExtractiveAnswerer", "Selection"]

REFUSAL = "The documents don't say. The closest passages are listed below."


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
        yield from stream_answer(self.answer_whole(question, ranked))

    def answer(self, question: Question, ranked: Ranked) -> Answer:
        """The stream's finished answer."""
        return final_answer(self.stream(question, ranked))

    def answer_whole(self, question: Question, ranked: Ranked) -> Answer:
        """The answer, or a refusal (with its reason when the composer gives one)."""
        if question.holder is not None and _unattributed(question.holder, ranked):
            why = f"Nothing in the documents is attributed to {_as_asked(question)}."
            return self.refusal(question, ranked, why)  # "according to the United Nations"
        timed = question.intent is Intent.TIMELINE and question.when is not None
        if ranked.evidence < ranked.min_relevance and not timed:
            return self.refusal(question, ranked)
        plan = composer_for(question.intent).compose(question, ranked, self.settings)
        if plan.refusal is not None or not plan.picks:
            return self.refusal(question, ranked, plan.refusal or None)
        return self._render(question, plan)

    def select(self, ranked: Ranked) -> Selection:
        """The plain-fact choice of sentences, best first, or a refusal (for benchmarks
        that read the choice itself)."""
        usable = [s for s in ranked.sentences if not s.asks]
        evidence = ranked.evidence
        if evidence < ranked.min_relevance or not usable:
            return Selection((), evidence, True)
        floor = usable[0].rank * self.settings.min_relative_score
        chosen = [s for s in usable if s.rank >= floor][: self.settings.max_sentences]
        return Selection(tuple(chosen), evidence, False)

    def _render(self, question: Question, plan: Plan) -> Answer:
        """The plan as text and citations: each shown sentence with its numbers."""
        every = [s for p in plan.picks for s in (p.sentence, *p.also)]
        numbered = self._citations(every)
        number = {(c.doc_id, c.start): c.id for c in numbered}
        weights = question_weights(question, self.store)
        plain = question.intent is Intent.FACT
        budget = self.settings.max_chars if plain else self.settings.max_chars * 3
        sentences: list[AnswerSentence] = []
        used = 0
        for n, pick in enumerate(plan.picks):
            limit = None if n == 0 else budget - used
            # A timeline's line carries its date in its label, not again in its text.
            shown = shown_text(
                question,
                pick.sentence,
                weights,
                limit,
                plain,
                dated=plan.form != "timeline",
                # A plain question of fact cuts its lead at clauses past the answer's
                # length budget, so the words that answer stay near the start; someone's
                # account ("according to Kabul, …") is shown whole.
                long=self.settings.max_chars
                if plain and question.holder is None
                else self.settings.long_lead,
                whole=self.settings.long_lead,
                room=self.settings.min_window_chars,
                kind_mass=self.settings.kind_mass,
            )
            if shown is None:
                break
            cited = tuple(
                dict.fromkeys(number[(s.doc_id, s.start)] for s in (pick.sentence, *pick.also))
            )
            span = answer_span(question, shown.text, weights, pick.sentence.answer) if (
                n == 0 and plain
            ) else None  # fmt: skip
            sentences.append(AnswerSentence(shown.text, cited, True, span, pick.label))
            used += len(shown.text) + 4 * len(cited) + 1
        kept = {c for s in sentences for c in s.citations}
        citations = _renumbered([c for c in numbered if c.id in kept], sentences)
        return Answer(
            question=question.asked,
            answer=_text(citations[1], plan.form),
            refused=False,
            citations=tuple(citations[0]),
            sentences=tuple(citations[1]),
            form=plan.form,
        )

    def refusal(self, question: Question, ranked: Ranked, reason: str | None = None) -> Answer:
        """The documents do not answer: say so (and why, when known), and list the
        closest passages."""
        closest = [s for s in ranked.sentences if not s.asks][: self.settings.closest]
        text = REFUSAL if reason is None else f"{reason} The closest passages are listed below."
        return Answer(
            question=question.asked,
            answer=text,
            refused=True,
            closest=tuple(self._citations(closest)),
        )

    def _citations(self, sentences: Sequence[Sentence]) -> list[Citation]:
        meta = self.store.document_meta(sorted({s.doc_id for s in sentences}))
        out: list[Citation] = []
        seen: set[tuple[int, int]] = set()
        for s in sentences:
            if (s.doc_id, s.start) in seen:
                continue
            seen.add((s.doc_id, s.start))
            source, title, date, key = meta[s.doc_id]
            out.append(
                Citation(
                    len(out) + 1, source, title, date, s.start, s.end, s.text, key, doc_id=s.doc_id
                )
            )
        return out


def _as_asked(question: Question) -> str:
    """The holder as the question names them ("the United Nations")."""
    assert question.holder is not None
    name = question.holder.name
    found = re.search(rf"\b(?:the\s+)?{re.escape(name)}", question.asked, re.IGNORECASE)
    return found.group() if found else name


def _unattributed(holder: Entity, ranked: Ranked) -> bool:
    """Whether no passage gives ``holder``'s account or names them (a capitalised word of
    the name, whole: "Fermat" for "Fermat's theorem", but not "unite" for "United"). An
    acronym may be spelled out unannounced ("the American Automobile Association" for
    "the AAA"), so a name holding one is never said to be missing."""
    names = [w for w in re.findall(r"[\w’'-]+", holder.name) if w[:1].isupper()]
    if any(len(w) > 1 and w.isupper() for w in names):
        return False
    named = re.compile(rf"\b(?:{'|'.join(map(re.escape, names))})\b") if names else None
    sentences = (*ranked.sentences, *ranked.unread)
    return not any(
        s.held == 1 or holder.pattern().search(s.text) or (named and named.search(s.text))
        for s in sentences
    )


def _renumbered(
    citations: list[Citation], sentences: list[AnswerSentence]
) -> tuple[list[Citation], list[AnswerSentence]]:
    """Citations numbered 1… in the order the answer first cites them."""
    import dataclasses

    order: dict[int, int] = {}
    for sentence in sentences:
        for old in sentence.citations:
            order.setdefault(old, len(order) + 1)
    by_old = {c.id: c for c in citations}
    renumbered = [dataclasses.replace(by_old[old], id=new) for old, new in order.items()]
    return renumbered, [
        dataclasses.replace(s, citations=tuple(order[c] for c in s.citations)) for s in sentences
    ]


def _text(sentences: Sequence[AnswerSentence], form: str) -> str:
    """The answer's text: sentences with their ``[n]`` marks, labelled lines for a
    timeline, positions or points."""
    pieces = []
    for s in sentences:
        marks = "".join(f"[{n}]" for n in s.citations)
        body = f"{s.text} {marks}"
        pieces.append(f"{s.label}: {body}" if s.label else body)
    separator = " " if form == "prose" else "\n"
    return separator.join(pieces)
