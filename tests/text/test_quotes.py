"""A quotation is never cut: the sentences it spans are read and shown as one."""

from app.text.sentences import quotes_whole, split_sentences


def _spans(text: str) -> list[tuple[int, int]]:
    return [(s.start, s.end) for s in split_sentences(text)]


def _whole(text: str, offset: int = 0) -> list[str]:
    spans = [(a + offset, b + offset) for a, b in _spans(text)]
    return [text[a - offset : b - offset] for a, b in quotes_whole(text, spans, offset)]


def test_a_quotation_over_two_sentences_is_one() -> None:
    text = (
        "The minister wrote on X, “Our patience has run out. Now it is open war.” "
        "The army said nothing."
    )
    assert _whole(text) == [
        "The minister wrote on X, “Our patience has run out. Now it is open war.”",
        "The army said nothing.",
    ]
    # At any offset in its document.
    assert _whole(text, offset=500)[0].endswith("open war.”")
    # Straight quotes face no way (and mark inches): left as split.
    straight = text.replace("“", '"').replace("”", '"')
    assert _whole(straight) == [straight[a:b] for a, b in _spans(straight)]


def test_a_quotation_never_closed_is_left_sentence_by_sentence() -> None:
    text = "He said, “We will not stop. We will go on. We will win. We will never tire. The end."
    assert _whole(text) == [text[a:b] for a, b in _spans(text)]


def test_a_quotation_stops_at_its_paragraph() -> None:
    text = "He said, “We will not stop.\n\nThe next paragraph.” It ends."
    assert _whole(text)[0] == "He said, “We will not stop."


def test_closed_quotations_are_left_alone() -> None:
    text = "“Stop,” she said. “Go on,” he said."
    assert _whole(text) == [text[a:b] for a, b in _spans(text)]


def test_a_quotation_split_by_chunks_is_read_whole_once_in_either_order() -> None:
    from app.chunks import chunk_text
    from app.rerank.sentences import _spans
    from app.types import Chunk, Hit

    text = (
        "The army spoke at dawn. The minister wrote on X, “Our patience has run out. "
        "Now it is open war.” The army said nothing more."
    )
    spans = chunk_text(text, max_chars=90, overlap_sentences=1)
    assert len(spans) >= 2
    hits = [
        Hit(Chunk(n, 7, c.start, c.end, text[c.start : c.end], tuple(c.sentences)), 1.0, 1.0, 1.0)
        for n, c in enumerate(spans)
    ]
    quotation = "The minister wrote on X, “Our patience has run out. Now it is open war.”"
    for order in (hits, hits[::-1]):
        read = [s.text for s in _spans(order)]
        assert quotation in read
        assert "Now it is open war.”" not in read
        assert "The minister wrote on X, “Our patience has run out." not in read
