"""The PostgreSQL store's read side: one generation, searched with pgvector and SQL BM25.

A store is bound to the generation live when it was opened: every query it makes sees
that generation's rows and no other, so a question never sees half of a re-index. Dense
search runs on pgvector's HNSW index (cosine) with the date window inside the query;
lexical scores are the BM25 of ``app/text/analysis.py`` over the same terms, computed in
SQL from per-term postings, so both backends rank alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import numpy as np

from app.errors import IndexMismatchError, IndexNotFoundError
from app.store.base import DocumentInfo, DocumentMeta, Filter, Groups, is_document_key
from app.store.postgres.connections import Connections
from app.store.postgres.schema import connect, hidden, visible
from app.text.analysis import K1, B, idf
from app.types import Chunk, SourceDocument

__all__ = ["PostgresStore", "generation_row", "idf"]


_CHUNK = visible("c")
_DOC = visible("d")
_TERM = visible("t")
# A chunk or document ``%(groups)s`` may read (NULL: every one), and one in the window.
_READABLE = "(%(groups)s::text[] IS NULL OR {}.groups && %(groups)s::text[])"
_DATED = (
    "(%(since)s::text IS NULL OR (c.date IS NOT NULL AND c.date >= %(since)s "
    "AND c.date <= %(until)s))"
)


def _filter(where: Filter | None) -> dict[str, Any]:
    """The query parameters of a filter."""
    since, until = where.bounds if where is not None and where.dated else (None, None)
    groups = where.groups if where is not None else None
    return {"since": since, "until": until, "groups": None if groups is None else sorted(groups)}


def generation_row(connection: Any, generation: int | None = None) -> dict[str, Any] | None:
    """The live generation's row (or ``generation``'s), or None before the first publish."""
    where = "live" if generation is None else "id = %s"
    row = connection.execute(
        "SELECT id, embedder, dimension, chunking, documents, chunks, total_length, min_df, "
        f"created FROM docqa_generations WHERE {where}",
        () if generation is None else (generation,),
    ).fetchone()
    if row is None:
        return None
    keys = ("id", "embedder", "dimension", "chunking", "documents", "chunks", "total_length",
            "min_df", "created")  # fmt: skip
    return dict(zip(keys, row, strict=True))


class PostgresStore:
    """One generation in PostgreSQL, read through a small pool of connections."""

    def __init__(
        self,
        url: str,
        connections: Connections,
        embedder: str | None = None,
        ef_search: int = 400,
        exact_under: int = 20_000,
    ) -> None:
        first = connect(url)  # a clear error at once when the database cannot be reached
        try:
            row = generation_row(first)
            (server,) = first.execute("SHOW server_version").fetchone()
            extension = first.execute(
                "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
            ).fetchone()
        finally:
            first.close()
        if row is None:
            raise IndexNotFoundError(
                f"No index in the database at {hidden(url)} yet: run `docqa index PATH`."
            )
        if embedder is not None and row["embedder"] != embedder:
            raise IndexMismatchError(
                f"The index in the database at {hidden(url)} was built with the embedder "
                f"'{row['embedder']}', but the settings ask for '{embedder}'. Rebuild it with "
                "`docqa index --rebuild PATH`, or set DOCQA_EMBEDDING__RUNTIME to match the index."
            )
        self.url = url
        self.generation = int(row["id"])
        self.dimension = int(row["dimension"])
        self.chunking = row["chunking"]
        self._embedder = str(row["embedder"])
        self._documents = int(row["documents"])
        self._chunks = int(row["chunks"])
        self._avg = row["total_length"] / max(self._chunks, 1) or 1.0
        self._rarest = idf(self._chunks, row["min_df"] or 1)
        self._created = row["created"].isoformat()
        self._server = f"postgresql {server}, pgvector {extension[0] if extension else '?'}"
        self._connections = connections  # the backend's: every generation's store shares them
        self.ef_search = ef_search
        self.exact_under = exact_under
        self._narrow: dict[frozenset[str], bool] = {}  # per group set: searched exactly?

    def _connection(self) -> AbstractContextManager[Any]:
        return self._connections.connection()

    def _rows(
        self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = ()
    ) -> list[tuple[Any, ...]]:
        with self._connection() as connection:
            return list(connection.execute(sql, parameters).fetchall())

    @property
    def version(self) -> str:
        """``pg-<generation>``."""
        return f"pg-{self.generation}"

    @property
    def size(self) -> int:
        """Number of chunks."""
        return self._chunks

    @property
    def embedder(self) -> str:
        """The embedder the vectors were made with."""
        return self._embedder

    def latest(self) -> str:
        """The name of the generation live now (this store may read an older one)."""
        rows = self._rows("SELECT id FROM docqa_generations WHERE live")
        return f"pg-{rows[0][0]}" if rows else self.version

    def weights(self, terms: Iterable[str]) -> dict[str, float]:
        """IDF of each distinct term; a term the corpus never uses weighs as the rarest."""
        wanted = sorted(set(terms))
        found = dict(self._rows(
            f"SELECT t.term, t.df FROM docqa_terms t WHERE t.term = ANY(%(terms)s) AND {_TERM}",
            {"terms": wanted, "g": self.generation},
        ))  # fmt: skip
        return {t: idf(self._chunks, found[t]) if t in found else self._rarest for t in wanted}

    def knows_any(self, terms: Iterable[str]) -> bool:
        """Whether the corpus uses any of ``terms``."""
        ((known,),) = self._rows(
            "SELECT EXISTS (SELECT 1 FROM docqa_terms t "
            f"WHERE t.term = ANY(%(terms)s) AND {_TERM})",
            {"terms": sorted(set(terms)), "g": self.generation},
        )
        return bool(known)

    def dense_search(
        self, vector: np.ndarray, k: int, where: Filter | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest chunks ``where`` allows by cosine, through the HNSW index (the
        filter is a condition of the scan, which goes on until ``k`` rows pass it), or
        exactly among the chunks of a reader whose groups can read few of them."""
        if k <= 0 or self._chunks == 0:
            return []
        d = self.dimension
        query = np.asarray(vector, dtype=np.float32)
        exact = where is not None and where.groups is not None and self._is_narrow(where.groups)
        with self._connection() as connection, connection.transaction():
            if exact:  # the planner then reads the groups' GIN index and sorts the few rows
                connection.execute("SET LOCAL enable_indexscan = off")
            ef_search = int(max(self.ef_search, min(1000, 2 * k)))  # SET takes no parameters
            connection.execute(f"SET LOCAL hnsw.ef_search = {ef_search}")
            # Rows the filter drops (an old generation's, another window's) are scanned
            # past until k remain.
            connection.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            rows = connection.execute(
                f"SELECT c.id, 1 - ((c.embedding::vector({d})) <=> %(q)s::vector({d})) "
                f"FROM docqa_chunks c WHERE vector_dims(c.embedding) = {d} AND {_CHUNK} "
                f"AND {_DATED} AND {_READABLE.format('c')} "
                f"ORDER BY (c.embedding::vector({d})) <=> %(q)s::vector({d}) LIMIT %(k)s",
                {"q": query, "g": self.generation, "k": k, **_filter(where)},
            ).fetchall()
        out = [(int(i), float(s)) for i, s in rows]
        out.sort(key=lambda r: -r[1])  # relaxed order: the index may return near-sorted rows
        return out

    def _is_narrow(self, groups: frozenset[str]) -> bool:
        """Whether ``groups`` can read fewer than ``exact_under`` chunks (counted once per
        group set and generation, and never past the bound)."""
        if groups not in self._narrow:
            ((count,),) = self._rows(
                f"SELECT count(*) FROM (SELECT 1 FROM docqa_chunks c WHERE {_CHUNK} "
                f"AND {_READABLE.format('c')} LIMIT %(bound)s) readable",
                {"g": self.generation, "groups": sorted(groups), "bound": self.exact_under},
            )
            self._narrow[groups] = count < self.exact_under
        return self._narrow[groups]

    def lexical_search(
        self,
        terms: Sequence[str],
        k: int,
        where: Filter | None = None,
        also: Sequence[int] = (),
    ) -> dict[int, float]:
        """BM25 of the ``k`` best chunks ``where`` allows, and of the ``also`` chunks: one
        query scores every matching chunk once and keeps both sets."""
        terms = list(terms)
        if not terms:
            return {}
        rows = self._rows(
            f"""
            WITH q AS (SELECT DISTINCT unnest(%(terms)s::text[]) AS term),
            w AS (
                SELECT t.term, ln(1 + (%(n)s - t.df + 0.5) / (t.df + 0.5)) AS idf
                FROM q JOIN docqa_terms t ON t.term = q.term AND {_TERM}
            ),
            scored AS (
                SELECT p.chunk_id, sum(w.idf * p.tf / (p.tf + {K1} * (1 - {B} + {B}
                       * c.length / %(avg)s))) AS score
                FROM w JOIN docqa_postings p ON p.term = w.term
                JOIN docqa_chunks c ON c.id = p.chunk_id
                WHERE {_CHUNK} AND {_DATED} AND {_READABLE.format('c')}
                GROUP BY p.chunk_id
            )
            SELECT chunk_id, score FROM (
                SELECT chunk_id, score, row_number() OVER (ORDER BY score DESC, chunk_id) AS n
                FROM scored
            ) ranked WHERE n <= %(k)s OR chunk_id = ANY(%(also)s)
            """,
            {
                "terms": terms, "n": max(self._chunks, 1), "g": self.generation,
                "avg": float(self._avg), "k": max(k, 0), "also": [int(i) for i in also],
                **_filter(where),
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
            "SELECT id, embedding FROM docqa_chunks WHERE id = ANY(%s)",
            ([int(i) for i in chunk_ids],),
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
            "JOIN docqa_documents d ON d.id = c.doc_id WHERE c.id = ANY(%s)",
            (ids,),
        )
        found = {
            r[0]: Chunk(r[0], r[1], r[2], r[3], r[5], tuple(tuple(s) for s in r[4])) for r in rows
        }
        return [found[i] for i in ids if i in found]

    def chunk_ids(self) -> list[int]:
        """Every chunk's id, in order."""
        rows = self._rows(
            f"SELECT c.id FROM docqa_chunks c WHERE {_CHUNK} ORDER BY c.id", {"g": self.generation}
        )
        return [int(r[0]) for r in rows]

    def _document_where(
        self, condition: str, parameters: Mapping[str, Any]
    ) -> SourceDocument | None:
        rows = self._rows(
            "SELECT d.source, d.text, d.title, d.date, d.sha256, d.groups FROM docqa_documents d "
            f"WHERE {_DOC} AND {condition} LIMIT 1",
            {"groups": None, **parameters, "g": self.generation},
        )
        if not rows:
            return None
        source, text, title, date, sha, groups = rows[0]
        return SourceDocument(source, text, title, date, sha, groups=tuple(groups))

    def document(self, doc_id: int) -> SourceDocument | None:
        """A document with its full text, or None."""
        return self._document_where("d.id = %(id)s", {"id": int(doc_id)})

    def document_by_key(self, key: str, groups: Groups = None) -> SourceDocument | None:
        """A document by its public key, or None (also when ``groups`` may not read it)."""
        if not is_document_key(key):
            return None
        return self._document_where(
            f"d.key = %(key)s AND {_READABLE.format('d')}",
            {"key": key, "groups": None if groups is None else sorted(groups)},
        )

    def catalogue(
        self, offset: int = 0, limit: int = 100, groups: Groups = None
    ) -> list[DocumentInfo]:
        """Documents ``groups`` may read (None: all), in source order, without their texts."""
        rows = self._rows(
            "SELECT d.key, d.source, d.title, d.date, d.groups, "
            "(SELECT count(*) FROM docqa_chunks c WHERE c.doc_id = d.id) "
            f"FROM docqa_documents d WHERE {_DOC} AND {_READABLE.format('d')} "
            "ORDER BY d.source LIMIT %(limit)s OFFSET %(offset)s",
            {"g": self.generation, "limit": limit, "offset": offset,
             "groups": None if groups is None else sorted(groups)},
        )  # fmt: skip
        return [DocumentInfo(r[0], r[1], r[2], r[3], tuple(r[4]), int(r[5])) for r in rows]

    def document_meta(self, doc_ids: Sequence[int]) -> dict[int, DocumentMeta]:
        """``doc_id -> (source, title, date, key)`` without loading texts."""
        if not doc_ids:
            return {}
        rows = self._rows(
            "SELECT id, source, title, date, key FROM docqa_documents WHERE id = ANY(%s)",
            ([int(i) for i in doc_ids],),
        )
        return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}

    def groups_of(self, doc_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        """``doc_id -> the groups that may read it``, without loading texts."""
        if not doc_ids:
            return {}
        rows = self._rows(
            "SELECT id, groups FROM docqa_documents WHERE id = ANY(%s)",
            ([int(i) for i in doc_ids],),
        )
        return {r[0]: tuple(r[1]) for r in rows}

    def hashes(self, sources: Sequence[str]) -> dict[str, str]:
        """The content hash of each of ``sources`` the generation holds."""
        return dict(self._rows(
            f"SELECT d.source, d.sha256 FROM docqa_documents d WHERE d.source = ANY(%(s)s) "
            f"AND {_DOC}",
            {"s": list(sources), "g": self.generation},
        ))  # fmt: skip

    def sources(self) -> dict[int, str]:
        """Every document's source, by document id."""
        rows = self._rows(
            f"SELECT d.id, d.source FROM docqa_documents d WHERE {_DOC} ORDER BY d.id",
            {"g": self.generation},
        )
        return {int(r[0]): r[1] for r in rows}

    def sample_texts(self, limit: int, groups: Groups = None) -> list[str]:
        """Up to ``limit`` texts of documents ``groups`` may read, newest first."""
        rows = self._rows(
            f"SELECT d.text FROM docqa_documents d WHERE {_DOC} AND {_READABLE.format('d')} "
            "ORDER BY d.date DESC NULLS LAST, d.id LIMIT %(limit)s",
            {"g": self.generation, "limit": limit,
             "groups": None if groups is None else sorted(groups)},
        )  # fmt: skip
        return [r[0] for r in rows]

    def coverage(self, groups: Groups = None) -> tuple[int, str | None, str | None]:
        """How many documents ``groups`` may read, and the first and last of their dates."""
        ((count, first, last),) = self._rows(
            f"SELECT count(*), min(d.date), max(d.date) FROM docqa_documents d "
            f"WHERE {_DOC} AND {_READABLE.format('d')}",
            {"g": self.generation, "groups": None if groups is None else sorted(groups)},
        )
        return int(count), first, last

    def texts(self) -> Iterator[str]:
        """Every document's text, one at a time."""
        for doc_id in self.sources():
            if (document := self.document(doc_id)) is not None:
                yield document.text

    def check(self) -> None:
        """Confirm the database answers and still holds this generation."""
        rows = self._rows("SELECT 1 FROM docqa_generations WHERE id = %s", (self.generation,))
        if not rows:
            raise IndexNotFoundError(
                f"Generation {self.generation} is no longer in the database at {hidden(self.url)}."
            )

    def stats(self) -> dict[str, Any]:
        """A summary for `docqa info` and health checks."""
        ((first, last),) = self._rows(
            f"SELECT min(d.date), max(d.date) FROM docqa_documents d WHERE {_DOC}",
            {"g": self.generation},
        )
        return {
            "backend": self._server,
            "database": hidden(self.url),
            "version": self.version,
            "documents": self._documents,
            "chunks": self.size,
            "embedder": self.embedder,
            "created": self._created,
            "dates": [first, last] if first else None,
        }

    def close(self) -> None:
        """Nothing to release: the connections are the backend's."""


def _array(value: Any) -> np.ndarray:
    """A stored vector as float32 (pgvector hands back its own ``Vector``)."""
    if hasattr(value, "to_numpy"):
        value = value.to_numpy()
    return np.asarray(value, dtype=np.float32)
