"""docqa in an organisation, through the API: user tokens signed here, answers only from
what each user may read, documents managed by admins in background jobs, feedback kept."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from app import cli
from app.cli import common
from app.errors import ConfigError
from app.indexing import IndexReport
from app.server import create_app
from app.server.identity import Identities
from app.server.ui import build_blocks
from app.service import DocQA
from app.settings import AuthSettings, Settings, UploadSettings
from tests.bench.hostile import many_page_pdf
from tests.conftest import CountingFakeEmbeddings
from tests.support.files import docx, email, mbox

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
STATIC = "service-account-token"
AUDIENCE = "docqa"
ISSUER = "https://portal.example.org"

ARTICLES = {
    "finance/budget.txt": "date 2026-02-01 The finance department approved a harbour budget of "
    "4 million euros. Auditors from Tillby reviewed the harbour budget in March.",
    "hr/leave.txt": "date 2026-02-02 The personnel department approved a parental leave policy "
    "of 20 weeks. Staff in Tillby welcomed the leave policy.",
    "news/weather.txt": "date 2026-02-03 Heavy snow closed the mountain pass near Tillby for "
    "two days. Ploughs cleared the road on Friday.",
}
ACCESS = (
    "rules:\n  - match: 'finance/**'\n    groups: [finance]\n  - match: 'hr/**'\n    groups: [hr]\n"
)


def token(
    user: str = "ana",
    groups: list[str] | None = None,
    *,
    key: Any = SECRET,
    algorithm: str = "HS256",
    headers: dict[str, Any] | None = None,
    **claims: Any,
) -> str:
    """A user token as a portal signs it; ``claims`` override the defaults."""
    now = int(time.time())
    body = {"sub": user, "groups": groups or [], "aud": AUDIENCE, "iss": ISSUER,
            "iat": now, "exp": now + 300, **claims}  # fmt: skip
    return jwt.encode(body, key, algorithm=algorithm, headers=headers)


def bearer(value: str) -> dict[str, str]:
    return {"authorization": f"Bearer {value}"}


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """Three departments' articles and the access file that splits them."""
    root = tmp_path / "archive"
    for name, text in ARTICLES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "access.yaml").write_text(ACCESS, encoding="utf-8")
    return root


def _org_settings(base: Settings, **auth: Any) -> Settings:
    return base.model_copy(
        update={
            "server": base.server.model_copy(update={"api_token": SecretStr(STATIC)}),
            "auth": AuthSettings(
                jwt_secret=SecretStr(SECRET), audience=AUDIENCE, issuer=ISSUER, **auth
            ),
            "uploads": UploadSettings(max_files=3, max_total_mb=1),
        }
    )


def _served(
    base: Settings, embeddings: CountingFakeEmbeddings, archive: Path
) -> Iterator[tuple[TestClient, DocQA]]:
    settings = _org_settings(base)
    service = DocQA(settings, embeddings=embeddings)
    service.index([archive])
    with TestClient(create_app(settings, service, ui=False)) as client:
        yield client, service
    service.close()


@pytest.fixture
def org(
    backend_settings: Settings, fake_embeddings: CountingFakeEmbeddings, archive: Path
) -> Iterator[tuple[TestClient, DocQA]]:
    """The archive indexed on each store backend, served with user tokens (HS256)."""
    yield from _served(backend_settings, fake_embeddings, archive)


@pytest.fixture
def local_org(
    settings: Settings, fake_embeddings: CountingFakeEmbeddings, archive: Path
) -> Iterator[tuple[TestClient, DocQA]]:
    """The archive on the local backend only (for the edge's own behaviour)."""
    yield from _served(settings, fake_embeddings, archive)


def _sources(result: dict[str, Any]) -> set[str]:
    return {c["source"].split("/")[-2] for c in [*result["citations"], *result["closest"]]}


def test_two_users_asking_the_same_question_see_only_their_documents(
    org: tuple[TestClient, DocQA],
) -> None:
    client, service = org
    question = {"question": "What did the department approve in Tillby?"}
    finance = client.post("/api/ask", json=question, headers=bearer(token("ana", ["finance"])))
    hr = client.post("/api/ask", json=question, headers=bearer(token("bo", ["hr"])))
    assert finance.status_code == hr.status_code == 200
    a, b = finance.json(), hr.json()
    assert a["answer"] != b["answer"]
    assert "finance" in _sources(a)
    assert "hr" not in _sources(a)
    assert "hr" in _sources(b)
    assert "finance" not in _sources(b)
    # Each user's citations open for them, and are not found for the other.
    for mine, theirs in ((a, token("bo", ["hr"])), (b, token("ana", ["finance"]))):
        for citation in mine["citations"]:
            assert client.get(f"/api/documents/{citation['document']}",
                              headers=bearer(theirs)).status_code == 404  # fmt: skip
    cited = a["citations"][0]["document"]
    opened = client.get(f"/api/documents/{cited}", headers=bearer(token("ana", ["finance"])))
    assert opened.status_code == 200
    assert "harbour budget" in opened.json()["text"]
    # The service account reads everything.
    assert client.get(f"/api/documents/{cited}", headers=bearer(STATIC)).status_code == 200
    # Examples come only from what a reader may read.
    hr_examples = service.examples(reader=_reader(["hr", "everyone"]))
    assert not any("harbour" in e.lower() or "Auditors" in e for e in hr_examples)


def _reader(groups: list[str]) -> Any:
    from app.types import Reader

    return Reader(user="x", groups=frozenset(groups))


def test_a_user_in_no_group_reads_only_what_everyone_may(org: tuple[TestClient, DocQA]) -> None:
    client, _ = org
    result = client.post(
        "/api/ask",
        json={"question": "What did the department approve in Tillby?"},
        headers=bearer(token("cy", [])),
    ).json()
    assert _sources(result) <= {"news"}


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("forged", lambda: token(key="another-secret-that-is-long-enough-xx"), "signature"),
        (
            "expired",
            lambda: token(exp=int(time.time()) - 3600, iat=int(time.time()) - 3900),
            "expired",
        ),
        ("not yet valid", lambda: token(nbf=int(time.time()) + 3600), "not valid yet"),
        ("wrong audience", lambda: token(aud="another-app"), "audience"),
        ("wrong issuer", lambda: token(iss="https://evil.example"), "issuer"),
        (
            "alg none",
            lambda: jwt.encode(
                {"sub": "ana", "aud": AUDIENCE, "iss": ISSUER, "exp": int(time.time()) + 300},
                None,
                algorithm="none",
            ),
            "algorithm",
        ),
        (
            "no expiry",
            lambda: jwt.encode(
                {"sub": "ana", "aud": AUDIENCE, "iss": ISSUER}, SECRET, algorithm="HS256"
            ),
            "exp",
        ),
        ("too long-lived", lambda: token(exp=int(time.time()) + 40 * 86400), "at most"),
        ("garbage", lambda: "not.a.token", "malformed"),
        ("wrong static token", lambda: "guess", "not a signed user token"),
    ],
)
def test_bad_tokens_are_refused_with_401_and_a_reason(
    local_org: tuple[TestClient, DocQA], name: str, make: Any, message: str,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    client, _ = local_org
    offered = make()
    with caplog.at_level(logging.DEBUG):
        response = client.post("/api/ask", json={"question": "snow?"}, headers=bearer(offered))
    assert response.status_code == 401, name
    assert response.json()["error"] == "unauthorized"
    assert message in response.json()["message"], response.json()["message"]
    assert offered not in response.text
    assert offered not in caplog.text


def test_no_token_is_refused_and_the_static_token_still_works(
    local_org: tuple[TestClient, DocQA],
) -> None:
    client, _ = local_org
    missing = client.post("/api/ask", json={"question": "snow?"})
    assert missing.status_code == 401
    assert "who is asking" in missing.json()["message"]
    assert (
        client.post("/api/ask", json={"question": "snow?"}, headers=bearer(STATIC)).status_code
        == 200
    )


def _key_settings(
    settings: Settings, tmp_path: Path, kind: str
) -> tuple[Settings, Any, str, dict[str, str]]:
    if kind == "RS256":
        private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if kind == "RS256":
        path = tmp_path / "portal.pem"
        path.write_bytes(pem)
        auth = AuthSettings(jwt_public_key_file=path, audience=AUDIENCE, issuer=ISSUER)
        return settings.model_copy(update={"auth": auth}), private, kind, {}
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(public))
    jwk.update(kid="portal-2026", use="sig", alg="ES256")
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk]}))
    auth = AuthSettings(jwks_file=path, audience=AUDIENCE, issuer=ISSUER)
    return settings.model_copy(update={"auth": auth}), private, kind, {"kid": "portal-2026"}


@pytest.mark.parametrize("kind", ["RS256", "ES256"])
def test_public_key_and_jwks_tokens_are_verified(
    service: DocQA, archive: Path, tmp_path: Path, kind: str
) -> None:
    service.index([archive])
    configured, private, algorithm, headers = _key_settings(service.settings, tmp_path, kind)
    service.settings = configured
    with TestClient(create_app(configured, service, ui=False)) as client:
        good = token("ana", ["finance"], key=private, algorithm=algorithm, headers=headers)
        asked = client.post("/api/ask", json={"question": "harbour budget?"}, headers=bearer(good))
        assert asked.status_code == 200
        assert "finance" in _sources(asked.json())
        # The shared-secret algorithm cannot stand in for the key pair (key confusion).
        confused = token("ana", ["finance"], key=SECRET)
        refused = client.post("/api/ask", json={"question": "x?"}, headers=bearer(confused))
        assert refused.status_code == 401
        assert "algorithm" in refused.json()["message"]
        other: Any = ec.generate_private_key(ec.SECP256R1())
        if kind == "RS256":
            other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        forged = token("ana", ["finance"], key=other, algorithm=algorithm, headers=headers)
        assert (
            client.post("/api/ask", json={"question": "x?"}, headers=bearer(forged)).status_code
            == 401
        )


def test_questions_are_limited_per_user_with_retry_after(
    settings: Settings, fake_embeddings: CountingFakeEmbeddings, archive: Path
) -> None:
    configured = _org_settings(settings)
    configured.server = configured.server.model_copy(update={"question_rate": "2/minute"})
    service = DocQA(configured, embeddings=fake_embeddings)
    service.index([archive])
    with TestClient(create_app(configured, service, ui=False)) as client:
        ana, bo = bearer(token("ana", ["finance"])), bearer(token("bo", ["hr"]))
        codes = [client.post("/api/ask", json={"question": "snow?"}, headers=ana).status_code
                 for _ in range(3)]  # fmt: skip
        assert codes == [200, 200, 429]
        limited = client.post("/api/ask/stream", json={"question": "snow?"}, headers=ana)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert "2/minute" in limited.json()["message"]
        assert client.post("/api/ask", json={"question": "snow?"}, headers=bo).status_code == 200


def _wait(client: TestClient, job: str, headers: dict[str, str]) -> dict[str, Any]:
    for _ in range(400):
        state = client.get(f"/api/jobs/{job}", headers=headers).json()
        if state["state"] in ("done", "failed"):
            return state
        time.sleep(0.05)
    raise AssertionError(f"job {job} did not finish: {state}")


LIGHTHOUSE = b"date 2026-02-05 The Tillby lighthouse keeper retired after 40 years."


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_an_admin_uploads_documents_and_they_are_answered_from_once_the_job_is_done(
    org: tuple[TestClient, DocQA],
) -> None:
    client, service = org
    admin = bearer(token("root", ["docqa-admin"]))
    bomb = _zip({"big.txt": b"a" * 5_000_000})
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
    done = _wait(client, sent.json()["job"], admin)
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
    zipped = _zip({"ok/notes.md": b"# Ferry\n\nThe Tillby ferry sails twice a day.",
                   "../escape.txt": b"date 2026-02-06 Escaped files stay inside.",
                   "tool.exe.txt": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(200)})  # fmt: skip
    sent = client.post("/api/documents", headers=admin, files=[
        ("files", ("bundle.zip", zipped, "application/zip")),
        ("files", ("bomb.zip", bomb, "application/zip")),
        ("files", ("pages.pdf", many_page_pdf(3000), "application/pdf"))])  # fmt: skip
    reasons = {r["file"]: r["reason"] for r in sent.json()["refused"]}
    assert "zip bomb" in reasons["bomb.zip"]
    assert (
        "binary" in reasons["bundle.zip:tool.exe.txt"]
        or "content is" in reasons["bundle.zip:tool.exe.txt"]
    )
    done = _wait(client, sent.json()["job"], admin)
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
    assert _wait(client, removal.json()["job"], admin)["report"]["removed"] == 1
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
    assert _wait(client, sent.json()["job"], admin)["report"]["new"] == 3
    listed = client.get("/api/documents", headers=admin).json()["documents"]
    by_source = {d["source"]: d for d in listed}
    assert by_source["upload://desk.mbox/2"]["title"] == "Ferry"
    assert by_source["upload://memo.docx"]["groups"] == ["finance"]
    removal = client.delete(f"/api/documents/{by_source['upload://desk.mbox/2']['document']}",
                            headers=admin)  # fmt: skip
    assert _wait(client, removal.json()["job"], admin)["report"]["removed"] == 1
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


def test_feedback_and_refusals_are_kept_and_exported(
    org: tuple[TestClient, DocQA], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    client, service = org
    ana = bearer(token("ana", ["finance"]))
    answer = client.post("/api/ask", json={"question": "What is the harbour budget?"},
                         headers=ana).json()  # fmt: skip
    verdict = {"verdict": "not_helpful", "question": answer["question"],
               "answer": answer["answer"], "citations": answer["citations"],
               "comment": "wrong year"}  # fmt: skip
    assert client.post("/api/feedback", json=verdict, headers=ana).status_code == 201
    refused = client.post("/api/ask", json={"question": "zzqx wuvv?"}, headers=ana).json()
    assert refused["refused"]
    records = client.get("/api/feedback", headers=bearer(STATIC)).json()["records"]
    kinds = [r["verdict"] for r in records]
    assert kinds == ["not_helpful", "refused"]
    first = records[0]
    assert first["comment"] == "wrong year"
    assert first["index_version"]
    assert first["citations"][0]["document"] == answer["citations"][0]["document"]
    assert first["user"].startswith("hmac:")
    assert "ana" not in first["user"]
    # Keyed: the plain hash of a name on a staff list does not find it.
    assert hashlib.sha256(b"ana").hexdigest()[:32] not in first["user"]
    assert "quote" not in first["citations"][0]
    # The CLI exports the same records as JSON lines; a rebuild keeps them.
    service.index([service.settings.index_dir.parent / "archive"], rebuild=True)
    monkeypatch.setattr(common, "service", lambda index_dir: service)
    result = CliRunner().invoke(cli.app, ["feedback", "export", "--since", "2026-01-01"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    assert [r["verdict"] for r in lines] == kinds


def test_a_verdict_in_the_chat_is_kept_with_its_answer(service: DocQA, corpus: Path) -> None:
    service.index([corpus])
    indexed = service
    blocks = build_blocks(indexed, Identities(indexed.settings))
    respond = next(f.fn for f in blocks.fns.values() if f.name == "respond")
    verdict = next(f.fn for f in blocks.fns.values() if f.name == "verdict")
    sent = next(f.fn for f in blocks.fns.values() if f.name == "comment_sent")
    *_, (history, turns, _) = respond("Who is the mayor of Marsby?", [], [], None, None, None, None)
    like = gr.LikeData(None, {"index": 1, "value": history[1]["content"], "liked": False})
    held, row, _ = verdict(turns, None, like, None)
    assert row["visible"] is True  # the comment box opens once a verdict is given
    assert indexed.feedback_log.since() == []  # held until the comment is sent or skipped
    question = gr.LikeData(None, {"index": 0, "value": "q", "liked": True})
    assert verdict(turns, held, question, None)[0]["__type__"] == "update"  # not an answer
    held_after, row, comment = sent(turns, held, " names the wrong mayor ", None)
    assert (held_after, row["visible"], comment) == (None, False, "")
    (record,) = indexed.feedback_log.since()
    assert record["verdict"] == "not_helpful"
    assert record["comment"] == "names the wrong mayor"
    assert record["question"] == "Who is the mayor of Marsby?"
    assert record["answer"] == turns[0]["answer"]
    assert record["user"] is None
    # A question the documents do not answer is kept too.
    *_, (_, refused, _) = respond("zzqx wuvv?", [], [], None, None, None, None)
    assert refused[0]["refused"]
    assert [r["verdict"] for r in indexed.feedback_log.since()] == ["not_helpful", "refused"]


def test_index_watch_keeps_a_folder_in_sync(service: DocQA, archive: Path) -> None:
    from app.cli.indexing import _run, _watch

    _run(service, [archive])
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(service, [archive], 100, stop))
    watcher.start()
    try:
        time.sleep(0.5)  # the watch is set up
        (archive / "news" / "ferry.txt").write_text(
            "date 2026-02-07 The ferry to Tillby was cancelled.", encoding="utf-8"
        )
        (archive / "hr" / "leave.txt").unlink()
        _until(lambda: _sources_now(service) == {"finance/budget.txt", "news/weather.txt",
                                                "news/ferry.txt"})  # fmt: skip
        (archive / "access.yaml").write_text(ACCESS.replace("[finance]", "[board]"))
        _until(lambda: any(i.groups == ("board",) for i in service.store.catalogue()))
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert not watcher.is_alive()


def _sources_now(service: DocQA) -> set[str]:
    return {i.source.split("/", 1)[1] for i in service.store.catalogue()}


def _until(condition: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the watch did not catch up"
        time.sleep(0.1)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("rules:\n  - match: '*.txt'\n    groups: [a b]\n", "is not a group name"),
        ("rules:\n  - match: '../*.txt'\n    groups: [a]\n", "relative to the folder"),
        ("rules:\n  - pattern: '*.txt'\n    groups: [a]\n", "rules.0.match"),
        ("rules: [\n", "not valid YAML at line"),
        ("rules:\n  - match: '*.txt'\n    groups: []\n", "rules.0.groups"),
    ],
)
def test_a_broken_access_file_stops_the_run_and_says_where(
    service: DocQA, archive: Path, monkeypatch: pytest.MonkeyPatch, text: str, problem: str
) -> None:
    service.index([archive])
    before = service.store.version
    (archive / "access.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"access\.yaml is not usable"):
        service.index([archive])
    monkeypatch.setattr(common, "service", lambda index_dir: service)
    result = CliRunner().invoke(cli.app, ["index", str(archive)])
    assert result.exit_code == 1
    assert problem in result.output
    assert "Traceback" not in result.output
    assert service.store.version == before  # nothing was published with wrong groups


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
    configured = _org_settings(settings)
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
        assert _wait(client, sent.json()["job"], admin)["state"] == "done"
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


def test_a_user_token_signs_in_to_the_chat_and_its_cookie_carries_the_groups(
    local_org: tuple[TestClient, DocQA],
) -> None:
    client, _ = local_org
    refused = client.post(
        "/login", data={"token": token(exp=int(time.time()) - 3600, iat=int(time.time()) - 3900)}
    )
    assert refused.status_code == 401
    assert "expired" in refused.text
    signed = client.post("/login", data={"token": token("bo", ["hr"])}, follow_redirects=False)
    assert signed.status_code == 303
    asked = client.post("/api/ask", json={"question": "What did the department approve?"})
    assert asked.status_code == 200  # the cookie is the token
    assert _sources(asked.json()) <= {"hr", "news"}


def test_a_server_without_tokens_ignores_one_sent_as_before(service: DocQA, archive: Path) -> None:
    service.index([archive])
    with TestClient(create_app(service.settings, service, ui=False)) as client:
        sent = client.post("/api/ask", json={"question": "snow?"}, headers=bearer("anything"))
        assert sent.status_code == 200
        # Everyone reads everything there, but nobody may change the documents.
        one = [("files", ("a.txt", b"date 2026-01-01 Text.", "text/plain"))]
        assert client.post("/api/documents", files=one).status_code == 403
