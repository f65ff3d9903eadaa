"""uvicorn's HTTP/1.1 protocol with a deadline for each request's headers.

uvicorn closes idle keep-alive connections, but a client that sends a request's
headers a byte at a time, or sends none after connecting, holds its connection (and a
file descriptor) for as long as it likes. Here a request line and headers must arrive
whole within ``header_timeout`` seconds of the connection opening, or of the previous
response; otherwise the connection is closed.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["TimedH11Protocol", "timed_protocol"]


class TimedH11Protocol(H11Protocol):
    """H11Protocol that closes a connection whose headers are not in after a deadline."""

    def __init__(self, *args: Any, header_timeout: float = 10.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock for the first request's headers."""
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the clock with the connection."""
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Feed the parser; once a request's headers are in, stop the clock."""
        between = self.cycle is None or self.cycle.response_complete
        super().data_received(data)
        if self.cycle is not None and not self.cycle.response_complete:
            self._disarm()
        elif between:
            self._arm()  # part of the next request's headers: they must follow in time

    def on_response_complete(self) -> None:
        """uvicorn's keep-alive clock now runs until the next request begins."""
        self._disarm()
        super().on_response_complete()

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            self.transport.close()


def timed_protocol(header_timeout: float) -> Any:
    """The protocol class for ``uvicorn.Config(http=...)`` with this header deadline."""
    return partial(TimedH11Protocol, header_timeout=header_timeout)
