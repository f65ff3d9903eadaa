"""docqa inside LangChain: LangChain's own standard retriever tests against DocQARetriever,
and what each reader may see through it and through the answer Runnable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_tests.integration_tests import RetrieversIntegrationTests

from app.errors import QuestionError
from app.langchain import DocQARetriever, answer_runnable
from app.service import DocQA
from app.settings import Settings
from tests.conftest import REPO, CountingFakeEmbeddings
from tests.support.org import reader, write_archive


@pytest.mark.model
class TestDocQARetrieverStandard(RetrieversIntegrationTests):
    """LangChain's standard suite, on the seeds indexed with the real model."""

    @pytest.fixture(autouse=True)
    def _seeds(self, seeded: DocQA) -> None:
        self.service = seeded

    @property
    def retriever_constructor(self) -> type[DocQARetriever]:
        return DocQARetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"service": self.service}

    @property
    def retriever_query_example(self) -> str:
        return "What did Pakistan bomb in Kabul?"


@pytest.fixture
def org(
    backend_settings: Settings, fake_embeddings: CountingFakeEmbeddings, tmp_path: Path
) -> DocQA:
    """Three departments' articles on each store backend."""
    service = DocQA(backend_settings, embeddings=fake_embeddings)
    service.index([write_archive(tmp_path / "archive")])
    return service


def test_passages_carry_exact_offsets_and_the_groups_that_allowed_them(org: DocQA) -> None:
    hr = DocQARetriever(service=org, reader=reader(["hr"]), k=3)
    docs = hr.invoke("How many weeks is the parental leave policy?")
    assert docs
    assert all(isinstance(d, Document) for d in docs)
    first = docs[0].metadata
    assert first["source"] == "archive/hr/leave.txt"
    assert first["groups"] == ["hr"]
    assert first["date"] == "2026-02-02"
    assert first["title"].startswith("The personnel department approved")
    document = org.document(first["document"])
    assert document is not None
    assert document.text[first["start"] : first["end"]] == docs[0].page_content
    assert {d.metadata["source"] for d in docs} <= {"archive/hr/leave.txt",
                                                    "archive/news/weather.txt"}  # fmt: skip


def test_a_reader_never_retrieves_another_groups_text(org: DocQA) -> None:
    for groups, closed in ((["finance"], "hr/"), (["hr"], "finance/"), ([], "finance/")):
        who = DocQARetriever(service=org, reader=reader(groups), k=10)
        for question in ("parental leave policy weeks", "harbour budget auditors", "Tillby"):
            for doc in who.invoke(question):
                assert closed not in doc.metadata["source"], (groups, question)
                assert "hr/" not in doc.metadata["source"] or "hr" in groups
    everyone = DocQARetriever(service=org, k=10).invoke("Tillby")
    assert {"archive/hr/leave.txt", "archive/finance/budget.txt"} <= {
        d.metadata["source"] for d in everyone
    }


def test_a_window_and_a_bad_k_are_honoured(org: DocQA) -> None:
    from datetime import date

    dated = DocQARetriever(service=org, k=5, since=date(2026, 2, 3)).invoke("Tillby")
    assert {d.metadata["source"] for d in dated} == {"archive/news/weather.txt"}
    with pytest.raises(QuestionError, match="k must be between 1 and 50"):
        DocQARetriever(service=org).invoke("Tillby", k=0)


def test_the_answer_runnable_answers_as_its_reader(org: DocQA) -> None:
    hr = answer_runnable(org, reader(["hr"]))
    answer = hr.invoke("How many weeks is the parental leave policy?")
    assert "20 weeks" in answer["answer"]
    assert answer["citations"][0]["source"] == "archive/hr/leave.txt"
    finance = answer_runnable(org, reader(["finance"])).invoke(
        {"question": "How many weeks is the parental leave policy?"}
    )
    seen = [*finance["citations"], *finance["closest"]]
    assert not any("hr/" in c["source"] for c in seen)
    assert answer_runnable(org).batch(["Tillby snow", "Tillby budget"])[0]["question"]


def test_the_benchmarks_reference_pipeline_takes_docqas_embedder_as_langchains() -> None:
    # LangChain's FAISS store embeds a query only through an ``Embeddings`` instance; a
    # fresh process, since importing app.langchain anywhere in this one makes it so.
    import subprocess
    import sys

    check = (
        "from langchain_core.embeddings import Embeddings\n"
        "from tests.bench.tutorial import SentenceTransformerEmbeddings\n"
        "assert isinstance(SentenceTransformerEmbeddings(), Embeddings)\n"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
