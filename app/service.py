"""The one core every edge calls: build the index, answer questions."""

from __future__ import annotations

import logging
import time
from functools import cached_property
from pathlib import Path
from threading import Lock

from langchain_core.embeddings import Embeddings

from app.answer import make_chain
from app.answer.extractive import ExtractiveAnswerer
from app.embeddings import MODEL_DIMENSION, ArrayEmbeddings, embedder_id, make_embeddings
from app.errors import QuestionError
from app.indexing import IndexReport, build_index
from app.retrieval import HybridRetriever, QuestionEncoder
from app.schema import Answer
from app.settings import Settings
from app.store import IndexStore

__all__ = ["DocQA"]

logger = logging.getLogger(__name__)


class DocQA:
    """Index and ask; cheap to construct, heavy parts are loaded once on first use."""

    def __init__(self, settings: Settings, embeddings: Embeddings | None = None) -> None:
        self.settings = settings
        self._embeddings = embeddings
        self._store: IndexStore | None = None
        self._lock = Lock()

    @cached_property
    def embeddings(self) -> Embeddings:
        """The configured embedder (model loaded on first use)."""
        return self._embeddings or make_embeddings(self.settings.embedding)

    @property
    def embedder(self) -> str:
        """The embedder name an index must have been built with."""
        return embedder_id(self.settings.embedding)

    def index(
        self, paths: list[Path], *, rebuild: bool = False, progress: bool = False
    ) -> IndexReport:
        """Index exactly the documents under ``paths``, re-embedding only what changed."""
        report = build_index(
            paths,
            self.settings.index_dir,
            self.embeddings,
            self.embedder,
            MODEL_DIMENSION,
            self.settings.chunking,
            rebuild=rebuild,
            progress=progress,
        )
        if not report.unchanged:
            self.reload()
        return report

    @property
    def store(self) -> IndexStore:
        """The loaded index (opened on first use)."""
        with self._lock:
            if self._store is None:
                self._store = IndexStore.open(self.settings.index_dir, self.embedder)
            return self._store

    def reload(self) -> None:
        """Forget the loaded index; the next question opens the live version."""
        with self._lock:
            if self._store is not None:
                self._store.close()
            self._store = None
            self.__dict__.pop("chain", None)

    @cached_property
    def encoder(self) -> QuestionEncoder:
        """Question embeddings, shared by retrieval and answering."""
        return QuestionEncoder(self.embeddings)

    @cached_property
    def chain(self):  # type: ignore[no-untyped-def]  # Runnable[str, Answer]
        """Retrieval then answering as one LangChain runnable."""
        store = self.store
        retriever = HybridRetriever(
            store=store, encoder=self.encoder, settings=self.settings.retrieval
        )
        answerer = ExtractiveAnswerer(store, self.encoder, self.settings.answer)
        return make_chain(retriever, answerer)

    def warm(self) -> None:
        """Load the model and the index now, so the first question is as fast as the rest."""
        if isinstance(self.embeddings, ArrayEmbeddings):
            self.embeddings.warm()
        self.ask("warm-up")

    def check_question(self, question: str) -> str:
        """The question stripped, or ``QuestionError`` saying what is wrong with it."""
        if not isinstance(question, str) or not question.strip():
            raise QuestionError("The question is empty. Type a question about the documents.")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise QuestionError(
                f"The question is {len(question):,} characters long; the limit is {limit:,} "
                "(DOCQA_MAX_QUESTION_CHARS). Shorten it to the question itself."
            )
        return " ".join(question.split())

    def ask(self, question: str) -> Answer:
        """Answer one question from the index, with citations."""
        question = self.check_question(question)
        started = time.perf_counter()
        answer: Answer = self.chain.invoke(question)
        answer.timings_ms["total"] = (time.perf_counter() - started) * 1000
        return answer
