"""A question analysed once: its terms, the kind of answer it wants, what it names.

Retrieval, reranking and answering all read the same ``Question``; none of them parses
the question text again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.question.acronyms import asked_acronym
from app.question.kinds import Kind, wanted
from app.text.analysis import analyse

__all__ = ["Question", "analyse_question", "parse_day"]


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


def analyse_question(
    asked: str,
    search: str | None = None,
    since: date | None = None,
    until: date | None = None,
    groups: frozenset[str] | None = None,
    *,
    as_of: date | None = None,
) -> Question:
    """Analyse ``asked`` (retrieved as ``search``, when a follow-up was rewritten)."""
    search = search or asked
    return Question(
        asked=asked,
        search=search,
        terms=tuple(analyse([search])[0]),
        # The kind comes from the question itself, never from the one it follows.
        kind=wanted(asked),
        acronym=asked_acronym(search),
        since=since,
        until=until,
        groups=groups,
        as_of=as_of,
    )


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
