"""The chat, the citation viewer and the embed widget in real headless Chromium (marker: browser).

Uses Debian's /usr/bin/chromium through Playwright (no browser download); `make test`
installs it. Every request that leaves loopback is recorded and aborted: the pages
must work offline and hostile documents must not make the browser fetch anything.
"""

from __future__ import annotations

import http.server
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.server import create_app
from app.service import DocQA
from app.settings import Settings
from tests.answer.test_generative import ScriptedChat, passage
from tests.bench.load import free_port
from tests.conftest import CHROMIUM, REPO, SEEDS
from tests.support.servers import LiveServer, serving, static_site

pytestmark = [pytest.mark.model, pytest.mark.browser]

ARTIFACTS = REPO / "tests" / "artifacts"

HOSTILE_HTML = """<html><head><title>Veltport harbour notice</title></head><body>
<p>The harbour of Veltport closed on Tuesday &lt;script&gt;window.__pwned=1&lt;/script&gt; for
dredging works &lt;img src=x onerror="window.__pwned=2"&gt; that last a month
![tracker](http://198.51.100.7/html-pixel.png).</p>
<script>window.__pwned = 3</script>
<img src="http://198.51.100.7/tag.png" onerror="window.__pwned=4">
</body></html>"""

HOSTILE_MD = """---
title: Veltport ferry <img src=x onerror="window.__pwned=5">
date: 2026-03-02
---
The Veltport ferry timetable changes in April [read this](javascript:window.__pwned=6)
![pixel](http://198.51.100.7/md-pixel.png) <script>window.__pwned=7</script>
<img src="http://198.51.100.7/raw.png" onerror="window.__pwned=8"> for the summer season.
"""


def _portal(folder: Path, docqa: str) -> tuple[http.server.ThreadingHTTPServer, str]:
    """A page on another loopback origin that embeds the chat with the one-line snippet."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(
        "<!doctype html><html><body><h1>Intranet portal</h1>"
        f'<script src="{docqa}/embed/widget.js" defer></script></body></html>',
        encoding="utf-8",
    )
    return static_site(folder)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, seeded: DocQA) -> Iterator[dict[str, str]]:
    """docqa serving the seeds plus two hostile documents; an allowed and a foreign portal."""
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: `make test` installs it (apt-get install chromium).")
    root = tmp_path_factory.mktemp("site")
    corpus = root / "articles"
    shutil.copytree(SEEDS, corpus)
    (corpus / "hostile.html").write_text(HOSTILE_HTML, encoding="utf-8")
    (corpus / "hostile.md").write_text(HOSTILE_MD, encoding="utf-8")
    port = free_port()
    allowed, allowed_url = _portal(root / "allowed", f"http://127.0.0.1:{port}")
    foreign, foreign_url = _portal(root / "foreign", f"http://127.0.0.1:{port}")
    settings = Settings(
        index_dir=root / "index",
        embed_origins=allowed_url,
        _env_file=None,  # type: ignore[call-arg]
    )
    with serving(settings, seeded.embeddings, [corpus], port):
        yield {"docqa": f"http://127.0.0.1:{port}", "allowed": allowed_url, "foreign": foreign_url}
    allowed.shutdown()
    foreign.shutdown()


class _Page:
    """A fresh page whose requests off loopback are recorded and aborted."""

    def __init__(self, browser: Any, width: int = 1280, height: int = 900) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.outside: list[str] = []
        self.dialogs: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("dialog", self._dialog)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1:", "data:", "blob:")):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def close(self) -> None:
        self.context.close()


def _ask_in_chat(page: Any, question: str, turn: int = 0) -> Any:
    page.locator("#docqa-question textarea").fill(question)
    page.keyboard.press("Enter")
    # The answer of this turn is complete once its sources (with links) have rendered.
    link = page.locator(f'#docqa-chat a[href^="#cite-{turn}-"]').last
    link.wait_for(timeout=30_000)
    return link


def _shot(page: Any, name: str, **options: Any) -> None:
    """A screenshot in tests/artifacts, and in DOCQA_SCREENSHOTS (docs/screens for
    `make screenshots`) when that is set."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), **options)
    if folder := os.environ.get("DOCQA_SCREENSHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ARTIFACTS / f"{name}.png", Path(folder) / f"{name}.png")


def _no_sideways_scroll(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 2


def test_chat_answers_with_a_citation_that_opens_the_highlighted_passage(
    browser: Any, site: dict[str, str]
) -> None:
    tab = _Page(browser, width=1400)
    page = tab.page
    page.goto(site["docqa"] + "/")
    # The header says what is loaded; the empty chat offers questions from the documents.
    header = page.locator(".dq-header .dq-loaded")
    header.wait_for(timeout=20_000)
    examples = page.locator("#docqa-chat button", has_text="?")
    examples.first.wait_for(timeout=20_000)
    assert examples.count() >= 3
    assert any(q.startswith(("Who is", "What is the")) for q in examples.all_inner_texts())
    assert "4 documents" in header.inner_text()
    assert "28 Feb 2026" in header.inner_text()
    assert not page.locator("#docqa-comment").is_visible(), "no comment box before a verdict"
    _shot(page, "chat-empty")
    _ask_in_chat(page, "How many people did the Islamabad courthouse bombing kill?")
    chat = page.locator("#docqa-chat")
    assert "around a dozen people" in chat.inner_text()
    assert chat.locator(".dq-lead strong").first.inner_text() == "dozen"
    assert chat.locator(".dq-q strong").first.inner_text() == "dozen"  # in the source card too
    chip = chat.locator('a.dq-chip[href="#cite-0-1"]').first
    assert chip.inner_text() == "1"
    assert chip.evaluate("e => getComputedStyle(e).cursor") == "pointer"
    # Keyboard only: the chip is focusable and Enter opens the passage.
    chip.focus()
    page.keyboard.press("Enter")
    mark = page.locator("#docqa-article mark")
    mark.wait_for(timeout=10_000)
    assert "killed around a dozen people" in mark.inner_text()
    assert "Pakistan" in page.locator("#docqa-article h3").inner_text()
    assert "28 Feb 2026" in page.locator("#docqa-article").inner_text()
    page.wait_for_timeout(300)  # the smooth scroll
    box = page.locator("#docqa-article .docqa-scroll").bounding_box()
    spot = mark.bounding_box()
    assert box is not None
    assert spot is not None
    assert box["y"] <= spot["y"] <= box["y"] + box["height"], "the mark is scrolled into view"
    _shot(page, "chat-with-citation")
    # A second question clears the panel; a follow-up keeps the context.
    page.locator("#docqa-question textarea").fill("Who claimed responsibility for it?")
    page.keyboard.press("Enter")
    page.locator("#docqa-article mark").wait_for(state="detached", timeout=10_000)
    page.locator('#docqa-chat a[href^="#cite-1-"]').last.wait_for(timeout=30_000)
    page.wait_for_timeout(300)
    assert page.locator("#docqa-article mark").count() == 0
    assert page.locator("#docqa-chat").inner_text().count("TTP") >= 2
    _no_sideways_scroll(page, 1400)
    page.set_viewport_size({"width": 390, "height": 844})
    _shot(page, "chat-phone", full_page=True)
    _no_sideways_scroll(page, 390)
    assert tab.outside == []
    tab.close()


def test_sources_are_one_card_per_article_and_forms_render(
    browser: Any, site: dict[str, str]
) -> None:
    tab = _Page(browser, width=1400)
    page = tab.page
    page.goto(site["docqa"] + "/")
    _ask_in_chat(page, "What happened in Kabul?")
    answer = page.locator("#docqa-chat .dq-answer").last
    lines = answer.locator("ol.dq-timeline > li")
    assert lines.count() >= 2
    for n in range(lines.count()):  # each line dated and cited
        assert lines.nth(n).locator(".dq-when").inner_text().strip()
        assert lines.nth(n).locator("a.dq-chip").count() >= 1
    cards = answer.locator(".dq-card")
    titles = [cards.nth(n).locator(".dq-card-title").inner_text() for n in range(cards.count())]
    assert len(titles) == len(set(titles)), "one card per article"
    quotes = answer.locator(".dq-quote").count()
    assert quotes == answer.locator("ol.dq-timeline a.dq-chip").count()
    assert quotes > cards.count(), "an article's quotes are listed inside its one card"
    assert "000_fce48783007ea49c" not in answer.inner_text()  # file names shown readably
    assert "seeds/000.txt" in answer.inner_text() or "articles/000.txt" in answer.inner_text()
    _shot(page, "chat-timeline")
    _ask_in_chat(page, "Why are Afghanistan and Pakistan fighting?", turn=1)
    named = page.locator("#docqa-chat .dq-answer").last.locator(".dq-side .dq-side-name")
    names = {named.nth(n).inner_text() for n in range(named.count())}
    assert {"Afghanistan", "Pakistan"} <= names, "each side's position under its name"
    _shot(page, "chat-positions")
    # A refusal says so and shows the closest passages' text.
    _ask_in_chat(page, "What is the population of Kabul?", turn=2)
    refusal = page.locator("#docqa-chat .dq-answer").last
    assert "The documents don't say." in refusal.locator(".dq-lead").inner_text()
    assert "closest passages" in refusal.inner_text().lower()
    assert len(refusal.locator(".dq-q").first.inner_text()) > 40
    _shot(page, "chat-refusal")
    # Nothing floats over the messages while they scroll.
    chat = page.locator("#docqa-chat")
    box = chat.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(3):
        page.mouse.wheel(0, -400)
        page.wait_for_timeout(150)
        for fx in (0.1, 0.5, 0.9):
            x, y = box["x"] + box["width"] * fx, box["y"] + 6
            over = page.evaluate(
                "([x, y]) => { const e = document.elementFromPoint(x, y);"
                " return e && (e.closest('label, .top-panel, [data-testid=block-label]')"
                " ? e.outerHTML.slice(0, 80) : null); }",
                [x, y],
            )
            assert over is None, f"{over} sits over the messages"
    # A verdict opens the comment box; sending it closes it and keeps the comment.
    assert not page.locator("#docqa-comment").is_visible()
    page.locator('#docqa-chat button[aria-label="Like"]').last.click()
    page.locator("#docqa-comment textarea").wait_for(timeout=10_000)
    _shot(page, "chat-feedback")
    page.locator("#docqa-comment textarea").fill("clear refusal")
    page.get_by_role("button", name="Send").click()
    page.locator("#docqa-comment").wait_for(state="hidden", timeout=10_000)
    assert tab.outside == []
    tab.close()


def test_hostile_documents_render_inert(browser: Any, site: dict[str, str]) -> None:
    tab = _Page(browser)
    page = tab.page
    page.goto(site["docqa"] + "/")
    for question, turn in (
        ("When did the harbour of Veltport close?", 0),
        ("When does the Veltport ferry timetable change?", 1),
    ):
        _ask_in_chat(page, question, turn)
        page.wait_for_timeout(300)
        page.locator(f'#docqa-chat a[href="#cite-{turn}-1"]').first.click()
        page.locator("#docqa-article mark").wait_for(timeout=10_000)
        page.wait_for_timeout(300)
    text = page.locator("#docqa-chat").inner_text() + page.locator("#docqa-article").inner_text()
    assert "<script>" in text  # shown as text, not run
    assert "onerror" in text
    assert page.locator("#docqa-chat img, #docqa-article img").count() == 0
    assert page.locator('#docqa-chat a[href^="javascript:"]').count() == 0
    # The embed view shows the same documents.
    page.goto(site["docqa"] + "/embed")
    page.locator("#question").fill("When did the harbour of Veltport close?")
    page.keyboard.press("Enter")
    page.locator(".dq-sources .dq-quote").first.wait_for(timeout=30_000)
    page.locator(".dq-sources .dq-quote").first.click()
    page.locator("#doc-text mark").wait_for(timeout=10_000)
    assert "<script>" in page.locator("#doc-text").inner_text()
    assert page.locator("#chat img, #viewer img").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert tab.dialogs == []
    assert tab.outside == [], f"requests left loopback: {tab.outside}"
    tab.close()


def test_embed_answers_on_an_allowed_portal(browser: Any, site: dict[str, str]) -> None:
    tab = _Page(browser)
    page = tab.page
    page.goto(site["allowed"] + "/index.html")
    page.locator("#docqa-bubble").click()
    frame = page.frame_locator("#docqa-frame")
    # The empty widget says what it is and offers questions made from the documents.
    frame.locator("#examples .example").first.wait_for(timeout=10_000)
    assert "documents" in frame.locator("#loaded").inner_text()
    _shot(page, "embed-empty")
    frame.locator("#question").fill("Who is Khalid Sultan?")
    frame.locator("#question").press("Enter")
    sources = frame.locator(".dq-sources .dq-quote").first
    sources.wait_for(timeout=30_000)
    assert "Islamabad-based analyst" in frame.locator("#chat").inner_text()
    sources.click()
    frame.locator("#doc-text mark").wait_for(timeout=10_000)
    assert "Khalid Sultan" in frame.locator("#doc-text mark").inner_text()
    frame.locator("#doc-text").press("Escape")  # back to the chat, from the keyboard
    assert frame.locator("#viewer").is_hidden()
    # The words that answer a how-many question are emphasised, the citation inline.
    frame.locator("#question").fill("How many people did the Islamabad courthouse bombing kill?")
    frame.locator("#question").press("Enter")
    frame.locator(".dq-sources").nth(1).wait_for(timeout=30_000)
    reply = frame.locator("#chat .msg.bot").last
    assert reply.locator(".dq-lead strong").inner_text() == "dozen"
    assert reply.locator("button.dq-chip").first.inner_text() == "1"
    assert not reply.locator(".comment").is_visible(), "no comment box before a verdict"
    reply.locator('button[data-verdict="not_helpful"]').click()
    assert reply.locator(".comment").is_visible()
    _shot(page, "embed-on-portal")
    inner = frame.locator("body").evaluate("b => [b.scrollWidth, b.clientWidth]")
    assert inner[0] <= inner[1] <= 380, "the widget reads at 380 px without sideways scrolling"
    assert tab.outside == []
    tab.close()


def test_embed_is_refused_on_a_foreign_portal(browser: Any, site: dict[str, str]) -> None:
    tab = _Page(browser)
    page = tab.page
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "frame-ancestors" in m.text else None)
    page.goto(site["foreign"] + "/index.html")
    page.locator("#docqa-bubble").click()
    page.wait_for_timeout(1500)
    frame = next(f for f in page.frames if f != page.main_frame)
    assert frame.url.startswith("chrome-error://") or refused
    assert page.frame_locator("#docqa-frame").locator("#question").count() == 0
    tab.close()


def _khalid(prompt: str) -> str:
    """A scripted model: one claim its passage supports, one it does not."""
    number = passage(prompt, "Islamabad-based analyst")
    return (
        f"Khalid Sultan is an Islamabad-based analyst [{number}]. "
        f"He won the Nobel Prize for chemistry in 1998 [{number}]."
    )


@pytest.fixture(scope="module")
def llm_site(tmp_path_factory: pytest.TempPathFactory, seeded: DocQA) -> Iterator[str]:
    """docqa in LLM mode (a scripted fake chat model) over the seeds."""
    root = tmp_path_factory.mktemp("llm-site")
    settings = Settings(
        index_dir=root / "index",
        answerer="llm",
        llm_provider="openai",
        llm_model="scripted",
        _env_file=None,  # type: ignore[call-arg]
    )
    service = DocQA(settings, seeded.embeddings, chat_model=ScriptedChat(script=_khalid))
    service.index([SEEDS])
    with LiveServer(create_app(settings, service), free_port()) as server:
        yield server.url


def test_llm_answers_show_unsupported_sentences_and_notices(browser: Any, llm_site: str) -> None:
    tab = _Page(browser)
    page = tab.page
    page.goto(llm_site + "/")
    _ask_in_chat(page, "Who is Khalid Sultan?")
    page.wait_for_timeout(300)
    chat = page.locator("#docqa-chat")
    assert "Khalid Sultan is an Islamabad-based analyst." in chat.inner_text()
    assert chat.locator(".dq-unsupported").count() == 1
    assert "1 of 2 sentences are not supported" in chat.inner_text()
    page.locator('#docqa-chat a[href="#cite-0-1"]').first.click()
    mark = page.locator("#docqa-article mark")
    mark.wait_for(timeout=10_000)
    assert "Khalid Sultan, an Islamabad-based analyst" in mark.inner_text()
    _shot(page, "chat-llm-unsupported")
    page.goto(llm_site + "/embed")
    page.locator("#question").fill("Who is Khalid Sultan?")
    page.keyboard.press("Enter")
    page.locator(".dq-sources .dq-quote").first.wait_for(timeout=30_000)
    assert page.locator("#chat .dq-unsupported").count() == 1
    assert "not supported" in page.locator("#chat .dq-notice").inner_text()
    assert tab.outside == []
    tab.close()


def test_the_api_page_renders_offline_under_its_strict_policy(
    browser: Any, site: dict[str, str]
) -> None:
    tab = _Page(browser)
    errors: list[str] = []
    tab.page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.page.goto(site["docqa"] + "/docs")
    tab.page.locator(".opblock-summary-path", has_text="/api/ask").first.wait_for(timeout=20_000)
    assert tab.outside == []
    assert not [e for e in errors if "Content Security Policy" in e]
    tab.page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
    tab.close()
