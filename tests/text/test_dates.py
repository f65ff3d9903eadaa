"""Relative dates resolved against an article's publication date."""

from __future__ import annotations

import pytest

from app.question.analysis import parse_day
from app.text.dates import annotate, date_spans, resolve_dates

PUBLISHED = "2026-03-03"  # a Tuesday


@pytest.mark.parametrize(
    ("text", "value", "label"),
    [
        ("clashes last Thursday.", "2026-02-26", "26 February 2026"),
        ("The last time was in October last year.", "2025-10", "October 2025"),
        ("He spoke yesterday.", "2026-03-02", "2 March 2026"),
        ("the day before yesterday", "2026-03-01", "1 March 2026"),
        ("talks resume next Friday", "2026-03-06", "6 March 2026"),
        ("They met on Monday.", "2026-03-02", "2 March 2026"),
        ("They met on Tuesday.", "2026-03-03", "3 March 2026"),
        ("two weeks ago", "2026-02-17", "17 February 2026"),
        ("3 months ago", "2025-12", "December 2025"),
        ("whereas last year Kabul was hit", "2025", "2025"),
        ("earlier this month", "2026-03", "March 2026"),
        ("last week", "2026-02-23", "the week of 23 February 2026"),
        ("since last March", "2025-03", "March 2025"),
        ("this past January", "2026-01", "January 2026"),
    ],
)
def test_resolves_against_the_publication_date(text: str, value: str, label: str) -> None:
    (mention,) = resolve_dates(text, PUBLISHED)
    assert (mention.value, mention.label) == (value, label)
    assert text[mention.start : mention.end] == mention.phrase


def test_an_explicit_date_after_the_phrase_needs_no_help() -> None:
    assert resolve_dates("On Thursday, February 26, the border closed.", PUBLISHED) == []
    assert resolve_dates("on Monday 2 March", PUBLISHED) == []


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("the price of oil in March of 1974", ["March 1974"]),
        ("in March 1974", ["March 1974"]),
        ("Toll was the first pick of the 1998 draft.", ["1998"]),
        ("after the 2014 election", ["2014"]),
        ("the 1500 men of the garrison", []),
        ("In 1992 it became a university.", ["1992"]),
    ],
)
def test_dates_written_in_full_need_no_publication_date(text: str, labels: list[str]) -> None:
    assert [d.label for d in date_spans(text, None)] == labels


def test_no_date_no_resolution() -> None:
    assert resolve_dates("last Thursday", None) == []
    assert resolve_dates("last Thursday", "sometime") == []
    assert resolve_dates("The lasting peace of Thursdays", PUBLISHED) == []


def test_annotate_keeps_the_text_and_adds_the_date() -> None:
    text = "Clashes last Thursday; strikes in October last year."
    assert annotate(text, PUBLISHED) == (
        "Clashes last Thursday (26 February 2026); strikes in October last year (October 2025)."
    )
    assert annotate(text, None) == text


def test_parse_day() -> None:
    assert str(parse_day(" 2026-02-27 ")) == "2026-02-27"
    assert parse_day(None) is None
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_day("27/02/2026")


def test_a_decade_after_a_preposition_is_its_ten_years() -> None:
    from datetime import date

    from app.text.dates import date_spans

    text = "The group has been backed since the 1990s."
    (span,) = date_spans(text, "2026-02-28")
    assert (span.first, span.last, span.label) == (date(1990, 1, 1), date(1999, 12, 31), "1990s")
    assert text[span.start : span.end] == "1990s"
    # "the 1990s recruits" names recruits, not a time.
    assert date_spans("Most of the 1990s recruits left.", "2026-02-28") == []
