"""Acronym questions: which acronym is asked about, and where it is spelled out."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.question.acronyms import asked_acronym, defines
from app.service import DocQA


@pytest.mark.parametrize(
    ("question", "short"),
    [
        ("What does TTP stand for?", "TTP"),
        ("What is the AFC short for?", "AFC"),
        ("what does vBNS stand for", "vBNS"),
        ("What did the acronym LMP stand for regarding the launch?", "LMP"),
        ("Who leads the TTP?", None),  # mentions an acronym, does not ask to expand it
        ("What does it stand for?", None),  # no acronym to expand
    ],
)
def test_asked_acronym(question: str, short: str | None) -> None:
    assert asked_acronym(question) == short


@pytest.mark.parametrize(
    ("sentence", "short", "expected"),
    [
        ("It struck the Tehrik-e-Taliban Pakistan (TTP) group.", "TTP", True),
        ("The TTP (Tehrik-e-Taliban Pakistan) is active.", "TTP", True),
        ("The Lunar Excursion Module (LEM) flew.", "LEM", True),
        ("The group (TTP) is active.", "TTP", False),  # no long form before it
        ("The TTP is an internal issue (they say).", "TTP", False),
        ("The TTP (a militant group) is active.", "TTP", False),  # letters out of order
    ],
)
def test_defines(sentence: str, short: str, expected: bool) -> None:
    assert defines(sentence, short) is expected


def test_an_acronym_question_is_answered_where_it_is_spelled_out(
    service: DocQA, tmp_path: Path
) -> None:
    folder = tmp_path / "harbour"
    folder.mkdir()
    for n in range(8):  # many chunks mention the acronym, often; one spells it out, once
        (folder / f"report{n}.txt").write_text(
            f"date 2026-02-0{n + 1} The HSB met on pier {n}. The HSB inspected cranes. "
            f"The HSB stands by its rules, and the HSB stands firm on fees.",
            encoding="utf-8",
        )
    (folder / "history.txt").write_text(
        "date 2025-05-01 In 1990 the port created the Harbour Safety Board (HSB) after a fire.",
        encoding="utf-8",
    )
    service.index([folder])
    answer = service.ask("What does HSB stand for?")
    assert not answer.refused
    assert "Harbour Safety Board" in answer.answer
    assert answer.citations[0].source.endswith("history.txt")
