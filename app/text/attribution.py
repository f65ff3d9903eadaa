"""Who holds the view a sentence reports: the speaker of "X says", the owner of "X's
argument", the name after a quotation ("…,” said X), "according to X".

No parser: the patterns are the ways news writing attributes a view, and the holder is
the name nearest before the verb within its clause (or after it, for a quotation).
The spans let the caller decide whose names they are.
"""

from __future__ import annotations

import re

__all__ = ["explicit_holders", "held", "holder_spans", "quoted"]

_VERBS = (
    r"says?|said|argues?|argued|claims?|claimed|accuses?|accused|denies|denied|insists?|"
    r"insisted|maintains?|maintained|believes?|believed|wants?|wanted|demands?|demanded|"
    r"warns?|warned|alleges?|alleged|blames?|blamed|declares?|declared|states?|stated|"
    r"tells?|told|writes?|wrote|frames?|framed|resists?|resisted|rejects?|rejected|"
    r"refuses?|refused|considers?|considered|feels?|"
    r"felt|fears?|feared|worries|worried|hopes?|hoped|appreciates?|appreciated|threatens?|"
    r"threatened|responds?|responded|insists?|contends?|contended|admits?|admitted|"
    r"announced|announces|confirmed|confirms|vowed|vows|pledged|urged|"
    r"urges|criticized|criticised|condemned|condemns|has\s+said|have\s+said|has\s+framed"
)
_NOUNS = (
    r"argument|arguments|position|view|views|stance|claim|claims|case|line|demand|demands|"
    r"accusation|accusations|allegation|allegations|complaint|concern|concerns|response|"
    r"narrative|messaging|rhetoric|language|statement|account|version|assessment|worry"
)
# "X's argument", "the union's case", "X's media's messaging": the owner of the noun.
_OWNED = re.compile(
    rf"(?P<holder>(?:[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*|(?i:the|this|that)\s+[\w-]+))['’]s?"
    rf"\s+(?:[\w-]+\s+){{0,2}}?(?:{_NOUNS})\b"
)
_VERB = re.compile(rf"\b(?:{_VERBS})\b")
# A name after its verb: "Khalid Sultan", "the Foreign Ministry".
_NAME = r"(?:the\s+)?[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*"
# "…, said Amir Rana, the head of…": a speech verb after a comma, the name ending its
# clause (not "…, accused Islamabad of lying").
_SPEECH = r"said|says|added|adds|wrote|writes|told|tells|noted|notes|argued|warned|explained"
_NAME_ENDS_CLAUSE = r"(?=\s*(?:[,.;]|$))"
_SAID_BY = re.compile(rf"(?:{_SPEECH})\s+{_NAME}{_NAME_ENDS_CLAUSE}")
# ,” said Khalid Sultan / ," says the minister / according to officials in Kabul
_AFTER = re.compile(
    rf"(?:[”\"’],?\s*|\bas\s+)(?:{_VERBS})\s+(?P<holder>{_NAME})"
    rf"|,\s+(?:{_SPEECH})\s+(?P<holder3>{_NAME}){_NAME_ENDS_CLAUSE}"
    r"|\baccording\s+to\s+(?P<holder2>(?:the\s+)?[\w’'-]+(?:\s+[A-Z][\w’'-]*)*)",
)
# "…, an allegation it denies": a pronoun right before the verb is its subject, and names
# further back are not.
_PRONOUN_SUBJECT = re.compile(r"\b(?:it|they|he|she|we|i|you)\s+(?:\w+\s+)?$", re.IGNORECASE)
_CLAUSE_START = re.compile(r"[.;:!?“\"]\s|\b(?:that|which|who|whereas|while|but)\s", re.IGNORECASE)
_LOOKBACK = 90  # characters before a verb where its subject may stand
_QUOTES = re.compile(r"[“\"][^”\"]{12,}[”\"]")


def holder_spans(sentence: str) -> list[tuple[int, int]]:
    """Where the sentence names who holds the view it reports (may be several): the
    explicit holders first (``explicit_holders``), then each reporting verb's clause."""
    spans = explicit_holders(sentence)
    for m in _VERB.finditer(sentence):
        before = sentence[: m.start()].rstrip()
        if before.endswith(("”", '"', "’,", "”,", '",')) or (
            before.endswith(",") and _SAID_BY.match(sentence, m.start())
        ):
            continue  # ,” said X / …, said X: the holder comes after (above)
        start = max(0, m.start() - _LOOKBACK)
        start = sentence.find(" ", start) + 1 if start else 0  # a whole first word
        window = sentence[start : m.start()]
        # The verb's clause: after the last clause opening before it ("…that X says").
        cut = max((b.end() for b in _CLAUSE_START.finditer(window)), default=0)
        clause = window[cut:]
        if clause.strip() and not _PRONOUN_SUBJECT.search(clause):
            spans.append((start + cut, m.start()))
    return spans


def explicit_holders(sentence: str) -> list[tuple[int, int]]:
    """Holders named outright: the owner of "X's argument", the speaker after a
    quotation, "according to X"."""
    spans = [m.span("holder") for m in _OWNED.finditer(sentence)]
    for m in _AFTER.finditer(sentence):
        group = next(g for g in ("holder", "holder2", "holder3") if m.group(g))
        spans.append(m.span(group))
    return spans


def quoted(sentence: str) -> bool:
    """Whether the sentence carries a quotation."""
    return _QUOTES.search(sentence) is not None or sentence.lstrip().startswith(("“", '"'))


# "On the Afghan side, similarly, the rhetoric has become much more hardened.": a side
# named as the frame of what follows, in its sentence and the next.
_SIDE = re.compile(
    r"^\W*(?:and\s+|but\s+|so\s+)?(?:on|from|for)\s+(?!(?:the\s+)?(?:other|one|same|their|"
    r"our|its|his|her|this|that)\b)(?P<side>(?:the\s+)?[\w’'-]+(?:\s+[\w’'-]+)?)['’]?s?\s+"
    # (not "On the Afghan side of the border, Pakistani shells…": a place)
    r"(?:side|part|end|perspective)\b(?!\s+of\b)",
    re.IGNORECASE,
)


_ONE_OF = re.compile(r"\b(?:an?|one)\s+$", re.IGNORECASE)
# …of a people, not its voice: "an Afghan defense analyst", but "a Pakistani military
# spokesman" speaks for Pakistan.
_PERSON = re.compile(
    r"\W*(?:[\w-]+\s+){0,2}?(?:analyst|expert|resident|scholar|journalist|observer|"
    r"commentator|academic|researcher|writer|student|professor|citizen|woman|man|"
    r"businessman|refugee|activist)s?\b",
    re.IGNORECASE,
)


def _names_side(holder: str, names: re.Pattern[str], nation: bool) -> bool:
    """Whether ``holder`` is whoever ``names`` matches: "Afghanistan's Taliban
    government" is Afghanistan, but "an Afghan defense analyst" (``nation``: the names
    are a country's) is one of its people, not the side."""
    return any(
        not (nation and _ONE_OF.search(holder[: m.start()]) and _PERSON.match(holder, m.end()))
        for m in names.finditer(holder)
    )


def held(
    text: str, before: str, names: re.Pattern[str], *, nation: bool = False, earlier: str = ""
) -> int:
    """1 when the view ``text`` reports is held by whoever ``names`` matches (``nation``:
    a country's names), -1 when it is someone else's, 0 when it reports no one's. A
    quotation going on from ``before`` (the sentence before it in its paragraph) is that
    sentence's speaker's, and so are the two sentences after a side named as the frame
    ("On the Afghan side, …"; ``earlier``: the sentence before ``before``), unless the
    one between names a holder of its own."""
    spans = holder_spans(text)
    if not spans and before and text.lstrip().startswith(("“", '"')):
        text, spans = before, holder_spans(before)
    if not spans:
        framed = _SIDE.match(text) or (_SIDE.match(before) if before else None)
        if framed is None and earlier and before and not holder_spans(before):
            framed = _SIDE.match(earlier)
        if framed is not None:
            return 1 if names.search(framed.group("side")) else -1
        return 0
    if any(_names_side(text[a:b], names, nation) for a, b in spans):
        return 1
    # Someone else holds it: named outright, or a name stands before the reporting verb.
    if explicit_holders(text) or any(re.search(r"[A-Z]", text[a:b]) for a, b in spans):
        return -1
    return 0
