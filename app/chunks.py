"""Chunking: whole sentences packed into passages, each with exact character offsets."""

from __future__ import annotations

from dataclasses import dataclass

from app.text.sentences import Sentence, split_sentences
from app.types import Offsets

__all__ = ["ChunkSpan", "chunk_text"]


@dataclass(frozen=True)
class ChunkSpan:
    """A passage ``text[start:end]`` and the sentence spans inside it (document offsets)."""

    start: int
    end: int
    sentences: Offsets


def _pack(sentences: list[Sentence], max_chars: int, overlap: int) -> list[list[Sentence]]:
    """Greedy packing; paragraphs stay together when they fit, long ones are split by sentence."""
    groups: list[list[Sentence]] = []
    current: list[Sentence] = []
    for sentence in sentences:
        if current and sentence.end - current[0].start > max_chars:
            groups.append(current)
            # Overlap only inside a paragraph that had to be split: a question about
            # its boundary then still finds both sentences in one chunk.
            carried = [s for s in current[-overlap:] if s.paragraph == sentence.paragraph]
            fits = overlap and carried and sentence.end - carried[0].start <= max_chars
            current = carried if fits else []
        current.append(sentence)
    if current:
        groups.append(current)
    return groups


def _paragraph_groups(sentences: list[Sentence]) -> list[list[Sentence]]:
    paragraphs: list[list[Sentence]] = []
    for sentence in sentences:
        if paragraphs and paragraphs[-1][-1].paragraph == sentence.paragraph:
            paragraphs[-1].append(sentence)
        else:
            paragraphs.append([sentence])
    return paragraphs


def chunk_text(text: str, max_chars: int = 1000, overlap_sentences: int = 1) -> list[ChunkSpan]:
    """Split a document into chunks of whole sentences, at most ``max_chars`` where possible.

    Whole paragraphs are merged while they fit; a paragraph longer than ``max_chars`` is
    split between sentences. A single sentence longer than ``max_chars`` becomes its own chunk.
    """
    sentences = split_sentences(text, max_chars=max_chars)
    chunks: list[list[Sentence]] = []
    pending: list[Sentence] = []
    for paragraph in _paragraph_groups(sentences):
        if pending and paragraph[-1].end - pending[0].start <= max_chars:
            pending.extend(paragraph)
            continue
        if pending:
            chunks.append(pending)
        if paragraph[-1].end - paragraph[0].start <= max_chars:
            pending = list(paragraph)
        else:
            *complete, pending = _pack(paragraph, max_chars, overlap_sentences)
            chunks.extend(complete)
    if pending:
        chunks.append(pending)
    return [
        ChunkSpan(group[0].start, group[-1].end, Offsets((s.start, s.end) for s in group))
        for group in chunks
    ]
