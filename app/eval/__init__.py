"""`docqa eval`: the people who run docqa measure it on their own questions.

A questions file (JSON lines) runs through the same core as `docqa ask`; each answer is
judged against what the line expects (``verdict.py``), and the run becomes figures, plots
and a report (``runner.py``, ``plots.py``, ``report.py``) that two runs can be compared by.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.errors import QuestionError
from app.eval.cases import EvalCase, LineProblem, read_cases
from app.eval.report import PLOTS, summary, write_report
from app.eval.runner import Result, Threshold, evaluate, figures, suggest_threshold
from app.service import DocQA

__all__ = ["PLOTS", "EvalCase", "Evaluation", "LineProblem", "read_cases", "run_evaluation"]

# Settings a report records (never a token, a key or a database URL).
_RECORDED = {"answerer", "llm_provider", "llm_model", "embedding", "rerank", "retrieval",
             "answer", "chunking"}  # fmt: skip


@dataclass(frozen=True)
class Evaluation:
    """A finished run: where its report is, its results and summary."""

    folder: Path
    results: list[Result]
    summary: dict[str, Any]
    best: Threshold | None
    problems: list[LineProblem]

    @property
    def pass_rate(self) -> float:
        """The share of questions that passed."""
        return sum(r.verdict.passed for r in self.results) / max(len(self.results), 1)


def _earlier(path: Path) -> dict[str, Any]:
    """An earlier run's ``summary.json``; ``QuestionError`` saying what is wrong with it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise QuestionError(f"Cannot read the run to compare with, {path}: {exc}.") from None
    if not isinstance(data, dict) or not isinstance(data.get("figures"), dict):
        raise QuestionError(f"{path} is not the summary.json of a docqa eval run.")
    return data


def run_evaluation(
    service: DocQA,
    questions: Path,
    out: Path,
    *,
    compare: Path | None = None,
    progress: bool = False,
) -> Evaluation:
    """Run every usable question of ``questions`` and write the report into ``out``.

    ``QuestionError`` when the file cannot be read or holds no usable question, or the
    run to compare with cannot be read; nothing is written then.
    """
    try:
        cases, problems = read_cases(questions)
    except OSError as exc:
        raise QuestionError(
            f"Cannot read the questions file {questions}: {exc.strerror}."
        ) from None
    if not cases:
        why = "; ".join(str(p) for p in problems[:3]) or "it is empty"
        raise QuestionError(f"{questions} holds no usable question ({why}).")
    before = _earlier(compare) if compare else None
    service.warm()
    results = evaluate(service, cases, progress)
    current = service.settings.refusal_threshold
    best = suggest_threshold(results, current)
    stats = service.health()
    context = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "questions_file": str(questions),
        "settings": service.settings.model_dump(mode="json", include=_RECORDED),
        "index": {
            k: stats.get(k)
            for k in ("version", "backend", "documents", "chunks", "embedder", "created")
        },
    }
    data = summary(results, figures(results, current), best, problems, context)
    out.mkdir(parents=True, exist_ok=True)
    from app.extras import installed

    if installed("plots"):  # else the report says how to get its plots
        from app.eval.plots import draw

        draw(results, current, best, out)
    name = compare.parent.name if compare else "earlier run"
    write_report(out, results, data, before, name)
    return Evaluation(out, results, data, best, problems)
