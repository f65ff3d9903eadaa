"""The one core every edge calls: build the index, answer questions."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from functools import cached_property, partial
from pathlib import Path
from threading import Lock, Thread
from typing import TYPE_CHECKING, Any, Literal

from app.answer import Answerer, final_answer
from app.answer.extractive import ExtractiveAnswerer
from app.embeddings import ArrayEmbeddings, embedder_id, embedding_dimension, make_embeddings
from app.embeddings.question import QuestionEncoder
from app.errors import (
    DocQAError,
    FeedbackError,
    FeedbackUnavailableError,
    IndexStoreError,
    QuestionError,
    StoreUnavailableError,
    TooManyQuestionsError,
    TooMuchFeedbackError,
)
from app.feedback import PAGE, FeedbackLog, Verdict, record_of, refusal_record, user_label
from app.indexing import IndexReport, Ingestion, build_index
from app.pipeline import Pipeline, Query
from app.question.analysis import Question, analyse_question, parse_day
from app.question.checks import check_history, checked_question
from app.question.condense import Condenser, RuleCondenser
from app.question.examples import example_questions
from app.rates import PerUser
from app.rerank import PairScorer, Reranker, make_pair_scorer, make_reranker
from app.retrieval.hybrid import HybridRetriever
from app.runtime import compact_allocator
from app.settings import Settings
from app.sources import Candidate, printable_name
from app.store import Backend, BuildSpec, DocumentInfo, Store, make_backend
from app.store.library import Library
from app.types import Answer, Delta, Passage, Reader, SourceDocument

if TYPE_CHECKING:  # the language model's side is loaded only when it answers
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models import BaseChatModel
    from langchain_core.prompts import ChatPromptTemplate

__all__ = ["DocQA"]

logger = logging.getLogger(__name__)

MAX_PASSAGES = 50  # the most passages one search returns


class DocQA:
    """Index and ask; cheap to construct, heavy parts are loaded once on first use.

    A rebuilt index is picked up by the next question: each question asks the store
    which version is live (a small file read, or one query) and, when it moved, opens
    the new version. Questions already running finish on the version they started with.
    """

    def __init__(
        self,
        settings: Settings,
        embeddings: Embeddings | ArrayEmbeddings | None = None,
        chat_model: BaseChatModel | None = None,
        pair_scorer: PairScorer | None = None,
    ) -> None:
        self.settings = settings
        self._embeddings = embeddings
        self._chat_model = chat_model
        self._pair_scorer = pair_scorer
        self._live: Pipeline | None = None
        self._lock = Lock()
        self._warming, self._warmed = Lock(), False
        # One budget per user, whichever door the question or the verdict comes through.
        self._questions = PerUser(settings.server.question_rate, "ask")
        self._verdicts = PerUser(settings.feedback.rate, "feedback")
        self._feedback_problem: str | None = None  # why the last record was not kept

    @cached_property
    def embeddings(self) -> Embeddings | ArrayEmbeddings:
        """The configured embedder (model loaded on first use)."""
        return self._embeddings or make_embeddings(self.settings.embedding)

    @property
    def embedder(self) -> str:
        """The embedder name an index must have been built with."""
        return embedder_id(self.settings.embedding)

    def index(
        self,
        paths: list[Path],
        *,
        rebuild: bool = False,
        progress: bool = False,
        mode: Literal["sync", "merge"] = "sync",
        removals: Sequence[str] = (),
        uploads: Sequence[str] = (),
        observe: Callable[[int, int], None] | None = None,
    ) -> IndexReport:
        """Index the documents under ``paths``, re-embedding only what changed.

        ``sync`` (``docqa index``): the index then holds exactly those documents and every
        document uploaded over the API; index workers given the same paths share the
        work. ``merge``: they and the ``uploads`` named are added or replaced,
        ``removals`` dropped, every other document kept. ``observe(done, total)`` follows
        the run's progress.
        """
        compact_allocator()  # before the tokenizer's and the runtime's threads allocate
        spec = BuildSpec(
            embedder=self.embedder,
            dimension=embedding_dimension(self.settings.embedding),
            chunking=self.settings.chunking.model_dump(),
            mode=mode,
            rebuild=rebuild,
            key=_run_key(paths) if mode == "sync" else "",
        )
        pipeline = Ingestion(
            self.embeddings,
            self.settings.chunking,
            self.settings.sources,
            tuple(self.settings.access.default_groups),
        )
        names = None if mode == "sync" else list(uploads)
        return build_index(
            paths,
            self.backend,
            pipeline,
            spec,
            removals=removals,
            progress=progress,
            observe=observe,
            stored=None if names == [] else lambda: self.uploaded(names),
            batch_size=self.settings.indexing.batch,
        )

    def uploaded(self, names: Sequence[str] | None = None) -> list[Candidate]:
        """The documents uploaded over the API (all, or those ``names``), to index."""
        library = self.library
        return [
            Candidate(None, record.source, record.groups, partial(library.data, record.name), True)
            for record in library.uploads(names)
        ]

    @cached_property
    def library(self) -> Library:
        """Where uploaded documents and their jobs are kept (the store's database)."""
        return self.backend.library()

    def _current(self) -> Pipeline:
        """The live index version's pipeline, built (or rebuilt after a re-index) as needed."""
        live = self._live
        # An open store asks through its own connections; the first question finds one.
        version = live.store.latest() if live is not None else self.backend.latest()
        if live is not None and live.version == version:
            return live
        with self._lock:
            if self._live is None or self._live.version != version:
                store = self.backend.open(self.embedder)
                # The old store is not closed: questions in flight may still read it.
                self._live = Pipeline(
                    store,
                    self._condenser(),
                    HybridRetriever(
                        store=store, encoder=self.encoder, settings=self.settings.retrieval
                    ),
                    self._reranker(store),
                    *self._answerers(store),
                )
                logger.info("index %s loaded (%d chunks)", store.version, store.size)
            return self._live

    @cached_property
    def backend(self) -> Backend:
        """Where the index lives: the index folder, or the PostgreSQL database
        DOCQA_STORE__POSTGRES__URL names."""
        return make_backend(self.settings.index_dir, self.settings.store)

    @cached_property
    def pair_scorer(self) -> PairScorer | None:
        """The reranking model, shared by every index version (loaded on ``warm``)."""
        return self._pair_scorer if self._pair_scorer is not None else make_pair_scorer(
            self.settings
        )  # fmt: skip

    def _reranker(self, store: Store) -> Reranker:
        return make_reranker(self.settings, self.pair_scorer, self.encoder, store)

    def _condenser(self) -> Condenser:
        if self.settings.answerer == "extractive":
            return RuleCondenser()
        from app.question.condense import ChatCondenser

        model, _, condense_prompt = self.llm
        return ChatCondenser(model, condense_prompt)

    def _answerers(self, store: Store) -> tuple[Answerer, Answerer]:
        """The configured answerer, and the extractive one (the same, unless an LLM is)."""
        extractive = ExtractiveAnswerer(store, self.settings.answer)
        if self.settings.answerer == "extractive":
            return extractive, extractive
        from app.answer.generative import GenerativeAnswerer
        from app.answer.generative.verify import Verifier

        model, answer_prompt, _ = self.llm
        generative = GenerativeAnswerer(
            model,
            answer_prompt,
            store,
            Verifier(store, self.encoder, self.settings.verify),
            extractive,
            passages=self.settings.rerank.passages,
            describe=self.settings.llm.describe(),
        )
        return generative, extractive

    @cached_property
    def llm(self) -> tuple[BaseChatModel, ChatPromptTemplate, ChatPromptTemplate]:
        """The chat model and its prompts, checked (LLM mode only)."""
        from app.answer.chat_models import make_chat_model
        from app.prompts import load_prompt

        folder = self.settings.prompts_dir
        return (
            self._chat_model or make_chat_model(self.settings),
            load_prompt(folder, "answer", {"passages", "question"}),
            load_prompt(folder, "condense", {"history", "question"}),
        )

    def close(self) -> None:
        """Release the loaded index and the backend's connections."""
        with self._lock:
            if self._live is not None:
                self._live.store.close()
                self._live = None
        if "backend" in self.__dict__:
            self.backend.close()

    @property
    def store(self) -> Store:
        """The loaded live index."""
        return self._current().store

    def health(self) -> dict[str, Any]:
        """The live index's summary, after confirming it is whole (raises what is wrong),
        and whether feedback can be kept (``degraded`` with the reason when the last
        record could not be)."""
        store = self._current().store
        store.check()
        problem = self._feedback_problem
        feedback = (
            {"status": "ok"} if problem is None else {"status": "degraded", "problem": problem}
        )
        return {**store.stats(), "feedback": feedback}

    @cached_property
    def encoder(self) -> QuestionEncoder:
        """Question embeddings, shared by retrieval and answering."""
        return QuestionEncoder(self.embeddings)

    def check_store(self) -> None:
        """``StoreUnavailableError`` if the index's database cannot be reached now; a
        missing or damaged index is not raised here (the server starts and says so)."""
        try:
            self.backend.latest()
        except StoreUnavailableError:
            raise
        except IndexStoreError as exc:
            logger.info("no index to serve yet: %s", exc)

    def check_answerer(self) -> None:
        """In LLM mode, check the provider package, the model setting and the prompts.

        Nothing is sent to the model: it may not be up yet, and a request costs.
        """
        if self.settings.answerer == "llm":
            _ = self.llm

    def preload(self) -> None:
        """Start loading the reranking model in the background: a one-off command loads it
        while the index and the embedder load, instead of after them. A failure is left
        for the question to report."""
        if self.pair_scorer is not None:
            _in_background(self.pair_scorer.warm, "docqa-preload")

    def warm_in_background(self) -> None:
        """Start ``warm`` in a thread: the models load (native code) while the caller
        imports the server (Python), and ``warm`` called again waits for it. A failure is
        left for that second call to report."""
        _in_background(self.warm, "docqa-warm")

    def warm(self) -> None:
        """Load the model and the index now, so the first question is as fast as the rest.
        Once done it returns at once; a second caller waits for the first."""
        with self._warming:
            if not self._warmed:
                self._warm()
                self._warmed = True

    def _warm(self) -> None:
        self.check_answerer()
        if isinstance(self.embeddings, ArrayEmbeddings):
            self.embeddings.warm()
        if self.pair_scorer is not None:
            self.pair_scorer.warm()
        live = self._current()
        # One question through every stage warms them. A language model is not called:
        # that would spend a request, and it may not be up yet.
        question = analyse_question("warm-up")
        ranked = live.rerank(question, live.retrieve(question))
        if self.settings.answerer == "extractive":
            live.answerer.answer(question, ranked)

    def check_question(self, question: Any) -> str:
        """The question stripped, or ``QuestionError`` saying what is wrong with it."""
        return checked_question(question, self.settings.max_question_chars)

    def query(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] | None = None,
        since: str | date | None = None,
        until: str | date | None = None,
        reader: Reader | None = None,
        as_of: str | date | None = None,
    ) -> Question:
        """Check a question and its dates, and analyse it (a follow-up made standalone)."""
        return self._current().analyse(
            self._checked(question, history, since, until, reader, as_of)
        )

    def _checked(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] | None,
        since: str | date | None,
        until: str | date | None,
        reader: Reader | None,
        as_of: str | date | None,
        answerer: str | None = None,
    ) -> Query:
        """The question as the pipeline takes it, or ``QuestionError`` saying what is wrong.

        The question and dates are checked before the index is opened: a bad question
        is the asker's to fix whatever the state of the index. Then the reader's question
        budget is charged.
        """
        question = self.check_question(question)
        check_history(history)
        try:
            start, end, day = parse_day(since), parse_day(until), parse_day(as_of)
        except ValueError as exc:
            raise QuestionError(str(exc)) from None
        if start and end and start > end:
            raise QuestionError(f"The date range is empty: since {start} is after until {end}.")
        self._questions.charge(
            reader,
            TooManyQuestionsError,
            "Too many questions: the limit is {rate} (DOCQA_SERVER__QUESTION_RATE). "
            "Try again in {wait} seconds.",
        )
        return Query(question, tuple(history or ()), start, end, day, reader, answerer)

    def ask(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] | None = None,
        since: str | date | None = None,
        until: str | date | None = None,
        reader: Reader | None = None,
        *,
        as_of: str | date | None = None,
        record: bool = True,
        answerer: str | None = None,
    ) -> Answer:
        """Answer one question from the index, with citations: ``ask_stream``'s last item.

        ``history`` holds earlier ``{"role": "user"|"assistant", "content": str}``
        messages of the same chat; a follow-up is answered in their light. ``since`` and
        ``until`` (``YYYY-MM-DD``) keep to articles published in that range; ``as_of`` is
        the day the question is asked on ("this week" is relative to it; default today);
        ``reader`` (None: no restriction) keeps to the documents they may read. A refusal
        is kept for the operators unless ``record`` is False (evaluations, benchmarks).
        ``answerer="extractive"`` answers without the LLM even where one is configured.
        """
        return final_answer(
            self.ask_stream(
                question,
                history,
                since,
                until,
                reader,
                as_of=as_of,
                record=record,
                answerer=answerer,
            )
        )

    def ask_stream(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] | None = None,
        since: str | date | None = None,
        until: str | date | None = None,
        reader: Reader | None = None,
        *,
        as_of: str | date | None = None,
        record: bool = True,
        answerer: str | None = None,
    ) -> Iterator[Delta | Answer]:
        """The answer as it is written: ``Delta`` pieces, then the finished ``Answer``.

        The question is checked before the first item, so a bad one raises at once.
        """
        query = self._checked(question, history, since, until, reader, as_of, answerer)
        live = self._current()  # one index version for the whole question

        def events() -> Iterator[Delta | Answer]:
            for event in live.stream(query):
                if isinstance(event, Answer) and record:
                    self.note_refusal(event, reader)
                yield event

        return events()

    def search(
        self,
        query: str,
        k: int = 5,
        since: str | date | None = None,
        until: str | date | None = None,
        reader: Reader | None = None,
        *,
        as_of: str | date | None = None,
    ) -> list[Passage]:
        """The ``k`` (1 to 50) passages best matching ``query`` that ``reader`` may read,
        best first, each with where it lies in its document. Counts against the reader's
        question budget like a question."""
        if not 1 <= k <= MAX_PASSAGES:
            raise QuestionError(f"k must be between 1 and {MAX_PASSAGES}, not {k}.")
        live = self._current()
        question = live.analyse(self._checked(query, None, since, until, reader, as_of))
        hits = live.retriever.search(question, k)
        doc_ids = sorted({h.chunk.doc_id for h in hits})
        meta, groups = live.store.document_meta(doc_ids), live.store.groups_of(doc_ids)
        allowed = reader.groups if reader is not None else None
        passages = []
        for hit in hits:
            source, title, day, key = meta[hit.chunk.doc_id]
            held = groups.get(hit.chunk.doc_id, ())
            passages.append(Passage(
                hit.chunk.text, source, title, day, hit.chunk.start, hit.chunk.end, key,
                hit.score, tuple(g for g in held if allowed is None or g in allowed),
            ))  # fmt: skip
        return passages

    def document(self, key: str, reader: Reader | None = None) -> SourceDocument | None:
        """A document of the live index by its public key, or None (also when ``reader``
        may not read it: a closed document and a missing one look the same)."""
        return self.store.document_by_key(key, reader.groups if reader is not None else None)

    def catalogue(
        self, offset: int = 0, limit: int = 100, reader: Reader | None = None
    ) -> list[DocumentInfo]:
        """The live index's documents ``reader`` may read (None: all), in source order,
        without texts."""
        return self.store.catalogue(offset, limit, reader.groups if reader is not None else None)

    @cached_property
    def feedback_log(self) -> FeedbackLog:
        """Where readers' feedback is kept (the store's database, outside its versions)."""
        return self.backend.feedback()

    def feedback(
        self,
        verdict: Verdict,
        question: str,
        answer: str,
        citations: Sequence[Mapping[str, Any]],
        reader: Reader | None = None,
        comment: str | None = None,
    ) -> dict[str, Any]:
        """Keep a reader's verdict on an answer; returns the record as stored.

        ``FeedbackError`` when it is larger than a verdict needs, ``TooMuchFeedbackError``
        over the reader's rate, ``FeedbackUnavailableError`` when it cannot be kept.
        """
        limits = self.settings.feedback
        for what, text, limit, setting in (
            ("question", question, self.settings.max_question_chars, "DOCQA_MAX_QUESTION_CHARS"),
            ("answer", answer, limits.max_answer_chars, "DOCQA_FEEDBACK__MAX_ANSWER_CHARS"),
            ("comment", comment or "", limits.max_comment_chars,
             "DOCQA_FEEDBACK__MAX_COMMENT_CHARS"),
        ):  # fmt: skip
            if len(text) > limit:
                raise FeedbackError(
                    f"The {what} is longer than {limit:,} characters ({setting}): a verdict "
                    "carries the question and answer it is about, no more."
                )
        self._verdicts.charge(
            reader,
            TooMuchFeedbackError,
            "Too much feedback: the limit is {rate} (DOCQA_FEEDBACK__RATE). "
            "Try again in {wait} seconds.",
        )
        record = record_of(
            verdict,
            question,
            answer,
            [dict(c) for c in citations],
            self._version_now(),
            self._user(reader),
            comment,
        )
        self._keep(record)
        return record

    def note_refusal(self, answer: Answer, reader: Reader | None = None) -> None:
        """Keep a question the documents did not answer, for the operators.

        A record that cannot be kept is logged, never raised: the answer matters more
        (``health`` says the feedback store is degraded until a record is kept again).
        """
        if not answer.refused:
            return
        try:
            self._keep(refusal_record(answer, self._version_now(), self._user(reader)))
        except DocQAError as exc:
            logger.warning("refusal not recorded: %s", type(exc).__name__)

    def feedback_since(
        self, day: date | None = None, after: int = 0, limit: int = PAGE
    ) -> list[dict[str, Any]]:
        """A page of feedback records from ``day`` on, oldest first (``after``: the last
        ``id`` of the page before)."""
        try:
            return self.feedback_log.since(day, after, limit)
        except FeedbackUnavailableError:
            raise
        except DocQAError as exc:
            raise FeedbackUnavailableError(str(exc)) from None

    def _keep(self, record: dict[str, Any]) -> None:
        """Add a feedback record, remembering whether the feedback store works."""
        try:
            self.feedback_log.add(record)
        except DocQAError as exc:
            self._feedback_problem = str(exc)
            if isinstance(exc, FeedbackUnavailableError):
                raise
            raise FeedbackUnavailableError(str(exc)) from None
        self._feedback_problem = None

    def _user(self, reader: Reader | None) -> str | None:
        user = reader.user if reader is not None else None
        if user is None:
            return None
        keep = self.settings.feedback.keep_user_ids
        return user_label(user, keep, b"" if keep else self._user_key)

    @cached_property
    def _user_key(self) -> bytes:
        """What stored user ids are keyed with: the configured key, else the index's."""
        configured = self.settings.feedback.user_id_key
        if configured is not None:
            return configured.get_secret_value().encode()
        try:
            return self.backend.secret("feedback")
        except DocQAError as exc:
            raise FeedbackUnavailableError(str(exc)) from None

    def _version_now(self) -> str | None:
        live = self._live
        return live.version if live is not None else None

    def examples(self, count: int = 4, reader: Reader | None = None) -> list[str]:
        """Questions that suit the documents ``reader`` may read: their most named things."""
        groups = reader.groups if reader is not None else None
        return example_questions(self.store.sample_texts(40, groups), count)

    def about(self, reader: Reader | None = None) -> dict[str, Any]:
        """What ``reader`` may ask about: how many documents, their first and last dates,
        when the index was built, who they are and example questions."""
        store = self.store
        groups = reader.groups if reader is not None else None
        documents, first, last = store.coverage(groups)
        return {
            "documents": documents,
            "dates": [first, last] if first else None,
            "indexed": store.stats()["created"],
            "user": reader.user if reader is not None else None,
            "examples": self.examples(reader=reader) if documents else [],
        }


def _run_key(paths: list[Path]) -> str:
    """What index workers given the same paths share: the paths' own names (sources are
    named from them), whatever folder each worker mounts them in."""
    return "\n".join(sorted(printable_name(Path(p).resolve().name or str(p)) for p in paths))


def _in_background(load: Callable[[], None], name: str) -> None:
    """Run ``load`` in a daemon thread; a failure is left for the caller's next use of
    what it loads to report."""

    def run() -> None:
        with contextlib.suppress(DocQAError):
            load()

    Thread(target=run, name=name, daemon=True).start()
