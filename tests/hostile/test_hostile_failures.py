"""Failures that must be answers: a long question, a refusal whose record cannot be
kept, a database role that may only read, a database killed during indexing, a disk
that fills up. Each is a clear message (or a plain answer), never a 500 or a traceback,
and what was there before keeps serving."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app import cli
from app.cli import common
from app.jobs import Jobs
from app.server import create_app
from app.service import DocQA
from app.settings import Settings
from app.store.library import NewUpload
from tests.conftest import CountingFakeEmbeddings, on_postgres
from tests.support.disk import fill, small_disk
from tests.support.org import STATIC, bearer, org_settings, write_archive

LONG = (
    "I have been reading about the conflict for weeks and I would like to understand, in "
    "plain words and with the sources, "
) * 14 + "what did Pakistan bomb on February 27?"


@pytest.mark.model
def test_a_question_as_long_as_the_limit_allows_is_answered(seeded: DocQA) -> None:
    assert 1_500 < len(LONG) <= seeded.settings.max_question_chars
    with TestClient(create_app(seeded.settings, seeded, ui=False)) as client:
        asked = client.post("/api/ask", json={"question": LONG})
        assert asked.status_code == 200, asked.text
        assert asked.json()["citations"]
        streamed = client.post("/api/ask/stream", json={"question": LONG})
        assert streamed.status_code == 200
        assert "event: done" in streamed.text
        assert "event: error" not in streamed.text
        follow = client.post(
            "/api/ask",
            json={"question": "And Kandahar?",
                  "history": [{"role": "user", "content": LONG[:1_900]},
                              {"role": "assistant", "content": LONG[:1_900]}]},
        )  # fmt: skip
        assert follow.status_code == 200, follow.text


def _refused(client: TestClient) -> dict[str, Any]:
    asked = client.post("/api/ask", json={"question": "zzqx wuvv?"}, headers=bearer(STATIC))
    assert asked.status_code == 200, asked.text
    assert asked.json()["refused"]
    return asked.json()


def test_a_refusal_is_answered_when_its_record_cannot_be_kept(
    settings: Settings,
    fake_embeddings: CountingFakeEmbeddings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    configured = org_settings(settings)
    service = DocQA(configured, embeddings=fake_embeddings)
    service.index([write_archive(tmp_path / "archive")])
    (configured.index_dir / "feedback.sqlite").mkdir()  # not a database it can open
    with TestClient(create_app(configured, service, ui=False)) as client:
        with caplog.at_level(logging.WARNING):
            _refused(client)
        assert "refusal not recorded" in caplog.text
        health = client.get("/api/health").json()
        assert health["status"] == "ok"
        assert health["feedback"]["status"] == "degraded"
        assert "feedback.sqlite" in health["feedback"]["problem"]
        verdict = client.post(
            "/api/feedback",
            headers=bearer(STATIC),
            json={"verdict": "helpful", "question": "q", "answer": "a"},
        )
        assert verdict.status_code == 503
        assert verdict.json()["error"] == "feedback_unavailable"
    service.close()


def test_a_refusal_is_answered_on_a_full_disk(
    settings: Settings, fake_embeddings: CountingFakeEmbeddings, tmp_path: Path
) -> None:
    with small_disk(tmp_path / "disk", "8m") as disk:
        configured = org_settings(settings.model_copy(update={"index_dir": disk / "index"}))
        service = DocQA(configured, embeddings=fake_embeddings)
        service.index([write_archive(tmp_path / "archive")])
        fill(disk)
        with TestClient(create_app(configured, service, ui=False)) as client:
            _refused(client)
            assert client.get("/api/health").json()["feedback"]["status"] == "degraded"
        service.close()


def _role(url: str, name: str, grants: list[str]) -> str:
    """A login role with ``grants`` on the database of ``url``; its URL."""
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {name} LOGIN")
        for grant in grants:
            admin.execute(grant.format(role=name))
    _, _, rest = url.partition("://")[2].partition("@")
    return f"postgresql://{name}:@{rest}"


def test_a_role_that_may_only_read_serves_questions(
    settings: Settings, fake_embeddings: CountingFakeEmbeddings, tmp_path: Path, postgres_url: str
) -> None:
    owner = org_settings(on_postgres(settings, postgres_url))
    builder = DocQA(owner, embeddings=fake_embeddings)
    builder.index([write_archive(tmp_path / "archive")])
    builder.close()
    reader_url = _role(postgres_url, "docqa_reader", [
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}",
    ])  # fmt: skip
    configured = org_settings(on_postgres(settings, reader_url))
    service = DocQA(configured, embeddings=fake_embeddings)
    with TestClient(create_app(configured, service, ui=False)) as client:
        assert client.get("/api/health").status_code == 200
        asked = client.post("/api/ask", json={"question": "harbour budget?"},
                            headers=bearer(STATIC))  # fmt: skip
        assert asked.status_code == 200
        assert asked.json()["citations"]
        _refused(client)
        assert client.get("/api/health").json()["feedback"]["status"] == "degraded"
        sent = client.post(
            "/api/documents",
            headers=bearer(STATIC),
            files=[("files", ("a.txt", b"date 2026-01-01 The pier.", "text/plain"))],
        )
        assert sent.status_code == 503
        assert "may not keep the upload" in sent.json()["message"]
        assert "permission denied" in sent.json()["message"]
    service.close()


def test_a_new_database_and_a_role_that_may_only_read_says_what_is_missing(
    settings: Settings, postgres_url: str, tmp_path: Path
) -> None:
    reader_url = _role(postgres_url, "docqa_nobody", [])
    service = DocQA(on_postgres(settings, reader_url))
    with pytest.raises(Exception, match="may not create or upgrade docqa's tables"):
        service.index([write_archive(tmp_path / "archive")])


class KillsTheDatabase(CountingFakeEmbeddings):
    """Fake embeddings that, at their first call, end every other session of the database
    (as a restart of PostgreSQL would)."""

    url: str = ""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """End the other sessions, then embed."""
        with psycopg.connect(self.url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        return super().embed_documents(texts)


def test_the_database_going_away_during_indexing_is_one_line(
    settings: Settings, postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    embeddings = KillsTheDatabase(size=384, url=postgres_url)
    service = DocQA(on_postgres(settings, postgres_url), embeddings=embeddings)
    monkeypatch.setattr(common, "service", lambda index_dir: service)
    result = CliRunner().invoke(cli.app, ["index", str(write_archive(tmp_path / "archive"))])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    (line,) = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert "Cannot reach the database at" in line
    assert "password" not in line


def test_indexing_onto_a_full_disk_is_one_line_and_the_index_keeps_serving(
    settings: Settings,
    fake_embeddings: CountingFakeEmbeddings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    archive = write_archive(tmp_path / "archive")
    with small_disk(tmp_path / "disk", "8m") as disk:
        configured = settings.model_copy(update={"index_dir": disk / "index"})
        service = DocQA(configured, embeddings=fake_embeddings)
        service.index([archive])
        before = service.ask("harbour budget?").answer
        (archive / "news" / "more.txt").write_text(
            "date 2026-02-09 " + "The pass reopened. " * 20_000, encoding="utf-8"
        )
        fill(disk)
        monkeypatch.setattr(common, "service", lambda index_dir: service)
        result = CliRunner().invoke(cli.app, ["index", str(archive)])
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        assert "No room left on the disk" in result.output
        assert "previous version keeps serving" in result.output
        assert service.ask("harbour budget?").answer == before
        assert not list((disk / "index").glob(".tmp-*"))
        service.close()


def test_a_job_worker_without_write_access_waits_and_says_so_once(
    settings: Settings,
    fake_embeddings: CountingFakeEmbeddings,
    tmp_path: Path,
    postgres_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    owner = DocQA(on_postgres(settings, postgres_url), embeddings=fake_embeddings)
    owner.index([write_archive(tmp_path / "archive")])
    Jobs(owner).upload([NewUpload("a.txt", b"date 2026-01-01 The pier.")], [], None)
    reader_url = _role(postgres_url, "docqa_viewer", [
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}",
    ])  # fmt: skip
    viewer = DocQA(on_postgres(settings, reader_url), embeddings=fake_embeddings)
    jobs = Jobs(viewer, poll_seconds=0.01)
    with caplog.at_level(logging.WARNING):
        jobs.start()
        import time

        time.sleep(0.5)
        jobs.close()
    problems = [r for r in caplog.records if "jobs:" in r.getMessage()]
    assert len(problems) == 1, [r.getMessage() for r in problems]
    assert "may not claim a job" in problems[0].getMessage()
    assert owner.library.waiting()  # still queued for a server that may run it
    owner.close()
    viewer.close()
