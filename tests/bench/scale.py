"""Retrieval at scale: exact FAISS, the local store's approximate FAISS indexes (HNSW,
IVF) and pgvector's HNSW, on synthetic corpora of 100k and 1M chunks.

The vectors are derived from real ones: SQuAD dev sentences embedded by docqa's
embedder, each synthetic chunk a random mixture of two of them plus a little noise, so
the corpus has the clustered shape of real text (uniform random vectors would make every
approximate index look worse than it is on documents). The questions are real SQuAD
questions, embedded the same way. Recall@10 is measured against exact search over the
same vectors. Latency is one question at a time, as a server asks, for the 50 candidates
retrieval takes; the PostgreSQL figures are the product's own query (generation and date
filters included) on docqa's own tables.

Rows marked "1 group in 10" search as a reader who may read a tenth of the documents
(each synthetic document belongs to one of ten groups, and to one of a thousand), "1 group
in 1000" as one who may read a thousandth: the filter is applied inside the search, and
recall is measured against exact search among the readable chunks.

The last line times what an organisation does all day on the largest corpus: one
changed document re-indexed (read, embedded, published as a new generation) into the
PostgreSQL index.

    python -m tests.bench.scale [--sizes 100000,1000000] [--questions 1000]
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from app.embeddings import embed_matrix, embedder_id, make_embeddings
from app.settings import DenseSettings, EmbeddingSettings, Settings, StoreSettings
from tests.bench.postgres import EmbeddedPostgres

__all__ = ["main"]

SQUAD = Path(__file__).resolve().parents[2].parent / "shared" / "bench" / "squad" / "dev-v1.1.json"
CANDIDATES, RECALL_AT = 50, 10
CHUNKS_PER_DOCUMENT = 5
READERS = {"1 group in 10": "g3", "1 group in 1000": "n7"}


def groups_of(chunk: int) -> list[str]:
    """The groups of the synthetic document holding ``chunk``: one of ten, one of 1,000."""
    document = chunk // CHUNKS_PER_DOCUMENT
    return [f"g{document % 10}", f"n{document % 1000}"]


def readable_truth(
    corpus: np.ndarray, queries: np.ndarray, reader: str
) -> tuple[np.ndarray, np.ndarray]:
    """The chunk ids ``reader`` may read, and the exact top ids among them per query."""
    allowed = np.array([i for i in range(len(corpus)) if reader in groups_of(i)], dtype=np.int64)
    scores = queries @ corpus[allowed].T
    top = np.argsort(-scores, axis=1)[:, :RECALL_AT]
    return allowed, allowed[top]


def _texts(limit_sentences: int, limit_questions: int) -> tuple[list[str], list[str]]:
    data = json.loads(SQUAD.read_text(encoding="utf-8"))["data"]
    sentences, questions = [], []
    for article in data:
        for paragraph in article["paragraphs"]:
            sentences += [
                s for s in re.split(r"(?<=[.!?])\s+", paragraph["context"]) if len(s) > 30
            ]
            questions += [qa["question"] for qa in paragraph["qas"]]
    return sentences[:limit_sentences], questions[:limit_questions]


def vectors(n: int, base: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``n`` unit vectors, each a mixture of two real ones plus noise, built in blocks."""
    d = base.shape[1]
    out = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        a, b = rng.integers(0, len(base), m), rng.integers(0, len(base), m)
        w = rng.uniform(0.0, 0.6, (m, 1)).astype(np.float32)
        block = base[a] + w * base[b] + rng.normal(0, 0.02, (m, d)).astype(np.float32)
        out[start : start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def _percentiles(times: list[float]) -> tuple[float, float]:
    ms = np.asarray(times) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def _recall(found: list[list[int]], truth: np.ndarray) -> float:
    hits = [
        len(set(f[:RECALL_AT]) & set(t[:RECALL_AT].tolist()))
        for f, t in zip(found, truth, strict=True)
    ]
    return float(np.mean(hits)) / RECALL_AT


def _row(name: str, build: float, megabytes: float, times: list[float], recall: float) -> None:
    p50, p95 = _percentiles(times)
    print(
        f"  {name:23} {build:8.1f} {megabytes:10.0f} {p50:8.2f} {p95:8.2f} {recall:10.3f}",
        flush=True,
    )


def faiss_rows(corpus: np.ndarray, queries: np.ndarray, truth: np.ndarray) -> None:
    """Exact, HNSW and IVF, each built by the local store's own code."""
    from app.store.local.dense import build_dense, search_params

    default = DenseSettings()
    sweeps = {
        "flat": [default],
        "hnsw": [default.model_copy(update={"kind": "hnsw", "hnsw_ef_search": ef})
                 for ef in sorted({64, default.hnsw_ef_search, 256})],
        "ivf": [default.model_copy(update={"kind": "ivf", "ivf_probes": probes})
                for probes in sorted({16, default.ivf_probes, 64})],
    }  # fmt: skip
    for kind, variants in sweeps.items():
        spec = type("Spec", (), {"dense": variants[0], "dimension": corpus.shape[1]})()
        started = time.perf_counter()
        index = build_dense(corpus, spec)
        build = time.perf_counter() - started
        megabytes = len(faiss.serialize_index(index)) / 1e6
        for dense in variants:
            params = search_params(index, dense, CANDIDATES, None)
            times, found = [], []
            for query in queries:
                started = time.perf_counter()
                _, ids = index.search(query.reshape(1, -1), CANDIDATES, params=params)
                times.append(time.perf_counter() - started)
                found.append(ids[0].tolist())
            label = {
                "flat": "FAISS flat (exact)",
                "hnsw": f"FAISS HNSW ef {dense.hnsw_ef_search}",
                "ivf": f"FAISS IVF probes {dense.ivf_probes}",
            }[kind]
            mark = "*" if dense in (default, default.model_copy(update={"kind": kind})) else " "
            _row(label + mark, build, megabytes, times, _recall(found, truth))
        if kind == "flat":
            _filtered_flat_row(index, corpus, queries, build, megabytes)
        del index


def _filtered_flat_row(
    index: faiss.Index, corpus: np.ndarray, queries: np.ndarray, build: float, megabytes: float
) -> None:
    """Exact search as a reader of one group in ten: the local store's selector."""
    from app.store.local.dense import search_params

    for label, reader in READERS.items():
        allowed, truth = readable_truth(corpus, queries, reader)
        times, found = [], []
        for query in queries:
            started = time.perf_counter()
            selector = faiss.IDSelectorBatch(allowed)  # built per question, as the store does
            params = search_params(index, DenseSettings(), CANDIDATES, selector)
            _, ids = index.search(query.reshape(1, -1), CANDIDATES, params=params)
            times.append(time.perf_counter() - started)
            found.append(ids[0].tolist())
        _row(f"  {label}", build, megabytes, times, _recall(found, truth))


def _load_postgres(url: str, corpus: np.ndarray, rng: np.random.Generator) -> float:
    """docqa's tables filled with the synthetic corpus as one live generation; returns the
    seconds the HNSW index took to build."""
    from pgvector.psycopg import register_vector

    from app.store.postgres.schema import connect

    settings = Settings(_env_file=None)
    n, d = corpus.shape
    documents = (n + CHUNKS_PER_DOCUMENT - 1) // CHUNKS_PER_DOCUMENT
    vocabulary = [f"term{i}" for i in range(50_000)]
    zipf = np.minimum(rng.zipf(1.3, (n, 8)), len(vocabulary)) - 1
    c = connect(url)
    register_vector(c)
    with c.cursor() as cursor:
        with cursor.copy(
            "COPY docqa_documents (id, source, sha256, key, title, date, text, added, groups) "
            "FROM STDIN"
        ) as copy:
            for i in range(documents):
                sha = f"{i:064x}"
                copy.write_row((i + 1, f"bench/doc-{i:07d}.txt", sha, sha[:16], None,
                                "2026-01-01", "x" * 600, 1,
                                groups_of(i * CHUNKS_PER_DOCUMENT)))  # fmt: skip
        with cursor.copy(
            'COPY docqa_chunks (id, doc_id, seq, start, "end", sentences, date, length, '
            "embedding, added, groups) FROM STDIN WITH (FORMAT BINARY)"
        ) as copy:
            copy.set_types(
                ["int8", "int8", "int4", "int4", "int4", "jsonb", "text", "int4", "vector", "int8",
                 "text[]"]
            )  # fmt: skip
            for i in range(n):
                copy.write_row(
                    (i + 1, i // CHUNKS_PER_DOCUMENT + 1, i % CHUNKS_PER_DOCUMENT, 0, 100,
                     json.dumps([[0, 100]]), "2026-01-01", 8, corpus[i], 1, groups_of(i))
                )  # fmt: skip
        with cursor.copy("COPY docqa_postings (term, chunk_id, tf) FROM STDIN") as copy:
            for i in range(n):
                for t in set(zipf[i].tolist()):
                    copy.write_row((vocabulary[t], i + 1, 1))
    c.execute(
        "INSERT INTO docqa_terms (term, df, added) "
        "SELECT term, count(*), 1 FROM docqa_postings GROUP BY term"
    )
    for table in ("docqa_documents", "docqa_chunks"):
        c.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
    c.execute(
        "INSERT INTO docqa_generations (id, embedder, dimension, chunking, documents, chunks, "
        "total_length, min_df, live) VALUES (1, %s, %s, %s, %s, %s, %s, 1, true)",
        (embedder_id(settings.embedding), d, json.dumps(settings.chunking.model_dump()),
         documents, n, 8 * n),
    )  # fmt: skip
    c.execute("VACUUM ANALYZE")
    started = time.perf_counter()
    c.execute("SET maintenance_work_mem = '6GB'")
    c.execute(
        f"CREATE INDEX docqa_chunks_hnsw_{d} ON docqa_chunks "
        f"USING hnsw ((embedding::vector({d})) vector_cosine_ops) "
        f"WHERE vector_dims(embedding) = {d}"
    )
    build = time.perf_counter() - started
    c.close()
    return build


def postgres_row(
    server: EmbeddedPostgres, corpus: np.ndarray, queries: np.ndarray, truth: np.ndarray,
    rng: np.random.Generator,
) -> str:  # fmt: skip
    """pgvector HNSW through the product's own store; returns the database's URL."""
    from app.store.postgres import PostgresBackend
    from app.store.postgres.schema import connect

    url = server.new_database()
    started = time.perf_counter()
    hnsw = _load_postgres(url, corpus, rng)
    load = time.perf_counter() - started - hnsw
    c = connect(url)
    (megabytes,) = c.execute(
        f"SELECT pg_relation_size('docqa_chunks_hnsw_{corpus.shape[1]}') / 1e6"
    ).fetchone()
    c.close()
    default = StoreSettings().postgres.ef_search
    for ef_search in sorted({100, 200, default}):
        backend = PostgresBackend(url, ef_search=ef_search)
        store = backend.open()
        store.dense_search(queries[0], CANDIDATES)  # a first connection
        times, found = [], []
        for query in queries:
            started = time.perf_counter()
            hits = store.dense_search(query, CANDIDATES)
            times.append(time.perf_counter() - started)
            found.append([i - 1 for i, _ in hits])  # row ids start at 1
        backend.close()
        mark = "*" if ef_search == default else " "
        _row(f"pgvector HNSW ef {ef_search}{mark}", hnsw, float(megabytes), times,
             _recall(found, truth))  # fmt: skip
        if ef_search == default:
            _filtered_postgres_row(backend, corpus, queries, hnsw, float(megabytes))
    print(f"  {'':23} (rows loaded with COPY in {load:.1f} s before the index was built)")
    return url


def _filtered_postgres_row(
    backend: Any, corpus: np.ndarray, queries: np.ndarray, build: float, megabytes: float
) -> None:
    """pgvector as a reader of one group in ten, and of one in 1,000: the filter inside
    the query, searched as the store chooses (exactly among few readable chunks, through
    the groups' index), then through the HNSW scan alone, to show why it chooses."""
    from app.store.base import Filter
    from app.store.postgres import PostgresBackend

    scan_only = PostgresBackend(backend.url, ef_search=backend.ef_search, exact_under=0)
    for without, chosen in (("", backend), (", HNSW scan only", scan_only)):
        store = chosen.open()
        for label, reader in READERS.items():
            _, truth = readable_truth(corpus, queries, reader)
            where = Filter(groups=frozenset({reader}))
            store.dense_search(queries[0], CANDIDATES, where)  # the first question of a group
            times, found = [], []
            for query in queries:
                started = time.perf_counter()
                hits = store.dense_search(query, CANDIDATES, where)
                times.append(time.perf_counter() - started)
                found.append([i - 1 for i, _ in hits])
            _row(f"  {label}{without}", build, megabytes, times, _recall(found, truth))
        chosen.close()


def one_change(url: str, n: int, work: Path) -> None:
    """One changed document re-indexed into the ``n``-chunk PostgreSQL index, timed."""
    from pydantic import SecretStr

    from app.service import DocQA
    from app.settings import StoreSettings

    folder = work / "change" / "bench"
    folder.mkdir(parents=True)
    store = StoreSettings(url=SecretStr(url))
    settings = Settings(index_dir=work / "unused", store=store, _env_file=None)
    service = DocQA(settings)
    service.embeddings.warm()  # type: ignore[union-attr]
    times = []
    for round_ in range(5):
        (folder / "doc-0000007.txt").write_text(
            f"date 2026-03-0{round_ + 1} The harbour council met again (revision {round_}). "
            "Engineers said the bridge repairs would take another six weeks.\n\n"
            "The mayor promised a public meeting on the new ferry timetable.",
            "utf-8",
        )
        started = time.perf_counter()
        report = service.index([folder], mode="merge")
        times.append(time.perf_counter() - started)
        if report.new_documents != 1 or not report.version:
            raise SystemExit(f"the change was not published: {report}")
    service.close()
    print(
        f"\nPostgreSQL, one changed document re-indexed into {n:,} chunks (read, embedded, "
        f"published as a new generation): median {np.median(times):.2f} s, "
        f"max {max(times):.2f} s over {len(times)} changes"
    )


def main() -> int:
    """Print the table for each size."""
    parser = argparse.ArgumentParser(prog="python -m tests.bench.scale")
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    if not SQUAD.is_file():
        print(f"{SQUAD} is absent: the scale benchmark derives its vectors from SQuAD.")
        return 2
    faiss.omp_set_num_threads(2)
    rng = np.random.default_rng(2026)
    embeddings = make_embeddings(EmbeddingSettings())
    sentences, questions = _texts(12_000, args.questions)
    base = embed_matrix(embeddings, sentences)
    queries = np.ascontiguousarray(embed_matrix(embeddings, questions), dtype=np.float32)
    print(
        f"Retrieval at scale: {len(queries)} SQuAD questions, {CANDIDATES} candidates each, "
        f"one at a time; chunks mixed from {len(base):,} embedded SQuAD sentences; "
        "* marks the default search breadth"
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        server = None if args.skip_postgres else EmbeddedPostgres(work / "postgres")
        try:
            for n in (int(s) for s in args.sizes.split(",")):
                corpus = vectors(n, base, rng)
                exact = faiss.IndexFlatIP(corpus.shape[1])
                exact.add(corpus)
                _, truth = exact.search(queries, RECALL_AT)
                del exact
                print(f"\n{n:,} chunks{'':14} build s  memory MB   p50 ms   p95 ms  recall@10")
                faiss_rows(corpus, queries, truth)
                if server is not None:
                    url = postgres_row(server, corpus, queries, truth, rng)
                    if n == max(int(s) for s in args.sizes.split(",")):
                        one_change(url, n, work)
                del corpus
        finally:
            if server is not None:
                server.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
