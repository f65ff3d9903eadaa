"""Chunking keeps sentences whole and records exact offsets."""

from __future__ import annotations

import itertools

import pytest

from app.chunks import chunk_text
from app.text.sentences import split_sentences

TEXT = (
    "The first paragraph has two sentences. It ends here.\n\n"
    + " ".join(f"Sentence number {i} of a long paragraph goes on a while." for i in range(40))
    + "\n\nA closing paragraph, Feb. 27, at 3 a.m. in Kabul."
)


def test_sentences_are_exact_and_never_cross_paragraphs() -> None:
    sentences = split_sentences(TEXT)
    assert TEXT[sentences[0].start : sentences[0].end] == "The first paragraph has two sentences."
    assert TEXT[sentences[-1].start : sentences[-1].end] == (
        "A closing paragraph, Feb. 27, at 3 a.m. in Kabul."
    )
    for s in sentences:
        assert "\n\n" not in TEXT[s.start : s.end]
        assert TEXT[s.start : s.end] == TEXT[s.start : s.end].strip()


def test_chunks_hold_whole_sentences_within_budget() -> None:
    chunks = chunk_text(TEXT, max_chars=300, overlap_sentences=1)
    sentence_spans = {(s.start, s.end) for s in split_sentences(TEXT, max_chars=300)}
    covered: set[tuple[int, int]] = set()
    for chunk in chunks:
        assert chunk.end - chunk.start <= 300
        assert (chunk.start, chunk.end) == (chunk.sentences[0][0], chunk.sentences[-1][1])
        assert set(chunk.sentences) <= sentence_spans
        covered.update(chunk.sentences)
    assert covered == sentence_spans  # nothing is lost


def test_overlap_only_inside_a_split_paragraph() -> None:
    chunks = chunk_text(TEXT, max_chars=300, overlap_sentences=1)
    middle = [c for c in chunks if "Sentence number" in TEXT[c.start : c.end]]
    for before, after in itertools.pairwise(middle):
        assert before.sentences[-1] == after.sentences[0]


def test_an_overlong_sentence_is_cut_at_spaces() -> None:
    text = "word " * 400
    chunks = chunk_text(text, max_chars=500)
    assert all(c.end - c.start <= 500 for c in chunks)
    assert all(not text[c.start].isspace() for c in chunks)


def test_sentence_offsets_pack_into_an_array_and_equal_their_tuples() -> None:
    from app.types import Offsets

    pairs = ((0, 12), (13, 40), (41, 1_000_000))
    packed = Offsets(pairs)
    assert len(packed) == 3
    assert list(packed) == list(pairs)
    assert packed[-1] == (41, 1_000_000)
    assert packed[1:] == pairs[1:]
    assert packed == pairs
    assert hash(packed) == hash(pairs)
    assert packed != [1, 2]  # not a sequence of pairs: unequal, not an error
    assert Offsets([]) != ""
    with pytest.raises(IndexError):
        packed[3]
