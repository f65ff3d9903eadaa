"""The command line: `docqa index`, `docqa ask`, `docqa chat`, `docqa serve`, `docqa info`."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from app.errors import DocQAError, NoDocumentsError, QuestionError
from app.indexing import IndexReport
from app.service import DocQA
from app.settings import Settings
from app.text.clean import replace_invalid
from app.types import Answer, Delta, Skipped

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


def _service(index_dir: Path | None, **overrides: object) -> DocQA:
    """The core, from the environment and the options; invalid settings end the command."""
    values = {k: v for k, v in {"index_dir": index_dir, **overrides}.items() if v is not None}
    try:
        settings = Settings(**values)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        error = DocQAError(f"Invalid settings ({problems}). Check your DOCQA_* variables.")
        raise _fail(error, 2) from None
    return DocQA(settings)


def _fail(exc: DocQAError, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


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
        report = _service(index_dir).index(paths or [Path("seeds")], rebuild=rebuild, progress=True)
    except NoDocumentsError as exc:
        if len(exc.skipped) > 3:  # the message names the first three
            _print_skipped(exc.skipped)
        raise _fail(exc) from None
    except DocQAError as exc:
        raise _fail(exc) from None
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


def read_questions(path: Path) -> Iterator[str | QuestionError]:
    """One question per line: plain text, or JSON lines with a ``question`` field.

    A line that cannot be read as a question is yielded as the ``QuestionError`` saying
    why, in its place, so one bad line loses nothing else.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise QuestionError(f"Cannot read the questions file {path}: {exc.strerror}.") from exc
    # Bytes that are not UTF-8 stay in the line as surrogates; the core refuses that line.
    lines = data.decode("utf-8-sig", errors="surrogateescape").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if not line.lstrip().startswith("{"):
            yield line
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield QuestionError(f"{path}:{number}: not valid JSON ({exc.msg}).")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("question"), str):
            yield QuestionError(f'{path}:{number}: a JSON line needs a "question" string.')
            continue
        yield record["question"]


def _render(answer: Answer, text: bool = True) -> str:
    """The answer (unless already shown, ``text=False``), its notice and its sources."""
    lines = [answer.answer, ""] if text else [""]
    if answer.notice:
        lines.insert(0, f"note: {answer.notice}")
    sources = answer.closest if answer.refused else answer.citations
    if sources:
        lines.append("Closest passages:" if answer.refused else "Sources:")
    for c in sources:
        heading = " — ".join(x for x in (c.title, c.date) if x)
        label = f"[{c.id}]" if not answer.refused else "  -"
        lines.append(f"{label} {c.source}" + (f" ({heading})" if heading else ""))
        lines.append(f"    {' '.join(c.quote.split())}  (chars {c.start}–{c.end})")
    return "\n".join(lines)


def _stream_to_terminal(service: DocQA, question: str, history: list[dict[str, str]]) -> Answer:
    """Print the answer as it is written; the finished answer."""
    answer = None
    for event in service.ask_stream(question, history):
        if isinstance(event, Delta):
            typer.echo(event.text, nl=False)
        else:
            answer = event
    typer.echo("")
    assert answer is not None
    return answer


def _error_record(question: str, exc: DocQAError) -> dict[str, object]:
    return {"question": replace_invalid(question[:200]), "error": str(exc)}


@app.command()
def ask(
    question: Annotated[str | None, typer.Argument(help="The question.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    questions: Annotated[
        Path | None,
        typer.Option("--questions", help="File with one question per line (text or JSON lines)."),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only articles published on or after YYYY-MM-DD.")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Only articles published on or before YYYY-MM-DD.")
    ] = None,
    index_dir: IndexDir = None,
) -> None:
    """Answer a question (or a file of questions) from the index, with citations."""
    if (question is None) == (questions is None):
        raise _fail(QuestionError("Give either a question or --questions FILE."), 2)
    service = _service(index_dir)
    if questions is None:
        assert question is not None
        try:
            answer = service.ask(question, since=since, until=until)
        except QuestionError as exc:
            raise _fail(exc, 2) from None
        except DocQAError as exc:
            raise _fail(exc) from None
        typer.echo(json.dumps(answer.to_dict(), ensure_ascii=False) if as_json else _render(answer))
        return
    try:
        for item in read_questions(questions):
            try:
                if isinstance(item, QuestionError):
                    raise item
                answer = service.ask(item, since=since, until=until)
            except QuestionError as exc:  # one bad line must not lose the others
                record = _error_record("" if isinstance(item, QuestionError) else item, exc)
                typer.echo(json.dumps(record, ensure_ascii=False) if as_json else record["error"])
                continue
            typer.echo(
                json.dumps(answer.to_dict(), ensure_ascii=False) if as_json else _render(answer)
            )
            if not as_json:
                typer.echo("")
    except DocQAError as exc:
        raise _fail(exc) from None


@app.command()
def chat(index_dir: IndexDir = None) -> None:
    """Ask questions one after another in the terminal (empty line or Ctrl-D to quit)."""
    service = _service(index_dir)
    try:
        service.warm()
    except DocQAError as exc:
        raise _fail(exc) from None
    typer.echo(f"Ready: {service.store.stats()['documents']} documents. Ask a question.")
    history: list[dict[str, str]] = []
    while True:
        try:
            question = input("\n? ")
        except (EOFError, KeyboardInterrupt):
            break
        if not question.strip():
            break
        try:
            answer = _stream_to_terminal(service, question, history)
            typer.echo(_render(answer, text=False))
            history += [
                {"role": "user", "content": question},
                {"role": "assistant", "content": answer.answer},
            ]
        except DocQAError as exc:
            typer.secho(str(exc), fg=typer.colors.YELLOW)


@app.command()
def serve(
    index_dir: IndexDir = None,
    host: Annotated[str | None, typer.Option(help="Listen address (DOCQA_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (DOCQA_PORT).")] = None,
) -> None:
    """Serve the chat UI at /, the API at /api and the embeddable chat at /embed."""
    from app.server import serve as run_server

    service = _service(index_dir, host=host, port=port)
    try:
        service.check_store()  # an unreachable database stops here; a missing index does not
        service.check_answerer()  # a broken LLM setup stops here too
    except DocQAError as exc:
        raise _fail(exc) from None
    logging.getLogger("app").setLevel(logging.INFO)
    run_server(service.settings, service)


@app.command()
def info(index_dir: IndexDir = None) -> None:
    """Show what the index holds and what it was built with."""
    try:
        stats = _service(index_dir).store.stats()
    except DocQAError as exc:
        raise _fail(exc) from None
    for key, value in stats.items():
        typer.echo(f"{key}: {value}")


def main() -> None:
    """Console-script entry point."""
    # Names and questions may hold bytes that are not UTF-8: print them escaped, never fail.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    for noisy in ("transformers", "torch", "onnxruntime", "root", "bm25s", "nncf"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    # Building an embedding model (once per machine) takes a while: say so.
    logging.getLogger("app.embeddings").setLevel(logging.INFO)
    app()


if __name__ == "__main__":
    main()
