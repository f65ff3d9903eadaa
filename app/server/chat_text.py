"""Answers and articles as the chat shows them, document text kept inert.

Inside chat messages every ASCII punctuation character is backslash-escaped, so
Markdown renders it as literal text (no links, images or HTML); in the article panel
it is HTML-escaped.
"""

from __future__ import annotations

import re
import string
from html import escape

from app.answer.generative import UNSUPPORTED
from app.types import Answer, AnswerSentence, Citation

__all__ = ["answer_markdown", "article_html", "markdown_text"]

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
_CITE = re.compile(r"\\\[(\d+)\\\]")
_UNSUPPORTED = re.escape(_PUNCTUATION.sub(r"\\\1", UNSUPPORTED))


def markdown_text(text: str) -> str:
    """Text that Markdown shows exactly as written: every ASCII punctuation escaped."""
    return _PUNCTUATION.sub(r"\\\1", " ".join(text.split()))


def _source_line(c: Citation, turn: int) -> str:
    label = markdown_text(c.title or c.source)
    meta = " · ".join(markdown_text(x) for x in (c.date, c.source) if x)
    return f"{_cite_link(c.id, turn)} {label} — {meta}"


def _cite_link(n: int | str, turn: int) -> str:
    return f"[\\[{n}\\]](#cite-{turn}-{n})"


def _emphasised(sentence: AnswerSentence) -> str:
    """The sentence escaped, the words that answer the question (if marked) in bold."""
    if sentence.answer_span is None:
        return markdown_text(sentence.text)
    text = sentence.text
    start, end = sentence.answer_span
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        return markdown_text(text)
    parts = (text[:start], text[start:end], text[end:])
    inline = [_PUNCTUATION.sub(r"\\\1", " ".join(p.split())) for p in parts]
    before = inline[0] + (" " if parts[0][-1:].isspace() else "")
    after = (" " if parts[2][:1].isspace() else "") + inline[2]
    return f"{before}**{inline[1]}**{after}".strip()


def answer_markdown(answer: Answer, turn: int) -> str:
    """The chat message for ``answer``: escaped text, ``[n]`` linked to its source.

    An extractive answer is built from its sentences, so the words that answer a
    who/when/where/how-many question show in bold.
    """
    if answer.mode == "extractive" and not answer.refused and answer.sentences:
        body = " ".join(
            " ".join([_emphasised(s), *(_cite_link(c, turn) for c in s.citations)])
            for s in answer.sentences
        )
    else:
        body = _CITE.sub(lambda m: _cite_link(m[1], turn), markdown_text(answer.answer))
        body = re.sub(_UNSUPPORTED, "*(not supported by the passages)*", body)
    if answer.notice:
        body = f"*{markdown_text(answer.notice)}*\n\n{body}"
    cited = answer.closest if answer.refused else answer.citations
    if not cited:
        return body
    heading = "Closest passages" if answer.refused else "Sources"
    # An extractive answer is its quotes; a refusal's or a written answer's sources show them.
    quoted = answer.refused or answer.mode != "extractive"
    lines = [
        f"{_source_line(c, turn)}  \n> {markdown_text(c.quote)}" if quoted else
        _source_line(c, turn)
        for c in cited
    ]  # fmt: skip
    return body + f"\n\n**{heading}**\n\n" + "\n\n".join(lines)


def article_html(
    title: str | None, date: str | None, source: str, text: str, start: int, end: int
) -> str:
    """The article with the cited span marked; every piece of it HTML-escaped."""
    meta = " · ".join(escape(x) for x in (date, source) if x)
    return (
        f'<article><h3>{escape(title or source)}</h3><p class="doc-meta">{meta}</p>'
        f'<div class="docqa-scroll"><div class="doc-text">{escape(text[:start])}'
        f'<mark id="docqa-mark">{escape(text[start:end])}</mark>{escape(text[end:])}</div>'
        "</div></article>"
    )
