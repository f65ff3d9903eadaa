"""Documents over the API as a hostile user and an unlucky operator would send them: who
may read an upload, what a re-upload or its front matter changes, names that collide,
deletions, jobs that outlive their server, a full queue and a full disk. Each case says
its status, its message and what is kept, on both store backends where the store is
involved."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app import cli
from app.cli import common
from app.jobs import Jobs
from app.server import create_app
from app.service import DocQA
from app.settings import Settings
from app.sources import MAX_DEPTH
from app.store.library import NewUpload, upload_source
from tests.conftest import CountingFakeEmbeddings
from tests.support.disk import fill, small_disk
from tests.support.files import zipped
from tests.support.org import (
    STATIC,
    bearer,
    org_settings,
    served,
    sources_of,
    token,
    wait_for,
    write_archive,
)

ADMIN = bearer(STATIC)
MERGER = (
    b"---\ngroups: [everyone]\n---\n# Merger\n\nThe merger with Kestrel Holdings closes on 9 March."
)
SALARY = b"date 2026-02-04 The director's salary is 189,900 euros a year."


@pytest.fixture
def org(
    backend_settings: Settings, fake_embeddings: CountingFakeEmbeddings, tmp_path: Path
) -> Iterator[tuple[TestClient, DocQA]]:
    """The archive indexed on each store backend, served with user tokens."""
    archive = write_archive(tmp_path / "archive")
    yield from served(org_settings(backend_settings, max_files=20), fake_embeddings, archive)


def _upload(
    client: TestClient, files: list[tuple[str, bytes]], groups: str | None = None
) -> dict[str, Any]:
    sent = client.post(
        "/api/documents",
        files=[("files", (name, data, "application/octet-stream")) for name, data in files],
        data={"groups": groups} if groups is not None else {},
        headers=ADMIN,
    )
    assert sent.status_code == 202, sent.text
    done = wait_for(client, sent.json()["job"], ADMIN)
    assert done["state"] == "done", done
    return done


def _asks(client: TestClient, question: str, groups: list[str]) -> dict[str, Any]:
    answer = client.post(
        "/api/ask", json={"question": question}, headers=bearer(token("u", groups))
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _readable(service: DocQA, source: str, groups: list[str]) -> bool:
    """Whether a reader of ``groups`` may open the document indexed as ``source``."""
    from tests.support.org import reader

    keys = {d.source: d.key for d in service.catalogue(0, 1000)}
    return service.document(keys[source], reader(groups)) is not None


def test_front_matter_narrows_the_groups_an_admin_gave_and_never_widens_them(
    org: tuple[TestClient, DocQA],
) -> None:
    client, service = org
    _upload(client, [("merger.md", MERGER)], groups="board")
    source = upload_source("merger.md")
    assert not _readable(service, source, ["hr"])
    assert _readable(service, source, ["board"])
    answer = _asks(client, "When does the merger with Kestrel Holdings close?", ["hr"])
    assert source not in sources_of(answer)
    assert "Kestrel" not in answer["answer"]
    # Front matter naming a group the admin did not give leaves nobody but service accounts.
    narrowed = b"---\ngroups: [hr]\n---\n# Merger\n\nThe merger closes on 9 March."
    _upload(client, [("merger.md", narrowed)], groups="board")
    assert not _readable(service, source, ["hr"])
    assert not _readable(service, source, ["board"])
    assert service.document(next(d.key for d in service.catalogue() if d.source == source))
    # Within what the admin gave, front matter narrows.
    both = b"---\ngroups: [board]\n---\n# Merger\n\nThe merger closes on 10 March."
    _upload(client, [("merger.md", both)], groups="board,hr")
    assert _readable(service, source, ["board"])
    assert not _readable(service, source, ["hr"])


def test_a_re_upload_without_groups_keeps_the_groups_it_had(
    org: tuple[TestClient, DocQA],
) -> None:
    client, service = org
    _upload(client, [("salary.txt", SALARY)], groups="board")
    corrected = SALARY.replace(b"189,900", b"198,900")
    _upload(client, [("salary.txt", corrected)])  # no groups field: a correction
    source = upload_source("salary.txt")
    assert not _readable(service, source, ["hr"])
    assert _readable(service, source, ["board"])
    answer = _asks(client, "What is the director's salary?", ["hr"])
    assert "198,900" not in answer["answer"]
    assert source not in sources_of(answer)
    (record,) = service.library.uploads(["salary.txt"])
    assert record.groups == ("board",)
    # A new document with no groups gets the defaults.
    _upload(client, [("memo.txt", b"date 2026-02-05 The canteen opens at noon.")])
    assert _readable(service, upload_source("memo.txt"), ["hr"])


def test_zip_members_with_the_same_name_in_different_folders_are_both_kept(
    org: tuple[TestClient, DocQA],
) -> None:
    client, service = org
    members = {
        "2025/notes.txt": b"date 2025-05-01 The quay was repaired in May 2025.",
        "2026/notes.txt": b"date 2026-05-01 The lighthouse was painted in May 2026.",
        "a?.txt": b"date 2026-01-01 The ferry timetable changed.",
        "a*.txt": b"date 2026-01-02 The bus timetable changed.",
    }
    sent = client.post(
        "/api/documents",
        files=[("files", ("bundle.zip", zipped(members), "application/zip"))],
        headers=ADMIN,
    )
    assert sent.status_code == 202, sent.text
    refused = {r["file"]: r["reason"] for r in sent.json()["refused"]}
    assert refused == {"bundle.zip/a_.txt": "another file of this upload has the same name"}
    done = wait_for(client, sent.json()["job"], ADMIN)
    assert done["report"]["new"] == 3
    indexed = {d.source for d in service.catalogue(0, 1000)}
    assert {
        "upload://bundle.zip/2025/notes.txt",
        "upload://bundle.zip/2026/notes.txt",
        "upload://bundle.zip/a_.txt",
    } <= indexed
    for question, fact in (("When was the quay repaired?", "quay"),
                           ("When was the lighthouse painted?", "lighthouse")):  # fmt: skip
        assert fact in _asks(client, question, [])["answer"]
    # Two files of one upload with the same name: the second is refused, not written over.
    same = client.post(
        "/api/documents",
        headers=ADMIN,
        files=[
            ("files", ("x.txt", b"date 2026-01-01 One.", "text/plain")),
            ("files", ("dir/x.txt", b"date 2026-01-01 Two.", "text/plain")),
        ],
    )
    assert same.json()["refused"] == [
        {"file": "x.txt", "reason": "another file of this upload has the same name"}
    ]


def test_an_operators_folder_named_uploads_and_the_api_uploads_never_touch(
    backend_settings: Settings, fake_embeddings: CountingFakeEmbeddings, tmp_path: Path
) -> None:
    folder = tmp_path / "uploads"
    folder.mkdir()
    (folder / "lighthouse.txt").write_bytes(b"date 2026-01-01 The operator's lighthouse note.")
    settings = org_settings(backend_settings)
    for client, service in served(settings, fake_embeddings, folder):
        _upload(client, [("lighthouse.txt", b"date 2026-01-02 The uploaded lighthouse note.")])
        indexed = {d.source: d for d in service.catalogue()}
        assert set(indexed) == {"uploads/lighthouse.txt", "upload://lighthouse.txt"}
        # Deleting the operator's document removes it, and only it.
        key = indexed["uploads/lighthouse.txt"].key
        removal = client.delete(f"/api/documents/{key}", headers=ADMIN)
        assert wait_for(client, removal.json()["job"], ADMIN)["report"]["removed"] == 1
        assert {d.source for d in service.catalogue()} == {"upload://lighthouse.txt"}
        assert [r.name for r in service.library.uploads()] == ["lighthouse.txt"]
        assert (folder / "lighthouse.txt").is_file()  # the operator's file is theirs
        # A later `docqa index` of the folder keeps the upload beside it.
        service.index([folder])
        assert {d.source for d in service.catalogue()} == {
            "uploads/lighthouse.txt",
            "upload://lighthouse.txt",
        }


def test_sources_of_the_same_name_are_told_apart_or_the_collision_named(
    service: DocQA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for side in ("a", "b"):
        (tmp_path / side / "docs").mkdir(parents=True)
        (tmp_path / side / "docs" / "notes.txt").write_text(
            f"date 2026-01-01 Notes of side {side}: the {side}-team met.", encoding="utf-8"
        )
    monkeypatch.setattr(common, "service", lambda index_dir: service)
    result = CliRunner().invoke(
        cli.app, ["index", str(tmp_path / "a" / "docs"), str(tmp_path / "b" / "docs")]
    )
    assert result.exit_code == 0, result.output
    assert "Indexed 2 documents" in result.output
    assert {d.source for d in service.catalogue()} == {"a/docs/notes.txt", "b/docs/notes.txt"}
    # The same file given twice is one document, the other named as its duplicate.
    report = service.index([tmp_path / "a" / "docs", tmp_path / "a" / "docs" / "notes.txt"])
    assert report.documents == 1
    assert [s.reason for s in report.skipped] == ["duplicate of docs/notes.txt"]


def test_a_folder_nested_deeper_than_any_archive_is_skipped_with_its_reason(
    service: DocQA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "deep"
    root.mkdir()
    (root / "top.txt").write_text("date 2026-01-01 The top file.", encoding="utf-8")
    fd = os.open(root, os.O_RDONLY)
    try:  # 1,000 levels, made relative to each folder (the whole path is over PATH_MAX)
        for _ in range(1000):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        with os.fdopen(os.open("bottom.txt", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "w") as f:
            f.write("date 2026-01-01 The bottom file.")
    finally:
        os.close(fd)
    monkeypatch.setattr(common, "service", lambda index_dir: service)
    try:
        result = CliRunner().invoke(cli.app, ["index", str(root)])
    finally:  # the tree is deeper than shutil.rmtree's recursion goes
        subprocess.run(["rm", "-rf", str(root / "d")], check=True)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert f"folder nested more than {MAX_DEPTH} levels deep" in result.output
    assert [d.source for d in service.catalogue()] == ["deep/top.txt"]


def test_a_long_file_name_keeps_its_suffix(org: tuple[TestClient, DocQA]) -> None:
    client, service = org
    name = "r" * 246 + ".txt"  # 250 characters, legal everywhere
    done = _upload(client, [(name, b"date 2026-01-01 A report with a long name.")])
    assert done["report"]["new"] == 1
    (record,) = service.library.uploads()
    assert record.name.endswith(".txt")
    assert len(record.name) <= 200


def test_jobs_outlive_their_server_and_none_leaves_a_document_orphaned(
    backend_settings: Settings, fake_embeddings: CountingFakeEmbeddings, tmp_path: Path
) -> None:
    settings = org_settings(backend_settings, max_files=20)
    first = DocQA(settings, embeddings=fake_embeddings)
    first.index([write_archive(tmp_path / "archive")])
    # A server took two uploads and died before running them (its worker never ran);
    # a third it was running when it died (claimed by a process that no longer exists).
    jobs = Jobs(first)
    queued = jobs.upload([NewUpload("a.txt", b"date 2026-01-01 The pier opened.")], [], None)
    second = jobs.upload([NewUpload("b.txt", b"date 2026-01-01 The pier closed.")], [], ("hr",))
    claimed = first.library.claim(f"{socket.gethostname()}:999999999", 60.0)
    assert claimed is not None
    assert claimed.id == queued.id
    first.close()
    # A new server on the same store: the jobs are there, resumed and done.
    service = DocQA(settings, embeddings=fake_embeddings)
    with TestClient(create_app(settings, service, ui=False)) as client:
        for job in (queued, second):
            state = client.get(f"/api/jobs/{job.id}", headers=ADMIN).json()
            assert state["job"] == job.id
            done = wait_for(client, job.id, ADMIN)
            assert done["state"] == "done", done
        assert wait_for(client, queued.id, ADMIN)["attempts"] == 2
        indexed = {d.source: d for d in service.catalogue()}
        assert {"upload://a.txt", "upload://b.txt"} <= set(indexed)
        assert indexed["upload://b.txt"].groups == ("hr",)
        kept = {r.source: r.sha256 for r in service.library.uploads()}
        assert service.store.hashes(list(kept)) == kept  # every record is indexed
    service.close()


def test_a_job_whose_server_keeps_dying_fails_and_removes_its_documents(
    service: DocQA, tmp_path: Path
) -> None:
    service.index([write_archive(tmp_path / "archive")])
    jobs = Jobs(service)
    job = jobs.upload([NewUpload("c.txt", b"date 2026-01-01 Poison.")], [], None)
    for attempt in range(3):  # three servers died running it
        claimed = service.library.claim(f"{socket.gethostname()}:{10**9 + attempt}", 60.0)
        assert claimed is not None
    assert jobs.run_next()
    ended = service.library.job(job.id)
    assert ended is not None
    assert ended.state == "failed"
    assert "interrupted 3 times" in (ended.error or "")
    assert ended.report == {"not_kept": ["upload://c.txt"]}
    assert service.library.uploads() == []


def test_job_progress_moves_while_a_large_upload_is_indexed(
    settings: Settings, tmp_path: Path
) -> None:
    class Slow(CountingFakeEmbeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            time.sleep(0.05)
            return super().embed_documents(texts)

    configured = org_settings(settings, max_files=200, max_total_mb=5)
    service = DocQA(configured, embeddings=Slow(size=384))
    service.index([write_archive(tmp_path / "archive")])
    files = [NewUpload(f"n{i:03}.txt", f"date 2026-01-01 Note {i} about pier {i}.".encode())
             for i in range(150)]  # fmt: skip
    jobs = Jobs(service, poll_seconds=0.05)
    job = jobs.upload(files, [], None)
    seen: set[int] = set()
    jobs.start()
    try:
        deadline = time.monotonic() + 120
        while True:
            state = jobs.get(job.id)
            assert state is not None
            seen.add(state.processed)
            if state.finished:
                break
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        jobs.close()
    assert state.state == "done"
    assert len(seen - {0, 150}) >= 2, seen  # progress between the start and the end
    assert max(seen) == 150


def test_the_queue_is_bounded_and_waiting_uploads_are_kept_in_the_store(
    settings: Settings, fake_embeddings: CountingFakeEmbeddings, tmp_path: Path
) -> None:
    configured = org_settings(settings, max_waiting_jobs=2)
    service = DocQA(configured, embeddings=fake_embeddings)
    service.index([write_archive(tmp_path / "archive")])
    app = create_app(configured, service, ui=False)
    client = TestClient(app)  # not entered: no worker runs, the jobs wait
    one = [("files", ("a.txt", b"date 2026-01-01 Text.", "text/plain"))]
    codes = [client.post("/api/documents", files=one, headers=ADMIN).status_code for _ in range(3)]
    assert codes == [202, 202, 429]
    full = client.post("/api/documents", files=one, headers=ADMIN)
    assert full.json()["error"] == "too_many_jobs"
    assert "the limit is 2" in full.json()["message"]
    assert int(full.headers["retry-after"]) >= 1
    assert service.library.data("a.txt") == b"date 2026-01-01 Text."  # on disk, not in memory
    service.close()


def test_an_upload_onto_a_full_disk_keeps_nothing_and_says_so(
    settings: Settings, fake_embeddings: CountingFakeEmbeddings, tmp_path: Path
) -> None:
    with small_disk(tmp_path / "disk", "8m") as disk:
        configured = org_settings(settings.model_copy(update={"index_dir": disk / "index"}))
        for client, service in served(
            configured, fake_embeddings, write_archive(tmp_path / "archive")
        ):
            _upload(client, [("first.txt", b"date 2026-01-01 The first note.")])
            fill(disk)
            big = [("files", ("big.txt", b"date 2026-01-01 " + b"word " * 150_000, "text/plain"))]
            sent = client.post("/api/documents", files=big, headers=ADMIN)
            assert sent.status_code == 507, sent.text
            assert sent.json()["error"] == "insufficient_storage"
            assert "full" in sent.json()["message"]
            assert [r.name for r in service.library.uploads()] == ["first.txt"]
            assert not [p for p in disk.rglob("*") if p.name.endswith(".part")]
            asked = client.post("/api/ask", json={"question": "first note?"}, headers=ADMIN)
            assert asked.status_code == 200


def test_an_upload_made_during_a_rebuild_is_answerable_after_both(
    backend_settings: Settings, fake_embeddings: CountingFakeEmbeddings, tmp_path: Path
) -> None:
    archive = write_archive(tmp_path / "archive")
    settings = org_settings(backend_settings)
    for client, service in served(settings, fake_embeddings, archive):
        rebuild = threading.Thread(target=service.index, args=([archive],),
                                   kwargs={"rebuild": True})  # fmt: skip
        rebuild.start()
        sent = client.post(
            "/api/documents",
            headers=ADMIN,
            files=[("files", ("ferry.txt", b"date 2026-01-01 The ferry sails at dawn.", "t/p"))],
        )
        rebuild.join()
        done = wait_for(client, sent.json()["job"], ADMIN)
        assert done["state"] == "done"
        assert "upload://ferry.txt" in {d.source for d in service.catalogue()}
        # Deleted: the moment its job says done, no answer cites it.
        key = next(d.key for d in service.catalogue() if d.source == "upload://ferry.txt")
        removal = client.delete(f"/api/documents/{key}", headers=ADMIN)
        assert wait_for(client, removal.json()["job"], ADMIN)["state"] == "done"
        answer = client.post("/api/ask", json={"question": "When does the ferry sail?"},
                             headers=ADMIN).json()  # fmt: skip
        assert "upload://ferry.txt" not in sources_of(answer)
        assert service.library.uploads() == []
