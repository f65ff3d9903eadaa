"""Uploads and jobs beside the local index: ``library.sqlite`` in the index folder,
outside every version folder (a rebuild never touches it).

SQLite with its rollback journal, each write one transaction (``BEGIN IMMEDIATE``), so
several servers on one index folder share the jobs, a process killed mid-write leaves
the last committed state, and a full disk fails a write without stopping reads (in WAL
mode, reading again after a failed write needs room for the WAL's index).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from app.errors import (
    DocQAError,
    QueueFullError,
    StorageFullError,
    StorePermissionError,
)
from app.store.library import (
    JobRecord,
    NewUpload,
    StoredUpload,
    new_job_id,
    now_iso,
    owner_alive,
    upload_name,
)
from app.types import Skipped

__all__ = ["SQLiteLibrary", "sqlite_failure"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (
    name TEXT PRIMARY KEY, sha256 TEXT NOT NULL, size INTEGER NOT NULL, data BLOB NOT NULL,
    groups TEXT, uploader TEXT, uploaded TEXT NOT NULL, job TEXT);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL, created TEXT NOT NULL,
    updated TEXT NOT NULL, total INTEGER NOT NULL DEFAULT 0,
    processed INTEGER NOT NULL DEFAULT 0, targets TEXT NOT NULL, refused TEXT NOT NULL,
    report TEXT, error TEXT, attempts INTEGER NOT NULL DEFAULT 0, owner TEXT,
    heartbeat REAL, user TEXT);
CREATE INDEX IF NOT EXISTS jobs_waiting ON jobs (state, created) WHERE state IN
    ('queued', 'running');
"""
_JOB_COLUMNS = (
    "id, kind, state, created, updated, total, processed, targets, refused, report, error, "
    "attempts, owner, user"
)
_KEPT_JOBS = 10_000  # finished jobs remembered; older ones are dropped


def sqlite_failure(path: Path, exc: sqlite3.Error | OSError, what: str) -> DocQAError:
    """A database or file error as docqa's own: a full disk, a folder that may not be
    written, or (anything else) damage, each naming ``path``."""
    text = str(exc).lower()
    code = getattr(exc, "errno", None)
    if "full" in text or code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or _no_room(path):
        return StorageFullError(
            f"No room left to {what}: the disk holding {path} is full. Free some space; "
            "nothing half-written was kept."
        )
    if "readonly" in text or "read-only" in text or code in (errno.EROFS, errno.EACCES):
        return StorePermissionError(
            f"Cannot {what}: {path} may not be written (read-only folder or file)."
        )
    return StorageFullError(f"Cannot {what} in {path} ({type(exc).__name__}: {exc}).")


def _no_room(path: Path) -> bool:
    """Whether the disk holding ``path`` is (nearly) full: SQLite reports some writes
    that find no room as I/O errors."""
    try:
        return shutil.disk_usage(path.parent).free < 1024 * 1024
    except OSError:
        return False


class SQLiteLibrary:
    """Uploads and jobs in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._ready = False

    @contextlib.contextmanager
    def _db(self, what: str, write: bool = False) -> Iterator[sqlite3.Connection]:
        try:
            if write:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock, contextlib.closing(self._connect(write)) as db:
                if write:
                    db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    if write:
                        db.rollback()
                    raise
                if write:
                    db.commit()
        except (sqlite3.Error, OSError) as exc:
            raise sqlite_failure(self.path, exc, what) from None

    def _connect(self, write: bool) -> sqlite3.Connection:
        if not write and not self.path.exists():
            db = sqlite3.connect(":memory:", isolation_level=None)
            db.executescript(_SCHEMA)
            return db
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        if not self._ready:
            db.executescript(_SCHEMA)
            self._ready = True
        return db

    # -- uploads ---------------------------------------------------------------------

    def submit_upload(
        self,
        files: Sequence[NewUpload],
        groups: tuple[str, ...] | None,
        user: str | None,
        refused: Sequence[Skipped],
        max_waiting: int,
    ) -> JobRecord:
        """Keep the files and queue their job, in one transaction."""
        job = JobRecord(
            id=new_job_id(), kind="upload", targets=[f.name for f in files],
            refused=list(refused), user=user, total=len(files),
        )  # fmt: skip
        with self._db("keep the upload", write=True) as db:
            _check_room(db, max_waiting)
            for file in files:
                kept = groups
                if kept is None:
                    row = db.execute("SELECT groups FROM uploads WHERE name = ?", (file.name,))
                    found = row.fetchone()
                    kept = _groups(found[0]) if found is not None else None
                db.execute(
                    "INSERT OR REPLACE INTO uploads VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        file.name,
                        hashlib.sha256(file.data).hexdigest(),
                        len(file.data),
                        file.data,
                        None if kept is None else json.dumps(list(kept)),
                        user,
                        now_iso(),
                        job.id,
                    ),
                )
            _insert_job(db, job)
        return job

    def submit_delete(self, source: str, user: str | None, max_waiting: int) -> JobRecord:
        """Queue the removal of ``source``."""
        job = JobRecord(id=new_job_id(), kind="delete", targets=[source], user=user, total=1)
        name = upload_name(source)
        with self._db("queue the removal", write=True) as db:
            _check_room(db, max_waiting)
            if name is not None:  # the record goes now: a later upload of the name is new
                db.execute("DELETE FROM uploads WHERE name = ?", (name,))
            _insert_job(db, job)
        return job

    def uploads(self, names: Sequence[str] | None = None) -> list[StoredUpload]:
        """Upload records, without bytes."""
        query = "SELECT name, sha256, size, groups, uploader, uploaded, job FROM uploads"
        with self._db("read the uploads") as db:
            if names is None:
                rows = db.execute(query + " ORDER BY name").fetchall()
            else:
                rows = []
                for start in range(0, len(names), 500):
                    part = list(names[start : start + 500])
                    marks = ",".join("?" * len(part))
                    rows += db.execute(f"{query} WHERE name IN ({marks})", part).fetchall()
                rows.sort(key=lambda r: r[0])
        return [StoredUpload(r[0], r[1], r[2], _groups(r[3]), r[4], r[5], r[6]) for r in rows]

    def data(self, name: str) -> bytes | None:
        """An upload's bytes."""
        with self._db("read an upload") as db:
            row = db.execute("SELECT data FROM uploads WHERE name = ?", (name,)).fetchone()
        return None if row is None else bytes(row[0])

    def forget(self, name: str, sha256: str | None = None) -> bool:
        """Remove an upload record."""
        with self._db("remove an upload", write=True) as db:
            if sha256 is None:
                cursor = db.execute("DELETE FROM uploads WHERE name = ?", (name,))
            else:
                cursor = db.execute(
                    "DELETE FROM uploads WHERE name = ? AND sha256 = ?", (name, sha256)
                )
            return cursor.rowcount > 0

    # -- jobs ------------------------------------------------------------------------

    def job(self, job_id: str) -> JobRecord | None:
        """A job by id."""
        with self._db("read a job") as db:
            row = db.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
            found = row.fetchone()
        return None if found is None else _job(found)

    def waiting(self) -> list[JobRecord]:
        """Jobs queued or running, oldest first."""
        with self._db("read the jobs") as db:
            rows = db.execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE state IN ('queued', 'running') "
                "ORDER BY created, rowid"
            ).fetchall()
        return [_job(r) for r in rows]

    def claim(self, owner: str, lease_seconds: float) -> JobRecord | None:
        """The next job to run, now ``owner``'s."""
        with self._db("claim a job", write=True) as db:
            rows = db.execute(
                "SELECT id, state, owner, heartbeat, attempts FROM jobs "
                "WHERE state IN ('queued', 'running') ORDER BY created, rowid"
            ).fetchall()
            for job_id, state, holder, heartbeat, _attempts in rows:
                if state == "running":
                    alive = owner_alive(holder)
                    stale = heartbeat is None or time.time() - heartbeat > lease_seconds
                    if alive or (alive is None and not stale):
                        continue
                db.execute(
                    "UPDATE jobs SET state = 'running', owner = ?, heartbeat = ?, "
                    "attempts = attempts + 1, updated = ? WHERE id = ?",
                    (owner, time.time(), now_iso(), job_id),
                )
                row = db.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
                return _job(row.fetchone())
        return None

    def progress(self, job_id: str, owner: str, processed: int, total: int) -> bool:
        """Record progress and the owner's heartbeat."""
        with self._db("record a job's progress", write=True) as db:
            cursor = db.execute(
                "UPDATE jobs SET processed = ?, total = ?, heartbeat = ?, updated = ? "
                "WHERE id = ? AND owner = ? AND state = 'running'",
                (processed, total, time.time(), now_iso(), job_id, owner),
            )
            return cursor.rowcount > 0

    def finish(
        self,
        job_id: str,
        owner: str,
        state: Literal["done", "failed"],
        report: dict[str, Any] | None,
        error: str | None,
    ) -> None:
        """End a job."""
        with self._db("record a job's end", write=True) as db:
            held = db.execute(
                "SELECT 1 FROM jobs WHERE id = ? AND owner = ? AND state = 'running'",
                (job_id, owner),
            ).fetchone()
            if held is not None:
                _end(db, job_id, state, report, error)
            db.execute(
                "DELETE FROM jobs WHERE state IN ('done', 'failed') AND rowid <= "
                "(SELECT rowid FROM jobs WHERE state IN ('done', 'failed') "
                "ORDER BY rowid DESC LIMIT 1 OFFSET ?)",
                (_KEPT_JOBS,),
            )

    def close(self) -> None:
        """Nothing is held open between calls."""


def _check_room(db: sqlite3.Connection, max_waiting: int) -> None:
    (waiting,) = db.execute(
        "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')"
    ).fetchone()
    if waiting >= max_waiting:
        raise QueueFullError(
            f"{waiting} document jobs are waiting; the limit is {max_waiting} "
            "(DOCQA_UPLOADS__MAX_WAITING_JOBS). Try again when some have finished.",
            retry_after=30,
        )


def _insert_job(db: sqlite3.Connection, job: JobRecord) -> None:
    db.execute(
        f"INSERT INTO jobs ({_JOB_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            job.id, job.kind, job.state, job.created, job.updated, job.total, job.processed,
            json.dumps(job.targets), json.dumps([[s.source, s.reason] for s in job.refused]),
            None, None, 0, None, job.user,
        ),
    )  # fmt: skip


def _end(
    db: sqlite3.Connection,
    job_id: str,
    state: str,
    report: dict[str, Any] | None,
    error: str | None,
) -> None:
    db.execute(
        "UPDATE jobs SET state = ?, report = ?, error = ?, updated = ?, owner = NULL WHERE id = ?",
        (state, None if report is None else json.dumps(report), error, now_iso(), job_id),
    )


def _groups(value: str | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(json.loads(value))


def _job(row: Sequence[Any]) -> JobRecord:
    (job_id, kind, state, created, updated, total, processed, targets, refused, report,
     error, attempts, owner, user) = row  # fmt: skip
    return JobRecord(
        id=job_id, kind=kind, state=state, created=created, updated=updated, total=total,
        processed=processed, targets=json.loads(targets),
        refused=[Skipped(f, r) for f, r in json.loads(refused)],
        report=None if report is None else json.loads(report), error=error,
        attempts=attempts, owner=owner, user=user,
    )  # fmt: skip
