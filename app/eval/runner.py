"""Running an evaluation through the core, and the figures it comes to."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, get_args

import numpy as np
from tqdm import tqdm

from app.errors import QuestionError
from app.eval.cases import EvalCase
from app.eval.verdict import Outcome, Verdict, cites, failed_to_ask, judge, quotes_exactly
from app.service import DocQA
from app.types import Answer

__all__ = ["Result", "Threshold", "evaluate", "figures", "refusal_curve", "suggest_threshold"]


@dataclass(frozen=True)
class Result:
    """One question's answer (None if it could not be asked), verdict and latency."""

    case: EvalCase
    answer: Answer | None
    verdict: Verdict
    latency_ms: float
    misquoted: int = 0  # citations whose quote is not their document's text
    quoted: int = 0  # citations and closest passages checked

    def to_dict(self) -> dict[str, Any]:
        """One line of ``results.jsonl``."""
        return {
            "id": self.case.id,
            "question": self.case.question,
            "answer": self.answer.to_dict() if self.answer else None,
            "verdict": "pass" if self.verdict.passed else "fail",
            "reason": self.verdict.reason,
        }


def evaluate(service: DocQA, cases: Sequence[EvalCase], progress: bool = False) -> list[Result]:
    """Ask every question through ``service`` (as `docqa ask` does) and judge the answers."""
    texts: dict[str, str | None] = {}

    def text_of(key: str) -> str | None:
        if key not in texts:
            document = service.document(key)
            texts[key] = document.text if document else None
        return texts[key]

    results = []
    for case in tqdm(cases, desc="evaluating", unit="question", disable=not progress):
        history = [turn.model_dump() for turn in case.history]
        started = time.perf_counter()
        try:
            answer = service.ask(
                case.question, history, case.since, case.until, as_of=case.as_of, record=False
            )
        except QuestionError as exc:
            elapsed = (time.perf_counter() - started) * 1000
            results.append(Result(case, None, failed_to_ask(case, str(exc)), elapsed))
            continue
        elapsed = (time.perf_counter() - started) * 1000
        wrong = quotes_exactly(answer, text_of)
        checked = len(answer.citations) + len(answer.closest)
        results.append(
            Result(case, answer, judge(case, answer, wrong), elapsed, len(wrong), checked)
        )
    return results


def _scale(answer: Answer) -> float | None:
    """Where an answer stands on the refusal threshold's scale."""
    return answer.relevance if answer.relevance is not None else answer.evidence


@dataclass(frozen=True)
class Threshold:
    """A refusal threshold and what it does on these questions."""

    value: float
    precision: float  # of refusals, the share that were right to refuse
    recall: float  # of the questions that should be refused, the share refused
    wrongly_refused: int  # answerable questions refused


def _at(value: float, answerable: np.ndarray, unanswerable: np.ndarray) -> Threshold:
    right = int(np.sum(unanswerable < value))
    wrong = int(np.sum(answerable < value))
    refused = right + wrong
    return Threshold(
        value,
        right / refused if refused else 1.0,
        right / len(unanswerable) if len(unanswerable) else 1.0,
        wrong,
    )


def _evidence(results: Sequence[Result]) -> tuple[np.ndarray, np.ndarray]:
    """Evidence of the answerable questions and of those that should be refused."""
    # The refusal threshold is on the relevance scale, not the calibrated evidence's.
    scored = [r for r in results if r.answer is not None and _scale(r.answer) is not None]
    answerable = np.array([_scale(r.answer) for r in scored if r.case.answerable])  # type: ignore[arg-type]
    unanswerable = np.array([_scale(r.answer) for r in scored if r.case.unanswerable])  # type: ignore[arg-type]
    return answerable.astype(float), unanswerable.astype(float)


def refusal_curve(results: Sequence[Result], points: int = 201) -> list[Threshold]:
    """Refusal precision and recall at evenly spaced thresholds from 0 to 1."""
    answerable, unanswerable = _evidence(results)
    return [_at(float(t), answerable, unanswerable) for t in np.linspace(0, 1, points)]


def suggest_threshold(results: Sequence[Result], current: float) -> Threshold | None:
    """The threshold that best separates answerable from unanswerable questions (the best
    mean of the two groups' right decisions; of equals, the one nearest ``current``), or
    None without questions of both kinds."""
    answerable, unanswerable = _evidence(results)
    if not len(answerable) or not len(unanswerable):
        return None
    values = np.unique(np.concatenate([answerable, unanswerable, [0.0, 1.0]]))
    candidates = np.unique(np.concatenate([(values[:-1] + values[1:]) / 2, [current]]))

    def score(t: float) -> tuple[float, float]:
        balanced = (np.mean(unanswerable < t) + np.mean(answerable >= t)) / 2
        return float(balanced), -abs(t - current)

    best = max(candidates, key=lambda t: score(float(t)))
    return _at(round(float(best), 4), answerable, unanswerable)


def figures(results: Sequence[Result], current: float) -> dict[str, Any]:
    """The headline counts and figures of a run."""
    outcomes = Counter(r.verdict.outcome for r in results)
    cited = [
        r for r in results
        if r.case.source and r.answer is not None and not r.answer.refused
    ]  # fmt: skip
    hits = sum(any(cites(c, r.case.source) for c in r.answer.citations) for r in cited)  # type: ignore[union-attr]
    quoted = sum(r.quoted for r in results)
    latencies = np.array([r.latency_ms for r in results if r.answer is not None] or [np.nan])
    refused = [r for r in results if r.answer is not None and r.answer.refused]
    right = sum(r.case.unanswerable for r in refused)
    should = sum(r.case.unanswerable for r in results)
    return {
        "questions": len(results),
        "passed": sum(r.verdict.passed for r in results),
        "answerable": sum(r.case.answerable for r in results),
        "unanswerable": sum(r.case.unanswerable for r in results),
        "outcomes": {k: outcomes.get(k, 0) for k in get_args(Outcome)},
        "citation_source_hit": hits / len(cited) if cited else None,
        "citation_source_checked": len(cited),
        "exact_quotes": (quoted - sum(r.misquoted for r in results)) / quoted if quoted else None,
        "citations_checked": quoted,
        "latency_ms": {
            "p50": float(np.nanpercentile(latencies, 50)),
            "p95": float(np.nanpercentile(latencies, 95)),
        },
        "refusal": {  # as the answers were given
            "threshold": current,
            "precision": right / len(refused) if refused else None,
            "recall": right / should if should else None,
            "wrongly_refused": len(refused) - right,
        },
    }
