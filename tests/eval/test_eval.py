"""`docqa eval`: the line validation, each verdict rule and its reason, the threshold
suggestion, and whole runs through the CLI (fake embeddings; the seed run with the real
model is in tests/eval/test_eval_seeds.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app import cli
from app.cli import common
from app.eval.cases import EvalCase, read_cases
from app.eval.runner import Result, suggest_threshold
from app.eval.verdict import Verdict, judge
from app.service import DocQA
from app.settings import Settings
from app.types import Answer, Citation

SOURCE = "articles/alpha.txt"


def _lines(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_each_bad_line_is_named_and_the_rest_are_read(tmp_path: Path) -> None:
    path = _lines(
        tmp_path,
        '{"id": "ok", "question": "Who is the mayor?", "answer_any": "Ada Quill"}',
        "not json",
        '["a", "list"]',
        '{"answer_any": ["x"]}',
        '{"question": "   "}',
        '{"question": "Why?", "unanswerable": true, "answer_any": ["x"]}',
        '{"question": "When?", "since": "2026-13-01"}',
        '{"question": "Since when?", "since": "2026-03-01", "until": "2026-02-01"}',
        '{"id": "ok", "question": "Again?"}',
        '{"question": "Who?", "history": [{"role": "system", "content": "x"}]}',
        "",
        '{"question": "What next?", "source": "a.txt", "evidence": "kept, ignored"}',
    )
    cases, problems = read_cases(path)
    assert [c.id for c in cases] == ["ok", "line-12"]
    assert cases[0].answer_any == ("Ada Quill",)
    assert cases[1].source == ("a.txt",)
    found = {p.line: p.message for p in problems}
    assert found[2].startswith("not valid JSON")
    assert found[3] == 'not a JSON object with a "question"'
    assert found[4].startswith("question: Field required")
    assert found[5] == "question: the question is empty"
    assert found[6] == "an unanswerable question cannot also expect answers"
    assert found[7].startswith("since:")
    assert found[8] == "since 2026-03-01 is after until 2026-02-01"
    assert found[9] == "id 'ok' is already on line 1"
    assert found[10].startswith("history.0.role")
    assert set(found) == {2, 3, 4, 5, 6, 7, 8, 9, 10}


def _citation(n: int = 1, source: str = SOURCE, quote: str = "Officials said") -> Citation:
    return Citation(n, source, None, None, 0, len(quote), quote, "k" * 16)


def _answer(text: str = "The mayor is Ada Quill [1]", refused: bool = False) -> Answer:
    cited = () if refused else (_citation(),)
    return Answer("q", text, refused, citations=cited, evidence=0.1 if refused else 0.9)


def _case(**fields: object) -> EvalCase:
    return EvalCase.model_validate({"question": "Who is the mayor?", **fields})


@pytest.mark.parametrize(
    ("case", "answer", "misquoted", "verdict"),
    [
        (_case(answer_any=["ada quill"]), _answer(), [], Verdict(True, "answered correctly")),
        (_case(unanswerable=True), _answer(refused=True), [], Verdict(True, "refused correctly")),
        (
            _case(unanswerable=True), _answer(), [],
            Verdict(False, "answered, should refuse", "answered a question the documents do not "
                    "answer (it should be refused)"),
        ),
        (
            _case(answer_any=["Ada"]), _answer(refused=True), [],
            Verdict(False, "wrong refusal", "refused, but the documents answer it"),
        ),
        (
            _case(answer_any=["Ada"]), _answer(), [1],
            Verdict(False, "wrong answer", "citation [1] does not quote its document exactly"),
        ),
        (
            _case(answer_any=["Bob", "Carl"]), _answer(), [],
            Verdict(False, "wrong answer", "the answer holds none of 'Bob' / 'Carl'"),
        ),
        (
            _case(answer_all=["Ada", "levees", "spring"]), _answer(), [],
            Verdict(False, "wrong answer", "the answer lacks 'levees', 'spring'"),
        ),
        (
            _case(answer_any=["Ada"], source=["beta.md", "gamma.html"]), _answer(), [],
            Verdict(False, "wrong answer", "no citation points at beta.md / gamma.html"),
        ),
        (_case(source=["alpha.txt"]), _answer(), [], Verdict(True, "answered correctly")),
        (_case(source=[SOURCE]), _answer(), [], Verdict(True, "answered correctly")),
        (_case(source=["pha.txt"]), _answer(), [], Verdict(False, "wrong answer",
                                                            "no citation points at pha.txt")),
        (
            _case(answer_any=["Ada  Quill’s"]), _answer("Ada Quill's office [1]"), [],
            Verdict(True, "answered correctly"),
        ),
    ],
)  # fmt: skip
def test_verdict_rules(
    case: EvalCase, answer: Answer, misquoted: list[int], verdict: Verdict
) -> None:
    assert judge(case, answer, misquoted) == verdict


def _scored(evidence: float, unanswerable: bool) -> Result:
    case = _case(unanswerable=unanswerable)
    answer = Answer("q", "a", evidence < 0.5, evidence=evidence)
    return Result(case, answer, Verdict(True, "answered correctly"), 10.0)


def test_the_suggested_threshold_separates_the_two_kinds_best() -> None:
    results = [_scored(e, False) for e in (0.9, 0.8, 0.7, 0.45)]
    results += [_scored(e, True) for e in (0.05, 0.2, 0.5)]
    best = suggest_threshold(results, current=0.35)
    assert best is not None
    # 0.35 refuses 2 of 3 unanswerable; past 0.5 one answerable is refused too; the best
    # balanced choice lies between 0.5 and 0.7.
    assert 0.5 < best.value < 0.7
    assert (best.precision, best.recall, best.wrongly_refused) == (0.75, 1.0, 1)
    assert suggest_threshold([_scored(0.9, False)], 0.35) is None


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, settings: Settings, service: DocQA) -> CliRunner:
    """A runner whose commands use the fake-embedding service of the fixtures."""
    monkeypatch.setattr(
        common,
        "service",
        lambda index_dir: DocQA(settings, service.embeddings, pair_scorer=service.pair_scorer),
    )
    return CliRunner()


def test_a_run_writes_every_file_and_its_exit_status(
    run: CliRunner, corpus: Path, tmp_path: Path
) -> None:
    assert run.invoke(cli.app, ["index", str(corpus)]).exit_code == 0
    questions = _lines(
        tmp_path,
        '{"id": "pay", "question": "What pay rise did the unions accept?", '
        '"answer_any": ["four percent"], "source": ["gamma.html"]}',
        '{"id": "wrong", "question": "What pay rise did the unions accept?", '
        '"answer_any": ["nine percent"]}',
        '{"id": "chess", "question": "Who won the chess olympiad?", "unanswerable": true}',
        "broken line",
    )
    out = tmp_path / "report"
    result = run.invoke(cli.app, ["eval", str(questions), "--out", str(out), "--suggest-threshold"])
    assert result.exit_code == 0, result.output
    assert "skipped line 4: not valid JSON" in result.output
    assert "2/3 passed" in result.output
    assert "Suggested refusal threshold" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["verdicts"] == {"pay": "pass", "wrong": "fail", "chess": "pass"}
    assert summary["figures"]["outcomes"]["wrong answer"] == 1
    assert summary["skipped_lines"] == [{"line": 4, "message": "not valid JSON (Expecting value)"}]
    assert "api_token" not in json.dumps(summary["settings"])
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert [x["verdict"] for x in lines] == ["pass", "fail", "pass"]
    assert lines[1]["reason"] == "the answer holds none of 'nine percent'"
    asked = run.invoke(cli.app, ["ask", "--json", "What pay rise did the unions accept?"])
    expected = json.loads(asked.output)
    assert {k: v for k, v in lines[0]["answer"].items() if k != "timings_ms"} == {
        k: v for k, v in expected.items() if k != "timings_ms"
    }
    for name in ("report.html", "report.md", "evidence.png", "refusal.png", "latency.png",
                 "sources.png"):  # fmt: skip
        assert (out / name).stat().st_size > 0
    strict = run.invoke(
        cli.app, ["eval", str(questions), "--out", str(out / "b"), "--min-pass", "90%"]
    )
    assert strict.exit_code == 1
    assert "67% passed, under the 90% asked for" in strict.output


def test_compare_lists_the_verdicts_that_changed(
    run: CliRunner, corpus: Path, tmp_path: Path
) -> None:
    run.invoke(cli.app, ["index", str(corpus)])
    question = '{"id": "pay", "question": "What pay rise did the unions accept?", '
    first = _lines(tmp_path, question + '"answer_any": ["four percent"]}')
    run.invoke(cli.app, ["eval", str(first), "--out", str(tmp_path / "a")])
    second = tmp_path / "second.jsonl"
    second.write_text(question + '"answer_any": ["five percent"]}\n', encoding="utf-8")
    compare = tmp_path / "a" / "summary.json"
    result = run.invoke(
        cli.app, ["eval", str(second), "--out", str(tmp_path / "b"), "--compare", str(compare)]
    )
    assert result.exit_code == 0, result.output
    report = (tmp_path / "b" / "report.md").read_text()
    assert "## Verdicts that changed since a (1)" in report
    assert "- pay: pass → fail" in report


def test_unusable_input_exits_with_2(run: CliRunner, corpus: Path, tmp_path: Path) -> None:
    run.invoke(cli.app, ["index", str(corpus)])
    missing = run.invoke(cli.app, ["eval", str(tmp_path / "none.jsonl")])
    assert missing.exit_code == 2
    assert "Cannot read the questions file" in missing.output
    empty = run.invoke(cli.app, ["eval", str(_lines(tmp_path, "nonsense", "{}"))])
    assert empty.exit_code == 2
    assert "holds no usable question (line 1: not valid JSON" in empty.output
    bad_share = run.invoke(cli.app, ["eval", str(tmp_path / "x"), "--min-pass", "lots"])
    assert bad_share.exit_code == 2
