"""Hostile files: odd names, quadratic HTML, page bombs, encodings without a mark. Each is
indexed or skipped with its own reason, and the run goes on for the rest."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app import cli
from app.cli import common
from app.errors import NoDocumentsError
from app.service import DocQA
from app.settings import Settings, SourceSettings
from app.sources.html import MAX_ATTRIBUTES, MAX_DEPTH
from tests.bench.hostile import flat_html, many_page_pdf, nested_html, wide_tag_html


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, settings: Settings, service: DocQA) -> CliRunner:
    """A runner whose commands use the fake-embedding service, with a low PDF page limit."""
    limited = settings.model_copy(update={"sources": SourceSettings(max_pdf_pages=50)})
    monkeypatch.setattr(common, "service", lambda index_dir: DocQA(limited, service.embeddings))
    return CliRunner()


def _reasons(output: str) -> dict[str, str]:
    lines = [ln.removeprefix("skipped ") for ln in output.splitlines() if ln.startswith("skipped ")]
    return dict(ln.split(": ", 1) for ln in lines)


def test_a_name_that_is_not_utf8_is_indexed_under_an_escaped_name(
    run: CliRunner, corpus: Path
) -> None:
    raw = os.fsencode(corpus) + b"/harbour\xff.txt"
    with open(raw, "wb") as handle:
        handle.write(b"date 2026-01-09 The harbour of Wexby froze in January. Ships waited.")
    result = run.invoke(cli.app, ["index", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "Indexed 4 documents" in result.output
    answer = run.invoke(cli.app, ["ask", "--json", "What froze in January?"])
    data = json.loads(answer.output)
    assert data["citations"][0]["source"] == "articles/harbour\\xff.txt"


def test_a_newline_in_a_name_is_printed_escaped_on_one_line(run: CliRunner, corpus: Path) -> None:
    (corpus / "two\nlines.txt").write_text(
        "The mill at Alder burned down. Nobody was hurt.", "utf-8"
    )
    (corpus / "empty\nfile.txt").write_text("", "utf-8")
    result = run.invoke(cli.app, ["index", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "skipped articles/empty\\nfile.txt: empty file" in result.output.splitlines()
    shown = run.invoke(cli.app, ["ask", "What burned down in Alder?"]).output
    assert "  articles/two\\nlines.txt" in shown.splitlines()  # one line, escaped


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("nested.html", nested_html(50_000), f"HTML nested more than {MAX_DEPTH:,} elements deep"),
        ("wide.html", wide_tag_html(5_000), f"an HTML tag with more than {MAX_ATTRIBUTES:,} attr"),
        ("pages.pdf", many_page_pdf(90_000), "PDF has 90,000 pages; the limit is 50"),
        (
            "lying.pdf",
            many_page_pdf(60).replace(b"/Count 60", b"/Count 1"),
            "PDF has more than 50 pages",
        ),
        ("nul.txt", b"\x00\x01\x02\x03binary\xff\xfe" * 40, "binary file (contains NUL bytes)"),
    ],
)
def test_hostile_files_are_skipped_with_their_own_reason_and_the_rest_indexed(
    run: CliRunner, corpus: Path, name: str, data: bytes, reason: str
) -> None:
    (corpus / name).write_bytes(data)
    result = run.invoke(cli.app, ["index", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "Indexed 3 documents" in result.output
    assert _reasons(result.output)[f"articles/{name}"].startswith(reason)


def test_wide_and_flat_html_is_indexed_whole(run: CliRunner, corpus: Path, service: DocQA) -> None:
    (corpus / "flat.html").write_bytes(flat_html(10_000))
    (corpus / "pages.pdf").write_bytes(many_page_pdf(40, "Forty pages of the same"))
    result = run.invoke(cli.app, ["index", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "Indexed 5 documents" in result.output
    store = DocQA(service.settings, service.embeddings).store
    texts = dict(zip(store.sources().values(), store.texts(), strict=True))
    assert texts["articles/flat.html"].split("\n\n") == ["x"] * 10_000
    assert texts["articles/pages.pdf"].count("Forty pages of the same") == 40


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_read(
    run: CliRunner, corpus: Path, encoding: str
) -> None:
    text = "date 2026-02-02 The lighthouse at Corran was repainted red. It took a week."
    (corpus / "sixteen.txt").write_bytes(text.encode(encoding))
    result = run.invoke(cli.app, ["index", str(corpus)])
    assert "Indexed 4 documents" in result.output, result.output
    answer = json.loads(
        run.invoke(cli.app, ["ask", "--json", "What colour is the lighthouse at Corran?"]).output
    )
    assert "repainted red" in answer["answer"]


def test_only_a_missing_path_says_why(run: CliRunner, tmp_path: Path) -> None:
    result = run.invoke(cli.app, ["index", str(tmp_path / "ghost.txt")])
    assert result.exit_code == 1
    assert "ghost.txt: no such file or folder" in result.output
    assert "Traceback" not in result.output


def test_many_unreadable_files_are_each_listed(run: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    for n in range(5):
        (folder / f"e{n}.txt").write_text("", "utf-8")
    result = run.invoke(cli.app, ["index", str(folder)])
    assert result.exit_code == 1
    assert all(f"skipped bad/e{n}.txt: empty file" in result.output for n in range(5))
    assert "5 skipped: bad/e0.txt: empty file" in result.output
    assert "and 2 more" in result.output


def test_a_run_of_only_hostile_files_leaves_the_previous_index(
    service: DocQA, corpus: Path, tmp_path: Path
) -> None:
    service.index([corpus])
    before = service.ask("Who is the mayor of Marsby?")
    hostile = tmp_path / "hostile"
    hostile.mkdir()
    (hostile / "nested.html").write_bytes(nested_html(5_000))
    (hostile / "empty.md").write_bytes(b"")
    with pytest.raises(NoDocumentsError, match="nested more than"):
        service.index([hostile])
    after = DocQA(service.settings, service.embeddings, pair_scorer=service.pair_scorer).ask(
        "Who is the mayor of Marsby?"
    )
    assert after.answer == before.answer
    assert after.citations == before.citations
