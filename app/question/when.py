"""The time a question asks about, as days, relative to the day it is asked on.

"on 26 February 2026", "in November 2025", "in November" (the latest November on or
before the day asked), "since October", "between March and May", "this week", "last
week", "in October last year", "in the past 10 days" become a window of days ("the events
that led up to" a day, or "around" it: the two weeks either side);
"early", "mid" and "late" February (or "the end of" it) are its first, middle or last
ten days; "the February 27 fighting" that day and the week after it (its aftermath);
"the 1990s" its ten years ("since the 1990s", "1990s to today": up to the
day); "recently", "latest", "now" and their kin ask for the most recent reports (the last
``RECENT_DAYS`` days, as a preference, not a limit).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from app.text.dates import MONTHS, DateSpan, date_spans

__all__ = ["DECADE", "RECENT_DAYS", "When", "when_asked"]

RECENT_DAYS = 30
_SINCE = re.compile(r"\b(?:since|from|after)\s+(?:\w+\s+){0,8}?$", re.IGNORECASE)
# "the events that led up to the February 27 bombing", "around the 2021 takeover": the
# days before and after, not the day alone.
_AROUND = re.compile(
    r"\b(?:led\s+(?:up\s+)?to|leading\s+(?:up\s+)?to|lead\s+(?:up\s+)?to|around|surrounding|"
    r"before\s+and\s+after)\s+(?:[\w'’-]+\s+){0,4}?$",
    re.IGNORECASE,
)
AROUND_DAYS = 14
# "the February 27 fighting", "Pakistan's 3 March strikes": a day that names an event asks
# about the event, whose aftermath (the dead buried, the replies) is reported in the days
# after it.
_EVENT_NAMED = re.compile(
    r"^\s*(?:(?!(?:after|before|on|in|at|of|for|to|about|with|by|the|a|an)\b)[\w'’-]+\s+)"
    r"{0,2}?(?:fighting|bombing|bombings|strike|strikes|airstrike|"
    r"airstrikes|attack|attacks|clash|clashes|raid|raids|offensive|flare-up|violence|"
    r"explosion|blast|shooting|massacre|incursion|assault|battle|killings|crash|flood|"
    r"floods|earthquake|storm|fire|riot|riots|protest|protests|uprising|coup)\b",
    re.IGNORECASE,
)
EVENT_DAYS = 7
_NAMES_EVENT = re.compile(r"(?:\bthe|['’]s)\s+$", re.IGNORECASE)  # "the …", "Norland's …"
_UNTIL = re.compile(r"\b(?:until|till|before|to|and)\s+$", re.IGNORECASE)
_RECENT = re.compile(
    r"\b(?:recent(?:ly)?|lately|latest|newest|now|currently|current|these\s+days|"
    r"at\s+the\s+moment|right\s+now|so\s+far|to\s+date|today)\b",
    re.IGNORECASE,
)
_PAST = re.compile(
    r"\b(?:in|over|during)\s+the\s+(?:last|past)\s+(?P<n>\d{1,3}|a|one|two|three|four|five|six|"
    r"seven|eight|nine|ten|twelve)?\s*(?P<unit>day|week|month|year)s?\b",
    re.IGNORECASE,
)
_WORDS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9, "ten": 10, "twelve": 12}  # fmt: skip
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}
# "late February", "mid-March 2026", "the end of October", "early in May"
_PART = re.compile(
    r"\b(?P<part>early|mid|late|(?:the\s+)?(?:end|beginning|start|middle)\s+of)[\s-]+"
    r"(?:(?:in|of)\s+)?(?:the\s+month\s+of\s+)?(?P<month>(?-i:[A-Z])[a-z]+)\b(?:,?\s+(?P<year>\d{4}))?",
    re.IGNORECASE,
)
_THIRDS = {"early": (1, 10), "beginning": (1, 10), "start": (1, 10), "mid": (11, 20),
           "middle": (11, 20), "late": (21, 31), "end": (21, 31)}  # fmt: skip


@dataclass(frozen=True)
class When:
    """Days a question asks about, ``first`` to ``last`` inclusive, and how to say them;
    ``recent``: the most recent reports are wanted (a preference, not a limit)."""

    first: date
    last: date
    label: str
    recent: bool = False
    around: bool = False  # the days around an event the question names, not the event
    # The day of the event the question names by it ("the February 27 fighting"), whose
    # aftermath the window's later days hold.
    event: date | None = None

    def holds(self, first: date, last: date) -> bool:
        """Whether the days ``first``..``last`` fall in the window, at least in part."""
        return first <= self.last and self.first <= last


def when_asked(question: str, as_of: date) -> When | None:
    """The window of days ``question`` asks about, asked on ``as_of``; None if it names
    no time."""
    spans = _with_parts(date_spans(question, as_of), question, as_of)
    if spans:
        first, last = spans[0], spans[-1]
        before = question[: first.start]
        if len(spans) >= 2 and _UNTIL.search(question[: last.start]):
            end = max(last.last, first.last)  # "2 February to late March": not backwards
            return When(first.first, end, f"{first.label} to {last.label}")
        if _AROUND.search(before) and (first.last - first.first).days < AROUND_DAYS:
            reach = timedelta(days=AROUND_DAYS)
            return When(first.first - reach, min(max(as_of, first.first), first.last + reach),
                        f"around {first.label}", around=True)  # fmt: skip
        if _SINCE.search(before):
            return When(first.first, max(as_of, first.first), f"since {first.label}")
        if (
            first.first == first.last
            and _NAMES_EVENT.search(before)
            and _EVENT_NAMED.match(question[first.end :])
        ):
            end = max(first.last, min(as_of, first.last + timedelta(days=EVENT_DAYS)))
            return When(first.first, end, f"{first.label} or the days after", event=first.first)
        return When(first.first, first.last, first.label)
    past = _PAST.search(question)
    if past is not None:
        count = past.group("n")
        n = int(count) if count and count.isdigit() else _WORDS.get((count or "a").lower(), 1)
        days = n * _UNIT_DAYS[past.group("unit").lower()]
        return When(as_of - timedelta(days=days), as_of, past.group().strip())
    if _RECENT.search(question):
        return When(as_of - timedelta(days=RECENT_DAYS), as_of, "recently", recent=True)
    return None


def _with_parts(spans: list[DateSpan], question: str, as_of: date) -> list[DateSpan]:
    """``spans`` with the parts of months ("late February") and the decades ("the
    1990s") the question names, each in place of the dates it contains."""
    # A decade beside a day ("the 1990s militants killed on March 3") describes; the day
    # is the time asked about, unless the decade opens a range ("1990s to today").
    decades = [
        d for d in _decades(question)
        if not spans or _RANGE_ON.match(question[d.end :])
    ]  # fmt: skip
    extra = _parts_of_months(question, as_of) + decades
    kept = [d for d in spans if not any(e.start < d.end and d.start < e.end for e in extra)]
    return sorted(kept + extra, key=lambda d: d.start)


def _parts_of_months(question: str, as_of: date) -> list[DateSpan]:
    """ "late February": its last ten days, in the latest February whose part has begun
    by ``as_of`` (or in the year written)."""
    out = []
    for found in _PART.finditer(question):
        name = found.group("month").lower()
        if name not in MONTHS:
            continue
        month = MONTHS.index(name) + 1
        part = found.group("part").lower()
        first_day, last_day = next(v for k, v in _THIRDS.items() if k in part)
        year = int(found.group("year") or as_of.year)
        if found.group("year") is None and date(year, month, first_day) > as_of:
            year -= 1
        if not 1 <= year <= 9998:
            continue
        end = calendar.monthrange(year, month)[1]
        first, last = date(year, month, first_day), date(year, month, min(last_day, end))
        label = f"{part} {found.group('month')} {year}"
        out.append(DateSpan(first, last, label, found.start(), found.end()))
    return out


_RANGE_ON = re.compile(r"\s*(?:to|until|till|through|and)\b", re.IGNORECASE)
# "the 1990s", "since the 1990s", "1990s to today" (not "the 1000s of refugees")
DECADE = re.compile(r"\b(?:the\s+)?(?P<decade>1[89][0-9]0|20[0-9]0)s\b")


def _decades(question: str) -> list[DateSpan]:
    """A decade's ten years."""
    out = []
    for found in DECADE.finditer(question):
        start = int(found.group("decade"))
        first, last = date(start, 1, 1), date(start + 9, 12, 31)
        out.append(DateSpan(first, last, f"the {start}s", found.start(), found.end()))
    return out
