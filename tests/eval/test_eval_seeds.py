"""`docqa eval` on the seed articles with the real model: the summary against the known
answers, a report that fetches nothing and keeps hostile text inert in Chromium, valid
plots."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app import cli
from app.cli import common
from app.service import DocQA
from tests.conftest import CHROMIUM, shared_file

pytestmark = [pytest.mark.model, pytest.mark.browser]

HOSTILE = {
    "id": "hostile",
    "question": "What did <script>window.__pwned=1</script> say about "
    '<img src=x onerror="window.__pwned=2">?',
    "answer_any": ["a string no answer holds"],
}


class _References(HTMLParser):
    """Every URL an element of the page would fetch or link to."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href", "action", "formaction", "poster", "data", "srcset"):
                self.found.append(value or "")


@pytest.fixture(scope="module")
def report(seeded: DocQA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed questions, and one hostile question that fails, evaluated once."""
    root = tmp_path_factory.mktemp("eval")
    questions = root / "questions.jsonl"
    seed = shared_file("eval", "seed_qa_dev.jsonl").read_text(encoding="utf-8")
    questions.write_text(seed.rstrip("\n") + "\n" + json.dumps(HOSTILE) + "\n", "utf-8")
    out = root / "report"
    patch = pytest.MonkeyPatch()
    patch.setattr(common, "service", lambda index_dir: DocQA(seeded.settings, seeded.embeddings))
    try:
        result = CliRunner().invoke(cli.app, ["eval", str(questions), "--out", str(out)])
    finally:
        patch.undo()
    assert result.exit_code == 0, result.output
    return out


def test_the_summary_matches_the_known_answers(report: Path) -> None:
    summary = json.loads((report / "summary.json").read_text())
    verdicts = summary["verdicts"]
    assert {k: v for k, v in verdicts.items() if k != "hostile"} == {
        f"d{n:02d}": "pass" for n in range(1, 13)
    }
    assert verdicts["hostile"] == "fail"
    figures = summary["figures"]
    assert (figures["questions"], figures["passed"]) == (13, 12)
    assert figures["outcomes"]["refused correctly"] == 2
    assert figures["citation_source_hit"] == 1.0
    assert figures["exact_quotes"] == 1.0
    assert summary["index"]["documents"] == 2
    assert summary["settings"]["rerank"]["model"] == "cross-encoder"


def test_the_plots_are_valid_images(report: Path) -> None:
    import matplotlib.image

    for name in ("evidence.png", "refusal.png", "latency.png", "sources.png"):
        data = (report / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n"), name
        height, width, _ = matplotlib.image.imread(report / name).shape
        assert width > 300, name
        assert height > 150, name


def test_the_report_fetches_nothing_and_escapes_every_text(report: Path) -> None:
    page = (report / "report.html").read_text(encoding="utf-8")
    parser = _References()
    parser.feed(page)
    assert parser.found, "the plots are inlined as data: URLs"
    assert all(url.startswith("data:image/png;base64,") for url in parser.found), parser.found
    assert "script" not in parser.tags
    assert "link" not in parser.tags
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    markdown = (report / "report.md").read_text(encoding="utf-8")
    assert "<script>" not in markdown
    assert "&lt;script&gt;" in markdown


def test_hostile_text_in_the_report_stays_inert_in_chromium(report: Path, browser: Any) -> None:
    assert CHROMIUM.exists()
    context = browser.new_context()
    outside: list[str] = []
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(("file:", "data:"))
            else (outside.append(route.request.url), route.abort())
        ),
    )
    page = context.new_page()
    page.goto((report / "report.html").as_uri())
    assert page.evaluate("window.__pwned") is None
    cells = page.locator("#failed td").all_inner_texts()
    assert any(HOSTILE["question"] == cell for cell in cells)
    assert outside == []
    context.close()
