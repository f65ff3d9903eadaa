"""`docqa ask` and `docqa chat`: questions from the terminal, answers with their sources."""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from app.cli import common
from app.cli.common import IndexDir, app, fail
from app.errors import DocQAError, QuestionError
from app.service import DocQA
from app.text.clean import replace_invalid
from app.text.labels import day_label, source_label
from app.types import Answer, AnswerSentence, Citation, Delta

__all__ = ["Asked", "ask", "chat", "read_questions", "render"]


@dataclass(frozen=True)
class Asked:
    """A question of a questions file, and the day it is asked on if the line says."""

    question: str
    as_of: str | None = None


def read_questions(path: Path) -> Iterator[Asked | QuestionError]:
    """One question per line: plain text, or JSON lines with a ``question`` field (and
    optionally ``as_of``).

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
            yield Asked(line)
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield QuestionError(f"{path}:{number}: not valid JSON ({exc.msg}).")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("question"), str):
            yield QuestionError(f'{path}:{number}: a JSON line needs a "question" string.')
            continue
        day = record.get("as_of")
        if day is not None and not isinstance(day, str):
            yield QuestionError(f'{path}:{number}: "as_of" must be a day, YYYY-MM-DD.')
            continue
        yield Asked(record["question"], day)


def _said(s: AnswerSentence) -> str:
    """A sentence with the words that answer in bold (click drops the bold in pipes) and
    its citation numbers."""
    text = s.text
    if s.answer_span is not None:
        start, end = s.answer_span
        text = text[:start] + typer.style(text[start:end], bold=True) + text[end:]
    flag = "" if s.supported else " (not supported by the passages)"
    return " ".join([" ".join(text.split()) + flag, *(f"[{n}]" for n in s.citations)])


def _body(answer: Answer) -> list[str]:
    """The answer's own words in its form: prose, a dated timeline, each side's view."""
    if answer.refused:
        reason = answer.answer.split(" The closest passages")[0]
        said = "" if reason.startswith("The documents don't say") else f" {reason}"
        return [typer.style("The documents don't say.", bold=True) + said]
    if not answer.sentences:
        return [answer.answer]
    if answer.form == "prose":
        return [" ".join(_said(s) for s in answer.sentences)]
    lines: list[str] = []
    heading = None
    for s in answer.sentences:
        if answer.form == "positions":
            if s.label != heading and s.label:
                lines.append(f"{s.label}:")
            heading = s.label
            lines.append(f"  {_said(s)}")
        else:  # a timeline's or a summary's dated points
            lines.append(f"- {s.label}: {_said(s)}" if s.label else f"- {_said(s)}")
    return lines


def render(answer: Answer, text: bool = True) -> str:
    """The answer (unless already shown, ``text=False``), its notice and its sources: one
    entry per article, its quoted sentences numbered under it."""
    lines = [*_body(answer), ""] if text else [""]
    if answer.notice:
        lines.insert(0, f"note: {answer.notice}")
    sources = answer.shown
    if sources:
        lines.append("Closest passages:" if answer.refused else "Sources:")
    articles: dict[str, list[Citation]] = {}
    for c in sources:
        articles.setdefault(c.document or c.source, []).append(c)
    for quotes in articles.values():
        first = quotes[0]
        title = " ".join((first.title or source_label(first.source)).split())
        meta = " · ".join(x for x in (day_label(first.date), first.source) if x)
        lines.append(f"  {typer.style(title, bold=True)}")
        lines.append(f"  {meta}")
        for c in quotes:
            lines.append(f"    [{c.id}] “{' '.join(c.quote.split())}”  (chars {c.start}–{c.end})")
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


@contextlib.contextmanager
def _said_if_slow(message: str, after: float = 1.5) -> Iterator[None]:
    """Say ``message`` on a terminal's standard error if the block takes longer than
    ``after`` seconds (models load, or are built on a first run); pipes see nothing."""
    timer = threading.Timer(after, lambda: print(message, file=sys.stderr, flush=True))
    timer.daemon = True
    if sys.stderr.isatty():
        timer.start()
    try:
        yield
    finally:
        timer.cancel()


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
    as_of: Annotated[
        str | None,
        typer.Option(
            help='The day the question is asked on, YYYY-MM-DD ("this week" is relative to '
            'it; default today). In --questions, a JSON line\'s "as_of" wins.'
        ),
    ] = None,
    index_dir: IndexDir = None,
) -> None:
    """Answer a question (or a file of questions) from the index, with citations."""
    if (question is None) == (questions is None):
        raise fail(QuestionError("Give either a question or --questions FILE."), 2)
    service = common.service(index_dir)
    service.preload()
    if questions is None:
        assert question is not None
        try:
            with _said_if_slow("docqa: loading the models (the first run also builds them)…"):
                answer = service.ask(question, since=since, until=until, as_of=as_of)
        except QuestionError as exc:
            raise fail(exc, 2) from None
        except DocQAError as exc:
            raise fail(exc) from None
        typer.echo(json.dumps(answer.to_dict(), ensure_ascii=False) if as_json else render(answer))
        return
    try:
        for item in read_questions(questions):
            try:
                if isinstance(item, QuestionError):
                    raise item
                answer = service.ask(
                    item.question, since=since, until=until, as_of=item.as_of or as_of
                )
            except QuestionError as exc:  # one bad line must not lose the others
                shown = "" if isinstance(item, QuestionError) else item.question
                record = _error_record(shown, exc)
                typer.echo(json.dumps(record, ensure_ascii=False) if as_json else record["error"])
                continue
            typer.echo(
                json.dumps(answer.to_dict(), ensure_ascii=False) if as_json else render(answer)
            )
            if not as_json:
                typer.echo("")
    except DocQAError as exc:
        raise fail(exc) from None


@app.command()
def chat(index_dir: IndexDir = None) -> None:
    """Ask questions one after another in the terminal (empty line or Ctrl-D to quit)."""
    service = common.service(index_dir)
    try:
        service.warm()
    except DocQAError as exc:
        raise fail(exc) from None
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
            typer.echo(render(answer, text=False))
            history += [
                {"role": "user", "content": question},
                {"role": "assistant", "content": answer.answer},
            ]
        except DocQAError as exc:
            typer.secho(str(exc), fg=typer.colors.YELLOW)
