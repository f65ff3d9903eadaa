"""Uploads and jobs in PostgreSQL (``docqa_uploads``, ``docqa_jobs``), shared by every
server and index worker of the database; a job is claimed with ``FOR UPDATE SKIP
LOCKED``, so two servers never run the same one."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from psycopg.types.json import Jsonb

from app.errors import QueueFullError
from app.store.library import (
    JobRecord,
    NewUpload,
    StoredUpload,
    new_job_id,
    owner_alive,
    upload_name,
)
from app.store.postgres.connections import Connections
from app.types import Skipped

__all__ = ["PostgresLibrary"]

_JOB_COLUMNS = (
    "id, kind, state, created, updated, total, processed, targets, refused, report, error, "
    'attempts, owner, "user"'
)
_KEPT_JOBS = 10_000


class PostgresLibrary:
    """Uploads and jobs in the backend's database."""

    def __init__(self, connections: Connections) -> None:
        self._connections = connections

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
        with self._connections.connection("keep the upload") as c, c.transaction():
            _check_room(c, max_waiting)
            for file in files:
                c.execute(
                    "INSERT INTO docqa_uploads (name, sha256, size, data, groups, uploader, job) "
                    "VALUES (%(name)s, %(sha)s, %(size)s, %(data)s, %(groups)s, %(user)s, %(job)s) "
                    "ON CONFLICT (name) DO UPDATE SET sha256 = EXCLUDED.sha256, "
                    "size = EXCLUDED.size, data = EXCLUDED.data, uploader = EXCLUDED.uploader, "
                    "uploaded = now(), job = EXCLUDED.job, "
                    "groups = CASE WHEN %(given)s THEN EXCLUDED.groups "
                    "ELSE docqa_uploads.groups END",
                    {
                        "name": file.name, "sha": hashlib.sha256(file.data).hexdigest(),
                        "size": len(file.data), "data": file.data,
                        "groups": None if groups is None else list(groups),
                        "given": groups is not None, "user": user, "job": job.id,
                    },
                )  # fmt: skip
            _insert_job(c, job)
        return job

    def submit_delete(self, source: str, user: str | None, max_waiting: int) -> JobRecord:
        """Queue the removal of ``source``."""
        job = JobRecord(id=new_job_id(), kind="delete", targets=[source], user=user, total=1)
        name = upload_name(source)
        with self._connections.connection("queue the removal") as c, c.transaction():
            _check_room(c, max_waiting)
            if name is not None:  # the record goes now: a later upload of the name is new
                c.execute("DELETE FROM docqa_uploads WHERE name = %s", (name,))
            _insert_job(c, job)
        return job

    def uploads(self, names: Sequence[str] | None = None) -> list[StoredUpload]:
        """Upload records, without bytes."""
        with self._connections.connection("read the uploads") as c:
            rows = c.execute(
                "SELECT name, sha256, size, groups, uploader, uploaded, job FROM docqa_uploads "
                "WHERE %(names)s::text[] IS NULL OR name = ANY(%(names)s::text[]) ORDER BY name",
                {"names": None if names is None else list(names)},
            ).fetchall()
        return [
            StoredUpload(
                r[0],
                r[1],
                int(r[2]),
                None if r[3] is None else tuple(r[3]),
                r[4],
                _iso(r[5]),
                r[6],
            )
            for r in rows
        ]

    def data(self, name: str) -> bytes | None:
        """An upload's bytes."""
        with self._connections.connection("read an upload") as c:
            row = c.execute("SELECT data FROM docqa_uploads WHERE name = %s", (name,)).fetchone()
        return None if row is None else bytes(row[0])

    def forget(self, name: str, sha256: str | None = None) -> bool:
        """Remove an upload record."""
        with self._connections.connection("remove an upload") as c:
            cursor = c.execute(
                "DELETE FROM docqa_uploads WHERE name = %s AND (%s::text IS NULL OR sha256 = %s)",
                (name, sha256, sha256),
            )
            return cursor.rowcount > 0

    def job(self, job_id: str) -> JobRecord | None:
        """A job by id."""
        with self._connections.connection("read a job") as c:
            row = c.execute(
                f"SELECT {_JOB_COLUMNS} FROM docqa_jobs WHERE id = %s", (job_id,)
            ).fetchone()
        return None if row is None else _job(row)

    def waiting(self) -> list[JobRecord]:
        """Jobs queued or running, oldest first."""
        with self._connections.connection("read the jobs") as c:
            rows = c.execute(
                f"SELECT {_JOB_COLUMNS} FROM docqa_jobs WHERE state IN ('queued', 'running') "
                "ORDER BY seq"
            ).fetchall()
        return [_job(r) for r in rows]

    def claim(self, owner: str, lease_seconds: float) -> JobRecord | None:
        """The next job to run, now ``owner``'s; a job another server holds is skipped."""
        with self._connections.connection("claim a job") as c, c.transaction():
            rows = c.execute(
                "SELECT id, state, owner, extract(epoch FROM now() - heartbeat) FROM docqa_jobs "
                "WHERE state IN ('queued', 'running') ORDER BY seq FOR UPDATE SKIP LOCKED"
            ).fetchall()
            for job_id, state, holder, silent in rows:
                if state == "running":
                    alive = owner_alive(holder)
                    stale = silent is None or float(silent) > lease_seconds
                    if alive or (alive is None and not stale):
                        continue
                row = c.execute(
                    "UPDATE docqa_jobs SET state = 'running', owner = %s, heartbeat = now(), "
                    f"attempts = attempts + 1, updated = now() WHERE id = %s "
                    f"RETURNING {_JOB_COLUMNS}",
                    (owner, job_id),
                ).fetchone()
                return _job(row)
        return None

    def progress(self, job_id: str, owner: str, processed: int, total: int) -> bool:
        """Record progress and the owner's heartbeat."""
        with self._connections.connection("record a job's progress") as c:
            cursor = c.execute(
                "UPDATE docqa_jobs SET processed = %s, total = %s, heartbeat = now(), "
                "updated = now() WHERE id = %s AND owner = %s AND state = 'running'",
                (processed, total, job_id, owner),
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
        with self._connections.connection("record a job's end") as c, c.transaction():
            c.execute(
                "UPDATE docqa_jobs SET state = %s, report = %s, error = %s, updated = now(), "
                "owner = NULL WHERE id = %s AND owner = %s AND state = 'running'",
                (state, None if report is None else Jsonb(report), error, job_id, owner),
            )
            c.execute(
                "DELETE FROM docqa_jobs WHERE state IN ('done', 'failed') AND seq <= "
                "(SELECT seq FROM docqa_jobs WHERE state IN ('done', 'failed') "
                "ORDER BY seq DESC OFFSET %s LIMIT 1)",
                (_KEPT_JOBS,),
            )

    def close(self) -> None:
        """The backend closes the shared connections."""


def _check_room(c: Any, max_waiting: int) -> None:
    # One submission at a time counts the queue: two cannot both take its last place.
    c.execute("LOCK TABLE docqa_jobs IN SHARE ROW EXCLUSIVE MODE")
    (waiting,) = c.execute(
        "SELECT count(*) FROM docqa_jobs WHERE state IN ('queued', 'running')"
    ).fetchone()
    if waiting >= max_waiting:
        raise QueueFullError(
            f"{waiting} document jobs are waiting; the limit is {max_waiting} "
            "(DOCQA_UPLOADS__MAX_WAITING_JOBS). Try again when some have finished.",
            retry_after=30,
        )


def _insert_job(c: Any, job: JobRecord) -> None:
    c.execute(
        'INSERT INTO docqa_jobs (id, kind, state, total, targets, refused, "user") '
        "VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (
            job.id, job.kind, job.state, job.total, Jsonb(job.targets),
            Jsonb([[s.source, s.reason] for s in job.refused]), job.user,
        ),
    )  # fmt: skip


def _iso(value: datetime | str) -> str:
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else str(value)


def _job(row: Sequence[Any]) -> JobRecord:
    (job_id, kind, state, created, updated, total, processed, targets, refused, report,
     error, attempts, owner, user) = row  # fmt: skip
    return JobRecord(
        id=job_id, kind=kind, state=state, created=_iso(created), updated=_iso(updated),
        total=total, processed=processed, targets=list(targets),
        refused=[Skipped(f, r) for f, r in refused], report=report, error=error,
        attempts=attempts, owner=owner, user=user,
    )  # fmt: skip
