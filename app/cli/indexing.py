"""`docqa index`: folders and files into the index, and what the run did."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from app.cli import common
from app.cli.common import IndexDir, app, fail
from app.errors import DocQAError, NoDocumentsError
from app.indexing import IndexReport
from app.jobs import adopt_uploads_folder
from app.service import DocQA
from app.sources.formats import listed
from app.types import Skipped

__all__ = ["index"]


@app.command(
    help=f"Index folders (recursively) and files: {listed()} (a mailbox's messages each a "
    "document)."
)
def index(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Folders and files to index (default: seeds/).")
    ] = None,
    index_dir: IndexDir = None,
    rebuild: Annotated[bool, typer.Option(help="Re-embed everything.")] = False,
    watch: Annotated[
        bool, typer.Option(help="Then keep the index in sync as files come, change and go.")
    ] = False,
    debounce_ms: Annotated[
        int, typer.Option(min=50, max=600_000, help="--watch: wait for changes to settle.")
    ] = 1600,
) -> None:
    """Index folders and files (the help lists the formats, from app/sources/formats.py)."""
    paths = paths or [Path("seeds")]
    service = common.service(index_dir)
    _run(service, paths, rebuild)
    if watch:
        _watch(service, paths, debounce_ms)


def _run(service: DocQA, paths: list[Path], rebuild: bool = False, *, ending: bool = True) -> None:
    """One run, its report printed; an error ends the command unless ``ending`` is False."""
    try:
        adopt_uploads_folder(service)
        report = service.index(paths, rebuild=rebuild, progress=ending)
    except DocQAError as exc:
        if isinstance(exc, NoDocumentsError) and len(exc.skipped) > 3:
            _print_skipped(exc.skipped)  # the message names the first three
        if ending:
            raise fail(exc) from None
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        return
    _print_report(report)


def _watch(
    service: DocQA, paths: list[Path], debounce_ms: int, stop: threading.Event | None = None
) -> None:
    """Re-index whenever files under ``paths`` change, until interrupted (or ``stop`` is
    set). Changes that arrive together (a copy of many files) make one run; a failed run
    is reported and the watch goes on."""
    from watchfiles import watch

    watched = [p for p in paths if p.exists()]
    typer.echo(f"Watching {', '.join(map(str, watched))} (Ctrl+C to stop).")
    try:
        for changes in watch(
            *watched, debounce=debounce_ms, recursive=True, stop_event=stop, rust_timeout=500
        ):
            typer.echo(f"{len(changes)} change(s): re-indexing.")
            _run(service, paths, ending=False)
    except KeyboardInterrupt:
        pass


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
    if report.regrouped_documents:
        typer.echo(
            f"Access groups changed for {report.regrouped_documents} documents (nothing "
            "re-embedded)."
        )
    if report.embedded_chunks:
        typer.echo(
            f"Embedded {report.embedded_chunks} chunks in {report.embed_seconds:.1f}s "
            f"({report.chunks_per_second:.1f} chunks/s); total {report.total_seconds:.1f}s."
        )
