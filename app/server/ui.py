"""The Gradio chat at ``/``: streamed answers, clickable citations, the source beside the chat.

Document text reaches the page only through ``render``, which keeps it inert.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from html import escape
from importlib import resources
from typing import Any

import gradio as gr
from fastapi import FastAPI

from app.errors import DocQAError, StoreUnavailableError
from app.server.guard import presented_token
from app.server.identity import Identities, IdentityError
from app.server.render import (
    answer_html,
    article_html,
    header_html,
    message_html,
    streaming_html,
)
from app.service import DocQA
from app.text.clean import replace_invalid
from app.types import Delta, Reader

__all__ = ["ChatHandlers", "build_blocks", "mount_ui"]


# The page's own assets, read once. chat-head.html: citation links in messages are plain
# fragment links; its script catches their clicks and hands "turn-number" to the hidden
# bridge, which opens the source in the side panel. scroll-to-mark.js: scroll the article
# panel (not the page) to the mark; on a phone the panel sits below the chat, so it brings
# the panel itself into view first. answer.css styles answers here and in the widget.
@cache
def _asset(name: str) -> str:
    return (resources.files("app.server") / "static" / name).read_text(encoding="utf-8")


THEME = gr.themes.Soft(
    primary_hue="blue",
    neutral_hue="slate",
    # System fonts: the default theme would fetch web fonts from the internet.
    font=["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
)

EMPTY_PANEL = (
    '<div class="dq-panel-empty"><p>Click a numbered citation in an answer to read the '
    "passage here, highlighted in its article.</p></div>"
)
PLACEHOLDER = (
    "**Ask a question about the documents.** Answers quote the articles and cite every "
    "claim; click a citation to read it where it stands."
)


def _reader(identities: Identities, request: gr.Request | None) -> Reader:
    """Who sent a chat event: the token of the page's request (the guard let it in)."""
    if request is None:  # called outside a request: only an open server answers
        return identities.reader(None)
    headers = {str(k).lower(): str(v) for k, v in dict(request.headers).items()}
    return identities.reader(
        presented_token(headers.get("authorization", ""), headers.get("cookie", ""))
    )


class ChatHandlers:
    """What the chat's events call: each reads the asker from the page's request, calls
    the core and renders its result for the page."""

    def __init__(self, service: DocQA, identities: Identities) -> None:
        self.service = service
        self.identities = identities

    def page_opened(self, request: gr.Request) -> tuple[str, Any]:
        """The header (what this reader may ask about) and example questions, drawn at
        each page load: a re-index or a change of groups shows at once."""
        try:
            about = self.service.about(_reader(self.identities, request))
        except (DocQAError, IdentityError) as exc:
            return header_html(None, _for_reader(exc)), gr.update(examples=None)
        examples = [{"text": e} for e in about["examples"]]
        return header_html(about), gr.update(examples=examples or None)

    def respond(
        self,
        message: str,
        history: list[dict[str, Any]],
        turns: list[dict[str, Any]],
        since: str | None,
        until: str | None,
        as_of: str | None,
        request: gr.Request,
    ) -> Iterator[tuple[Any, ...]]:
        """The answer to the question sent, streamed into the chat; the side panel
        cleared for it."""
        history = list(history or [])
        turns = list(turns or [])
        question = (message or "").strip()
        if not question:
            yield history, turns, gr.update()
            return
        # Shown back as typed, less what cannot be encoded; the core refuses such a question.
        history.append({"role": "user", "content": message_html(replace_invalid(question))})
        earlier = [
            {"role": role, "content": t[key]}
            for t in turns
            for role, key in (("user", "question"), ("assistant", "answer"))
            if t.get(key)
        ]
        turn = len(turns)
        history.append({"role": "assistant", "content": streaming_html("…")})
        yield history, turns, EMPTY_PANEL  # a new question: the last answer's source goes
        shown = ""
        try:
            reader = _reader(self.identities, request)
            for event in self.service.ask_stream(
                question, earlier, _day(since), _day(until), reader, as_of=_day(as_of)
            ):
                if isinstance(event, Delta):
                    shown += event.text
                    history[-1] = {"role": "assistant", "content": streaming_html(shown)}
                    yield history, turns, gr.update()
                    continue
                # The passages the answer shows, as the core decides, kept with the turn.
                turns.append({**event.to_dict(), "shown": [c.to_dict() for c in event.shown]})
                history[-1] = {"role": "assistant", "content": answer_html(event, turn)}
                yield history, turns, gr.update()
        except (DocQAError, IdentityError) as exc:
            history[-1] = {"role": "assistant", "content": message_html(_for_reader(exc), "error")}
            yield history, turns, gr.update()

    def open_citation(self, target: str, turns: list[dict[str, Any]], request: gr.Request) -> str:
        try:
            turn, number = (int(x) for x in target.split("-", 1))
            result = turns[turn]
            cited = result["shown"]
            citation = next(c for c in cited if c["id"] == number)
        except (ValueError, IndexError, StopIteration, KeyError, TypeError):
            return EMPTY_PANEL
        try:
            document = self.service.document(
                citation["document"], _reader(self.identities, request)
            )
        except (DocQAError, IdentityError) as exc:
            return f'<p class="doc-meta">{escape(_for_reader(exc))}</p>'
        if document is None:
            return (
                '<p class="doc-meta">This article is no longer in the index (it was rebuilt). '
                "Ask again for fresh citations.</p>"
            )
        return article_html(
            document.title,
            document.date,
            document.source,
            document.text,
            citation["start"],
            citation["end"],
        )

    def verdict(
        self, turns: list[dict[str, Any]], held: dict[str, Any] | None, like: gr.LikeData,
        request: gr.Request,
    ) -> tuple[Any, ...]:  # fmt: skip
        """A reader's verdict on an answer (messages alternate question, answer): held
        while the comment row asks for an optional comment; a verdict already held is
        kept first."""
        index = like.index[0] if isinstance(like.index, tuple | list) else like.index
        if like.liked not in (True, False) or not isinstance(index, int) or index % 2 != 1:
            return gr.update(), gr.update(), gr.update()
        self._keep(turns, held, "", request)
        return {"turn": index // 2, "liked": like.liked}, gr.update(visible=True), ""

    def comment_sent(
        self, turns: list[dict[str, Any]], held: dict[str, Any] | None, comment: str,
        request: gr.Request,
    ) -> tuple[Any, ...]:  # fmt: skip
        """The held verdict kept with the comment (or none: skipped)."""
        if self._keep(turns, held, comment, request):
            gr.Info("Thanks, your feedback was saved.")
        return None, gr.update(visible=False), ""

    def take(
        self, question: str, turns: list[dict[str, Any]], held: dict[str, Any] | None,
        request: gr.Request,
    ) -> tuple[Any, ...]:  # fmt: skip
        """The question sent, the box emptied; a verdict still waiting for its comment
        is kept first."""
        self._keep(turns, held, "", request)
        return question, "", None, gr.update(visible=False), ""

    def example_taken(
        self, turns: list[dict[str, Any]], held: dict[str, Any] | None, picked: gr.SelectData,
        request: gr.Request,
    ) -> tuple[Any, ...]:  # fmt: skip
        """An example question of the empty chat, sent as if typed."""
        value = picked.value if isinstance(picked.value, dict) else {}
        return self.take(str(value.get("text") or ""), turns, held, request)

    def _keep(
        self, turns: list[dict[str, Any]], held: dict[str, Any] | None, comment: str,
        request: gr.Request,
    ) -> bool:  # fmt: skip
        """Keep the held verdict, with ``comment``; whether it was kept."""
        if not held:
            return False
        limit = self.service.settings.feedback.max_comment_chars
        try:
            result = turns[held["turn"]]
            cited = result["shown"]
            self.service.feedback(
                "helpful" if held["liked"] else "not_helpful",
                result["question"],
                result["answer"],
                cited,
                _reader(self.identities, request),
                replace_invalid((comment or "").strip())[:limit] or None,
            )
        except (IndexError, KeyError, TypeError):
            return False  # the chat was cleared meanwhile
        except (DocQAError, IdentityError) as exc:
            gr.Warning(_for_reader(exc))
            return False
        return True


def build_blocks(service: DocQA, identities: Identities) -> gr.Blocks:
    """The chat page: its layout, and its events wired to ``ChatHandlers``."""
    on = ChatHandlers(service, identities)
    with gr.Blocks(title="docqa", analytics_enabled=False, fill_width=True) as blocks:
        turns = gr.State([])
        held = gr.State(None)  # a verdict waiting for its optional comment
        header = gr.HTML(header_html(None), elem_id="docqa-header")
        with gr.Row(equal_height=False, elem_id="docqa-main"):
            with gr.Column(scale=3, min_width=320, elem_id="docqa-left"):
                chat = gr.Chatbot(
                    elem_id="docqa-chat",
                    show_label=False,
                    height="calc(100vh - 250px)",
                    min_height=360,
                    layout="panel",
                    feedback_options=("Like", "Dislike"),
                    # Messages are HTML built by app/server/render.py, every outside text
                    # escaped there; Gradio's sanitiser runs over them too.
                    sanitize_html=True,
                    render_markdown=False,
                    latex_delimiters=[],
                    buttons=[],  # a message's copy would be its markup
                    placeholder=PLACEHOLDER,
                )
                with gr.Row(visible=False, elem_id="docqa-feedback") as comment_row:
                    comment = gr.Textbox(
                        placeholder="Thanks! What was right or missing? (optional)",
                        show_label=False,
                        max_length=service.settings.feedback.max_comment_chars,
                        elem_id="docqa-comment",
                        scale=5,
                    )
                    send_comment = gr.Button("Send", size="md", scale=0, min_width=70)
                    skip = gr.Button("Skip", size="md", variant="secondary", scale=0, min_width=70)
                with gr.Row(elem_id="docqa-ask"):
                    box = gr.Textbox(
                        placeholder="Ask about the documents and press Enter",
                        show_label=False,
                        scale=5,
                        max_length=service.settings.max_question_chars,
                        elem_id="docqa-question",
                        autofocus=True,
                    )
                    send = gr.Button("Ask", variant="primary", scale=0, min_width=80)
                with gr.Row(elem_id="docqa-tools"):
                    with gr.Accordion("Dates", open=False, elem_id="docqa-dates"), gr.Row():
                        as_of = gr.DateTime(
                            label="As of",
                            info="the day 'this week' or 'recently' counts from (empty: today)",
                            include_time=False,
                            type="string",
                            elem_id="docqa-as-of",
                        )
                        since = gr.DateTime(
                            label="Published from",
                            include_time=False,
                            type="string",
                            elem_id="docqa-since",
                        )
                        until = gr.DateTime(
                            label="Published until",
                            include_time=False,
                            type="string",
                            elem_id="docqa-until",
                        )
                    clear = gr.Button("New chat", size="sm", variant="secondary", scale=0)
            with gr.Column(scale=2, min_width=300, elem_id="docqa-side"):
                article = gr.HTML(EMPTY_PANEL, elem_id="docqa-article")
        target = gr.Textbox(visible="hidden", elem_id="docqa-cite-target")
        opener = gr.Button(visible="hidden", elem_id="docqa-cite-open")

        # The question taken from the box as it was sent (the box empties at once).
        asked = gr.Textbox(visible=False, elem_id="docqa-asked")
        answered = [asked, chat, turns, since, until, as_of]
        taken = [asked, box, held, comment_row, comment]
        for trigger in (box.submit, send.click):
            trigger(on.take, [box, turns, held], taken).then(
                on.respond, answered, [chat, turns, article]
            )
        chat.example_select(on.example_taken, [turns, held], taken).then(
            on.respond, answered, [chat, turns, article]
        )
        opener.click(on.open_citation, [target, turns], article).then(
            None, None, None, js=_asset("scroll-to-mark.js")
        )
        chat.like(on.verdict, [turns, held], [held, comment_row, comment]).then(
            None, None, None, js="() => document.querySelector('#docqa-comment textarea')?.focus()"
        )
        for done in (send_comment.click, comment.submit):
            done(on.comment_sent, [turns, held, comment], [held, comment_row, comment])
        skip.click(on.comment_sent, [turns, held, gr.State("")], [held, comment_row, comment])
        blocks.load(on.page_opened, None, [header, chat])
        clear.click(
            lambda: ([], [], EMPTY_PANEL, None, gr.update(visible=False)),
            None,
            [chat, turns, article, held, comment_row],
        )
    return blocks


def mount_ui(app: FastAPI, service: DocQA, identities: Identities) -> None:
    """Mount the chat at ``/`` with monitoring off and no file serving."""
    gr.mount_gradio_app(
        app,
        build_blocks(service, identities),
        path="/",
        footer_links=[],
        enable_monitoring=False,
        allowed_paths=[],
        show_error=False,
        mcp_server=False,
        pwa=False,
        theme=THEME,
        css=_asset("answer.css") + _asset("chat.css"),
        head=_asset("chat-head.html"),
    )


def _day(value: str | None) -> str | None:
    """A date field's value, or None when left empty."""
    return (value or "").strip() or None


def _for_reader(exc: DocQAError | IdentityError) -> str:
    """What a reader of the chat is told: the error's own message, except where it is the
    operator's business (which database, on which host)."""
    return StoreUnavailableError.FOR_READERS if isinstance(exc, StoreUnavailableError) else str(exc)
