"""Indexing runs in PostgreSQL: shared by workers, staged aside, published as one generation.

A run is a row of ``docqa_runs``; its sources are rows of ``docqa_queue``. Workers given
the same paths (the same run key) join the open run and claim sources in batches with
``FOR UPDATE SKIP LOCKED``; a batch's results are staged in the same transaction that
marks its sources done, so a worker killed mid-batch leaves its sources pending for
another worker, or for the next run. Each worker holds a shared advisory lock on its run
while it lives: a run nobody holds is resumed by a worker with its key, or abandoned by
one with another.

When no source is pending, one worker publishes: in a single transaction the replaced
and removed documents are marked removed, the staged ones inserted with their chunks
and postings, term statistics updated by their differences, and the new generation made
live. Nothing else is rewritten: a one-document change touches that document's rows.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import bm25s
import numpy as np

from app.errors import IndexMismatchError, IndexStoreError, NoDocumentsError
from app.store.base import BuildSpec, Published
from app.store.postgres.schema import (
    PUBLISH_LOCK,
    RUN_CLASS,
    RUNS_LOCK,
    connect,
    hidden,
)
from app.store.postgres.store import generation_row
from app.text.analysis import STOPWORDS, stemmer
from app.types import Chunk, Skipped, SourceDocument

__all__ = ["Writer"]

logger = logging.getLogger(__name__)

_POLL = 0.3  # seconds between looks at sources other workers hold, or at another run


class Writer:
    """One worker's part in an indexing run."""

    damage: str | None = None  # PostgreSQL checks its own pages; no damage to report

    def __init__(self, url: str, spec: BuildSpec, grace_seconds: float) -> None:
        self.url = url
        self.spec = spec
        self.grace_seconds = grace_seconds
        self.connection = connect(url)
        self.run: int | None = None
        self.reuse = False  # the live generation was built as this run builds

    def close(self) -> None:
        """End the session: its locks go with it."""
        self.connection.close()

    # -- joining ---------------------------------------------------------------------

    def enqueue(self, sources: Sequence[str]) -> None:
        """Join the open run with this key (or open one) and add ``sources`` to it, in
        one transaction: a run being published takes no more sources."""
        spec, c = self.spec, self.connection
        chunking = json.dumps(dict(spec.chunking), sort_keys=True)
        waited = False
        while True:
            with c.transaction():
                c.execute("SELECT pg_advisory_xact_lock(%s)", (RUNS_LOCK,))
                run = self._open_run(chunking)
                if run is not None:
                    self.run = run
                    self._check_live()
                    c.execute("SELECT pg_advisory_lock_shared(%s, %s)", (RUN_CLASS, run))
                    self._insert(sources, "pending")
                    return
            if not waited:
                logger.info("waiting for another indexing run on %s to end", hidden(self.url))
                waited = True
            time.sleep(_POLL)

    def _open_run(self, chunking: str) -> int | None:
        """This key's open run, a new one, or None while another key's run is alive."""
        spec, c = self.spec, self.connection
        row = c.execute(
            "SELECT id, key, mode, rebuild, embedder, chunking::text FROM docqa_runs "
            "WHERE state = 'open' FOR UPDATE"
        ).fetchone()
        if row is not None:
            run, *kind = row
            same = kind == [spec.key, spec.mode, spec.rebuild, spec.embedder, chunking]
            (orphaned,) = c.execute(
                "SELECT pg_try_advisory_lock(%s, %s)", (RUN_CLASS, run)
            ).fetchone()
            if orphaned:
                c.execute("SELECT pg_advisory_unlock(%s, %s)", (RUN_CLASS, run))
            if same and spec.mode == "sync":
                if orphaned:
                    # Resumed after its workers died: files may have changed since. Every
                    # source is looked at again; what was staged from the same bytes is
                    # kept, not made again.
                    c.execute(
                        "UPDATE docqa_queue SET state = 'pending' "
                        "WHERE run = %s AND state <> 'remove'",
                        (run,),
                    )
                    logger.info("resuming run %d: no worker held it", run)
                return int(run)
            if not orphaned:
                return None
            c.execute("UPDATE docqa_runs SET state = 'abandoned' WHERE id = %s", (run,))
            c.execute("DELETE FROM docqa_queue WHERE run = %s", (run,))
            c.execute("DELETE FROM docqa_staged_documents WHERE run = %s", (run,))
            logger.info("abandoned run %d: no worker holds it", run)
        (run,) = c.execute(
            "INSERT INTO docqa_runs (key, mode, rebuild, embedder, dimension, chunking) "
            "VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
            (spec.key, spec.mode, spec.rebuild, spec.embedder, spec.dimension, chunking),
        ).fetchone()
        return int(run)

    def _check_live(self) -> None:
        live = generation_row(self.connection)
        spec = self.spec
        same = live is not None and (live["embedder"], live["chunking"]) == (
            spec.embedder, dict(spec.chunking)
        )  # fmt: skip
        if live is not None and not same and spec.mode == "merge":
            raise IndexMismatchError(
                f"The index in the database at {hidden(self.url)} was built with "
                f"'{live['embedder']}' and chunking {live['chunking']}; documents cannot be "
                "added to it with other settings. Rebuild it with `docqa index --rebuild PATH`."
            )
        self.reuse = same and not spec.rebuild

    def _insert(self, sources: Sequence[str], state: str) -> None:
        c = self.connection
        c.execute("CREATE TEMP TABLE IF NOT EXISTS docqa_found (source text) ON COMMIT DELETE ROWS")
        with c.cursor().copy("COPY docqa_found (source) FROM STDIN") as copy:
            for source in sources:
                copy.write_row((source,))
        update = "DO NOTHING" if state == "pending" else "DO UPDATE SET state = EXCLUDED.state"
        c.execute(
            "INSERT INTO docqa_queue (run, source, state) SELECT DISTINCT %s, source, %s "
            f"FROM docqa_found ON CONFLICT (run, source) {update}",
            (self.run, state),
        )

    def remove(self, sources: Sequence[str]) -> None:
        """Drop these sources at publication (``merge`` runs)."""
        if sources:
            with self.connection.transaction():
                self._insert(sources, "remove")

    # -- claiming ------------------------------------------------------------------------

    @contextmanager
    def claim(self, limit: int) -> Iterator[_Batch | None]:
        """The next pending sources no other worker holds, in a transaction that commits
        what the batch records; None once nothing is pending. Waits while other workers
        hold the last ones: if they die, their sources come back here."""
        c = self.connection
        while True:
            with c.transaction():
                sources = [
                    r[0]
                    for r in c.execute(
                        "SELECT source FROM docqa_queue WHERE run = %s AND state = 'pending' "
                        "ORDER BY source LIMIT %s FOR UPDATE SKIP LOCKED",
                        (self.run, limit),
                    )
                ]
                if sources:
                    batch = _Batch(self, sources)
                    yield batch
                    batch.write()
                    return
                (pending,) = c.execute(
                    "SELECT count(*) FROM docqa_queue WHERE run = %s AND state = 'pending'",
                    (self.run,),
                ).fetchone()
            if not pending:
                yield None
                return
            time.sleep(_POLL)

    # -- publishing ------------------------------------------------------------------------

    def publish(self) -> Published | None:
        """Make the run's result live as one generation; None if sources arrived meanwhile
        (claim again). A run another worker published reports what that made live."""
        c = self.connection
        with c.transaction():
            c.execute("SELECT pg_advisory_xact_lock(%s)", (PUBLISH_LOCK,))
            state, result = c.execute(
                "SELECT state, result FROM docqa_runs WHERE id = %s FOR UPDATE", (self.run,)
            ).fetchone()
            if state == "published":
                return _published(result, by_other=True)
            if state != "open":
                raise IndexStoreError(
                    "This indexing run was abandoned by another worker (it found no worker "
                    "holding it). Run `docqa index` again."
                )
            (pending,) = c.execute(
                "SELECT count(*) FROM docqa_queue WHERE run = %s AND state = 'pending'",
                (self.run,),
            ).fetchone()
            if pending:
                return None
            published = _Publication(self).publish()
            result = {
                "version": published.version,
                "documents": published.documents,
                "chunks": published.chunks,
                "removed": published.removed,
                "skipped": [[s.source, s.reason] for s in published.skipped],
            }
            c.execute(
                "UPDATE docqa_runs SET state = 'published', result = %s WHERE id = %s",
                (json.dumps(result), self.run),
            )
            c.execute("DELETE FROM docqa_queue WHERE run = %s", (self.run,))
            c.execute("DELETE FROM docqa_staged_documents WHERE run = %s", (self.run,))
        return published


def _published(result: dict[str, Any], by_other: bool) -> Published:
    return Published(
        result["version"],
        result["documents"],
        result["chunks"],
        result["removed"],
        tuple(Skipped(s, r) for s, r in result["skipped"]),
        by_other=by_other,
    )


class _Publication:
    """The statements of one publication, inside the caller's transaction."""

    def __init__(self, writer: Writer) -> None:
        self.writer = writer
        self.c = writer.connection
        self.spec = writer.spec

    def publish(self) -> Published:
        """Mark, insert, count and make live; returns what became live."""
        c = self.c
        live = generation_row(c)
        g = int(live["id"]) if live else 0
        new_generation = g + 1
        p = {"run": self.writer.run, "g": new_generation}
        for table in ("docqa_gone", "docqa_dups", "docqa_new", "docqa_delta"):
            c.execute(f"DROP TABLE IF EXISTS {table}")
        c.execute(
            "CREATE TEMP TABLE docqa_gone ON COMMIT DROP AS SELECT d.id FROM docqa_documents d "
            f"WHERE d.removed IS NULL AND {self._leaving()}",
            p,
        )
        c.execute(
            """CREATE TEMP TABLE docqa_dups ON COMMIT DROP AS
            SELECT s.source, coalesce(k.source, f.source) AS of
            FROM docqa_staged_documents s
            LEFT JOIN LATERAL (
                SELECT d.source FROM docqa_documents d WHERE d.removed IS NULL
                AND d.sha256 = s.sha256 AND d.id NOT IN (SELECT id FROM docqa_gone) LIMIT 1
            ) k ON true
            LEFT JOIN LATERAL (
                SELECT o.source FROM docqa_staged_documents o WHERE o.run = s.run
                AND o.sha256 = s.sha256 AND o.source < s.source ORDER BY o.source LIMIT 1
            ) f ON true
            WHERE s.run = %(run)s AND (k.source IS NOT NULL OR f.source IS NOT NULL)""",
            p,
        )
        c.execute(
            "UPDATE docqa_documents SET removed = %(g)s WHERE id IN (SELECT id FROM docqa_gone)", p
        )
        c.execute(
            "UPDATE docqa_chunks SET removed = %(g)s WHERE doc_id IN (SELECT id FROM docqa_gone)", p
        )
        self._insert_new(p)
        self._count_terms(p)
        return self._make_live(live, new_generation)

    def _leaving(self) -> str:
        """Which current documents this run replaces or drops (an SQL condition on ``d``)."""
        in_queue = (
            "EXISTS (SELECT 1 FROM docqa_queue q WHERE q.run = %(run)s "
            "AND q.source = d.source AND q.state IN ({}))"
        )
        if not self.writer.reuse and (self.spec.rebuild or self.spec.mode == "sync"):
            return "true"  # another embedder, or --rebuild: nothing stays
        if self.spec.mode == "sync":
            return "NOT " + in_queue.format("'kept'")
        return in_queue.format("'staged', 'skipped', 'remove'")

    def _insert_new(self, p: dict[str, Any]) -> None:
        c = self.c
        c.execute(
            """CREATE TEMP TABLE docqa_new ON COMMIT DROP AS WITH inserted AS (
                INSERT INTO docqa_documents (source, sha256, key, title, date, text, added)
                SELECT s.source, s.sha256, left(s.sha256, 16), s.title, s.date, s.text, %(g)s
                FROM docqa_staged_documents s WHERE s.run = %(run)s
                AND s.source NOT IN (SELECT source FROM docqa_dups) ORDER BY s.source
                RETURNING id, source, date
            ) SELECT * FROM inserted""",
            p,
        )
        c.execute(
            """INSERT INTO docqa_chunks (doc_id, seq, start, "end", sentences, date, length,
                embedding, added)
            SELECT n.id, s.seq, s.start, s."end", s.sentences, n.date, s.length, s.embedding, %(g)s
            FROM docqa_staged_chunks s JOIN docqa_new n ON n.source = s.source
            WHERE s.run = %(run)s ORDER BY n.id, s.seq""",
            p,
        )
        c.execute(
            """INSERT INTO docqa_postings (term, chunk_id, tf)
            SELECT s.term, ch.id, s.tf FROM docqa_staged_postings s
            JOIN docqa_new n ON n.source = s.source
            JOIN docqa_chunks ch ON ch.doc_id = n.id AND ch.seq = s.seq
            WHERE s.run = %(run)s""",
            p,
        )

    def _count_terms(self, p: dict[str, Any]) -> None:
        """Each term's document frequency moved by the chunks that came and went."""
        c = self.c
        c.execute(
            """CREATE TEMP TABLE docqa_delta ON COMMIT DROP AS
            SELECT term, sum(d)::int AS d FROM (
                SELECT p.term, 1 AS d FROM docqa_postings p
                JOIN docqa_chunks ch ON ch.id = p.chunk_id JOIN docqa_new n ON n.id = ch.doc_id
                UNION ALL
                SELECT p.term, -1 FROM docqa_postings p
                JOIN docqa_chunks ch ON ch.id = p.chunk_id JOIN docqa_gone g ON g.id = ch.doc_id
            ) x GROUP BY term HAVING sum(d) <> 0""",
        )
        c.execute(
            """WITH old AS (
                UPDATE docqa_terms t SET removed = %(g)s FROM docqa_delta x
                WHERE t.term = x.term AND t.removed IS NULL RETURNING t.term, t.df
            )
            INSERT INTO docqa_terms (term, df, added)
            SELECT x.term, coalesce(old.df, 0) + x.d, %(g)s FROM docqa_delta x
            LEFT JOIN old ON old.term = x.term WHERE coalesce(old.df, 0) + x.d > 0""",
            p,
        )

    def _make_live(self, live: dict[str, Any] | None, g: int) -> Published:
        c, spec = self.c, self.spec
        (came, went) = c.execute(
            "SELECT (SELECT count(*) FROM docqa_new), (SELECT count(*) FROM docqa_gone)"
        ).fetchone()
        (new_chunks, new_length) = c.execute(
            "SELECT count(*), coalesce(sum(length), 0) FROM docqa_chunks "
            "WHERE doc_id IN (SELECT id FROM docqa_new)"
        ).fetchone()
        (old_chunks, old_length) = c.execute(
            "SELECT count(*), coalesce(sum(length), 0) FROM docqa_chunks "
            "WHERE doc_id IN (SELECT id FROM docqa_gone)"
        ).fetchone()
        documents = (live["documents"] if live else 0) + came - went
        chunks = (live["chunks"] if live else 0) + new_chunks - old_chunks
        length = (live["total_length"] if live else 0) + new_length - old_length
        skipped = tuple(
            Skipped(s, f"duplicate of {of}")
            for s, of in c.execute("SELECT source, of FROM docqa_dups ORDER BY source")
        )
        if documents == 0 and spec.mode == "sync":
            raise NoDocumentsError("Nothing to index.")  # the transaction is rolled back
        if live is not None and not came and not went:
            return Published(None, documents, chunks, 0, skipped)
        (min_df,) = c.execute(
            "SELECT coalesce(min(df), 1) FROM docqa_terms WHERE removed IS NULL"
        ).fetchone()
        c.execute(
            "INSERT INTO docqa_generations (id, embedder, dimension, chunking, documents, chunks, "
            "total_length, min_df) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (g, spec.embedder, spec.dimension, json.dumps(dict(spec.chunking)), documents,
             chunks, length, min_df),
        )  # fmt: skip
        c.execute("UPDATE docqa_generations SET live = false, replaced = now() WHERE live")
        c.execute("UPDATE docqa_generations SET live = true WHERE id = %s", (g,))
        d = int(spec.dimension)
        c.execute(
            f"CREATE INDEX IF NOT EXISTS docqa_chunks_hnsw_{d} ON docqa_chunks "
            f"USING hnsw ((embedding::vector({d})) vector_cosine_ops) "
            f"WHERE vector_dims(embedding) = {d}"
        )
        self._collect(g)
        (dropped,) = c.execute(
            "SELECT count(*) FROM docqa_documents d JOIN docqa_gone USING (id) "
            "WHERE d.source NOT IN (SELECT source FROM docqa_new)"
        ).fetchone()
        return Published(f"pg-{g}", documents, chunks, dropped, skipped)

    def _collect(self, g: int) -> None:
        """Delete rows no reader can still see: those only generations replaced over the
        grace period ago held (a question in flight finishes on its own generation). The
        generation this publication replaced is always kept until the next one."""
        c = self.c
        (old,) = c.execute(
            "SELECT max(id) FROM docqa_generations WHERE id < %s AND replaced IS NOT NULL "
            "AND replaced <= now() - make_interval(secs => %s)",
            (g - 1, self.writer.grace_seconds),
        ).fetchone()
        if old is None:
            return
        # Rows removed by generation old + 1 were last seen by generation old.
        c.execute("DELETE FROM docqa_documents WHERE removed <= %s", (old + 1,))
        c.execute("DELETE FROM docqa_terms WHERE removed <= %s", (old + 1,))
        c.execute("DELETE FROM docqa_generations WHERE id <= %s", (old,))


class _Batch:
    """Sources one worker holds; what it records is staged when the batch ends well."""

    def __init__(self, writer: Writer, sources: list[str]) -> None:
        self.writer = writer
        self.c = writer.connection
        self.sources = tuple(sources)
        self.stored: dict[str, str] = {}
        if writer.reuse:
            self.stored = dict(
                self.c.execute(
                    "SELECT source, sha256 FROM docqa_documents "
                    "WHERE removed IS NULL AND source = ANY(%s)",
                    (list(sources),),
                ).fetchall()
            )
        # What a resumed run staged for these sources before its workers died.
        self._staged: dict[str, str] = dict(
            self.c.execute(
                "SELECT source, sha256 FROM docqa_staged_documents "
                "WHERE run = %s AND source = ANY(%s)",
                (writer.run, list(sources)),
            ).fetchall()
        )
        self._states: dict[str, tuple[str, str | None, str | None]] = {}
        self._added: list[tuple[SourceDocument, Sequence[Chunk], np.ndarray]] = []

    def keep(self, source: str, sha256: str) -> None:
        """The live generation holds this source with this content."""
        self._states[source] = ("kept", sha256, None)

    def reuse(self, source: str, sha256: str) -> bool:
        """Stage ``source`` from stored rows of the same content, in this run or live."""
        p = {"run": self.writer.run, "source": source, "sha": sha256}
        c = self.c
        if self._staged.get(source) == sha256:  # staged before this run was resumed
            self._states[source] = ("staged", sha256, None)
            return True
        self._unstage([source])
        if not self.writer.reuse:
            return False
        staged = c.execute(
            "SELECT source FROM docqa_staged_documents WHERE run = %(run)s AND sha256 = %(sha)s "
            "LIMIT 1",
            p,
        ).fetchone()
        if staged is not None:
            p["from"] = staged[0]
            c.execute(
                "INSERT INTO docqa_staged_documents (run, source, sha256, title, date, text) "
                "SELECT run, %(source)s, sha256, title, date, text FROM docqa_staged_documents "
                "WHERE run = %(run)s AND source = %(from)s",
                p,
            )
            c.execute(
                'INSERT INTO docqa_staged_chunks SELECT run, %(source)s, seq, start, "end", '
                "sentences, length, embedding FROM docqa_staged_chunks "
                "WHERE run = %(run)s AND source = %(from)s",
                p,
            )
            c.execute(
                "INSERT INTO docqa_staged_postings SELECT run, %(source)s, seq, term, tf "
                "FROM docqa_staged_postings WHERE run = %(run)s AND source = %(from)s",
                p,
            )
        else:
            stored = c.execute(
                "SELECT id FROM docqa_documents WHERE removed IS NULL AND sha256 = %(sha)s LIMIT 1",
                p,
            ).fetchone()
            if stored is None:
                return False
            p["doc"] = stored[0]
            c.execute(
                "INSERT INTO docqa_staged_documents (run, source, sha256, title, date, text) "
                "SELECT %(run)s, %(source)s, sha256, title, date, text FROM docqa_documents "
                "WHERE id = %(doc)s",
                p,
            )
            c.execute(
                "INSERT INTO docqa_staged_chunks SELECT %(run)s, %(source)s, seq, start, "
                '"end", sentences, length, embedding FROM docqa_chunks WHERE doc_id = %(doc)s',
                p,
            )
            c.execute(
                "INSERT INTO docqa_staged_postings SELECT %(run)s, %(source)s, ch.seq, p.term, "
                "p.tf FROM docqa_postings p JOIN docqa_chunks ch ON ch.id = p.chunk_id "
                "WHERE ch.doc_id = %(doc)s",
                p,
            )
        self._states[source] = ("staged", sha256, None)
        return True

    def add(self, document: SourceDocument, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """A new or changed document, staged when the batch ends."""
        self._added.append((document, chunks, vectors))
        self._states[document.source] = ("staged", document.sha256, None)

    def skip(self, source: str, reason: str) -> None:
        """Not indexable: the run drops it."""
        self._states[source] = ("skipped", None, reason)

    def _unstage(self, sources: list[str]) -> None:
        """Forget what a resumed run had staged for ``sources``."""
        stale = [s for s in sources if self._staged.pop(s, None) is not None]
        if stale:
            self.c.execute(
                "DELETE FROM docqa_staged_documents WHERE run = %s AND source = ANY(%s)",
                (self.writer.run, stale),
            )

    def write(self) -> None:
        """Stage the added documents and mark every source of the batch done."""
        c, run = self.c, self.writer.run
        self._unstage(
            [s for s, (state, _, _) in self._states.items() if state != "staged"]
            + [document.source for document, _, _ in self._added]
        )
        texts = [chunk.text for _, chunks, _ in self._added for chunk in chunks]
        lengths, counts = postings(texts)
        at = 0
        with c.cursor() as cursor:
            with cursor.copy(
                "COPY docqa_staged_documents (run, source, sha256, title, date, text) FROM STDIN"
            ) as copy:
                for document, _, _ in self._added:
                    copy.write_row(
                        (run, document.source, document.sha256, document.title, document.date,
                         document.text)
                    )  # fmt: skip
            rows = []
            for document, chunks, vectors in self._added:
                for seq, (chunk, vector) in enumerate(zip(chunks, vectors, strict=True)):
                    rows.append((document.source, seq, chunk, vector, lengths[at], counts[at]))
                    at += 1
            with cursor.copy(
                'COPY docqa_staged_chunks (run, source, seq, start, "end", sentences, length, '
                "embedding) FROM STDIN"
            ) as copy:
                for source, seq, chunk, vector, length, _ in rows:
                    copy.write_row(
                        (run, source, seq, chunk.start, chunk.end, json.dumps(chunk.sentences),
                         length, "[" + ",".join(f"{x:.8g}" for x in vector) + "]")
                    )  # fmt: skip
            with cursor.copy(
                "COPY docqa_staged_postings (run, source, seq, term, tf) FROM STDIN"
            ) as copy:
                for source, seq, _, _, _, tf in rows:
                    for term, k in tf.items():
                        copy.write_row((run, source, seq, term, k))
        for source in self.sources:  # a source the loop did not record is not lost unseen
            self._states.setdefault(source, ("skipped", None, "not processed"))
        names = list(self._states)
        c.execute(
            "UPDATE docqa_queue q SET state = u.state, sha256 = u.sha, reason = u.reason "
            "FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) "
            "AS u(source, state, sha, reason) WHERE q.run = %s AND q.source = u.source",
            (names, [self._states[n][0] for n in names], [self._states[n][1] for n in names],
             [self._states[n][2] for n in names], run),
        )  # fmt: skip


def postings(texts: list[str]) -> tuple[list[int], list[dict[str, int]]]:
    """Each text's token count and term frequencies, from the tokens bm25s makes of it
    (the local store's tokens)."""
    if not texts:
        return [], []
    tokenized = bm25s.tokenize(
        texts,
        stopwords=STOPWORDS,
        stemmer=stemmer(),
        show_progress=False,
        allow_empty=True,
        return_ids=False,
    )
    lengths, counts = [], []
    for tokens in tokenized:
        terms = [t for t in tokens if t]
        lengths.append(len(terms))
        tf: dict[str, int] = {}
        for term in terms:
            tf[term] = tf.get(term, 0) + 1
        counts.append(tf)
    return lengths, counts
