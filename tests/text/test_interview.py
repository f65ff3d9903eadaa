"""Interviews and who holds a view: the guest's unlabelled answers are theirs, the
interviewer's lines and photo captions are not, and a side named as a frame or after a
reporting verb is the holder."""

from __future__ import annotations

import re

from app.text.attribution import held, holder_spans
from app.text.interview import announces, asks, interview_of

TRANSCRIPT = """Flooding closed the Marsby bridge on Tuesday.

To understand the closure, Ana Ruiz spoke to Tomas Brenner, a senior engineer in Marsby \
with the Norland Water Board.

Ana Ruiz: Can you tell me what happened overnight? Tomas Brenner: The river rose two \
metres before midnight. The gates held until three.

The council has blamed the board. Is that fair? It is a hard question. The board warned \
the council in May.

Workers clear debris near the Marsby bridge, March 3, 2026. AP Photo

Tell us what comes next. The bridge stays shut until the inspection. But my hope is that \
it reopens within a month.
"""


def _said(text: str) -> list[str]:
    found = interview_of(text)
    assert found is not None
    return [text[a:b] for a, b in found.turns]


def test_the_guest_says_the_answers_and_the_interviewer_the_questions() -> None:
    found = interview_of(TRANSCRIPT)
    assert found is not None
    assert found.guest == "Tomas Brenner"
    assert found.about == "senior engineer in Marsby with the Norland Water Board"
    said = _said(TRANSCRIPT)
    assert said[0].startswith("Tomas Brenner: The river rose")
    assert "The gates held until three." in said
    assert "It is a hard question." in said
    assert "The board warned the council in May." in said
    assert "But my hope is that it reopens within a month." in said
    # the interviewer's lead-in and questions, the introduction and the caption are not his
    for other in (
        "The council has blamed the board.",
        "Is that fair?",
        "Tell us what comes next.",
        "Flooding closed the Marsby bridge on Tuesday.",
    ):
        assert other not in said
    assert not any("AP Photo" in s for s in said)


def test_the_guest_is_known_by_name_surname_and_how_the_article_introduces_them() -> None:
    found = interview_of(TRANSCRIPT)
    assert found is not None
    assert found.is_guest(("tomas brenner",), place=False)
    assert found.is_guest(("brenner",), place=False)
    assert found.is_guest(("water board's marsby engineer",), place=False)
    assert found.is_guest(("norland water board engineer",), place=False)
    assert not found.is_guest(("marsby",), place=True)  # a place speaks for itself
    assert not found.is_guest(("ana ruiz",), place=False)
    assert not found.is_guest(("city council",), place=False)


def test_an_article_that_labels_no_exchange_is_no_interview() -> None:
    assert (
        interview_of("The council met on Tuesday. Mayor Dahl said the bridge would open.") is None
    )
    # a label that never asks is a heading, not an interviewer
    assert interview_of("Update One: the bridge is shut.\n\nUpdate Two: it reopens.") is None


def test_a_question_or_an_interviewers_prompt_asks() -> None:
    assert asks("Is that fair?")
    assert asks("Tell us what is at the root of this conflict.")
    assert not asks("The core issue stems from the levy.")


def test_a_line_that_only_announces_what_follows_is_told_from_one_that_says_it() -> None:
    assert announces("So, I think we’ve gotten a couple of important precedents.")
    assert announces("There are two things here.")
    assert announces("Well, I would say there are several key factors at play:")
    assert announces("We have seen a few worrying trends.")
    assert not announces("There are two reasons: the levy and the drought.")
    assert not announces("The war had three phases.")
    assert not announces("There are three main types of dam in Norland.")
    assert not announces("I think the challenge is that neither side can back down.")
    assert announces("“There are two things here.”")
    for fact in ("There were some problems.", "There are several unresolved issues.",
                 "There were two military developments.", "We've had some issues."):  # fmt: skip
        assert not announces(fact), fact


NORLAND = re.compile(r"\bnorland(?:ers)?\b|\bnorlandic\b", re.IGNORECASE)


def test_a_side_named_as_the_frame_holds_its_sentence_and_the_two_after() -> None:
    frame = "On the Norlandic side, the rhetoric has hardened."
    assert held(frame, "", NORLAND) == 1
    assert held("The council is called 'the regime'.", frame, NORLAND) == 1
    other = "On the Sudmark side, the rhetoric has hardened."
    assert held("The council is called 'the regime'.", other, NORLAND) == -1
    assert held("The council is called 'the regime'.", "", NORLAND) == 0
    # two sentences on, unless the one between names a holder of its own
    called = "The council is called 'the regime'."
    assert held("The language is that it hides.", called, NORLAND, earlier=frame) == 1
    said = "Sudmark's mayor said the council hides."
    assert held("The language is that it hides.", said, NORLAND, earlier=frame) == 0


def test_the_name_after_a_reporting_verb_holds_the_view_and_one_of_a_people_is_not_the_side(
) -> None:  # fmt: skip
    text = "The dam failed because Norland cut its budget, said Mira Toll, an engineer."
    assert [text[a:b] for a, b in holder_spans(text)] == ["Mira Toll"]
    assert held(text, "", NORLAND) == -1
    assert held(text, "", re.compile(r"\bmira toll\b", re.IGNORECASE)) == 1
    analyst = "Kari Dahl, a Norlandic water analyst, said the gates held."
    assert held(analyst, "", NORLAND, nation=True) == -1
    assert held("Norland's government said the gates held.", "", NORLAND, nation=True) == 1


def test_a_photo_credit_ends_a_caption_but_a_word_for_images_does_not() -> None:
    from app.text.sentences import credited

    assert credited("Workers clear debris, March 3, 2026. AP Photo")
    assert credited("Ishtiaq Mahsud/ AP File Photo")
    assert credited("Getty Images")
    assert not credited("The scans are stored as digital images.")
    assert not credited("He took a photo.")


def test_a_heading_is_no_speaker_and_a_guests_question_back_keeps_them_the_guest() -> None:
    heading = (
        "Mira Toll: A Profile\n\nThe mayor remains in office. Why It Matters: Will Toll "
        "return? Few think so.\n\nThe council denies any role."
    )
    assert interview_of(heading) is None
    back = interview_of("Ana Ruiz: Did you win? Tom Brenner: Why would we lose? We won.")
    assert back is not None
    assert back.guest == "Tom Brenner"
    assert _said("Ana Ruiz: Did you win? Tom Brenner: Why would we lose? We won.") == ["We won."]


def test_an_editors_note_is_not_the_guests() -> None:
    said = _said(TRANSCRIPT + "\nThis interview has been lightly edited for length.\n")
    assert not any("edited" in s for s in said)


def test_an_object_after_a_comma_a_spokesman_and_a_place_are_read_as_they_are() -> None:
    # "…, accused Norland of lying": Norland is accused, not the one accusing
    assert (
        held("Sudmark rejected it, accused Norland of lying and shut the road.", "", NORLAND) == -1
    )
    # a spokesman speaks for his side; an analyst is one of its people
    spokesman = "A Norlandic military spokesman said the strikes hit depots."
    assert held(spokesman, "", NORLAND, nation=True) == 1
    # "the Norlandic side of the border" is a place, not a side's view
    assert held("On the Norlandic side of the border, shells hit a school.", "", NORLAND) == 0
    assert held("For their part, officials were silent.", "", NORLAND) == 0
