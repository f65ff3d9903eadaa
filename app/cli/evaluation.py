"""`docqa eval`: a questions file run through the core, judged, and written up as a report."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from app.cli import common
from app.cli.common import IndexDir, app, fail
from app.errors import DocQAError, QuestionError

__all__ = ["evaluate"]


def _share(value: str) -> float:
    """``0.8`` or ``80%`` as a share of questions; ``typer.BadParameter`` otherwise."""
    text = value.strip()
    try:
        share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        raise typer.BadParameter(f"'{value}' is not a share of questions: write 0.8 or 80%")
    return share


@app.command("eval")
def evaluate(
    questions: Annotated[Path, typer.Argument(help="Questions, one JSON object per line.")],
    index_dir: IndexDir = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Report folder (default: eval-YYYYMMDD-HHMMSS in this folder)."),
    ] = None,
    compare: Annotated[
        Path | None,
        typer.Option(help="An earlier run's summary.json, shown side by side."),
    ] = None,
    suggest_threshold: Annotated[
        bool, typer.Option(help="Print the refusal threshold these questions suggest.")
    ] = False,
    min_pass: Annotated[
        str | None,
        typer.Option(help="Exit with 1 when fewer pass than this share (0.8 or 80%)."),
    ] = None,
) -> None:
    """Measure docqa on your own questions: a report with figures and plots."""
    from app.eval import run_evaluation

    needed = _share(min_pass) if min_pass is not None else None
    service = common.service(index_dir)
    folder = out or Path(f"eval-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        evaluation = run_evaluation(service, questions, folder, compare=compare, progress=True)
    except QuestionError as exc:
        raise fail(exc, 2) from None
    except DocQAError as exc:
        raise fail(exc) from None
    for problem in evaluation.problems:
        typer.echo(f"skipped {problem}", err=True)
    figures = evaluation.summary["figures"]
    outcomes = figures["outcomes"]
    typer.echo(
        f"{figures['passed']}/{figures['questions']} passed: "
        + ", ".join(f"{n} {what}" for what, n in outcomes.items() if n)
        + f". Latency p50 {figures['latency_ms']['p50']:.0f} ms, "
        f"p95 {figures['latency_ms']['p95']:.0f} ms."
    )
    typer.echo(f"Report: {folder / 'report.html'} (and report.md, summary.json, results.jsonl)")
    if suggest_threshold:
        settings = service.settings
        setting = (
            "DOCQA_RERANK__MIN_RELEVANCE" if settings.rerank.model != "none"
            else "DOCQA_RERANK__NO_MODEL_THRESHOLD"
        )  # fmt: skip
        _print_threshold(evaluation.best, settings.refusal_threshold, setting)
    if needed is not None and evaluation.pass_rate < needed:
        typer.echo(
            f"{evaluation.pass_rate:.0%} passed, under the {needed:.0%} asked for.", err=True
        )
        raise typer.Exit(1)


def _print_threshold(best: object, current: float, setting: str) -> None:
    from app.eval.runner import Threshold

    if not isinstance(best, Threshold):
        typer.echo(
            "No threshold can be suggested: that needs both answerable questions and "
            'questions marked "unanswerable": true.'
        )
        return
    typer.echo(
        f"Suggested refusal threshold: {best.value:.2f} ({setting}; now {current:.2f}). "
        f"On these questions it refuses with precision {best.precision:.2f} and recall "
        f"{best.recall:.2f}, refusing {best.wrongly_refused} answerable questions. "
        "Nothing was changed."
    )
