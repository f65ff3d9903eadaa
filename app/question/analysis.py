"""A question analysed once: its terms, what it asks for, who and when it is about.

Retrieval, reranking and answering all read the same ``Question``; none of them parses
the question text again.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from app.question.acronyms import asked_acronym
from app.question.entities import Entity, defined_as, entity_of, is_place, places_in
from app.question.intent import Intent, Reading, read_intent
from app.question.kinds import Kind, wanted
from app.question.when import When, when_asked
from app.text.analysis import analyse
from app.text.dates import MONTHS, WEEKDAYS

__all__ = ["Intent", "Question", "analyse_question", "as_documents_name", "parse_day"]

# Capitalised runs (with the particles names carry), and acronyms: what a question names.
_NAMED = re.compile(
    r"(?-i:[A-Z][\w’'-]*)(?:\s+(?:(?:of|de|al|bin|ibn|van|von|the)\s+)?(?-i:[A-Z][\w’'-]*))*"
)
_POSSESSIVE = re.compile(r"['’]s$")
_QUESTION_WORDS = {"what", "who", "whom", "whose", "when", "where", "why", "how", "which",
                   "is", "are", "was", "were", "did", "does", "do", "and", "list", "summarize",
                   "summarise", "tell", "give", "define", "explain", "describe",
                   "walk", "according", "in", "on", "the"}  # fmt: skip

# Words that open a question with a capital without naming anything.
_OPENERS = {"most", "many", "some", "several", "few", "other", "each", "every", "both",
            "all", "any", "name", "list", "identify", "state", "give", "after", "before",
            "during", "since", "until", "from", "under", "between", "along", "besides",
            "aside", "apart", "approximately", "about", "around", "roughly", "nearly",
            "over", "among", "against", "despite", "following", "prior", "within",
            "without", "unlike", "like", "although", "though", "while", "once", "as", "at",
            "by", "for", "if", "of", "to", "with", "can", "could", "has", "have", "had",
            "will", "would", "should", "may", "might", "must", "not", "so", "then", "also",
            "another", "upon"}  # fmt: skip


@dataclass(frozen=True)
class Question:
    """Everything later stages need to know about what was asked."""

    asked: str  # as the asker wrote it, white space folded
    search: str  # what retrieval looks for: a follow-up made to stand alone
    terms: tuple[str, ...]  # the stemmed content terms of ``search``
    kind: Kind | None = None  # a time, a quantity, a person, a place, if the wording says
    acronym: str | None = None  # the short form asked to be spelled out ("TTP")
    since: date | None = None
    until: date | None = None
    # The asker's access groups: only documents sharing one are searched (None: all).
    groups: frozenset[str] | None = None
    as_of: date | None = None  # the day it is asked on (None: today)
    intent: Intent = Intent.FACT  # what the answer must be (picks its composer)
    subject: Entity | None = None  # who or what it is about, when the wording says
    # Whose account it asks for ("according to Bahiss, …", "the cycle that Bahiss
    # describes"), when the wording names them: the answer is theirs.
    holder: Entity | None = None
    topic: str | None = None  # what it asks without whose account, when it names one
    entities: tuple[Entity, ...] = ()  # everything it names
    when: When | None = None  # the days it asks about, when it names a time
    # It asks what onlookers make of it ("Why do experts say…", "What do analysts
    # think…"), not what the sides it names say for themselves.
    onlookers: bool = False

    @property
    def lookup(self) -> str:
        """What retrieval looks for: ``search``, or for someone's account what is asked
        and who is asked about, apart (their answers seldom name them)."""
        if self.holder is None or self.topic is None:
            return self.search
        return f"{self.topic} {self.holder.name}"

    @property
    def lookup_terms(self) -> tuple[str, ...]:
        """The stemmed content terms of ``lookup``."""
        return self.terms if self.holder is None else tuple(analyse([self.lookup])[0])

    @property
    def day(self) -> date:
        """The day it is asked on."""
        return self.as_of or date.today()


def analyse_question(
    asked: str,
    search: str | None = None,
    since: date | None = None,
    until: date | None = None,
    groups: frozenset[str] | None = None,
    *,
    as_of: date | None = None,
) -> Question:
    """Analyse ``asked`` (retrieved as ``search``, when a follow-up was rewritten).

    The kind of answer comes from the question as asked, never from the one it follows;
    the intent, the subject and the time from its standalone form.
    """
    # White space folded first: the patterns below assume single spaces (a run of a
    # thousand would make some of them backtrack for seconds).
    asked = " ".join(asked.split())
    search = _asked_in_full(_unframed(" ".join((search or asked).split())))
    # "According to Bahiss, what is…": what it asks is read without whose account, when
    # someone named holds it ("experts" is no one in particular).
    rest, phrase = attributed(search)
    # (a name: capitalised, or a country however typed, "according to kabul")
    named = phrase is not None and (phrase != phrase.lower() or is_place(phrase))
    holder = entity_of(phrase) if phrase and named else None
    day = as_of or date.today()
    reading = read_intent(rest if holder is not None else search)
    if holder is not None and reading.intent is Intent.DEFINITION:
        # "In Pakistan's view, what is the TTP?" asks for Pakistan's view of it.
        reading = Reading(Intent.POSITION, phrase)
    subject = entity_of(reading.subject) if reading.subject else None
    names = names_in(search)
    if search == search.lower():  # typed in lower case: its countries are names still
        names += places_in(search)
    entities = tuple(e for e in (entity_of(n) for n in names) if e is not None)
    return Question(
        asked=asked,
        search=search,
        terms=tuple(analyse([search])[0]),
        kind=wanted(asked) or wanted(_asked_in_full(asked)),
        acronym=asked_acronym(search),
        since=since,
        until=until,
        groups=groups,
        as_of=as_of,
        intent=reading.intent,
        subject=subject,
        holder=holder,
        topic=rest if holder is not None else None,
        entities=entities,
        when=when_asked(search, day),
        onlookers=_ONLOOKERS.search(search) is not None,
    )


_ONLOOKERS = re.compile(
    r"\b(?:experts?|analysts?|observers|commentators|scholars|historians|researchers|"
    r"critics|pundits|think[\s-]tanks?)\b",
    re.IGNORECASE,
)


def as_documents_name(question: Question, texts: Iterable[str]) -> Question:
    """``question`` with a name read as a country's read as what ``texts`` say it names:
    "the Pakistani Taliban" is the TTP, not Pakistan, where a passage says "…Tehrik-e-
    Taliban Pakistan (TTP) extremist group, also known as the Pakistani Taliban"."""
    asked = (*question.entities, question.subject, question.holder)
    phrases = {e.phrase for e in asked if e is not None and e.phrase}
    if not phrases:
        return question
    found: dict[str, Entity] = {}
    for text in texts:
        for phrase in phrases - found.keys():
            if (named := defined_as(text, phrase)) is not None:
                found[phrase] = _named_as(phrase, *named)
    if not found:
        return question

    def read(entity: Entity | None) -> Entity | None:
        return found.get(entity.phrase, entity) if entity is not None else None

    return dataclasses.replace(
        question,
        entities=tuple(found.get(e.phrase, e) for e in question.entities),
        subject=read(question.subject),
        holder=read(question.holder),
    )


def _named_as(phrase: str, name: str, short: str | None) -> Entity:
    """What ``phrase`` names, where the documents call ``name`` (``short``) by it."""
    body = entity_of(name, {short: name} if short else None)
    aliases = {phrase.lower(), *(body.aliases if body is not None else (name.lower(),))}
    return Entity(phrase, tuple(sorted(aliases, key=len, reverse=True)))


# "In the Crisis Group interview, what is the PTI that gets mentioned?": where it was
# read and that it was mentioned frame the question; what it asks is "what is the PTI".
_FRAME = re.compile(
    r"^\s*in\s+(?:the|that|this)\s+[^,?]{0,60}?\b(?:interview|article|piece|report|story|"
    r"segment|podcast|conversation)\s*,\s*(?P<rest>\S.*)$",
    re.IGNORECASE,
)
_MENTIONED = re.compile(
    r"\s+(?:that|which|who)\s+(?:gets|get|got|is|are|was|were|has\s+been|had\s+been)\s+"
    r"(?:mentioned|named|cited|brought\s+up|referred\s+to|talked\s+about)"
    r"(?:\s+(?:there|here|in\s+it))?(?=\s*\??\s*$)",
    re.IGNORECASE,
)


# "length of the afghan-pak frontier?": a measure asked by its name alone, as the
# question it stands for ("How long is the afghan-pak frontier?").
_TELEGRAPHIC = re.compile(
    r"(?:the\s+)?(?P<measure>length|distance|height|depth|width|death\s+toll)\s+of\s+"
    r"(?P<rest>[^?\s](?:[^?]{0,100}[^?\s])?)\??",
    re.IGNORECASE,
)
_IN_FULL = {
    "length": "How long is {}?", "distance": "How far is {}?", "height": "How high is {}?",
    "depth": "How deep is {}?", "width": "How wide is {}?",
    "death toll": "How many people died in {}?",
}  # fmt: skip


def _asked_in_full(question: str) -> str:
    """``question`` as a question when it is only the name of a measure and what it is of
    ("length of the border?"), else as it is."""
    found = _TELEGRAPHIC.fullmatch(question.strip())
    if found is None:
        return question
    measure = " ".join(found.group("measure").lower().split())
    return _IN_FULL[measure].format(found.group("rest"))


def _unframed(question: str) -> str:
    """``question`` without the frame around what it asks (see ``_FRAME``)."""
    framed = _FRAME.match(question)
    if framed is not None:
        rest = framed.group("rest")
        question = rest[:1].upper() + rest[1:]
    return _MENTIONED.sub("", question)


# Whose account a question asks for, and the question without it: "According to the
# Crisis Group's analyst, what is…", "…, according to Bahiss.", "In Bahiss's view, …",
# "…the cycle of retaliation that Bahiss describes", "Why does the analyst think…".
# Who holds it: a name or a short description, up to six words with no question word or
# verb among them ("the Crisis Group's Kabul analyst", not "Tesla what had been…").
_WORD = (
    r"(?!(?:what|who|whom|whose|which|when|where|why|how|is|are|was|were|does|do|did|has|"
    r"have|had|can|could|will|would|should|may|might)\b)[\w’'&-]+(?:\.[\w’'&-]+)*"
)
_HOLDER = rf"(?P<holder>{_WORD}(?:\s+{_WORD}){{0,5}})"
_ATTRIBUTED = (
    re.compile(rf"^\s*according\s+to\s+{_HOLDER}\s*,\s*(?P<rest>\S.*)$", re.IGNORECASE),
    re.compile(
        rf"^(?P<rest>.+?)\s*,?\s+according\s+to\s+{_HOLDER}\s*(?P<end>[.?!]?)\s*$", re.IGNORECASE
    ),
    re.compile(
        rf"^\s*(?:in|from)\s+{_HOLDER}['’]s?\s+(?:view|opinion|words|telling|assessment|"
        r"analysis|account|reading|eyes)\s*,\s*(?P<rest>\S.*)$",
        re.IGNORECASE,
    ),
    re.compile(
        rf"^(?P<rest>.+?\b\w+)\s+(?:that|which|as)\s+(?=(?-i:[A-Z])|the\s){_HOLDER}\s+"
        r"(?:describes|described|outlines|outlined|lays\s+out|laid\s+"
        r"out|sketches|sketched|explains|explained|sees|saw|predicts|predicted|talks\s+about|"
        r"talked\s+about|warns\s+(?:of|about)|warned\s+(?:of|about))\s*(?P<end>[.?!]?)\s*$",
        re.IGNORECASE,
    ),
    re.compile(
        # (not "Where did Luther say…": where he said it, not where it is)
        rf"^\s*(?P<ask>why|how)\s+(?:does|do|did)\s+{_HOLDER}\s+"
        r"(?:think|believe|say|argue|feel|claim|reckon|suspect|expect)\s+(?:that\s+)?"
        r"(?!(?:about|of|on|regarding|towards?|so|it)\b)(?P<rest>\S.*)$",
        re.IGNORECASE,
    ),
)


def attributed(question: str) -> tuple[str, str | None]:
    """``question`` without the words that say whose account it asks for, and the phrase
    naming them (None when it names no one)."""
    for pattern in _ATTRIBUTED:
        found = pattern.match(question)
        if found is None:
            continue
        parts = found.groupdict()
        rest = found.group("rest").strip()
        if parts.get("ask"):
            rest = f"{parts['ask']} {rest}"
        rest = rest.rstrip(" ,") + (parts.get("end") or "")
        return rest[:1].upper() + rest[1:], found.group("holder").strip()
    return question, None


_CALENDAR = frozenset(MONTHS + WEEKDAYS) | {m[:3] for m in MONTHS} | {"sept"}


def names_in(question: str) -> list[str]:
    """The names a question mentions (capitalised runs and acronyms), question words
    and the capital that opens it left out."""
    out = []
    opening = len(question) - len(question.lstrip())
    for found in _NAMED.finditer(question):
        words = found.group().split()
        if found.start() == opening and words[0].lower() in _OPENERS:
            words.pop(0)  # "Most schools…", "Name two series…", "After the war…"
        while words and _POSSESSIVE.sub("", words[0].lower()) in _QUESTION_WORDS:
            words.pop(0)
        if words and all(w.lower().rstrip(".") in _CALENDAR for w in words):
            continue  # "in February", "last Thursday": a time, not a name
        if words:
            name = " ".join(words)
            # "the Afghanistan-Pakistan tensions": two countries, each named.
            pair = name.split("-")
            if len(pair) == 2 and all(is_place(p) for p in pair):
                out.extend(pair)
            else:
                out.append(name)
    return out


def parse_day(value: str | date | None) -> date | None:
    """``YYYY-MM-DD`` (or a date) as a date; None for None; ValueError otherwise."""
    from app.text.clean import replace_invalid

    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        shown = replace_invalid(value[:40])
        raise ValueError(f"'{shown}' is not a date: write YYYY-MM-DD, e.g. 2026-02-27") from None
