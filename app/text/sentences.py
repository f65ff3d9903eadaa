"""Sentence spans: character offsets of whole sentences, paragraph by paragraph."""

from __future__ import annotations

import re
from dataclasses import dataclass

import blingfire

__all__ = [
    "Sentence",
    "breaks_paragraph",
    "credited",
    "first_sentence",
    "quotes_whole",
    "split_sentences",
]

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_SPACE = re.compile(r"\s")
# A photo's credit ends its caption: "Ishtiaq Mahsud/ AP File Photo", "Getty Images".
# Capitalised words only, so "…stored as digital images." is no credit.
_CREDIT = re.compile(
    r"(?:^|[.!?]\s+|/\s*)(?:[A-Z][\w.&’'-]*\s*/?\s*){0,5}(?:File\s+)?(?:Photo|Photograph|"
    r"Images|PHOTO|IMAGES)\s*[.)]?\s*$"
)


@dataclass(frozen=True)
class Sentence:
    """``text[start:end]`` is one sentence; ``paragraph`` counts blank-line-separated blocks."""

    start: int
    end: int
    paragraph: int


def _paragraphs(text: str) -> list[tuple[int, int]]:
    spans, begin = [], 0
    for brk in _PARAGRAPH_BREAK.finditer(text):
        spans.append((begin, brk.start()))
        begin = brk.end()
    spans.append((begin, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def credited(text: str) -> bool:
    """Whether ``text`` ends with a photo's credit: the paragraph it ends is a caption."""
    return _CREDIT.search(text) is not None


def breaks_paragraph(gap: str) -> bool:
    """Whether the text between two sentences holds a paragraph break (a blank line)."""
    return _PARAGRAPH_BREAK.search(gap) is not None


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _cap(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut a run-on "sentence" (a table, a list with no stops) at spaces near ``max_chars``."""
    pieces = []
    while end - start > max_chars:
        cut = text.rfind(" ", start + max_chars // 2, start + max_chars)
        cut = cut if cut > start else start + max_chars
        pieces.append(_trim(text, start, cut))
        start = cut
    pieces.append(_trim(text, start, end))
    return [(a, b) for a, b in pieces if b > a]


def split_sentences(text: str, max_chars: int = 600) -> list[Sentence]:
    """Split ``text`` into sentences that never cross a paragraph break."""
    sentences: list[Sentence] = []
    for number, (p_start, p_end) in enumerate(_paragraphs(text)):
        block = text[p_start:p_end]
        _, offsets = blingfire.text_to_sentences_and_offsets(block)
        if not offsets:
            offsets = [(0, len(block))]
        # Sentences are contiguous: the gap between blingfire's spans belongs to the sentence
        # before it, so every character of the paragraph is covered exactly once.
        bounds = [b for b, _ in offsets[1:]] + [len(block)]
        begin = 0
        for bound in bounds:
            start, end = _trim(block, begin, bound)
            begin = bound
            for a, b in _cap(block, start, end, max_chars):
                sentences.append(Sentence(p_start + a, p_start + b, number))
    return sentences


_WHOLE_QUOTE_CHARS = 600  # a quotation longer than this is shown sentence by sentence
_WHOLE_QUOTE_SENTENCES = 3


def _open_quote(text: str) -> bool:
    """Whether ``text`` opens a quotation it does not close: typographic quotes only, which
    say which way they face (straight ones also mark inches, and stray ones are common)."""
    return text.count("“") > text.count("”")


def quotes_whole(text: str, spans: list[tuple[int, int]], offset: int = 0) -> list[tuple[int, int]]:
    """``spans`` of sentences of ``text`` (at ``offset`` in its document), each quotation
    whole: a sentence that opens a quotation is one with those after it up to the one that
    closes it ("…wrote on X, “Our cup of patience has overflowed. Now it is open war
    between us and you.”"), in one paragraph, up to three sentences and 600 characters; a
    quotation not closed by then is left sentence by sentence."""
    out: list[tuple[int, int]] = []
    k = 0
    while k < len(spans):
        start, end = spans[k]
        joined = k
        if _open_quote(text[start - offset : end - offset]):
            for n in range(k + 1, min(len(spans), k + _WHOLE_QUOTE_SENTENCES)):
                gap = text[spans[n - 1][1] - offset : spans[n][0] - offset]
                if breaks_paragraph(gap) or spans[n][1] - start > _WHOLE_QUOTE_CHARS:
                    break
                if not _open_quote(text[start - offset : spans[n][1] - offset]):
                    joined = n
                    break
        out.append((start, spans[joined][1]))
        k = joined + 1
    return out


# Syndication and site furniture that opens many articles but never names them.
_BOILERPLATE = re.compile(
    r"originally (?:published|appeared)|read the original|all rights reserved|"
    r"^(?:advertisement|subscribe|sign up|share this)\b",
    re.IGNORECASE,
)


def first_sentence(text: str, max_chars: int = 120) -> str | None:
    """A readable title from the start of a text: its first real sentence, cut at a word."""
    found = [
        s
        for s in split_sentences(text[:4000])
        if not _BOILERPLATE.search(text[s.start : s.end]) and s.end - s.start > 15
    ]
    if not found:
        return None
    title = _SPACE.sub(" ", text[found[0].start : found[0].end]).strip()
    if len(title) > max_chars:
        title = title[: title.rfind(" ", 0, max_chars - 1)].rstrip(",;:—- ") + "…"
    return title or None
