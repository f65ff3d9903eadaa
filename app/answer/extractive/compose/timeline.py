"""What happened, in order: one line per event, oldest first, each with its date and
citation. An event's date is the first date its sentence names (relative ones resolved
against its article's date: "last Thursday" in an article of 3 March 2026 is 26
February), else the day its article was published ("reported"). With a time asked
about, only events of those days; none is a refusal that says so. Reports of the same
event are one line with their citations together."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date

from app.answer.extractive.compose.base import Pick, Plan, distinct, read, strays, usable
from app.answer.extractive.compose.fact import FactComposer
from app.question.analysis import Question
from app.question.entities import Entity
from app.question.intent import Intent
from app.question.when import DECADE
from app.rerank.base import Ranked, Sentence
from app.rerank.sentences import CUES
from app.settings import AnswerSettings
from app.text.analysis import analyse
from app.text.dates import DateSpan, date_spans, span_of

__all__ = ["TimelineComposer", "event_date", "is_caption", "topic_terms"]

# A photo caption ends with its dateline (", Feb. 27, 2026."): it shows an event's
# aftermath, and a report of the event itself makes the better line (what a line counts,
# and how many lines there are: ``ComposerWeights.timeline_*``).
_CAPTION = re.compile(
    r",\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},\s+"
    r"\d{4}\.?\s*$"
)
# Words that ask for a timeline rather than name its topic.
_ASKING = set(
    analyse(
        [
            "what happened happen happens main key major important events event developments "
            "list order chronological timeline sequence day week month year today latest news "
            "recently lately going on so far put place arrange sort led lead leading up came "
            "come follow followed after before since then next walk through trace history "
            "unfold unfolded early mid late end beginning start middle "
            # asking for it: "give me a chronology", "show us how"
            "give me us tell show provide overview rundown recap outline "
            # "anything reported out of Bajaur lately?", "any news from Kandahar?"
            "anything any reported report reports update updates word out "
            # words for the whole story, which no one event holds: "the tensions since 2021"
            "tensions situation"
        ]
    )[0]
)


# A photo caption is left out of a timeline or a summary that has this many other lines
# to draw on: it shows an event's aftermath at length, and the articles report the event.
CAPTIONS_GIVE_WAY = 3


def is_caption(sentence: Sentence) -> bool:
    """Whether ``sentence`` is a photo caption (it ends with its dateline, or its paragraph
    with the photo's credit)."""
    return sentence.caption or _CAPTION.search(sentence.text) is not None


def topic_terms(question: Question) -> set[str]:
    """The question's terms that name what it is about: not those asking for events,
    nor the words of the time it names (none at all for the days around an event: "the
    events that led up to the February 27 bombing" are any events of those days)."""
    if question.when is not None and question.when.around:
        return set()
    text = question.search
    for span in reversed(date_spans(text, question.day)):
        text = text[: span.start] + " " + text[span.end :]
    text = DECADE.sub(" ", text)  # "the 1990s" is a time, not a topic
    return {t for t in analyse([text])[0] if t not in _ASKING and not t.isdigit()}


# An event word inside a compound ("counterattacks", "airstrikes") is one too.
_EVENT_WORD = re.compile(CUES[Intent.EVENT].pattern.replace(r"\b(?:", "(?:", 1), re.IGNORECASE)


def _event_words(question: Question) -> set[str]:
    """The topic terms that are themselves words for events ("strikes", "clashes"): any
    sentence that reports an action holds them."""
    words = [w for w in re.findall(r"[\w-]+", question.search) if _EVENT_WORD.search(w)]
    return set(analyse([" ".join(words)])[0]) if words else set()


def event_date(sentence: Sentence, question: Question) -> tuple[DateSpan | None, bool]:
    """The date of what ``sentence`` reports (in the window asked, when one is), and
    whether it comes from the sentence itself (False: its article's date)."""
    window = question.when
    for span in sentence.dates:
        if window is None or window.holds(span.first, span.last):
            return span, True
    if sentence.published and not sentence.dates:
        try:
            first, last = span_of(sentence.published)
        except ValueError:
            return None, False
        return DateSpan(first, last, _label(first), 0, 0), False
    return None, False


def _shares(
    topic: set[str],
    sentence: Sentence,
    subject: bool,
    share: float,
    countries: Sequence[tuple[Entity, set[str]]] = (),
    events: frozenset[str] | set[str] = frozenset(),
) -> bool:
    """Whether ``sentence`` is about the question's topic: it holds most of its terms
    (both of two, two of three), or names the subject the question has (``subject``)."""
    terms = set(analyse([sentence.text])[0]) | (events if sentence.cue else set())
    # A country counts by any of its names: "Pakistani jets" are about Pakistan.
    for country, named in countries:
        if country.pattern().search(sentence.text):
            terms |= named
    held = len(topic & terms)
    return (subject and sentence.about) or held >= max(1, math.ceil(share * len(topic)))


def _undated_answer(
    question: Question,
    ranked: Ranked,
    scored: Sequence[tuple[float, DateSpan, bool, Sentence]],
    share: float,
) -> bool:
    """Whether the most relevant sentence read has no date (an undated article's, naming
    none) and no dated line of ``scored`` comes near it."""
    top = max(usable(ranked), key=lambda s: s.relevance, default=None)
    if top is None or event_date(top, question)[0] is not None:
        return False
    line = max((item[3] for item in scored), key=lambda s: s.relevance)
    return strays(line, ranked, share)


def _label(day: date) -> str:
    return f"{day.day} {day.strftime('%B')} {day.year}"


class TimelineComposer:
    """Dated events, oldest first."""

    def compose(self, question: Question, ranked: Ranked, settings: AnswerSettings) -> Plan:
        """See the module's description."""
        w = settings.weights
        topic = topic_terms(question)
        events = _event_words(question) & topic
        countries = [(e, set(analyse([e.name])[0])) for e in question.entities if e.country]
        window = question.when
        scored: list[tuple[float, DateSpan, bool, Sentence]] = []
        for s in read(ranked):
            when, own = event_date(s, question)
            if when is None or (window is not None and not window.holds(when.first, when.last)):
                continue
            if window is not None and when.first > question.day:
                continue  # not reported yet on the day asked
            shares = _shares(
                topic, s, question.subject is not None, w.timeline_topic_share, countries, events
            )
            if topic and not shares and s.relevance < w.timeline_read:
                continue
            score = (w.timeline_cue * s.cue + w.timeline_relevance * s.relevance
                     + w.timeline_topic * shares + w.timeline_dated * own
                     - w.timeline_caption * is_caption(s))  # fmt: skip
            if s.cue or s.relevance >= ranked.min_relevance:
                scored.append((score, when, own, s))
        plain = [item for item in scored if not is_caption(item[3])]
        if len(plain) >= CAPTIONS_GIVE_WAY:
            scored = plain
        if window is None and (not scored or _undated_answer(question, ranked, scored, w.stray)):
            # "What happened to his lab?" with nothing dated, or answered by a sentence
            # with no date: a plain answer, not the dated lines around it.
            return FactComposer().compose(question, ranked, settings)
        if window is not None and not scored:
            return Plan(refusal=f"The documents report nothing dated {window.label} about this.")
        if window is not None and window.first == window.last:
            # A day asked about: events of that very day, before those of its week.
            exact = [item for item in scored if item[1].first == item[1].last]
            scored = exact or scored
        scored.sort(key=lambda item: item[0], reverse=True)
        labels = {
            id(s): when.label if own else f"reported {when.label}" for _, when, own, s in scored
        }
        dates = {id(s): (when.first, s.doc_id, s.start) for _, when, _, s in scored}
        # The best event of each day first, then the others: a timeline spans its days.
        days: set[object] = set()
        firsts: list[Sentence] = []
        rest: list[Sentence] = []
        for _, when, _, s in scored:
            (rest if (when.first, when.last) in days else firsts).append(s)
            days.add((when.first, when.last))
        picks = distinct(firsts + rest, w.timeline_lines, w)
        picks.sort(key=lambda p: dates[id(p.sentence)])
        lines = tuple(Pick(p.sentence, labels[id(p.sentence)], p.also) for p in picks)
        return Plan(lines, form="timeline")
