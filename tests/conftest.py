"""Shared fixtures: a tiny corpus in tmp_path and fake, deterministic embeddings."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from pydantic import SecretStr

from app.embeddings.packaged import MODEL_DIMENSION
from app.service import DocQA
from app.settings import PostgresSettings, RerankSettings, Settings, StoreSettings
from tests.bench.postgres import EmbeddedPostgres
from tests.support.scorer import TermScorer

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SHARED = REPO.parent / "shared"


def shared_file(*parts: str) -> Path:
    """A file of ../shared (benchmark data beside the checkout); the test is skipped,
    saying which file, when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"{path} is absent (../shared holds the benchmark and evaluation data)")
    return path


class CountingFakeEmbeddings(DeterministicFakeEmbedding):
    """LangChain's deterministic fake, counting how many texts it embedded."""

    embedded: int = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed and count."""
        self.embedded += len(texts)
        return super().embed_documents(texts)


ARTICLES = {
    "alpha.txt": "date 2026-01-05 The river Wendle flooded the town of Marsby on Monday. "
    "Officials said 40 homes were evacuated.\n\nThe mayor, Ada Quill, promised new levees "
    "by spring. Engineers estimate the levees will cost 3 million euros.",
    "beta.md": "---\ntitle: Orchard harvest report\ndate: 2026-02-10\n---\n# Harvest\n\n"
    "Apple growers in Tillby reported a record harvest of 12,000 tonnes. "
    "Cold nights in October gave the fruit its colour.",
    "gamma.html": "<html><head><title>Rail strike ends</title>"
    '<meta property="article:published_time" content="2026-03-01T08:00:00Z"></head>'
    "<body><p>The national rail strike ended after nine days.</p>"
    "<p>Unions accepted a pay rise of four percent.</p>"
    "<script>alert('x')</script></body></html>",
}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A folder with three small articles in three formats."""
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def fake_embeddings() -> CountingFakeEmbeddings:
    """Deterministic fake embeddings of the real model's dimension."""
    return CountingFakeEmbeddings(size=MODEL_DIMENSION)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Default settings with the index in tmp_path, and no reranking model.

    The refusal threshold is calibrated for the real model; fake vectors carry no meaning,
    so with them only the lexical and passage parts of the score can clear it.
    """
    return Settings(
        index_dir=tmp_path / "index",
        rerank=RerankSettings(model="none", no_model_threshold=0.45),
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def service(settings: Settings, fake_embeddings: CountingFakeEmbeddings) -> DocQA:
    """The core with fake embeddings, reranked by the production reranker over a pair
    scorer that reads words (``tests/support/scorer.py``)."""
    return DocQA(settings, embeddings=fake_embeddings, pair_scorer=TermScorer())


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> DocQA:
    """The seeds indexed with the real packaged model (the default runtime), once per run."""
    root = tmp_path_factory.mktemp("seeded")
    shutil.copytree(SEEDS, root / "seeds")
    service = DocQA(Settings(index_dir=root / "index", _env_file=None))  # type: ignore[call-arg]
    report = service.index([root / "seeds"])
    assert (report.documents, report.skipped) == (2, [])
    return service


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    """A real PostgreSQL 18 with pgvector, started once per run, stopped (and its files
    removed) afterwards."""
    server = EmbeddedPostgres(tmp_path_factory.mktemp("postgres") / "data")
    yield server
    server.cleanup()


@pytest.fixture
def postgres_url(postgres_server: EmbeddedPostgres) -> str:
    """An empty database of the session's server."""
    return postgres_server.new_database()


def on_postgres(settings: Settings, url: str, **store: object) -> Settings:
    """``settings`` with the index kept in the database at ``url``."""
    return settings.model_copy(
        update={
            "store": StoreSettings(
                kind="postgres",
                postgres=PostgresSettings(url=SecretStr(url), **store),  # type: ignore[arg-type]
            )
        }
    )


@pytest.fixture(params=["local", "postgres"])
def backend_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """The default test settings on each store backend: the folder, and a fresh database."""
    if request.param == "postgres":
        return on_postgres(settings, request.getfixturevalue("postgres_url"))
    return settings


@pytest.fixture
def any_service(
    backend_settings: Settings, fake_embeddings: CountingFakeEmbeddings
) -> Iterator[DocQA]:
    """The core with fake embeddings and the word-reading pair scorer, on each store
    backend."""
    service = DocQA(backend_settings, embeddings=fake_embeddings, pair_scorer=TermScorer())
    yield service
    service.close()


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (one per test module: its event
    loop must not outlive the module's tests)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """Three departments' articles and the access file that splits them."""
    from tests.support.org import write_archive

    return write_archive(tmp_path / "archive")


@pytest.fixture
def org(
    backend_settings: Settings, fake_embeddings: CountingFakeEmbeddings, archive: Path
) -> Iterator[tuple[Any, DocQA]]:
    """The archive indexed on each store backend, served with user tokens (HS256)."""
    from tests.support.org import org_settings, served

    yield from served(org_settings(backend_settings), fake_embeddings, archive)


@pytest.fixture
def local_org(
    settings: Settings, fake_embeddings: CountingFakeEmbeddings, archive: Path
) -> Iterator[tuple[Any, DocQA]]:
    """The archive on the local backend only (for the edge's own behaviour)."""
    from tests.support.org import org_settings, served

    yield from served(org_settings(settings), fake_embeddings, archive)
