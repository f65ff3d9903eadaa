"""What the OpenAI-compatible endpoint costs over docqa's own API
(`make bench BENCH_ARGS=--only-doors`).

The seed questions are asked in process (FastAPI's TestClient, one server, warm models),
alternating ``POST /api/ask`` and ``POST /v1/chat/completions`` for the same question so
both see the same machine; then the time to the first piece of the answer through
``/api/ask/stream`` and the streamed ``/v1/chat/completions``. Printed: p50 of each and
of the paired difference (target: at most 5 ms at p50), and first-piece p50 of both.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np

from app.service import DocQA
from app.settings import Settings
from tests.bench.intents import _SEEDS, _questions

__all__ = ["door_overhead"]


def _first_piece(client: object, path: str, body: dict[str, object], openai: bool) -> float:
    """Milliseconds until the first line carrying answer text (a refusal: the last event)."""
    started = time.perf_counter()
    with client.stream("POST", path, json=body) as response:  # type: ignore[attr-defined]
        for line in response.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            data = json.loads(line[6:])
            if openai:
                choice = (data.get("choices") or [{}])[0]
                if choice.get("delta", {}).get("content") or choice.get("finish_reason"):
                    return (time.perf_counter() - started) * 1000
            elif data.get("text") or "answer" in data:
                return (time.perf_counter() - started) * 1000
    raise RuntimeError(f"no answer piece from {path}")


def door_overhead(rounds: int = 5) -> None:
    """Print the OpenAI endpoint's latency beside /api/ask's, paired per question."""
    from fastapi.testclient import TestClient

    from app.server import create_app

    items = _questions()
    if not items:
        print("\nOpenAI endpoint overhead: skipped (../shared/eval is absent)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(index_dir=Path(tmp) / "index")
        service = DocQA(settings)
        service.index([_SEEDS])
        api: list[float] = []
        v1: list[float] = []
        diff: list[float] = []
        api_first: list[float] = []
        v1_first: list[float] = []
        with TestClient(create_app(settings, service, ui=False)) as client:
            for round_ in range(rounds + 1):
                for item in items:
                    history = item.get("history") or []
                    ask = {"question": item["question"], "history": history,
                           "as_of": item.get("as_of")}  # fmt: skip
                    said = [*history, {"role": "user", "content": item["question"]}]
                    chat = {"model": "docqa", "as_of": item.get("as_of"), "messages": said}
                    started = time.perf_counter()
                    client.post("/api/ask", json=ask).raise_for_status()
                    a = (time.perf_counter() - started) * 1000
                    started = time.perf_counter()
                    client.post("/v1/chat/completions", json=chat).raise_for_status()
                    b = (time.perf_counter() - started) * 1000
                    first_a = _first_piece(client, "/api/ask/stream", ask, openai=False)
                    first_b = _first_piece(client, "/v1/chat/completions",
                                           {**chat, "stream": True}, openai=True)  # fmt: skip
                    if round_:  # the first round warms every path
                        for kept, value in ((api, a), (v1, b), (diff, b - a),
                                            (api_first, first_a), (v1_first, first_b)):  # fmt: skip
                            kept.append(value)
        service.close()
    p50 = lambda xs: float(np.percentile(xs, 50))  # noqa: E731
    print(f"\nOpenAI-compatible endpoint vs /api/ask ({len(items)} questions x {rounds}, "
          "in process, warm):")  # fmt: skip
    print(
        f"  /api/ask p50 {p50(api):.1f} ms, /v1/chat/completions p50 {p50(v1):.1f} ms, "
        f"paired difference p50 {p50(diff):+.2f} ms (target <= 5)"
    )
    print(
        f"  first piece: /api/ask/stream p50 {p50(api_first):.1f} ms, "
        f"/v1 stream p50 {p50(v1_first):.1f} ms"
    )
    print(json.dumps({"api_p50": p50(api), "v1_p50": p50(v1), "diff_p50": p50(diff)}))


if __name__ == "__main__":
    door_overhead()
