"""Answers, sources and articles as the chat page shows them, as HTML built here.

Every piece of text that comes from a document, a question or an error is passed
through ``html.escape`` before it joins the markup, so it can only ever be text; the
tags and classes are this module's own (the widget builds the same structure in the
browser with ``textContent``, see ``static/embed.js``; ``static/answer.css`` styles
both). The page also runs the result through Gradio's sanitiser.

An answer is its text in the form the answerer chose (prose, a dated timeline, each
side's position under its name, a summary's points), each claim followed by numbered
citation chips, then its sources: one card per article, listing the quoted sentences
with the answer's words in bold. A refusal says the documents don't say, then shows
the closest passages the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from html import escape
from itertools import groupby

from app.answer.generative import UNSUPPORTED
from app.text.labels import day_label, source_label
from app.types import Answer, AnswerSentence, Citation

__all__ = [
    "answer_html",
    "article_html",
    "header_html",
    "message_html",
    "streaming_html",
]

REFUSED = "The documents don't say."
_MARKER = re.compile(r"(\[\d+\]|" + re.escape(UNSUPPORTED) + ")")
_UNSUPPORTED_HTML = '<span class="dq-unsupported">not supported by the passages</span>'


def _text(value: str) -> str:
    """Any outside text as inert HTML, its white space folded."""
    return escape(" ".join(value.split()))


def _chip(number: int, turn: int, cited: dict[int, Citation]) -> str:
    citation = cited.get(number)
    where = f"{citation.title or source_label(citation.source)}" if citation else ""
    title = f' title="{_text(where)}"' if where else ""
    return (
        f'<a class="dq-chip" href="#cite-{turn}-{number}"{title} '
        f'aria-label="Source {number}">{number}</a>'
    )


def _chips(numbers: Iterable[int], turn: int, cited: dict[int, Citation]) -> str:
    return "".join(_chip(n, turn, cited) for n in numbers)


def _trimmed(text: str, span: tuple[int, int]) -> tuple[int, int]:
    start, end = span
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _emphasised(text: str, span: tuple[int, int] | None) -> str:
    """``text`` escaped, the words of ``span`` (if any) in bold."""
    if span is None:
        return _text(text)
    start, end = _trimmed(text, span)
    if start == end:
        return _text(text)
    before, words, after = text[:start], text[start:end], text[end:]
    return (
        _text(before) + (" " if before[-1:].isspace() else "") + f"<strong>{_text(words)}</strong>"
        + (" " if after[:1].isspace() else "") + _text(after)
    ).strip()  # fmt: skip


def _sentence(s: AnswerSentence, turn: int, cited: dict[int, Citation]) -> str:
    flag = "" if s.supported else " " + _UNSUPPORTED_HTML
    return f"{_emphasised(s.text, s.answer_span)}{flag} {_chips(s.citations, turn, cited)}"


def _body(answer: Answer, turn: int, cited: dict[int, Citation]) -> str:
    """The answer's own words in its form."""
    sentences = answer.sentences
    if not sentences:  # a written answer kept as text: its [n] markers become chips
        parts = []
        for piece in _MARKER.split(" ".join(answer.answer.split())):
            if piece == UNSUPPORTED:
                parts.append(_UNSUPPORTED_HTML)
            elif (m := re.fullmatch(r"\[(\d+)\]", piece)) and int(m[1]) in cited:
                parts.append(_chip(int(m[1]), turn, cited))
            else:
                parts.append(escape(piece))
        return f'<p class="dq-lead">{"".join(parts)}</p>'
    if answer.form == "timeline":
        items = "".join(
            f'<li><span class="dq-when">{_text(s.label or "")}</span>'
            f'<span class="dq-what">{_sentence(s, turn, cited)}</span></li>'
            for s in sentences
        )
        return f'<ol class="dq-timeline">{items}</ol>'
    if answer.form == "positions":
        blocks = []
        for label, group in groupby(sentences, key=lambda s: s.label or ""):
            said = " ".join(_sentence(s, turn, cited) for s in group)
            name = f'<div class="dq-side-name">{_text(label)}</div>' if label else ""
            blocks.append(f'<section class="dq-side">{name}<p>{said}</p></section>')
        return f'<div class="dq-sides">{"".join(blocks)}</div>'
    if answer.form == "points":
        items = "".join(
            "<li>"
            + (f'<span class="dq-when">{_text(s.label)}</span>' if s.label else "")
            + f"<span>{_sentence(s, turn, cited)}</span></li>"
            for s in sentences
        )
        return f'<ul class="dq-points">{items}</ul>'
    return f'<p class="dq-lead">{" ".join(_sentence(s, turn, cited) for s in sentences)}</p>'


def _bold_words(answer: Answer) -> dict[int, list[str]]:
    """The answer's bold words by the citation whose quote holds them."""
    out: dict[int, list[str]] = {}
    for s in answer.sentences:
        if s.answer_span is not None:
            start, end = _trimmed(s.text, s.answer_span)
            for number in s.citations:
                out.setdefault(number, []).append(s.text[start:end])
    return out


def _quote(c: Citation, words: Sequence[str]) -> str:
    for w in words:
        if w and (at := c.quote.find(w)) >= 0:
            return _emphasised(c.quote, (at, at + len(w)))
    return _text(c.quote)


def sources_html(answer: Answer, turn: int, heading: str = "Sources") -> str:
    """The cited articles as cards, one per article, each listing its quoted sentences."""
    cited = answer.shown
    if not cited:
        return ""
    bold = _bold_words(answer)
    articles: dict[str, list[Citation]] = {}
    for c in cited:
        articles.setdefault(c.document or c.source, []).append(c)
    cards = []
    for quotes in articles.values():
        first = quotes[0]
        meta = " · ".join(
            x for x in (_text(day_label(first.date)), _text(source_label(first.source))) if x
        )
        items = "".join(
            f'<li><a class="dq-quote" href="#cite-{turn}-{c.id}">'
            f'<span class="dq-n">{c.id}</span><span class="dq-q">{_quote(c, bold.get(c.id, ()))}'
            "</span></a></li>"
            for c in quotes
        )
        title = _text(first.title or source_label(first.source))
        cards.append(
            f'<div class="dq-card"><div class="dq-card-title">{title}</div>'
            f'<div class="dq-card-meta" title="{_text(first.source)}">{meta}</div>'
            f'<ol class="dq-quotes">{items}</ol></div>'
        )
    return (
        f'<div class="dq-sources"><div class="dq-sources-head">{escape(heading)}</div>'
        f"{''.join(cards)}</div>"
    )


def answer_html(answer: Answer, turn: int) -> str:
    """The chat message for a finished answer (``turn`` numbers its citation links)."""
    notice = f'<p class="dq-notice">{_text(answer.notice)}</p>' if answer.notice else ""
    if answer.refused:
        reason = answer.answer.split(" The closest passages")[0]
        said = "" if reason.startswith("The documents don't say") else f" {_text(reason)}"
        body = f'<p class="dq-lead dq-refused"><strong>{REFUSED}</strong>{said}</p>'
        return (
            f'<div class="dq-answer dq-refusal">{notice}{body}'
            f"{sources_html(answer, turn, 'Closest passages')}</div>"
        )
    cited = {c.id: c for c in answer.citations}
    return (
        f'<div class="dq-answer dq-form-{escape(answer.form)}">{notice}'
        f"{_body(answer, turn, cited)}{sources_html(answer, turn)}</div>"
    )


def streaming_html(text: str) -> str:
    """An answer still being written: its text so far."""
    return f'<div class="dq-answer dq-streaming"><p class="dq-lead">{_text(text)}</p></div>'


def message_html(text: str, kind: str = "question") -> str:
    """A question as asked, or an error message, as inert text."""
    return f'<div class="dq-{escape(kind)}">{_text(text)}</div>'


def header_html(about: dict[str, object] | None, problem: str | None = None) -> str:
    """What is loaded (documents, their dates, when indexed) and who is signed in."""
    parts = []
    if problem:
        parts.append(f'<span class="dq-loaded dq-problem">{_text(problem)}</span>')
    elif about is not None:
        count = int(about.get("documents") or 0)  # type: ignore[call-overload]
        loaded = f"{count:,} document{'s' if count != 1 else ''}"
        dates = about.get("dates")
        if isinstance(dates, list) and dates and dates[0]:
            first, last = (day_label(d) for d in dates)
            loaded += f" · {first} – {last}" if first != last else f" · {first}"
        indexed = str(about.get("indexed") or "")[:10]
        if indexed:
            loaded += f" · indexed {day_label(indexed)}"
        parts.append(f'<span class="dq-loaded">{_text(loaded)}</span>')
        if about.get("user"):
            parts.append(f'<span class="dq-user">Signed in as {_text(str(about["user"]))}</span>')
    return f'<header class="dq-header"><span class="dq-brand">docqa</span>{"".join(parts)}</header>'


def article_html(
    title: str | None, day: str | None, source: str, text: str, start: int, end: int
) -> str:
    """The article with the cited span marked; every piece of it HTML-escaped."""
    meta = " · ".join(escape(x) for x in (day_label(day), source_label(source)) if x)
    return (
        f"<article><h3>{escape(title or source_label(source))}</h3>"
        f'<p class="doc-meta" title="{escape(source)}">{meta}</p>'
        f'<div class="docqa-scroll"><div class="doc-text">{escape(text[:start])}'
        f'<mark id="docqa-mark">{escape(text[start:end])}</mark>{escape(text[end:])}</div>'
        "</div></article>"
    )
