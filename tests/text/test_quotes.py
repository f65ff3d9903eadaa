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
