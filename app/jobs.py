"""Documents added and removed over the API, indexed in the background.

Each upload or deletion is a job with an id; one worker thread runs them in order (one
indexing run at a time, as the store wants), while questions go on being answered from
the last complete version. A job is ``queued``, then ``running`` with counts, then
``done`` with its report, or ``failed`` with the reason. Jobs are kept in this process
(a restart forgets them; the files and the index keep what they did).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from wcmatch import glob

from app.errors import DocQAError
from app.indexing import IndexReport
from app.service import DocQA
from app.sources.access import ACCESS_FILE, load_rules
from app.types import Skipped
from app.uploads import Received

__all__ = ["Job", "Jobs"]

logger = logging.getLogger(__name__)

_KEPT = 1000  # finished jobs remembered


@dataclass
class Job:
    """One upload or deletion and how far it got."""

    id: str
    kind: Literal["upload", "delete"]
    state: Literal["queued", "running", "done", "failed"] = "queued"
    created: float = field(default_factory=time.time)
    total: int = 0
    processed: int = 0
    refused: list[Skipped] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # what it adds or removes
    report: dict[str, Any] | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of ``GET /api/jobs/{id}``."""
        return {
            "job": self.id,
            "kind": self.kind,
            "state": self.state,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.created)),
            "progress": {"processed": self.processed, "total": self.total},
            "refused": [{"file": s.source, "reason": s.reason} for s in self.refused],
            "report": self.report,
            "error": self.error,
        }


class Jobs:
    """The background indexing of documents sent or removed over the API."""

    def __init__(self, service: DocQA) -> None:
        self.service = service
        self.folder: Path = service.settings.uploads_folder
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="docqa-jobs")

    def get(self, job_id: str) -> Job | None:
        """A job by id, or None."""
        with self._lock:
            return self._jobs.get(job_id)

    def upload(
        self, files: list[Received], refused: list[Skipped], groups: tuple[str, ...] | None
    ) -> Job:
        """Keep ``files`` in the uploads folder and index them (with ``groups``, else the
        access rules and defaults); ``refused`` are reported with the job."""
        job = self._new("upload", refused)
        job.total = len(files)
        job.sources = [f"{self.folder.name}/{f.name}" for f in files]
        self._worker.submit(self._run, job, self._store_files, files, groups)
        return job

    def delete(self, source: str) -> Job:
        """Drop the document indexed as ``source`` (its file too, when it was uploaded)."""
        job = self._new("delete", [])
        job.total = 1
        job.sources = [source]
        self._worker.submit(self._run, job, self._remove_file, source)
        return job

    def pending(self) -> list[Job]:
        """Jobs not finished yet, oldest first."""
        with self._lock:
            return [j for j in self._jobs.values() if j.state in ("queued", "running")]

    def close(self) -> None:
        """Let the running job finish; drop the queued ones."""
        self._worker.shutdown(wait=True, cancel_futures=True)

    def _new(self, kind: Literal["upload", "delete"], refused: list[Skipped]) -> Job:
        job = Job(id=uuid.uuid4().hex, kind=kind, refused=list(refused))
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > _KEPT:
                self._jobs.popitem(last=False)
        return job

    def _run(self, job: Job, prepare: Any, *arguments: Any) -> None:
        job.state = "running"
        try:
            paths, removals = prepare(*arguments)

            def observe(done: int, total: int) -> None:
                job.processed, job.total = done, total

            report = self.service.index(paths, mode="merge", removals=removals, observe=observe)
        except DocQAError as exc:
            job.state, job.error = "failed", str(exc)
            return
        except Exception as exc:  # a bug: the job says so, the server goes on
            logger.error("job %s failed: %s", job.id, type(exc).__name__, exc_info=exc)
            job.state, job.error = "failed", "The job failed inside docqa."
            return
        job.report = _report(report)
        job.processed = job.total
        job.state = "done"

    def _store_files(
        self, files: list[Received], groups: tuple[str, ...] | None
    ) -> tuple[list[Path], list[str]]:
        self.folder.mkdir(parents=True, exist_ok=True)
        for received in files:
            target = self.folder / received.name
            partial = self.folder / f".{received.name}.part"
            partial.write_bytes(received.data)
            os.replace(partial, target)  # a file is whole or absent
        if files:
            self._set_groups([f.name for f in files], groups)
        return [self.folder], []

    def _remove_file(self, source: str) -> tuple[list[Path], list[str]]:
        prefix = self.folder.name + "/"
        if source.startswith(prefix):
            name = source[len(prefix) :]
            (self.folder / name).unlink(missing_ok=True)
            self._set_groups([name], None)
            return [self.folder] if self.folder.is_dir() else [], [source]
        return [], [source]

    def _set_groups(self, names: list[str], groups: tuple[str, ...] | None) -> None:
        """The uploads folder's access file: a rule for each name given groups, first."""
        path = self.folder / ACCESS_FILE
        # Read as indexing reads it: a file broken by hand fails the job, named.
        patterns = {glob.escape(n) for n in names}
        rules = [
            {"match": match, "groups": list(named)}
            for match, named in load_rules(self.folder).rules
            if match not in patterns
        ]
        if groups:
            rules = [{"match": glob.escape(n), "groups": list(groups)} for n in names] + rules
        partial = self.folder / f".{ACCESS_FILE}.part"
        partial.write_text(yaml.safe_dump({"rules": rules}, sort_keys=False), encoding="utf-8")
        os.replace(partial, path)


def _report(report: IndexReport) -> dict[str, Any]:
    return {
        "version": report.version,
        "documents": report.documents,
        "new": report.new_documents,
        "kept": report.reused_documents,
        "removed": report.removed_documents,
        "regrouped": report.regrouped_documents,
        "skipped": [{"file": s.source, "reason": s.reason} for s in report.skipped],
    }
