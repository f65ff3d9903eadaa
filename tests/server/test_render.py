"""The chat's HTML: every outside text inert, answers in their forms, one card per article."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from app.server.render import (
    answer_html,
    article_html,
    header_html,
    message_html,
    streaming_html,
)
from app.text.labels import day_label, source_label
from app.types import Answer, AnswerSentence, Citation

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)"> **bold** [x](javascript:y)'


class _Tags(HTMLParser):
    """The tags and attributes a piece of HTML makes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def _citation(n: int, document: str = "d1", quote: str = "The fair opened.", **kw: str) -> Citation:
    fields = {"source": "news/001_fce48783007ea49c.txt", "title": "Harbour news",
              "date": "2026-02-28", **kw}  # fmt: skip
    return Citation(n, fields["source"], fields["title"], fields["date"], 0, len(quote), quote,
                    document)  # fmt: skip


def test_document_text_never_becomes_markup() -> None:
    quote = f"The fair opened. {HOSTILE}"
    answer = Answer(
        "q?",
        quote,
        False,
        citations=(_citation(1, quote=quote, title=HOSTILE, source=HOSTILE),),
        sentences=(AnswerSentence(quote, (1,), True, (4, 8)),),
        notice=HOSTILE,
    )
    for html in (
        answer_html(answer, 0),
        streaming_html(HOSTILE),
        message_html(HOSTILE),
        article_html(HOSTILE, "2026-02-28", HOSTILE, HOSTILE * 2, 3, 30),
        header_html({"documents": 1, "user": HOSTILE}),
    ):
        tags = {tag for tag, _ in _tags(html)}
        assert not tags & {"script", "img", "iframe"}, html
        attributes = [
            (name, value or "") for _, attrs in _tags(html) for name, value in attrs.items()
        ]
        assert not [name for name, _ in attributes if name.startswith("on")]
        assert all(value.startswith("#cite-") for name, value in attributes if name == "href")
        assert "&lt;script&gt;" in html


def test_the_answers_words_are_bold_in_the_answer_and_in_its_quote() -> None:
    text = "Around a dozen people were killed."
    answer = Answer(
        "How many?", text, False, citations=(_citation(1, quote=text),),
        sentences=(AnswerSentence(text, (1,), True, (9, 14)),),
    )  # fmt: skip
    html = answer_html(answer, 3)
    assert html.count("<strong>dozen</strong>") == 2
    assert '<a class="dq-chip" href="#cite-3-1"' in html


def test_sources_are_one_card_per_article_listing_its_quotes() -> None:
    citations = (
        _citation(1, "a", "First of a."),
        _citation(2, "b", "Only of b.", title="Other paper"),
        _citation(3, "a", "Second of a."),
    )
    sentences = tuple(AnswerSentence(c.quote, (c.id,), True) for c in citations)
    html = answer_html(Answer("q?", "x", False, citations=citations, sentences=sentences), 0)
    assert html.count('class="dq-card"') == 2
    card_a = html.split('class="dq-card"')[1]
    assert "First of a." in card_a
    assert "Second of a." in card_a
    assert "Only of b." not in card_a
    assert "news/001.txt" in html
    assert "fce48783007ea49c" not in html.split("title=")[0]


def test_forms_render_as_timelines_positions_and_points() -> None:
    cited = (_citation(1), _citation(2, "e"))
    timeline = Answer(
        "What happened?", "x", False, citations=cited, form="timeline",
        sentences=(AnswerSentence("A.", (1,), True, label="27 February 2026"),
                   AnswerSentence("B.", (2,), True, label="3 March 2026")),
    )  # fmt: skip
    html = answer_html(timeline, 0)
    assert html.count('<li><span class="dq-when">') == 2
    assert '<ol class="dq-timeline">' in html
    assert html.index("27 February 2026") < html.index("3 March 2026")
    sides = Answer(
        "Why?", "x", False, citations=cited, form="positions",
        sentences=(AnswerSentence("A says.", (1,), True, label="Afghanistan"),
                   AnswerSentence("P says.", (2,), True, label="Pakistan")),
    )  # fmt: skip
    html = answer_html(sides, 0)
    assert html.count('<section class="dq-side">') == 2
    assert '<div class="dq-side-name">Pakistan</div>' in html


def test_a_refusal_says_so_and_quotes_the_closest_passages() -> None:
    refusal = Answer(
        "What is the population of Tillby?",
        "The documents don't say. The closest passages are listed below.",
        True,
        closest=(_citation(1, quote="Tillby lies on the coast."),),
    )
    html = answer_html(refusal, 0)
    assert "<strong>The documents don't say.</strong>" in html
    assert "Closest passages" in html
    assert "Tillby lies on the coast." in html
    reason = Answer("q?", "The documents report nothing dated 3 May 2026 about this. The "
                    "closest passages are listed below.", True)  # fmt: skip
    assert "nothing dated 3 May 2026" in answer_html(reason, 0)


def test_a_written_answers_markers_become_chips_and_unsupported_flags() -> None:
    written = Answer("q?", "It opened [1]. It sank [unsupported].", False,
                     citations=(_citation(1),), mode="llm")  # fmt: skip
    html = answer_html(written, 2)
    assert 'href="#cite-2-1"' in html
    assert "dq-unsupported" in html
    assert "[1]" not in html


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("seeds/000_fce48783007ea49c.txt", "seeds/000.txt"),
        ("upload://board minutes.pdf", "board minutes.pdf"),
        ("https://www.example.org/a/b.html", "example.org"),
        ("reports/deadbeef.md", "reports/deadbeef.md"),  # no digit: a word, not a hash
        ("plain.txt", "plain.txt"),
    ],
)
def test_sources_are_named_readably(source: str, shown: str) -> None:
    assert source_label(source) == shown


def test_dates_read_as_days() -> None:
    assert day_label("2026-02-28") == "28 Feb 2026"
    assert day_label("2026") == "2026"
    assert day_label(None) == ""
    header = header_html({"documents": 2, "dates": ["2026-02-28", "2026-03-03"],
                          "indexed": "2026-12-03T14:03:12+0000", "user": "ana"})  # fmt: skip
    assert "2 documents · 28 Feb 2026 – 3 Mar 2026 · indexed 3 Dec 2026" in header
    assert "Signed in as ana" in header
