"""The PostgreSQL store: pgvector for the dense side, BM25 computed in SQL for the lexical.

Every row belongs to a version; one row of ``docqa_versions`` is live. A reader is bound
to the version it opened, so a question never sees half of a re-index; publishing a new
version and making it live is one transaction. Lexical scores are bm25s's ("lucene"
BM25, k1 1.5, b 0.75) over the same tokens, so both backends rank alike.

The schema is created and migrated by docqa (``docqa_schema`` records its version).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import bm25s
import numpy as np

from app.errors import IndexMismatchError, IndexNotFoundError, IndexStoreError
from app.store.base import DateWindow, DocumentMeta
from app.store.manifest import KEY_LENGTH, Manifest, document_key
from app.text.analysis import STOPWORDS, stemmer
from app.types import Chunk, SourceDocument

__all__ = ["BUILD_LOCK", "SCHEMA_VERSION", "PostgresStore", "hidden", "migrate", "publish"]

SCHEMA_VERSION = 1
K1, B = 1.5, 0.75  # bm25s's defaults, as the local store uses them
# Advisory lock keys ("docqa" in ASCII, and the next ones): one publish at a time, one
# build at a time, one migration at a time.
PUBLISH_LOCK = 0x646F637161
BUILD_LOCK = PUBLISH_LOCK + 2

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE EXTENSION IF NOT EXISTS vector;
    CREATE TABLE docqa_versions (
        id bigserial PRIMARY KEY,
        created timestamptz NOT NULL DEFAULT now(),
        embedder text NOT NULL,
        dimension int NOT NULL,
        chunking jsonb NOT NULL,
        documents int NOT NULL,
        chunks int NOT NULL,
        avg_length double precision NOT NULL,
        max_idf double precision NOT NULL,
        live boolean NOT NULL DEFAULT false
    );
    CREATE UNIQUE INDEX docqa_one_live ON docqa_versions (live) WHERE live;
    CREATE TABLE docqa_documents (
        version bigint NOT NULL REFERENCES docqa_versions ON DELETE CASCADE,
        id int NOT NULL,
        source text NOT NULL,
        title text,
        date text,
        sha256 text NOT NULL,
        key text NOT NULL,
        text text NOT NULL,
        PRIMARY KEY (version, id)
    );
    CREATE INDEX docqa_documents_key ON docqa_documents (version, key);
    CREATE TABLE docqa_chunks (
        version bigint NOT NULL REFERENCES docqa_versions ON DELETE CASCADE,
        id int NOT NULL,
        doc_id int NOT NULL,
        start int NOT NULL,
        "end" int NOT NULL,
        sentences jsonb NOT NULL,
        date text,
        length int NOT NULL,
        embedding vector NOT NULL,
        PRIMARY KEY (version, id)
    );
    CREATE TABLE docqa_terms (
        version bigint NOT NULL REFERENCES docqa_versions ON DELETE CASCADE,
        term text NOT NULL,
        df int NOT NULL,
        PRIMARY KEY (version, term)
    );
    CREATE TABLE docqa_postings (
        version bigint NOT NULL REFERENCES docqa_versions ON DELETE CASCADE,
        term text NOT NULL,
        chunk_id int NOT NULL,
        tf int NOT NULL,
        PRIMARY KEY (version, term, chunk_id)
    );
    """,
}


def hidden(url: str) -> str:
    """``url`` with any password replaced, for messages and logs."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    try:
        parts = conninfo_to_dict(url)
    except Exception:
        return url.split("://", 1)[0] + "://…"
    if "password" in parts:
        parts["password"] = "***"
    return make_conninfo(**{k: str(v) for k, v in parts.items() if v is not None})


def connect(url: str) -> Any:
    """A connection to a database with docqa's schema, pgvector's types registered;
    ``IndexStoreError`` naming the URL (its password hidden) when it cannot be had."""
    import psycopg
    from pgvector.psycopg import register_vector

    try:
        connection = psycopg.connect(url, connect_timeout=10, autocommit=True)
        migrate(connection)
        register_vector(connection)
    except psycopg.Error as exc:
        raise IndexStoreError(
            f"Cannot reach the database at {hidden(url)} "
            f"({str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}). "
            "Check DOCQA_STORE__URL and that PostgreSQL (with the vector extension) is running."
        ) from None
    return connection


def migrate(connection: Any) -> None:
    """Create or upgrade docqa's tables to ``SCHEMA_VERSION``, under an advisory lock."""
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (PUBLISH_LOCK + 1,))
        connection.execute("CREATE TABLE IF NOT EXISTS docqa_schema (version int NOT NULL)")
        row = connection.execute("SELECT max(version) FROM docqa_schema").fetchone()
        current = row[0] or 0
        if current > SCHEMA_VERSION:
            raise IndexMismatchError(
                f"The database has docqa schema {current}; this docqa knows up to "
                f"{SCHEMA_VERSION}. Upgrade docqa."
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            connection.execute(_MIGRATIONS[version])
            connection.execute("INSERT INTO docqa_schema VALUES (%s)", (version,))


def live_version(connection: Any) -> int | None:
    """The id of the live version, or None before the first publish."""
    row = connection.execute("SELECT id FROM docqa_versions WHERE live").fetchone()
    return None if row is None else int(row[0])


def _postings(chunks: Sequence[Chunk]) -> tuple[list[int], dict[str, int], list[Counter[str]]]:
    """Each chunk's token count and term frequencies, and each term's document frequency,
    from the tokens bm25s makes of it (the local store's tokens)."""
    tokenized = bm25s.tokenize(
        [c.text for c in chunks],
        stopwords=STOPWORDS,
        stemmer=stemmer(),
        show_progress=False,
        allow_empty=True,
        return_ids=False,
    )
    lengths, counts = [], []
    df: Counter[str] = Counter()
    for tokens in tokenized:
        terms = [t for t in tokens if t]
        lengths.append(len(terms))
        tf = Counter(terms)
        counts.append(tf)
        df.update(tf.keys())
    return lengths, dict(df), counts


def publish(
    url: str,
    manifest: Manifest,
    documents: Sequence[SourceDocument],
    chunks: Sequence[Chunk],
    vectors: np.ndarray,
) -> str:
    """Write a complete version and make it live, in one transaction; returns its name."""
    lengths, df, counts = _postings(chunks)
    n = max(len(chunks), 1)
    avg = float(np.mean(lengths)) if lengths else 1.0
    max_idf = max((np.log(1 + (n - d + 0.5) / (d + 0.5)) for d in df.values()), default=1.0)
    connection = connect(url)
    try:
        with connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (PUBLISH_LOCK,))
            (version,) = connection.execute(
                "INSERT INTO docqa_versions (embedder, dimension, chunking, documents, chunks, "
                "avg_length, max_idf) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (
                    manifest.embedder, manifest.dimension, json.dumps(manifest.chunking),
                    len(documents), len(chunks), avg, float(max_idf),
                ),
            ).fetchone()  # fmt: skip
            with connection.cursor() as cursor:
                with cursor.copy(
                    "COPY docqa_documents (version, id, source, title, date, sha256, key, text) "
                    "FROM STDIN"
                ) as copy:
                    for i, d in enumerate(documents):
                        copy.write_row(
                            (version, i, d.source, d.title, d.date, d.sha256,
                             document_key(d.sha256), d.text)
                        )  # fmt: skip
                with cursor.copy(
                    'COPY docqa_chunks (version, id, doc_id, start, "end", sentences, date, '
                    "length, embedding) FROM STDIN"
                ) as copy:
                    for c, length, vector in zip(chunks, lengths, vectors, strict=True):
                        copy.write_row(
                            (version, c.id, c.doc_id, c.start, c.end, json.dumps(c.sentences),
                             documents[c.doc_id].date, length,
                             "[" + ",".join(f"{x:.8g}" for x in vector) + "]")
                        )  # fmt: skip
                with cursor.copy("COPY docqa_terms (version, term, df) FROM STDIN") as copy:
                    for term, count in df.items():
                        copy.write_row((version, term, count))
                with cursor.copy(
                    "COPY docqa_postings (version, term, chunk_id, tf) FROM STDIN"
                ) as copy:
                    for c, tf in zip(chunks, counts, strict=True):
                        for term, k in tf.items():
                            copy.write_row((version, term, c.id, k))
            dimension = int(manifest.dimension)
            connection.execute(
                f"CREATE INDEX IF NOT EXISTS docqa_chunks_hnsw_{dimension} ON docqa_chunks "
                f"USING hnsw ((embedding::vector({dimension})) vector_cosine_ops) "
                f"WHERE vector_dims(embedding) = {dimension}"
            )
            previous = live_version(connection)
            connection.execute("UPDATE docqa_versions SET live = false WHERE live")
            connection.execute("UPDATE docqa_versions SET live = true WHERE id = %s", (version,))
            # The version before stays for questions still reading it; older ones go.
            connection.execute(
                "DELETE FROM docqa_versions WHERE id <> %s AND id IS DISTINCT FROM %s",
                (version, previous),
            )
    finally:
        connection.close()
    return f"pg-{version}"


class PostgresStore:
    """One live version in PostgreSQL, read through a small pool of connections."""

    def __init__(self, url: str, embedder: str | None = None) -> None:
        from psycopg_pool import ConnectionPool

        first = connect(url)  # a clear error before any pool is made
        try:
            version = live_version(first)
            if version is None:
                raise IndexNotFoundError(
                    f"No index in the database at {hidden(url)} yet: run `docqa index PATH`."
                )
            row = first.execute(
                "SELECT embedder, dimension, documents, chunks, avg_length, max_idf, created, "
                "chunking FROM docqa_versions WHERE id = %s",
                (version,),
            ).fetchone()
        finally:
            first.close()
        (self._embedder, self.dimension, self._documents, self._chunks, self._avg,
         self._max_idf, created, self.chunking) = row  # fmt: skip
        if embedder is not None and self._embedder != embedder:
            raise IndexMismatchError(
                f"The index in the database at {hidden(url)} was built with the embedder "
                f"'{self._embedder}', but the settings ask for '{embedder}'. Rebuild it with "
                "`docqa index --rebuild PATH`, or set DOCQA_EMBEDDING__RUNTIME to match the index."
            )
        self.url = url
        self._version = version
        self._created = created.isoformat()
        self._pool = ConnectionPool(
            url, min_size=1, max_size=8, open=True,
            configure=_configure, kwargs={"autocommit": True},
        )  # fmt: skip
        self._lock = threading.Lock()

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        import psycopg

        try:
            with self._pool.connection() as connection:
                yield connection
        except psycopg.OperationalError as exc:
            raise IndexStoreError(
                f"The database at {hidden(self.url)} cannot be reached ({type(exc).__name__}); "
                "the question can be asked again when it is back."
            ) from None

    def _rows(
        self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = ()
    ) -> list[tuple[Any, ...]]:
        with self._connection() as connection:
            return list(connection.execute(sql, parameters).fetchall())

    @property
    def version(self) -> str:
        """``pg-<id>`` of the version this store reads."""
        return f"pg-{self._version}"

    @property
    def size(self) -> int:
        """Number of chunks."""
        return int(self._chunks)

    @property
    def embedder(self) -> str:
        """The embedder the vectors were made with."""
        return str(self._embedder)

    def weights(self, terms: Iterable[str]) -> dict[str, float]:
        """IDF of each distinct term; a term the corpus never uses weighs as the rarest."""
        wanted = sorted(set(terms))
        n = max(self._chunks, 1)
        found = dict(self._rows(
            "SELECT term, df FROM docqa_terms WHERE version = %s AND term = ANY(%s)",
            (self._version, wanted),
        ))  # fmt: skip
        rarest = float(self._max_idf)
        return {
            t: float(np.log(1 + (n - found[t] + 0.5) / (found[t] + 0.5))) if t in found else rarest
            for t in wanted
        }

    def knows_any(self, terms: Iterable[str]) -> bool:
        """Whether the corpus uses any of ``terms``."""
        ((known,),) = self._rows(
            "SELECT EXISTS (SELECT 1 FROM docqa_terms WHERE version = %s AND term = ANY(%s))",
            (self._version, sorted(set(terms))),
        )
        return bool(known)

    def dense_search(
        self, vector: np.ndarray, k: int, window: DateWindow | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest chunks by cosine, through the HNSW index."""
        if k <= 0 or self._chunks == 0:
            return []
        d = int(self.dimension)
        since, until = window.bounds if window else (None, None)
        query = np.asarray(vector, dtype=np.float32)
        with self._connection() as connection, connection.transaction():
            ef_search = max(40, min(1000, 2 * k))  # an int: SET takes no parameters
            connection.execute(f"SET LOCAL hnsw.ef_search = {ef_search}")
            connection.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            rows = connection.execute(
                f"SELECT id, 1 - ((embedding::vector({d})) <=> %(q)s::vector({d})) AS score "
                f"FROM docqa_chunks WHERE version = %(v)s AND vector_dims(embedding) = {d} "
                "AND (%(since)s::text IS NULL OR (date IS NOT NULL AND date >= %(since)s "
                "AND date <= %(until)s)) "
                f"ORDER BY (embedding::vector({d})) <=> %(q)s::vector({d}) LIMIT %(k)s",
                {"q": query, "v": self._version, "since": since, "until": until, "k": k},
            ).fetchall()
        out = [(int(i), float(s)) for i, s in rows]
        out.sort(key=lambda r: -r[1])  # relaxed order: the index may return near-sorted rows
        return out

    def lexical_search(
        self,
        terms: Sequence[str],
        k: int,
        window: DateWindow | None = None,
        also: Sequence[int] = (),
    ) -> dict[int, float]:
        """BM25 of the ``k`` best chunks in ``window``, and of the ``also`` chunks: one
        query scores every matching chunk once and keeps both sets."""
        terms = list(terms)
        if not terms:
            return {}
        since, until = window.bounds if window else (None, None)
        rows = self._rows(
            f"""
            WITH q AS (SELECT unnest(%(terms)s::text[]) AS term),
            w AS (
                SELECT q.term, ln(1 + (%(n)s - t.df + 0.5) / (t.df + 0.5)) AS idf
                FROM q JOIN docqa_terms t ON t.version = %(v)s AND t.term = q.term
            ),
            scored AS (
                SELECT p.chunk_id, sum(w.idf * p.tf / (p.tf + {K1} * (1 - {B} + {B}
                       * c.length / %(avg)s))) AS score
                FROM w JOIN docqa_postings p ON p.version = %(v)s AND p.term = w.term
                JOIN docqa_chunks c ON c.version = %(v)s AND c.id = p.chunk_id
                WHERE %(since)s::text IS NULL OR (c.date IS NOT NULL AND c.date >= %(since)s
                      AND c.date <= %(until)s)
                GROUP BY p.chunk_id
            )
            SELECT chunk_id, score FROM (
                SELECT chunk_id, score, row_number() OVER (ORDER BY score DESC, chunk_id) AS n
                FROM scored
            ) ranked WHERE n <= %(k)s OR chunk_id = ANY(%(also)s)
            """,
            {
                "terms": terms, "n": max(self._chunks, 1), "v": self._version,
                "avg": float(self._avg), "since": since, "until": until, "k": max(k, 0),
                "also": [int(i) for i in also],
            },
        )  # fmt: skip
        if not rows and not self.knows_any(terms):
            return {}  # no term is in the corpus: nothing scores, not even ``also``
        out = {int(i): 0.0 for i in also}
        out.update((int(i), float(score)) for i, score in rows)
        return out

    def vectors(self, chunk_ids: Sequence[int]) -> np.ndarray:
        """Stored embeddings of the given chunks, in that order."""
        if not chunk_ids:
            return np.zeros((0, self.dimension), dtype=np.float32)
        found = dict(self._rows(
            "SELECT id, embedding FROM docqa_chunks WHERE version = %s AND id = ANY(%s)",
            (self._version, [int(i) for i in chunk_ids]),
        ))  # fmt: skip
        return np.stack([_array(found[int(i)]) for i in chunk_ids])

    def chunks(self, chunk_ids: Sequence[int]) -> list[Chunk]:
        """Chunks by id, in the order asked, with their text."""
        ids = [int(i) for i in chunk_ids]
        if not ids:
            return []
        rows = self._rows(
            'SELECT c.id, c.doc_id, c.start, c."end", c.sentences, '
            'substr(d.text, c.start + 1, c."end" - c.start) FROM docqa_chunks c '
            "JOIN docqa_documents d ON d.version = c.version AND d.id = c.doc_id "
            "WHERE c.version = %s AND c.id = ANY(%s)",
            (self._version, ids),
        )
        found = {
            r[0]: Chunk(r[0], r[1], r[2], r[3], r[5], tuple(tuple(s) for s in r[4])) for r in rows
        }
        return [found[i] for i in ids if i in found]

    def _document_where(self, condition: str, parameters: Sequence[Any]) -> SourceDocument | None:
        rows = self._rows(
            "SELECT source, text, title, date, sha256 FROM docqa_documents "
            f"WHERE version = %s AND {condition} LIMIT 1",
            (self._version, *parameters),
        )
        return SourceDocument(*rows[0]) if rows else None

    def document(self, doc_id: int) -> SourceDocument | None:
        """A document with its full text, or None."""
        return self._document_where("id = %s", (int(doc_id),))

    def document_by_key(self, key: str) -> SourceDocument | None:
        """A document by its public key, or None."""
        if len(key) != KEY_LENGTH or any(c not in "0123456789abcdef" for c in key):
            return None
        return self._document_where("key = %s", (key,))

    def document_meta(self, doc_ids: Sequence[int]) -> dict[int, DocumentMeta]:
        """``doc_id -> (source, title, date, key)`` without loading texts."""
        if not doc_ids:
            return {}
        rows = self._rows(
            "SELECT id, source, title, date, key FROM docqa_documents "
            "WHERE version = %s AND id = ANY(%s)",
            (self._version, [int(i) for i in doc_ids]),
        )
        return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}

    def sources(self) -> list[str]:
        """Every document's source, by document id."""
        rows = self._rows(
            "SELECT source FROM docqa_documents WHERE version = %s ORDER BY id", (self._version,)
        )
        return [r[0] for r in rows]

    def sample_texts(self, limit: int) -> list[str]:
        """Up to ``limit`` document texts, newest first."""
        rows = self._rows(
            "SELECT text FROM docqa_documents WHERE version = %s "
            "ORDER BY date DESC NULLS LAST, id LIMIT %s",
            (self._version, limit),
        )
        return [r[0] for r in rows]

    def texts(self) -> Iterator[str]:
        """Every document's text, one at a time."""
        for (doc_id,) in self._rows(
            "SELECT id FROM docqa_documents WHERE version = %s ORDER BY id", (self._version,)
        ):
            if (document := self.document(doc_id)) is not None:
                yield document.text

    def latest(self) -> str:
        """The name of the version live now (this store may read an older one)."""
        ((version,),) = self._rows("SELECT id FROM docqa_versions WHERE live") or [(None,)]
        return f"pg-{version}"

    def reusable(self) -> dict[str, tuple[SourceDocument, list[Chunk], np.ndarray]]:
        """Every stored document by content hash, with its chunks and vectors."""
        out: dict[str, tuple[SourceDocument, list[Chunk], np.ndarray]] = {}
        chunk_ids: dict[int, list[int]] = {}
        for doc_id, chunk_id in self._rows(
            "SELECT doc_id, id FROM docqa_chunks WHERE version = %s ORDER BY id", (self._version,)
        ):
            chunk_ids.setdefault(doc_id, []).append(chunk_id)
        for doc_id, source, title, date, sha, text in self._rows(
            "SELECT id, source, title, date, sha256, text FROM docqa_documents WHERE version = %s",
            (self._version,),
        ):
            ids = chunk_ids.get(doc_id, [])
            document = SourceDocument(source, text, title, date, sha)
            out[sha] = (document, self.chunks(ids), self.vectors(ids))
        return out

    def check(self) -> None:
        """Confirm the database answers and still holds this version."""
        rows = self._rows("SELECT 1 FROM docqa_versions WHERE id = %s", (self._version,))
        if not rows:
            raise IndexNotFoundError(
                f"Version {self.version} is no longer in the database at {hidden(self.url)}."
            )

    def stats(self) -> dict[str, Any]:
        """A summary for `docqa info` and health checks."""
        ((server,),) = self._rows("SHOW server_version")
        return {
            "backend": f"postgresql {server}",
            "database": hidden(self.url),
            "version": self.version,
            "documents": int(self._documents),
            "chunks": self.size,
            "embedder": self.embedder,
            "created": self._created,
        }

    def close(self) -> None:
        """Close the pool."""
        self._pool.close()


def _array(value: Any) -> np.ndarray:
    """A stored vector as float32 (pgvector hands back its own ``Vector``)."""
    if hasattr(value, "to_numpy"):
        value = value.to_numpy()
    return np.asarray(value, dtype=np.float32)


def _configure(connection: Any) -> None:
    from pgvector.psycopg import register_vector

    register_vector(connection)
