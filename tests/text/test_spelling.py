"""A question is searched in the spelling its documents use."""

from app.text.spelling import respelled

AMERICAN = {"neighbors", "defense", "center", "minister", "two"}


def knows(word: str) -> bool:
    return word.lower() in AMERICAN


def test_a_british_spelling_is_searched_as_american_documents_write_it() -> None:
    assert respelled("Who are the two neighbours?", knows) == "Who are the two neighbors?"
    assert respelled("Defence minister", knows) == "Defense minister"
    assert respelled("the DEFENCE centre", knows) == "the DEFENSE center"


def test_and_an_american_one_as_british_documents_write_it() -> None:
    british = {"neighbours", "defence"}
    assert respelled("neighbors' defense", lambda w: w.lower() in british) == (
        "neighbours' defence"
    )


def test_a_word_the_documents_use_as_asked_is_left_alone() -> None:
    both = AMERICAN | {"centre"}
    assert respelled("the centre", lambda w: w.lower() in both) == "the centre"
    # Neither spelling in the documents: as asked (the question's own word is refused
    # or matched as it stands).
    assert respelled("the colour of it", knows) == "the colour of it"
    assert respelled("Kabul", knows) == "Kabul"
