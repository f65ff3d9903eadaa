"""Reading a question: what it asks for, whom it names, the days it means, and what a
follow-up stands for."""

from __future__ import annotations

from datetime import date

import pytest

from app.question.analysis import analyse_question
from app.question.follow_up import follow_up_query
from app.question.intent import Intent, read_intent
from app.question.when import RECENT_DAYS, when_asked
from app.text.dates import date_spans

AS_OF = date(2026, 3, 4)  # a Wednesday


@pytest.mark.parametrize(
    ("question", "intent", "subject"),
    [
        ("What is the Ramsar Convention?", Intent.DEFINITION, "the Ramsar Convention"),
        ("Who is Mira Toll?", Intent.DEFINITION, "Mira Toll"),
        ("What does NATO stand for?", Intent.DEFINITION, "NATO"),
        ("Who is the mayor of Marsby?", Intent.FACT, None),
        ("What is the name of Norland's prime minister?", Intent.FACT, None),
        ("What is the population of Marsby?", Intent.FACT, None),
        ("Why did the talks collapse?", Intent.CAUSE, None),
        ("What led the union to strike?", Intent.CAUSE, None),
        ("What is the root of the dispute?", Intent.CAUSE, None),
        (
            "what was the thinking behind the council's long backing of the mayor",
            Intent.CAUSE,
            None,
        ),
        ("What does the council say about the levees?", Intent.POSITION, "the council"),
        ("What is Norland's position on the dam?", Intent.POSITION, "Norland"),
        ("How do farmers feel about the new rules?", Intent.POSITION, "farmers"),
        ("What did Mira Toll say?", Intent.POSITION, "Mira Toll"),
        ("How did Sudmark respond to the closure?", Intent.EVENT, "Sudmark"),
        ("How has the Sudmark council reacted to the ruling?", Intent.EVENT, "the Sudmark council"),
        ("What's Sudmark's counter-argument?", Intent.POSITION, "Sudmark"),
        ("How have the unions responded?", Intent.EVENT, "the unions"),
        ("What was Norland's reasoning for closing the dam?", Intent.CAUSE, None),
        ("In what order did the strikes and walkouts happen?", Intent.TIMELINE, None),
        ("What was the sequence of the May talks?", Intent.TIMELINE, None),
        (
            "Lay out, step by step, the chain of strikes that led to the vote.",
            Intent.TIMELINE,
            None,
        ),
        ("What is the chain of command?", Intent.FACT, None),
        ("Give me a short briefing on where the dispute stands.", Intent.SUMMARY, None),
        ("Where do things stand between Norland and Sudmark?", Intent.SUMMARY, None),
        ("What was hit in the storm?", Intent.EVENT, None),
        ("Summarize the situation in Marsby.", Intent.SUMMARY, None),
        ("Give me an overview of the flood response.", Intent.SUMMARY, None),
        ("How has the strike evolved?", Intent.CHANGE, None),
        ("How have Norland's demands hardened over time?", Intent.CHANGE, None),
        ("Which town does Norland say the floods came from?", Intent.POSITION, "Norland"),
        # Not a view: a past tense later in the question, a clause, a change in passing.
        ("What do we know about the men accused of the theft?", Intent.FACT, None),
        ("What has been claimed about the levee?", Intent.FACT, None),
        ("Which town did the man who said he was a ferryman come from?", Intent.FACT, None),
        ("How did Sudmark respond when the floods worsened?", Intent.EVENT, "Sudmark"),
        ("How did the escalated strike affect trade?", Intent.FACT, None),
        ("What has changed since the election?", Intent.CHANGE, None),
        ("What happened on 3 March 2026?", Intent.TIMELINE, None),
        ("List the main events of the strike in order.", Intent.TIMELINE, None),
        ("When did the river flood?", Intent.FACT, None),
        # Contractions are the words they stand for.
        ("what's the Ramsar Convention", Intent.DEFINITION, "the Ramsar Convention"),
        ("What's happened since the election?", Intent.TIMELINE, None),
        ("Who's Mira Toll?", Intent.DEFINITION, "Mira Toll"),
        # Events asked for in order, however the order is asked for.
        ("Put the events of the strike in order.", Intent.TIMELINE, None),
        ("Arrange the key developments around the vote by date", Intent.TIMELINE, None),
        ("Chronology of the union: when did it form?", Intent.TIMELINE, "the union"),
        ("Timeline of the Marsby floods", Intent.TIMELINE, "the Marsby floods"),
        ("What has happened since the vote?", Intent.TIMELINE, None),
        ("Walk me through the events in order", Intent.TIMELINE, None),
        ("Lay out the May round of talks in order: who moved first?", Intent.TIMELINE, None),
        ("Why did they act in order to save the dam?", Intent.CAUSE, None),
        ("What is Mira Toll hoping will happen next?", Intent.POSITION, "Mira Toll"),
        ("How does the council portray the farmers?", Intent.POSITION, "the council"),
        ("How do the unions frame the closure?", Intent.POSITION, "the unions"),
        ("What has Sudmark been saying about the dam?", Intent.POSITION, "Sudmark"),
        ("How does Norland usually respond to the raids?", Intent.EVENT, "Norland"),
        ("what does italy say about the dam", Intent.POSITION, "italy"),
        ("What is Norland accusing Sudmark of?", Intent.POSITION, "Norland"),
        ("quick rundown of the harbour crisis", Intent.SUMMARY, None),
        ("A brief history of the Marsby Union.", Intent.TIMELINE, "the Marsby Union"),
        ("A short overview of the dispute, please.", Intent.SUMMARY, None),
        ("tl;dr of the budget debate?", Intent.SUMMARY, None),
        ("What are the unions blaming the council for?", Intent.POSITION, "the unions"),
        ("What has Norland accused the council of?", Intent.POSITION, "Norland"),
        ("What have the farmers demanded?", Intent.POSITION, "the farmers"),
        ("What else did Mira Toll say?", Intent.POSITION, "Mira Toll"),
        ("What are Norland's accusations against Sudmark?", Intent.POSITION, "Norland"),
        ("What are the farmers' grievances?", Intent.POSITION, "the farmers"),
        ("anything reported out of Marsby lately", Intent.TIMELINE, None),
        ("Any news from Sudmark?", Intent.TIMELINE, None),
        ("Is there any word on the levee talks?", Intent.TIMELINE, None),
        ("Anything else I should know?", Intent.FACT, None),
        ("What are the unions saying about the levees?", Intent.POSITION, "the unions"),
        # A word standing for someone it does not name is no side to look for.
        ("What do some believe the treaty helped?", Intent.POSITION, None),
        ("What does he say about the levees?", Intent.POSITION, None),
        ("What do critics say about the levees?", Intent.POSITION, "critics"),
        # "ally" is no adverb, and "think" in "think-tank" is no act of saying.
        ("How did Norland's former ally respond?", Intent.EVENT, "Norland's former ally"),
        ("What does the think-tank head Rana say?", Intent.POSITION, "the think-tank head Rana"),
        ("What is Norland's strategy for the levees?", Intent.FACT, None),
    ],
)
def test_the_intent_and_subject_come_from_how_the_question_is_asked(
    question: str, intent: Intent, subject: str | None
) -> None:
    reading = read_intent(question)
    assert (reading.intent, reading.subject) == (intent, subject)


def test_a_question_typed_in_lower_case_still_names_its_countries() -> None:
    asked = analyse_question("why did islamabad bomb kabul after the afghanistan-pakistan talks")
    assert [e.name for e in asked.entities] == [
        "Pakistan",
        "Afghanistan",
        "Afghanistan",
        "Pakistan",
    ]
    # A people before a word may be a group's name, as written with capitals.
    group = analyse_question("what does the pakistani taliban want").entities[0]
    assert (group.name, group.phrase) == ("Pakistan", "Pakistani Taliban")
    held = analyse_question("according to kabul, whose problem is the TTP")
    assert held.holder is not None
    assert held.holder.name == "Afghanistan"
    # Not in a question with capitals (where a lower-case "turkey" is a bird), and
    # "experts" is still no one's account.
    assert analyse_question("How is turkey cooked in Marsby?").entities[0].name == "Marsby"
    assert len(analyse_question("How is turkey cooked in Marsby?").entities) == 1
    assert analyse_question("according to experts, what went wrong").holder is None


@pytest.mark.parametrize(
    ("question", "first", "last"),
    [
        ("What happened on 26 February 2026?", date(2026, 2, 26), date(2026, 2, 26)),
        ("What happened on February 26, 2026?", date(2026, 2, 26), date(2026, 2, 26)),
        ("What happened on 2026-02-26?", date(2026, 2, 26), date(2026, 2, 26)),
        ("What happened on Feb. 26?", date(2026, 2, 26), date(2026, 2, 26)),
        ("What happened in November 2025?", date(2025, 11, 1), date(2025, 11, 30)),
        ("What happened in November?", date(2025, 11, 1), date(2025, 11, 30)),
        ("What happened in March?", date(2026, 3, 1), date(2026, 3, 31)),
        ("What happened in 2025?", date(2025, 1, 1), date(2025, 12, 31)),
        ("What has happened since October?", date(2025, 10, 1), AS_OF),
        ("What happened this week?", date(2026, 3, 2), date(2026, 3, 8)),
        ("What happened last week?", date(2026, 2, 23), date(2026, 3, 1)),
        ("What happened in October last year?", date(2025, 10, 1), date(2025, 10, 31)),
        ("What happened in the past two weeks?", date(2026, 2, 18), AS_OF),
        # The run-up to a day and its aftermath: two weeks either side, none after today.
        (
            "What led up to the February 20 vote and what came after?",
            date(2026, 2, 6),
            AS_OF,
        ),
        ("Events around 1 January 2026", date(2025, 12, 18), date(2026, 1, 15)),
        # A part of a month: its first, middle or last ten days, in the latest such month.
        (
            "In what order did the late-February strikes happen?",
            date(2026, 2, 21),
            date(2026, 2, 28),
        ),
        ("What happened in early March 2025?", date(2025, 3, 1), date(2025, 3, 10)),
        ("What happened at the end of April?", date(2025, 4, 21), date(2025, 4, 30)),
        ("What happened in mid-January?", date(2026, 1, 11), date(2026, 1, 20)),
        ("What has happened since late February?", date(2026, 2, 21), AS_OF),
        ("Between late January and mid-February", date(2026, 1, 21), date(2026, 2, 20)),
        (
            "How many of the 1990s recruits left on 3 March 2026?",
            date(2026, 3, 3),
            date(2026, 3, 3),
        ),
        # A decade, or from it up to the day asked.
        ("What happened in the 1990s?", date(1990, 1, 1), date(1999, 12, 31)),
        ("Chronology of the union, 1990s to today?", date(1990, 1, 1), AS_OF),
        ("What has changed since the 1980s?", date(1980, 1, 1), AS_OF),
        # What led to an event: the days around it.
        ("The strikes that led to the February 20 vote", date(2026, 2, 6), AS_OF),
        # A day naming an event: the event and the week after it, none after today.
        ("Was anyone hurt in the February 20 fighting?", date(2026, 2, 20), date(2026, 2, 27)),
        (
            "What did Norland say on 20 February about the strikes?",
            date(2026, 2, 20),
            date(2026, 2, 20),
        ),
        ("Did Norland on 20 February strike first?", date(2026, 2, 20), date(2026, 2, 20)),
        ("Who died in Norland's 1 March air strikes?", date(2026, 3, 1), AS_OF),
        ("What happened on 20 February in the harbour?", date(2026, 2, 20), date(2026, 2, 20)),
    ],
)
def test_a_time_in_the_question_is_a_window_of_days(question: str, first: date, last: date) -> None:
    when = when_asked(question, AS_OF)
    assert when is not None
    assert (when.first, when.last) == (first, last)


@pytest.mark.parametrize("word", ["recently", "latest", "now", "currently"])
def test_recent_words_ask_for_the_latest_reports(word: str) -> None:
    when = when_asked(f"What is the {word} news on the dam?".replace("the now", "now the"), AS_OF)
    assert when is not None
    assert when.recent
    assert (AS_OF - when.first).days == RECENT_DAYS


def test_a_question_naming_no_time_has_no_window_and_far_dates_still_parse() -> None:
    assert when_asked("Who is Mira Toll?", AS_OF) is None
    assert when_asked("What happened on 30 February?", AS_OF) is None  # no such day
    far = when_asked("What happened in 1848?", AS_OF)
    assert far is not None
    assert far.first == date(1848, 1, 1)
    future = when_asked("What happens in 2090?", AS_OF)
    assert future is not None
    assert future.first == date(2090, 1, 1)


def test_sentences_are_dated_by_what_they_say_and_their_article() -> None:
    published = "2026-03-03"  # a Tuesday
    spans = date_spans("There were clashes last Thursday and on Feb. 27 jets struck.", published)
    assert [(s.first, s.label) for s in spans] == [
        (date(2026, 2, 26), "26 February 2026"),
        (date(2026, 2, 27), "27 February 2026"),
    ]
    (november,) = date_spans("In November, a courthouse was bombed.", published)
    assert (november.first, november.last) == (date(2025, 11, 1), date(2025, 11, 30))
    assert date_spans("Nothing dated here.", published) == []
    (around,) = date_spans("A group that emerged around 2007.", published)
    assert (around.first, around.last) == (date(2007, 1, 1), date(2007, 12, 31))


def test_a_question_is_analysed_once_into_intent_subject_names_and_time() -> None:
    q = analyse_question("What does Kabul say about the border this week?", as_of=AS_OF)
    assert q.intent is Intent.POSITION
    assert q.subject is not None
    assert q.subject.name == "Afghanistan"
    assert "afghan" in q.subject.aliases
    assert q.when is not None
    assert q.when.first == date(2026, 3, 2)
    assert q.day == AS_OF


@pytest.mark.parametrize(
    ("history", "question", "standalone"),
    [
        (["What was hit in Kabul?"], "And what about Kandahar?", "What was hit in Kandahar?"),
        (
            ["Which cities did Norland bomb on March 2?"],
            "Which provinces?",
            "Which provinces did Norland bomb on March 2?",
        ),
        (
            ["Who is Mira Toll?", "Mira Toll is the harbour master."],
            "What did he say?",
            "What did Mira Toll say?",
        ),
        (["Who is Mira Toll?"], "Where is she based?", "Where is Mira Toll based?"),
        # The name replaced is the one of the same kind: a country for a country, an
        # acronym for an acronym, the possessive kept, "the" not doubled.
        (
            ["What is Pakistan's argument about the TTP?", "x"],
            "And Afghanistan?",
            "What is Afghanistan's argument about the TTP?",
        ),
        (
            ["Was anyone hurt in Marsby in the March 2 storm?", "x"],
            "What about Sudmark?",
            "Was anyone hurt in Sudmark in the March 2 storm?",
        ),
        (
            ["What does Norway say about NATO?", "x"],
            "and what about the EU?",
            "What does Norway say about the EU?",
        ),
        # A short question with a name of its own stands alone; one without leans back.
        (
            ["What is the TTP?", "x"],
            "What is the population of Kabul?",
            "What is the population of Kabul?",
        ),
        (
            ["What was hit in Kabul?", "x"],
            "How many died?",
            "What was hit in Kabul? How many died?",
        ),
        # "And <a question of its own>?" keeps the earlier names of other kinds.
        (
            ["What does Norland claim about the EU?", "x"],
            "And what's Sudmark's counter-argument?",
            "what's Sudmark's counter-argument (EU)?",
        ),
        # "it" is what the earlier question named last, unless the question names its
        # own subject or "it" stands for nothing ("is it true that…").
        (
            ["What did Norland do in March?", "x"],
            "Is it true that the dam closed?",
            "What did Norland do in March? Is it true that the dam closed?",
        ),
        (
            ["What's the HSB?", "x"],
            "Did Norland say it would close?",
            "What's the HSB? Did Norland say it would close?",
        ),
        (["Explain the HSB rules", "x"], "When did it start?", "When did HSB start?"),
        (["What's the HSB?", "x"], "When did it first meet?", "When did HSB first meet?"),
        (
            ["Who runs the Marsby Port?", "x"],
            "What are its rules?",
            "What are Marsby Port's rules?",
        ),
        # A question naming no one and no day is asked about the earlier one's.
        (
            ["What did Norland's jets hit on March 2?", "x"],
            "Do we know how many people were hurt?",
            "Do we know how many people were hurt (Norland's, March 2)?",
        ),
        (
            ["What did Norland's jets hit?", "x"],
            "Do we know how many people were hurt in May 2024?",
            "Do we know how many people were hurt in May 2024?",
        ),
    ],
)
def test_a_follow_up_is_asked_in_the_frame_of_the_question_before(
    history: list[str], question: str, standalone: str
) -> None:
    messages = [
        {"role": "user" if n % 2 == 0 else "assistant", "content": text}
        for n, text in enumerate(history)
    ]
    assert follow_up_query(question, messages) == standalone


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "Why does the second one matter to the Taliban?",
            "Why does Kandahar matter to the Taliban?",
        ),
        ("What happened in the first one?", "What happened in Kabul?"),
        ("What is the latter's population?", "What is Kandahar's population?"),
        ("Why does the last city matter?", "Why does Kandahar matter?"),
    ],
)
def test_an_ordinal_stands_for_that_name_in_the_list_the_last_answer_gave(
    question: str, expected: str
) -> None:
    history = [
        {"role": "user", "content": "Which major Afghan cities did Pakistan bomb on February 27?"},
        {"role": "assistant", "content": "Pakistani jets bombed Kabul and Kandahar, along with "
         "targets in several eastern provinces."},
    ]  # fmt: skip
    assert follow_up_query(question, history) == expected


def test_an_ordinal_counts_people_not_the_words_that_describe_them() -> None:
    history = [
        {"role": "user", "content": "Who are the analysts quoted?"},
        {"role": "assistant", "content": "Khalid Sultan, an Islamabad-based analyst, and "
         "Ibraheem Bahiss of the Crisis Group."},
    ]  # fmt: skip
    assert follow_up_query("What does the second one say?", history) == (
        "What does Ibraheem Bahiss say?"
    )
    # "The first attack" is not the first of the list; a third there is not.
    for own in ("What was the first attack?", "Who was the third?"):
        assert "Khalid" not in follow_up_query(own, history)


def test_an_ordinal_skips_a_capital_opening_a_sentence_and_the_source_of_a_report() -> None:
    def after(answer: str, asked: str = "Which cities were hit?") -> list[dict[str, str]]:
        return [{"role": "user", "content": asked}, {"role": "assistant", "content": answer}]

    second = "Why does the second one matter?"
    assert follow_up_query(second, after("Strikes hit Kabul and Kandahar.")) == (
        "Why does Kandahar matter?"
    )
    reported = after("According to Reuters, Kabul, Kandahar and Paktika were hit. Source: Dawn.")
    assert follow_up_query("Why does the last one matter?", reported) == (
        "Why does Paktika matter?"
    )
    groups = after("The Afghan Taliban and the Pakistani Taliban.", "Which groups are involved?")
    assert follow_up_query("What does the first group want?", groups) == (
        "What does Afghan Taliban want?"
    )


@pytest.mark.parametrize(
    ("question", "topic", "holder"),
    [
        (
            "According to the Marsby Institute's flood analyst, what is the real danger?",
            "What is the real danger?",
            "Marsby Institute's flood analyst",
        ),
        ("Summarize the dispute, according to Mira Toll.", "Summarize the dispute.", "Mira Toll"),
        ("In Mira Toll's view, who is to blame?", "Who is to blame?", "Mira Toll"),
        (
            "Walk me through the standoff that Toll describes.",
            "Walk me through the standoff.",
            "Toll",
        ),
        (
            "Why does the Norland envoy think the talks are so fragile?",
            "Why the talks are so fragile?",
            "Norland envoy",
        ),
    ],
)
def test_whose_account_a_question_asks_for_is_its_holder(
    question: str, topic: str, holder: str
) -> None:
    analysed = analyse_question(question)
    assert analysed.holder is not None
    assert analysed.holder.name == holder
    assert analysed.topic == topic.rstrip("?") + ("?" if topic.endswith("?") else "")
    assert analysed.search == question  # the model and the reader still see it as asked
    assert holder in analysed.lookup
    assert analysed.lookup.startswith(topic[:10])


def test_the_intent_is_read_from_what_is_asked_not_whose_account() -> None:
    assert analyse_question("According to Mira Toll, why did the talks collapse?").intent is (
        Intent.CAUSE
    )
    summary = analyse_question("Summarize how the levee dispute works, according to Mira Toll.")
    assert summary.intent is Intent.SUMMARY
    assert summary.holder is not None
    assert summary.holder.name == "Mira Toll"
    # asked for someone's view of a term, it is their position on it
    view = analyse_question("In Norland's view, what is the levee board?")
    assert view.intent is Intent.POSITION
    assert view.subject is not None
    assert view.subject.name == "Norland"


@pytest.mark.parametrize(
    "question",
    [
        "How do farmers feel about the new rules?",  # a position, not an account's frame
        "Why do experts think the dam failed?",  # no one in particular
        "What is the population of Marsby?",
        "Who is the man that Norland says leads the union?",
    ],
)
def test_a_question_naming_no_one_in_particular_has_no_holder(question: str) -> None:
    analysed = analyse_question(question)
    assert analysed.holder is None
    assert analysed.lookup == analysed.search


def test_a_measure_asked_by_its_name_alone_is_asked_in_full() -> None:
    from app.question.kinds import Kind

    asked = analyse_question("length of the afghan-pak frontier?")
    assert asked.search == "How long is the afghan-pak frontier?"
    assert asked.kind is Kind.QUANTITY
    assert asked.asked == "length of the afghan-pak frontier?"
    assert analyse_question("death toll of the Marsby flood").search == (
        "How many people died in the Marsby flood?"
    )
    # "date of birth of …", "Age of Empires": no measure to ask in full.
    assert analyse_question("Age of Empires").search == "Age of Empires"
    # A question that only mentions a length is left as asked.
    assert analyse_question("What is the length of the border?").search == (
        "What is the length of the border?"
    )
