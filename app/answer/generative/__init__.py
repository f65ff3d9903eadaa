"""The generative answerer: a chat model writes, every sentence is checked before it is shown.

The model gets the retrieved passages, numbered and delimited, and is told to cite
them. Its answer is read sentence by sentence as it streams. A sentence is shown only
once its citations have been parsed, references to passages that were not retrieved
dropped, links and images sanitised, and its support by the passages it cites
measured; a sentence they do not support is shown marked ``[unsupported]``. An answer
with no usable citation at all is replaced by the extractive answer, and the reader is
told so.
"""

from __future__ import annotations

import dataclasses
import html
import logging
import re
import time
from collections.abc import Iterator, Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.prompts import ChatPromptTemplate

from app.answer import final_answer, stream_answer
from app.answer.chat_models import stream_text
from app.answer.extractive import ExtractiveAnswerer
from app.answer.generative.verify import (
    Passage,
    Verifier,
    has_claim,
    is_no_answer,
    sanitise,
    split_claims,
    take_complete,
    urls_in,
)
from app.errors import LLMError
from app.question.analysis import Question
from app.rerank.base import Ranked
from app.store import Store
from app.text.instructions import addresses_model, for_model
from app.types import Answer, AnswerSentence, Citation, Delta, Hit

__all__ = ["UNSUPPORTED", "GenerativeAnswerer"]

logger = logging.getLogger(__name__)

UNSUPPORTED = "[unsupported]"
_TAGS = re.compile(r"<\s*(/?)\s*(passages?)\b", re.IGNORECASE)


class GenerativeAnswerer:
    """Answers with a chat model over the top passages; verifies before it shows."""

    mode = "llm"

    def __init__(
        self,
        model: BaseChatModel,
        answer_prompt: ChatPromptTemplate,
        store: Store,
        verifier: Verifier,
        fallback: ExtractiveAnswerer,
        *,
        passages: int,
        describe: str,
    ) -> None:
        self.model = model
        self.answer_prompt = answer_prompt
        self.store = store
        self.verifier = verifier
        self.fallback = fallback
        self.passages = passages
        self.describe = describe

    def urls(self, passages: Sequence[Passage]) -> frozenset[str]:
        """URLs written in the articles the model was given passages of: the only links an
        answer may keep (never one from a document the reader may not read)."""
        documents = (self.store.document(d) for d in sorted({p.hit.chunk.doc_id for p in passages}))
        return urls_in(d.text for d in documents if d is not None)

    def answer(self, question: Question, ranked: Ranked) -> Answer:
        """The verified answer, written in full: the stream's last item."""
        return final_answer(self.stream(question, ranked))

    def refusal(self, question: Question, ranked: Ranked) -> Answer:
        """The documents do not answer: the closest passages, as the extractive answerer
        lists them."""
        return dataclasses.replace(self.fallback.refusal(question, ranked), mode=self.mode)

    def _passages(self, hits: list[Hit]) -> tuple[list[Passage], int]:
        """The passages the model may read, and how many were withheld from it.

        A document with any retrieved passage that addresses an AI system is withheld
        whole: its other passages may carry the payload the instructions point at.
        """
        hits = hits[: self.passages]
        hostile = {h.chunk.doc_id for h in hits if addresses_model(h.chunk.text)}
        kept = [h for h in hits if h.chunk.doc_id not in hostile]
        if hostile:
            logger.warning("withheld %d passages addressed to a model", len(hits) - len(kept))
        meta = self.store.document_meta(sorted({h.chunk.doc_id for h in kept}))
        passages = [Passage.of(n, h, meta[h.chunk.doc_id]) for n, h in enumerate(kept, 1)]
        return passages, len(hits) - len(kept)

    def _format(self, passages: list[Passage]) -> str:
        blocks = []
        for p in passages:
            source, title, date, _ = p.meta
            attrs = f'id="{p.number}" title="{html.escape(title or "")}"'
            attrs += f' date="{date or "unknown"}" source="{html.escape(source)}"'
            # A passage cannot close its own tag and pose as instructions after it.
            body = _TAGS.sub(lambda m: f"‹{m[1]}{m[2]}", for_model(p.text))
            blocks.append(f"<passage {attrs}>\n{body}\n</passage>")
        return "\n".join(blocks)

    def stream(self, question: Question, ranked: Ranked) -> Iterator[Delta | Answer]:
        """Verified sentences as the model writes them, then the finished ``Answer``."""
        passages, withheld = self._passages(list(ranked.hits))
        if not passages:
            yield from self.fallback.stream(question, ranked)
            return
        messages = self.answer_prompt.format_messages(
            passages=self._format(passages), question=question.search
        )
        draft = _Draft(self, passages)
        if withheld:
            draft.notices.append(
                f"{withheld} retrieved passages were not shown to the language model: their "
                "articles contain instructions addressed to an AI system."
            )
        started = time.perf_counter()
        buffer = ""
        try:
            for piece in stream_text(self.model, messages):
                buffer += piece
                done, buffer = take_complete(buffer)
                if done:
                    yield from draft.add(done)
            yield from draft.add(buffer)
        except LLMError as exc:  # report, then fall back
            logger.warning("the language model failed: %s", str(exc).split(":")[0])
            reason = str(exc)
            if not draft.shown:
                yield from self._fallback(
                    question,
                    ranked,
                    f"The language model ({self.describe}) could not answer "
                    f"({reason}). This is the extractive answer instead.",
                )
                return
            draft.notices.append(f"The language model stopped early ({reason}).")
        yield from self._finish(draft, question, ranked, (time.perf_counter() - started) * 1000)

    def _finish(
        self, draft: _Draft, question: Question, ranked: Ranked, llm_ms: float
    ) -> Iterator[Delta | Answer]:
        """The verified answer, a refusal, or the extractive answer when nothing was cited."""
        if draft.usable:
            yield from draft.flush()
            yield draft.result(question.asked, llm_ms)
        elif draft.refused:
            result = self.refusal(question, ranked)
            yield Delta(result.answer)
            yield dataclasses.replace(result, timings_ms={"llm": llm_ms})
        else:
            yield from self._fallback(
                question, ranked, "The language model's answer cited none of the passages, so "
                "this is the extractive answer instead.",
            )  # fmt: skip

    def _fallback(
        self, question: Question, ranked: Ranked, notice: str
    ) -> Iterator[Delta | Answer]:
        result = self.fallback.answer(question, ranked)
        yield from stream_answer(dataclasses.replace(result, notice=notice))


class _Draft:
    """The answer being assembled: verified sentences, renumbered citations."""

    def __init__(self, owner: GenerativeAnswerer, passages: list[Passage]) -> None:
        self.owner = owner
        self.passages = passages
        self.urls = owner.urls(passages)
        self.sentences: list[AnswerSentence] = []
        self.citations: list[Citation] = []
        self._numbers: dict[tuple[int, int, int], int] = {}
        self._pending: list[str] = []
        self.rendered: list[str] = []
        self.raw = ""
        self.shown = False
        self.usable = False
        self.dropped = 0
        self.notices: list[str] = []

    @property
    def refused(self) -> bool:
        """Did the model say the passages do not answer?"""
        return is_no_answer(self.raw)

    def add(self, text: str) -> Iterator[Delta]:
        """Check the finished sentences in ``text``; show them once a citation is usable."""
        self.raw += text
        if self.refused:
            return
        for claim in split_claims(sanitise(text, self.urls)):
            self._pending.append(self._check(claim.text, claim.cited))
        # Nothing is shown before the first usable citation: an answer that never cites
        # is replaced by the extractive one, and the reader must not see it change.
        if self.usable:
            yield from self.flush()

    def flush(self) -> Iterator[Delta]:
        """Show the sentences checked so far."""
        for piece in self._pending:
            self.shown = True
            # The space goes between pieces, so the pieces joined are the answer exactly.
            gap = " " if self.rendered else ""
            self.rendered.append(piece)
            yield Delta(gap + piece)
        self._pending = []

    def _cite(self, passage: Passage, span: tuple[int, int]) -> int:
        chunk = passage.hit.chunk
        key = (chunk.doc_id, *span)
        if key not in self._numbers:
            source, title, date, doc_key = passage.meta
            number = len(self.citations) + 1
            quote = chunk.text[span[0] - chunk.start : span[1] - chunk.start]
            self.citations.append(
                Citation(number, source, title, date, *span, quote, doc_key, doc_id=chunk.doc_id)
            )
            self._numbers[key] = number
        return self._numbers[key]

    def _check(self, text: str, cited: tuple[int, ...]) -> str:
        """Verify one sentence; its rendered form with renumbered citations."""
        verifier = self.owner.verifier
        valid = [n for n in cited if 1 <= n <= len(self.passages)]
        self.dropped += len(cited) - len(valid)
        if not has_claim(text):  # nothing checkable: "In short:", "The passages say:"
            self.sentences.append(AnswerSentence(text, (), True))
            return text
        if valid:
            support = verifier.support(text, [self.passages[n - 1] for n in valid])
            self.usable = True
        else:  # uncited: find the one passage that supports it, if any
            options = [(verifier.support(text, [p]), p.number) for p in self.passages]
            support, number = max(options, key=lambda o: o[0].score)
            valid = [number] if verifier.supported(support) else []
        ok = verifier.supported(support) and bool(valid)
        numbers = tuple(
            dict.fromkeys(self._cite(self.passages[n - 1], support.spans[n]) for n in valid)
        )
        self.sentences.append(AnswerSentence(text, numbers, ok))
        marks = "".join(f"[{n}]" for n in numbers)
        return " ".join(x for x in (text, marks, "" if ok else UNSUPPORTED) if x)

    def result(self, question: str, llm_ms: float) -> Answer:
        """The finished answer."""
        notices = list(self.notices)
        unsupported = sum(not s.supported for s in self.sentences)
        if unsupported:
            notices.append(
                f"{unsupported} of {len(self.sentences)} sentences are not supported by the "
                f"passages they cite and are marked {UNSUPPORTED}."
            )
        if self.dropped:
            notices.append(f"{self.dropped} citations of passages that were not given dropped.")
        return Answer(
            question=question,
            answer=" ".join(self.rendered),
            refused=False,
            citations=tuple(self.citations),
            timings_ms={"llm": llm_ms},
            mode=GenerativeAnswerer.mode,
            sentences=tuple(self.sentences),
            notice=" ".join(notices) or None,
        )
