"""The CLI through Typer's runner: index, ask, --json, --questions, errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app import cli
from app.cli import common
from app.service import DocQA
from app.settings import Settings


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, settings: Settings, service: DocQA) -> CliRunner:
    """A runner whose commands use the fake-embedding service of the fixtures."""
    monkeypatch.setattr(
        common,
        "service",
        lambda index_dir: DocQA(settings, service.embeddings, pair_scorer=service.pair_scorer),
    )
    return CliRunner()


def test_index_prints_summary_and_skips(run: CliRunner, corpus: Path) -> None:
    (corpus / "empty.txt").write_text("", "utf-8")
    result = run.invoke(cli.app, ["index", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "Indexed 3 documents" in result.output
    assert "skipped articles/empty.txt: empty file" in result.output
    assert "chunks/s" in result.output
    again = run.invoke(cli.app, ["index", str(corpus)])
    assert "up to date" in again.output


def test_ask_json_follows_the_contract(run: CliRunner, corpus: Path) -> None:
    run.invoke(cli.app, ["index", str(corpus)])
    result = run.invoke(cli.app, ["ask", "--json", "What pay rise did the unions accept?"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["refused"] is False
    assert data["citations"][0]["source"] == "articles/gamma.html"
    assert data["citations"][0]["title"] == "Rail strike ends"


def test_questions_file_keeps_order_and_survives_a_bad_line(
    run: CliRunner, corpus: Path, tmp_path: Path
) -> None:
    run.invoke(cli.app, ["index", str(corpus)])
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"question": "Who is the mayor of Marsby?"}\n'
        "How big was the apple harvest in Tillby?\n\n"
        '{"question": "   "}\n',
        "utf-8",
    )
    result = run.invoke(cli.app, ["ask", "--questions", str(questions), "--json"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [r["question"] for r in records][:2] == [
        "Who is the mayor of Marsby?",
        "How big was the apple harvest in Tillby?",
    ]
    assert "Ada Quill" in records[0]["answer"]
    assert "empty" in records[2]["error"]


def test_errors_are_messages_not_tracebacks(run: CliRunner, tmp_path: Path) -> None:
    result = run.invoke(cli.app, ["ask", "Anything?"])
    assert result.exit_code == 1
    assert "No index found" in result.output
    assert "Traceback" not in result.output
    long = run.invoke(cli.app, ["ask", "x" * 100_000])
    assert long.exit_code == 2
    assert "limit is 2,000" in long.output
    nothing = run.invoke(cli.app, ["index", str(tmp_path / "missing")])
    assert nothing.exit_code == 1
    assert "Nothing to index" in nothing.output


def test_ask_keeps_to_a_date_range(run: CliRunner, corpus: Path) -> None:
    run.invoke(cli.app, ["index", str(corpus)])
    question = "What pay rise did the unions accept?"
    inside = run.invoke(cli.app, ["ask", "--json", "--since", "2026-02-15", question])
    assert inside.exit_code == 0, inside.output
    assert {c["date"] for c in json.loads(inside.output)["citations"]} == {"2026-03-01"}
    before = run.invoke(cli.app, ["ask", "--json", "--until", "2026-02-15", question])
    data = json.loads(before.output)
    assert "four percent" not in data["answer"]
    assert all(c["date"] <= "2026-02-15" for c in data["citations"] + data["closest"])
    bad = run.invoke(cli.app, ["ask", "--since", "March", question])
    assert bad.exit_code == 2
    assert "YYYY-MM-DD" in bad.output
    assert "Traceback" not in bad.output


def test_chat_streams_answers_and_keeps_the_conversation(run: CliRunner, corpus: Path) -> None:
    run.invoke(cli.app, ["index", str(corpus)])
    result = run.invoke(
        cli.app, ["chat"], input="What pay rise did the rail unions accept?\nAnd the strike?\n\n"
    )
    assert result.exit_code == 0, result.output
    assert "four percent" in result.output
    assert result.output.count("Sources:") == 2


def test_invalid_settings_are_a_message_not_a_traceback(tmp_path: Path) -> None:
    env = {"DOCQA_ANSWERER": "llm", "DOCQA_INDEX_DIR": str(tmp_path)}
    result = CliRunner().invoke(cli.app, ["ask", "Anything?"], env=env)
    assert result.exit_code == 2
    assert "DOCQA_LLM__PROVIDER" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    # The provider package is there (dev extras), but the prompts are not.
    broken = {
        **env, "DOCQA_LLM_PROVIDER": "openai", "DOCQA_LLM_MODEL": "m",
        "DOCQA_PROMPTS_DIR": str(tmp_path),
    }  # fmt: skip
    served = CliRunner().invoke(cli.app, ["serve"], env=broken)
    assert served.exit_code == 1
    assert "Cannot read the prompt" in served.output


def test_a_slow_answer_says_it_is_loading_on_a_terminal_and_not_in_a_pipe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io
    import time

    from app.cli.questions import _said_if_slow

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for stream, expected in ((Terminal(), "loading"), (io.StringIO(), "")):
        monkeypatch.setattr("sys.stderr", stream)
        with _said_if_slow("loading", after=0.01):
            time.sleep(0.2)
        assert stream.getvalue().strip() == expected
    quick = Terminal()
    monkeypatch.setattr("sys.stderr", quick)
    with _said_if_slow("loading", after=5):
        pass
    assert quick.getvalue() == ""


@pytest.mark.model
def test_docqa_ask_as_a_process_prints_its_answer_and_exit_status(seeded: DocQA) -> None:
    import subprocess
    import sys

    docqa = Path(sys.executable).parent / "docqa"
    index = ["--index-dir", str(seeded.settings.index_dir)]
    done = subprocess.run([docqa, "ask", "--json", "Who is Khalid Sultan?", *index],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Khalid Sultan" in json.loads(done.stdout)["answer"]
    empty = subprocess.run([docqa, "ask", "  ", *index], capture_output=True, text=True,
                           timeout=300)  # fmt: skip
    assert empty.returncode == 2
    assert "The question is empty" in empty.stderr
