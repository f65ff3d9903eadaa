"""The widget on an organisation's portal, in real headless Chromium (marker: browser).

A portal on a second loopback origin embeds the widget for its signed-in user with the
token it signed. Two users of different groups ask the same question and see answers
and opened passages from their own documents only; a verdict given in the widget is
stored and comes back in `docqa feedback export`; a document uploaded over the API is
answered from once its job is done.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from app import cli
from app.cli import common
from app.service import DocQA
from app.settings import AuthSettings, Settings
from tests.bench.load import free_port
from tests.conftest import CHROMIUM
from tests.server.test_browser import ARTIFACTS, _Page
from tests.support.servers import serving, static_site

pytestmark = [pytest.mark.model, pytest.mark.browser]

SECRET = "portal-secret-portal-secret-portal-secret"
ADMIN = "portal-service-token"
QUESTION = "What did the department approve?"
ARTICLES = {
    "finance/budget.txt": "date 2026-02-01 The finance department approved a harbour budget "
    "of 4 million euros. Auditors reviewed the harbour budget in March.",
    "hr/leave.txt": "date 2026-02-02 The personnel department approved a parental leave policy "
    "of 20 weeks. Staff welcomed the new leave policy.",
}


def _token(user: str, groups: list[str]) -> str:
    now = int(time.time())
    claims = {"sub": user, "groups": groups, "aud": "docqa", "iat": now, "exp": now + 600}
    return jwt.encode(claims, SECRET, algorithm="HS256")


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory, seeded: DocQA) -> Iterator[dict[str, Any]]:
    """docqa with user tokens over two departments' articles, and a portal page per user."""
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: `make test` installs it (apt-get install chromium).")
    root = tmp_path_factory.mktemp("portal")
    corpus = root / "articles"
    for name, text in ARTICLES.items():
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_text(text, encoding="utf-8")
    (corpus / "access.yaml").write_text(
        "rules:\n  - match: 'finance/**'\n    groups: [finance]\n"
        "  - match: 'hr/**'\n    groups: [hr]\n",
        encoding="utf-8",
    )
    port = free_port()
    pages = root / "pages"
    pages.mkdir()
    web, portal_url = static_site(pages)
    for user, groups in (("ana", ["finance"]), ("bo", ["hr"])):
        (pages / f"{user}.html").write_text(
            f"<!doctype html><html><body><h1>Portal: signed in as {user}</h1>"
            f'<script src="http://127.0.0.1:{port}/embed/widget.js" '
            f'data-user-token="{_token(user, groups)}" defer></script></body></html>',
            encoding="utf-8",
        )
    settings = Settings(
        index_dir=root / "index",
        embed_origins=portal_url,
        api_token=SecretStr(ADMIN),
        auth=AuthSettings(jwt_secret=SecretStr(SECRET), audience="docqa"),
        _env_file=None,  # type: ignore[call-arg]
    )
    with serving(settings, seeded.embeddings, [corpus], port) as service:
        yield {"docqa": f"http://127.0.0.1:{port}", "portal": portal_url, "service": service}
    web.shutdown()


def _ask(page: Any, question: str, turn: int) -> Any:
    frame = page.frame_locator("#docqa-frame")
    frame.locator("#question").fill(question)
    frame.locator("#question").press("Enter")
    frame.locator(".dq-sources").nth(turn).wait_for(timeout=60_000)
    return frame


def _opened_passage(frame: Any, turn: int) -> str:
    frame.locator(".dq-sources").nth(turn).locator(".dq-quote").first.click()
    frame.locator("#doc-text mark").wait_for(timeout=10_000)
    text = str(frame.locator("#doc-text").inner_text())
    frame.locator("#back").click()
    return text


def test_two_portal_users_see_only_their_own_documents_and_give_feedback(
    browser: Any, portal: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    seen: dict[str, tuple[str, str]] = {}
    for user in ("ana", "bo"):
        tab = _Page(browser)
        page = tab.page
        page.goto(f"{portal['portal']}/{user}.html")
        page.locator("#docqa-bubble").click()
        frame = _ask(page, QUESTION, 0)
        reply = str(frame.locator("#chat .msg.bot").last.inner_text())
        seen[user] = (reply, _opened_passage(frame, 0))
        if user == "ana":
            reply_box = frame.locator("#chat .msg.bot").last
            assert not reply_box.locator(".comment").is_visible()  # no comment before a verdict
            reply_box.locator('button[data-verdict="helpful"]').click()
            reply_box.locator(".comment").fill("exactly right")
            reply_box.get_by_role("button", name="Send").click()
            frame.locator(".feedback .status").first.wait_for(timeout=10_000)
            assert "saved" in frame.locator(".feedback").first.inner_text()
        page.screenshot(path=str(ARTIFACTS / f"portal-{user}.png"))
        assert tab.outside == []
        tab.close()
    ana_reply, ana_passage = seen["ana"]
    bo_reply, bo_passage = seen["bo"]
    assert "harbour budget" in ana_reply
    assert "leave" not in ana_reply
    assert "leave policy" in bo_reply
    assert "harbour" not in bo_reply
    assert "harbour budget" in ana_passage
    assert "leave" not in ana_passage
    assert "leave policy" in bo_passage
    assert "harbour" not in bo_passage
    # The verdict is stored with the question, its citations and a hashed user id.
    monkeypatch.setattr(common, "service", lambda index_dir: portal["service"])
    exported = CliRunner().invoke(cli.app, ["feedback", "export"])
    assert exported.exit_code == 0, exported.output
    records = [json.loads(line) for line in exported.output.splitlines() if line.strip()]
    helpful = [r for r in records if r["verdict"] == "helpful"]
    assert len(helpful) == 1
    assert helpful[0]["question"] == QUESTION
    assert helpful[0]["comment"] == "exactly right"
    assert helpful[0]["citations"]
    assert helpful[0]["user"].startswith("hmac:")


def test_an_upload_is_answered_from_in_the_widget_once_its_job_is_done(
    browser: Any, portal: dict[str, Any]
) -> None:
    admin = {"authorization": f"Bearer {ADMIN}"}
    text = (
        b"date 2026-02-09 The finance department approved a new ferry subsidy of 2 million euros."
    )
    sent = httpx.post(
        f"{portal['docqa']}/api/documents",
        headers=admin,
        files=[("files", ("ferry.txt", text, "text/plain"))],
        data={"groups": "finance"},
    )
    assert sent.status_code == 202, sent.text
    for _ in range(600):
        job = httpx.get(f"{portal['docqa']}/api/jobs/{sent.json()['job']}", headers=admin).json()
        if job["state"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert job["state"] == "done", job
    assert job["report"]["new"] == 1
    tab = _Page(browser)
    page = tab.page
    page.goto(f"{portal['portal']}/ana.html")
    page.locator("#docqa-bubble").click()
    frame = _ask(page, "How large is the ferry subsidy?", 0)
    assert "2 million euros" in frame.locator("#chat .msg.bot").last.inner_text()
    page.screenshot(path=str(ARTIFACTS / "portal-upload.png"))
    tab.close()
    # The other department does not get it.
    tab = _Page(browser)
    tab.page.goto(f"{portal['portal']}/bo.html")
    tab.page.locator("#docqa-bubble").click()
    frame = _ask(tab.page, "How large is the ferry subsidy?", 0)
    assert "ferry subsidy" not in frame.locator("#chat .msg.bot").last.inner_text()
    tab.close()
