"""Calibrating citation verification on SQuAD: claims that passages do and do not support.

For each question a claim is written the way a model composes one, from the question
and an answer ("Which team won Super Bowl 50: Denver Broncos."), and checked against:

- supported: the correct answer, citing the chunk that holds it;
- wrong fact: another answer from the same article, citing the same chunk;
- wrong citation: the correct answer, citing the best-ranked retrieved chunk that
  does not hold it (a plausible but wrong passage).

``--search`` picks the lexical weight and threshold with the best balanced accuracy on
the tuning questions; the bench reports precision and recall of "unsupported" on
held-out questions at the configured settings.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from app.answer.generative.verify import Passage, Verifier
from app.question.analysis import analyse_question
from app.retrieval.hybrid import HybridRetriever
from app.service import DocQA
from app.types import Hit
from tests.bench.squad import SquadQuestion, normalise_answer

__all__ = ["ClaimCase", "claim_cases", "report_verification", "search_verification"]


@dataclass(frozen=True)
class ClaimCase:
    """A claim, the passage it cites, and whether that passage supports it."""

    claim: str
    hit: Hit
    supported: bool
    kind: str


def _holds(hit: Hit, answer: str) -> bool:
    return normalise_answer(answer) in normalise_answer(hit.chunk.text)


def claim_cases(service: DocQA, questions: list[SquadQuestion], seed: int) -> list[ClaimCase]:
    """Supported, wrong-fact and wrong-citation claims for ``questions``."""
    rng = random.Random(seed)
    search = HybridRetriever(
        store=service.store, encoder=service.encoder, settings=service.settings.retrieval
    )
    by_article: dict[str, list[str]] = {}
    for q in questions:
        by_article.setdefault(q.source, []).append(q.answers[0])
    cases = []
    for q in questions:
        hits = search.search(analyse_question(q.question), 10)
        gold = next((h for h in hits if _holds(h, q.answers[0])), None)
        if gold is None:
            continue
        stem = q.question.strip().rstrip("?")
        cases.append(ClaimCase(f"{stem}: {q.answers[0]}.", gold, True, "supported"))
        others = [a for a in by_article[q.source] if not _holds(gold, a)]
        if others:
            cases.append(ClaimCase(f"{stem}: {rng.choice(others)}.", gold, False, "wrong fact"))
        wrong = next((h for h in hits if not any(_holds(h, a) for a in q.answers)), None)
        if wrong is not None:
            cases.append(ClaimCase(f"{stem}: {q.answers[0]}.", wrong, False, "wrong citation"))
    return cases


def _features(service: DocQA, cases: list[ClaimCase]) -> np.ndarray:
    """``(lexical, dense)`` support of each case."""
    verifier = Verifier(service.store, service.encoder, service.settings.verify)
    meta = service.store.document_meta(sorted({c.hit.chunk.doc_id for c in cases}))
    rows = []
    for case in cases:
        passage = Passage.of(1, case.hit, meta[case.hit.chunk.doc_id])
        support = verifier.support(case.claim, [passage])
        rows.append((support.lexical, support.dense))
    return np.array(rows)


def _rates(flagged: np.ndarray, unsupported: np.ndarray) -> tuple[float, float, float]:
    """Precision and recall of flagging unsupported claims, and balanced accuracy."""
    tp = float(np.sum(flagged & unsupported))
    precision = tp / max(float(flagged.sum()), 1.0)
    recall = tp / max(float(unsupported.sum()), 1.0)
    specificity = float(np.sum(~flagged & ~unsupported)) / max(float((~unsupported).sum()), 1.0)
    return precision, recall, (recall + specificity) / 2


def search_verification(service: DocQA, cases: list[ClaimCase]) -> tuple[float, float]:
    """The (lexical weight, threshold) with the best balanced accuracy on ``cases``."""
    x = _features(service, cases)
    unsupported = np.array([not c.supported for c in cases])
    best = (0.0, 0.0, 0.0)
    for w in np.linspace(0, 1, 21):
        score = w * x[:, 0] + (1 - w) * x[:, 1]
        for t in np.linspace(0.2, 0.95, 76):
            balanced = _rates(score < t, unsupported)[2]
            if balanced > best[0]:
                best = (balanced, float(w), float(t))
    print(f"  best on tuning claims: lexical_weight {best[1]:.2f}, min_support {best[2]:.2f}, "
          f"balanced accuracy {best[0]:.3f}")  # fmt: skip
    return best[1], best[2]


def report_verification(service: DocQA, cases: list[ClaimCase]) -> None:
    """Precision/recall of the "unsupported" mark at the configured settings, by kind."""
    settings = service.settings.verify
    x = _features(service, cases)
    score = settings.lexical_weight * x[:, 0] + (1 - settings.lexical_weight) * x[:, 1]
    flagged = score < settings.min_support
    unsupported = np.array([not c.supported for c in cases])
    precision, recall, balanced = _rates(flagged, unsupported)
    print(
        f"\nCitation verification on {len(cases)} SQuAD claims (lexical_weight "
        f"{settings.lexical_weight}, min_support {settings.min_support}):"
    )
    print(
        f"  'unsupported' precision {precision:.3f}  recall {recall:.3f}  balanced accuracy "
        f"{balanced:.3f}"
    )
    for kind in ("supported", "wrong fact", "wrong citation"):
        mask = np.array([c.kind == kind for c in cases])
        print(f"  {kind:15} n={int(mask.sum()):5}  marked unsupported {flagged[mask].mean():.3f}")
