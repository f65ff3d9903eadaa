"""Calibrating the evidence figure: how often an answer with a given evidence is right.

The reranker's relevance is a sigmoid trained to rank, not a probability: wrong answers
sit at 0.99 beside right ones. Here the features ``app/answer/evidence.py`` reads are
collected for every tuning question (an answer is right when a gold answer is in its
first 300 characters, as `make bench` counts it), a logistic regression is fitted on
them, and the reliability of the raw and the calibrated figures is printed for the
tuning and the validation questions:

    python -m tests.bench.calibrate               # fit on tuning, check on validation

The coefficients it prints go into ``app/answer/evidence.py``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from app.answer.evidence import COEFFICIENTS, features, probability
from app.pipeline import Query
from app.service import DocQA
from app.settings import Settings
from tests.bench.squad import SquadQuestion, normalise_answer, write_corpus
from tests.bench.tune import questions_for

__all__ = ["main"]


def _right(text: str, q: SquadQuestion) -> bool:
    shown = normalise_answer(text[:300])
    return any(normalise_answer(a) in shown for a in q.answers)


def collect(service: DocQA, questions: list[SquadQuestion]) -> tuple[np.ndarray, np.ndarray]:
    """Each answered question's features and whether its answer is right."""
    live = service._current()  # the same stages every question takes
    rows, right = [], []
    for q in questions:
        question = live.analyse(Query(q.question))
        ranked = live.rerank(question, live.retrieve(question))
        answer = live.answerer.answer(question, ranked)
        if answer.refused:
            continue
        rows.append(features(question, ranked, answer))
        right.append(_right(answer.answer, q))
    return np.array(rows, dtype=np.float64), np.array(right, dtype=np.float64)


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0) -> np.ndarray:
    """Logistic regression by Newton's method, with an intercept and a little L2."""
    design = np.hstack([np.ones((len(x), 1)), x])
    weights = np.zeros(design.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-design @ weights))
        gradient = design.T @ (p - y) + l2 * np.r_[0, weights[1:]]
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + l2 * np.diag(
            np.r_[0, np.ones(len(weights) - 1)]
        )
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if np.abs(step).max() < 1e-8:
            break
    return weights


def reliability(scores: np.ndarray, right: np.ndarray, label: str) -> None:
    """Answers per evidence bin and the share of them that are right."""
    print(f"  {label}")
    print("    evidence    answers  right")
    for low in np.arange(0.0, 1.0, 0.2):
        high = low + 0.2
        inside = (scores >= low) & ((scores < high) if high < 1.0 else (scores <= 1.0))
        n = int(inside.sum())
        share = float(right[inside].mean()) if n else float("nan")
        print(f"    {low:.1f}–{high:.1f}   {n:7d}  {share:.3f}")
    top = scores >= 0.8
    print(f"    at or above 0.8: {int(top.sum())} answers, {float(right[top].mean()):.3f} right"
          if top.any() else "    none at or above 0.8")  # fmt: skip
    wrong_high = int(((scores >= 0.99) & (right == 0)).sum())
    print(f"    wrong answers at 0.99 or above: {wrong_high}")


def main() -> int:
    """Fit on the tuning questions, check on the validation questions."""
    from tests.bench.__main__ import SQUAD

    parser = argparse.ArgumentParser(prog="python -m tests.bench.calibrate")
    parser.add_argument("--questions", type=int, default=None)
    args = parser.parse_args()
    articles, tuning = questions_for(SQUAD, False, args.questions)
    _, validation = questions_for(SQUAD, True, args.questions)
    with tempfile.TemporaryDirectory() as tmp:
        service = DocQA(Settings(index_dir=Path(tmp) / "index", answerer="extractive"))
        service.index([write_corpus(articles, Path(tmp) / "squad")])
        service.warm()
        x, y = collect(service, tuning)
        weights = fit(x, y)
        print(f"{len(y)} answered tuning questions, {y.mean():.3f} right")
        print("coefficients (intercept first):", ", ".join(f"{w:.4f}" for w in weights))
        for name, data in (("tuning", (x, y)), ("validation", collect(service, validation))):
            xs, ys = data
            print(f"{name}: {len(ys)} answered, {ys.mean():.3f} right")
            reliability(xs[:, 0], ys, "raw (the best sentence's relevance)")
            fitted = 1 / (1 + np.exp(-(weights[0] + xs @ weights[1:])))
            reliability(fitted, ys, "calibrated with these coefficients")
            shipped = np.array([probability(row, COEFFICIENTS) for row in xs])
            reliability(shipped, ys, "calibrated as shipped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
