"""How long a person waits: `docqa ask` as a whole process, and `docqa serve` until
``/api/health`` answers and until the chat at ``/`` does, on the seed index
(`make bench BENCH_ARGS=--only-startup`).

Each figure is the median of whole-process runs, wall time from the start of the process
to its exit (for the server: to the first healthy answer). ``--baseline DIR`` runs a
checkout of another version (its ``app`` package, this virtual environment) in turn with
this one, so both meet the same machine. The breakdown of one `docqa ask` is timed inside
a fresh process: imports, index, embedder, reranker and the question.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.bench.load import free_port

__all__ = ["ask_seconds", "main", "serve_seconds"]

REPO = Path(__file__).resolve().parents[2]
QUESTION = "Who is Khalid Sultan?"
_BREAKDOWN = """
import time
started = time.perf_counter()
laps = {}
def lap(name):
    global started
    now = time.perf_counter(); laps[name] = now - started; started = now
import app.cli
from app.settings import Settings
from app.service import DocQA
lap("imports")
service = DocQA(Settings())
service.store
lap("index")
service.embeddings.embed_query("warm")
lap("embedder")
if service.pair_scorer is not None:
    service.pair_scorer.warm()
lap("reranker")
service.ask(%r, record=False)
lap("question")
print(" ".join(f"{k} {v:.3f}" for k, v in laps.items()))
"""


def _env(code: Path, index: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(code), "DOCQA_INDEX_DIR": str(index)}


def ask_seconds(code: Path, index: Path, runs: int) -> list[float]:
    """Wall seconds of `docqa ask QUESTION` as a new process, ``runs`` times."""
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "app.cli", "ask", QUESTION],
            env=_env(code, index), cwd=code, check=True, capture_output=True,
        )  # fmt: skip
        out.append(time.perf_counter() - started)
    return out


def serve_seconds(code: Path, index: Path, runs: int) -> list[tuple[float, float]]:
    """Wall seconds from starting `docqa serve` to the first 200 from /api/health, and to
    the first 200 from the chat at / (the chat may open after the API answers)."""
    out = []
    for _ in range(runs):
        port = free_port()
        # Both names: a baseline of an earlier release reads DOCQA_PORT.
        env = {**_env(code, index), "DOCQA_SERVER__PORT": str(port), "DOCQA_PORT": str(port)}
        started = time.perf_counter()
        server = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve"], env=env, cwd=code,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            healthy = _first_success(server, f"http://127.0.0.1:{port}/api/health", started)
            chat = _first_success(server, f"http://127.0.0.1:{port}/", started)
            out.append((healthy, chat))
        finally:
            server.terminate()
            server.wait(30)
    return out


def _first_success(server: subprocess.Popen[bytes], url: str, started: float) -> float:
    """Seconds since ``started`` when ``url`` first answers 200."""
    while True:
        try:
            if httpx.get(url, timeout=1).is_success:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.perf_counter() - started > 120:
            raise SystemExit(f"docqa serve did not answer {url}")
        time.sleep(0.02)


def breakdown(code: Path, index: Path) -> str:
    """Where one `docqa ask` spends its time, in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", _BREAKDOWN % QUESTION],
        env=_env(code, index), cwd=code, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout.strip().splitlines()[-1]


def _row(name: str, seconds: list[float]) -> str:
    return (
        f"  {name:<10} median {statistics.median(seconds):.2f} s  "
        f"(min {min(seconds):.2f}, max {max(seconds):.2f}, {len(seconds)} runs)"
    )


def startup(runs: int = 10, baseline: Path | None = None) -> None:
    """Print the figures, this version beside ``baseline`` when given, runs interleaved."""
    codes = {"this": REPO} | ({"baseline": baseline} if baseline else {})
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        subprocess.run(
            [sys.executable, "-m", "app.cli", "index", str(REPO / "seeds")],
            env=_env(REPO, index), check=True, capture_output=True,
        )  # fmt: skip
        asks: dict[str, list[float]] = {name: [] for name in codes}
        serves: dict[str, list[tuple[float, float]]] = {name: [] for name in codes}
        for code in codes.values():  # one untimed run each: the compiled-model caches
            ask_seconds(code, index, 1)
        for _ in range(runs):
            for name, code in codes.items():
                asks[name] += ask_seconds(code, index, 1)
        for _ in range(max(3, runs // 2)):
            for name, code in codes.items():
                serves[name] += serve_seconds(code, index, 1)
        print(f'\n`docqa ask "{QUESTION}"` on the seed index, whole process (target 1.2 s):')
        for name in codes:
            print(_row(name, asks[name]))
        print("`docqa serve` to a healthy /api/health (target 2.5 s):")
        for name in codes:
            print(_row(name, [healthy for healthy, _ in serves[name]]))
        print("`docqa serve` to the chat at / (it opens after the API answers):")
        for name in codes:
            print(_row(name, [chat for _, chat in serves[name]]))
        print("One `docqa ask` inside (seconds):")
        for name, code in codes.items():
            print(f"  {name:<10} {breakdown(code, index)}")


def main() -> None:
    """``python -m tests.bench.startup [--runs N] [--baseline CHECKOUT]``."""
    parser = argparse.ArgumentParser(prog="python -m tests.bench.startup")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--baseline", type=Path, default=None)
    args = parser.parse_args()
    startup(args.runs, args.baseline)


if __name__ == "__main__":
    main()
