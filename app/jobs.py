"""Documents added and removed over the API, indexed in the background by durable jobs.

An upload is kept (its bytes, groups and sender) and its job queued in one transaction
of the store's database before the request is answered; a deletion queues its job. Each
server runs one worker thread that claims the oldest job no live server holds, so jobs
survive restarts, are visible from every server of a database, and one whose server
died is claimed again and resumed. While it runs, a job reports its progress (which is
also its server's sign of life). When it ends, every document it was given is either in
the live index or removed with its reason: nothing is left kept but not indexed.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import PurePosixPath
from typing import Any, Literal

from app.errors import DocQAError, IndexNotFoundError
from app.indexing import IndexReport
from app.service import DocQA
from app.sources import SUFFIXES
from app.sources.access import load_rules
from app.store.library import (
    MAX_ATTEMPTS,
    JobRecord,
    NewUpload,
    this_owner,
)
from app.types import Reader, Skipped

__all__ = ["Jobs", "adopt_uploads_folder", "report_of"]

logger = logging.getLogger(__name__)


class Jobs:
    """Submits document jobs and runs them, one at a time, in a background thread."""

    def __init__(self, service: DocQA, *, poll_seconds: float = 1.0) -> None:
        self.service = service
        self.settings = service.settings.uploads
        self.owner = this_owner()
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- what the API calls ----------------------------------------------------------

    def upload(
        self,
        files: Sequence[NewUpload],
        refused: Sequence[Skipped],
        groups: tuple[str, ...] | None,
        reader: Reader | None = None,
    ) -> JobRecord:
        """Keep ``files`` and queue their indexing; ``groups`` None keeps the groups of a
        document of the same name (else the defaults apply)."""
        job = self.service.library.submit_upload(
            files, groups, _who(reader), refused, self.settings.max_waiting_jobs
        )
        self._wake.set()
        return job

    def delete(self, source: str, reader: Reader | None = None) -> JobRecord:
        """Queue the removal of the document indexed as ``source`` (with its upload)."""
        job = self.service.library.submit_delete(
            source, _who(reader), self.settings.max_waiting_jobs
        )
        self._wake.set()
        return job

    def get(self, job_id: str) -> JobRecord | None:
        """A job by id, whichever server took it."""
        return self.service.library.job(job_id)

    def pending(self) -> list[JobRecord]:
        """Jobs not finished yet, oldest first."""
        return self.service.library.waiting()

    # -- the worker ------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker thread (jobs left by a stopped server are resumed too)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="docqa-jobs", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Stop taking jobs; the running one finishes first (one a server is killed in is
        resumed by the next server to start)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _loop(self) -> None:
        said = None  # a problem is logged once, until it changes or goes away
        while not self._stop.is_set():
            try:
                ran = self.run_next()
                said = None
            except DocQAError as exc:  # the database is away, or may not be written
                if str(exc) != said:
                    logger.warning("jobs: %s", exc)
                    said = str(exc)
                ran = False
            except Exception as exc:  # a bug: logged, and the worker goes on
                logger.error("jobs: unexpected %s", type(exc).__name__, exc_info=exc)
                ran = False
            if not ran:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def run_next(self) -> bool:
        """Claim and run the next job; False when there was none."""
        job = self.service.library.claim(self.owner, self.settings.job_lease_seconds)
        if job is None:
            return False
        self.run(job)
        return True

    def run(self, job: JobRecord) -> None:
        """Run a claimed job to its end, whatever happens."""
        if job.attempts > MAX_ATTEMPTS:
            self._end(job, None, "failed", error=_gave_up(job.attempts - 1))
            return
        report: IndexReport | None = None
        try:
            with self._alive(job) as observe:
                if job.kind == "upload":
                    report = self.service.index(
                        [], mode="merge", uploads=job.targets, observe=observe
                    )
                else:
                    report = self.service.index([], mode="merge", removals=job.targets)
        except DocQAError as exc:
            self._end(job, report, "failed", error=str(exc))
            return
        except Exception as exc:  # a bug: the job says so, the server goes on
            logger.error("job %s failed: %s", job.id, type(exc).__name__, exc_info=exc)
            self._end(job, report, "failed", error="The job failed inside docqa.")
            return
        self._end(job, report, "done")

    @contextlib.contextmanager
    def _alive(self, job: JobRecord) -> Iterator[Any]:
        """Progress as the run reports it, and a heartbeat while a long batch embeds."""
        counts = [job.processed, job.total]
        stop = threading.Event()

        def observe(done: int, total: int) -> None:
            counts[:] = [done, total]
            self.service.library.progress(job.id, self.owner, done, total)

        def beat() -> None:
            while not stop.wait(self.settings.job_lease_seconds / 4):
                with contextlib.suppress(DocQAError):
                    self.service.library.progress(job.id, self.owner, *counts)

        heart = threading.Thread(target=beat, name=f"docqa-job-{job.id[:8]}", daemon=True)
        heart.start()
        try:
            yield observe
        finally:
            stop.set()
            heart.join()

    def _end(
        self,
        job: JobRecord,
        report: IndexReport | None,
        state: Literal["done", "failed"],
        error: str | None = None,
    ) -> None:
        """Record the job's end, once each document it was given is indexed or removed."""
        summary = report_of(report) if report is not None else None
        if job.kind == "upload":
            removed = self._drop_unindexed(job, report)
            if summary is not None:
                summary["not_kept"] = removed
            elif removed:
                summary = {"not_kept": removed}
        processed = job.total if state == "done" else job.processed
        self.service.library.progress(job.id, self.owner, processed, job.total)
        self.service.library.finish(job.id, self.owner, state, summary, error)

    def _drop_unindexed(self, job: JobRecord, report: IndexReport | None) -> list[str]:
        """Remove the job's upload records the live index does not hold (skipped, a
        duplicate, or a failed run), so none is kept without being indexed."""
        library = self.service.library
        mine = [r for r in library.uploads(job.targets) if r.job == job.id]
        if not mine:
            return []
        try:
            indexed = self.service.store.hashes([r.source for r in mine])
        except DocQAError:
            indexed = {}
        dropped = []
        for record in mine:
            if indexed.get(record.source) != record.sha256:
                library.forget(record.name, record.sha256)
                dropped.append(record.source)
        if dropped:
            logger.info("job %s: %d uploads not indexed were removed", job.id, len(dropped))
        return dropped


def adopt_uploads_folder(service: DocQA) -> int:
    """Take the files an earlier docqa kept in its uploads folder into the store, once.

    Each becomes an upload record with the groups the folder's ``access.yaml`` gave it,
    queued for indexing as ``upload://NAME``; its old source (``uploads/NAME``) is dropped
    from the index, and the folder is renamed ``uploads.adopted``. Returns how many files
    were taken; a crash on the way repeats it at the next start.
    """
    folder = service.settings.uploads_folder
    if not folder.is_dir():
        return 0
    rules = load_rules(folder)  # a broken access file stops it here, named
    by_groups: dict[tuple[str, ...] | None, list[NewUpload]] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in SUFFIXES and not path.name.startswith("."):
            groups = rules.groups(PurePosixPath(path.name))
            by_groups.setdefault(groups, []).append(NewUpload(path.name, path.read_bytes()))
    for groups, files in by_groups.items():
        service.library.submit_upload(files, groups, None, (), max_waiting=10**9)
    old = [f"{folder.name}/{f.name}" for files in by_groups.values() for f in files]
    if old:
        with contextlib.suppress(IndexNotFoundError):
            service.store  # noqa: B018 (no index yet: nothing to drop)
            service.index([], mode="merge", removals=old)
    target = folder.with_name(folder.name + ".adopted")
    if target.exists():
        target = folder.with_name(f"{folder.name}.adopted-{int(time.time())}")
    folder.rename(target)
    logger.info("took %d files of %s into the store", len(old), folder)
    return len(old)


def report_of(report: IndexReport) -> dict[str, Any]:
    """A run's report as a job shows it."""
    return {
        "version": report.version,
        "documents": report.documents,
        "new": report.new_documents,
        "kept": report.reused_documents,
        "removed": report.removed_documents,
        "regrouped": report.regrouped_documents,
        "skipped": [{"file": s.source, "reason": s.reason} for s in report.skipped],
    }


def _who(reader: Reader | None) -> str | None:
    """Who sent a job: the user's id, or None for the API token's service accounts."""
    return reader.user if reader is not None else None


def _gave_up(attempts: int) -> str:
    return (
        f"The job was interrupted {attempts} times (its server stopped while running it); "
        "its documents were not indexed. Send them again."
    )
