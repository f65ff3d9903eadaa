"""The sentences of a question's passages, each with what can be read off it cheaply.

Every distinct sentence of the retrieved passages becomes a candidate once (a sentence
in two overlapping chunks counts once), with the sentence before it in its paragraph,
the share of the question's term weight it holds, its passage's standing, and the
facts the question's analysis asks about: does it spell out the acronym asked about, is
it itself a question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from app.question.acronyms import defines
from app.question.analysis import Question
from app.rerank.base import Sentence
from app.store.base import TermWeights
from app.text.analysis import analyse
from app.text.instructions import addresses_model
from app.text.sentences import breaks_paragraph
from app.types import Chunk, Hit

__all__ = ["candidate_sentences", "coverage", "question_weights"]

# A sentence that ends with a question mark (before closing quotes) asks; it does not answer.
_ASKS = re.compile(r"\?[\s\"'”’»)\]]*$")


def question_weights(question: Question, statistics: TermWeights) -> dict[str, float]:
    """IDF weight of each question term; empty if the corpus knows none of them.

    A question term the corpus never uses weighs as the rarest term: it cannot be
    matched, so a question about something absent scores low and is refused.
    """
    weights = statistics.weights(question.terms)
    if not statistics.knows_any(question.terms) or sum(weights.values()) <= 0:
        return {}
    return weights


def coverage(weights: dict[str, float], own: set[str], seen: set[str]) -> float:
    """Share of the question's term weight in ``seen``; zero unless ``own`` adds a new term.

    A sentence that only repeats the question's words cannot hold its answer.
    """
    total = sum(weights.values())
    if total <= 0 or not own - weights.keys():
        return 0.0
    return sum(w for t, w in weights.items() if t in seen) / total


@dataclass(frozen=True)
class _Span:
    hit: Hit
    start: int
    end: int
    text: str
    before: str


def candidate_sentences(
    question: Question, hits: Sequence[Hit], statistics: TermWeights
) -> list[Sentence]:
    """Every distinct sentence of ``hits``, in retrieval order, with its cheap features."""
    spans = _spans(hits)
    if not spans:
        return []
    weights = question_weights(question, statistics)
    own = [set(t) for t in analyse([s.text for s in spans])]
    read = [o | set(b) for o, b in zip(own, analyse([s.before for s in spans]), strict=True)]
    best = max(h.score for h in hits) or 1.0
    out = []
    for span, terms, context in zip(spans, own, read, strict=True):
        spelled = bool(question.acronym) and defines(span.text, question.acronym or "")
        out.append(
            Sentence(
                chunk_id=span.hit.chunk.id,
                doc_id=span.hit.chunk.doc_id,
                start=span.start,
                end=span.end,
                text=span.text,
                before=span.before,
                # A sentence that spells out the acronym asked about answers the question
                # whole, however few of its words it repeats.
                lexical=1.0 if spelled else coverage(weights, terms, terms),
                context=1.0 if spelled else coverage(weights, terms, context),
                standing=span.hit.score / best,
                defines=spelled,
                asks=_ASKS.search(span.text) is not None,
            )
        )
    return out


def _spans(hits: Sequence[Hit]) -> list[_Span]:
    """Each distinct sentence of ``hits`` once, in retrieval order, with the one before it."""
    found: dict[tuple[int, int], _Span] = {}
    for hit in hits:
        chunk, spans = hit.chunk, hit.chunk.sentences
        texts = [chunk.text[a - chunk.start : b - chunk.start] for a, b in spans]
        for k, (start, end) in enumerate(spans):
            if addresses_model(texts[k]):  # an order to an AI is never an answer to a person
                continue
            before = texts[k - 1] if k and _joined(chunk, spans[k - 1], spans[k]) else ""
            known = found.get((chunk.doc_id, start))
            if known is None:
                found[(chunk.doc_id, start)] = _Span(hit, start, end, texts[k], before)
            elif before and not known.before:  # the first chunk began with this sentence
                found[(chunk.doc_id, start)] = replace(known, before=before)
    return list(found.values())


def _joined(chunk: Chunk, first: tuple[int, int], second: tuple[int, int]) -> bool:
    """Whether two sentences of ``chunk`` stand in the same paragraph."""
    return not breaks_paragraph(chunk.text[first[1] - chunk.start : second[0] - chunk.start])
