"""How many questions each verified user may ask (``DOCQA_SERVER__QUESTION_RATE``)."""

from __future__ import annotations

import time

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from app.types import Reader

__all__ = ["QuestionRate"]


class QuestionRate:
    """Questions per verified user, kept in this process (each replica counts its own).

    Callers without a user id (the API token's service accounts, an open single-user
    server) are not counted: they are the operator's own.
    """

    def __init__(self, rate: str) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._limit = parse(rate)
        self.rate = rate

    def wait(self, reader: Reader) -> int | None:
        """Seconds ``reader`` must wait before the next question, or None to ask now."""
        user = reader.user
        if user is None or self._limiter.hit(self._limit, "ask", user):
            return None
        reset = self._limiter.get_window_stats(self._limit, "ask", user).reset_time
        return max(1, int(reset - time.time()) + 1)
