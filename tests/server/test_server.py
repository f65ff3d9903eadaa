"""The HTTP API through FastAPI's TestClient, on the seeds indexed with the real model."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.server import create_app
from app.service import DocQA
from app.settings import Settings
from tests.conftest import SEEDS

pytestmark = pytest.mark.model

PORTAL = "http://127.0.0.1:8401"


def _client(seeded: DocQA, **settings: object) -> TestClient:
    merged = Settings(
        index_dir=seeded.settings.index_dir,
        _env_file=None,  # type: ignore[call-arg]
        **settings,  # type: ignore[arg-type]
    )
    seeded.settings = merged
    return TestClient(create_app(merged, seeded, ui=False))


@pytest.fixture
def client(seeded: DocQA) -> Iterator[TestClient]:
    """The API with one allowed embedding origin and no token."""
    original = seeded.settings
    with _client(seeded, embed_origins=PORTAL) as c:
        yield c
    seeded.settings = original


def test_ask_answers_with_exact_citations(client: TestClient, seeded: DocQA) -> None:
    response = client.post("/api/ask", json={"question": "Who is Khalid Sultan?"})
    assert response.status_code == 200
    data = response.json()
    assert not data["refused"]
    assert "Islamabad-based analyst" in data["answer"]
    assert (data["mode"], data["notice"]) == ("extractive", None)
    assert [s["citations"] for s in data["sentences"]] == [[c["id"]] for c in data["citations"]]
    assert all(s["supported"] and s["text"] in data["answer"] for s in data["sentences"])
    for citation in data["citations"]:
        assert f"[{citation['id']}]" in data["answer"]
        document = client.get(f"/api/documents/{citation['document']}").json()
        assert document["text"][citation["start"] : citation["end"]] == citation["quote"]
        assert document["source"] == citation["source"]


def test_unanswerable_question_is_refused_with_closest_passages(client: TestClient) -> None:
    data = client.post("/api/ask", json={"question": "What is the capital of France?"}).json()
    assert data["refused"]
    assert data["citations"] == []
    assert data["closest"]


def test_follow_up_uses_history(client: TestClient) -> None:
    history = [
        {"role": "user", "content": "Who is Mohammad Naeem Ghayur?"},
        {"role": "assistant", "content": "An Afghan defense analyst. [1]"},
    ]
    alone = client.post("/api/ask", json={"question": "What did he say?"}).json()
    follow = client.post(
        "/api/ask", json={"question": "What did he say?", "history": history}
    ).json()
    assert follow["question"] == "What did he say?"
    assert not follow["refused"]
    assert "Ghayur" in " ".join(c["quote"] for c in follow["citations"])
    assert alone["answer"] != follow["answer"]


def test_stream_sends_deltas_then_citations_then_the_whole_answer(client: TestClient) -> None:
    question = {"question": "How many people did the Islamabad courthouse bombing kill?"}
    with client.stream("POST", "/api/ask/stream", json=question) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        body = "".join(response.iter_text())
    events = [block.split("\n") for block in body.strip().split("\n\n")]
    names = [lines[0].removeprefix("event: ") for lines in events]
    assert names[-2:] == ["citations", "done"]
    assert set(names[:-2]) == {"delta"}

    deltas = "".join(json.loads(lines[1].removeprefix("data: "))["text"] for lines in events[:-2])
    done = json.loads(events[-1][1].removeprefix("data: "))
    assert deltas.strip() == done["answer"]
    assert "dozen" in done["answer"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"question": ""}, 400, "bad_question"),
        ({"question": "   "}, 400, "bad_question"),
        ({"question": "x" * 100_000}, 413, "body_too_large"),
        ({"question": "y" * 5000}, 400, "bad_question"),
        ({"history": []}, 400, "bad_request"),
        ({"question": "Who?", "history": [{"role": "system", "content": "x"}]}, 400, "bad_request"),
    ],
)
def test_bad_requests_get_json_errors_a_person_can_act_on(
    client: TestClient, body: dict[str, object], status: int, code: str
) -> None:
    for path in ("/api/ask", "/api/ask/stream"):
        response = client.post(path, json=body)
        assert response.status_code == status, response.text
        data = response.json()
        assert data["error"] == code
        assert len(data["message"]) > 20


def test_question_limit_follows_the_setting(seeded: DocQA) -> None:
    original = seeded.settings
    try:
        with _client(seeded, max_question_chars=50) as c:
            response = c.post("/api/ask", json={"question": "Who is Khalid Sultan? " * 5})
    finally:
        seeded.settings = original
    assert response.status_code == 400
    assert "limit is 50" in response.json()["message"]


def test_not_json_is_a_clear_400(client: TestClient) -> None:
    response = client.post(
        "/api/ask", content=b"question=hi", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


def test_unknown_document_is_404(client: TestClient) -> None:
    for key in ("0" * 16, "../../etc/passwd", "ZZZ"):
        response = client.get(f"/api/documents/{key}")
        assert response.status_code == 404


def test_health_reports_the_index(client: TestClient) -> None:
    data = client.get("/api/health").json()
    assert data["status"] == "ok"
    assert data["documents"] == 2
    assert data["chunks"] > 0
    assert "folder" not in data  # no file paths beyond what citations need


def test_index_not_built_is_503(tmp_path: Path, seeded: DocQA) -> None:
    empty = Settings(index_dir=tmp_path / "none", _env_file=None)  # type: ignore[call-arg]
    with TestClient(create_app(empty, DocQA(empty, seeded.embeddings), ui=False)) as c:
        for response in (
            c.post("/api/ask", json={"question": "Who is Khalid Sultan?"}),
            c.get("/api/health"),
        ):
            assert response.status_code == 503
            assert "docqa index" in response.json()["message"]


def test_token_is_required_when_configured(seeded: DocQA) -> None:
    original = seeded.settings
    try:
        with _client(seeded, api_token="s3cret-token") as c:
            question = {"question": "Who is Khalid Sultan?"}
            missing = c.post("/api/ask", json=question)
            wrong = c.post("/api/ask", json=question, headers={"Authorization": "Bearer nope"})
            right = c.post(
                "/api/ask", json=question, headers={"Authorization": "Bearer s3cret-token"}
            )
            health = c.get("/api/health")
            page = c.get("/", follow_redirects=False)
            login_bad = c.post("/login", data={"token": "nope"}, follow_redirects=False)
            login = c.post("/login", data={"token": "s3cret-token"}, follow_redirects=False)
            with_cookie = c.post("/api/ask", json=question)  # the client kept the cookie
    finally:
        seeded.settings = original
    assert missing.status_code == 401
    assert wrong.status_code == 401
    assert missing.json()["error"] == "unauthorized"
    assert "Bearer" in missing.json()["message"]
    assert right.status_code == 200
    assert health.status_code == 200
    assert page.status_code == 303
    assert page.headers["location"] == "/login"
    assert login_bad.status_code == 401
    assert login.status_code == 303
    assert "httponly" in login.headers["set-cookie"].lower()
    assert with_cookie.status_code == 200


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (PORTAL, True),
        ("http://127.0.0.1:8402", False),
        ("null", False),
        ("https://evil.example", False),
    ],
)
def test_cors_allows_only_listed_origins(client: TestClient, origin: str, allowed: bool) -> None:
    preflight = client.options(
        "/api/ask",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    simple = client.post("/api/ask", json={"question": "Who?"}, headers={"Origin": origin})
    for response in (preflight, simple):
        header = response.headers.get("access-control-allow-origin")
        assert header == (origin if allowed else None)
    assert (preflight.status_code == 200) == allowed


def test_same_origin_only_by_default(seeded: DocQA) -> None:
    original = seeded.settings
    try:
        with _client(seeded) as c:
            response = c.post("/api/ask", json={"question": "Who?"}, headers={"Origin": PORTAL})
            embed = c.get("/embed")
    finally:
        seeded.settings = original
    assert "access-control-allow-origin" not in response.headers
    assert embed.headers["content-security-policy"] == "frame-ancestors 'self'"


def test_frame_ancestors_lists_the_allowed_origins(client: TestClient) -> None:
    for path in ("/embed", "/api/health"):
        policy = client.get(path).headers["content-security-policy"]
        assert policy == f"frame-ancestors 'self' {PORTAL}"
    docs = client.get("/docs").headers["content-security-policy"]
    assert docs.startswith("default-src 'none'; script-src 'self';")
    assert docs.endswith(f"; frame-ancestors 'self' {PORTAL}")


def test_embed_assets_and_openapi(client: TestClient) -> None:
    assert client.get("/embed").headers["content-type"].startswith("text/html")
    for name in ("embed.js", "widget.js", "embed.css", "answer.css"):
        assert client.get(f"/embed/{name}").status_code == 200
    assert client.get("/embed/..%2Fui.py").status_code == 404
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/ask/stream", "/api/documents/{key}", "/api/health"} <= set(paths)


def test_embed_page_uses_no_outside_assets_and_inserts_text_only(client: TestClient) -> None:
    page = client.get("/embed").text + client.get("/embed/embed.js").text
    page = page.replace('"http://www.w3.org/2000/svg"', "")  # a namespace name, never fetched
    assert "http://" not in page
    assert "https://" not in page
    assert "innerHTML" not in page
    assert "insertAdjacentHTML" not in page


def test_rebuilt_index_is_picked_up_while_questions_are_in_flight(
    tmp_path: Path, seeded: DocQA
) -> None:
    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    settings = Settings(index_dir=tmp_path / "index", _env_file=None)  # type: ignore[call-arg]
    service = DocQA(settings, seeded.embeddings)
    service.index([folder])
    question = {"question": "Which city hosted the 2026 chess olympiad?"}
    failures: list[int] = []
    stop = threading.Event()
    with TestClient(create_app(settings, service, ui=False)) as c:
        assert c.post("/api/ask", json=question).json()["refused"]

        def keep_asking() -> None:
            while not stop.is_set():
                response = c.post("/api/ask", json={"question": "Who is Khalid Sultan?"})
                if response.status_code != 200:
                    failures.append(response.status_code)

        askers = [threading.Thread(target=keep_asking) for _ in range(3)]
        for t in askers:
            t.start()
        (folder / "chess.txt").write_text(
            "date 2026-08-01 The 2026 chess olympiad was hosted by the city of Tashkent, "
            "which welcomed teams from 190 countries.",
            encoding="utf-8",
        )
        DocQA(settings, seeded.embeddings).index([folder])  # another process's rebuild
        after = c.post("/api/ask", json=question).json()
        stop.set()
        for t in askers:
            t.join()
    assert failures == []
    assert not after["refused"]
    assert "Tashkent" in after["answer"]


def test_routes_take_the_core_as_a_dependency_tests_can_override(
    seeded: DocQA, tmp_path: Path
) -> None:
    from app.server.deps import core

    app = create_app(seeded.settings, seeded, ui=False)
    inner = app
    while not hasattr(inner, "dependency_overrides"):
        inner = inner.app  # type: ignore[attr-defined]
    elsewhere = DocQA(Settings(index_dir=tmp_path / "no-index", _env_file=None))  # type: ignore[call-arg]
    inner.dependency_overrides[core] = lambda: elsewhere
    with TestClient(app) as client:
        health = client.get("/api/health")
        asked = client.post("/api/ask", json={"question": "What was hit in Kabul?"})
    assert (health.status_code, health.json()["error"]) == (503, "index_unavailable")
    assert asked.status_code == 503
