"""What only the shared database does: index workers splitting a run, a worker dying
mid-batch, readers staying on their generation, old rows collected, and the database
going away and coming back. Against a real PostgreSQL 18 with pgvector."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from app.errors import IndexNotFoundError, StoreUnavailableError
from app.indexing import IndexReport
from app.server import create_app
from app.service import DocQA
from app.settings import Settings
from app.store.postgres.check import problems
from tests.bench.postgres import EmbeddedPostgres
from tests.conftest import CountingFakeEmbeddings, on_postgres

ARTICLES = 100  # four batches of 32 and a bit


def _write(folder: Path, n: int, tag: str = "") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"a{i:03d}.txt").write_text(
            f"date 2026-02-{1 + i % 28:02d} Report {i}{tag}. The harbour council met about "
            f"bridge number {i}.\n\nEngineers said repairs to bridge {i} would take {i} weeks.",
            "utf-8",
        )


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    _write(folder, ARTICLES)
    return folder


class SlowEmbeddings(CountingFakeEmbeddings):
    """Takes its time, so two workers interleave; dies after ``die_after`` calls if set."""

    delay: float = 0.02
    die_after: int | None = None
    calls: int = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed slowly, or die."""
        self.calls += 1
        if self.die_after is not None and self.calls > self.die_after:
            raise RuntimeError("worker killed")
        time.sleep(self.delay)
        return super().embed_documents(texts)


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as connection:
        return list(connection.execute(sql).fetchall())


def _consistent(url: str) -> None:
    """No document doubled or half-written in the live generation, counts agree, every
    term's document frequency matches its postings."""
    with psycopg.connect(url) as connection:
        assert problems(connection) == []


def _index(service: DocQA, folder: Path, out: dict[str, Any], name: str) -> None:
    try:
        out[name] = service.index([folder])
    except Exception as exc:  # the thread's outcome, checked by the test
        out[name] = exc


def test_two_workers_split_a_run_and_it_is_published_once(
    settings: Settings, postgres_url: str, articles: Path
) -> None:
    config = on_postgres(settings, postgres_url)
    first, second = SlowEmbeddings(size=384), SlowEmbeddings(size=384)
    workers = [DocQA(config, embeddings=first), DocQA(config, embeddings=second)]
    out: dict[str, Any] = {}
    threads = [
        threading.Thread(target=_index, args=(w, articles, out, str(n)))
        for n, w in enumerate(workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reports: list[IndexReport] = [out["0"], out["1"]]
    assert all(isinstance(r, IndexReport) for r in reports), out
    assert sum(r.new_documents for r in reports) == ARTICLES, "no document done twice"
    assert min(r.new_documents for r in reports) > 0, "both workers took a share"
    assert first.embedded + second.embedded == reports[0].chunks
    assert sorted(r.published_by_other for r in reports) == [False, True]
    assert reports[0].version == reports[1].version
    assert len(workers[0].store.sources()) == ARTICLES
    _consistent(postgres_url)
    for worker in workers:
        worker.close()


def test_a_worker_dying_mid_batch_loses_nothing(
    settings: Settings, postgres_url: str, articles: Path
) -> None:
    config = on_postgres(settings, postgres_url)
    dying = SlowEmbeddings(size=384, die_after=2)  # two batches done, dies in the third
    with pytest.raises(RuntimeError, match="worker killed"):
        DocQA(config, embeddings=dying).index([articles])
    assert _rows(postgres_url, "SELECT count(*) FROM docqa_generations") == [(0,)]
    staged = _rows(postgres_url, "SELECT count(*) FROM docqa_staged_documents")
    assert staged == [(64,)], "the two finished batches are kept, the third rolled back"
    # A file staged before the worker died changes before the next run.
    (articles / "a000.txt").write_text("date 2026-02-01 Report 0 rewritten after the crash.")
    # The next run with the same paths resumes the orphaned run: only the rest (and the
    # changed file) is embedded; what was staged from unchanged bytes is kept.
    rest = CountingFakeEmbeddings(size=384)
    service = DocQA(config, embeddings=rest)
    report = service.index([articles])
    assert report.new_documents == ARTICLES - 64 + 1
    assert len(service.store.sources()) == ARTICLES
    texts = {s: service.store.document(i).text for i, s in service.store.sources().items()}  # type: ignore[union-attr]
    assert texts["reports/a000.txt"] == "Report 0 rewritten after the crash."
    _consistent(postgres_url)
    service.close()


def test_a_run_with_other_paths_abandons_an_orphaned_run(
    settings: Settings, postgres_url: str, articles: Path, tmp_path: Path
) -> None:
    config = on_postgres(settings, postgres_url)
    with pytest.raises(RuntimeError):
        DocQA(config, embeddings=SlowEmbeddings(size=384, die_after=1)).index([articles])
    other = tmp_path / "other"
    _write(other, 3, tag=" (other)")
    service = DocQA(config, embeddings=CountingFakeEmbeddings(size=384))
    report = service.index([other])
    assert report.documents == 3
    assert sorted(service.store.sources().values()) == [f"other/a{i:03d}.txt" for i in range(3)]
    assert _rows(postgres_url, "SELECT count(*) FROM docqa_staged_documents") == [(0,)]
    assert _rows(postgres_url, "SELECT state, count(*) FROM docqa_runs GROUP BY 1 ORDER BY 1") == [
        ("abandoned", 1),
        ("published", 1),
    ]
    service.close()


def test_a_reader_stays_on_its_generation_until_the_next_question(
    settings: Settings, postgres_url: str, articles: Path
) -> None:
    config = on_postgres(settings, postgres_url, grace_seconds=0)
    embeddings = CountingFakeEmbeddings(size=384)
    reader = DocQA(config, embeddings=embeddings)
    reader.index([articles])
    old = reader.store
    (articles / "a007.txt").write_text(
        "date 2026-03-01 Report 7 revised. The ferry to Marsby was cancelled.", "utf-8"
    )
    writer = DocQA(config, embeddings=embeddings)
    before = embeddings.embedded
    report = writer.index([articles])
    assert embeddings.embedded - before == 1, "one changed document, one chunk embedded"
    assert (report.new_documents, report.reused_documents) == (1, ARTICLES - 1)
    # The open store still reads its generation whole: the old text, the old statistics.
    assert old.latest() != old.version
    texts = [old.document(i).text for i in old.sources()]  # type: ignore[union-attr]
    assert not any("ferry" in t for t in texts)
    assert not old.knows_any(["ferri"])
    # The next question opens the new generation.
    answer = reader.ask("Was the ferry to Marsby cancelled?")
    assert reader.store.version == report.version
    assert any("ferry" in c.quote for c in (*answer.citations, *answer.closest))
    _consistent(postgres_url)
    # Replaced rows go once no generation that held them can be read (grace 0 here).
    (articles / "a008.txt").unlink()
    writer.index([articles])
    with pytest.raises(IndexNotFoundError):
        old.check()
    left = _rows(postgres_url, "SELECT count(*) FROM docqa_documents WHERE removed IS NOT NULL")
    assert left == [(1,)], "only the row the previous generation still holds is kept"
    for service in (reader, writer):
        service.close()


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[EmbeddedPostgres]:
    """A server of this test's own, to stop and start."""
    server = EmbeddedPostgres(tmp_path / "pg")
    yield server
    server.cleanup()


def test_the_server_answers_503_while_the_database_is_down_and_recovers(
    settings: Settings, own_postgres: EmbeddedPostgres, corpus: Path
) -> None:
    config = on_postgres(settings, own_postgres.new_database())
    service = DocQA(config, embeddings=CountingFakeEmbeddings(size=384))
    service.index([corpus])
    question = {"question": "Who is the mayor of Marsby?"}
    with TestClient(create_app(config, service, ui=False)) as client:
        assert client.post("/api/ask", json=question).status_code == 200
        own_postgres.stop()
        down = client.post("/api/ask", json=question)
        assert down.status_code == 503
        assert down.json()["error"] == "index_unavailable"
        assert down.json()["message"] == StoreUnavailableError.FOR_READERS  # no host named
        assert client.get("/api/health").status_code == 503
        own_postgres.start()
        back = client.post("/api/ask", json=question)
        assert back.status_code == 200, back.text
        assert back.json()["citations"]
        health = client.get("/api/health").json()
        assert health["backend"].startswith("postgresql 18")
    service.close()


def test_an_unreachable_database_at_start_is_named(
    settings: Settings, own_postgres: EmbeddedPostgres, corpus: Path
) -> None:
    url = own_postgres.new_database()
    own_postgres.stop()
    service = DocQA(on_postgres(settings, url), embeddings=CountingFakeEmbeddings(size=384))
    with pytest.raises(StoreUnavailableError, match="Cannot reach the database at"):
        service.index([corpus])
    with pytest.raises(StoreUnavailableError):
        service.warm()


def test_the_whole_check_names_half_written_documents_and_wrong_counts(
    settings: Settings, postgres_url: str, articles: Path
) -> None:
    service = DocQA(
        on_postgres(settings, postgres_url), embeddings=CountingFakeEmbeddings(size=384)
    )
    service.index([articles])
    service.close()
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        assert problems(connection) == []
        connection.execute("DELETE FROM docqa_chunks WHERE id = (SELECT max(id) FROM docqa_chunks)")
        connection.execute("UPDATE docqa_terms SET df = df + 1 WHERE term = 'bridg'")
        found = problems(connection)
    assert any("without all their chunks" in p for p in found), found
    assert any("the generation counts" in p for p in found), found
    assert any("terms with a wrong document frequency" in p for p in found), found


def test_serve_refuses_to_start_on_an_unreachable_database(
    own_postgres: EmbeddedPostgres, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from app import cli

    url = own_postgres.new_database().replace("postgres:@", "postgres:s3cret@", 1)
    assert "s3cret" in url
    own_postgres.stop()
    monkeypatch.setenv("DOCQA_STORE__URL", url)
    started: list[object] = []
    monkeypatch.setattr("app.server.serve", lambda *a: started.append(a))
    result = CliRunner().invoke(cli.app, ["serve", "--index-dir", str(tmp_path / "index")])
    assert result.exit_code == 1
    assert "Cannot reach the database at" in result.output
    assert "s3cret" not in result.output
    assert started == []
