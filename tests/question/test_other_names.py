"""The other names the documents give what a question names, and how a sentence is read
with the question's name for it."""

from __future__ import annotations

import pytest

from app.question.analysis import analyse_question, as_documents_name
from app.question.entities import (
    Entity,
    as_asked,
    defined_as,
    entity_of,
    known_as,
    mentioned,
    widened,
)
from app.question.intent import Intent

TTP = entity_of("TTP", {"TTP": "Tehrik-e-Taliban Pakistan"})
REPORT = (
    "Pakistan's strikes last year targeted the leadership of the Tehrik-e-Taliban Pakistan "
    "(TTP) extremist group, also known as the Pakistani Taliban, inside Afghanistan."
)


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        (REPORT, TTP, {"pakistani taliban"}),
        ("The Ruhr, better known as the Ruhrgebiet, is clean.", entity_of("Ruhr"), {"ruhrgebiet"}),
        ("Tesla, known as the Wizard, worked alone.", entity_of("Tesla"), {"wizard"}),
        ("Tesla was widely known as a reformer.", entity_of("Tesla"), set()),  # no name
        ("The Pakistani Taliban emerged in 2007.", TTP, set()),  # says no other name
        # What follows the name is not always what it is known as.
        ("The TTP attacked what is known as the Durand Line.", TTP, set()),
        ("TTP chief Mehsud, known as Mufti Noor, spoke.", TTP, set()),
        (
            "The TTP, known as Fitna al-Khawarij by the army, grew.",
            TTP,
            {"fitna al-khawarij"},
        ),
    ],
)
def test_a_name_the_documents_say_something_is_also_known_by(
    text: str, name: Entity | None, expected: set[str]
) -> None:
    assert name is not None
    assert known_as(text, name) == expected


@pytest.mark.parametrize(
    ("text", "phrase", "expected"),
    [
        (REPORT, "Pakistani Taliban", ("Tehrik-e-Taliban Pakistan", "TTP")),
        (
            "The Ruhr Valley, also known as the Ruhrgebiet, is clean.",
            "Ruhrgebiet",
            ("Ruhr Valley", None),
        ),
        ("The Pakistani Taliban emerged in 2007.", "Pakistani Taliban", None),  # no definition
        # Known as something longer than the name asked about is not that name.
        (
            REPORT.replace("Pakistani Taliban", "Pakistani Taliban Movement"),
            "Pakistani Taliban",
            None,
        ),
        ("Pakistan, also known as the Islamic Republic, voted.", "Pakistani Taliban", None),
    ],
)
def test_the_name_the_documents_say_goes_by_another(
    text: str, phrase: str, expected: tuple[str, str | None] | None
) -> None:
    assert defined_as(text, phrase) == expected


def test_a_countrys_people_before_a_name_may_name_a_group_the_documents_define() -> None:
    asked = analyse_question("Why do Kabul and the Pakistani Taliban get along?")
    pakistan = asked.entities[-1]
    assert (pakistan.name, pakistan.country, pakistan.phrase) == (
        "Pakistan", True, "Pakistani Taliban"
    )  # fmt: skip
    # "Pakistani officials" or "the Afghan side" speak for the country: no group's name.
    assert entity_of("Pakistani officials").phrase == ""  # type: ignore[union-attr]
    assert entity_of("the Afghan side").phrase == ""  # type: ignore[union-attr]
    read = as_documents_name(asked, ["Kabul is calm.", REPORT])
    kabul, group = read.entities
    assert kabul == asked.entities[0]
    assert (group.name, group.country) == ("Pakistani Taliban", False)
    assert set(group.aliases) == {"pakistani taliban", "tehrik-e-taliban pakistan", "ttp"}
    # Where no passage defines it, it stays the country.
    assert as_documents_name(asked, ["Kabul is calm."]) == asked
    # As the one whose account is asked, too.
    held = analyse_question("According to the Pakistani Taliban, what is the war about?")
    assert held.holder is not None
    assert held.holder.country
    holder = as_documents_name(held, [REPORT]).holder
    assert holder is not None
    assert "ttp" in holder.aliases
    assert not holder.country


def test_a_sentence_is_read_with_the_questions_name_after_the_other_one() -> None:
    assert TTP is not None
    other = Entity("TTP", ("pakistani taliban", "tehrik-e-taliban pakistan"))
    assert (
        as_asked("The Pakistani Taliban emerged in 2007, and grew.", [other])
        == "The Pakistani Taliban (TTP) emerged in 2007, and grew."
    )
    # A sentence already using the question's name, or naming none of the others, is
    # read as it is; so is every sentence for a country, which goes by all its names.
    assert as_asked("The TTP emerged in 2007.", [other]) == "The TTP emerged in 2007."
    assert as_asked("The army moved.", [other]) == "The army moved."
    kabul = entity_of("Afghanistan")
    assert kabul is not None
    assert as_asked("Kabul denied it.", [kabul]) == "Kabul denied it."
    assert widened(TTP, {"pakistani taliban"}).aliases == (
        "tehrik-e-taliban pakistan",
        "pakistani taliban",
        "ttp",
    )


def test_a_place_at_the_end_of_a_name_is_not_its_surname() -> None:
    long_form = entity_of("Tehrik-e-Taliban Pakistan")
    person = entity_of("Khalid Sultan")
    assert long_form is not None
    assert person is not None
    assert long_form.aliases == ("tehrik-e-taliban pakistan",)  # "Pakistan" is not it
    assert person.aliases == ("khalid sultan", "sultan")  # "Sultan said" is him


def test_a_persons_title_before_their_name_is_a_name_they_go_by() -> None:
    from app.question.entities import titled_as

    toll = entity_of("Mira Toll")
    assert toll is not None
    assert titled_as("Norland's Harbour Minister Mira J. Toll resigned.", toll) == {
        "harbour minister"
    }
    assert titled_as("The Prime Minister Mira Toll left.", toll) == {"prime minister"}
    assert titled_as("Chief Toll spoke.", toll) == set(), "one word says too little"
    assert titled_as("Yesterday Harbour Minister Mira Toll left.", toll) == {"harbour minister"}
    # Another's title: in the sentence before, or of a namesake.
    assert titled_as("It was led by Interior Minister Ivo Grace. Mira Toll said no.", toll) == set()
    assert titled_as("Interior Minister Ivo Toll spoke.", toll) == set()


def test_who_speaks_or_acts_for_a_group_is_asked_about_by_the_groups_name() -> None:
    leaders = entity_of("the Sudmark Guild leadership")
    commanders = entity_of("NRA commanders", {"NRA": "Norland Rifle Association"})
    assert leaders is not None
    assert commanders is not None
    assert leaders.name == "Sudmark Guild leadership"
    assert leaders.aliases == ("sudmark guild leadership", "sudmark guild")
    assert mentioned("The Sudmark Guild said no.", [leaders])
    assert set(commanders.aliases) == {"nra commanders", "nra", "norland rifle association"}
    assert entity_of("the leadership") == Entity("leadership", ("leadership",))
    # Not a named group: "local officials" are not whatever is local.
    assert entity_of("local officials") == Entity("local officials", ("local officials",))


@pytest.mark.parametrize(
    ("question", "subject"),
    [
        ("Could you explain what Tehrik-e-Taliban Pakistan is?", "Tehrik-e-Taliban Pakistan"),
        ("Tell me who Khalid Sultan is.", "Khalid Sultan"),
        ("What exactly is the TTP?", "TTP"),
        ("Can you describe what the Durand Line is?", "Durand Line"),
    ],
)
def test_asking_to_explain_what_something_is_asks_for_its_definition(
    question: str, subject: str
) -> None:
    asked = analyse_question(question)
    assert asked.intent is Intent.DEFINITION
    assert asked.subject is not None
    assert asked.subject.name == subject


@pytest.mark.parametrize(
    "question",
    [
        "Can you explain what happened in Kabul?",
        "What exactly was hit?",
        "Who exactly is responsible?",
    ],
)
def test_asking_what_happened_or_who_did_it_is_no_definition(question: str) -> None:
    assert analyse_question(question).intent is not Intent.DEFINITION


@pytest.mark.parametrize(
    ("question", "search", "intent"),
    [
        (
            "In the Crisis Group interview, what is the PTI that gets mentioned?",
            "What is the PTI?",
            Intent.DEFINITION,
        ),
        ("In this article, who is Khalid Sultan?", "Who is Khalid Sultan?", Intent.DEFINITION),
        ("What is the TTP that was mentioned there?", "What is the TTP?", Intent.DEFINITION),
        # Not a frame: "in the report" names no article read; "mentioned" is asked about.
        ("In the report of 2025, what was found?", None, Intent.FACT),
        ("Who mentioned the TTP?", "Who mentioned the TTP?", Intent.FACT),
    ],
)
def test_where_a_question_was_read_frames_it_and_is_not_searched_for(
    question: str, search: str | None, intent: Intent
) -> None:
    asked = analyse_question(question)
    assert asked.search == (search or question)
    assert asked.intent is intent
    assert asked.asked == question


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("What has Islamabad asked the Afghan Taliban to do about the TTP?", Intent.FACT),
        ("What did Pakistan do after the attack?", Intent.EVENT),
        ("What has the Taliban done since 2021?", Intent.EVENT),
    ],
)
def test_what_someone_was_asked_to_do_is_no_question_of_what_they_did(
    question: str, intent: Intent
) -> None:
    assert analyse_question(question).intent is intent


def test_a_surname_names_the_person_only_written_with_its_capital() -> None:
    sultan = entity_of("Khalid Sultan")
    grace = entity_of("Mira Grace")
    assert sultan is not None
    assert grace is not None
    assert sultan.pattern().search("Sultan said the talks failed.")
    assert not sultan.pattern().search("the sultan's palace was shelled")
    assert grace.pattern().search("Grace said the levee would hold.")
    assert grace.pattern().search("Mira Grace spoke; mira grace's office confirmed it.")
    assert not grace.pattern().search("The council gave the town a grace period.")
    assert widened(sultan, {"the analyst"}).proper == sultan.proper


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("Most ships built by the NSC are members of what fleet?", ["NSC"]),
        ("Name two ferries that have been rebuilt.", []),
        ("After Genghis Khan died, who ruled?", ["Genghis Khan"]),
        ("What did the Most Holy Trinity order?", ["Most Holy Trinity"]),
        # A month or a weekday is a time, not a name; a name may hold one.
        ("Who died in the March 2 flood in Marsby?", ["Marsby"]),
        ("What happened on Feb. 27 or last Thursday?", []),
        ("What did the February Revolution change?", ["February Revolution"]),
        ("Who is May Toll?", ["May Toll"]),
    ],
)
def test_a_capital_opening_a_question_names_nothing_unless_a_name_goes_on(
    question: str, names: list[str]
) -> None:
    from app.question.analysis import names_in

    assert names_in(question) == names


def test_a_person_named_after_what_they_are_is_that_person() -> None:
    for phrase in ("the think-tank head Rana", "the Crisis Group analyst Bahiss"):
        person = entity_of(phrase)
        assert person is not None
        assert person.aliases == (phrase.split()[-1].lower(),)
    # A title written as a name stays whole, and "the leader of the TTP" is no one's name.
    asif = entity_of("Defense Minister Khawaja Asif")
    assert asif is not None
    assert "asif" in asif.aliases
    assert entity_of("the leader of the TTP").name == "leader of the TTP"  # type: ignore[union-attr]
