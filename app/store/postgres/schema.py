"""docqa's tables in PostgreSQL, created and migrated by docqa, and connections to them.

Rows are never overwritten. Every document, chunk and term statistic carries the
generation that added it and the one that removed it; a reader bound to generation ``g``
sees the rows with ``added <= g < removed``, so a question reads one whole corpus while
the next generation is written beside it. Publishing a generation (the only moment
readers see a change) is one transaction; rows no reader can still see are deleted later.

Indexing runs coordinate here too: a run's sources are rows of ``docqa_queue``, claimed
by workers with ``FOR UPDATE SKIP LOCKED``; what a worker makes of them waits in the
``docqa_staged_*`` tables until the run is published.
"""

from __future__ import annotations

from typing import Any

from app.errors import (
    DocQAError,
    IndexMismatchError,
    StorageFullError,
    StorePermissionError,
    StoreUnavailableError,
)

__all__ = [
    "PUBLISH_LOCK",
    "RUNS_LOCK",
    "RUN_CLASS",
    "SCHEMA_VERSION",
    "connect",
    "failure",
    "hidden",
    "migrate",
    "unreachable",
    "visible",
]

SCHEMA_VERSION = 4
# Advisory lock keys ("docqa" in ASCII, and the next ones): one publication at a time,
# one migration at a time, runs opened and joined one at a time; and the class of the
# per-run locks every worker of a run holds (shared) while it lives.
PUBLISH_LOCK = 0x646F637161
MIGRATE_LOCK = PUBLISH_LOCK + 1
RUNS_LOCK = PUBLISH_LOCK + 2
RUN_CLASS = 0x646F6371

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE EXTENSION IF NOT EXISTS vector;
    CREATE TABLE docqa_generations (
        id bigint PRIMARY KEY,
        created timestamptz NOT NULL DEFAULT now(),
        replaced timestamptz,
        embedder text NOT NULL,
        dimension int NOT NULL,
        chunking jsonb NOT NULL,
        documents bigint NOT NULL,
        chunks bigint NOT NULL,
        total_length bigint NOT NULL,
        min_df int NOT NULL,
        live boolean NOT NULL DEFAULT false
    );
    CREATE UNIQUE INDEX docqa_one_live ON docqa_generations (live) WHERE live;
    CREATE TABLE docqa_documents (
        id bigserial PRIMARY KEY,
        source text NOT NULL,
        sha256 text NOT NULL,
        key text NOT NULL,
        title text,
        date text,
        text text NOT NULL,
        added bigint NOT NULL,
        removed bigint
    );
    CREATE INDEX docqa_documents_key ON docqa_documents (key);
    CREATE INDEX docqa_documents_current ON docqa_documents (source) WHERE removed IS NULL;
    CREATE INDEX docqa_documents_sha ON docqa_documents (sha256) WHERE removed IS NULL;
    CREATE INDEX docqa_documents_removed ON docqa_documents (removed) WHERE removed IS NOT NULL;
    -- Room on each page for a row's next version: marking a chunk removed stays on its page.
    CREATE TABLE docqa_chunks (
        id bigserial PRIMARY KEY,
        doc_id bigint NOT NULL REFERENCES docqa_documents ON DELETE CASCADE,
        seq int NOT NULL,
        start int NOT NULL,
        "end" int NOT NULL,
        sentences jsonb NOT NULL,
        date text,
        length int NOT NULL,
        embedding vector NOT NULL,
        added bigint NOT NULL,
        removed bigint
    ) WITH (fillfactor = 75);
    CREATE INDEX docqa_chunks_doc ON docqa_chunks (doc_id);
    CREATE TABLE docqa_postings (
        term text NOT NULL,
        chunk_id bigint NOT NULL REFERENCES docqa_chunks ON DELETE CASCADE,
        tf int NOT NULL,
        PRIMARY KEY (term, chunk_id)
    );
    CREATE INDEX docqa_postings_chunk ON docqa_postings (chunk_id);
    CREATE TABLE docqa_terms (
        term text NOT NULL,
        df int NOT NULL,
        added bigint NOT NULL,
        removed bigint
    );
    CREATE INDEX docqa_terms_term ON docqa_terms (term, added);
    CREATE INDEX docqa_terms_current_df ON docqa_terms (df) WHERE removed IS NULL;
    CREATE INDEX docqa_terms_removed ON docqa_terms (removed) WHERE removed IS NOT NULL;
    CREATE TABLE docqa_runs (
        id bigserial PRIMARY KEY,
        key text NOT NULL,
        mode text NOT NULL,
        rebuild boolean NOT NULL,
        embedder text NOT NULL,
        dimension int NOT NULL,
        chunking jsonb NOT NULL,
        state text NOT NULL DEFAULT 'open',
        created timestamptz NOT NULL DEFAULT now(),
        generation bigint,
        result jsonb
    );
    CREATE UNIQUE INDEX docqa_one_open_run ON docqa_runs ((true)) WHERE state = 'open';
    CREATE TABLE docqa_queue (
        run bigint NOT NULL REFERENCES docqa_runs ON DELETE CASCADE,
        source text NOT NULL,
        state text NOT NULL DEFAULT 'pending',
        sha256 text,
        reason text,
        PRIMARY KEY (run, source)
    );
    CREATE INDEX docqa_queue_pending ON docqa_queue (run, source) WHERE state = 'pending';
    CREATE TABLE docqa_staged_documents (
        run bigint NOT NULL REFERENCES docqa_runs ON DELETE CASCADE,
        source text NOT NULL,
        sha256 text NOT NULL,
        title text,
        date text,
        text text NOT NULL,
        PRIMARY KEY (run, source)
    );
    CREATE INDEX docqa_staged_sha ON docqa_staged_documents (run, sha256);
    CREATE TABLE docqa_staged_chunks (
        run bigint NOT NULL,
        source text NOT NULL,
        seq int NOT NULL,
        start int NOT NULL,
        "end" int NOT NULL,
        sentences jsonb NOT NULL,
        length int NOT NULL,
        embedding vector NOT NULL,
        PRIMARY KEY (run, source, seq),
        FOREIGN KEY (run, source) REFERENCES docqa_staged_documents ON DELETE CASCADE
    );
    CREATE TABLE docqa_staged_postings (
        run bigint NOT NULL,
        source text NOT NULL,
        seq int NOT NULL,
        term text NOT NULL,
        tf int NOT NULL,
        FOREIGN KEY (run, source) REFERENCES docqa_staged_documents ON DELETE CASCADE
    );
    CREATE INDEX docqa_staged_postings_doc ON docqa_staged_postings (run, source);
    """,
    # Access groups, on documents and (for filters inside the vector scan) on their chunks;
    # readers' feedback, outside every generation so a rebuild keeps it.
    2: """
    ALTER TABLE docqa_documents ADD COLUMN groups text[] NOT NULL DEFAULT '{everyone}';
    ALTER TABLE docqa_chunks ADD COLUMN groups text[] NOT NULL DEFAULT '{everyone}';
    ALTER TABLE docqa_staged_documents ADD COLUMN groups text[] NOT NULL DEFAULT '{}';
    ALTER TABLE docqa_queue ADD COLUMN groups text[];
    CREATE TABLE docqa_feedback (
        id bigserial PRIMARY KEY,
        created timestamptz NOT NULL DEFAULT now(),
        record jsonb NOT NULL
    );
    CREATE INDEX docqa_feedback_created ON docqa_feedback (created);
    """,
    # The chunks a narrow group may read: the planner reads them through this index and
    # sorts them exactly, where the HNSW scan would pass over most rows to find a few.
    3: """
    CREATE INDEX docqa_chunks_groups ON docqa_chunks USING gin (groups);
    """,
    # Documents sent over the API and the jobs that index them, outside every generation:
    # every server of the database sees them, and they outlive any server's restart.
    4: """
    CREATE TABLE docqa_uploads (
        name text PRIMARY KEY,
        sha256 text NOT NULL,
        size bigint NOT NULL,
        data bytea NOT NULL,
        groups text[],
        uploader text,
        uploaded timestamptz NOT NULL DEFAULT now(),
        job text
    );
    CREATE TABLE docqa_jobs (
        id text PRIMARY KEY,
        seq bigserial,
        kind text NOT NULL,
        state text NOT NULL,
        created timestamptz NOT NULL DEFAULT now(),
        updated timestamptz NOT NULL DEFAULT now(),
        total int NOT NULL DEFAULT 0,
        processed int NOT NULL DEFAULT 0,
        targets jsonb NOT NULL,
        refused jsonb NOT NULL,
        report jsonb,
        error text,
        attempts int NOT NULL DEFAULT 0,
        owner text,
        heartbeat timestamptz,
        "user" text
    );
    CREATE INDEX docqa_jobs_waiting ON docqa_jobs (seq) WHERE state IN ('queued', 'running');
    CREATE TABLE docqa_keys (name text PRIMARY KEY, value bytea NOT NULL);
    """,
}


def visible(alias: str, generation: str = "%(g)s") -> str:
    """The SQL condition for rows of ``alias`` that generation ``generation`` holds."""
    a, g = alias, generation
    return f"{a}.added <= {g} AND ({a}.removed IS NULL OR {a}.removed > {g})"


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


def unreachable(url: str, exc: BaseException) -> StoreUnavailableError:
    """The error for a database that cannot be reached, its password hidden."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StoreUnavailableError(
        f"Cannot reach the database at {hidden(url)} ({first}). Check "
        "DOCQA_STORE__POSTGRES__URL and that PostgreSQL (with the vector extension) is running."
    )


def failure(url: str, exc: BaseException, what: str) -> DocQAError:
    """A database error as what it is: the database away, a role that may not do
    ``what``, a full disk, or (anything else) the database's own words."""
    import psycopg
    from psycopg import errors

    if isinstance(exc, psycopg.OperationalError) and not isinstance(
        exc, errors.DiskFull | errors.OutOfMemory
    ):
        return unreachable(url, exc)
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, errors.InsufficientPrivilege):
        return StorePermissionError(
            f"The database role of {hidden(url)} may not {what} ({first}). Grant it the "
            "privilege, or use a role that has it (see docs/operations.md, 'PostgreSQL')."
        )
    if isinstance(exc, errors.DiskFull | errors.ProgramLimitExceeded):
        return StorageFullError(f"The database at {hidden(url)} has no room to {what} ({first}).")
    if isinstance(exc, errors.ReadOnlySqlTransaction):
        return StorePermissionError(
            f"The database at {hidden(url)} is read-only (a replica?): it cannot {what}."
        )
    return StoreUnavailableError(f"The database at {hidden(url)} failed to {what} ({first}).")


def connect(url: str, *, autocommit: bool = True) -> Any:
    """A connection to a database with docqa's schema, pgvector's types registered;
    ``StoreUnavailableError`` naming the URL (its password hidden) when it cannot be had,
    ``StorePermissionError`` when its role may not create the schema it lacks."""
    import psycopg
    from pgvector.psycopg import register_vector

    try:
        connection = psycopg.connect(url, connect_timeout=10, autocommit=True)
    except psycopg.Error as exc:
        raise unreachable(url, exc) from None
    try:
        migrate(connection)
        register_vector(connection)
        connection.autocommit = autocommit
    except psycopg.Error as exc:
        connection.close()
        raise failure(url, exc, "create or upgrade docqa's tables") from None
    except DocQAError:
        connection.close()
        raise
    return connection


def schema_version(connection: Any) -> int:
    """The docqa schema the database holds (0: none), read without writing anything."""
    (exists,) = connection.execute("SELECT to_regclass('docqa_schema') IS NOT NULL").fetchone()
    if not exists:
        return 0
    (version,) = connection.execute("SELECT max(version) FROM docqa_schema").fetchone()
    return int(version or 0)


def migrate(connection: Any) -> None:
    """Create or upgrade docqa's tables to ``SCHEMA_VERSION``, under an advisory lock.

    A database already at this version is only read: a role that may only SELECT can
    serve questions from it.
    """
    current = schema_version(connection)
    if current > SCHEMA_VERSION:
        raise IndexMismatchError(
            f"The database has docqa schema {current}; this docqa knows up to "
            f"{SCHEMA_VERSION}. Upgrade docqa."
        )
    if current == SCHEMA_VERSION:
        return
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
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
