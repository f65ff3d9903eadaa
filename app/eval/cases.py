"""An evaluation's questions: one JSON object per line, each checked on its own.

A line that cannot be used is reported with its number and why, and skipped; the other
lines still run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.text.clean import first_invalid

__all__ = ["EvalCase", "LineProblem", "read_cases"]


class Turn(BaseModel):
    """An earlier message of the same chat."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str


class EvalCase(BaseModel):
    """One question and what its answer must do to pass.

    ``answer_any``: the answer holds at least one of these (case and spacing ignored);
    ``answer_all``: every one of these; ``facts``: groups of alternatives, of which at
    least ``min_facts`` (default: all) must each have one alternative within the first
    ``FACTS_WITHIN`` characters of the answer, whose lead must be neither a question nor
    a cut fragment; ``source``: a citation points at one of these files (a path, or its
    end: ``a.txt`` matches ``articles/a.txt``); ``unanswerable``: the documents do not
    answer it, and the right answer is a refusal; ``as_of``: the day it is asked ("this
    week" is relative to it; default: today).
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = ""
    question: str = Field(min_length=1)
    answer_any: tuple[str, ...] = ()
    answer_all: tuple[str, ...] = ()
    facts: tuple[tuple[str, ...], ...] = ()
    min_facts: int | None = Field(None, ge=1)
    source: tuple[str, ...] = ()
    unanswerable: bool = False
    since: date | None = None
    until: date | None = None
    as_of: date | None = None
    history: tuple[Turn, ...] = ()

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    @field_validator("source", "answer_any", "answer_all", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("facts", mode="before")
    @classmethod
    def _groups(cls, value: object) -> object:
        if isinstance(value, list):  # a bare string is a group of one alternative
            return [[g] if isinstance(g, str) else g for g in value]
        return value

    @field_validator("question")
    @classmethod
    def _text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is empty")
        if (at := first_invalid(value)) is not None:
            raise ValueError(f"the question holds a character that is not text at {at + 1}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> EvalCase:
        if self.unanswerable and (self.answer_any or self.answer_all or self.facts):
            raise ValueError("an unanswerable question cannot also expect answers")
        if any(not group for group in self.facts):
            raise ValueError("facts: a group of alternatives is empty")
        if self.min_facts is not None and self.min_facts > len(self.facts):
            raise ValueError(f"min_facts is {self.min_facts}, but only {len(self.facts)} facts")
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"since {self.since} is after until {self.until}")
        return self

    @property
    def answerable(self) -> bool:
        """Whether the documents answer it."""
        return not self.unanswerable


@dataclass(frozen=True)
class LineProblem:
    """A line that was skipped, and why."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def read_cases(path: Path) -> tuple[list[EvalCase], list[LineProblem]]:
    """The usable questions of ``path`` (ids filled in as ``line-N`` when absent), and
    every line that was not, with why. ``OSError`` if the file cannot be read."""
    data = path.read_bytes()
    cases: list[EvalCase] = []
    problems: list[LineProblem] = []
    seen: dict[str, int] = {}
    text = data.decode("utf-8-sig", errors="surrogateescape")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if first_invalid(line) is not None:
            problems.append(LineProblem(number, "not UTF-8 text"))
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(LineProblem(number, f"not valid JSON ({exc.msg})"))
            continue
        if not isinstance(record, dict):
            problems.append(LineProblem(number, 'not a JSON object with a "question"'))
            continue
        try:
            case = EvalCase.model_validate(record)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            message = str(first["msg"]).removeprefix("Value error, ")
            problems.append(LineProblem(number, f"{where}: {message}" if where else message))
            continue
        case = case.model_copy(update={"id": case.id or f"line-{number}"})
        if case.id in seen:
            problems.append(
                LineProblem(number, f"id {case.id!r} is already on line {seen[case.id]}")
            )
            continue
        seen[case.id] = number
        cases.append(case)
    return cases, problems
