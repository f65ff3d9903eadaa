"""Whether an answer passes its question's expectations, and if not, the first reason why.

The rules, in the order they are checked:

1. An unanswerable question passes only with a refusal.
2. An answerable question must not be refused.
3. Every citation (and every closest passage) quotes its document exactly.
4. ``answer_any``: at least one expected string is in the answer; ``answer_all``: all are.
5. ``facts``: at least ``min_facts`` (default: all) groups have one of their alternatives
   within the first ``FACTS_WITHIN`` characters of the answer, and its first sentence is
   neither a question nor a cut fragment (it does not open or close with "…").
6. ``source``: at least one citation points at one of the expected files.

Strings are compared without regard to case, runs of white space or the shape of quote
marks and dashes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from app.eval.cases import EvalCase
from app.types import Answer, Citation

__all__ = [
    "FACTS_WITHIN",
    "Outcome",
    "Verdict",
    "cites",
    "failed_to_ask",
    "judge",
    "lead_sentence",
    "quotes_exactly",
]

# What happened, for the headline figures.
Outcome = Literal[
    "answered correctly",
    "refused correctly",
    "wrong answer",
    "wrong refusal",
    "answered, should refuse",
    "not asked",
]

FACTS_WITHIN = 600  # an analyst reads the first lines of an answer
_MARKS = re.compile(r"\s*\[\d+\]")
_QUESTION_END = re.compile(r"\?[\s\"'”’»)\]]*$")

_SAME = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})


def _normal(text: str) -> str:
    return " ".join(text.translate(_SAME).lower().split())


@dataclass(frozen=True)
class Verdict:
    """Pass or fail, what happened, and the reason a failure failed."""

    passed: bool
    outcome: Outcome
    reason: str | None = None


def cites(citation: Citation, sources: Iterable[str]) -> bool:
    """Whether ``citation`` points at one of ``sources`` (a path, or the end of one)."""
    path = citation.source.replace("\\", "/")
    return any(path == s or path.endswith("/" + s.lstrip("/")) for s in sources)


def quotes_exactly(answer: Answer, text_of: Callable[[str], str | None]) -> list[int]:
    """The ids of the citations (and closest passages) whose quote is not their
    document's text at their offsets; ``text_of`` gives a document's text by its key."""
    wrong = []
    for citation in (*answer.citations, *answer.closest):
        text = text_of(citation.document)
        if text is None or text[citation.start : citation.end] != citation.quote:
            wrong.append(citation.id)
    return wrong


def judge(case: EvalCase, answer: Answer, misquoted: list[int]) -> Verdict:
    """The verdict on ``answer`` for ``case``; ``misquoted`` from ``quotes_exactly``."""
    if case.unanswerable:
        if answer.refused:
            return Verdict(True, "refused correctly")
        return Verdict(False, "answered, should refuse", "answered a question the documents "
                       "do not answer (it should be refused)")  # fmt: skip
    if answer.refused:
        return Verdict(False, "wrong refusal", "refused, but the documents answer it")
    if misquoted:
        numbers = ", ".join(f"[{n}]" for n in misquoted)
        return Verdict(False, "wrong answer", f"citation {numbers} does not quote its document "
                       "exactly")  # fmt: skip
    text = _normal(answer.answer)
    if case.answer_any and not any(_normal(a) in text for a in case.answer_any):
        expected = " / ".join(repr(a) for a in case.answer_any)
        return Verdict(False, "wrong answer", f"the answer holds none of {expected}")
    missing = [a for a in case.answer_all if _normal(a) not in text]
    if missing:
        lacking = ", ".join(repr(a) for a in missing)
        return Verdict(False, "wrong answer", f"the answer lacks {lacking}")
    if case.facts:
        problem = _facts_problem(case, answer)
        if problem is not None:
            return Verdict(False, "wrong answer", problem)
    if case.source and not any(cites(c, case.source) for c in answer.citations):
        expected = " / ".join(case.source)
        return Verdict(False, "wrong answer", f"no citation points at {expected}")
    return Verdict(True, "answered correctly")


def lead_sentence(answer: Answer) -> str:
    """The answer's first sentence as shown, without its citation marks."""
    first = answer.sentences[0].text if answer.sentences else answer.answer
    return _MARKS.sub("", first).strip()


def _facts_problem(case: EvalCase, answer: Answer) -> str | None:
    """Why the answer misses its facts or leads badly, or None."""
    head = _normal(answer.answer[:FACTS_WITHIN])
    found = [g for g in case.facts if any(_normal(a) in head for a in g)]
    needed = case.min_facts or len(case.facts)
    if len(found) < needed:
        missing = [" / ".join(repr(a) for a in g) for g in case.facts if g not in found]
        return (
            f"{len(found)} of the {needed} facts needed within the first {FACTS_WITHIN} "
            f"characters; missing: {'; '.join(missing)}"
        )
    lead = lead_sentence(answer)
    if _QUESTION_END.search(lead):
        return f"the answer leads with a question: {lead[:80]!r}"
    if lead.startswith("…") or lead.endswith("…"):
        return f"the answer leads with a cut fragment: {lead[:80]!r}"
    return None


def failed_to_ask(case: EvalCase, message: str) -> Verdict:
    """The verdict when the question could not be asked at all."""
    text = re.sub(r"\s+", " ", message).strip()
    return Verdict(False, "not asked", f"could not be asked: {text}")
