"""What a question asks for: a fact, what something is, why, what one side says, what
someone did, a summary, how something changed, or the events in order.

The intent decides which composer writes the answer (``app/answer/extractive/compose``)
and which sentences the reranker reads first. It is read off the question's wording by
patterns of how analysts ask, never from its topic; a question matching none is a
``FACT``. Where the wording names who is asked about ("What does *Kabul* say…", "How
did *the Taliban* respond…", "What is *the TTP*?"), that phrase is the question's
subject.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

__all__ = ["Intent", "Reading", "read_intent"]


class Intent(Enum):
    FACT = "fact"
    DEFINITION = "definition"
    CAUSE = "cause"
    EVENT = "event"
    POSITION = "position"
    SUMMARY = "summary"
    CHANGE = "change"
    TIMELINE = "timeline"

    @property
    def gathers(self) -> bool:
        """Whether the answer gathers events from many passages (a timeline, a summary):
        twice the passages are retrieved, and every one of them is read."""
        return self in (Intent.TIMELINE, Intent.SUMMARY)


@dataclass(frozen=True)
class Reading:
    """The intent, and the phrase naming who or what it is about (if the wording says)."""

    intent: Intent
    subject: str | None = None


_I = re.IGNORECASE
_SAYING = (
    r"say|says|said|claim|claims|argue|argues|think|thinks|believe|believes|accuse|accuses|"
    r"allege|alleges|want|wants|demand|demands|insist|insists|maintain|maintains|deny|"
    r"denies|blame|blames|propose|proposes|warn|warns|suggest|suggests|want|"
    r"expect|expects|fear|fears|hope|hopes|call\s+for|calls\s+for|make\s+of|feel"
)
# "What has Kabul claimed?", "What has Pakistan accused the Taliban of?"
_SAID = (
    r"said|claimed|argued|thought|believed|accused|alleged|wanted|demanded|insisted|"
    r"maintained|denied|blamed|proposed|warned|suggested|expected|feared|hoped|called\s+for"
)
_STANCE = (
    r"position|view|views|stance|argument|arguments|case|line|claim|claims|demand|demands|"
    r"perspective|take|opinion|response|reaction|side\s+of\s+the\s+story|account|version|"
    r"accusation|accusations|allegation|allegations|grievance|grievances|complaint|"
    r"complaints|objection|objections|narrative|message|messaging|rhetoric"
)
_SUBJECT = r"(?P<subject>[^?]{1,80}?)"
# Who holds a view, as a short phrase without a clause in it: not "been" ("what has been
# claimed"), nor "the man who…", nor "we know about the men" ("…the men accused of it").
_CLAUSE_FREE = r"(?:(?!\b(?:been|done|who|whom|that|which|about|know|when)\b)[^?,]){1,60}?"
_HOLDER = rf"(?P<subject>{_CLAUSE_FREE})"
# "a militant group", "Khalid Sultan", "the Balochistan Liberation Army": what a definition
# question asks about is a name or a short term, not a description with a verb in it.
_TERM = r"(?P<subject>(?:the\s+|an?\s+)?[^?,;]{1,60}?)"
_NOT_TERMS = re.compile(
    r"^(?:the\s+)?(?:name|names|number|date|day|year|cost|price|size|population|total|average|"
    r"amount|reason|reasons|cause|causes|root|roots|origin|difference|relationship|"
    r"relation|relations|situation|state|latest|status|outcome|result|impact|effect|"
    r"effects|role|purpose|goal|aim|point|significance|meaning|main|biggest|largest|"
    r"first|last|best|worst|most|least|current|new|next|capital|head|leader|"
    r"\w+['’]s\s)\b",
    _I,
)
# A term a definition may be asked of: a name (capitalised words, acronyms, with the
# particles names carry), or a short common noun phrase with no preposition or verb in it.
_NAME_TERM = re.compile(
    r"^(?:the\s+|an?\s+)?(?-i:[A-Z][\w’'.-]*)(?:\s+(?:(?:of|de|al|bin|the|and|for)\s+)?"
    r"(?-i:[A-Z0-9][\w’'.-]*))*$",
    re.IGNORECASE,
)
_COMMON_TERM = re.compile(r"^(?:the\s+|an?\s+)?(?-i:[a-z][a-z-]*)(?:\s+(?-i:[a-z][a-z-]*)){0,2}$")
_NOT_IN_TERMS = re.compile(
    r"\b(?:of|for|in|on|at|to|from|by|with|about|called|named|known|different|like|"
    r"used|made|given|after|before|between)\b",
    re.IGNORECASE,
)
_WHO_IS_ROLE = re.compile(
    r"^\s*(?:and\s+)?who\s+(?:is|are|was|were)\s+(?:the|a|an)\s+(?-i:[a-z])", _I
)
_VERBISH = re.compile(r"\b(?:did|does|do|is|are|was|were|has|have|had|will|would|can)\b", _I)


def _any(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, _I) for p in patterns)


# In order: the first intent with a matching pattern wins.
_RULES: tuple[tuple[Intent, tuple[re.Pattern[str], ...]], ...] = (
    (Intent.TIMELINE, _any(
        r"^\s*(?:and\s+)?what\s+(?:has\s+|have\s+)?happened\b",
        r"^\s*(?:list|give|show|outline|describe|walk\s+me\s+through|trace)\b[^?]*?\b(?:events|"
        r"developments|timeline|chronology)\b",
        r"\b(?:timeline|chronology|chronological\s+order|in\s+order)\s*[.?]?\s*$",
        r"^\s*(?:(?:give|show)\s+(?:me\s+)?)?(?:an?\s+|the\s+)?(?:(?:short|brief|quick)\s+)?"
        r"(?:timeline|chronology|sequence\s+"
        r"of\s+events|history)\s+of\s+(?P<subject>[^?:,;.]{1,60}?)\s*(?:[:?,;.]|$|\s+(?:since|"
        r"from|in|during|between|over|until|up\s+to)\b)",
        r"^\s*(?:put|place|arrange|order|sort|rank)\b[^?]*?\b(?:events|developments)\b",
        r"^\s*(?:list|give|show|outline|describe|walk\s+me\s+through|trace|lay\s+out|set\s+out|"
        r"recount|reconstruct|put|arrange)\b[^?]*?\bin\s+(?:chronological\s+|date\s+)?order\b"
        r"(?!\s+to\b)",
        r"\b(?:events|developments)\b[^?]*?\bin\s+(?:chronological\s+|date\s+)?order\b(?!\s+to\b)",
        r"\bwhat\s+(?:has\s+|have\s+)?happened\s+since\b",
        r"\bhow\s+did\s+.+?\s+unfold\b",
        r"\bin\s+(?:what|which)\s+(?:order|sequence)\b|\bwhat\s+(?:was|is)\s+the\s+(?:order|"
        r"sequence)\s+of\b",
        # "Lay out, step by step, the chain of attacks that led to…"
        r"\bstep\s+by\s+step\b|\b(?:chain|sequence|series)\s+of\s+(?:events|attacks|strikes|"
        r"clashes|developments|moves|incidents|reprisals)\b",
        r"\bwhat\s+(?:were|are)\s+the\s+(?:main|key|major|important)\s+(?:events|developments)\b",
        # "anything reported out of Bajaur lately?", "any news from Kandahar?"
        r"^\s*(?:is\s+there\s+|has\s+there\s+been\s+)?(?:anything(?:\s+new)?|any\s+(?:news|word|"
        r"reports?|updates?))\s+(?:(?:been\s+)?reported\s+)?(?:out\s+of|from|about|on|in|regarding)\b",
    )),
    (Intent.SUMMARY, _any(
        r"^\s*(?:summari[sz]e|give\s+(?:me\s+|us\s+)?(?:an?\s+)?(?:(?:short|quick|brief)\s+)?"
        r"(?:overview|summary|brief|briefing|rundown|recap|update)|"
        r"where\s+(?:do|does)\s+.+?\s+stand\b|"
        r"brief\s+me|catch\s+me\s+up|overview\s+of|(?:what(?:['’]s|\s+is)|tell\s+me)\s+"
        r"(?:the\s+)?(?:situation|state\s+of\s+(?:play|affairs)|latest|news)\b|"
        r"what(?:['’]s|\s+is)\s+going\s+on\b|key\s+(?:points|takeaways))",
        # "quick rundown of the crisis", "tl;dr of the section"
        r"^\s*(?:an?\s+|the\s+)?(?:(?:short|quick|brief)\s+)?(?:overview|summary|rundown|"
        r"run-down|recap|roundup|round-up|tl;?dr)\s+(?:of|on)\b",
    )),
    (Intent.CAUSE, _any(
        r"^\s*(?:and\s+)?(?:why\b|what\s+(?:led|leads|has\s+led|drove|pushed|prompted|"
        r"caused|made)\s+(?:.{1,60}?\s+)?to\b|what\s+(?:caused|"
        r"causes|prompted|triggered|sparked|drove|drives|provoked|started)\b|what\s+(?:is|was|"
        r"are|were)\s+(?:behind|the\s+(?:root|roots|cause|causes|reason|reasons|origin|origins|"
        r"source|driver|drivers|trigger|background)\b)|how\s+did\s+.+?\s+(?:start|begin)\b)",
        # "What was Islamabad's reasoning for…", "the rationale behind…"
        r"\b(?:reasoning|rationale|motive|motives|motivation|logic)\s+(?:for|behind|of)\b",
        r"\b(?:thinking|calculation|calculus|strategy)\s+behind\b",
    )),
    (Intent.CHANGE, _any(
        r"\b(?:how\s+(?:is|are|has|have|did)\s+.+?\s+(?:changing|changed|evolving|evolved|"
        r"developing|developed|shifting|shifted)|what\s+has\s+changed|what\s+changed)\b",
        # "How have Norland's demands hardened?" (not "how did X respond when it worsened")
        rf"^\s*how\s+(?:is|are|has|have)\s+{_CLAUSE_FREE}\s+(?:hardening|hardened|softening|"
        r"softened|worsening|worsened|deteriorating|deteriorated|escalating|escalated|"
        r"intensifying|intensified)\b",
    )),
    (Intent.POSITION, _any(
        rf"\bwhat(?:\s+else)?\s+(?:does|do|did|has|have)\s+{_SUBJECT}\s+(?:{_SAYING})(?![\w-])",
        rf"\bwhat(?:\s+else)?\s+(?:has|have)\s+{_HOLDER}\s+(?:{_SAID})\b",
        # "Which foreign power does Islamabad say the Taliban serve?": a fact in X's words
        rf"\bwhich\s+(?:\w+\s+){{1,3}}?(?:does|do|did)\s+{_HOLDER}\s+"
        rf"(?:say|claim|allege|accuse|believe|blame)\b",
        rf"\bwhat\s+(?:is|are|was|were)\s+{_SUBJECT}['’]s?\s+(?:(?:own|official|main|"
        rf"counter)[\s-]?)?(?:{_STANCE})\b",
        rf"\bwhat\s+(?:is|are|was|were)\s+the\s+(?:{_STANCE})\s+of\s+{_SUBJECT}(?:\s+on\b|\?|$)",
        rf"\bhow\s+(?:does|do|did)\s+{_SUBJECT}\s+(?:see|view|feel|regard|explain|justify|"
        rf"describe|characteri[sz]e|portray|depict|frame|paint|perceive|assess|interpret)\b",
        # "What is Bahiss hoping will happen?", "What are officials saying?"
        # "What has Kabul been saying?"
        rf"\bwhat\s+(?:is|are|was|were|has|have|had)\s+{_SUBJECT}\s+(?:been\s+)?"
        rf"(?:saying|claiming|arguing|hoping|accusing|alleging|blaming|denying|maintaining|"
        rf"expecting|suggesting|proposing|demanding|warning|asking\s+for|calling\s+for|"
        rf"predicting|insisting)\b",
    )),
    (Intent.EVENT, _any(
        rf"\bhow\s+(?:did|does|do|has|have|had|will|would)\s+{_SUBJECT}\s+(?:respond|react|"
        rf"retaliate|reply|answer|hit\s+back)(?:s|ed|d)?\b",
        # (not "what has Islamabad asked the Taliban to do": a request, not an action)
        rf"\bwhat\s+(?:did|has|have|will)\s+{_SUBJECT}(?<!\bto)\s+(?:do|done)\b",
        r"\bwhat\s+(?:was|were)\s+(?:hit|struck|attacked|targeted|bombed)\b",
    )),
    (Intent.DEFINITION, _any(
        rf"^\s*(?:and\s+)?(?:what|who)\s+(?:is|are|was|were)\s+{_TERM}\s*\??\s*$",
        # "What exactly is Tehrik-e-Taliban Pakistan?": a name ("what exactly was hit" is not)
        r"^\s*(?:what|who)\s+exactly\s+(?:is|are|was|were)\s+"
        r"(?P<subject>(?:the\s+)?(?-i:[A-Z])[^?,;]{0,60}?)\s*\??\s*$",
        # "Could you explain what the TTP is?", "Tell me who Khalid Sultan is."
        rf"^\s*(?:(?:can|could|would)\s+you\s+(?:please\s+)?)?(?:explain|tell\s+me|describe)\s+"
        rf"(?:what|who)\s+{_TERM}\s+(?:is|are|was|were)\s*[.?]?\s*$",
        rf"^\s*tell\s+me\s+about\s+{_TERM}\s*[.?]?\s*$",
        rf"^\s*define\s+{_TERM}\s*[.?]?\s*$",
        rf"^\s*what\s+does\s+{_TERM}\s+(?:stand\s+for|mean)\s*\??\s*$",
        rf"^\s*what\s+is\s+meant\s+by\s+{_TERM}\s*\??\s*$",
    )),
)  # fmt: skip


def _definable(subject: str | None, question: str) -> bool:
    """Whether a definition question's subject is a term to define: a name, or a short
    common noun phrase ("What is the name of…", "What are cestida called?" and "Who is
    the mayor of Marsby?" ask for something else)."""
    if subject is None or _NOT_TERMS.match(subject) or _VERBISH.search(subject):
        return False
    if _WHO_IS_ROLE.match(question):
        return False
    text = subject.strip()
    if _NAME_TERM.match(text):
        return len(text.split()) <= 6
    return _COMMON_TERM.match(text) is not None and not _NOT_IN_TERMS.search(text)


# "what's happened" is "what has happened"; "what's the TTP" is "what is the TTP".
_HAS = re.compile(
    r"\b(what|who|where|how|when|why|it|that)['’]s\s+(?=(?:been|happened|changed|done|"
    r"gone|become|got|said)\b)",
    _I,
)
_IS = re.compile(r"\b(what|who|where|how|when|why)['’]s\b", _I)
_ARE = re.compile(r"\b(what|who|where|how|when|why|they|we|you)['’]re\b", _I)


# Words that stand for someone without naming them: no side to look for.
_NO_ONE = re.compile(
    r"(?:some|many|most|others?|few|several|people|they|them|he|she|it|we|you|i|one|"
    r"someone|somebody|anyone|anybody|everyone|everybody|nobody|no\s+one|each|both|all)$",
    _I,
)


def expanded(question: str) -> str:
    """``question`` with its contracted question words spelled out."""
    question = _HAS.sub(r"\1 has ", question)
    return _ARE.sub(r"\1 are", _IS.sub(r"\1 is", question))


# Words between the one asked about and the verb that say how or when, not who.
_ADVERBS = re.compile(
    r"(?:\s+(?:usually|typically|normally|generally|often|always|ever|still|now|then|first|"
    r"initially|originally|eventually|finally|again|also|even|really|actually|currently|"
    r"recently|officially|publicly|reportedly|routinely))+$",
    re.IGNORECASE,
)


def read_intent(question: str) -> Reading:
    """What ``question`` asks for, and whom it names as the one asked about."""
    question = expanded(question)
    for intent, patterns in _RULES:
        for pattern in patterns:
            found = pattern.search(question)
            if found is None:
                continue
            subject = found.groupdict().get("subject")
            if intent is Intent.DEFINITION and not _definable(subject, question):
                continue
            if subject is not None and _NO_ONE.match(subject.strip()):
                subject = None  # "What do some believe…", "What does he say…"
            if subject is not None:  # "How does Norland usually respond…": Norland
                bare = _ADVERBS.sub("", subject.strip())
                subject = bare if bare.lower() not in ("", "the", "a", "an") else subject
            return Reading(intent, subject or None)
    return Reading(Intent.FACT)
