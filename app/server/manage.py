"""The API for running docqa in an organisation: documents added, listed and removed by
admins (indexed in background jobs), and readers' feedback on answers."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool

from app.errors import DocQAError, IndexNotFoundError
from app.feedback import PAGE
from app.question.analysis import parse_day
from app.server.api import api_error, from_exception
from app.server.deps import Core, JobQueue
from app.server.identity import reader_of
from app.server.schemas import ERRORS, FeedbackIn
from app.service import DocQA
from app.sources.formats import listed
from app.store.base import document_key, is_document_key
from app.store.library import JobRecord
from app.types import GROUP_NAME, split_groups
from app.uploads import accept

__all__ = ["router"]

_DAY = r"^\d{4}-\d{2}-\d{2}$"


# Documents, jobs and feedback. Without a token or user identities the server does not
# know who is asking, and nobody may change its documents.
router = APIRouter(prefix="/api", responses=ERRORS)


def not_admin(request: Request, service: DocQA) -> Any:
    """None when ``request`` comes from an admin, else the refusal to send."""
    if not request.app.state.managed:
        return api_error(
            403,
            "forbidden",
            "Managing documents over the API needs DOCQA_SERVER__API_TOKEN (or user tokens) on "
            "the server; this server has neither.",
        )
    if not reader_of(request).admin:
        return api_error(
            403,
            "forbidden",
            f"Only admins may do this: the API token, or a user token in the "
            f"'{service.settings.auth.admin_group}' group (DOCQA_AUTH__ADMIN_GROUP).",
        )
    return None


@router.get("/documents", summary="The indexed documents (admins)")
async def documents(
    request: Request,
    service: Core,
    jobs: JobQueue,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    if (refused := not_admin(request, service)) is not None:
        return refused
    try:
        found = await run_in_threadpool(service.catalogue, offset, limit)
    except DocQAError as exc:
        return from_exception(exc)
    listed = [
        {"document": d.key, "source": d.source, "title": d.title, "date": d.date,
         "groups": list(d.groups), "chunks": d.chunks, "status": "indexed"}
        for d in found
    ]  # fmt: skip
    try:
        pending = await run_in_threadpool(jobs.pending)
        waiting = await run_in_threadpool(
            service.library.uploads, [n for j in pending if j.kind == "upload"
                                      for n in j.targets]
        )  # fmt: skip
    except DocQAError as exc:
        return from_exception(exc)
    # What jobs are adding or removing now, as the first page says.
    changing = {
        source: {"status": "removing" if job.kind == "delete" else job.state, "job": job.id}
        for job in pending
        for source in job.sources
    }
    for entry in listed:
        entry.update(changing.pop(str(entry["source"]), {}))
    if offset == 0:
        kept = {r.source: r for r in waiting}
        listed += [
            {"document": document_key(kept[s].sha256) if s in kept else None, "source": s,
             "groups": list(kept[s].groups or ()) if s in kept else None, **state}
            for s, state in changing.items()
        ]  # fmt: skip
    return {"offset": offset, "documents": listed}


@router.post("/documents", status_code=202, summary="Add documents (admins)")
async def upload(
    request: Request,
    service: Core,
    jobs: JobQueue,
    files: Annotated[
        list[UploadFile], File(description=f"One or more files ({listed()}) or .zip of them")
    ],
    groups: Annotated[str | None, Form(description="Comma-separated access groups")] = None,
) -> Any:
    if (refused := not_admin(request, service)) is not None:
        return refused
    settings = service.settings
    limits = settings.uploads
    if len(files) > limits.max_files:
        return api_error(
            413,
            "too_many_files",
            f"The upload holds {len(files)} files; the limit is {limits.max_files} "
            "(DOCQA_UPLOADS__MAX_FILES). Send them in several uploads.",
        )
    named: tuple[str, ...] | None = None
    if groups is not None and groups.strip():
        named = tuple(split_groups(groups))
        bad = [g for g in named if not GROUP_NAME.fullmatch(g)]
        if bad:
            return api_error(400, "bad_groups", f"'{bad[0][:40]}' is not a group name.")
    received = [(f.filename or "", await f.read()) for f in files]
    kept, skipped = accept(received, limits, settings.sources)
    del received
    if not kept:  # nothing to index: said at once, no job
        reasons = "; ".join(f"{s.source}: {s.reason}" for s in skipped[:3])
        more = f" and {len(skipped) - 3} more" if len(skipped) > 3 else ""
        return api_error(
            400, "nothing_to_index", f"No file of the upload can be indexed ({reasons}{more})."
        )
    try:
        job = await run_in_threadpool(jobs.upload, kept, skipped, named, reader_of(request))
    except DocQAError as exc:
        return from_exception(exc)
    return _accepted(job)


@router.delete("/documents/{key}", status_code=202, summary="Remove a document (admins)")
async def delete(key: str, request: Request, service: Core, jobs: JobQueue) -> Any:
    if (refused := not_admin(request, service)) is not None:
        return refused
    try:
        source = await run_in_threadpool(_source_of, service, key)
        if source is None:
            return api_error(404, "document_not_found", f"No document '{key[:40]}' in the index.")
        job = await run_in_threadpool(jobs.delete, source, reader_of(request))
    except DocQAError as exc:
        return from_exception(exc)
    return _accepted(job)


@router.get("/jobs/{job_id}", summary="How an upload or removal is going (admins)")
async def job(job_id: str, request: Request, service: Core, jobs: JobQueue) -> Any:
    if (refused := not_admin(request, service)) is not None:
        return refused
    try:
        found = await run_in_threadpool(jobs.get, job_id[:64])
    except DocQAError as exc:
        return from_exception(exc)
    if found is None:
        return api_error(
            404, "job_not_found", f"No job '{job_id[:40]}' (finished jobs are kept until "
            "10,000 newer ones have finished)."
        )  # fmt: skip
    return found.to_dict()


@router.post("/feedback", status_code=201, summary="Say whether an answer helped")
async def feedback(body: FeedbackIn, request: Request, service: Core) -> Any:
    try:
        await run_in_threadpool(
            service.feedback,
            body.verdict,
            body.question,
            body.answer,
            [c.model_dump() for c in body.citations],
            reader_of(request),
            body.comment,
        )
    except DocQAError as exc:
        return from_exception(exc)
    return {"stored": True}


@router.get(
    "/feedback",
    summary="Readers' feedback and refused questions (admins)",
    description="A page of records, oldest first. `next` is the URL of the following "
    "page (null on the last one); each record's `id` orders them.",
)
async def feedback_export(
    request: Request,
    service: Core,
    since: Annotated[
        str | None, Query(pattern=_DAY, description="Only records from this day on")
    ] = None,
    after: Annotated[int, Query(ge=0, le=2**62, description="The last id already read")] = 0,
    limit: Annotated[int, Query(ge=1, le=PAGE, description="Records per page")] = PAGE,
) -> Any:
    try:
        day = parse_day(since)
    except ValueError as exc:
        return api_error(400, "bad_request", str(exc))
    if (refused := not_admin(request, service)) is not None:
        return refused
    try:
        records = await run_in_threadpool(service.feedback_since, day, after, limit)
    except DocQAError as exc:
        return from_exception(exc)
    following = None
    if len(records) == limit:
        query = {
            "after": records[-1]["id"],
            "limit": limit,
            **({"since": since} if since else {}),
        }
        following = f"/api/feedback?{urlencode(query)}"
    return {"records": records, "next": following}


def _accepted(job: JobRecord) -> dict[str, Any]:
    """A job just queued, and where to follow it."""
    return {"status": f"/api/jobs/{job.id}", **job.to_dict()}


def _source_of(service: DocQA, key: str) -> str | None:
    """The source of the document with public key ``key``: indexed, or an upload still
    waiting for its job."""
    if not is_document_key(key):
        return None
    try:
        found = service.document(key)
    except IndexNotFoundError:  # uploads may wait for the first index
        found = None
    if found is not None:
        return found.source
    waiting = [r for r in service.library.uploads() if document_key(r.sha256) == key]
    return waiting[0].source if waiting else None
