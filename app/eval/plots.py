"""The evaluation's plots, drawn by matplotlib without a display, as PNG files."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: no display, no GUI toolkit

import matplotlib.pyplot as plt
import numpy as np

from app.eval.report import PLOTS
from app.eval.runner import Result, Threshold, refusal_curve
from app.eval.verdict import cites

__all__ = ["draw"]
_COLOURS = {
    "answered correctly": "#2a7d4f",
    "answered wrongly": "#c0392b",
    "should refuse": "#34495e",
}


def draw(results: Sequence[Result], current: float, best: Threshold | None, folder: Path) -> None:
    """Write every plot of ``PLOTS`` into ``folder``."""
    plt.rcParams.update({"font.size": 9, "figure.dpi": 110})
    _evidence(results, current, folder / "evidence.png")
    _refusal(results, current, best, folder / "refusal.png")
    _latency(results, folder / "latency.png")
    _sources(results, folder / "sources.png")


def _save(figure: plt.Figure, path: Path) -> None:
    figure.tight_layout()
    figure.savefig(path, format="png")
    plt.close(figure)


def _evidence(results: Sequence[Result], current: float, path: Path) -> None:
    groups: dict[str, list[float]] = {k: [] for k in _COLOURS}
    for r in results:
        if r.answer is None or r.answer.evidence is None:
            continue
        if r.case.unanswerable:
            group = "should refuse"
        else:
            group = "answered correctly" if r.verdict.passed else "answered wrongly"
        groups[group].append(r.answer.evidence)
    figure, axes = plt.subplots(figsize=(6.4, 3.4))
    bins = [i / 25 for i in range(26)]
    for name, values in groups.items():
        if values:
            axes.hist(values, bins=bins, alpha=0.6, color=_COLOURS[name],
                      label=f"{name} ({len(values)})")  # fmt: skip
    axes.axvline(current, color="black", linestyle="--", label=f"refusal threshold {current:.2f}")
    axes.set_xlabel("evidence (how well the best passage sentence answers)")
    axes.set_ylabel("questions")
    axes.set_xlim(0, 1)
    axes.legend(loc="upper left", frameon=False)
    axes.set_title(PLOTS["evidence.png"])
    _save(figure, path)


def _refusal(results: Sequence[Result], current: float, best: Threshold | None, path: Path) -> None:
    curve = refusal_curve(results)
    x = [t.value for t in curve]
    figure, axes = plt.subplots(figsize=(6.4, 3.4))
    axes.plot(x, [t.precision for t in curve], color="#2a7d4f", label="precision of refusals")
    axes.plot(x, [t.recall for t in curve], color="#34495e", label="recall of refusals")
    axes.axvline(current, color="black", linestyle="--", label=f"now {current:.2f}")
    if best is not None:
        axes.axvline(best.value, color="#c0392b", linestyle=":",
                     label=f"best for these questions {best.value:.2f} "
                     f"(P {best.precision:.2f}, R {best.recall:.2f})")  # fmt: skip
    axes.set_xlabel("refusal threshold (evidence below it is refused)")
    axes.set_ylim(-0.02, 1.05)
    axes.set_xlim(0, 1)
    axes.legend(loc="lower right", frameon=False)
    axes.set_title(PLOTS["refusal.png"])
    _save(figure, path)


def _latency(results: Sequence[Result], path: Path) -> None:
    values = [r.latency_ms for r in results if r.answer is not None]
    figure, axes = plt.subplots(figsize=(6.4, 3.0))
    if values:
        axes.hist(values, bins=min(30, max(5, len(values) // 2)), color="#34495e", alpha=0.8)
        for q, style in ((50, "--"), (95, ":")):
            value = float(np.percentile(values, q))
            axes.axvline(value, color="black", linestyle=style, label=f"p{q} {value:.0f} ms")
        axes.legend(frameon=False)
    axes.set_xlabel("milliseconds per answer")
    axes.set_ylabel("questions")
    axes.set_title(PLOTS["latency.png"])
    _save(figure, path)


def _sources(results: Sequence[Result], path: Path) -> None:
    asked: Counter[str] = Counter()
    hit: Counter[str] = Counter()
    for r in results:
        for source in r.case.source:
            asked[source] += 1
            if r.answer is not None and any(cites(c, [source]) for c in r.answer.citations):
                hit[source] += 1
    names = sorted(asked, key=lambda s: (-asked[s], s))[:20]
    figure, axes = plt.subplots(figsize=(6.4, max(2.4, 0.6 + 0.35 * len(names))))
    if names:
        y = np.arange(len(names))
        axes.barh(y, [asked[n] for n in names], color="#d5d8dc", label="questions expecting it")
        axes.barh(y, [hit[n] for n in names], color="#2a7d4f", label="cited in the answer")
        axes.set_yticks(y, [n if len(n) <= 40 else "…" + n[-39:] for n in names])
        axes.invert_yaxis()
        axes.legend(loc="lower right", frameon=False)
    else:
        axes.text(0.5, 0.5, "no question names a source", ha="center", va="center")
        axes.set_yticks([])
    axes.set_xlabel("questions")
    axes.set_title(PLOTS["sources.png"])
    _save(figure, path)
