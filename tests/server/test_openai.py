"""The OpenAI-compatible endpoint, driven by the official ``openai`` package as a real client:
plain and streamed answers, a follow-up, a refusal, a forbidden document, bad tokens,
unknown models, the rate limit, and OpenAI's error format."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest
from fastapi.testclient import TestClient

from app.service import DocQA
from app.settings import ServerSettings, Settings
from tests.conftest import CountingFakeEmbeddings
from tests.support.org import STATIC, org_settings, served, token, write_archive


def client_for(http: TestClient, key: str) -> openai.OpenAI:
    """The openai package talking to the app in process (TestClient is an httpx client)."""
    return openai.OpenAI(base_url="http://testserver/v1", api_key=key, http_client=http,
                         max_retries=0)  # fmt: skip


@pytest.fixture
def org(
    backend_settings: Settings, fake_embeddings: CountingFakeEmbeddings, tmp_path: Any
) -> Iterator[tuple[TestClient, DocQA]]:
    """Three departments' articles on each store backend, with user tokens."""
    settings = org_settings(backend_settings)
    yield from served(settings, fake_embeddings, write_archive(tmp_path / "archive"))


def _extra(obj: Any, name: str) -> Any:
    return (obj.model_extra or {})[name]


def test_the_model_list_names_docqa(org: tuple[TestClient, DocQA]) -> None:
    http, _ = org
    assert [m.id for m in client_for(http, STATIC).models.list()] == ["docqa"]


def test_an_answer_carries_markers_and_exact_citations_for_the_reader_only(
    org: tuple[TestClient, DocQA],
) -> None:
    http, service = org
    question = [{"role": "user", "content": "How many weeks is the parental leave policy?"}]
    hr = client_for(http, token("bo", ["hr"])).chat.completions.create(
        model="docqa", messages=question
    )
    message = hr.choices[0].message
    assert hr.object == "chat.completion"
    assert hr.choices[0].finish_reason == "stop"
    assert "20 weeks" in message.content
    assert "[1]" in message.content
    citations = _extra(message, "citations")
    assert citations[0]["source"] == "archive/hr/leave.txt"
    document = service.document(citations[0]["document"])
    assert document is not None
    assert document.text[citations[0]["start"] : citations[0]["end"]] == citations[0]["quote"]
    assert _extra(hr, "docqa")["refused"] is False
    assert hr.usage is not None
    assert hr.usage.total_tokens > 0
    # The same question from finance: nothing of hr's document, cited or listed as closest.
    finance = client_for(http, token("ana", ["finance"])).chat.completions.create(
        model="docqa", messages=question
    )
    seen = [*_extra(finance.choices[0].message, "citations"), *_extra(finance, "docqa")["closest"]]
    assert not any("hr/" in c["source"] for c in seen)
    assert "20 weeks" not in finance.choices[0].message.content


def test_a_streamed_answer_is_the_same_answer_in_chunks_ending_with_citations(
    org: tuple[TestClient, DocQA],
) -> None:
    http, _ = org
    client = client_for(http, token("bo", ["hr"]))
    messages = [{"role": "user", "content": "How many weeks is the parental leave policy?"}]
    whole = client.chat.completions.create(model="docqa", messages=messages)
    chunks = list(client.chat.completions.create(model="docqa", messages=messages, stream=True))
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == whole.choices[0].message.content
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert _extra(last.choices[0].delta, "citations") == _extra(whole.choices[0].message,
                                                                 "citations")  # fmt: skip
    assert all(c.object == "chat.completion.chunk" and c.id == last.id for c in chunks)


def test_bad_tokens_unknown_models_and_bad_conversations_get_openai_errors(
    org: tuple[TestClient, DocQA],
) -> None:
    http, _ = org
    ask = [{"role": "user", "content": "What closed the mountain pass?"}]
    with pytest.raises(openai.AuthenticationError) as refused:
        client_for(http, "not-a-token").chat.completions.create(model="docqa", messages=ask)
    assert refused.value.status_code == 401
    body = refused.value.body
    assert isinstance(body, dict)
    assert body["type"] == "authentication_error"
    assert body["code"] == "invalid_api_key"
    with pytest.raises(openai.AuthenticationError):
        client_for(http, "not-a-token").models.list()
    client = client_for(http, STATIC)
    with pytest.raises(openai.NotFoundError, match="this server answers as docqa"):
        client.chat.completions.create(model="gpt-4o", messages=ask)
    with pytest.raises(openai.BadRequestError, match="the last message must be the user's"):
        client.chat.completions.create(
            model="docqa", messages=[*ask, {"role": "assistant", "content": "Snow [1]."}]
        )
    picture = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]
    with pytest.raises(openai.BadRequestError, match="docqa reads text only"):
        client.chat.completions.create(model="docqa", messages=picture)
    with pytest.raises(openai.BadRequestError, match="YYYY-MM-DD"):
        client.chat.completions.create(model="docqa", messages=ask, extra_body={"since": "May"})
    missing = http.post("/v1/nothing-here", headers={"authorization": f"Bearer {STATIC}"})
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "not_found_error"


def test_the_question_rate_applies_through_the_endpoint(
    settings: Settings, fake_embeddings: CountingFakeEmbeddings, tmp_path: Any
) -> None:
    limited = org_settings(settings).model_copy(
        update={"server": ServerSettings(question_rate="2/minute")}
    )
    for http, _ in served(limited, fake_embeddings, write_archive(tmp_path / "archive")):
        client = client_for(http, token("ana", ["finance"]))
        ask = [{"role": "user", "content": "What did the department approve?"}]
        for _ in range(2):
            client.chat.completions.create(model="docqa", messages=ask)
        with pytest.raises(openai.RateLimitError, match="Too many questions") as limited_out:
            client.chat.completions.create(model="docqa", messages=ask)
        assert int(limited_out.value.response.headers["retry-after"]) >= 1


def test_a_window_from_extra_body_keeps_to_its_articles(org: tuple[TestClient, DocQA]) -> None:
    http, _ = org
    answer = client_for(http, STATIC).chat.completions.create(
        model="docqa",
        messages=[{"role": "user", "content": "What closed the mountain pass near Tillby?"}],
        extra_body={"since": "2026-02-03", "until": "2026-02-03"},
    )
    cited = _extra(answer.choices[0].message, "citations")
    seen = {c["source"] for c in [*cited, *_extra(answer, "docqa")["closest"]]}
    assert seen == {"archive/news/weather.txt"}


@pytest.mark.model
def test_a_follow_up_and_a_refusal_on_the_seeds(seeded: DocQA) -> None:
    from app.server import create_app

    with TestClient(create_app(seeded.settings, seeded, ui=False)) as http:
        client = client_for(http, "any")
        first = [{"role": "user", "content": "What was hit in Kabul?"}]
        kabul = client.chat.completions.create(model="docqa", messages=first)
        follow = client.chat.completions.create(model="docqa", messages=[
            *first,
            {"role": "assistant", "content": kabul.choices[0].message.content},
            {"role": "user", "content": "And what about Kandahar?"},
        ])  # fmt: skip
        assert "Kandahar" in follow.choices[0].message.content
        assert follow.choices[0].message.content != kabul.choices[0].message.content
        refused = client.chat.completions.create(
            model="docqa",
            messages=[{"role": "user", "content": "What is the population of Kabul?"}],
        )
        assert refused.choices[0].message.content.startswith("The documents don't say.")
        assert _extra(refused, "docqa")["refused"] is True
        assert _extra(refused.choices[0].message, "citations") == []


def test_with_an_llm_configured_the_extractive_model_answers_without_it(
    settings: Settings, fake_embeddings: CountingFakeEmbeddings, corpus: Any
) -> None:
    from app.server import create_app
    from tests.support.chat import ScriptedChat, llm_service

    model = ScriptedChat(script=lambda prompt: "NO_ANSWER")
    service = llm_service(settings, fake_embeddings, corpus, model)
    with TestClient(create_app(service.settings, service, ui=False)) as http:
        client = client_for(http, "any")
        assert [m.id for m in client.models.list()] == ["docqa", "docqa-llm", "docqa-extractive"]
        asked = [{"role": "user", "content": "How many homes were evacuated in Marsby?"}]
        quoted = client.chat.completions.create(model="docqa-extractive", messages=asked)
        assert _extra(quoted, "docqa")["mode"] == "extractive"
        assert "40 homes" in quoted.choices[0].message.content
        prompts = len(model.prompts)
        written = client.chat.completions.create(model="docqa-llm", messages=asked)
        assert _extra(written, "docqa")["mode"] == "llm"
        assert len(model.prompts) > prompts  # the model was asked this time
