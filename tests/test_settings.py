"""Settings grouped by stage, and every variable name of earlier releases still read."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.settings import EARLIER_NAMES, Settings, StoreSettings

# An earlier variable, the value set, and where it must land (dotted path, value read).
EARLIER = [
    ("DOCQA_HOST", "0.0.0.0", "server.host", "0.0.0.0"),
    ("DOCQA_PORT", "8081", "server.port", 8081),
    ("DOCQA_EMBED_ORIGINS", "https://portal.example.org", "server.embed_origins",
     ["https://portal.example.org"]),
    ("DOCQA_API_TOKEN", "s3cret", "server.api_token", "s3cret"),
    ("DOCQA_MAX_BODY_BYTES", "4096", "server.max_body_bytes", 4096),
    ("DOCQA_LLM_PROVIDER", "ollama", "llm.provider", "ollama"),
    ("DOCQA_LLM_BASE_URL", "http://127.0.0.1:11434", "llm.base_url", "http://127.0.0.1:11434"),
    ("DOCQA_LLM_MODEL", "m", "llm.model", "m"),
    ("DOCQA_LLM_API_KEY", "sk-1", "llm.api_key", "sk-1"),
    ("DOCQA_LLM_TEMPERATURE", "0.5", "llm.temperature", 0.5),
    ("DOCQA_LLM_MAX_TOKENS", "99", "llm.max_tokens", 99),
    ("DOCQA_LLM_TIMEOUT", "7", "llm.timeout", 7.0),
    ("DOCQA_LLM_CONTEXT", "2048", "llm.context", 2048),
    ("DOCQA_ANSWER__MIN_SCORE", "0.5", "rerank.no_model_threshold", 0.5),
    ("DOCQA_STORE__URL", "postgresql://u@h/db", "store.url", "postgresql://u@h/db"),
    ("DOCQA_STORE__PG_EF_SEARCH", "200", "store.postgres.ef_search", 200),
    ("DOCQA_STORE__PG_EXACT_UNDER", "5", "store.postgres.exact_under", 5),
    ("DOCQA_STORE__GRACE_SECONDS", "9", "store.postgres.grace_seconds", 9.0),
    ("DOCQA_STORE__DENSE__KIND", "hnsw", "store.folder.dense.kind", "hnsw"),
]  # fmt: skip


def read(settings: object, path: str) -> object:
    for name in path.split("."):
        settings = getattr(settings, name)
    return settings.get_secret_value() if hasattr(settings, "get_secret_value") else settings


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No DOCQA_* variable of the machine leaks in; no .env file of the checkout is read."""
    import os

    for name in [n for n in os.environ if n.startswith("DOCQA_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(("variable", "value", "path", "expected"), EARLIER)
def test_a_variable_of_an_earlier_release_still_sets_what_it_set(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, path: str, expected: object
) -> None:
    monkeypatch.setenv(variable, value)
    assert read(Settings(), path) == expected


def test_every_earlier_top_level_name_is_covered() -> None:
    tested = {v.removeprefix("DOCQA_").lower() for v, *_ in EARLIER}
    assert set(EARLIER_NAMES) <= tested


def test_the_new_name_wins_over_the_earlier_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCQA_PORT", "8081")
    monkeypatch.setenv("DOCQA_SERVER__PORT", "9090")
    monkeypatch.setenv("DOCQA_LLM_MODEL", "old")
    monkeypatch.setenv("DOCQA_LLM__MODEL", "new")
    settings = Settings()
    assert (settings.server.port, settings.llm.model) == (9090, "new")


def test_earlier_names_are_read_from_the_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DOCQA_PORT=8082\nDOCQA_LLM_PROVIDER=openai\n")
    settings = Settings()
    assert (settings.server.port, settings.llm.provider) == (8082, "openai")


def test_keywords_of_earlier_releases_beat_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCQA_SERVER__PORT", "9090")
    settings = Settings(port=1234, api_token="t", llm_provider="ollama")  # type: ignore[call-arg]
    assert settings.server.port == 1234
    assert read(settings, "server.api_token") == "t"
    assert settings.llm.provider == "ollama"


def test_the_store_kind_is_explicit_or_follows_the_url() -> None:
    assert Settings().store.kind == "folder"
    url = {"url": "postgresql://u@h/db"}
    assert StoreSettings(postgres=url).kind == "postgres"  # type: ignore[arg-type]
    assert StoreSettings(kind="folder", postgres=url).url is None  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="DOCQA_STORE__POSTGRES__URL"):
        StoreSettings(kind="postgres")


def test_the_llm_answerer_names_the_variables_it_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCQA_ANSWERER", "llm")
    with pytest.raises(ValidationError, match="DOCQA_LLM__PROVIDER"):
        Settings()


def test_every_tuning_weight_is_a_setting_that_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.settings import ComposerWeights, IndexingSettings, ReadingWeights

    for group in (ReadingWeights, ComposerWeights, IndexingSettings):
        for name, field in group.model_fields.items():
            assert field.description, f"{group.__name__}.{name} says nothing of its value"
    monkeypatch.setenv("DOCQA_RERANK__WEIGHTS__WINDOW", "0.1")
    monkeypatch.setenv("DOCQA_ANSWER__WEIGHTS__TIMELINE_LINES", "2")
    monkeypatch.setenv("DOCQA_INDEXING__BATCH", "8")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.rerank.weights.window == 0.1
    assert settings.answer.weights.timeline_lines == 2
    assert settings.indexing.batch == 8
