"""Reading a generated answer: citation markers, streaming boundaries, sanitising."""

from __future__ import annotations

import pytest

from app.answer.generative.verify import (
    Claim,
    is_no_answer,
    sanitise,
    split_claims,
    take_complete,
    urls_in,
)


def test_markers_are_read_and_removed() -> None:
    claims = split_claims(
        "Pakistan struck Kabul [1]. The Taliban retaliated [2][3]. Both sides [passages 1 and 4] "
        "claimed victory. Talks stalled [1, 2]."
    )
    assert claims == [
        Claim("Pakistan struck Kabul.", (1,)),
        Claim("The Taliban retaliated.", (2, 3)),
        Claim("Both sides claimed victory.", (1, 4)),
        Claim("Talks stalled.", (1, 2)),
    ]


def test_a_marker_after_the_full_stop_belongs_to_the_sentence_before() -> None:
    assert split_claims("Kabul was hit. [2] The border closed. [1][3]") == [
        Claim("Kabul was hit.", (2,)),
        Claim("The border closed.", (1, 3)),
    ]


def test_uncited_sentences_and_repeated_numbers() -> None:
    assert split_claims("A claim without a source. Another [2][2].") == [
        Claim("A claim without a source.", ()),
        Claim("Another.", (2,)),
    ]
    assert split_claims("[1]") == []


@pytest.mark.parametrize(
    ("buffer", "done", "rest"),
    [
        ("Pakistan struck Kabul [1]. The", "Pakistan struck Kabul [1]. ", "The"),
        ("Pakistan struck Kabul. [1", "", "Pakistan struck Kabul. [1"),
        ("Pakistan struck Kabul. [1] The", "Pakistan struck Kabul. [1] ", "The"),
        ("Pakistan struck", "", "Pakistan struck"),
    ],
)
def test_take_complete_waits_for_the_next_sentence(buffer: str, done: str, rest: str) -> None:
    assert take_complete(buffer) == (done, rest)


def test_streamed_in_any_pieces_the_sentences_are_the_same() -> None:
    text = "Pakistan struck Kabul [1]. The Taliban said so. [2] Talks stalled [1][3]. End [2]."
    for size in (1, 3, 7, 20):
        buffer, out = "", ""
        for i in range(0, len(text), size):
            buffer += text[i : i + size]
            done, buffer = take_complete(buffer)
            out += done
        out += buffer
        assert split_claims(out) == split_claims(text)


def test_sanitise_removes_images_html_and_foreign_links() -> None:
    text = (
        "See ![x](https://evil.example/p.png?q=secret) the [report](https://evil.example/a) "
        "and [the source](https://news.example/a) at https://evil.example/b or "
        "<https://evil.example/c> <img src=https://evil.example/d.png> <b>bold</b>."
    )
    out = sanitise(text, frozenset({"https://news.example/a", "https://evil.example"}))
    assert "evil.example" not in out
    assert "![" not in out
    assert "<" not in out
    assert "the report and [the source](https://news.example/a)" in out
    assert "bold" in out


def test_sanitise_keeps_plain_text_and_drops_reference_definitions() -> None:
    assert sanitise("Troops [1] crossed at 5 p.m.") == "Troops [1] crossed at 5 p.m."
    assert "evil" not in sanitise("Look [here][r].\n[r]: https://evil.example/x")


def test_a_corpus_url_with_data_added_is_not_kept() -> None:
    allowed = urls_in(["Read https://news.example/a. Or http://dawn.com/x, later."])
    assert allowed == {"https://news.example/a", "http://dawn.com/x"}
    assert sanitise("See [it](https://news.example/a).", allowed) == (
        "See [it](https://news.example/a)."
    )
    assert sanitise("See [it](https://news.example/a?q=secret).", allowed) == "See it."
    assert sanitise("At https://news.example/a?q=secret now", allowed) == "At now"


def test_no_answer() -> None:
    assert is_no_answer("NO_ANSWER")
    assert is_no_answer("no answer")
    assert not is_no_answer("The answer is no.")
