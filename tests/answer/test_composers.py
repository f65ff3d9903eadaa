"""Each composer on its own, over hand-made reranked sentences: what it picks, in what
order, with which labels, and when it refuses."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from app.answer.extractive.compose import composer_for
from app.answer.extractive.compose.base import distinct
from app.question.analysis import Question, analyse_question
from app.question.entities import entity_of
from app.question.intent import Intent
from app.rerank.base import Ranked, Sentence
from app.rerank.sentences import CUES
from app.settings import AnswerSettings
from app.text.dates import date_spans

SETTINGS = AnswerSettings()


def sentence(
    text: str, relevance: float, *, doc: int = 0, at: int = 0, **features: object
) -> Sentence:
    """A reranked sentence of document ``doc`` at offset ``at``."""
    base = Sentence(
        chunk_id=doc,
        doc_id=doc,
        start=at,
        end=at + len(text),
        text=text,
        before="",
        lexical=0.5,
        context=0.5,
        standing=1.0,
        defines=False,
        asks=False,
        relevance=relevance,
        rank=relevance,
        read=True,
    )
    return replace(base, **features)  # type: ignore[arg-type]


def ranked(
    *sentences: Sentence, unread: tuple[Sentence, ...] = (), question: Question | None = None
) -> Ranked:
    read = tuple(sorted(sentences, key=lambda s: s.rank, reverse=True))
    subject = question.subject if question is not None else None
    return Ranked((), read, 0.15, "test", unread, subject)


def texts(
    question: Question, sentences: tuple[Sentence, ...], unread: tuple[Sentence, ...] = ()
) -> list[str]:
    plan = composer_for(question.intent).compose(
        question, ranked(*sentences, unread=unread, question=question), SETTINGS
    )
    return [p.sentence.text for p in plan.picks]


def test_a_definition_is_the_sentence_that_says_what_the_subject_is() -> None:
    question = analyse_question("Who is Mira Toll?")
    assert question.intent is Intent.DEFINITION
    uses = sentence(
        "Mira Toll spoke at length about the harbour budget on Monday.", 0.9, about=True
    )
    says = sentence(
        "The budget was presented by Mira Toll, the harbour master of Lindqvist.",
        0.6,
        at=80,
        about=True,
        cue=True,
    )
    claims = sentence(
        "The union's argument is that Mira Toll is a puppet of the council.",
        0.8,
        at=160,
        about=True,
        cue=True,
    )
    assert texts(question, (uses, says, claims))[0] == says.text
    # However little the model makes of it: an apposition reads as barely relevant.
    faint = replace(says, relevance=0.1, rank=0.1)
    assert texts(question, (uses, faint))[0] == faint.text
    assert claims.text not in texts(question, (uses, says, claims))


def test_a_cause_leads_with_the_cause_and_labels_each_named_sides_own_account() -> None:
    question = analyse_question("Why are Norland and Sudmark fighting over the river?")
    cause = sentence("The dispute stems from a dam Norland built upstream in 2019.", 0.7, cue=True)
    north = sentence("Norland says the dam was built on its own land.", 0.4, at=100, cue=True)
    south = sentence(
        "Sudmark argues that the dam has halved its water supply.", 0.4, at=200, cue=True
    )
    noise = sentence("The river is 300 kilometres long.", 0.8, at=300)
    plan = composer_for(question.intent).compose(
        question, ranked(cause, north, south, noise), SETTINGS
    )
    assert next(p.sentence.text for p in plan.picks) == cause.text
    labels = {p.label: p.sentence.text for p in plan.picks if p.label}
    assert labels == {"Norland": north.text, "Sudmark": south.text}
    assert plan.form == "positions"


def test_why_onlookers_say_something_is_their_account_not_each_sides() -> None:
    question = analyse_question("Why do experts doubt Norland will break with Sudmark?")
    assert question.onlookers
    ties = sentence(
        "That is unlikely, experts say, given the two sides' close ties.", 0.7, cue=True
    )
    north = sentence("Norland says the dam was built on its own land.", 0.4, at=100, cue=True)
    south = sentence(
        "Sudmark argues that the dam has halved its water supply.", 0.4, at=200, cue=True
    )
    plan = composer_for(question.intent).compose(question, ranked(ties, north, south), SETTINGS)
    assert plan.picks[0].sentence.text == ties.text
    assert not any(p.label for p in plan.picks)
    assert plan.form == "prose"
    assert not analyse_question("Why are Norland and Sudmark fighting?").onlookers
    # Nor is a cause split by side where the question asks of no conflict between them.
    exiled = analyse_question("Why did Norland exile the envoy Sudmark sent?")
    plan = composer_for(exiled.intent).compose(exiled, ranked(ties, north, south), SETTINGS)
    assert not any(p.label for p in plan.picks)


def test_a_photo_caption_gives_no_cause_and_the_next_sentence_explains_the_best() -> None:
    question = analyse_question("Why did Norland back the union for so many years?")
    best = sentence("Norland had backed the union since it formed in the 1990s.", 0.99, at=0)
    why = sentence(
        "The strategy, experts say, was to keep a friendly union in Marsby.", 0.0, at=60, cue=True
    )
    caption = sentence(
        "Five years after the strike, the union is fractured, say residents.", 0.97, at=200,
        cue=True, caption=True,
    )  # fmt: skip
    plan = composer_for(question.intent).compose(question, ranked(best, caption, why), SETTINGS)
    assert [p.sentence.text for p in plan.picks] == [best.text, why.text]


def test_a_position_is_the_sides_own_never_the_other_sides_account() -> None:
    question = analyse_question("What does Norland say about the dam?")
    assert question.subject is not None
    own = sentence("Norland says the dam was built on its own land.", 0.5, cue=True, about=True)
    other = sentence(
        "Sudmark says that Norland is stealing its water.", 0.9, at=100, cue=True, about=True
    )
    picked = texts(question, (own, other))
    assert picked == [own.text]


def test_asked_what_a_side_accuses_its_accusations_lead_not_one_it_never_made() -> None:
    def said(text: str, relevance: float, at: int) -> Sentence:
        return sentence(text, relevance, at=at, cue=True, about=True)

    demanded = said("Norland demanded that Sudmark open the dam.", 0.99, 0)
    never = said("Norland did not at first accuse Sudmark of theft.", 0.98, 100)
    also = said("Norland has not only accused the Sudmark navy of polluting the lake.", 0.6, 400)
    accuses = said("Norland accuses Sudmark of stealing its water.", 0.7, 200)
    warned = said("Norland also warned of a flood.", 0.97, 300)
    every = (demanded, never, accuses, warned, also)
    question = analyse_question("What is Norland accusing Sudmark of?")
    assert question.intent is Intent.POSITION
    picked = texts(question, every)
    assert picked[0] == accuses.text
    assert picked[:2] == [accuses.text, also.text], "'not only accused' accuses"
    assert never.text not in picked[:2]
    # Asked what it says, the best of what it says leads.
    assert texts(analyse_question("What does Norland say about Sudmark?"), every)[0] == (
        demanded.text
    )


def test_what_is_said_of_a_side_in_no_ones_name_answers_when_it_reads_best() -> None:
    question = analyse_question("What has Norland accused Sudmark of?")
    assert question.intent is Intent.POSITION
    own = sentence("Norland says the talks have stalled.", 0.6, cue=True, about=True)
    unvoiced = sentence(
        "Norland has made similar comments, accusing Sudmark of theft.", 0.9, at=100,
        cue=True, about=True,
    )  # fmt: skip
    weaker = replace(unvoiced, relevance=0.4, rank=0.4)
    assert texts(question, (own, unvoiced))[0] == unvoiced.text
    assert texts(question, (own, weaker)) == [own.text], "the side's own words come first"


def test_an_event_question_prefers_what_the_subject_did_over_what_was_done_to_it() -> None:
    question = analyse_question("How did Sudmark respond to the dam?")
    done_to = sentence(
        "Norland opened the dam after Sudmark protested.", 0.95, cue=True, about=True
    )
    did = sentence(
        "In retaliation, Sudmark's government said it closed the border crossings.",
        0.85,
        at=100,
        cue=True,
        about=True,
    )
    assert texts(question, (done_to, did))[0] == did.text


def test_an_event_question_about_someone_no_passage_names_is_a_refusal_naming_them() -> None:
    question = analyse_question("How did the Sudmark harbour board respond to the closure?")
    others = sentence("In response, Norland closed the border.", 0.9, cue=True, about=False)
    plan = composer_for(question.intent).compose(question, ranked(others), SETTINGS)
    assert plan.refusal == "The documents don't mention Sudmark harbour board."


def test_a_side_no_passage_names_is_a_refusal_but_a_loose_subject_phrase_is_not() -> None:
    asked = analyse_question("What's Sudmark's position on the dam?")
    quoted = sentence("“The dam must open,” Norland's minister said.", 0.9, cue=True)
    plan = composer_for(asked.intent).compose(asked, ranked(quoted), SETTINGS)
    assert plan.refusal == "The documents don't mention Sudmark."
    # "Norland now" is Norland: a word of the subject in a passage is enough.
    loose = analyse_question("How does Norland now answer the protests?")
    assert loose.subject is not None
    plan = composer_for(loose.intent).compose(loose, ranked(quoted), SETTINGS)
    assert plan.refusal is None


def test_a_cause_given_as_a_circumstance_is_read_as_a_cause() -> None:
    question = analyse_question("Why is it unlikely that the board will resign?")
    given = "But that is unlikely, experts say, given the close ties between the members."
    assert CUES[Intent.CAUSE].search(given)
    plain = sentence("The board met on Monday.", 0.6)
    cause = sentence(given, 0.5, at=50, cue=True)
    assert texts(question, (plain, cause))[0] == given


def test_a_timeline_around_a_day_takes_the_events_of_the_days_either_side() -> None:
    question = analyse_question(
        "Put in order the events that led up to the March 20 opening and what came after it.",
        as_of=date(2026, 4, 10),
    )
    assert question.when is not None
    assert question.when.around
    before = _dated("Protesters blocked the bridge on March 12.", "2026-03-25", 0.2, 0)
    day = _dated("Norland opened the dam on March 20.", "2026-03-25", 0.6, 40)
    after = _dated("Sudmark closed the border on March 24.", "2026-03-25", 0.1, 80)
    far = _dated("The dam was planned in 2019.", "2026-03-25", 0.9, 120)
    plan = composer_for(question.intent).compose(
        question, ranked(before, day, after, far), SETTINGS
    )
    assert [p.sentence.text for p in plan.picks] == [before.text, day.text, after.text]


def _dated(
    text: str, published: str | None, relevance: float, at: int, cue: bool = True
) -> Sentence:
    return sentence(
        text,
        relevance,
        at=at,
        cue=cue,
        published=published,
        dates=tuple(date_spans(text, published)),
    )


def test_a_timeline_is_dated_events_of_the_window_oldest_first_with_labels() -> None:
    question = analyse_question("What happened in March 2026?", as_of=date(2026, 4, 10))
    assert question.when is not None
    later = _dated("The dam was opened on March 20.", "2026-03-25", 0.3, 0)
    earlier = _dated("Protesters blocked the bridge on March 2.", "2026-03-25", 0.2, 40)
    before = _dated("The dam was planned in 2019.", "2026-03-25", 0.9, 80)
    same = _dated("On March 20 the dam was opened, officials said.", "2026-03-26", 0.3, 0)
    same = replace(same, doc_id=1, chunk_id=1)
    plan = composer_for(question.intent).compose(
        question, ranked(later, earlier, before, same), SETTINGS
    )
    assert plan.form == "timeline"
    assert [p.label for p in plan.picks] == ["2 March 2026", "20 March 2026"]
    assert [p.sentence.text for p in plan.picks] == [earlier.text, later.text]
    assert len(plan.picks[1].also) == 1  # the same event from the other article, cited beside it


def test_a_timeline_with_nothing_in_its_window_refuses_and_says_so() -> None:
    question = analyse_question("What happened on 3 January 2026?", as_of=date(2026, 4, 10))
    other = _dated("The dam was opened on March 20.", "2026-03-25", 0.9, 0)
    plan = composer_for(question.intent).compose(question, ranked(other), SETTINGS)
    assert plan.refusal is not None
    assert "3 January 2026" in plan.refusal


def test_a_timeline_line_read_as_relevant_needs_no_share_of_the_topic_words() -> None:
    question = analyse_question(
        "What happened to the Orbis programme for the rest of 1970 after the tank incident?",
        as_of=date(2026, 4, 10),
    )
    assert question.when is not None
    # An undated article: the sentence is dated by the year it writes.
    grounded = _dated("Orbis was grounded again for the remainder of 1970.", None, 0.95, 0)
    other = _dated("Orbis flew twice in 1970.", None, 0.3, 60)
    assert texts(question, (grounded, other)) == [grounded.text]


def test_what_happened_answered_by_an_undated_sentence_is_a_plain_answer() -> None:
    question = analyse_question("What happened to the Orbis budget after the first landing?")
    assert question.intent is Intent.TIMELINE
    # Undated articles: only a sentence writing a year has a date.
    budget = _dated("The Orbis budget began to shrink after the landing.", None, 0.95, 0)
    years = _dated("Orbis landed the first crews from 1969 to 1972.", None, 0.5, 60)
    plan = composer_for(question.intent).compose(question, ranked(budget, years), SETTINGS)
    assert plan.form != "timeline"
    assert [p.sentence.text for p in plan.picks][:1] == [budget.text]


def test_a_summary_takes_distinct_dated_points_from_several_articles() -> None:
    question = analyse_question("Summarize the dam dispute.", as_of=date(2026, 4, 10))
    points = [
        _dated(
            "The dam dispute began when Norland built the dam on March 2.", "2026-03-25", 0.9, 0
        ),
        _dated(
            "The dam dispute began after Norland built the dam on March 2.", "2026-03-25", 0.85, 60
        ),
        _dated(
            "Sudmark closed its border over the dam dispute on March 20.", "2026-03-25", 0.5, 120
        ),
    ]
    third = replace(
        _dated("Talks on the dam dispute resume on April 1.", "2026-03-30", 0.4, 0),
        doc_id=1,
        chunk_id=1,
    )
    plan = composer_for(question.intent).compose(question, ranked(*points, third), SETTINGS)
    texts_ = [p.sentence.text for p in plan.picks]
    assert points[1].text not in texts_  # says what the first says
    assert third.text in texts_  # another article's point
    assert all(p.label for p in plan.picks)
    assert plan.form == "points"


def test_a_change_question_gets_the_sentences_that_say_it_changed() -> None:
    question = analyse_question("How is Norland's relationship with Sudmark changing?")
    change = sentence(
        "Norland's relations with Sudmark, an ally for decades, have deteriorated.",
        0.5,
        cue=True,
        about=True,
    )
    static = sentence("Norland and Sudmark share a 300-kilometre river.", 0.9, at=100, about=True)
    assert texts(question, (change, static)) == [change.text]


def test_a_fact_about_one_sides_office_is_not_answered_by_anothers() -> None:
    question = analyse_question("What is the name of Afghanistan's defense minister?")
    wrong = sentence("Pakistan's Defense Minister Khwaja Asif wrote on X.", 0.99)
    plan = composer_for(question.intent).compose(question, ranked(wrong), SETTINGS)
    assert plan.refusal is not None


def test_no_two_picks_say_the_same_thing_and_the_repeat_is_cited_beside() -> None:
    a = sentence("Pakistani jets bombed Kabul and Kandahar on February 27.", 0.9)
    b = replace(sentence("On February 27 Pakistani jets bombed Kabul and Kandahar.", 0.8), doc_id=1)
    c = sentence("The Taliban launched drone attacks in return.", 0.7, at=200)
    picks = distinct([a, b, c], 3)
    assert [p.sentence.text for p in picks] == [a.text, c.text]
    assert picks[0].also == (b,)


def test_sentences_giving_different_numbers_or_one_articles_different_subjects_differ() -> None:
    forty = sentence("The average farm in the town was 40 hectares.", 0.9)
    more = sentence("In the county the average farm was 55 hectares.", 0.8, at=100)
    assert len(distinct([forty, more], 3)) == 2
    wardens = sentence("Wardens are elected by the council and paid by the town.", 0.9)
    clerks = sentence("Clerks are elected by the council and paid by the town.", 0.8, at=100)
    assert len(distinct([wardens, clerks], 3)) == 2
    # Two articles reporting one thing, in their own words, are still one fact.
    again = replace(
        sentence("Wardens are elected by the council, paid by the town.", 0.7), doc_id=1
    )
    assert [len(p.also) for p in distinct([wardens, again], 3)] == [1]


def test_countries_are_named_by_capital_people_and_name() -> None:
    kabul = entity_of("Kabul's")
    assert kabul is not None
    assert kabul.name == "Afghanistan"
    assert {"afghanistan", "afghan", "afghans", "kabul"} <= set(kabul.aliases)


def test_a_count_is_answered_by_a_sentence_with_a_number_or_refused() -> None:
    question = analyse_question("How many people were hurt in the Marsby flood?")
    dated = sentence(
        "A house hit by the Marsby flood, photographed on March 2, 2026.", 0.9,
        dates=tuple(date_spans("A house hit by the Marsby flood, photographed on March 2, "
                               "2026.", "2026-03-03")),
    )  # fmt: skip
    assert texts(question, (dated,)) == [], "the numbers of a date count nobody"
    counted = sentence("Dozens of people were hurt when the levee broke.", 0.85, at=100)
    assert counted.text in texts(question, (dated, counted))
    vague = sentence("Few people were hurt when the levee broke.", 0.85, at=100)
    assert vague.text in texts(question, (dated, vague)), "a count in words is a count"
    unrelated = sentence("The mayor spoke for twenty minutes.", 0.1, at=200)
    assert texts(question, (dated, unrelated)) == [], "a count must come from a relevant sentence"
    # Only a sentence far below the best gives a count, and not of what is counted.
    raid = sentence("Norland jets bombed Marsby's harbour and its bridges.", 0.95)
    stormed = sentence("Norland troops stormed dozens of border posts.", 0.4, at=300)
    jets = analyse_question("How many Norland jets bombed Marsby?")
    assert texts(jets, (raid, stormed)) == [], "dozens of posts is no count of jets"
    posts = analyse_question("How many border posts did Norland bomb?")
    assert texts(posts, (raid, stormed)), "a count of posts answers how many posts"
    amount = analyse_question("How much has been written about the Marsby flood?")
    written = sentence("The extensive records of the Marsby flood fill a library.", 0.9)
    assert texts(amount, (written,)) == [written.text], "an amount in words is an amount"


def test_a_count_of_an_event_named_by_its_day_is_not_another_days_count() -> None:
    question = analyse_question(
        "How many people died in the March 2 flood in Marsby?", as_of=date(2026, 3, 20)
    )
    assert question.when is not None
    assert (question.when.first, question.when.last) == (date(2026, 3, 2), date(2026, 3, 9))

    def on(text: str, relevance: float, at: int) -> Sentence:
        dates = tuple(date_spans(text, "2026-03-10"))
        return sentence(text, relevance, at=at, dates=dates, in_window=True)

    house = on("A house hit by the Marsby flood, seen on March 3, 2026.", 0.9, 0)
    other = on("The March 5 storm left dozens dead in Lindqvist.", 0.4, 100)
    assert texts(question, (house, other)) == [], "another day's dead are not the flood's"
    toll = on("Twelve people died in the March 2 flood.", 0.5, 200)
    # The day's own report leads, however much better another day's reads.
    assert texts(question, (house, other, toll))[0] == toll.text
    louder = replace(other, relevance=0.8, rank=0.8)
    assert texts(question, (louder, toll))[0] == toll.text
    later = on("The toll of the flood has since risen to twenty.", 0.5, 300)
    assert later.text in texts(question, (house, later)), "its toll, reported days later"
    # A sentence naming the day and another time: the count stands by the other time.
    earlier = on(
        "The March 2 flood was the worst since January 2025, when the river broke its "
        "banks, leaving dozens dead.", 0.95, 400,
    )  # fmt: skip
    assert texts(question, (earlier,)) == [], "January's dead are not the flood's"
    assert texts(question, (earlier, toll))[0] == toll.text
    # The same sentence answers a count of the other time.
    january = analyse_question(
        "How many people died in January 2025 in Marsby?", as_of=date(2026, 3, 20)
    )
    assert texts(january, (earlier,)) == [earlier.text]
    # Only a count in another date's "when" clause is that date's.
    grown = on("Twelve were missing on March 2 and five on March 20.", 0.95, 500)
    assert texts(question, (grown,)) == [grown.text]
    risen = on("The river, which had risen since February 20, killed 12 people on March 2.",
               0.95, 600)  # fmt: skip
    assert texts(question, (risen,)) == [risen.text]


def test_a_count_is_led_by_a_sentence_that_gives_one() -> None:
    question = analyse_question("How many people were hurt in the Marsby flood?")
    event = sentence("The Marsby flood swept through the harbour district.", 0.9)
    counted = sentence("Dozens of people were hurt when the levee broke.", 0.6, at=100)
    assert texts(question, (event, counted))[0] == counted.text
    faint = replace(counted, relevance=0.3, rank=0.3)
    assert texts(question, (event, faint))[0] == event.text, "not one far less relevant"
    for other in ("The river rose 3 metres during the Marsby flood.",
                  "A single levee held during the Marsby flood."):  # fmt: skip
        measured = replace(counted, text=other)
        assert texts(question, (event, measured))[0] == event.text, other


def test_an_accusation_is_a_weaker_cause_than_a_circumstance_that_grew() -> None:
    from app.rerank.sentences import cue_of
    from app.settings import ReadingWeights

    weak = ReadingWeights().weak_cue
    assert 0 < weak < 1
    assert cue_of(Intent.CAUSE, "Norland accuses Sudmark of stealing water.") == weak
    grown = "But as Norland's frustration has grown, the accusations have become sharper."
    assert cue_of(Intent.CAUSE, grown) == 1.0
    assert cue_of(Intent.CAUSE, "The talks resumed on Monday.") == 0.0
    question = analyse_question("Why have Norland's accusations become sharper?")
    accuses = sentence("Norland has begun to accuse Sudmark of stealing water.", 0.95,
                       cue=cue_of(Intent.CAUSE, "accuse"))  # fmt: skip
    because = sentence(grown, 0.94, at=100, cue=1.0)
    assert texts(question, (accuses, because))[0] == grown


def test_a_timeline_of_strikes_takes_every_report_of_an_action_in_the_days_asked() -> None:
    question = analyse_question(
        "In what order did the late-February floods and counterattacks happen?",
        as_of=date(2026, 3, 10),
    )
    assert question.intent is Intent.TIMELINE

    def dated(text: str, at: int) -> Sentence:
        return sentence(text, 0.01, at=at, cue=True, published="2026-03-01",
                        dates=tuple(date_spans(text, "2026-03-01")))  # fmt: skip

    flood = dated("The river burst its banks on February 22 and flooded Marsby.", 0)
    attack = dated("Rebels attacked the dam on February 25.", 100)
    early = dated("Rebels attacked the bridge on February 3.", 200)
    assert texts(question, (flood, attack, early)) == [flood.text, attack.text]


def test_a_response_in_words_is_the_subjects_own_response() -> None:
    question = analyse_question("How has Sudmark responded to Norland's calls to close the dam?")
    assert question.intent is Intent.EVENT
    others = sentence(
        "Usually, Norland says it targeted the dam, and Sudmark denies it.", 0.99, cue=True
    )
    own = sentence("Sudmark has always resisted that call.", 0.95, at=100, cue=True)
    assert texts(question, (others, own))[0] == own.text


def test_a_cause_given_by_the_next_sentence_follows_the_one_it_explains() -> None:
    from app.rerank.sentences import cue_of

    question = analyse_question("What was Norland's reasoning for building the dam?")
    assert question.intent is Intent.CAUSE
    built_text = "Norland has built dams on the river since the 1990s."
    why_text = "The strategy, engineers say, was to keep the harbour open in summer."
    built = sentence(built_text, 0.99, cue=cue_of(Intent.CAUSE, built_text))
    why = sentence(why_text, 0.02, at=len(built_text) + 1, cue=cue_of(Intent.CAUSE, why_text))
    assert why.cue == 1.0
    assert texts(question, (built, why)) == [built_text, why_text]
    far = replace(why, start=500, end=500 + len(why_text))
    assert texts(question, (built, far))[0] == built_text
    assert why_text not in texts(question, (built, far)), "only the very next sentence explains"


def test_who_leads_is_answered_by_a_person_named_in_that_role_or_refused() -> None:
    question = analyse_question("Who leads the Marsby Union?")
    unions = sentence(
        "Sweden says the Marsby Union has sanctuaries and most of its leadership abroad.", 0.97
    )
    other = sentence(
        "The dam was closed, said Ola Berg, the head of the Norland Water Board.", 0.6, at=100
    )
    assert texts(question, (unions, other)) == [], "another body's head does not lead it"
    leader = sentence(
        "The strike was called from Marsby, home to the Marsby Union's leader Ada Lund.",
        0.01, at=200, read=False,
    )  # fmt: skip
    assert texts(question, (unions, other), unread=(leader,)) == [leader.text]
    named = sentence("Ada Lund spoke for the Marsby Union on Monday.", 0.98, at=300)
    assert texts(question, (named, unions))[0] == named.text, "a best sentence naming someone"
    # Someone the sentence says is an analyst (a reporter, a spokesman) is not its leader.
    analyst = sentence(
        "Per Holm, a Swedish labour analyst, said the Marsby Union must call off the strike.",
        0.99, at=400,
    )  # fmt: skip
    assert texts(question, (analyst, unions)) == []
    assert texts(question, (analyst, unions), unread=(leader,)) == [leader.text]


def test_the_composers_read_their_weights_from_the_answer_settings() -> None:
    from app.settings import ComposerWeights

    question = analyse_question("What happened in March 2026?", as_of=date(2026, 3, 30))
    days = [
        sentence(f"The council met on March {d}, 2026.", 0.5, at=100 * d, cue=True,
                 published="2026-03-30",
                 dates=tuple(date_spans(f"The council met on March {d}, 2026.", "2026-03-30")))
        for d in (2, 9, 16)
    ]  # fmt: skip
    assert len(texts(question, tuple(days))) == 3
    two = AnswerSettings(weights=ComposerWeights(timeline_lines=2))
    plan = composer_for(question.intent).compose(question, ranked(*days, question=question), two)
    assert len(plan.picks) == 2


def test_a_photo_caption_gives_way_in_a_timeline_with_other_lines() -> None:
    question = analyse_question("What happened in March 2026?", as_of=date(2026, 3, 30))

    def dated(text: str, at: int) -> Sentence:
        return sentence(text, 0.5, at=at, cue=True, published="2026-03-30",
                        dates=tuple(date_spans(text, "2026-03-30")))  # fmt: skip

    caption = dated(
        "Workers clear the rubble of a house hit by the flood in Marsby, Mar. 1, 2026.", 0
    )
    lines = [dated(f"The council met on March {d}, 2026.", 100 * d) for d in (2, 9, 16)]
    assert caption.text not in texts(question, (caption, *lines))
    assert caption.text in texts(question, (caption, lines[0])), "the only other line: kept"


def test_only_questions_about_who_leads_something_need_a_person_in_a_role() -> None:
    from app.answer.extractive.compose.fact import _ASKS_LEADER

    asks = ["Who leads the Marsby Union?", "Who is the union's spiritual leader?",
            "Who was the head of the board?", "Who founded it?"]  # fmt: skip
    others = ["Who heads to Marsby next week?", "Who ran away from the camp?",
              "Who was the chief suspect?", "Who was the leader's driver?"]  # fmt: skip
    assert all(_ASKS_LEADER.search(q) for q in asks)
    assert not any(_ASKS_LEADER.search(q) for q in others)


def test_a_country_asked_how_it_responded_that_never_acts_in_the_passages_is_a_refusal() -> None:
    asked = analyse_question("How did India respond to the accusations?")
    spoken_of = sentence(
        "Pakistan's minister accused the Taliban of being Indian proxies.", 0.95, cue=True
    )
    plan = composer_for(asked.intent).compose(asked, ranked(spoken_of), SETTINGS)
    assert plan.refusal == "The documents don't say how India responded."
    for reported in (
        "In response, the Indian foreign ministry called the claims baseless.",
        "The accusations were rejected by India.",
    ):
        said = sentence(reported, 0.9, cue=True)
        plan = composer_for(asked.intent).compose(asked, ranked(spoken_of, said), SETTINGS)
        assert plan.refusal is None
    acting = sentence("India rejected the accusations as baseless.", 0.9, cue=True)
    plan = composer_for(asked.intent).compose(asked, ranked(spoken_of, acting), SETTINGS)
    assert plan.refusal is None
    assert acting.text in [p.sentence.text for p in plan.picks]


def test_who_holds_an_office_is_not_answered_by_a_sentence_naming_another_office() -> None:
    # A country's office (``owners_office``): the names are fictional, the country not.
    asked = analyse_question("Who is Norway's prime minister?")
    other = sentence("Norway's Defense Minister Ola Berg wrote on X.", 0.9)
    plan = composer_for(asked.intent).compose(asked, ranked(other), SETTINGS)
    assert plan.refusal == ""
    held = sentence("Norway's Prime Minister Kari Dahl spoke first.", 0.8)
    assert texts(asked, (other, held)) == [held.text]
    # The office is its own words, whatever else the question says, in either spelling.
    assert texts(analyse_question("Who is Norway's prime minister now?"), (held,)) == [held.text]
    spelled = sentence("Norway's Defence Minister Ola Berg wrote on X.", 0.9)
    assert texts(analyse_question("Who is Norway's defense minister?"), (spelled,)) == [
        spelled.text
    ]
    blamed = analyse_question("Who did Norway's defense minister blame?")
    assert texts(blamed, (spelled,)) == [spelled.text]


def test_who_or_where_asked_with_a_word_no_document_uses_needs_a_strong_reading() -> None:
    asked = analyse_question("Which country offered to mediate between Norland and Sudmark?")
    topical = sentence("Fighting between Norland and Sudmark closed the border.", 0.6)
    weak = replace(ranked(topical), unknown=("mediat",))
    assert composer_for(asked.intent).compose(asked, weak, SETTINGS).refusal == ""
    # Read as a near-certain answer, a misspelt word ("goovernment") does not stop it.
    strong = replace(ranked(replace(topical, relevance=0.99, rank=0.99)), unknown=("goovern",))
    assert composer_for(asked.intent).compose(asked, strong, SETTINGS).refusal is None
    # A person asked for by a role no document speaks of: however well the rest reads.
    named = analyse_question("What is the name of the Norland spokesman who denied it?")
    denied = replace(ranked(replace(topical, relevance=0.99, rank=0.99)), unknown=("spokesman",))
    assert composer_for(named.intent).compose(named, denied, SETTINGS).refusal == ""
    known = replace(denied, unknown=("deni",))
    assert composer_for(named.intent).compose(named, known, SETTINGS).refusal is None
    # "Which journalist…" may be answered by "the host": only an office asks this strictly.
    which = analyse_question("Which journalist interviewed the Norland spokesman?")
    asked_of = replace(denied, unknown=("journalist",))
    assert composer_for(which.intent).compose(which, asked_of, SETTINGS).refusal is None
    # A question of another kind is not refused for such a word.
    how = analyse_question("How did the mediation between Norland and Sudmark go?")
    assert composer_for(how.intent).compose(how, weak, SETTINGS).refusal is None


def test_a_chronology_asked_for_is_about_its_countries_not_the_words_asking_for_it() -> None:
    from app.answer.extractive.compose.timeline import topic_terms

    asked = analyse_question("Give me a chronology of the Norway-Sweden tensions since 2021.")
    assert [e.name for e in asked.entities] == ["Norway", "Sweden"]
    assert topic_terms(asked) == {"norway", "sweden"}
    # A hyphenated name that is not two countries stays one name.
    assert [e.name for e in analyse_question("Who is Jean-Paul Sartre?").entities] == [
        "Jean-Paul Sartre"
    ]


def test_a_measure_asked_for_is_answered_first_by_a_sentence_giving_one() -> None:
    asked = analyse_question("How long is the border between Norway and Sweden?")
    clashes = sentence("Border clashes between Norway and Sweden went on all night.", 0.9)
    length = sentence("The disputed border is some 1,600 miles long.", 0.4)
    assert texts(asked, (clashes, length))[0] == length.text
    # Below the refusal threshold a measure does not lead; without one asked, rank does.
    faint = replace(length, relevance=0.1, rank=0.1)
    assert texts(asked, (clashes, faint))[0] == clashes.text
    plain = analyse_question("Where is the border between Norway and Sweden?")
    assert texts(plain, (clashes, length))[0] == clashes.text


def test_why_someone_acted_is_not_answered_by_what_their_act_caused() -> None:
    asked = analyse_question("Why did Norway bomb the border posts?")
    caused = sentence(
        "The clashes began days after Norway carried out strikes on the posts.", 0.95, cue=True
    )
    cause = sentence("Norway launched the strikes after Sweden attacked its posts.", 0.9, cue=True)
    assert texts(asked, (caused, cause))[0] == cause.text
    # Named further on, after another cause, Norway does not make the sentence its effect.
    chain = sentence(
        "The last time was in October, in response to a ground offensive, which was in "
        "response to strikes by Norway.",
        0.95,
        cue=True,
    )
    assert texts(asked, (chain, cause))[0] == chain.text


def test_whether_something_is_known_is_answered_by_the_sentence_saying_it_is_not() -> None:
    flare = sentence("The flood of May 2 was the worst since 2019, leaving dozens dead.", 0.95)
    unclear = sentence("The number of casualties from the May 2 flood was unclear.", 0.7, at=100)
    asked = analyse_question("Do we know how many people died in the May 2 flood?")
    assert texts(asked, (flare, unclear))[0] == unclear.text
    # asked outright, the best sentence still leads
    assert texts(analyse_question("How many people died in the flood?"), (flare, unclear))[0] == (
        flare.text
    )


def test_another_things_being_unclear_does_not_answer_whether_something_is_known() -> None:
    claimed = sentence("The Delta Front claimed the courthouse bombing.", 0.95)
    torkham = sentence("It is unclear when the Marsby crossing will reopen.", 0.3, at=100)
    asked = analyse_question("Do we know who carried out the courthouse bombing?")
    assert texts(asked, (claimed, torkham))[0] == claimed.text


def test_a_sentence_denying_what_another_says_is_not_the_same_fact() -> None:
    now = sentence(
        "Norland has begun to accuse Sudmark of not only hiding the union, but funding it.", 0.99
    )
    then = sentence("Norland initially did not accuse Sudmark of funding the union.", 0.98, at=100)
    again = sentence(
        "Norland has begun to accuse Sudmark of funding the union.", 0.97, at=200, doc=1
    )
    picks = distinct([now, then, again], 3)
    assert [p.sentence.text for p in picks] == [now.text, then.text]
    assert picks[0].also == (again,)
    changed = analyse_question("How have Norland's accusations against Sudmark evolved?")
    assert texts(changed, (now, then))[:2] == [now.text, then.text]


def test_asked_what_a_side_usually_does_what_it_does_as_a_rule_leads() -> None:
    question = analyse_question("How does Norland usually respond when Sudmark shells its towns?")
    assert question.intent is Intent.EVENT
    once = sentence("In retaliation, Norland launched rockets at Sudmark's posts.", 0.95, cue=True)
    other = sentence(
        "Sudmark, at times, has responded by shelling Norland.", 0.97, at=100, cue=True
    )
    rule = sentence("Usually, Norland retaliates by closing the border.", 0.9, at=200, cue=True)
    assert texts(question, (once, other, rule))[0] == rule.text
    # Asked what it did, the best report of what it did leads.
    did = analyse_question("How did Norland respond when Sudmark shelled its towns?")
    assert texts(did, (once, other, rule))[0] != rule.text
