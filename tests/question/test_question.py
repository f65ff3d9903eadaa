"""One analysis per question: what later stages read instead of analysing again."""

from __future__ import annotations

from datetime import date

from app.question.analysis import analyse_question
from app.question.follow_up import follow_up_query
from app.question.kinds import Kind


def test_a_question_is_analysed_into_what_each_stage_needs() -> None:
    q = analyse_question(
        "When did the TTP bomb the courthouse, according to the United Nations?",
        since=date(2026, 1, 1),
    )
    assert q.kind is Kind.TIME
    assert "courthous" in q.terms
    assert q.since == date(2026, 1, 1)
    assert q.until is None
    assert q.search == q.asked


def test_an_acronym_asked_about_is_recorded() -> None:
    assert analyse_question("What does TTP stand for?").acronym == "TTP"
    assert analyse_question("What did the TTP claim?").acronym is None


def test_a_follow_up_is_searched_with_the_question_before_it_but_keeps_its_own_kind() -> None:
    history = [
        {"role": "user", "content": "How many people did the courthouse bombing kill?"},
        {"role": "assistant", "content": "Around a dozen. [1]"},
    ]
    asked = "Who claimed responsibility for it?"
    q = analyse_question(asked, follow_up_query(asked, history))
    assert q.asked == asked
    assert q.search.startswith("How many people did the courthouse bombing kill?")
    assert "courthous" in q.terms
    assert q.kind is Kind.PERSON, "the kind comes from the question asked, not the one before"
