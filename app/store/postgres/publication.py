"""Publishing a run as the next generation: the statements of one transaction.

The documents the run replaces or drops are marked removed; the staged ones (less the
duplicates of content already kept) are inserted with their chunks and postings; each
term's document frequency moves by the difference; the generation's counts are updated
and it is made live; rows no reader can still see are deleted.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from app.errors import NoDocumentsError
from app.store.base import Published
from app.store.postgres.store import generation_row
from app.types import Skipped

if TYPE_CHECKING:
    from app.store.postgres.writer import Writer

__all__ = ["Publication"]


class Publication:
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
        for table in ("docqa_gone", "docqa_dups", "docqa_new", "docqa_delta", "docqa_regrouped"):
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
        self._regroup(p)
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
                INSERT INTO docqa_documents (source, sha256, key, title, date, text, added,
                    groups)
                SELECT s.source, s.sha256, left(s.sha256, 16), s.title, s.date, s.text, %(g)s,
                    s.groups
                FROM docqa_staged_documents s WHERE s.run = %(run)s
                AND s.source NOT IN (SELECT source FROM docqa_dups) ORDER BY s.source
                RETURNING id, source, date, groups
            ) SELECT * FROM inserted""",
            p,
        )
        c.execute(
            """INSERT INTO docqa_chunks (doc_id, seq, start, "end", sentences, date, length,
                embedding, added, groups)
            SELECT n.id, s.seq, s.start, s."end", s.sentences, n.date, s.length, s.embedding, %(g)s,
                n.groups
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

    def _regroup(self, p: dict[str, Any]) -> None:
        """Kept documents take their new access groups, chunks too: metadata only, and
        at once for every generation (a reader who lost access loses it now)."""
        c = self.c
        c.execute(
            """CREATE TEMP TABLE docqa_regrouped ON COMMIT DROP AS
            SELECT d.id, q.groups FROM docqa_documents d JOIN docqa_queue q
            ON q.run = %(run)s AND q.source = d.source AND q.state = 'kept'
            WHERE d.removed IS NULL AND q.groups IS NOT NULL AND d.groups <> q.groups""",
            p,
        )
        c.execute(
            "UPDATE docqa_documents d SET groups = r.groups FROM docqa_regrouped r "
            "WHERE d.id = r.id"
        )
        c.execute(
            "UPDATE docqa_chunks ch SET groups = r.groups FROM docqa_regrouped r "
            "WHERE ch.doc_id = r.id"
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
        (came, went, regrouped) = c.execute(
            "SELECT (SELECT count(*) FROM docqa_new), (SELECT count(*) FROM docqa_gone), "
            "(SELECT count(*) FROM docqa_regrouped)"
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
        if live is not None and not came and not went and not regrouped:
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
        return Published(f"pg-{g}", documents, chunks, dropped, skipped, regrouped=regrouped)

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
