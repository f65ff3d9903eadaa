"""What a question is about, and the names the documents use for it.

A country is named by its name, its capital, its people and its government: a question
about Afghanistan is answered by a sentence about Kabul, "the Afghan side" or "Afghans"
(the country table comes from the ``countryinfo`` package: name, capital, demonym). Any
other name stands for itself and, for a person's full name, for the surname alone
("Sultan said"). An acronym and its spelled-out form are one thing wherever the
documents spell it out ("Tehrik-e-Taliban Pakistan (TTP)").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from app.text.analysis import STOPWORDS

__all__ = [
    "Entity",
    "as_asked",
    "defined_as",
    "entity_of",
    "known_as",
    "mentioned",
    "mentions",
    "place_of",
    "places_in",
    "titled_as",
    "widened",
]

_ARTICLES = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['’]s?$")
# Who speaks or acts for a group: "the Taliban leadership", "TTP commanders" are asked
# about by what the group says and does.
_ROLES = frozenset({
    "leadership", "leaders", "leader", "government", "officials", "authorities",
    "administration", "side", "spokesman", "spokesperson", "spokeswoman", "spokesmen",
    "regime", "camp", "delegation", "representatives", "commanders", "command", "members",
})  # fmt: skip


# A person named after a description ending in what they are: "think-tank head Rana".
_TITLED = re.compile(
    r"^(?P<title>.*?\b(?:head|analyst|expert|minister|spokes(?:man|woman|person)|chief|"
    r"leader|commander|director|president|chairman|chairwoman|founder|researcher|scholar|"
    r"professor|journalist|reporter|correspondent|envoy|ambassador|official|general|guy|"
    r"guest|host))\s+(?P<name>(?-i:[A-Z])[\w’'.-]*(?:\s+(?-i:[A-Z])[\w’'.-]*){0,3})$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Entity:
    """A thing a question is about: how it was asked, and every name it goes by."""

    name: str
    aliases: tuple[str, ...]  # lower case, longest first
    country: bool = False
    # Aliases that count only as written, capitalised: a surname ("Grace said") names Mira
    # Grace, while "a grace period" does not.
    proper: tuple[str, ...] = ()
    # A country read from a longer name ("the Pakistani Taliban"): the name, which the
    # documents may give to something else ("…TTP, also known as the Pakistani Taliban").
    phrase: str = ""

    def pattern(self) -> re.Pattern[str]:
        """A pattern matching any of the names as whole words (possessive included)."""
        return _pattern(self.alternatives())

    def alternatives(self) -> str:
        """The names as one case-insensitive regular expression alternation."""
        return _alternatives(self.aliases, self.proper)


@cache
def _alternatives(aliases: tuple[str, ...], proper: tuple[str, ...]) -> str:
    written = {p.lower(): p for p in proper}
    return "|".join(
        f"(?-i:{re.escape(written[a])})" if a in written else re.escape(a) for a in aliases
    )


@cache
def _pattern(words: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-])(?:{words})(?:['’]s?)?(?![\w-])", re.IGNORECASE)


@cache
def _places() -> dict[str, str]:
    """Countries and capitals by name (lower case) -> as written."""
    import countryinfo

    out: dict[str, str] = {}
    for country in countryinfo.all_countries():
        info = country.info()
        for name in (info.get("name"), info.get("capital")):
            if isinstance(name, str) and name:
                out[name.lower()] = name
    return out


def place_of(name: str) -> str | None:
    """``name`` as written when it is a country or a capital ("Kabul"), else None."""
    return _places().get(name.lower())


def is_place(name: str) -> bool:
    """Whether ``name`` names a country or capital, also by its people or government
    ("the Afghan side", "Pakistani officials")."""
    if place_of(name):
        return True
    entity = entity_of(name)
    return entity is not None and entity.country


def places_in(text: str) -> list[str]:
    """The countries and capitals ``text`` names in any case, by name, capital or people
    ("kabul", "the afghan side", "afghanistan-pakistan"), in order, for a question typed
    in lower case, whose names have no capitals to find them by: a people with the word
    after it, capitalised ("pakistani taliban" is "Pakistani Taliban", which may be a
    group's name), the others as written."""
    out = []
    for found in _place_words().finditer(text):
        word = found.group()
        if word.lower() in _ORDINARY or text[: found.start()].lower().endswith("new "):
            continue  # "turkey farms", "new jersey"
        after = _NEXT_WORD.match(text, found.end())
        people = place_of(word) is None and not _country_name(word.lower())
        if people and after is not None and after.group(1) not in _ROLES | _STOP:
            out.append(f"{word} {after.group(1)}".title())
        else:
            out.append(word)
    return out


# Places whose names are more often ordinary words or people's names, in lower case.
_ORDINARY = frozenset({
    "chad", "china", "georgia", "guinea", "jersey", "jordan", "turkey", "polish", "douglas",
    "hamilton", "kingston", "plymouth", "stanley", "victoria", "santiago", "lima", "sucre",
    "sofia", "the valley", "male", "malé",
})  # fmt: skip
_NEXT_WORD = re.compile(r"\s+([a-z][a-z’'-]+)")
_STOP = frozenset(STOPWORDS)


@cache
def _place_words() -> re.Pattern[str]:
    forms = sorted(_countries(), key=len, reverse=True)
    return re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(f) for f in forms) + r")(?:['’]s)?(?!\w)",
        re.IGNORECASE,
    )


@cache
def _countries() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Every form a country goes by (lower case) -> its name and all its forms."""
    import countryinfo

    table: dict[str, tuple[str, tuple[str, ...]]] = {}
    for country in countryinfo.all_countries():
        info = country.info()
        name, capital, demonym = info.get("name"), info.get("capital"), info.get("demonym")
        if not isinstance(name, str):
            continue
        forms = {name}
        if isinstance(capital, str) and capital:
            forms.add(capital)
        if isinstance(demonym, str) and demonym:  # "the Afghan side", "Afghans"
            forms |= {demonym, demonym + "s"}
        aliases = tuple(sorted({f.lower() for f in forms}, key=len, reverse=True))
        people = f"{demonym}s" if isinstance(demonym, str) and demonym else None
        for form in (name, capital, demonym, people):
            if isinstance(form, str) and form:
                table[form.lower()] = (name, aliases)
    return table


def entity_of(phrase: str, acronyms: dict[str, str] | None = None) -> Entity | None:
    """The entity ``phrase`` names ("Kabul's", "the Afghan side", "Khalid Sultan", "the
    TTP"), with its aliases; None when the phrase names nothing."""
    text = _POSSESSIVE.sub("", _ARTICLES.sub("", " ".join(phrase.split()))).strip(" ,.?")
    if not text:
        return None
    titled = _TITLED.match(text)
    if titled is not None and any(w.islower() for w in titled.group("title").split()):
        # "the think-tank head Rana", "the Afghan defense analyst Ghayur": the person
        return entity_of(titled.group("name"), acronyms)
    key = text.lower()
    countries = _countries()
    found = countries.get(key)
    phrase = ""
    if found is None:  # "the Afghan government", "Pakistani officials", "Kabul's leaders"
        first, *rest = key.split()
        if first in countries and len(rest) <= 2:
            found = countries[first]
            named = text.split()[1:]
            if named and all(w[:1].isupper() and w.lower() not in _ROLES for w in named):
                phrase = text  # "Pakistani Taliban": maybe a group's name
    if found is not None:  # named as the country is: "Afghanistan" for "the Afghan side"
        return Entity(found[0], found[1], country=True, phrase=phrase)
    words = text.split()
    # "the Taliban leadership", "TTP commanders": a named group's (not "local officials",
    # and not "House" for "the White House spokesman": a group has no surname).
    if len(words) >= 2 and words[-1].lower() in _ROLES and all(w[:1].isupper() for w in words[:-1]):
        body = entity_of(" ".join(words[:-1]), acronyms)
        if body is not None:
            surname = {p.lower() for p in body.proper}
            every = tuple(sorted({key, *body.aliases} - surname, key=len, reverse=True))
            return Entity(text, every)
    aliases = {key}
    proper: tuple[str, ...] = ()
    last = words[-1].lower() if words else ""
    if len(words) >= 2 and all(w[:1].isupper() for w in words) and not _country_name(last):
        aliases.add(last)  # a person's surname: "Sultan said" (not "Pakistan")
        proper = (words[-1],)
    for short, long in (acronyms or {}).items():
        if key in (short.lower(), long.lower()):
            aliases |= {short.lower(), long.lower()}
    return Entity(text, tuple(sorted(aliases, key=len, reverse=True)), proper=proper)


def _country_name(word: str) -> bool:
    """Whether ``word`` is a country's own name (not its capital or its people)."""
    found = _countries().get(word)
    return found is not None and found[0].lower() == word


def mentions(text: str, entity: Entity) -> list[tuple[int, int]]:
    """Where ``text`` names ``entity``, as character spans."""
    return [m.span() for m in entity.pattern().finditer(text)]


def mentioned(text: str, entities: Iterable[Entity]) -> bool:
    """Whether ``text`` names any of ``entities``."""
    return any(e.pattern().search(text) for e in entities)


# "…Tehrik-e-Taliban Pakistan (TTP) extremist group, also known as the Pakistani Taliban":
# after a name (its acronym in brackets, a word describing a group and a group noun, each
# optional, may follow it), a comma, then the capitalised name it is also known by.
_ALSO_KNOWN_AS = (
    r"(?:\s+(?:extremist|militant|insurgent|terrorist|armed|rebel|political|separatist|"
    r"jihadist|islamist))?"
    r"(?:\s+(?:group|organi[sz]ation|movement|militia|party|network|faction|outfit|"
    r"alliance|coalition))?"
    r"\s*,\s*(?:also\s+|better\s+|commonly\s+|sometimes\s+)?(?:known|referred\s+to)\s+as\s+"
    r"(?:the\s+)?"
)
_KNOWN_AS = re.compile(
    r"(?:\s*\([^()]{1,12}\))?" + _ALSO_KNOWN_AS
    + r"(?P<name>[A-Z][\w’'-]*(?:\s+(?:[A-Z][\w’'-]*|al-[\w’'-]+)){0,3})"
)  # fmt: skip


def defined_as(text: str, phrase: str) -> tuple[str, str | None] | None:
    """The name, and its acronym, that ``text`` says is also known as ``phrase``:
    ("Tehrik-e-Taliban Pakistan", "TTP") for "…Tehrik-e-Taliban Pakistan (TTP) extremist
    group, also known as the Pakistani Taliban"; None when it says no such thing."""
    if phrase.lower() not in text.lower():
        return None
    found = _defined(" ".join(phrase.split()).lower()).search(text)
    if found is None:
        return None
    return _ARTICLES.sub("", found.group("name")), found.group("short")


@lru_cache(maxsize=256)
def _defined(phrase: str) -> re.Pattern[str]:
    return re.compile(
        r"(?P<name>(?-i:[A-Z][\w’'-]*)(?:\s+(?-i:[A-Z][\w’'-]*)){0,4})"
        r"(?:\s*\((?P<short>(?-i:[A-Z]{2,8}))\))?" + _ALSO_KNOWN_AS
        + r"\s+".join(re.escape(w) for w in phrase.split())
        + r"(?![\w-])(?!\s+(?-i:[A-Z]))",  # the whole name: not "…Taliban Movement"
        re.IGNORECASE,
    )  # fmt: skip


def known_as(text: str, entity: Entity) -> set[str]:
    """The other names ``text`` says ``entity`` is known by (lower case)."""
    out = set()
    for _, end in mentions(text, entity):
        found = _KNOWN_AS.match(text, end)
        if found is not None:
            out.add(found.group("name").lower())
    return out - set(entity.aliases)


# "Pakistani Defense Minister Khawaja M Asif": a person's title, written before their name
# (capitalised words ending in an office), then given names or initials.
_TITLE = re.compile(
    r"(?P<title>(?:[A-Z][a-z]+\s+)?(?:Minister|Secretary|Spokesman|Spokesperson|"
    r"Spokeswoman|Commander|Governor|Ambassador|Director|Chairman|Chairwoman|Envoy|Chief|"
    r"Mayor|Adviser|Advisor|Officer))\s+(?P<given>(?:(?:[A-Z]\.?|[A-Z][\w’'-]+)\s+){0,3})$"
)
# Capitalised words that open a sentence or a phrase, not an office ("Yesterday Prime
# Minister…" is the prime minister).
_NOT_OFFICE = frozenset({
    "yesterday", "today", "then", "but", "and", "on", "following", "after", "before", "when",
    "while", "as", "meanwhile", "later", "earlier", "separately", "also", "the", "a", "an",
})  # fmt: skip


def titled_as(text: str, entity: Entity) -> set[str]:
    """The titles ``text`` gives the person ``entity`` names, as the role they are then
    called by ("defense minister" for "Pakistani Defense Minister Khawaja M Asif": "the
    Pakistani defense minister said…"); a one-word title ("Chief") says too little."""
    if not entity.proper:
        return set()
    first = entity.name.split()[0][:1].lower()
    out = set()
    for start, _ in mentions(text, entity):
        found = _TITLE.search(text, max(0, start - 120), start)
        if found is None:
            continue
        given = found.group("given").split()
        if given and given[0][:1].lower() != first:
            continue  # "Interior Minister Mohsin Khan" is not Imran Khan
        words = found.group("title").split()
        if words[0].lower() in _NOT_OFFICE or is_place(words[0]):
            words.pop(0)  # "Yesterday", "Pakistani", "Pakistan’s": not the office
        if len(words) >= 2:
            out.add(" ".join(words).lower())
    return out - set(entity.aliases)


def widened(entity: Entity, aliases: set[str]) -> Entity:
    """``entity`` going by ``aliases`` too."""
    if aliases <= set(entity.aliases):
        return entity
    every = tuple(sorted(set(entity.aliases) | aliases, key=len, reverse=True))
    return Entity(entity.name, every, entity.country, entity.proper)


def as_asked(text: str, entities: Iterable[Entity]) -> str:
    """``text`` with the name a question used after the first other name it gives each
    of ``entities``: "The Pakistani Taliban (TTP) emerged in 2007" for a question about
    the TTP, so that a model reading the two together sees they are about one thing."""
    inserts = []
    for entity in entities:
        if entity.country or mentions(text, _as_named(entity)):
            continue
        spans = mentions(text, entity)
        if spans:
            inserts.append((spans[0][1], f" ({entity.name})"))
    for at, words in sorted(inserts, reverse=True):
        text = text[:at] + words + text[at:]
    return text


def _as_named(entity: Entity) -> Entity:
    return Entity(entity.name, (entity.name.lower(),))
