"""Documents managed by admins over the API: uploads, removals and the background jobs
that index them."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.indexing import IndexReport
from app.server import create_app
from app.service import DocQA
from app.settings import Settings
from tests.bench.hostile import many_page_pdf
from tests.conftest import CountingFakeEmbeddings
from tests.support.files import docx, email, mbox, zipped
from tests.support.org import (
    STATIC,
    bearer,
    org_settings,
    token,
    wait_for,
)

LIGHTHOUSE = b"date 2026-02-05 The Tillby lighthouse keeper retired after 40 years."


def test_an_admin_uploads_documents_and_they_are_answered_from_once_the_job_is_done(
    org: tuple[TestClient, DocQA],
) -> None:
    client, service = org
    admin = bearer(token("root", ["docqa-admin"]))
    bomb = zipped({"big.txt": b"a" * 5_000_000})
    files = [
        ("files", ("../../etc/lighthouse.txt", LIGHTHOUSE, "text/plain")),
        ("files", ("empty.txt", b"", "text/plain")),
        ("files", ("fake.pdf", b"this is not a pdf at all", "application/pdf")),
    ]  # fmt: skip
    sent = client.post("/api/documents", files=files, data={"groups": "finance"}, headers=admin)
    assert sent.status_code == 202, sent.text
    reasons = {r["file"]: r["reason"] for r in sent.json()["refused"]}
    assert reasons["empty.txt"] == "empty file (0 bytes)"
    assert "not a PDF" in reasons["fake.pdf"]
    done = wait_for(client, sent.json()["job"], admin)
    assert done["state"] == "done", done
    assert done["report"]["new"] == 1
    kept = {r.name: r for r in service.library.uploads()}
    assert kept["lighthouse.txt"].groups == ("finance",)
    assert kept["lighthouse.txt"].uploader == "root"
    assert not (service.settings.index_dir / "etc").exists()
    ask = {"question": "When did the lighthouse keeper retire?"}
    finance = client.post("/api/ask", json=ask, headers=bearer(token("ana", ["finance"]))).json()
    assert any("lighthouse" in c["source"] for c in finance["citations"])
    hr = client.post("/api/ask", json=ask, headers=bearer(token("bo", ["hr"]))).json()
    assert not any("lighthouse" in c["source"] for c in [*hr["citations"], *hr["closest"]])
    # A zip: its bomb refused by declared size, the job done for the rest.
    bundle = zipped({"ok/notes.md": b"# Ferry\n\nThe Tillby ferry sails twice a day.",
                   "../escape.txt": b"date 2026-02-06 Escaped files stay inside.",
                   "tool.exe.txt": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(200)})  # fmt: skip
    sent = client.post("/api/documents", headers=admin, files=[
        ("files", ("bundle.zip", bundle, "application/zip")),
        ("files", ("bomb.zip", bomb, "application/zip")),
        ("files", ("pages.pdf", many_page_pdf(3000), "application/pdf"))])  # fmt: skip
    reasons = {r["file"]: r["reason"] for r in sent.json()["refused"]}
    assert "zip bomb" in reasons["bomb.zip"]
    assert (
        "binary" in reasons["bundle.zip:tool.exe.txt"]
        or "content is" in reasons["bundle.zip:tool.exe.txt"]
    )
    done = wait_for(client, sent.json()["job"], admin)
    assert done["state"] == "done", done
    assert done["report"]["new"] == 2
    skipped = {s["file"]: s["reason"] for s in done["report"]["skipped"]}
    assert "PDF has 3,000 pages" in skipped["upload://pages.pdf"]
    assert done["report"]["not_kept"] == ["upload://pages.pdf"]  # skipped: not kept either
    listed = client.get("/api/documents", headers=admin).json()["documents"]
    by_source = {d["source"]: d for d in listed}
    assert by_source["upload://lighthouse.txt"]["groups"] == ["finance"]
    assert by_source["upload://bundle.zip/ok/notes.md"]["groups"] == ["everyone"]
    assert "upload://bundle.zip/escape.txt" in by_source
    assert "pages.pdf" not in {r.name for r in service.library.uploads()}
    # Removed by an admin: gone from answers once its job is done.
    key = by_source["upload://lighthouse.txt"]["document"]
    removal = client.delete(f"/api/documents/{key}", headers=admin)
    assert removal.status_code == 202
    assert wait_for(client, removal.json()["job"], admin)["report"]["removed"] == 1
    assert client.get(f"/api/documents/{key}", headers=admin).status_code == 404
    assert "lighthouse.txt" not in {r.name for r in service.library.uploads()}


def test_office_files_and_a_mailbox_upload_and_one_message_is_deleted_alone(
    org: tuple[TestClient, DocQA], tmp_path: Path
) -> None:
    client, service = org
    admin = bearer(token("root", ["docqa-admin"]))
    box = mbox(tmp_path, [email("Convoy", "The Tillby convoy left at dawn."),
                          email("Ferry", "The Tillby ferry was cancelled.")])  # fmt: skip
    files = [
        ("files", ("memo.docx", docx(["The Tillby memo was signed."], title="Memo"), "x/y")),
        ("files", ("desk.mbox", box, "application/mbox")),
        ("files", ("fake.docx", b"plain text wearing a Word name", "text/plain")),
    ]  # fmt: skip
    sent = client.post("/api/documents", files=files, data={"groups": "finance"}, headers=admin)
    assert sent.status_code == 202, sent.text
    reasons = {r["file"]: r["reason"] for r in sent.json()["refused"]}
    assert "the name says Word document" in reasons["fake.docx"]
    assert wait_for(client, sent.json()["job"], admin)["report"]["new"] == 3
    listed = client.get("/api/documents", headers=admin).json()["documents"]
    by_source = {d["source"]: d for d in listed}
    assert by_source["upload://desk.mbox/2"]["title"] == "Ferry"
    assert by_source["upload://memo.docx"]["groups"] == ["finance"]
    removal = client.delete(f"/api/documents/{by_source['upload://desk.mbox/2']['document']}",
                            headers=admin)  # fmt: skip
    assert wait_for(client, removal.json()["job"], admin)["report"]["removed"] == 1
    assert {r.name for r in service.library.uploads()} >= {"desk.mbox/1", "memo.docx"}
    assert "desk.mbox/2" not in {r.name for r in service.library.uploads()}
    # The next full run keeps it deleted: the stored mailbox is its messages, not one file.
    service.index([])
    sources = {d.source for d in service.catalogue()}
    assert "upload://desk.mbox/1" in sources
    assert "upload://desk.mbox/2" not in sources


def test_only_admins_manage_documents_and_limits_answer_413(
    local_org: tuple[TestClient, DocQA],
) -> None:
    client, _ = local_org
    user = bearer(token("ana", ["finance"]))
    one = [("files", ("a.txt", b"date 2026-01-01 Text.", "text/plain"))]
    assert client.post("/api/documents", files=one, headers=user).status_code == 403
    assert client.get("/api/documents", headers=user).status_code == 403
    assert client.get("/api/feedback", headers=user).status_code == 403
    assert client.delete("/api/documents/0123456789abcdef", headers=user).status_code == 403
    many = [("files", (f"{i}.txt", b"date 2026-01-01 Text.", "text/plain")) for i in range(4)]
    too_many = client.post("/api/documents", files=many, headers=bearer(STATIC))
    assert too_many.status_code == 413
    assert "limit is 3" in too_many.json()["message"]
    huge = client.get("/api/documents", params={"offset": 10**30}, headers=bearer(STATIC))
    assert huge.status_code == 400
    big = [("files", ("big.txt", b"x" * 1_200_000, "text/plain"))]
    too_big = client.post("/api/documents", files=big, headers=bearer(STATIC))
    assert too_big.status_code == 413
    assert "1 MB" in too_big.json()["message"]


class GatedDocQA(DocQA):
    """The core whose indexing waits until the test opens the gate."""

    gate = threading.Event()

    def index(self, *args: Any, **kwargs: Any) -> IndexReport:
        """Index once the gate is open."""
        assert self.gate.wait(30)
        return super().index(*args, **kwargs)


def test_uploads_in_progress_are_listed_with_their_job(
    settings: Settings, fake_embeddings: CountingFakeEmbeddings, archive: Path
) -> None:
    configured = org_settings(settings)
    service = GatedDocQA(configured, embeddings=fake_embeddings)
    service.gate.set()
    service.index([archive])
    service.gate.clear()
    admin = bearer(STATIC)
    with TestClient(create_app(configured, service, ui=False)) as client:
        sent = client.post("/api/documents", headers=admin,
                           files=[("files", ("late.txt", LIGHTHOUSE, "text/plain"))])  # fmt: skip
        listed = client.get("/api/documents", headers=admin).json()["documents"]
        (pending,) = [d for d in listed if d["source"] == "upload://late.txt"]
        assert pending["status"] in ("queued", "running")
        assert pending["job"] == sent.json()["job"]
        question = {"question": "lighthouse keeper?"}
        meanwhile = client.post("/api/ask", json=question, headers=admin).json()
        assert not any("late.txt" in c["source"] for c in meanwhile["citations"])
        service.gate.set()
        assert wait_for(client, sent.json()["job"], admin)["state"] == "done"
        listed = client.get("/api/documents", headers=admin).json()["documents"]
        (indexed,) = [d for d in listed if d["source"] == "upload://late.txt"]
        assert indexed["status"] == "indexed"
        assert "job" not in indexed


def test_an_upload_with_nothing_indexable_is_refused_at_once(
    local_org: tuple[TestClient, DocQA],
) -> None:
    client, _ = local_org
    files = [("files", ("notes.xls", b"PK\x03\x04", "application/octet-stream")),
             ("files", ("empty.md", b"", "text/markdown"))]  # fmt: skip
    refused = client.post("/api/documents", files=files, headers=bearer(STATIC))
    assert refused.status_code == 400
    message = refused.json()["message"]
    assert "notes.xls: unsupported file type .xls" in message
    assert "empty.md: empty file (0 bytes)" in message
