"""The default answerer, no LLM: pick the retrieved sentences that best answer the question."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from app.answer import stream_answer
from app.answer.injection import addresses_model
from app.embeddings import embed_matrix
from app.embeddings.question import QuestionEncoder
from app.question.acronyms import asked_acronym, defines
from app.question.attribution import named_source
from app.question.follow_up import follow_up_query
from app.question.kinds import answer_spans, wanted
from app.settings import AnswerSettings
from app.store import IndexStore
from app.text.analysis import analyse
from app.text.dates import annotate
from app.text.sentences import breaks_paragraph
from app.types import Answer, AnswerSentence, Chunk, Citation, Delta, Hit

__all__ = ["REFUSAL", "Candidate", "ExtractiveAnswerer", "Selection"]

_SPACE = re.compile(r"\s+")
Spans = Callable[[str], list[tuple[int, int]]]
REFUSAL = "The documents do not answer this question. The closest passages are listed below."


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved chunk, scored; offsets are into its document."""

    doc_id: int
    start: int
    end: int
    text: str
    score: float  # for ranking: ``evidence`` plus what the sentence before it adds
    evidence: float  # the sentence alone (the refusal threshold is calibrated on it)
    lexical: float
    dense: float
    passage: float
    attributed: bool = True  # names the source the question asks about, if it names one


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

    # Weights of the sentence score, chosen on 1,000 SQuAD dev questions (seed 7); the
    # context weight was checked on 2,000 further questions outside the bench's sample.
    W_LEXICAL, W_DENSE, W_PASSAGE = 0.35, 0.30, 0.35
    W_CONTEXT = 0.2
    # Chosen the same way, on the tuning questions, and checked on the 2,000 others:
    # a sentence holding the kind of answer asked for (a time, a quantity) gains
    # W_KIND; one whose meaning is clearer after the sentence before it ("This takes
    # two forms, …") gains W_CONTEXT_DENSE of what that sentence adds to its cosine;
    # in a long sentence cut to fit, a word of the kind asked for weighs KIND_MASS
    # times the question's heaviest term, so the cut keeps it.
    W_KIND = 0.1
    W_CONTEXT_DENSE = 0.3
    KIND_MASS = 2.0
    REREAD = 4

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
        spans = _sentences(hits)
        if not spans:
            return []
        q_weights = self._question_weights(question)
        own = [set(t) for t in analyse([s.text for s in spans])]
        read = [o | set(b) for o, b in zip(own, analyse([s.before for s in spans]), strict=True)]
        lexical = [_coverage(q_weights, o, o) for o in own]
        # "It was founded in 1890" answers "When was the museum founded?" only with the
        # sentence before it: the question's words found in the sentence before one in
        # its paragraph count for part of its rank (not of its evidence).
        context = [_coverage(q_weights, o, r) for o, r in zip(own, read, strict=True)]
        # A sentence that spells out the acronym asked about answers the whole question,
        # and comes before sentences that only use it.
        short = asked_acronym(question)
        spelled = {i for i, s in enumerate(spans) if short and defines(s.text, short)}
        for i in spelled:
            lexical[i] = context[i] = 1.0
        # "…according to the United Nations?" wants the UN's account: a sentence that does
        # not name it (or follow one that does) is someone else's figure.
        source = set(analyse([name])[0]) if (name := named_source(question)) else set()
        attributed = [source <= r for r in read]
        top = max(h.score for h in hits) or 1.0
        passage = [s.hit.score / top for s in spans]
        # "When did…" is answered by a sentence with a time in it, "How many…" by one
        # with a number (kinds the question does not name add nothing).
        kind = wanted(question)
        typed = [
            self.W_KIND * bool(kind and kind.ranks and answer_spans(kind, s.text, question))
            for s in spans
        ]
        cheap = [
            self.W_LEXICAL * lex + self.W_PASSAGE * rank
            for lex, rank in zip(lexical, passage, strict=True)
        ]
        # Embedding sentences is most of an answer's cost; only the best by the cheap
        # part of the score compete on meaning (on SQuAD the best sentence is among the
        # top 8 by the cheap score 99% of the time).
        keep = sorted(range(len(spans)), key=lambda i: cheap[i] + typed[i], reverse=True)
        keep = keep[: self.settings.rerank_sentences]
        # The best few by the cheap score are also read after the sentence before them
        # in their paragraph ("This takes two forms, …" means something only then), in
        # the same batch.
        reread = [i for i in keep if spans[i].before][: self.REREAD]
        cosines = embed_matrix(
            self.encoder.embeddings,
            [spans[i].text for i in keep] + [f"{spans[i].before} {spans[i].text}" for i in reread],
        ) @ self.encoder(question)
        dense = dict(zip(keep, cosines[: len(keep)].tolist(), strict=True))
        in_context = dict(zip(reread, cosines[len(keep) :].tolist(), strict=True))
        out = []
        for i, cos in dense.items():
            span = spans[i]
            evidence = cheap[i] + self.W_DENSE * cos
            score = evidence + self.W_CONTEXT * (context[i] - lexical[i]) + typed[i]
            score += self.W_CONTEXT_DENSE * max(0.0, in_context.get(i, cos) - cos)
            score += 1.0 if i in spelled else 0.0  # above any sentence that only uses it
            out.append(
                Candidate(
                    span.hit.chunk.doc_id,
                    span.start,
                    span.end,
                    span.text,
                    score,
                    evidence,
                    lexical[i],
                    cos,
                    passage[i],
                    attributed[i],
                )
            )
        out.sort(key=lambda c: c.score, reverse=True)
        return out

    def _question_weights(self, question: str) -> dict[str, float]:
        """IDF weight of each question term; empty if the corpus knows none of them."""
        q_terms = analyse([question])[0]
        # A question term the corpus never uses weighs as the rarest term: it cannot be
        # matched, so a question about something absent scores low and is refused.
        weights = self.lexical.weights(q_terms)
        if not self.lexical.term_ids(q_terms) or sum(weights.values()) <= 0:
            return {}
        return weights

    def select(self, question: str, hits: list[Hit]) -> Selection:
        """Choose the lead sentences, best first, or refuse."""
        ranked = self.candidates(question, hits[: self.settings.passages])
        usable = [c for c in ranked if c.attributed]
        evidence = max((c.evidence for c in usable), default=0.0)
        if evidence < self.settings.min_score:
            return Selection((), evidence, True, tuple(ranked))
        floor = usable[0].score * self.settings.min_relative_score
        chosen = [c for c in usable if c.score >= floor][: self.settings.max_sentences]
        return Selection(tuple(chosen), evidence, False)

    def answer(self, question: str, hits: list[Hit]) -> Answer:
        """A short answer whose every sentence cites its exact span, or a refusal."""
        selection = self.select(question, hits)
        if selection.refused:
            return self.refusal(question, selection)
        chosen = self._citations(list(selection.sentences))
        texts = self._lead(question, chosen)
        citations = chosen[: len(texts)]  # numbered in order, so a cut tail leaves no gap
        sentences = tuple(
            AnswerSentence(text, (c.id,), True) for text, c in zip(texts, citations, strict=True)
        )
        return Answer(
            question=question,
            answer=" ".join(f"{s.text} [{s.citations[0]}]" for s in sentences),
            refused=False,
            citations=tuple(citations),
            sentences=sentences,
        )

    def _lead(self, question: str, chosen: list[Citation]) -> list[str]:
        """The text shown for each chosen sentence, all within the length budget.

        A sentence too long for its share is cut to the window around the question's
        terms (answers sit next to them), marked with "…"; the citation still quotes the
        whole sentence. The best sentence gets up to ``lead_first_chars``, the others
        share the rest; one left less than ``min_window_chars`` is dropped.
        """
        weights = self.lexical.weights(analyse([question])[0])
        kind = wanted(question)

        def answers(text: str) -> list[tuple[int, int]]:
            return answer_spans(kind, text, question) if kind else []

        budget, floor = self.settings.max_chars, self.settings.min_window_chars
        texts: list[str] = []
        for n, citation in enumerate(chosen):
            left = budget - sum(len(t) + 5 for t in texts) - 5
            if texts and left < floor:
                break
            others = len(chosen) - n - 1
            cap = left if texts or not others else max(
                min(self.settings.lead_first_chars, left), left - floor * others
            )  # fmt: skip
            texts.append(_window(citation.quote, weights, cap, citation.date, answers))
        return texts

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


@dataclass(frozen=True)
class _Span:
    """A sentence of a retrieved chunk and the sentence before it in the same paragraph."""

    hit: Hit
    start: int
    end: int
    text: str
    before: str


def _sentences(hits: list[Hit]) -> list[_Span]:
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


def _coverage(weights: dict[str, float], own: set[str], seen: set[str]) -> float:
    """Share of the question's term weight in ``seen``; zero unless ``own`` adds a new term.

    A sentence that only repeats the question's words cannot hold its answer.
    """
    total = sum(weights.values())
    if total <= 0 or not own - weights.keys():
        return 0.0
    return sum(w for t, w in weights.items() if t in seen) / total


def _window(
    text: str, weights: dict[str, float], limit: int, published: str | None, answers: Spans
) -> str:
    """``text`` on one line, cut to at most ``limit`` characters around the weighted terms
    and the spans ``answers`` finds in it (words of the kind of answer asked for).

    Relative dates ("last Thursday") get the date they mean from the article's date.
    """
    text = _SPACE.sub(" ", text).strip()
    for _ in range(2):  # a second pass makes room for the dates added by the first
        cut = text if len(text) <= limit else _cut(text, weights, limit, answers(text))
        shown = annotate(cut, published)
        if len(shown) <= limit or len(text) <= 20:
            return shown
        limit -= len(shown) - limit
    return shown


def _cut(
    text: str, weights: dict[str, float], limit: int, answers: Sequence[tuple[int, int]] = ()
) -> str:
    """The words of ``text`` around its heaviest cluster of terms, within ``limit``.

    A word inside one of the ``answers`` spans weighs ``KIND_MASS`` heaviest terms.
    """
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    mass = [
        sum(weights.get(t, 0.0) for t in terms) for terms in analyse([text[a:b] for a, b in words])
    ]
    extra = ExtractiveAnswerer.KIND_MASS * max(weights.values(), default=0.0)
    for k, (x, y) in enumerate(words):
        if any(a < y and x < b for a, b in answers):
            mass[k] += extra
    room = limit - 4  # the ellipses

    def fits(i: int, j: int) -> bool:  # words i..j-1
        return words[j - 1][1] - words[i][0] <= room

    # The window (of at most ``room`` characters) holding the most term weight...
    best, first, last, j, total = -1.0, 0, 1, 0, 0.0
    for i in range(len(words)):
        if j <= i:
            j, total = i, 0.0
        while j < len(words) and fits(i, j + 1):
            total += mass[j]
            j += 1
        if j > i and total > best:
            best, first, last = total, i, j
        total -= mass[i] if j > i else 0.0
    # ...then narrowed to its weighted words and grown: two words after for each word
    # before, as answers more often follow the question's words than precede them.
    heavy = [k for k in range(first, last) if mass[k] > 0] or [first]
    a, b = heavy[0], heavy[-1] + 1
    grown = True
    while grown:
        grown = False
        for _ in range(2):
            if b < len(words) and fits(a, b + 1):
                b, grown = b + 1, True
        if a > 0 and fits(a - 1, b):
            a, grown = a - 1, True
    if a == b:  # one word longer than the limit
        return text[:room].rstrip() + " …"
    start, end = words[a][0], words[b - 1][1]
    return ("… " if start > 0 else "") + text[start:end] + (" …" if end < len(text) else "")
