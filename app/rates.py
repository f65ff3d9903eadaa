"""How much each verified user may do per period: questions, feedback.

One budget per user and kind, kept by the core, so every door (the API, its stream, the
chat, the OpenAI-compatible endpoint, MCP) draws on the same one. Kept in this process:
each server of a database counts its own. Callers without a user id (the API token's
service accounts, an open single-user server, the CLI) are not counted: they are the
operator's own.
"""

from __future__ import annotations

import time

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from app.errors import LimitError
from app.types import Reader

__all__ = ["PerUser"]


class PerUser:
    """A rate in limits notation (``60/minute``), per user."""

    def __init__(self, rate: str, kind: str) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._limit = parse(rate)
        self.rate = rate
        self.kind = kind

    def wait(self, reader: Reader | None) -> int | None:
        """Count one more for ``reader``: None when allowed, else the seconds to wait."""
        user = reader.user if reader is not None else None
        if user is None or self._limiter.hit(self._limit, self.kind, user):
            return None
        reset = self._limiter.get_window_stats(self._limit, self.kind, user).reset_time
        return max(1, int(reset - time.time()) + 1)

    def charge(self, reader: Reader | None, error: type[LimitError], message: str) -> None:
        """Count one more for ``reader``, or raise ``error`` with ``message`` (formatted
        with ``rate`` and ``wait``)."""
        wait = self.wait(reader)
        if wait is not None:
            raise error(message.format(rate=self.rate, wait=wait), retry_after=wait)
