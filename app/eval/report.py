"""What an evaluation leaves behind: ``summary.json`` and ``results.jsonl`` for scripts,
``report.md`` and a self-contained ``report.html`` (plots inlined, every text escaped,
nothing fetched from anywhere) for people, and the plots as PNG files."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.eval.cases import LineProblem
from app.eval.runner import Result, Threshold

# The plots, drawn when the 'plots' extra (matplotlib) is installed.
PLOTS = {
    "evidence.png": "Evidence of each answer, by what the answer should have been",
    "refusal.png": "Refusal precision and recall against the threshold",
    "latency.png": "Answer latency",
    "sources.png": "Questions whose citations point at the expected document",
}
NO_PLOTS = "No plots: they need the 'plots' extra (pip install 'docqa[plots]')."

__all__ = ["HEADLINES", "changed_verdicts", "summary", "write_report"]

# (label, how to read it off a summary's figures)
HEADLINES: list[tuple[str, str]] = [
    ("questions", "questions"),
    ("passed", "passed"),
    ("answered correctly", "outcomes.answered correctly"),
    ("refused correctly", "outcomes.refused correctly"),
    ("wrong answers", "outcomes.wrong answer"),
    ("wrong refusals", "outcomes.wrong refusal"),
    ("answered, should refuse", "outcomes.answered, should refuse"),
    ("not asked", "outcomes.not asked"),
    ("citation-source hit", "citation_source_hit"),
    ("exact quotes", "exact_quotes"),
    ("refusal precision", "refusal.precision"),
    ("refusal recall", "refusal.recall"),
    ("latency p50 (ms)", "latency_ms.p50"),
    ("latency p95 (ms)", "latency_ms.p95"),
]


def _get(figures: dict[str, Any], path: str) -> Any:
    value: Any = figures
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _shown(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.0f}" if value > 10 else f"{value:.3f}"
    return str(value)


def summary(
    results: Sequence[Result],
    figures: dict[str, Any],
    best: Threshold | None,
    problems: Sequence[LineProblem],
    context: dict[str, Any],
) -> dict[str, Any]:
    """``summary.json``: the figures, the settings and index used, and every verdict."""
    return {
        **context,
        "figures": figures,
        "suggested_threshold": None
        if best is None
        else {
            "value": best.value,
            "precision": best.precision,
            "recall": best.recall,
            "wrongly_refused": best.wrongly_refused,
        },
        "skipped_lines": [{"line": p.line, "message": p.message} for p in problems],
        "verdicts": {r.case.id: "pass" if r.verdict.passed else "fail" for r in results},
    }


def changed_verdicts(
    results: Sequence[Result], before: dict[str, Any]
) -> list[tuple[Result, str, str]]:
    """The questions whose verdict differs from the earlier run's: (result, then, now)."""
    then = before.get("verdicts", {})
    out = []
    for r in results:
        now = "pass" if r.verdict.passed else "fail"
        if r.case.id in then and then[r.case.id] != now:
            out.append((r, then[r.case.id], now))
    return out


def write_report(
    folder: Path,
    results: Sequence[Result],
    data: dict[str, Any],
    before: dict[str, Any] | None = None,
    before_name: str = "earlier run",
) -> None:
    """Write every file of the report into ``folder`` (the plots must be there already)."""
    (folder / "summary.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
    with (folder / "results.jsonl").open("w", encoding="utf-8") as out:
        for r in results:
            out.write(json.dumps(r.to_dict(), ensure_ascii=False) + "\n")
    changes = changed_verdicts(results, before) if before else []
    report = _Report(results, data, before, before_name, changes)
    (folder / "report.md").write_text(_markdown(report, folder), encoding="utf-8")
    (folder / "report.html").write_text(_html(report, folder), encoding="utf-8")


@dataclass(frozen=True)
class _Report:
    """What both renderings show."""

    results: Sequence[Result]
    data: dict[str, Any]
    before: dict[str, Any] | None
    before_name: str
    changes: list[tuple[Result, str, str]]

    @property
    def heading(self) -> list[str]:
        """The questions file, index version, answerer and date, as plain text."""
        data = self.data
        return [
            str(data.get("questions_file", "")),
            f"index {data['index'].get('version')}",
            f"answerer {data['settings'].get('answerer')}",
            str(data["created"]),
        ]

    @property
    def failed(self) -> list[Result]:
        """The questions that failed, in order."""
        return [r for r in self.results if not r.verdict.passed]


def _headline_rows(
    data: dict[str, Any], before: dict[str, Any] | None
) -> list[tuple[str, str, str | None]]:
    rows = []
    for label, path in HEADLINES:
        now = _get(data["figures"], path)
        then = _get(before["figures"], path) if before else None
        rows.append((label, _shown(now), _shown(then) if before else None))
    return rows


def _threshold_line(data: dict[str, Any]) -> str:
    best = data.get("suggested_threshold")
    current = data["figures"]["refusal"]["threshold"]
    if best is None:
        return (
            f"The refusal threshold is {current:.2f}. A better one can be suggested only with "
            "both answerable and unanswerable questions."
        )
    return (
        f"The refusal threshold is {current:.2f}. On these questions {best['value']:.2f} "
        f"separates answerable from unanswerable ones best: refusal precision "
        f"{best['precision']:.2f}, recall {best['recall']:.2f}, {best['wrongly_refused']} "
        "answerable questions refused."
    )


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell: HTML escaped, pipes and breaks neutralised."""
    return html.escape(" ".join(text.split())).replace("|", "\\|").replace("`", "\\`")


def _answer_text(r: Result) -> str:
    return r.answer.answer if r.answer else "(not asked)"


def _citation_text(r: Result) -> list[str]:
    if r.answer is None:
        return []
    cited = r.answer.shown
    return [f"[{c.id}] {c.source}: {c.quote}" for c in cited]


def _markdown(report: _Report, folder: Path) -> str:
    data, before = report.data, report.before
    before_name, changes = report.before_name, report.changes
    lines = ["# docqa evaluation", "", " · ".join(_md(x) for x in report.heading), ""]
    header = "| figure | this run |" + (f" {_md(before_name)} |" if before else "")
    lines += [header, "|---|---|" + ("---|" if before else "")]
    for label, now, then in _headline_rows(data, before):
        lines.append(f"| {label} | {now} |" + (f" {then} |" if before else ""))
    lines += ["", _md(_threshold_line(data)), ""]
    drawn = [(n, c) for n, c in PLOTS.items() if (folder / n).is_file()]
    lines += [f"![{caption}]({name})\n" for name, caption in drawn] or [NO_PLOTS, ""]
    failed = report.failed
    lines += [f"## Failed questions ({len(failed)})", ""]
    if failed:
        lines += ["| id | question | answer | citations | why |", "|---|---|---|---|---|"]
        for r in failed:
            cells = [r.case.id, r.case.question, _answer_text(r),
                     "; ".join(_citation_text(r)), r.verdict.reason or ""]  # fmt: skip
            lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    if before is not None:
        lines += ["", f"## Verdicts that changed since {_md(before_name)} ({len(changes)})", ""]
        for r, then, now in changes:
            lines.append(f"- {_md(r.case.id)}: {then} → {now}: {_md(r.case.question)}")
    if data["skipped_lines"]:
        lines += ["", "## Lines skipped", ""]
        lines += [f"- line {p['line']}: {_md(p['message'])}" for p in data["skipped_lines"]]
    return "\n".join(lines) + "\n"


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;
color:#1c2833}h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #d5d8dc;padding:.3rem .5rem;
text-align:left;vertical-align:top}th{background:#f4f6f7}.num{text-align:right}
.fail{color:#c0392b}.pass{color:#2a7d4f}figure{display:inline-block;margin:.5rem}
figcaption{font-size:.85rem;color:#566573}img{max-width:100%}.quote{color:#566573}
"""


def _cell(text: str, css: str = "") -> str:
    classes = f' class="{css}"' if css else ""
    return f"<td{classes}>{html.escape(text)}</td>"


def _html(report: _Report, folder: Path) -> str:
    data, before = report.data, report.before
    before_name, changes = report.before_name, report.changes
    e = html.escape
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        # Nothing but the inlined plots and style may load, and no script may run.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; style-src 'unsafe-inline'\">",
        f"<title>docqa evaluation</title><style>{_CSS}</style></head><body>",
        "<h1>docqa evaluation</h1>",
        f"<p>{' · '.join(e(x) for x in report.heading)}</p>",
        "<table><tr><th>figure</th><th>this run</th>"
        + (f"<th>{e(before_name)}</th>" if before else "")
        + "</tr>",
    ]
    for label, now, then in _headline_rows(data, before):
        parts.append(
            f"<tr>{_cell(label)}{_cell(now, 'num')}"
            + (_cell(then or "", "num") if before else "")
            + "</tr>"
        )
    parts += ["</table>", f"<p>{e(_threshold_line(data))}</p>"]
    if not any((folder / name).is_file() for name in PLOTS):
        parts.append(f"<p>{e(NO_PLOTS)}</p>")
    for name, caption in PLOTS.items():
        if not (folder / name).is_file():
            continue
        encoded = base64.b64encode((folder / name).read_bytes()).decode("ascii")
        parts.append(
            f'<figure><img alt="{e(caption)}" src="data:image/png;base64,{encoded}">'
            f"<figcaption>{e(caption)}</figcaption></figure>"
        )
    failed = report.failed
    parts.append(f"<h2>Failed questions ({len(failed)})</h2>")
    if failed:
        parts.append(
            '<table id="failed"><tr><th>id</th><th>question</th><th>answer</th>'
            "<th>citations</th><th>why</th></tr>"
        )
        for r in failed:
            quotes = "".join(f'<div class="quote">{e(q)}</div>' for q in _citation_text(r))
            parts.append(
                f"<tr>{_cell(r.case.id)}{_cell(r.case.question)}{_cell(_answer_text(r))}"
                f"<td>{quotes}</td>{_cell(r.verdict.reason or '', 'fail')}</tr>"
            )
        parts.append("</table>")
    if before is not None:
        parts.append(f"<h2>Verdicts that changed since {e(before_name)} ({len(changes)})</h2>")
        parts.append("<table><tr><th>id</th><th>question</th><th>then</th><th>now</th></tr>")
        for r, then, now in changes:
            parts.append(
                f"<tr>{_cell(r.case.id)}{_cell(r.case.question)}{_cell(then, then)}"
                f"{_cell(now, now)}</tr>"
            )
        parts.append("</table>")
    if data["skipped_lines"]:
        parts.append("<h2>Lines skipped</h2><ul>")
        parts += [f"<li>line {p['line']}: {e(p['message'])}</li>" for p in data["skipped_lines"]]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)
