"""Polling until something another thread or process does has happened."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["until"]


def until(
    condition: Callable[[], object],
    seconds: float,
    *,
    step: float = 0.02,
    what: str = "not reached in time",
) -> None:
    """Return once ``condition()`` is true; fail the test with ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(step)
