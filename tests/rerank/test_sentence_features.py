"""Cheap features of candidate sentences: whether a sentence is about the days asked,
holds the question's words, stands in a photo's caption."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from app.question.analysis import analyse_question
from app.rerank.sentences import candidate_sentences
from app.types import Chunk, Hit


class _Flat:
    """Every term weighs the same."""

    def weights(self, terms: Iterable[str]) -> dict[str, float]:
        return dict.fromkeys(terms, 1.0)

    def knows_any(self, terms: Iterable[str]) -> bool:
        return True


def _windows(question: str, text: str, published: str | None) -> list[bool | None]:
    spans, at = [], 0
    for part in text.split("  "):
        spans.append((at, at + len(part)))
        at += len(part) + 2
    chunk = Chunk(0, 0, 0, len(text), text, tuple(spans))
    asked = analyse_question(question, as_of=date(2026, 3, 10))
    meta = {0: ("report.txt", "A report", published, "everyone")}
    found = candidate_sentences(asked, [Hit(chunk, 1.0, 1.0, 1.0)], _Flat(), meta)
    return [s.in_window for s in found]


def test_a_sentence_naming_no_day_is_about_the_days_its_article_reports() -> None:
    text = "The levee broke and dozens were hurt.  The council met on March 1."
    asked = "What happened on March 2?"
    # Published on March 3: an undated sentence reports March 2; a dated one its own day.
    assert _windows(asked, text, "2026-03-03") == [True, False]
    # Published a week later, the same sentence is not about March 2.
    assert _windows(asked, text, "2026-03-09") == [False, False]


def test_an_undated_articles_sentence_is_about_the_years_it_writes_and_no_others() -> None:
    text = (
        "The offer was made in 1942 by a firm later bought in 1997.  "
        "The network was sold in 1943.  The network was sold."
    )
    # Naming 1942 puts a sentence in the window; naming only other years or none says
    # nothing either way, without the article's date to go by.
    assert _windows("Who made an offer in 1942?", text, None) == [True, None, None]


def test_a_sentence_giving_another_name_the_passages_use_holds_the_questions_words() -> None:
    from app.rerank.sentences import other_names

    text = (
        "The Tehrik-e-Taliban Pakistan (TTP) extremist group, also known as the Pakistani "
        "Taliban, has bases there.  The Pakistani Taliban emerged in 2007.  "
        "The army emerged from the barracks."
    )
    spans, at = [], 0
    for part in text.split("  "):
        spans.append((at, at + len(part)))
        at += len(part) + 2
    hits = [Hit(Chunk(0, 0, 0, len(text), text, tuple(spans)), 1.0, 1.0, 1.0)]
    asked = analyse_question("When did the TTP emerge?")
    others = other_names(asked, hits)
    assert [(e.name, set(e.aliases)) for e in others] == [
        ("TTP", {"tehrik-e-taliban pakistan", "pakistani taliban"})
    ]
    meta = {0: ("report.txt", "A report", "2026-03-01", "everyone")}
    found = candidate_sentences(asked, hits, _Flat(), meta, None, others=others)
    # "The Pakistani Taliban emerged" holds both of the question's words; the army's
    # sentence only "emerge"; without the other names, the first two would tie with it.
    assert found[1].lexical > found[2].lexical
    plain = candidate_sentences(asked, hits, _Flat(), meta)
    assert plain[1].lexical == plain[2].lexical


def test_the_questions_unknown_words_are_those_no_document_uses_names_aside() -> None:
    from app.rerank.sentences import unknown_terms

    class Vocabulary(_Flat):
        def knows_any(self, terms: Iterable[str]) -> bool:
            return set(terms) <= {"countri", "offer", "between"}

    asked = analyse_question("Which country offered to mediate between Norland and Sudmark?")
    assert unknown_terms(asked, Vocabulary()) == ("mediat",)


def test_a_sentence_whose_paragraph_ends_with_a_photo_credit_is_in_a_caption() -> None:
    text = (
        "In this 2012 file photo, farmers walk the levee.  Five years after the flood, the "
        "valley is quiet, say residents.  Ana Ruiz/ AP File Photo\n\n"
        "The levee broke after the council cut its budget."
    )
    spans, at = [], 0
    for part in text.replace("\n\n", "  ").split("  "):
        spans.append((at, at + len(part)))
        at += len(part) + 2
    hits = [Hit(Chunk(0, 0, 0, len(text), text, tuple(spans)), 1.0, 1.0, 1.0)]
    found = candidate_sentences(analyse_question("Why did the levee break?"), hits, _Flat())
    assert [s.caption for s in found] == [True, True, True, False]
