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

__all__ = ["DateMention", "annotate", "resolve_dates"]

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_WD = "|".join(_WEEKDAYS)
_MON = "|".join(_MONTHS)
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
    | (?:earlier|later)\s+this\s+(?P<same_period>week|month|year)
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
    return d.isoformat(), f"{d.day} {_MONTHS[d.month - 1].capitalize()} {d.year}"


def _month(year: int, month: int) -> tuple[str, str]:
    return f"{year:04d}-{month:02d}", f"{_MONTHS[month - 1].capitalize()} {year}"


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
        back = (published.weekday() - _WEEKDAYS.index(g["last_wd"]) - 1) % 7 + 1
        return _day(published - timedelta(days=back))
    if "next_wd" in g:
        ahead = (_WEEKDAYS.index(g["next_wd"]) - published.weekday() - 1) % 7 + 1
        return _day(published + timedelta(days=ahead))
    if "on_wd" in g:  # news usage: the past week, publication day included
        back = (published.weekday() - _WEEKDAYS.index(g["on_wd"])) % 7
        return _day(published - timedelta(days=back))
    if "ago_n" in g:
        n = int(g["ago_n"]) if g["ago_n"].isdigit() else _NUMBERS[g["ago_n"]]
        unit = g["ago_unit"]
        if unit in ("day", "week"):
            return _day(published - timedelta(days=n * (7 if unit == "week" else 1)))
        return _period(published, unit, -n)
    if "my_month" in g:
        year = published.year + {"last": -1, "this": 0, "next": 1}[g["my_rel"]]
        return _month(year, _MONTHS.index(g["my_month"]) + 1)
    if "same_period" in g:
        return _period(published, g["same_period"], 0)
    if "rel" in g:
        return _period(published, g["rel_period"], {"last": -1, "this": 0, "next": 1}[g["rel"]])
    month = _MONTHS.index(g["last_month"]) + 1
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
