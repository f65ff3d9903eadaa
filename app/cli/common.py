"""What every command shares: the Typer app, the core built from the settings, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from app.errors import DocQAError
from app.service import DocQA
from app.settings import Settings

__all__ = ["IndexDir", "app", "fail", "service"]

app = typer.Typer(
    help="Ask questions about a folder of articles; every answer cites its passages.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

IndexDir = Annotated[
    Path | None,
    typer.Option("--index-dir", help="Index folder (default: DOCQA_INDEX_DIR or ./index)."),
]


def service(index_dir: Path | None, **overrides: object) -> DocQA:
    """The core, from the environment and the options; invalid settings end the command."""
    values = {k: v for k, v in {"index_dir": index_dir, **overrides}.items() if v is not None}
    try:
        settings = Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        error = DocQAError(f"Invalid settings ({problems}). Check your DOCQA_* variables.")
        raise fail(error, 2) from None
    return DocQA(settings)


def fail(exc: DocQAError, code: int = 1) -> typer.Exit:
    """Print ``exc`` for the person at the terminal; the exit to raise."""
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)
