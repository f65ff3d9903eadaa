"""The evidence figure: how likely an answer is to be right, calibrated.

The reranker's relevance ranks sentences; it is not a probability (wrong answers sat at
0.99 beside right ones). The figure shown with an answer is a logistic regression over
what can be read off the answer and its ranking: the best relevance, its margin over the
next sentence, the lead's own relevance and its share of the question's terms, and
whether a question wanting a name, a date or a figure got one. Its coefficients were
fitted on the 1,000 SQuAD tuning questions (an answer is right when a gold answer is in
its first 300 characters) and checked on the 2,000 validation questions
(``python -m tests.bench.calibrate``). The refusal threshold stays on the relevance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from app.question.analysis import Question
from app.rerank.base import Ranked
from app.types import Answer

__all__ = ["COEFFICIENTS", "calibrated", "features", "probability"]

# Intercept, then one per feature of ``features``, in order (python -m tests.bench.calibrate).
# Validation (1,945 answered): 1,482 at or above 0.8, of which 0.924 right; no answer at
# 0.99 or above (the raw relevance put 1,815 there at 0.871 right, 121 of them wrong).
COEFFICIENTS: tuple[float, ...] = (
    -0.0439,
    -0.7137,
    -0.6385,
    0.1281,
    0.9898,
    0.1909,
    0.4728,
    -0.4709,
)
_CLIP = 1e-4


def _logit(p: float) -> float:
    p = min(max(p, _CLIP), 1 - _CLIP)
    return math.log(p / (1 - p))


def features(question: Question, ranked: Ranked, answer: Answer) -> list[float]:
    """What the evidence is read from: the best relevance (raw, first), its log-odds,
    its margin over the second best, the lead's relevance and term share, whether a
    name, date or figure was asked for, and whether the lead holds one."""
    read = [s for s in ranked.sentences if not s.asks]
    best = read[0].relevance if read else 0.0
    second = read[1].relevance if len(read) > 1 else 0.0
    lead = answer.citations[0] if answer.citations else None
    source = next(
        (s for s in read if lead is not None and (s.doc_id, s.start) == (lead.doc_id, lead.start)),
        read[0] if read else None,
    )
    asked = question.kind is not None
    found = bool(answer.sentences and answer.sentences[0].answer_span)
    return [
        best,
        _logit(best),
        _logit(best) - _logit(second),
        _logit(source.relevance) if source is not None else _logit(0.0),
        source.lexical if source is not None else 0.0,
        float(asked),
        float(asked and found),
    ]


def probability(row: Sequence[float], coefficients: Sequence[float]) -> float:
    """The logistic model's probability for one row of features."""
    z = coefficients[0] + sum(c * x for c, x in zip(coefficients[1:], row, strict=True))
    return 1 / (1 + math.exp(-max(min(z, 30.0), -30.0)))


def calibrated(question: Question, ranked: Ranked, answer: Answer) -> float:
    """The answer's calibrated evidence, 0 to 1."""
    return probability(features(question, ranked, answer), COEFFICIENTS)
