"""docqa inside LangChain: a retriever that searches as a given reader, and the answer as
a ``Runnable``.

```python
from app.langchain import DocQARetriever, answer_runnable
from app.service import DocQA

service = DocQA()  # the index folder and settings of DOCQA_*
retriever = DocQARetriever(service=service, reader=reader, k=4)
docs = retriever.invoke("Who struck Kandahar?")   # metadata: source, title, date, start, end…
answer = answer_runnable(service, reader).invoke("Who struck Kandahar?")
```

Both read only what ``reader`` may read (``None``: every document, as the command line
does); a reader comes from ``app.server.identity.Identities(settings).reader(token)`` or
``Reader(user, frozenset(groups))``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import ConfigDict, Field

from app.embeddings.base import ArrayEmbeddings
from app.service import MAX_PASSAGES, DocQA
from app.types import Reader

__all__ = ["DocQARetriever", "answer_runnable"]

# docqa's embedders have LangChain's Embeddings methods without deriving from the class
# (app/embeddings/base.py says why); where LangChain is in use, they are one.
Embeddings.register(ArrayEmbeddings)  # type: ignore[type-abstract]


class DocQARetriever(BaseRetriever):
    """docqa's hybrid search as a LangChain retriever, reading as ``reader``.

    Each ``Document`` is one passage: ``page_content`` is ``text[start:end]`` of its
    document, and ``metadata`` holds ``source``, ``title``, ``date``, ``start``, ``end``,
    ``document`` (the key for ``GET /api/documents/{document}``), ``score`` and
    ``groups`` (the document's groups that let the reader read it). ``k`` is the number
    of passages (also per call: ``invoke(query, k=2)``); ``since``/``until`` keep to
    articles published in that window.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    service: DocQA
    reader: Reader | None = None
    k: int = Field(4, ge=1, le=MAX_PASSAGES)
    since: date | None = None
    until: date | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        passages = self.service.search(
            query,
            int(kwargs.get("k", self.k)),
            kwargs.get("since", self.since),
            kwargs.get("until", self.until),
            self.reader,
        )
        return [
            Document(
                id=f"{p.document}:{p.start}",
                page_content=p.text,
                metadata={k: v for k, v in p.to_dict().items() if k != "text"},
            )
            for p in passages
        ]


def answer_runnable(service: DocQA, reader: Reader | None = None) -> Runnable[Any, dict[str, Any]]:
    """docqa's answer as a ``Runnable``: a question (``str``), or ``{"question", "history",
    "since", "until", "as_of"}``, in; the answer's JSON form (as ``/api/ask`` gives it:
    ``answer`` with ``[n]`` markers, ``citations``, ``refused``, …) out."""

    def answer(asked: str | dict[str, Any]) -> dict[str, Any]:
        given: dict[str, Any] = {"question": asked} if isinstance(asked, str) else dict(asked)
        return service.ask(
            given["question"],
            given.get("history"),
            given.get("since"),
            given.get("until"),
            reader,
            as_of=given.get("as_of"),
        ).to_dict()

    return RunnableLambda(answer, name="docqa")
