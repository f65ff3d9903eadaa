"""Optional parts as extras: missing, each says the command that installs it, and what
does not need it goes on."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app import cli
from app.cli import common
from app.errors import ModelUnavailableError
from app.extras import EXTRAS, installed, require
from app.service import DocQA
from app.settings import EmbeddingSettings, Settings, StoreSettings


@pytest.fixture
def without(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Make the modules named look uninstalled."""
    real = importlib.util.find_spec

    def hide(*modules: str) -> None:
        monkeypatch.setattr(
            importlib.util, "find_spec",
            lambda name, *a: None if name.split(".")[0] in modules else real(name, *a),
        )  # fmt: skip

    return hide


def test_the_test_environment_has_every_extra() -> None:
    assert [e for e in EXTRAS if e != "llamacpp" and not installed(e)] == []


@pytest.mark.parametrize("extra", ["openvino", "postgres", "plots", "openai"])
def test_a_missing_extra_names_the_command_that_installs_it(without, extra: str) -> None:  # type: ignore[no-untyped-def]
    without(EXTRAS[extra][0][0])
    with pytest.raises(ModelUnavailableError, match=rf"pip install 'docqa\[{extra}\]'"):
        require(extra)


def test_the_default_runtime_without_openvino_says_what_to_do(without) -> None:  # type: ignore[no-untyped-def]
    from app.embeddings import make_embeddings

    without("openvino")
    with pytest.raises(ModelUnavailableError, match="DOCQA_EMBEDDING__RUNTIME=onnx-int8"):
        make_embeddings(EmbeddingSettings())
    make_embeddings(EmbeddingSettings(runtime="onnx-int8"))  # included: no extra needed


def test_the_postgres_store_without_its_extra_says_what_to_do(without, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from app.store import make_backend

    without("psycopg")
    with pytest.raises(ModelUnavailableError, match=r"docqa\[postgres\]"):
        make_backend(tmp_path, StoreSettings(kind="postgres", postgres={"url": "postgresql://x"}))  # type: ignore[arg-type]


def test_an_evaluation_without_matplotlib_is_a_report_without_plots(
    without, monkeypatch: pytest.MonkeyPatch, settings: Settings, service: DocQA,  # type: ignore[no-untyped-def]
    corpus: Path, tmp_path: Path,
) -> None:  # fmt: skip
    monkeypatch.setattr(
        common,
        "service",
        lambda index_dir: DocQA(settings, service.embeddings, pair_scorer=service.pair_scorer),
    )
    run = CliRunner()
    assert run.invoke(cli.app, ["index", str(corpus)]).exit_code == 0
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"question": "What pay rise did the unions accept?"}\n')
    without("matplotlib")
    result = run.invoke(cli.app, ["eval", str(questions), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    report = (tmp_path / "out" / "report.md").read_text()
    assert "No plots: they need the 'plots' extra" in report
    assert not list((tmp_path / "out").glob("*.png"))
