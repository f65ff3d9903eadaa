"""`docqa feedback export`: readers' verdicts and refused questions, as JSON lines."""

from __future__ import annotations

import contextlib
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
    service = common.service(index_dir)
    written = 0
    try:
        # Page by page: an export of millions of records never sits in memory whole.
        with contextlib.ExitStack() as stack:
            sink = stack.enter_context(output.open("w", encoding="utf-8")) if output else None
            after = 0
            while page := service.feedback_since(day, after):
                lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in page)
                if sink is None:
                    typer.echo(lines, nl=False)
                else:
                    sink.write(lines)
                written += len(page)
                after = page[-1]["id"]
    except DocQAError as exc:
        raise fail(exc) from None
    except OSError as exc:
        raise fail(DocQAError(f"Cannot write {output}: {exc.strerror}.")) from None
    if output is not None:
        typer.echo(f"Wrote {written} records to {output}.", err=True)
