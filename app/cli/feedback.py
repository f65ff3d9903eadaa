"""`docqa feedback export`: readers' verdicts and refused questions, as JSON lines."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from app.cli import common
from app.cli.common import IndexDir, app, fail
from app.errors import DocQAError
from app.question.analysis import parse_day

__all__ = ["export"]

feedback_app = typer.Typer(help="Readers' feedback on answers, and questions nobody answered.")
app.add_typer(feedback_app, name="feedback")


@feedback_app.command()
def export(
    since: Annotated[
        str | None, typer.Option(help="Only records from this day on (YYYY-MM-DD).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    index_dir: IndexDir = None,
) -> None:
    """Print the feedback records as JSON lines, oldest first."""
    try:
        day: date | None = parse_day(since)
    except ValueError as exc:
        raise fail(DocQAError(str(exc)), 2) from None
    try:
        records = common.service(index_dir).feedback_log.since(day)
    except DocQAError as exc:
        raise fail(exc) from None
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if output is None:
        typer.echo(lines, nl=False)
    else:
        output.write_text(lines, encoding="utf-8")
        typer.echo(f"Wrote {len(records)} records to {output}.", err=True)
