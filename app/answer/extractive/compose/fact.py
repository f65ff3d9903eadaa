"""A question of fact: the sentence that best answers, and further ones only while they
answer nearly as well and say something new. With a time named, sentences about those
days come first; a question about one side's office ("Afghanistan's defense minister")
is not answered by a sentence about another side's."""

from __future__ import annotations

import re

from app.answer.extractive.compose.base import Pick, Plan, distinct, read, usable
from app.question.analysis import Question
from app.question.entities import Entity, entity_of
from app.question.kinds import Kind, answer_spans, asked_role
from app.rerank.base import Ranked, Sentence
from app.settings import AnswerSettings
from app.text.analysis import analyse
from app.text.dates import date_spans
from app.text.spelling import american

__all__ = ["FactComposer", "owners_office"]

# "Afghanistan's defense minister", "the Pakistani army chief": an office of a side.
_OFFICE = re.compile(r"\b(?P<owner>[A-Z][\w-]*)['’]s?\s+(?P<office>(?:[a-z-]+\s+){0,2}[a-z-]+)\b")


_NAME_OF = re.compile(r"\bname\s+of\b", re.IGNORECASE)
# An office's own words: up to two words before a word for a post ("prime minister",
# "foreign ministry spokesman"); what follows it is the rest of the question.
_POST = re.compile(
    r"(?:\b[a-z-]+\s+){0,2}?\b(?:minister|president|premier|leader|chief|spokes(?:man|woman|"
    r"person)|ambassador|envoy|secretary|commander|governor|general|head|king|queen|mayor|"
    r"chair(?:man|woman|person)?|emir)\b",
    re.IGNORECASE,
)


def _terms(text: str) -> set[str]:
    """The search terms of ``text``, British spellings read as American ones."""
    words = re.findall(r"[\w-]+", text.lower())
    return set(analyse([" ".join(american(w) for w in words)])[0])


def _office_words(office: str) -> set[str]:
    """The terms of the post ``office`` names ("foreign ministry spokesman"); empty when
    it names no post."""
    found = _POST.search(office)
    return _terms(found.group()) if found else set()


def owners_office(question: Question) -> tuple[Entity, str] | None:
    """The side and office a question asks about ("Afghanistan's defense minister"),
    when it names a country's office; None otherwise."""
    for found in _OFFICE.finditer(question.search):
        owner = next((e for e in question.entities if e.country
                      and found.group("owner").lower() in e.aliases), None)  # fmt: skip
        if owner is not None:
            return owner, found.group("office").lower()
    return None


def _of_another(sentence: Sentence, owner: Entity, office: str) -> bool:
    """Whether ``sentence`` names the office as another side's ("Pakistani Defense
    Minister" when Afghanistan's is asked about)."""
    text = sentence.text.lower()
    at = text.find(office)
    if at < 0:
        return False
    before = text[max(0, at - 40) : at]
    words = re.findall(r"[\w-]+", before)[-3:]
    if not words:
        return False
    for word in words:
        side = entity_of(word)
        if side is not None and side.country and side.aliases != owner.aliases:
            return True
    return False


def _numbers(sentence: Sentence, question: Question) -> list[tuple[int, int]]:
    """Spans of the numbers (in figures or words) ``sentence`` gives that are not part of
    a date and that the question does not state itself."""
    dates = sentence.dates or tuple(date_spans(sentence.text, sentence.published or question.day))
    return [
        (a, b) for a, b in answer_spans(Kind.QUANTITY, sentence.text, question.asked)
        if not any(d.start < b and a < d.end for d in dates)
    ]  # fmt: skip


def _gives_count(sentence: Sentence, question: Question) -> bool:
    """Whether ``sentence`` gives a number (see ``_numbers``) that is not a measure,
    unless the question asks in a unit."""
    # "rose 3 metres" counts no people; it counts for "how many metres"
    measured = () if _ASKS_UNIT.search(question.asked) else _MEASURE.finditer(sentence.text)
    measures = [m.span() for m in measured]
    return any(
        not any(m_a <= a and b <= m_b for m_a, m_b in measures)
        for a, b in _numbers(sentence, question)
    )


# "How many…", "what share of…": a count is asked for, which only a number or a number
# word gives; the day of a date is not one ("Feb. 22, 2026" counts nobody).
_COUNTS = re.compile(
    r"^\s*(?:and\s+|so\s+|do\s+we\s+know\s+)?(?:how\s+(?:many|much)\b|(?:what|which)\s+"
    r"(?:number|percentage|percent|proportion|share|amount|total)\s+of\b)",
    re.IGNORECASE,
)


# "How long is the border?", "How far…", "How old…": a measure is asked for, a number
# with its unit ("some 1,600 miles long", "a 30-km stretch", "for three weeks").
_MEASURES = re.compile(
    r"^\s*(?:and\s+|so\s+)?how\s+(?:long|far|wide|tall|high|deep|big|large|old|heavy)\b",
    re.IGNORECASE,
)
_UNITS = (
    r"(?:miles?|mi|km|kilomet(?:er|re)s?|met(?:er|re)s?|m|feet|foot|ft|yards?|inch(?:es)?|"
    r"cm|acres?|hectares?|square|sq|days?|weeks?|months?|years?|decades?|centur(?:y|ies)|"
    r"hours?|minutes?|seconds?|kg|kilograms?|tons?|tonnes?|pounds?|lbs?)"
)
_MEASURE = re.compile(
    r"\b(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|"
    r"thirty|forty|fifty|hundred|thousand|dozen|several|few)[\s-]*"
    rf"(?:(?:hundred|thousand|million|billion)[\s-]+)?{_UNITS}\b",
    re.IGNORECASE,
)
# "How many miles…", "how many tons…": the count asked for is a measure.
_ASKS_UNIT = re.compile(rf"\b{_UNITS}\b", re.IGNORECASE)


# "Do we know how many died?", "Has it been confirmed…?": whether something is known. A
# relevant sentence saying it is not ("were unclear", "no official confirmation") answers.
_WHETHER_KNOWN = re.compile(
    r"^\s*(?:and\s+|so\s+)?(?:(?:do|does|did)\s+(?:we|you|they|anyone|officials)\s+know|"
    r"(?:is|was)\s+it\s+(?:known|clear|confirmed)|(?:has|have)\s+(?:it|this|that|anything|"
    r"anyone)\s+been\s+(?:confirmed|verified)|is\s+there\s+(?:any\s+)?(?:confirmation|word))\b",
    re.IGNORECASE,
)
_UNKNOWN = re.compile(
    r"\b(?:unclear|unknown|unconfirmed|unverified|not\s+(?:yet\s+|immediately\s+)?(?:known|"
    r"clear|confirmed|verified)|no\s+(?:official\s+)?(?:confirmation|word|details)|"
    r"(?:could|can)\s*not\s+(?:be\s+)?(?:independently\s+)?(?:verif|confirm)\w*)\b",
    re.IGNORECASE,
)


def _measured(sentence: Sentence) -> bool:
    """Whether ``sentence`` gives a number with a unit of length, area, time or weight."""
    return _MEASURE.search(sentence.text) is not None


# A count in words: "few", "a handful", "most", "little", "the majority".
_VAGUE_COUNT = re.compile(
    r"\b(?:few|fewer|little|many|most|several|numerous|countless|none|single|handful|"
    r"majority|minority|bulk|vast|scores|multiple|half|double|twice|thrice|"
    # an amount in words: "the extensive records of the flood"
    r"voluminous|considerable|substantial|extensive|enormous|huge|immense|massive|abundant|"
    r"ample|plenty|scant|scarce|great\s+deal|large\s+(?:amounts?|numbers?|quantit(?:y|ies)))\b",
    re.IGNORECASE,
)


# "How many Pakistani jets…", "how many of the provinces…": the thing counted, a plural
# within three words (not "how many were", nor "how many people", which any count fits).
_COUNTED = re.compile(
    r"\bhow\s+many\s+(?:(?:more|of|the|its|their|his|her)\s+)*"
    r"(?:(?!(?:were|was|are|is|did|do|does|have|has|had|will|would|can|could|in|on|at|by|"
    r"for|from|of|during|after|before|since)\b)(?![\w’'-]*(?:ed|ing)\b)[\w’'-]+\s+)"
    r"{0,2}?(?P<noun>[a-z][\w-]*[^s\W]s)\b",
    re.IGNORECASE,
)
# Counted things any count fits, or that the articles count by other words ("deaths":
# "killed", "troops": "security personnel").
_ANY_COUNT = frozenset({
    "times", "years", "days", "months", "weeks", "hours", "minutes", "ones", "deaths",
    "casualties", "fatalities", "victims", "injuries", "lives", "troops", "soldiers",
    "fighters", "militants", "civilians", "persons", "residents", "members",
})  # fmt: skip


def _counted_noun(question: str) -> str | None:
    """The term of what ``question`` counts ("jet"), or None when it names nothing any
    count would not fit."""
    found = _COUNTED.search(question)
    if found is None or found.group("noun").lower() in _ANY_COUNT:
        return None
    counted = _terms(found.group("noun"))
    return next(iter(counted)) if len(counted) == 1 else None


def holds_count(sentence: Sentence, question: Question) -> bool:
    """Whether ``sentence`` holds a number or a number word that is not part of a date
    and that the question does not state itself, or a count in words ("few")."""
    return _VAGUE_COUNT.search(sentence.text) is not None or bool(_numbers(sentence, question))


# "Who leads the TTP?", "Who is the Taliban's spiritual leader?", "Who founded it?": a
# person in a role is asked for, and only a sentence that names one in that role answers.
_ASKS_LEADER = re.compile(
    # "Who leads the TTP?", "who founded it" (not "who heads to Kabul", "who ran away")
    r"\bwho\s+(?:currently\s+|now\s+|still\s+)?(?:leads?|heads?|runs?|chairs?|commands?|"
    r"founded|led|headed|ran)\s+(?:(?:the|a|an|its|their|his|her|it|this|that)\b|(?-i:[A-Z]))|"
    # "Who is the Taliban's spiritual leader?", "Who was the head of…" (not "the chief
    # suspect", "the leader's driver")
    r"\bwho\s+(?:is|was|are|were)\s+(?:now\s+|currently\s+)?(?:the\s+)?(?:[\w'’-]+\s+){0,2}?"
    r"(?:leader|head|chief|founder|commander|chair\w*|president|emir)(?=\s+of\b|\s*[?.!]|\s*$)",
    re.IGNORECASE,
)
_ROLE = re.compile(
    r"\b(?:lead(?:er|ers|s)?|led|head(?:s|ed)?|chief|founder|founded|commander|"
    r"chair(?:man|woman|person)?|president|emir)\b",
    re.IGNORECASE,
)


def _people(sentence: Sentence, question: Question) -> list[tuple[int, int]]:
    """Spans of names in ``sentence`` that may be a person's: not stated in the question,
    not an acronym, no word of them a country's."""
    out = []
    for a, b in answer_spans(Kind.PERSON, sentence.text, question.asked):
        words = sentence.text[a:b].split()
        if (len(words) == 1 and words[0].isupper()) or any(
            (e := entity_of(w)) is not None and e.country for w in words
        ):
            continue
        out.append((a, b))
    return out


# "Mohammad Naeem Ghayur, an Afghan defense analyst,": a person said to be one who
# comments, reports or advises, not one who leads.
_DESCRIBED = re.compile(
    r",\s+(?:an?|the)\s+(?:(?!(?:who|which|that|whom|whose)\b)[\w’'-]+\s+){0,3}?"
    r"(?:analyst|expert|researcher|scholar|professor|"
    r"journalist|reporter|correspondent|spokes(?:man|woman|person)|writer|author|commentator|"
    r"observer|diplomat|lawyer|resident|witness|student|teacher|doctor|host|adviser|"
    r"advisor|fellow)s?\b",
    re.IGNORECASE,
)


def _unplaced(sentence: Sentence, question: Question) -> list[tuple[int, int]]:
    """``_people`` in ``sentence``, less those it describes as commenting, reporting or
    advising ("Ghayur, an Afghan defense analyst, said…")."""
    return [
        (a, b) for a, b in _people(sentence, question)
        if not _DESCRIBED.match(sentence.text, b)
    ]  # fmt: skip


def _names_in_role(sentence: Sentence, question: Question, reach: int) -> bool:
    """Whether ``sentence`` names a person (see ``_people``) next to a word for a leading
    role that is itself next to what the question names (when it names anything): "the
    Taliban's spiritual leader Mullah Haibatullah Akhundzada"."""
    text = sentence.text
    mentions = [m.span() for e in question.entities for m in e.pattern().finditer(text)]
    roles = [
        (a, b) for a, b in (m.span() for m in _ROLE.finditer(text))
        if not question.entities  # the role is what the question names' own
        or any(m_a - reach <= b and a <= m_b + reach for m_a, m_b in mentions)
    ]  # fmt: skip
    for a, b in _people(sentence, question):
        if any(r_a - reach <= b and a <= r_b + reach for r_a, r_b in roles):
            return True
    return False


def _another_day(s: Sentence, question: Question) -> bool:
    """Whether ``s`` names only days other than that of the event the question names by
    its day ("the February 22 strike"): taken to report another day's event (a later
    report of its toll that names its own day is missed)."""
    day = question.when.event if question.when is not None else None
    return day is not None and bool(s.dates) and not any(d.first <= day <= d.last for d in s.dates)


def _counted_another_time(s: Sentence, question: Question) -> bool:
    """Whether each count ``s`` gives belongs to a time outside the days asked: it stands
    in the "when" clause of such a date, with no other date between ("The attacks on
    February 27 mark the worst flare up since October 2025, when fierce fighting
    erupted…, leaving dozens dead" counts October's dead, not February 27's)."""
    window = question.when
    if window is None or len(s.dates) < 2:
        return False
    counts = _numbers(s, question)

    def of_another_time(a: int) -> bool:
        before = [d for d in s.dates if d.end <= a]
        if not before:
            return False
        last = max(before, key=lambda d: d.end)
        return not window.holds(last.first, last.last) and bool(
            _WHEN_CLAUSE.match(s.text, last.end, a)
        )

    return bool(counts) and all(of_another_time(a) for a, _ in counts)


# After a date, the clause that tells what happened then: ", when fierce fighting …".
_WHEN_CLAUSE = re.compile(r"[\s,]*when\b[^;.]*$")


def _elsewhen(s: Sentence, question: Question) -> bool:
    """Whether ``s``'s count is of another time than the one asked about."""
    return _another_day(s, question) or _counted_another_time(s, question)


def _day(s: Sentence) -> str:
    """The latest day a sentence is about, as ISO text (its article's date without one);
    none for an undated article's, whose years say when, not how recent the report is."""
    if not s.published:
        return ""
    if s.dates:
        return max(d.last for d in s.dates).isoformat()
    return s.published


class FactComposer:
    """The best sentence, and the next ones while they nearly match it."""

    def compose(self, question: Question, ranked: Ranked, settings: AnswerSettings) -> Plan:
        """See the module's description."""
        found = usable(ranked)
        if (
            ranked.unknown
            and question.kind is not None
            and question.kind.names
            and ranked.evidence < settings.weights.unknown_word_relevance
        ):
            # Who or where something no document speaks of ("Which country offered to
            # mediate?"): the best sentence is about the rest of the question.
            return Plan(refusal="")
        role = asked_role(question.asked) if question.kind is Kind.PERSON else None
        if role is not None and set(analyse([role])[0]) <= set(ranked.unknown):
            # "What is the name of the Taliban spokesman…" where no document speaks of a
            # spokesman: however relevant the best sentence, it names no one in the role.
            return Plan(refusal="")
        leads = _ASKS_LEADER.search(question.asked) and question.entities
        if leads and found and not _unplaced(found[0], question):
            # Who leads something named, and the best sentence names no one (or only people
            # it says are something else: "Ghayur, an Afghan defense analyst"): a sentence
            # naming a person in the role, read or not (the model often misses the name
            # beside the role), or a refusal ("the chief administrators of the church" may
            # well be bishops, but the TTP's leader is a person).
            reach = settings.weights.role_reach
            named = [s for s in read(ranked) if _names_in_role(s, question, reach)]
            return Plan(tuple(distinct(named, 1, settings.weights))) if named else Plan(refusal="")
        asked = owners_office(question)
        if asked is not None:
            found = [s for s in found if not _of_another(s, *asked)]
            office = _office_words(asked[1])
            if office and (question.kind is Kind.PERSON or _NAME_OF.search(question.asked)):
                # Who holds an office: a sentence naming another office ("Pakistan's
                # Defense Minister" for its prime minister) does not say.
                found = [s for s in found if office <= _terms(s.text)]
            if not found or found[0].relevance < ranked.min_relevance:
                return Plan(refusal="")
        when = question.when
        counting = _COUNTS.search(question.asked) is not None
        if when is not None:  # about the days asked first, each group by rank
            # A count of an event named by its day: another day's count comes after.
            found.sort(
                key=lambda s: (
                    s.in_window is False,
                    counting and _elsewhen(s, question),
                    -s.rank,
                )
            )
            if when.recent and found:
                # "recently": of the answers nearly as good as the best, the latest.
                close = [
                    s
                    for s in found
                    if s.in_window and s.rank >= settings.weights.recent_close * found[0].rank
                ]
                close.sort(key=_day, reverse=True)
                found = close + [s for s in found if s not in close]
        if not found:
            return Plan(refusal="")
        floor = found[0].rank * settings.min_relative_score
        chosen = [s for s in found if s.rank >= floor]
        if counting:
            # A count no relevant sentence about the days asked gives is not answered by
            # the best of them.
            enough = min(ranked.min_relevance, found[0].relevance * settings.min_relative_score)
            # One far below the best counts what the question counts: "stormed dozens of
            # border positions" gives no number of jets.
            noun = _counted_noun(question.asked)
            counted = [
                s for s in found
                if s.relevance >= enough and s.in_window is not False
                and not _elsewhen(s, question) and holds_count(s, question)
                and (s in chosen or noun is None or noun in _terms(s.text))
            ]  # fmt: skip
            if not counted:
                return Plan(refusal="")
            # "How many were killed…": of the sentences nearly as good as the best, one
            # that gives a count in figures or number words leads, not one that reports
            # the event without it (nor a measure, "rose 3 metres", nor "a single levee").
            figures = [s for s in chosen if s in counted and _gives_count(s, question)]
            chosen = figures + [s for s in chosen if s not in figures]
        if _MEASURES.search(question.asked) and not _measured(chosen[0]):
            # "How long is the border?": the best sentence gives no length; one that
            # does, read as relevant, answers first.
            measured = [
                s for s in found
                if s.relevance >= ranked.min_relevance and s.in_window is not False
                and _measured(s)
            ]  # fmt: skip
            if measured:
                chosen = [measured[0]] + [s for s in chosen if s is not measured[0]]
        if _WHETHER_KNOWN.search(question.asked) and not _UNKNOWN.search(chosen[0].text):
            # "Do we know how many died?": that it is not known is the answer, first, when
            # it is nearly as relevant as the best (not another thing's being unclear).
            unknown = [s for s in chosen if s.in_window is not False and _UNKNOWN.search(s.text)]
            if unknown:
                chosen = [unknown[0]] + [s for s in chosen if s is not unknown[0]]
        picks: list[Pick] = distinct(chosen, settings.max_sentences, settings.weights)
        return Plan(tuple(picks))
