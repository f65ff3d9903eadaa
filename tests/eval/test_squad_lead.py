"""The SQuAD benchmark's first-sentence measure ends at docqa's first citation marker."""

from tests.bench.squad import lead


def test_lead_ends_at_the_first_numbered_marker() -> None:
    answer = "Telenet was the first public data network. [1] It was founded by Larry Roberts. [2]"
    assert lead(answer) == "Telenet was the first public data network. "


def test_a_documents_own_brackets_stay_in_the_sentence() -> None:
    sentence = "In French, Rhin[note 3] is spelt with Rh-, as is[citation needed] the Rhein. "
    assert lead(sentence + "[1] A second sentence. [2]") == sentence


def test_an_answer_without_markers_is_all_lead() -> None:
    assert lead("No passage answers this.") == "No passage answers this."
