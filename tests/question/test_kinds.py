"""The kind of answer a question asks for, and the words of a sentence that can be one."""

from __future__ import annotations

import pytest

from app.answer.extractive.lead import _cut
from app.question.kinds import Kind, answer_spans, wanted


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When did Warsaw become the capital?", Kind.TIME),
        ("In what year was the treaty signed?", Kind.TIME),
        ("Which century saw the first printed bible?", Kind.TIME),
        ("The talks resumed when?", Kind.TIME),
        ("After the ceasefire, when did the border reopen?", Kind.TIME),
        ("How many people were displaced?", Kind.QUANTITY),
        ("What percentage of the vote did she win?", Kind.QUANTITY),
        ("How long is the border?", Kind.QUANTITY),
        ("What did Tesla do when he arrived in New York?", None),
        ("Who founded the museum?", Kind.PERSON),
        ("Whose army crossed first?", Kind.PERSON),
        ("What did the man who won say?", None),
        ("Where did the ferry sink?", Kind.PLACE),
        ("In which city was the treaty signed?", Kind.PLACE),
        ("What is the capital of Poland?", None),
    ],
)
def test_the_question_says_what_kind_of_answer_it_wants(question: str, kind: Kind | None) -> None:
    assert wanted(question) is kind


def _found(kind: Kind, text: str, question: str) -> list[str]:
    return [text[a:b] for a, b in answer_spans(kind, text, question)]


def test_times_in_a_sentence_are_found_but_not_the_ones_the_question_states() -> None:
    text = (
        "Talks may resume: they began in 1998, stalled in March 2001 and ended in the "
        "19th century style."
    )
    assert _found(Kind.TIME, text, "When did the talks end?") == [
        "1998", "March 2001", "19th century",
    ]  # fmt: skip
    assert _found(Kind.TIME, text, "When, after 1998, did the talks stall?") == [
        "March 2001", "19th century",
    ]  # fmt: skip


def test_a_whole_date_is_one_span() -> None:
    text = "Jets struck on February 27, 2026, again on 3rd of March and in late May 2025."
    assert _found(Kind.TIME, text, "When did the jets strike?") == [
        "February 27, 2026", "3rd of March", "late May 2025",
    ]  # fmt: skip


def test_who_is_a_named_person_asks_for_no_name() -> None:
    assert wanted("Who is Khalid Sultan?") is None
    assert wanted("who was Mohammad Naeem Ghayur") is None
    assert wanted("Who is Pakistan's defense minister?") is Kind.PERSON


def test_a_name_loses_the_words_the_question_restates() -> None:
    text = "Underscoring the shift, Pakistani Defense Minister Khawaja M Asif, declared war."
    found = _found(Kind.PERSON, text, "Who is Pakistan's defense minister?")
    assert "Khawaja M Asif" in found
    assert not [f for f in found if "Pakistani" in f or "Minister" in f]


def test_quantities_in_a_sentence_are_found() -> None:
    text = "Some 40,000 people fled in twelve trucks, 15% of them children."
    assert _found(Kind.QUANTITY, text, "How many people fled?") == ["40,000", "twelve", "15%"]
    assert _found(Kind.QUANTITY, "No figure was given.", "How many people fled?") == []


def test_a_long_sentence_is_cut_to_keep_the_kind_of_answer_asked_for() -> None:
    filler = "after a long count of votes " * 2
    text = (
        " ".join(f"word{i}" for i in range(40))
        + f" the keeper Mira Toll was elected and, {filler}in 1890, "
        + " ".join(f"tail{i}" for i in range(40))
    )
    weights = {"keeper": 1.0, "mira": 1.0, "toll": 1.0, "elect": 1.0}
    question = "When was the keeper Mira Toll elected?"
    plain, _ = _cut(text, weights, 120, None)
    (span,) = answer_spans(Kind.TIME, text, question)
    kept, where = _cut(text, weights, 120, span)
    assert "Mira Toll was elected" in plain
    assert "1890" not in plain
    assert "Mira Toll was elected" in kept
    assert where is not None
    assert kept[where[0] : where[1]] == "1890"
    assert len(kept) <= 120


def test_a_name_keeps_only_what_the_question_does_not_state() -> None:
    text = "Pakistan’s Defense Minister Khwaja Asif wrote on X, “Our cup has overflowed."
    assert _found(Kind.PERSON, text, "Who is Pakistan's defense minister?") == ["Khwaja Asif"]
    place = "The game was played on February 7 at Levi's Stadium in Santa Clara, California."
    assert _found(Kind.PLACE, place, "Where was the game played?") == [
        "Levi's Stadium",
        "Santa Clara",
        "California",
    ]
    assert _found(Kind.PERSON, "Khalid Sultan said so.", "Who is Khalid Sultan?") == []
