"""Documents sent over the API and the jobs that index them, kept by the store backend.

An uploaded document is a record, not a file in a folder: its name, bytes, access groups
and who sent it live in the backend's own database (``library.sqlite`` beside the local
index's versions, or PostgreSQL's ``docqa_uploads``), and are indexed under
``upload://NAME``, a source no folder can produce. Jobs are rows too, so every server of
a database sees them, they survive restarts, and one interrupted by a crash is claimed
again and resumed (at most ``MAX_ATTEMPTS`` times).

The write paths keep one rule: an accepted upload is written, with its job, in one
transaction before the request is answered; when a job ends, every record it wrote that
the live index does not hold is removed with the reason. So a record is either indexed,
or waiting for a job that will index it or remove it.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from app.types import Skipped

__all__ = [
    "MAX_ATTEMPTS",
    "UPLOAD_PREFIX",
    "JobKind",
    "JobRecord",
    "JobState",
    "Library",
    "NewUpload",
    "StoredUpload",
    "new_job_id",
    "now_iso",
    "owner_alive",
    "this_owner",
    "upload_name",
    "upload_source",
]

# Sources of uploaded documents: a folder's sources are relative paths, which never hold
# "//", so an operator's folder (even one named "upload:") can never take one of these.
UPLOAD_PREFIX = "upload://"
MAX_ATTEMPTS = 3  # a job whose server died this many times while running it fails

JobKind = Literal["upload", "delete"]
JobState = Literal["queued", "running", "done", "failed"]


def upload_source(name: str) -> str:
    """The source an uploaded document is indexed under."""
    return UPLOAD_PREFIX + name


def upload_name(source: str) -> str | None:
    """The upload's name for an ``upload://`` source; None for any other source."""
    return source[len(UPLOAD_PREFIX) :] if source.startswith(UPLOAD_PREFIX) else None


def now_iso() -> str:
    """The time now, as records keep it (UTC, seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_job_id() -> str:
    """A fresh job id."""
    return uuid.uuid4().hex


_HOST = socket.gethostname()


def this_owner() -> str:
    """Who runs a job: this host and process (checked for life on the same host)."""
    return f"{_HOST}:{os.getpid()}"


def owner_alive(owner: str | None) -> bool | None:
    """Whether the process named by ``owner`` still runs: True or False on this host,
    None when it runs elsewhere (its lease decides)."""
    if not owner or ":" not in owner:
        return False
    host, _, pid = owner.rpartition(":")
    if host != _HOST or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class NewUpload:
    """A file of an upload that passed the checks, to be kept and indexed."""

    name: str
    data: bytes


@dataclass(frozen=True)
class StoredUpload:
    """An uploaded document as kept (without its bytes).

    ``groups`` None: the access defaults apply (no groups were ever given for it).
    """

    name: str
    sha256: str
    size: int
    groups: tuple[str, ...] | None
    uploader: str | None
    uploaded: str
    job: str | None

    @property
    def source(self) -> str:
        """The source it is indexed under."""
        return upload_source(self.name)


@dataclass
class JobRecord:
    """One upload or deletion and how far it got, as the backend keeps it."""

    id: str
    kind: JobKind
    state: JobState = "queued"
    created: str = field(default_factory=now_iso)
    updated: str = field(default_factory=now_iso)
    total: int = 0
    processed: int = 0
    # Upload jobs: the upload names they add; delete jobs: the one source they remove.
    targets: list[str] = field(default_factory=list)
    refused: list[Skipped] = field(default_factory=list)
    report: dict[str, Any] | None = None
    error: str | None = None
    attempts: int = 0
    owner: str | None = None
    user: str | None = None

    @property
    def sources(self) -> list[str]:
        """The sources the job adds or removes."""
        if self.kind == "upload":
            return [upload_source(n) for n in self.targets]
        return list(self.targets)

    @property
    def finished(self) -> bool:
        """Whether the job is done or failed."""
        return self.state in ("done", "failed")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of ``GET /api/jobs/{id}``."""
        return {
            "job": self.id,
            "kind": self.kind,
            "state": self.state,
            "created": self.created,
            "updated": self.updated,
            "progress": {"processed": self.processed, "total": self.total},
            "sources": self.sources,
            "refused": [{"file": s.source, "reason": s.reason} for s in self.refused],
            "report": self.report,
            "error": self.error,
            "attempts": self.attempts,
        }


class Library(Protocol):
    """Uploaded documents and jobs, in the backend's database.

    Errors: ``QueueFullError`` when too many jobs wait, ``StorageFullError`` when the disk
    or database has no room (nothing is kept then), ``StoreUnavailableError`` when the
    database cannot be reached.
    """

    def submit_upload(
        self,
        files: Sequence[NewUpload],
        groups: tuple[str, ...] | None,
        user: str | None,
        refused: Sequence[Skipped],
        max_waiting: int,
    ) -> JobRecord:
        """Keep ``files`` and queue the job that indexes them, in one transaction.

        ``groups`` None keeps the groups a record of the same name already has (a
        corrected re-upload stays as restricted as it was), else the defaults apply.
        """
        ...

    def submit_delete(self, source: str, user: str | None, max_waiting: int) -> JobRecord:
        """Queue the removal of ``source`` from the index; an upload's record is removed
        at once, in the same transaction (an upload of the name sent after this is new,
        and no run indexes the removed one again)."""
        ...

    def uploads(self, names: Sequence[str] | None = None) -> list[StoredUpload]:
        """Upload records (all, or those named), in name order, without bytes."""
        ...

    def data(self, name: str) -> bytes | None:
        """An upload's bytes, or None when it is no longer kept."""
        ...

    def forget(self, name: str, sha256: str | None = None) -> bool:
        """Remove an upload record (only if it still holds ``sha256``, when given)."""
        ...

    def job(self, job_id: str) -> JobRecord | None:
        """A job by id."""
        ...

    def waiting(self) -> list[JobRecord]:
        """Jobs queued or running, oldest first."""
        ...

    def claim(self, owner: str, lease_seconds: float) -> JobRecord | None:
        """The oldest queued job, or a running one whose server died (its owner gone from
        this host, or silent for ``lease_seconds``), now running for ``owner``."""
        ...

    def progress(self, job_id: str, owner: str, processed: int, total: int) -> bool:
        """Record progress (and that ``owner`` is alive); False when the job is no
        longer ``owner``'s."""
        ...

    def finish(
        self,
        job_id: str,
        owner: str,
        state: Literal["done", "failed"],
        report: dict[str, Any] | None,
        error: str | None,
    ) -> None:
        """End a job ``owner`` runs."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
