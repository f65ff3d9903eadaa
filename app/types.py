"""Our own small types at every boundary; LangChain ``Document``s never leave the core."""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, overload

__all__ = [
    "EVERYONE",
    "GROUP_NAME",
    "Answer",
    "AnswerSentence",
    "Chunk",
    "Citation",
    "Delta",
    "Hit",
    "Offsets",
    "Passage",
    "Reader",
    "Skipped",
    "SourceDocument",
    "split_groups",
]

# An access group's name, wherever one is given: access.yaml, front matter, settings,
# upload forms and user tokens.
GROUP_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@:-]{0,63}")
# The group every verified user is in; documents nothing else names are in it.
EVERYONE = "everyone"


def split_groups(text: str) -> list[str]:
    """Comma-separated group names as a list: each stripped, empty ones and repeats dropped."""
    return list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))


@dataclass(frozen=True)
class SourceDocument:
    """One article as loaded: ``text`` is what every offset refers to."""

    source: str
    text: str
    title: str | None
    date: str | None
    sha256: str
    path: Path | None = None
    # Access groups: a reader who shares one may read it (see app/sources/access.py).
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reader:
    """Who is asking: a verified user with their access groups, or a caller who may read
    everything (a service account with the API token, or a server with no identities)."""

    user: str | None = None
    groups: frozenset[str] | None = None  # None: every document
    admin: bool = False


@dataclass(frozen=True)
class Skipped:
    """A file that was not indexed, with a one-line reason."""

    source: str
    reason: str


class Offsets(Sequence[tuple[int, int]]):
    """``(start, end)`` pairs packed in one array of integers: what a chunk's sentence
    spans take while a large file is indexed (a tuple of tuples costs about 120 bytes a
    sentence, this 16). Equal to, and hashed as, the tuple of its pairs."""

    __slots__ = ("_flat",)

    def __init__(self, pairs: Iterable[tuple[int, int]]) -> None:
        self._flat = array("q", [n for start, end in pairs for n in (start, end)])

    def __len__(self) -> int:
        return len(self._flat) // 2

    @overload
    def __getitem__(self, index: int) -> tuple[int, int]: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[tuple[int, int], ...]: ...

    def __getitem__(self, index: int | slice) -> tuple[int, int] | tuple[tuple[int, int], ...]:
        if isinstance(index, slice):
            return tuple(self)[index]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("sentence index out of range")
        return self._flat[2 * index], self._flat[2 * index + 1]

    def __iter__(self) -> Iterator[tuple[int, int]]:
        flat = self._flat
        return ((flat[i], flat[i + 1]) for i in range(0, len(flat), 2))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Offsets):
            return self._flat == other._flat
        if isinstance(other, (str, bytes)) or not isinstance(other, Sequence):
            return NotImplemented
        try:
            return tuple(self) == tuple(tuple(p) for p in other)
        except TypeError:  # not a sequence of pairs
            return False

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Offsets({list(self)!r})"


@dataclass(frozen=True)
class Chunk:
    """A run of whole sentences of one document; offsets are into the document text."""

    id: int
    doc_id: int
    start: int
    end: int
    text: str
    sentences: Sequence[tuple[int, int]]  # a tuple, or ``Offsets`` while indexing


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused score and the two scores it came from."""

    chunk: Chunk
    score: float
    dense: float
    lexical: float


@dataclass(frozen=True)
class Passage:
    """A passage search found: ``text`` is ``document.text[start:end]`` of the document
    ``document`` (its public key); ``groups`` are those of its groups that let the reader
    read it (all of them for an unrestricted reader)."""

    text: str
    source: str
    title: str | None
    date: str | None
    start: int
    end: int
    document: str
    score: float
    groups: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {**asdict(self), "score": round(self.score, 4), "groups": list(self.groups)}


@dataclass(frozen=True)
class Citation:
    """A numbered, exact span of one document: ``document.text[start:end] == quote``."""

    id: int
    source: str
    title: str | None
    date: str | None
    start: int
    end: int
    quote: str
    document: str = ""  # public key of the document, for `GET /api/documents/{document}`
    doc_id: int = field(default=-1, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the output contract."""
        data = asdict(self)
        data.pop("doc_id")
        return data


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of an answer, the citations it carries and whether they support it.

    ``answer_span`` marks, as ``[start, end)`` offsets into ``text``, the words that answer
    a who/when/where/how-many question, when the sentence holds them. ``label`` heads it
    in a timeline (its date) or a comparison of positions (whose view it is).
    """

    text: str
    citations: tuple[int, ...]
    supported: bool
    answer_span: tuple[int, int] | None = None
    label: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "text": self.text,
            "citations": list(self.citations),
            "supported": self.supported,
            "answer_span": list(self.answer_span) if self.answer_span else None,
            "label": self.label,
        }


@dataclass(frozen=True)
class Answer:
    """A short answer whose every ``[n]`` refers to ``citations[n-1]``.

    ``mode`` says which answerer wrote it; ``notice`` tells the reader something they
    should know about it (for instance that the language model failed and the extractive
    answer is shown instead). ``form`` says how to show it: ``prose``, a ``timeline`` (one
    dated line per event), ``positions`` (each side's view under its name) or ``points``
    (a summary's dated points); the labels are on its sentences.
    """

    question: str
    answer: str
    refused: bool
    citations: tuple[Citation, ...] = ()
    closest: tuple[Citation, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)
    mode: str = "extractive"
    sentences: tuple[AnswerSentence, ...] = ()
    notice: str | None = None
    # How likely the answer is to be right, calibrated (see app/answer/evidence.py); for a
    # refusal, the best relevance found.
    evidence: float | None = None
    form: str = "prose"
    # The best sentence's relevance (the reranker's, 0 to 1): below the refusal threshold
    # the documents do not answer.
    relevance: float | None = None

    @property
    def shown(self) -> tuple[Citation, ...]:
        """The passages to show with the answer: its citations, or for a refusal the
        closest passages found."""
        return self.closest if self.refused else self.citations

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON contract shared by the CLI, the API and the UI."""
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "evidence": None if self.evidence is None else round(self.evidence, 4),
            "relevance": None if self.relevance is None else round(self.relevance, 4),
            "mode": self.mode,
            "form": self.form,
            "sentences": [s.to_dict() for s in self.sentences],
            "notice": self.notice,
            "citations": [c.to_dict() for c in self.citations],
            "closest": [c.to_dict() for c in self.closest],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }


@dataclass(frozen=True)
class Delta:
    """The next piece of an answer being streamed; the finished ``Answer`` follows."""

    text: str
