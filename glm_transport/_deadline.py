"""A deadline that bounds every network operation of a call, not only each attempt.

httpx and httpcore take a read timeout once per response and apply it to each socket read, so a
server that drips one byte a second, or sends only keep-alive comments, or one endless line,
never trips it, and ``total_timeout`` could be overrun without limit (measured: past 20 s for
``total_timeout=3``). No public hook lets a caller shorten a read already under way, so the
owned clients get a thin wrapper around httpcore's network backend: each connect, TLS handshake,
read and write is bounded by ``min(its own timeout, time left to the deadline)``, and an
operation started after the deadline fails at once. The deadline travels with the request, in
the timeout values of its ``timeout`` extension (a ``float`` subclass that httpx passes through
untouched), so nothing is shared between concurrent calls. The cost is one ``time.monotonic()``
per socket operation. A user-supplied httpx client keeps its own backend; there the deadline is
checked per attempt and per chunk only. The backend lives in ``_deadline_io.py``, loaded with the
first owned client (httpcore costs about 15 ms to import).
"""

from __future__ import annotations

import math
import time
import typing

__all__ = ["BoundedTimeout", "Deadline", "bounded_timeouts"]


class Deadline:
    """When a call must be over (``math.inf``: never); mutable, so a stream can shorten its drain."""

    __slots__ = ("at",)

    def __init__(self, seconds: float | None = None) -> None:
        self.at = math.inf if seconds is None else time.monotonic() + seconds

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def passed(self) -> bool:
        return time.monotonic() >= self.at


class BoundedTimeout(float):
    """A timeout (``inf``: none) carrying the deadline it is bounded by."""

    __slots__ = ("deadline",)
    deadline: Deadline

    def __new__(cls, value: float | None, deadline: Deadline) -> BoundedTimeout:
        bounded = super().__new__(cls, math.inf if value is None else value)
        bounded.deadline = deadline
        return bounded


def bounded_timeouts(timeouts: dict[str, float | None], deadline: Deadline) -> dict[str, typing.Any]:
    """The ``timeout`` extension of one attempt: connect/read/write carry the deadline; the pool
    wait (httpcore's own, not a socket operation) gets the time left as a plain number."""
    left = deadline.remaining()
    pool = timeouts.get("pool")
    if math.isfinite(left):
        pool = left if pool is None else min(pool, left)
    return {
        "connect": BoundedTimeout(timeouts.get("connect"), deadline),
        "read": BoundedTimeout(timeouts.get("read"), deadline),
        "write": BoundedTimeout(timeouts.get("write"), deadline),
        "pool": pool,
    }
