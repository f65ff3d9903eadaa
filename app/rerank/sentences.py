"""The sentences of a question's passages, each with what can be read off it cheaply.

Every distinct sentence of the retrieved passages becomes a candidate once (a sentence
in two overlapping chunks counts once), with the sentence before it in its paragraph,
the share of the question's term weight it holds, its passage's standing, and the
facts the question's analysis asks about: does it spell out the acronym asked about, is
it itself a question (an interviewer's line, with or without "?"), the dates it names
(relative ones resolved against its article's date), whether it holds the kind of words
the question's intent looks for, whether it names the question's subject, and whether
the view it reports is the subject's own.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from app.question.acronyms import defines, long_form
from app.question.analysis import Question
from app.question.entities import Entity, entity_of, known_as, mentioned, titled_as, widened
from app.question.intent import Intent
from app.rerank.base import Sentence
from app.settings import ReadingWeights
from app.store.base import DocumentMeta, Store, TermWeights
from app.text.analysis import analyse
from app.text.attribution import held
from app.text.dates import DateSpan, date_spans
from app.text.instructions import addresses_model
from app.text.interview import Interview, announces, asks, interview_of
from app.text.sentences import breaks_paragraph, credited, quotes_whole
from app.types import Chunk, Hit

READING = ReadingWeights()  # the defaults, for callers without settings

__all__ = [
    "CUES",
    "WEAK_CUES",
    "asks",
    "candidate_sentences",
    "coverage",
    "cue_of",
    "gather",
    "other_names",
    "prior",
    "question_weights",
    "reading_order",
    "subject_of",
    "their_words",
    "unknown_terms",
]

# The words each intent looks for in an answer (general English, not this corpus's).
CUES: dict[Intent, re.Pattern[str]] = {
    Intent.CAUSE: re.compile(
        r"\b(?:because|due\s+to|owing\s+to|as\s+a\s+result|stems?\s+from|stemm(?:ed|ing)\s+"
        r"from|roots?|core\s+(?:issue|problem|dispute)|the\s+(?:main\s+)?(?:issue|problem|"
        r"dispute)|reasons?|caused?|led\s+to|leads\s+to|triggered|sparked|provoked|in\s+"
        r"response\s+to|a\s+response\s+to|in\s+retaliation|after|fuel(?:l?ed)?|behind|origins?|"
        r"given\s+(?:the|that|its|their|his|"
        r"her)|thanks\s+to|so\s+that|in\s+order\s+to)\b|"
        # "The strategy, experts say, was to install…": the purpose as the reason
        r"\b(?:strategy|aim|goal|purpose|idea|plan|intention|objective|calculation|thinking)\b"
        r"[^.;]{0,40}?\bwas\s+to\b|"
        # "as Pakistan's frustration has grown, …": a mounting circumstance as the cause
        r"\bas\s+(?:\w+['’]s\s+)?(?:\w+\s+){0,3}?(?:has|have|had)\s+(?:grown|risen|mounted|"
        r"increased|deepened|worsened|intensified|spread)\b",
        re.IGNORECASE,
    ),
    Intent.EVENT: re.compile(
        r"\b(?:in\s+retaliation|retaliat\w+|respond\w*|in\s+response|in\s+return|countered|"
        r"launch\w*|struck|strikes?|hit|attack\w*|fired|bomb\w*|storm\w*|carried\s+out|"
        r"target\w*|raid\w*|shell\w*|killed|died|dead|seized|captured|clash\w*|fight\w*|"
        r"erupted|explosions?|war|declared|signed|agreed|met|elected|approved|announced|"
        r"closed|opened|resigned|arrested|protest\w*|flood\w*|collapsed|invaded)\b",
        re.IGNORECASE,
    ),
    Intent.POSITION: re.compile(
        r"\b(?:says?|said|argues?|argued|argument|claims?|claimed|accus\w+|denies|denied|"
        r"insists?|maintains?|believes?|wants?|demand\w*|warn\w*|alleg\w+|blam\w+|declared|"
        r"position|view|stance|framed|resisted|rejected|refused|according\s+to|feel|feels|"
        r"happy|appreciate\w*|worr\w+|fear\w*|hope\w*)\b|[“\"]",
        re.IGNORECASE,
    ),
    Intent.DEFINITION: re.compile(
        r"\b(?:is|was|are|were)\s+(?:a|an|the)\b|,\s+(?:a|an|the)\s|\balso\s+known\s+as\b|"
        r"\bknown\s+as\b|\bcalled\b|\b(?:which|who)\s+(?:is|was|are|were)\b|"
        r"\bstands?\s+for\b|\brefers?\s+to\b|\bemerged\b|\bfounded\b|\bformed\b|"
        r"\b(?:head|leader|founder|member|analyst|minister|spokes\w+|director|chief)\s+of\b",
        re.IGNORECASE,
    ),
    Intent.CHANGE: re.compile(
        r"\b(?:deteriorat\w+|improv\w+|worsen\w+|grow\w*|grew|increas\w*|decreas\w*|"
        r"declin\w+|risen|rose|surge\w*|spiral\w*|shift\w*|chang\w+|became|become|turned|"
        r"since|no\s+longer|increasingly|sharply|hardened|escalat\w+|backfired|foes?|ally|"
        r"allies|once|used\s+to|now|initially|at\s+first|originally|previously|formerly|"
        r"more\s+recently|began\s+to|begun\s+to)\b",
        re.IGNORECASE,
    ),
}
# Words that may give a cause but as often do not (an accusation, a quarrel "over"): they
# count for less than the words above (``ReadingWeights.weak_cue``).
WEAK_CUES: dict[Intent, re.Pattern[str]] = {
    Intent.CAUSE: re.compile(
        r"\b(?:accus\w+|blam\w+|argument|over\s+(?:the\s+)?\w+)\b", re.IGNORECASE
    ),
}
CUES[Intent.SUMMARY] = CUES[Intent.EVENT]
CUES[Intent.TIMELINE] = CUES[Intent.EVENT]


def cue_of(intent: Intent, text: str, weak_cue: float = READING.weak_cue) -> float:
    """1 when ``text`` holds words of the kind ``intent`` looks for, ``weak_cue`` when it
    holds only words that may be, else 0."""
    strong, weak = CUES.get(intent), WEAK_CUES.get(intent)
    if strong is not None and strong.search(text):
        return 1.0
    return weak_cue if weak is not None and weak.search(text) else 0.0


def question_weights(question: Question, statistics: TermWeights) -> dict[str, float]:
    """IDF weight of each question term; empty if the corpus knows none of them.

    A question term the corpus never uses weighs as the rarest term: it cannot be
    matched, so a question about something absent scores low and is refused.
    """
    weights = statistics.weights(question.terms)
    if not statistics.knows_any(question.terms) or sum(weights.values()) <= 0:
        return {}
    return weights


def unknown_terms(question: Question, statistics: TermWeights) -> tuple[str, ...]:
    """The question's terms the corpus never uses, less the words of what it names."""
    named = {w for e in question.entities for a in e.aliases for w in analyse([a])[0]}
    return tuple(t for t in question.terms if t not in named and not statistics.knows_any([t]))


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
    caption: bool  # its paragraph ends with a photo's credit
    earlier: str = ""  # the sentence before ``before`` in its paragraph, or ""


def subject_of(question: Question, hits: Sequence[Hit]) -> Entity | None:
    """The question's subject with the names the passages give it too: an acronym's
    long form where they spell it out ("Tehrik-e-Taliban Pakistan (TTP)"), and the name
    they say it is also known by ("also known as the Pakistani Taliban")."""
    return None if question.subject is None else _as_passages_name(question.subject, hits)


def other_names(question: Question, hits: Sequence[Hit]) -> tuple[Entity, ...]:
    """For each name in the question that the passages give other names too (an
    acronym's long form, "also known as …"), an entity going by those other names only:
    the names a reader could miss."""
    out = []
    for entity in question.entities:
        if entity.country:  # a country already goes by all its names
            continue
        other = [a for a in _as_passages_name(entity, hits).aliases if a not in entity.aliases]
        if other:
            out.append(Entity(entity.name, tuple(other)))
    return tuple(out)


def _as_passages_name(entity: Entity, hits: Sequence[Hit]) -> Entity:
    for alias in entity.aliases:
        short = alias.upper()
        if not (2 <= len(short) <= 8 and short.isalpha()):
            continue
        spelled = next((f for h in hits if (f := long_form(h.chunk.text, short))), None)
        if spelled is not None:
            entity = entity_of(entity.name, {short: spelled}) or entity
            break
    others: set[str] = set()
    for hit in hits:
        others |= known_as(hit.chunk.text, entity) | titled_as(hit.chunk.text, entity)
    return widened(entity, others)


def gather(
    question: Question,
    hits: tuple[Hit, ...],
    store: Store,
    passages: int,
    weights: ReadingWeights = READING,
) -> tuple[Entity | None, tuple[Entity, ...], list[Sentence]]:
    """The question's subject and what it names, as the passages name them, and the
    candidate sentences a reranker scores: those of every passage for a question that
    gathers events, else of the best ``passages``."""
    # Someone's account is read in every passage: an interview's answers seldom share
    # the question's words.
    top = hits if question.intent.gathers or question.holder else hits[:passages]
    meta = store.document_meta(sorted({h.chunk.doc_id for h in top}))
    subject = subject_of(question, top)
    others = other_names(question, top)
    # Whose words are asked for: the holder's, or the side of a position question.
    side = question.holder or (subject if question.intent is Intent.POSITION else None)
    talks = interviews(store, {h.chunk.doc_id for h in top}) if _a_person(side) else {}
    found = candidate_sentences(question, top, store, meta, subject, weights, others, talks)
    return subject, others, found


def their_words(question: Question, found: Sequence[Sentence]) -> list[Sentence]:
    """The sentences of ``found`` in an interview guest's own words, when the question
    asks for the guest's account ("According to the Crisis Group analyst, …"); else
    none. Elsewhere, "according to Newton" often only frames what a passage explains."""
    if question.holder is None or not any(s.speaker for s in found):
        return []
    return [s for s in found if s.held == 1]


def _a_person(side: Entity | None) -> bool:
    """Whether ``side`` may be someone interviewed: named, and not a country."""
    return side is not None and not side.country


# Interviews by (store, index version, document), read once from the document's whole
# text; the least recently used are forgotten past ``_REMEMBERED``.
_INTERVIEWS: OrderedDict[tuple[int, str, int], Interview | None] = OrderedDict()
_REMEMBERED = 4096
_LOCK = threading.Lock()


def interviews(store: Store, doc_ids: set[int]) -> dict[int, Interview]:
    """The documents among ``doc_ids`` that are interviews, with their guests."""
    out = {}
    for doc_id in doc_ids:
        key = (id(store), store.version, doc_id)
        with _LOCK:
            known = key in _INTERVIEWS
            found = _INTERVIEWS.get(key)
            if known:
                _INTERVIEWS.move_to_end(key)
        if not known:
            document = store.document(doc_id)
            found = interview_of(document.text) if document is not None else None
            with _LOCK:
                _INTERVIEWS[key] = found
                while len(_INTERVIEWS) > _REMEMBERED:
                    _INTERVIEWS.popitem(last=False)
        if found is not None:
            out[doc_id] = found
    return out


def candidate_sentences(
    question: Question,
    hits: Sequence[Hit],
    statistics: TermWeights,
    meta: dict[int, DocumentMeta] | None = None,
    subject: Entity | None = None,
    reading: ReadingWeights = READING,
    others: Sequence[Entity] = (),
    talks: Mapping[int, Interview] | None = None,
) -> list[Sentence]:
    """Every distinct sentence of ``hits``, in retrieval order, with its cheap features
    (``meta``: the documents' metadata, for their dates; ``subject``: the question's,
    as ``subject_of`` widens it; ``others``: the other names the passages give what the
    question names, as ``other_names`` finds them: a sentence that gives one of them
    holds the question's name for it; ``talks``: the interviews among the documents, whose
    guest holds the views of their answers)."""
    spans = _spans(hits)
    if not spans:
        return []
    weights = question_weights(question, statistics)
    own = [set(t) for t in analyse([s.text for s in spans])]
    read = [o | set(b) for o, b in zip(own, analyse([s.before for s in spans]), strict=True)]
    best = max(h.score for h in hits) or 1.0
    subject = subject or question.subject
    named = (subject,) if subject is not None else question.entities
    said = [(e, set(analyse([e.name])[0])) for e in others]
    side = question.holder or subject  # whose view ``held`` is about
    # A guest is asked about by how the article introduces them only as a holder ("the
    # Crisis Group analyst says…"); a subject names them ("What is the Crisis Group?").
    guest = {
        doc_id: talk
        for doc_id, talk in (talks or {}).items()
        if side is not None
        and talk.is_guest(side.aliases, side.country, described=question.holder is not None)
    }
    out = []
    for span, terms, context in zip(spans, own, read, strict=True):
        for entity, words in said:
            if not words <= terms and mentioned(span.text, (entity,)):
                terms, context = terms | words, context | words
        talk = guest.get(span.hit.chunk.doc_id)
        turn = talk is not None and talk.says(span.start, span.end)
        spelled = bool(question.acronym) and defines(span.text, question.acronym or "")
        published = meta[span.hit.chunk.doc_id][2] if meta else None
        # An undated article's sentence is still dated by the dates it writes in full.
        dates = _dates_of(span.text, published)
        window = question.when
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
                # A guest's line announcing what follows answers nothing either.
                asks=asks(span.text) or (turn and announces(span.text)),
                published=published,
                dates=dates,
                cue=cue_of(question.intent, span.text, reading.weak_cue),
                about=bool(named) and mentioned(span.text, named),
                held=_held(span, side, turn),
                speaker=talk.guest if turn and talk is not None else None,
                caption=span.caption,
                earlier=span.earlier,
                in_window=None if window is None else _in_window(dates, published, window),
            )
        )
    return out


def _held(span: _Span, side: Entity | None, guests: bool) -> int:
    """Whether the view the sentence reports is ``side``'s own (1), another's (-1) or no
    one's (0): an interview's guest (``guests``: says it) holds what they answer, unless
    they report another's."""
    if side is None:
        return 0
    found = held(span.text, span.before, side.pattern(), nation=side.country, earlier=span.earlier)
    return 1 if found == 0 and guests else found


def prior(sentence: Sentence, weights: ReadingWeights = READING) -> float:
    """The cheap score that picks which sentences are read closely: the sentence's share
    of the question's term weight and its passage's standing (both rerankers use it)."""
    return weights.lexical * sentence.lexical + weights.standing * sentence.standing


def reading_order(
    question: Question,
    found: Sequence[Sentence],
    cheap: Sequence[float],
    plain: int,
    weights: ReadingWeights = READING,
) -> list[int]:
    """Indices of ``found``, the ones the model should read first first: the best
    ``plain`` by ``cheap`` alone (what a plain question of fact reads, so every question
    reads those), then the rest by what the question's intent, subject and time make of
    each sentence."""
    by_cheap = sorted(range(len(found)), key=cheap.__getitem__, reverse=True)
    if question.intent is Intent.FACT and question.when is None and question.holder is None:
        return by_cheap
    score = list(cheap)
    for i, s in enumerate(found):
        score[i] += weights.cue * s.cue + weights.about * s.about + weights.held * s.held
        if s.in_window is not None:
            score[i] += weights.window if s.in_window else -weights.window
        if s.asks:
            score[i] -= 1.0
    first = by_cheap[:plain]
    taken = set(first)
    rest = sorted((i for i in range(len(found)) if i not in taken), key=score.__getitem__,
                  reverse=True)  # fmt: skip
    return first + rest


# A news article reports what happened up to the day before it was published: a sentence
# that names no day is taken to be about those days.
REPORTED_DAYS = 1


def _in_window(dates: Sequence[Any], published: str | None, window: Any) -> bool | None:
    """Whether the sentence is about days in the window: a date it names, else (for a
    sentence naming none) the days its article reports on, its date and the
    ``REPORTED_DAYS`` before it; None when neither says (an undated article's sentence
    that names none of the days asked)."""
    if published is None:
        # An undated article's sentence is about the days it names, but naming other
        # days does not put it outside them ("opened in 1950… sold in 1990").
        return True if any(window.holds(d.first, d.last) for d in dates) else None
    if dates:
        return any(window.holds(d.first, d.last) for d in dates)
    try:
        day = date.fromisoformat(published)
    except ValueError:
        return None
    return window.holds(day - timedelta(days=REPORTED_DAYS), day)


# What a sentence says of itself (the dates it names, whether it addresses an AI) follows
# from its text and its article's date alone: worked out once, not for every question
# that reads the sentence (about a tenth of a question's time on the seed articles).
_SENTENCE_FACTS = 65_536


@lru_cache(maxsize=_SENTENCE_FACTS)
def _dates_of(text: str, published: str | None) -> tuple[DateSpan, ...]:
    return tuple(date_spans(text, published))


@lru_cache(maxsize=_SENTENCE_FACTS)
def _addresses_model(text: str) -> bool:
    return addresses_model(text)


def _spans(hits: Sequence[Hit]) -> list[_Span]:
    """Each distinct sentence of ``hits`` once, in retrieval order, with the one before it."""
    found: dict[tuple[int, int], _Span] = {}
    for hit in hits:
        chunk = hit.chunk
        spans = quotes_whole(chunk.text, list(chunk.sentences), chunk.start)
        texts = [chunk.text[a - chunk.start : b - chunk.start] for a, b in spans]
        ends = _paragraph_ends(chunk, spans)
        for k, (start, end) in enumerate(spans):
            if _addresses_model(texts[k]):  # an order to an AI is never an answer to a person
                continue
            before = texts[k - 1] if k and _joined(chunk, spans[k - 1], spans[k]) else ""
            earlier = texts[k - 2] if before and k > 1 and _joined(chunk, *spans[k - 2 : k]) else ""
            known = found.get((chunk.doc_id, start))
            if known is None or end > known.end:  # a quotation whole where a chunk holds it
                caption = credited(texts[ends[k]])
                before = before or (known.before if known is not None else "")
                found[(chunk.doc_id, start)] = _Span(
                    hit, start, end, texts[k], before, caption, earlier
                )
            elif before and not known.before:  # the first chunk began with this sentence
                found[(chunk.doc_id, start)] = replace(known, before=before)
    # A sentence inside a quotation read whole elsewhere is read there only: in start
    # order, one ending no later than an earlier one reaches.
    inside: set[tuple[int, int]] = set()
    reach: dict[int, int] = {}
    for doc, begin in sorted(found):
        end = found[(doc, begin)].end
        if reach.get(doc, -1) >= end:
            inside.add((doc, begin))
        reach[doc] = max(reach.get(doc, -1), end)
    return [s for key, s in found.items() if key not in inside]


def _paragraph_ends(chunk: Chunk, spans: list[tuple[int, int]]) -> list[int]:
    """For each sentence of ``chunk`` (``spans``), the last sentence of its paragraph (in
    the chunk)."""
    ends = list(range(len(spans)))
    for k in range(len(spans) - 2, -1, -1):
        if _joined(chunk, spans[k], spans[k + 1]):
            ends[k] = ends[k + 1]
    return ends


def _joined(chunk: Chunk, first: tuple[int, int], second: tuple[int, int]) -> bool:
    """Whether two sentences of ``chunk`` stand in the same paragraph."""
    return not breaks_paragraph(chunk.text[first[1] - chunk.start : second[0] - chunk.start])
