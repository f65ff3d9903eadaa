"""Checking a generated answer: its ``[n]`` markers, its links, and each sentence's support.

A language model's answer arrives as text. It is cut into sentences (``Claim``s) and
each sentence's passage numbers are read. Markdown images and HTML are removed, and so
are links to hosts the corpus never mentions. Then the ``Verifier`` measures how well
the passages a sentence cites support it: the share of the sentence's term weight
(IDF) found in them, and its best cosine to one of their sentences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from urllib.parse import urlsplit

import numpy as np

from app.embeddings import embed_matrix
from app.embeddings.question import QuestionEncoder
from app.settings import VerifySettings
from app.store.base import TermWeights
from app.text.analysis import analyse
from app.text.dates import annotate
from app.text.sentences import split_sentences
from app.types import Hit

__all__ = [
    "Claim",
    "Passage",
    "Support",
    "Verifier",
    "has_claim",
    "is_no_answer",
    "sanitise",
    "split_claims",
    "take_complete",
    "urls_in",
]

NO_ANSWER = "NO_ANSWER"
# Words a model uses to talk about its sources; they claim nothing about the world.
_META_WORDS = (
    "answer answers passage passages article articles document documents text texts "
    "question questions source sources according mention mentions mentioned report reports "
    "reported"
)

# [1] [1, 2] [1][3] [passage 2] [Passages 1 and 3] [source 4]
_MARKER = re.compile(
    r"\[\s*(?:(?:passages?|sources?|p)\s*)?(\d{1,3}(?:\s*(?:,|;|&|and)\s*\d{1,3})*)\s*\]",
    re.IGNORECASE,
)
_LEADING_MARKERS = re.compile(rf"^(?:\s*{_MARKER.pattern})+", re.IGNORECASE)
_IMAGE = re.compile(r"!\[[^\]]*\]\s*(?:\([^)]*\)|\[[^\]]*\])")
_LINK = re.compile(r"\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_AUTOLINK = re.compile(r"<((?:https?|ftp)://[^>\s]*)>", re.IGNORECASE)
_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>()\"']+|\bwww\.[^\s<>()\"']+", re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_SPACE = re.compile(r"\s+")
_REFERENCE_DEF = re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$", re.MULTILINE)


def _host(url: str) -> str:
    url = url if "://" in url else f"http://{url}"
    try:
        return (urlsplit(url).hostname or "").lower().removeprefix("www.")
    except ValueError:
        return ""


def _clean_url(url: str) -> str:
    return url.rstrip(".,;:!?'\"")


def urls_in(texts: Iterable[str]) -> frozenset[str]:
    """Every URL written in ``texts``."""
    return frozenset(_clean_url(url) for text in texts for url in _URL.findall(text))


def sanitise(text: str, allowed: frozenset[str] = frozenset()) -> str:
    """``text`` without images, HTML tags, or links other than URLs in ``allowed``.

    A link survives only when its exact URL is written in the corpus: a link to a host
    outside the corpus is gone, and so is a corpus host's URL with data added to it
    (the way an injected instruction would smuggle something out).
    """
    text = _IMAGE.sub("", text)
    text = _REFERENCE_DEF.sub("", text)
    text = _TAG.sub("", text)

    def link(m: re.Match[str]) -> str:
        label, url = m[1].strip(), _clean_url(m[2])
        return m[0] if url in allowed and _host(url) else label

    text = _LINK.sub(link, text)
    text = _AUTOLINK.sub(lambda m: m[0] if _clean_url(m[1]) in allowed else "", text)
    text = _URL.sub(lambda m: m[0] if _clean_url(m[0]) in allowed else "", text)
    return _SPACE.sub(" ", text).strip()


def is_no_answer(text: str) -> bool:
    """Did the model say the passages do not answer (the prompt's ``NO_ANSWER``)?"""
    return NO_ANSWER in text.upper().replace(" ", "_")


@lru_cache(maxsize=1)
def _meta_terms() -> frozenset[str]:
    return frozenset(analyse([_META_WORDS])[0])


def has_claim(text: str) -> bool:
    """Does ``text`` say anything checkable (a content word beyond talk of sources)?"""
    return bool(set(analyse([text])[0]) - _meta_terms())


@dataclass(frozen=True)
class Claim:
    """One sentence of a generated answer, without its markers, and the numbers it cited."""

    text: str
    cited: tuple[int, ...]


def _numbers(markers: str) -> list[int]:
    return [int(n) for m in _MARKER.finditer(markers) for n in re.findall(r"\d+", m[1])]


def _sentences(text: str) -> list[str]:
    """Sentences, with markers that open a sentence ("… Kabul. [2] The …") moved back."""
    out: list[str] = []
    for s in split_sentences(text, max_chars=2000):
        piece = text[s.start : s.end]
        lead = _LEADING_MARKERS.match(piece)
        if lead and out:
            out[-1] += " " + lead[0].strip()
            piece = piece[lead.end() :].strip()
        if piece:
            out.append(piece)
    return out


def split_claims(text: str) -> list[Claim]:
    """The sentences of an answer with the passage numbers each one cites."""
    claims = []
    for sentence in _sentences(text):
        cited = tuple(dict.fromkeys(_numbers(sentence)))
        plain = _SPACE.sub(" ", _MARKER.sub("", sentence)).strip()
        plain = re.sub(r"\s+([.,;:!?])", r"\1", plain)
        if plain.strip(" .,;:-*"):
            claims.append(Claim(plain, cited))
    return claims


def take_complete(buffer: str) -> tuple[str, str]:
    """Split streamed text into (finished sentences, the unfinished rest)."""
    spans = split_sentences(buffer, max_chars=100_000)
    if len(spans) < 2:
        return "", buffer
    rest = buffer[spans[-1].start :]
    lead = _LEADING_MARKERS.match(rest)
    after = rest[lead.end() :] if lead else rest
    # The last sentence has not visibly started yet (only markers, or a marker being typed).
    if not after.strip() or after.lstrip().startswith("["):
        if len(spans) < 3:
            return "", buffer
        rest = buffer[spans[-2].start :]
        return buffer[: spans[-2].start], rest
    done = buffer[: spans[-1].start] + (lead[0] if lead else "")
    return done, after


@dataclass
class Passage:
    """A retrieved chunk as the model sees it: numbered, dated, relative dates resolved.

    ``meta`` is its document's ``(source, title, date, key)``, as ``document_meta`` gives.
    """

    number: int
    hit: Hit
    meta: tuple[str, str | None, str | None, str]
    sentences: list[tuple[int, int, str]] = field(default_factory=list)  # start, end, text
    vectors: np.ndarray | None = None  # filled by the Verifier when first needed

    @classmethod
    def of(cls, number: int, hit: Hit, meta: tuple[str, str | None, str | None, str]) -> Passage:
        """The passage for ``hit``; sentence texts carry resolved dates."""
        chunk = hit.chunk
        sentences = [
            (a, b, annotate(chunk.text[a - chunk.start : b - chunk.start], meta[2]))
            for a, b in chunk.sentences
        ]
        return cls(number, hit, meta, sentences)

    @property
    def text(self) -> str:
        """The passage text with resolved dates."""
        return " ".join(s[2] for s in self.sentences)

    @cached_property
    def terms(self) -> list[list[str]]:
        """The analysed terms of each sentence (a passage is checked against many claims)."""
        return analyse([s[2] for s in self.sentences])


@dataclass(frozen=True)
class Support:
    """How well some passages support a claim, and the best sentence of each."""

    score: float
    lexical: float
    dense: float
    spans: dict[int, tuple[int, int]]  # passage number -> (start, end) of its best sentence


class Verifier:
    """Scores claims against passages: term weight covered, and meaning."""

    def __init__(
        self, lexical: TermWeights, encoder: QuestionEncoder, settings: VerifySettings
    ) -> None:
        self.lexical = lexical
        self.encoder = encoder
        self.settings = settings

    def _vectors(self, passage: Passage) -> np.ndarray:
        if passage.vectors is None:
            passage.vectors = embed_matrix(
                self.encoder.embeddings, [s[2] for s in passage.sentences]
            )
        return passage.vectors

    def support(self, claim: str, passages: list[Passage]) -> Support:
        """The support of ``claim`` by ``passages`` together (zero when there are none)."""
        weights = self.lexical.weights(set(analyse([claim])[0]) - _meta_terms())
        total = sum(weights.values())
        if not passages or total <= 0:
            return Support(0.0, 0.0, 0.0, {})
        vector = self.encoder(claim)
        w = self.settings.lexical_weight
        covered: set[str] = set()
        best_cos, spans = -1.0, {}
        for passage in passages:
            terms = passage.terms
            cosines = self._vectors(passage) @ vector
            scores = [
                w * sum(weights.get(t, 0.0) for t in set(ts)) / total + (1 - w) * float(c)
                for ts, c in zip(terms, cosines, strict=True)
            ]
            best = int(np.argmax(scores))
            spans[passage.number] = passage.sentences[best][:2]
            covered.update(t for ts in terms for t in ts)
            best_cos = max(best_cos, float(cosines.max()))
        lexical = sum(v for t, v in weights.items() if t in covered) / total
        return Support(w * lexical + (1 - w) * best_cos, lexical, best_cos, spans)

    def supported(self, support: Support) -> bool:
        """Is this support enough to show the sentence as backed by its citations?"""
        return support.score >= self.settings.min_support
