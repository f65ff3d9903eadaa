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

from app.errors import IndexMismatchError, IndexStoreError
from app.store.base import BuildSpec, Published
from app.store.postgres.batch import ClaimedBatch
from app.store.postgres.publication import Publication
from app.store.postgres.schema import (
    PUBLISH_LOCK,
    RUN_CLASS,
    RUNS_LOCK,
    connect,
    hidden,
)
from app.store.postgres.store import generation_row
from app.types import Skipped

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
    def claim(self, limit: int) -> Iterator[ClaimedBatch | None]:
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
                    batch = ClaimedBatch(self, sources)
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
            published = Publication(self).publish()
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
