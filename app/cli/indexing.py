"""`docqa index`: folders and files into the index, and what the run did."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from app.cli import common
from app.cli.common import IndexDir, app, fail
from app.errors import DocQAError, NoDocumentsError
from app.indexing import IndexReport
from app.types import Skipped

__all__ = ["index"]


@app.command()
def index(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Folders and files to index (default: seeds/).")
    ] = None,
    index_dir: IndexDir = None,
    rebuild: Annotated[bool, typer.Option(help="Re-embed everything.")] = False,
) -> None:
    """Index folders (recursively) and files: .txt, .md, .html, .pdf."""
    try:
        report = common.service(index_dir).index(
            paths or [Path("seeds")], rebuild=rebuild, progress=True
        )
    except NoDocumentsError as exc:
        if len(exc.skipped) > 3:  # the message names the first three
            _print_skipped(exc.skipped)
        raise fail(exc) from None
    except DocQAError as exc:
        raise fail(exc) from None
    _print_report(report)


def _print_skipped(skipped: Sequence[Skipped]) -> None:
    for item in skipped:
        typer.echo(f"skipped {item.source}: {item.reason}", err=True)


def _print_report(report: IndexReport) -> None:
    _print_skipped(report.skipped)
    if report.damage:
        typer.echo(f"The index was damaged ({report.damage}); it was rebuilt.", err=True)
    if report.published_by_other:
        typer.echo(
            f"Indexed {report.new_documents} new or changed documents as one of several "
            f"workers; another worker published the run: {report.documents} documents, "
            f"{report.chunks} chunks ({report.version or 'no change'})."
        )
        return
    if report.unchanged:
        typer.echo(f"Index is up to date: {report.documents} documents, {report.chunks} chunks.")
        return
    typer.echo(
        f"Indexed {report.documents} documents ({report.new_documents} new or changed, "
        f"{report.reused_documents} unchanged, {report.removed_documents} removed), "
        f"{report.chunks} chunks; skipped {len(report.skipped)} files."
    )
    if report.embedded_chunks:
        typer.echo(
            f"Embedded {report.embedded_chunks} chunks in {report.embed_seconds:.1f}s "
            f"({report.chunks_per_second:.1f} chunks/s); total {report.total_seconds:.1f}s."
        )
