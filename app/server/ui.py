"""The Gradio chat at ``/``: streamed answers, clickable citations, the source beside the chat.

Document text reaches the page only through ``chat_text``, which keeps it inert.
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
from app.server.chat_text import answer_markdown, article_html, markdown_text
from app.server.guard import presented_token
from app.server.identity import Identities, IdentityError
from app.service import DocQA
from app.text.clean import replace_invalid
from app.types import Answer, Delta, Reader

__all__ = ["build_blocks", "mount_ui"]


# The page's own assets, read once. chat-head.html: citation links in messages are plain
# fragment links; its script catches their clicks and hands "turn-number" to the hidden
# bridge, which opens the source in the side panel. scroll-to-mark.js: scroll the article
# panel (not the page) to the mark; on a phone the panel sits below the chat, so it brings
# the panel itself into view first.
@cache
def _asset(name: str) -> str:
    return (resources.files("app.server") / "static" / name).read_text(encoding="utf-8")


THEME = gr.themes.Soft(
    # System fonts: the default theme would fetch web fonts from the internet.
    font=["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
)

EMPTY_PANEL = (
    '<p class="doc-meta">Click a citation such as <b>[1]</b> in an answer to read the '
    "passage in its article here.</p>"
)


def _reader(identities: Identities, request: gr.Request | None) -> Reader:
    """Who sent a chat event: the token of the page's request (the guard let it in)."""
    if request is None:  # called outside a request: only an open server answers
        return identities.reader(None)
    headers = {str(k).lower(): str(v) for k, v in dict(request.headers).items()}
    return identities.reader(
        presented_token(headers.get("authorization", ""), headers.get("cookie", ""))
    )


def build_blocks(service: DocQA, identities: Identities) -> gr.Blocks:
    """The chat page."""

    def examples_for(request: gr.Request) -> Any:
        """Example questions from the live index, from what this reader may read (drawn
        at each page load: a re-index or a change of groups shows at once)."""
        try:
            found = service.examples(reader=_reader(identities, request))
        except (DocQAError, IdentityError):
            found = []
        return gr.update(samples=[[e] for e in found], visible=bool(found))

    def respond(
        message: str,
        history: list[dict[str, Any]],
        turns: list[dict[str, Any]],
        since: str | None,
        until: str | None,
        request: gr.Request,
    ) -> Iterator[tuple[Any, ...]]:
        history = list(history or [])
        turns = list(turns or [])
        question = (message or "").strip()
        if not question:
            yield history, turns, gr.update()
            return
        # Shown back as typed, less what cannot be encoded; the core refuses such a question.
        history.append({"role": "user", "content": markdown_text(replace_invalid(question))})
        earlier = [
            {"role": role, "content": t[key]}
            for t in turns
            for role, key in (("user", "question"), ("assistant", "answer"))
            if t.get(key)
        ]
        turn = len(turns)
        history.append({"role": "assistant", "content": ""})
        shown = ""
        try:
            reader = _reader(identities, request)
            for event in service.ask_stream(
                question,
                earlier,
                (since or "").strip() or None,
                (until or "").strip() or None,
                reader,
            ):
                if isinstance(event, Delta):
                    shown += event.text
                    partial = Answer(question, shown.strip(), False)
                    history[-1] = {"role": "assistant", "content": answer_markdown(partial, turn)}
                    yield history, turns, gr.update()
                    continue
                turns.append(event.to_dict())
                history[-1] = {"role": "assistant", "content": answer_markdown(event, turn)}
                yield history, turns, gr.update()
        except (DocQAError, IdentityError) as exc:
            history[-1] = {"role": "assistant", "content": markdown_text(_for_reader(exc))}
            yield history, turns, gr.update()

    def open_citation(target: str, turns: list[dict[str, Any]], request: gr.Request) -> str:
        try:
            turn, number = (int(x) for x in target.split("-", 1))
            result = turns[turn]
            cited = result["closest"] if result["refused"] else result["citations"]
            citation = next(c for c in cited if c["id"] == number)
        except (ValueError, IndexError, StopIteration, KeyError, TypeError):
            return EMPTY_PANEL
        try:
            document = service.document(citation["document"], _reader(identities, request))
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
        turns: list[dict[str, Any]], comment: str, like: gr.LikeData, request: gr.Request
    ) -> Any:
        """A reader's verdict on an answer (messages alternate question, answer), with the
        comment typed below the chat, which is then cleared."""
        index = like.index[0] if isinstance(like.index, tuple | list) else like.index
        if like.liked not in (True, False) or not isinstance(index, int) or index % 2 != 1:
            return gr.update()
        limit = service.settings.feedback.max_comment_chars
        try:
            result = turns[index // 2]
            cited = result["closest"] if result["refused"] else result["citations"]
            service.feedback(
                "helpful" if like.liked else "not_helpful",
                result["question"],
                result["answer"],
                cited,
                _reader(identities, request),
                replace_invalid((comment or "").strip())[:limit] or None,
            )
        except (IndexError, KeyError, TypeError):
            return gr.update()  # the chat was cleared meanwhile
        except (DocQAError, IdentityError) as exc:
            gr.Warning(_for_reader(exc))
            return gr.update()
        gr.Info("Thanks, your feedback was saved.")
        return ""

    with gr.Blocks(title="docqa", analytics_enabled=False, fill_width=True) as blocks:
        turns = gr.State([])
        gr.Markdown("## docqa\nAsk about the documents. Every claim cites its passage.")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                chat = gr.Chatbot(
                    elem_id="docqa-chat",
                    height="65vh",
                    # Helpful / not helpful under each answer (the widget adds a comment).
                    feedback_options=("Like", "Dislike"),
                    sanitize_html=True,
                    render_markdown=True,
                    latex_delimiters=[],
                    buttons=["copy"],
                    placeholder="Ask a question about the documents.",
                )
                with gr.Row():
                    box = gr.Textbox(
                        placeholder="Type a question and press Enter",
                        show_label=False,
                        scale=5,
                        max_length=service.settings.max_question_chars,
                        elem_id="docqa-question",
                        autofocus=True,
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=80)
                comment = gr.Textbox(
                    placeholder="Comment on an answer (optional), sent with its 👍 or 👎",
                    show_label=False,
                    max_length=service.settings.feedback.max_comment_chars,
                    elem_id="docqa-comment",
                )
                examples = gr.Dataset(components=[box], samples=[], label="Examples", visible=False)
                with gr.Accordion("Only articles published between", open=False), gr.Row():
                    since = gr.Textbox(placeholder="from YYYY-MM-DD", show_label=False)
                    until = gr.Textbox(placeholder="to YYYY-MM-DD", show_label=False)
                clear = gr.Button("New chat", size="sm", variant="secondary")
            with gr.Column(scale=2, min_width=300):
                gr.Markdown("### Source")
                article = gr.HTML(EMPTY_PANEL, elem_id="docqa-article")
        target = gr.Textbox(visible="hidden", elem_id="docqa-cite-target")
        opener = gr.Button(visible="hidden", elem_id="docqa-cite-open")

        for trigger in (box.submit, send.click):
            trigger(respond, [box, chat, turns, since, until], [chat, turns, article]).then(
                lambda: "", None, box
            )
        opener.click(open_citation, [target, turns], article).then(
            None, None, None, js=_asset("scroll-to-mark.js")
        )
        chat.like(verdict, [turns, comment], comment)
        examples.click(lambda picked: picked[0], examples, box)
        blocks.load(examples_for, None, examples)
        clear.click(lambda: ([], [], EMPTY_PANEL), None, [chat, turns, article])
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
        css=_asset("chat.css"),
        head=_asset("chat-head.html"),
    )


def _for_reader(exc: DocQAError | IdentityError) -> str:
    """What a reader of the chat is told: the error's own message, except where it is the
    operator's business (which database, on which host)."""
    return StoreUnavailableError.FOR_READERS if isinstance(exc, StoreUnavailableError) else str(exc)
