"""What every answerer promises, checked over each implementation through the core: the
extractive answerer, and the LLM answerer with a scripted chat model (which cites the
passage holding the question's key word, or says it cannot answer)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.service import DocQA
from app.settings import Settings
from app.types import Answer, Delta
from tests.conftest import CountingFakeEmbeddings
from tests.support.chat import is_condense, llm_service, passage

# A question, and the word of the passage that answers it (None: nothing does).
QUESTIONS = [
    ("How many homes were evacuated when the Wendle flooded Marsby?", "evacuated"),
    ("What did apple growers in Tillby report?", "harvest"),
    ("When did the rail strike end?", "strike"),
    ("Who is the president of Mars?", None),
]


def scripted(prompt: str) -> str:
    """Repeat, citing it, the passage's sentence that holds the question's key word; else
    say nothing answers."""
    if is_condense(prompt):
        return prompt.rsplit("Last question:", 1)[-1].strip()
    for question, word in QUESTIONS:
        if question in prompt and word is not None:
            number = passage(prompt, word)
            body = re.search(rf'<passage id="{number}"[^>]*>\n(.*?)\n</passage>', prompt, re.S)
            assert body is not None
            sentence = next(s for s in re.split(r"(?<=\.) ", body.group(1)) if word in s)
            return f"{sentence} [{number}]"
    return "NO_ANSWER"


@pytest.fixture(params=["extractive", "llm"])
def core(
    request: pytest.FixtureRequest,
    settings: Settings,
    fake_embeddings: CountingFakeEmbeddings,
    corpus: Path,
) -> Iterator[DocQA]:
    """The corpus answered by one implementation of the seam."""
    from tests.support.chat import ScriptedChat

    if request.param == "llm":
        service = llm_service(settings, fake_embeddings, corpus, ScriptedChat(script=scripted))
    else:
        service = DocQA(settings, embeddings=fake_embeddings)
        service.index([corpus])
    yield service
    service.close()


@pytest.mark.parametrize(("asked", "word"), QUESTIONS)
def test_an_answer_is_streamed_then_whole_and_every_citation_is_exact(
    core: DocQA, asked: str, word: str | None
) -> None:
    events = list(core.ask_stream(asked, record=False))
    *pieces, answer = events
    assert isinstance(answer, Answer)
    assert all(isinstance(p, Delta) for p in pieces)
    assert "".join(p.text for p in pieces) == answer.answer
    assert answer.mode in ("extractive", "llm")
    for citation in [*answer.citations, *answer.closest]:
        document = core.document(citation.document)
        assert document is not None
        assert document.text[citation.start : citation.end] == citation.quote
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert markers == {c.id for c in answer.citations}
    if answer.refused:
        assert answer.citations == ()
        assert answer.answer.startswith("The documents don't say")
    else:
        assert answer.citations
    if word is None:
        assert answer.refused
    else:
        assert not answer.refused
        assert any(word in c.quote for c in answer.citations)


def test_the_whole_answer_is_the_streams_last_item(core: DocQA) -> None:
    asked = QUESTIONS[0][0]
    *_, streamed = core.ask_stream(asked, record=False)
    whole = core.ask(asked, record=False)
    assert isinstance(streamed, Answer)
    assert (whole.answer, whole.citations, whole.refused) == (
        streamed.answer, streamed.citations, streamed.refused)  # fmt: skip
