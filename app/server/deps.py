"""What every route gets from the application it runs in: the core and the job queue,
as FastAPI dependencies that tests override (``app.dependency_overrides``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.jobs import Jobs
from app.service import DocQA

__all__ = ["Core", "JobQueue", "core", "job_queue"]


def core(request: Request) -> DocQA:
    """The application's ``DocQA``."""
    found: DocQA = request.app.state.core
    return found


def job_queue(request: Request) -> Jobs:
    """The application's document jobs."""
    found: Jobs = request.app.state.jobs
    return found


Core = Annotated[DocQA, Depends(core)]
JobQueue = Annotated[Jobs, Depends(job_queue)]
