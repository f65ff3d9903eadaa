"""Warm answer latency per intent on the seed index (`make bench BENCH_ARGS=--only-intents`).

The analysts' and the seed development questions (``../shared/eval``), each asked
``rounds`` times after a first untimed pass, grouped by the intent question analysis
reads; each row prints p50, p95 and the slowest, whole ``ask`` calls in the process.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from app.service import DocQA
from app.settings import Settings

__all__ = ["intent_latency"]

_EVAL = Path(__file__).resolve().parents[2].parent / "shared" / "eval"
_SEEDS = Path(__file__).resolve().parents[2] / "seeds"
FILES = ("analyst_dev.jsonl", "seed_qa_dev.jsonl")


def _questions() -> list[dict[str, Any]]:
    found = []
    for name in FILES:
        path = _EVAL / name
        if path.is_file():
            found += [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
    return found


def intent_latency(rounds: int = 5) -> None:
    """Print warm latency per intent (ms), the target being p95 at most 150 ms each."""
    items = _questions()
    if not items:
        print("\nLatency per intent: skipped (../shared/eval is absent)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        service = DocQA(Settings(index_dir=Path(tmp) / "index"))
        service.index([_SEEDS])
        times: dict[str, list[float]] = defaultdict(list)
        asked: list[tuple[str, list[dict[str, str]] | None, str | None]] = [
            (item["question"], item.get("history"), item.get("as_of")) for item in items
        ]
        for question, history, as_of in asked:  # the first pass loads and warms every model
            service.ask(question, history, as_of=as_of, record=False)
        for _ in range(rounds):
            for question, history, as_of in asked:
                intent = service.query(question, history, as_of=as_of).intent.value
                started = time.perf_counter()
                service.ask(question, history, as_of=as_of, record=False)
                times[intent].append((time.perf_counter() - started) * 1000)
        service.close()
    print(f"\nWarm latency per intent, ms ({len(items)} questions x {rounds}; target p95 <= 150)")
    print(f"  {'intent':<11}{'n':>5}{'p50':>8}{'p95':>8}{'max':>8}")
    every = [t for ms in times.values() for t in ms]
    for intent, ms in [*sorted(times.items()), ("all", every)]:
        p50, p95 = np.percentile(ms, [50, 95])
        print(f"  {intent:<11}{len(ms):>5}{p50:>8.0f}{p95:>8.0f}{max(ms):>8.0f}")


if __name__ == "__main__":
    intent_latency()
