"""Questions that name whose account they want are answered from that source only."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.question.attribution import named_source
from app.service import DocQA


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("How many fighters were killed according to the United Nations?", "United Nations"),
        ("According to Luther, what is faith?", "Luther"),
        ("How many died, as reported by Reuters?", "Reuters"),
        ("According to the article, who won?", None),  # not a named source
        ("What did Pakistan say?", None),
    ],
)
def test_named_source(question: str, name: str | None) -> None:
    assert named_source(question) == name


@pytest.fixture
def clashes(service: DocQA, tmp_path: Path) -> DocQA:
    folder = tmp_path / "clashes"
    folder.mkdir()
    (folder / "officials.txt").write_text(
        "date 2026-03-01 Officials said 40 fighters died in the border clashes.", encoding="utf-8"
    )
    (folder / "red-cross.txt").write_text(
        "date 2026-03-02 The Red Cross counted 12 fighters who died near the border.",
        encoding="utf-8",
    )
    (folder / "harbour.txt").write_text(
        "date 2026-03-03 The Harbour Board met on Monday about ferry fares.", encoding="utf-8"
    )
    service.index([folder])
    return service


def test_only_sentences_naming_the_source_answer(clashes: DocQA) -> None:
    answer = clashes.ask("How many fighters died in the border clashes according to the Red Cross?")
    assert not answer.refused
    assert "12 fighters" in answer.answer
    assert "40" not in answer.answer
    assert {c.source for c in answer.citations} == {"clashes/red-cross.txt"}


def test_a_source_no_answer_names_is_a_refusal(clashes: DocQA) -> None:
    answer = clashes.ask(
        "How many fighters died in the border clashes according to the Harbour Board?"
    )
    assert answer.refused
    assert answer.closest  # the closest passages are still shown
