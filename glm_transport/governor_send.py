"""One attempt under the governor: take a slot, send, consume, learn from the answer, give the slot back.

The slot is given back when the response closes, not when ``consume`` returns: a stream keeps its slot
exactly as long as its connection lives (a ``ChatStream`` closes it when iterated to the end, broken out
of, closed, or garbage-collected), and a JSON answer frees it as soon as its body is read. The retry
layer calls this once per attempt, so a 1302 frees the slot during the backoff and queues again.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, TypeVar

import httpx

from .errors import GLMError

__all__ = ["agoverned_send", "governed_send"]

T = TypeVar("T")
OVERLOAD_CODE = "1302"  # concurrency over the account's limit (docs/wire-notes.md §13.7)


class _Once:
    __slots__ = ("_limiter", "_ticket", "done")

    def __init__(self, limiter: Any, ticket: int) -> None:
        self._limiter = limiter
        self._ticket = ticket
        self.done = False

    def __call__(self) -> None:
        if not self.done:
            self.done = True
            self._limiter.release(self._ticket)


class _ReleasingStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """The response body, releasing the slot when httpx closes it."""

    def __init__(self, inner: Any, release: _Once) -> None:
        self._inner = inner
        self._release = release

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._inner)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for part in self._inner:
            yield part

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._release()

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._release()


def _learn(limiter: Any, ticket: int, out: int, error: BaseException | None) -> None:
    if error is None:
        limiter.on_success()
    elif isinstance(error, GLMError) and getattr(error, "code", None) == OVERLOAD_CODE:
        limiter.on_overload(ticket, out)


def governed_send(
    client: Any,
    request: httpx.Request,
    send: Callable[..., httpx.Response],
    consume: Callable[[httpx.Response], T],
    *,
    model: str | None,
    deadline: float = math.inf,
) -> T:
    """``consume(send(request, stream=True))`` holding a slot of ``model``'s limiter (none for
    ``None``); the wait for the slot ends at ``deadline`` (``time.monotonic()``) with ``SlotWaitTimeout``."""
    governor = getattr(client, "governor", None)
    limiter = governor.limiter_for(model) if governor is not None else None
    if limiter is None:
        return consume(send(request, stream=True))
    ticket = limiter.acquire(deadline)
    out, release = limiter.in_flight, _Once(limiter, ticket)
    try:
        response = send(request, stream=True)
        response.stream = _ReleasingStream(response.stream, release)
        result = consume(response)
    except BaseException as exc:
        _learn(limiter, ticket, out, exc)
        release()  # a no-op when closing the response already did it
        raise
    _learn(limiter, ticket, out, None)
    return result


async def agoverned_send(
    client: Any,
    request: httpx.Request,
    send: Callable[..., Awaitable[httpx.Response]],
    consume: Callable[[httpx.Response], Awaitable[T]],
    *,
    model: str | None,
    deadline: float = math.inf,
) -> T:
    """The async ``governed_send``; cancelling the wait for a slot gives it up."""
    governor = getattr(client, "governor", None)
    limiter = governor.limiter_for(model) if governor is not None else None
    if limiter is None:
        return await consume(await send(request, stream=True))
    ticket = await limiter.acquire_async(deadline)
    out, release = limiter.in_flight, _Once(limiter, ticket)
    try:
        response = await send(request, stream=True)
        response.stream = _ReleasingStream(response.stream, release)
        result = await consume(response)
    except BaseException as exc:
        _learn(limiter, ticket, out, exc)
        release()
        raise
    _learn(limiter, ticket, out, None)
    return result
