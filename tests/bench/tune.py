"""Choosing settings on SQuAD questions the benchmark never reports.

The tuning questions (1,000, seed 7) and the validation questions (2,000, seed 99) are
drawn from SQuAD v1.1 dev after the benchmark's held-out sample (seed 2026) is set
aside, so nothing chosen here is chosen on the figures `make bench` reports. Each grid
point answers every question through the real core and prints the figures the issue
targets: passages after reranking (hit@1/@5), first-sentence hit, answer hit in the
first 300 characters, and latency.

    python -m tests.bench.tune --grid rerank.sentences=6,8,12 --grid rerank.passages=5,8
    python -m tests.bench.tune --validation --grid rerank.sentences=8
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from app.service import DocQA
from app.settings import Settings
from tests.bench.squad import (
    SquadQuestion,
    lead,
    load_squad,
    normalise_answer,
    sample,
    write_corpus,
)

__all__ = ["main"]

VALIDATION_SEED = 99


def questions_for(
    squad: Path, validation: bool, n: int | None
) -> tuple[dict[str, str], list[SquadQuestion]]:
    """The articles, and the tuning (or validation) questions, never the held-out ones."""
    from tests.bench.__main__ import EVAL_SEED, TUNING_SEED

    articles, everything = load_squad(squad)
    # As the benchmark draws them: the tuning sample first, the held-out one from the rest.
    tuning = sample(everything, 1000, TUNING_SEED)
    chosen = {q.id for q in tuning}
    held_out = {
        q.id for q in sample([q for q in everything if q.id not in chosen], 3000, EVAL_SEED)
    }
    if not validation:
        return articles, tuning[:n] if n else tuning
    rest = [q for q in everything if q.id not in chosen and q.id not in held_out]
    checks = sample(rest, 2000, VALIDATION_SEED)
    return articles, checks[:n] if n else checks


def _with(settings: Settings, changes: dict[str, str]) -> Settings:
    data = settings.model_dump()
    for path, value in changes.items():
        group, _, name = path.rpartition(".")
        target = data[group] if group else data
        target[name] = type(target[name])(value) if target[name] is not None else value
    if "rerank.passages" in changes:
        data["retrieval"]["top_k"] = max(
            data["retrieval"]["top_k"], int(changes["rerank.passages"])
        )
    return Settings.model_validate(data)


def _contains(text: str, q: SquadQuestion) -> bool:
    shown = normalise_answer(text)
    return any(normalise_answer(a) in shown for a in q.answers)


def measure(service: DocQA, questions: list[SquadQuestion]) -> dict[str, Any]:
    """Passages after reranking, first-sentence hit, answer hit and latency of ``service``."""
    from app.question.analysis import analyse_question
    from app.rerank import make_reranker
    from app.retrieval.hybrid import HybridRetriever
    from tests.bench.__main__ import _is_gold

    store = service.store
    sources = store.sources()
    search = HybridRetriever(
        store=store, encoder=service.encoder, settings=service.settings.retrieval
    )
    reranker = make_reranker(service.settings, service.pair_scorer, service.encoder, store)
    leads = answers = refused = top1 = top5 = 0
    latency = []
    for q in questions:
        question = analyse_question(q.question)
        hits = reranker.rerank(question, search.search(question, 10)).hits
        gold = next(
            (r for r, h in enumerate(hits) if _is_gold(sources[h.chunk.doc_id], h.chunk, q)), None
        )
        top1 += gold == 0
        top5 += gold is not None and gold < 5
        started = time.perf_counter()
        answer = service.ask(q.question, record=False)
        latency.append((time.perf_counter() - started) * 1000)
        leads += _contains(lead(answer.answer), q)
        answers += _contains(answer.answer[:300], q)
        refused += answer.refused
    n = len(questions)
    return {
        "hit1": top1 / n,
        "hit5": top5 / n,
        "first": leads / n,
        "answer": answers / n,
        "refused": refused,
        "p50": float(np.percentile(latency, 50)),
        "p95": float(np.percentile(latency, 95)),
    }


def refusal(articles: dict[str, str], questions: list[SquadQuestion], work: Path) -> None:
    """Refusal precision and recall at each threshold, as the benchmark measures them: half
    the articles indexed, questions about both halves; one pass, every threshold."""
    import random

    names = sorted(articles)
    random.Random(11).shuffle(names)  # the benchmark's split
    inside = set(names[:24])
    folder = write_corpus({n: articles[n] for n in inside}, work / "half")
    service = DocQA(Settings(index_dir=work / "half-index", answerer="extractive"))
    service.index([folder])
    scored = [
        (service.ask(q.question, record=False).relevance or 0.0, q.source in inside)
        for q in questions
    ]
    unanswerable = sum(not inside_ for _, inside_ in scored)
    print(f"{len(scored)} questions, {unanswerable} about articles not in the index")
    print("  threshold  precision  recall  answerable refused")
    for threshold in np.arange(0.05, 0.65, 0.05):
        refused = [inside_ for evidence, inside_ in scored if evidence < threshold]
        right = sum(not inside_ for inside_ in refused)
        print(
            f"  {threshold:9.2f}  {right / max(len(refused), 1):9.3f}  "
            f"{right / max(unanswerable, 1):6.3f}  {len(refused) - right:6d}"
        )


def main() -> int:
    """Index SQuAD once, then answer the questions at every grid point."""
    from tests.bench.__main__ import SQUAD

    parser = argparse.ArgumentParser(prog="python -m tests.bench.tune")
    parser.add_argument("--grid", action="append", default=[], help="setting=v1,v2,...")
    parser.add_argument("--validation", action="store_true")
    parser.add_argument("--questions", type=int, default=None)
    parser.add_argument("--refusal", action="store_true", help="the refusal threshold alone")
    args = parser.parse_args()
    articles, questions = questions_for(SQUAD, args.validation, args.questions)
    if args.refusal:
        with tempfile.TemporaryDirectory() as tmp:
            refusal(articles, questions, Path(tmp))
        return 0
    axes = [(g.split("=", 1)[0], g.split("=", 1)[1].split(",")) for g in args.grid]
    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_corpus(articles, Path(tmp) / "squad")
        base = DocQA(Settings(index_dir=Path(tmp) / "index", answerer="extractive"))
        base.index([corpus])
        base.warm()
        kind = "validation" if args.validation else "tuning"
        print(f"{len(questions)} {kind} questions")
        print(f"  {'settings':48} hit@1 hit@5 first  answer refused  p50 / p95 ms")
        for values in itertools.product(*(v for _, v in axes)) if axes else [()]:
            changes = {name: value for (name, _), value in zip(axes, values, strict=True)}
            service = DocQA(
                _with(base.settings, changes),
                embeddings=base.embeddings,
                pair_scorer=base.pair_scorer,
            )
            row = measure(service, questions)
            label = " ".join(f"{k}={v}" for k, v in changes.items()) or "defaults"
            print(
                f"  {label:48} {row['hit1']:.3f} {row['hit5']:.3f} {row['first']:.3f}  "
                f"{row['answer']:.3f}  {row['refused']:6d}  "
                f"{row['p50']:5.1f} / {row['p95']:5.1f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
