"""Dates: relative expressions in an article resolved against its publication date.

"last Thursday" in an article published on Tuesday 3 March 2026 means 26 February
2026; "in October last year" means October 2025. A reader of a cited sentence, or a
language model reading the passage, cannot know that without the article's date, so
answers and passages carry the resolved date next to the phrase.

The phrases are found by one precise pattern rather than a general date parser: the
parsers on PyPI either miss month-of-last-year forms or resolve a bare "in October"
into the future, and a wrong date in a cited answer is worse than none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = [
    "MONTHS",
    "WEEKDAYS",
    "DateMention",
    "DateSpan",
    "annotate",
    "date_spans",
    "resolve_dates",
    "span_of",
]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_WD = "|".join(WEEKDAYS)
_MON = "|".join(MONTHS)
_NUM = r"\d{1,2}|" + "|".join(_NUMBERS)

_PATTERN = re.compile(
    rf"""\b(?:
      (?P<before_yesterday>(?:the\s+)?day\s+before\s+yesterday)
    | (?P<yesterday>yesterday)
    | (?P<today>today|tonight|this\s+(?:morning|afternoon|evening))
    | (?P<tomorrow>tomorrow)
    | (?:last|this\s+past|past)\s+(?P<last_wd>{_WD})
    | (?:next|this\s+coming)\s+(?P<next_wd>{_WD})
    | (?<=\bon\s)(?P<on_wd>{_WD})
    | (?P<ago_n>{_NUM})\s+(?P<ago_unit>day|week|month|year)s?\s+ago
    | (?P<my_month>{_MON})\s+(?:of\s+)?(?P<my_rel>last|this|next)\s+year
    | (?:earlier|later)\s+(?:this|in\s+the)\s+(?P<same_period>week|month|year)
    | (?P<rel>last|this|next)\s+(?P<rel_period>week|month|year)
    | (?:last|this\s+past)\s+(?P<last_month>{_MON})
    )\b""",
    re.IGNORECASE | re.VERBOSE,
)
# An explicit date right after the phrase ("on Thursday, February 26") needs no help.
_EXPLICIT_AFTER = re.compile(rf"^[\s,(]*(?:\d{{1,2}}\s+)?(?:{_MON})\b|^[\s,(]*\d", re.IGNORECASE)


@dataclass(frozen=True)
class DateMention:
    """A relative date phrase at ``text[start:end]`` and what it means."""

    start: int
    end: int
    phrase: str
    value: str  # ISO 8601 at the phrase's precision: 2026-02-26, 2026-02 or 2026
    label: str  # the same for people: 26 February 2026, February 2026, 2026


def _day(d: date) -> tuple[str, str]:
    return d.isoformat(), f"{d.day} {MONTHS[d.month - 1].capitalize()} {d.year}"


def _month(year: int, month: int) -> tuple[str, str]:
    return f"{year:04d}-{month:02d}", f"{MONTHS[month - 1].capitalize()} {year}"


def _shift_months(d: date, months: int) -> tuple[int, int]:
    index = d.year * 12 + d.month - 1 + months
    return index // 12, index % 12 + 1


def _period(d: date, period: str, offset: int) -> tuple[str, str]:
    if period == "week":
        monday = d - timedelta(days=d.weekday()) + timedelta(weeks=offset)
        return monday.isoformat(), f"the week of {_day(monday)[1]}"
    if period == "month":
        return _month(*_shift_months(d, offset))
    return str(d.year + offset), str(d.year + offset)


def _resolve(m: re.Match[str], published: date) -> tuple[str, str]:
    g = {k: v.lower() for k, v in m.groupdict().items() if v}
    offsets = {"before_yesterday": -2, "yesterday": -1, "today": 0, "tomorrow": 1}
    for name, days in offsets.items():
        if name in g:
            return _day(published + timedelta(days=days))
    if "last_wd" in g:  # the most recent such day strictly before publication
        back = (published.weekday() - WEEKDAYS.index(g["last_wd"]) - 1) % 7 + 1
        return _day(published - timedelta(days=back))
    if "next_wd" in g:
        ahead = (WEEKDAYS.index(g["next_wd"]) - published.weekday() - 1) % 7 + 1
        return _day(published + timedelta(days=ahead))
    if "on_wd" in g:  # news usage: the past week, publication day included
        back = (published.weekday() - WEEKDAYS.index(g["on_wd"])) % 7
        return _day(published - timedelta(days=back))
    if "ago_n" in g:
        n = int(g["ago_n"]) if g["ago_n"].isdigit() else _NUMBERS[g["ago_n"]]
        unit = g["ago_unit"]
        if unit in ("day", "week"):
            return _day(published - timedelta(days=n * (7 if unit == "week" else 1)))
        return _period(published, unit, -n)
    if "my_month" in g:
        year = published.year + {"last": -1, "this": 0, "next": 1}[g["my_rel"]]
        return _month(year, MONTHS.index(g["my_month"]) + 1)
    if "same_period" in g:
        return _period(published, g["same_period"], 0)
    if "rel" in g:
        return _period(published, g["rel_period"], {"last": -1, "this": 0, "next": 1}[g["rel"]])
    month = MONTHS.index(g["last_month"]) + 1
    return _month(published.year if month < published.month else published.year - 1, month)


def resolve_dates(text: str, published: str | date | None) -> list[DateMention]:
    """Every relative date phrase in ``text`` resolved against ``published``."""
    try:
        day = (
            published
            if isinstance(published, date) or published is None
            else (date.fromisoformat(published.strip()))
        )
    except ValueError:
        return []
    if day is None:
        return []
    found = []
    for m in _PATTERN.finditer(text):
        if _EXPLICIT_AFTER.match(text[m.end() : m.end() + 20]):
            continue
        value, label = _resolve(m, day)
        found.append(DateMention(m.start(), m.end(), m[0], value, label))
    return found


def annotate(text: str, published: str | date | None, brackets: str = "()") -> str:
    """``text`` with each relative date followed by what it means: "last Thursday (26 …)"."""
    out, last = [], 0
    for mention in resolve_dates(text, published):
        out.append(text[last : mention.end])
        out.append(f" {brackets[0]}{mention.label}{brackets[1]}")
        last = mention.end
    out.append(text[last:])
    return "".join(out)


@dataclass(frozen=True)
class DateSpan:
    """A date a text names, explicit ("February 27", "October 2025") or relative ("last
    Thursday"), as the days it covers, and where it stands in the text."""

    first: date
    last: date
    label: str  # for people: 27 February 2026, February 2026, 2026
    start: int
    end: int

    def overlaps(self, first: date, last: date) -> bool:
        """Whether it shares a day with ``first``..``last``."""
        return self.first <= last and first <= self.last


_MON_ABBR = r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
_MONTH_WORD = rf"(?P<month>{_MON}|(?:{_MON_ABBR})\.?)"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR_OPT = r"(?:,?\s+(?P<year>(?:19|20)\d{2}))?"
# "the 1998 draft", "the 2014 election": a year naming an event (not "the 1500 men").
_EVENT_NOUN = (
    r"(?:season|elections?|census|war|crisis|campaign|draft|championship|olympics|games|"
    r"cup|edition|version|budget|constitution|revolution|uprising|earthquake|floods?|"
    r"famine|attacks?|bombings?|offensive|coup|summit|agreement|treaty|accord|deal|law|act)"
)
_EXPLICIT = re.compile(
    rf"""\b(?:
      (?P<iso>(?P<iy>(?:19|20)\d{{2}})-(?P<im>\d{{2}})-(?P<id>\d{{2}}))
    | {_DAY}\s+(?:of\s+)?{_MONTH_WORD}{_YEAR_OPT}
    | {_MONTH_WORD.replace("month", "month2")}\s+(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?
        (?:,?\s+(?P<year2>(?:19|20)\d{{2}}))?(?!\s*(?:19|20)\d{{2}}\b)
    | {_MONTH_WORD.replace("month", "month3")}(?:\s+of)?\s+(?P<year3>(?:19|20)\d{{2}})
    | (?:in|since|until|during|from|after|before|by)\s+{_MONTH_WORD.replace("month", "month4")}
        (?!\s+(?:of\s+)?\d)
    | (?:in|of|since|until|during|by|around|circa|after|before|from)\s+
        (?P<year5>(?:1[5-9]|20)\d{{2}})(?!\s*[-–]\s*\d)
    | the\s+(?P<year6>(?:1[5-9]|20)\d{{2}})(?=\s+(?-i:[A-Z])|\s+{_EVENT_NOUN}\b)
    | (?:in|since|until|during|by|from|after|before|around)\s+the\s+
        (?P<decade>(?:1[5-9]|20)\d0s)
    )\b""",
    re.IGNORECASE | re.VERBOSE,
)


def _month_number(word: str) -> int:
    key = word.lower().rstrip(".")[:3]
    return [m[:3] for m in MONTHS].index(key) + 1


def _year_for(month: int, day: int | None, reference: date) -> int:
    """The year of a date written without one: the latest such date on or before
    ``reference`` (news reports the past)."""
    candidate = date(reference.year, month, min(day or 1, 28))
    return reference.year if candidate <= reference else reference.year - 1


def span_of(value: str) -> tuple[date, date]:
    """The days an ISO value at its precision covers (2026-02-26, 2026-02 or 2026)."""
    import calendar

    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3:
        day = date(*parts)
        return day, day
    if len(parts) == 2:
        year, month = parts
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    return date(parts[0], 1, 1), date(parts[0], 12, 31)


def _week(value: str) -> tuple[date, date]:
    monday = date.fromisoformat(value)
    return monday, monday + timedelta(days=6)


def date_spans(text: str, reference: str | date | None) -> list[DateSpan]:
    """Every date ``text`` names, in text order: explicit ones (a day or month written
    without a year is the latest one on or before ``reference``) and relative ones
    resolved against ``reference`` (its publication date, or the day a question is
    asked). Nothing without a reference but dates with their year."""
    ref: date | None
    try:
        ref = reference if isinstance(reference, date) or reference is None else (
            date.fromisoformat(reference.strip())
        )  # fmt: skip
    except ValueError:
        ref = None
    found: list[DateSpan] = []
    for m in _EXPLICIT.finditer(text):
        span = _explicit(m, ref)
        if span is not None:
            at = next((g for g in ("year5", "year6", "month4", "decade") if m.group(g)), 0)
            found.append(DateSpan(*span, m.start(at), m.end(at)))
    if ref is not None:
        taken = [(d.start, d.end) for d in found]
        for mention in resolve_dates(text, ref):
            if any(a < mention.end and mention.start < b for a, b in taken):
                continue
            first, last = (
                _week(mention.value) if mention.label.startswith("the week of")
                else span_of(mention.value)
            )  # fmt: skip
            found.append(DateSpan(first, last, mention.label, mention.start, mention.end))
    return sorted(found, key=lambda d: d.start)


def _explicit(m: re.Match[str], ref: date | None) -> tuple[date, date, str] | None:
    import calendar

    g = m.groupdict()
    try:
        if g["iso"]:
            day = date(int(g["iy"]), int(g["im"]), int(g["id"]))
            return day, day, _day(day)[1]
        if g["day"] or g["day2"]:
            month = _month_number(g["month"] or g["month2"])
            number = int(g["day"] or g["day2"])
            year_text = g["year"] or g["year2"]
            if year_text is None and ref is None:
                return None
            year = int(year_text) if year_text else _year_for(month, number, ref)  # type: ignore[arg-type]
            day = date(year, month, number)
            return day, day, _day(day)[1]
        if g["month3"]:
            year, month = int(g["year3"]), _month_number(g["month3"])
            return (date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]),
                    _month(year, month)[1])  # fmt: skip
        if g["month4"]:
            if ref is None:
                return None
            month = _month_number(g["month4"])
            year = _year_for(month, None, ref)
            return (date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]),
                    _month(year, month)[1])  # fmt: skip
        if g["year5"] or g["year6"]:
            year = int(g["year5"] or g["year6"])
            return date(year, 1, 1), date(year, 12, 31), str(year)
        if g["decade"]:  # "in the 1990s"
            first = int(g["decade"][:-1])
            return date(first, 1, 1), date(first + 9, 12, 31), f"{first}s"
    except ValueError:  # 31 February
        return None
    return None
