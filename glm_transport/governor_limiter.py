"""One in-flight limit: a FIFO queue of waiters, shared by threads and event loops, with an AIMD window.

Why not ``threading.Semaphore`` or ``asyncio.Semaphore``: the same slot pool must serve threads *and*
coroutines on any number of event loops (``chain.batch`` runs threads, ``abatch`` runs tasks, both may
share one key), its size changes at run time (adaptive limit), and a cancelled waiter must neither leak
nor lose a slot. Neither stdlib semaphore does any of the three. The design: one ``threading.Lock`` guards
the counters; a release hands its slot straight to the oldest waiter (no thundering herd) and wakes it
with ``Event.set`` (a thread) or ``loop.call_soon_threadsafe`` (a coroutine).

The window is AIMD-like, tuned to a limit that is a fixed count rather than a congestion signal: an
optional slow start (x1.5 per round trip) until the first overload (GLM's 1302, wire notes §13.7); then
the window drops to one below the in-flight count that drew it, and only if it is overloaded again at or
below that level (the limit fell, e.g. GLM's peak-time throttling) does it cut to 0.7x. It then probes
upward slowly, one slot per four windows of successes. Each further overload of a request sent before
the last cut proves one more request over the limit and takes one slot off, so a burst of 450 1302s from
500 requests in flight leaves the window at 50, not at 0.7^450.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Limiter", "LimiterStats", "SlotWaitTimeout"]

BETA = 0.7  # the cut when the limit fell: new window = BETA x the in-flight count that drew the overload
MIN_WINDOW = 1.0
SLOW_START_GAIN = 0.5  # per success before the first overload: x1.5 per round trip
PROBE = 4  # after an overload, one more slot per PROBE windows of successes
FORGET_AFTER = 60.0  # seconds without an overload after which the window starts over


class SlotWaitTimeout(Exception):  # noqa: N818 - it is what the caller turns into its own timeout
    """The call's deadline came while it queued for a slot; it holds none."""


@dataclass(frozen=True)
class LimiterStats:
    """A snapshot: ``limit`` is the current window (``None``: no limit yet), ``ceiling`` the fixed cap."""

    limit: int | None
    ceiling: int | None
    in_flight: int
    queued: int
    overloads: int
    admitted: int


class _Waiter:
    __slots__ = ("event", "future", "granted", "loop", "ticket")

    def __init__(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self.granted = False
        self.ticket = 0
        self.loop = loop
        self.event = threading.Event() if loop is None else None
        self.future: asyncio.Future[None] | None = loop.create_future() if loop is not None else None


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Limiter:
    """Slots for requests in flight.

    Args:
        ceiling: the fixed cap (a tier's figure or an override); ``None`` for none.
        initial: the starting window; ``None`` starts at the ceiling (or unlimited without one).
        slow_start: grow the window by one per success until the first overload.
    """

    def __init__(
        self,
        ceiling: int | None = None,
        *,
        initial: int | None = None,
        slow_start: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ceiling is not None and ceiling < 1:
            raise ValueError(f"a concurrency limit must be >= 1, got {ceiling}")
        self.ceiling = ceiling
        start = initial if initial is not None else ceiling
        self._window: float = math.inf if start is None else float(min(start, ceiling or start))
        self._slow_start = slow_start
        self._adaptive = slow_start
        self._clock = clock
        self._last_overload: float | None = None
        self._lock = threading.Lock()
        self._waiters: deque[_Waiter] = deque()
        self._in_flight = 0
        self._sequence = 0  # admissions so far; a ticket is the sequence number at admission
        self._cut_at = 0  # the sequence number of the last cut
        self._known = 0.0  # the window set by the last cut: believed to be under the limit
        self._overloads = 0

    # ---- admission -------------------------------------------------------------------
    def _limit(self) -> float:
        # Whole slots only: a window of 4.6 admits 4 (admitting 5 would probe above it every time).
        window = self._window if math.isinf(self._window) else math.floor(self._window)
        return window if self.ceiling is None else min(window, self.ceiling)

    def _admit_locked(self) -> int:
        self._in_flight += 1
        self._sequence += 1
        return self._sequence

    def try_acquire(self) -> int | None:
        """A ticket if a slot is free and nobody queues before us, else ``None``."""
        with self._lock:
            self._forget_locked()
            if not self._waiters and self._in_flight < self._limit():
                return self._admit_locked()
            return None

    def acquire(self, deadline: float = math.inf) -> int:
        """Block the calling thread until a slot is ours; returns its ticket. ``deadline`` (a
        ``time.monotonic()`` value) bounds the wait: past it, ``SlotWaitTimeout`` and no slot."""
        ticket = self.try_acquire()
        if ticket is not None:
            return ticket
        waiter = self._enqueue(None)
        if isinstance(waiter, int):
            return waiter
        assert waiter.event is not None
        try:
            granted = waiter.event.wait(None if math.isinf(deadline) else max(0.0, deadline - time.monotonic()))
        except BaseException:  # KeyboardInterrupt while queued: do not leak a granted slot
            self._abandon(waiter)
            raise
        if not granted and not self._abandon(waiter, keep=True):  # granted as the wait ran out: keep it
            raise SlotWaitTimeout
        return waiter.ticket

    async def acquire_async(self, deadline: float = math.inf) -> int:
        """Wait on the running loop until a slot is ours; cancelling the wait frees it. ``deadline``
        as for ``acquire``."""
        ticket = self.try_acquire()
        if ticket is not None:
            return ticket
        waiter = self._enqueue(asyncio.get_running_loop())
        if isinstance(waiter, int):
            return waiter
        assert waiter.future is not None
        try:
            if math.isinf(deadline):
                await waiter.future
            else:
                await asyncio.wait_for(asyncio.shield(waiter.future), max(0.0, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            if self._abandon(waiter, keep=True):
                return waiter.ticket
            raise SlotWaitTimeout from None
        except BaseException:
            self._abandon(waiter)
            raise
        return waiter.ticket

    def _enqueue(self, loop: asyncio.AbstractEventLoop | None) -> _Waiter | int:
        """Queue a waiter; a ticket instead when a slot freed up meanwhile and was taken at once."""
        with self._lock:
            self._forget_locked()
            if not self._waiters and self._in_flight < self._limit():
                return self._admit_locked()
            waiter = _Waiter(loop)
            self._waiters.append(waiter)
            return waiter

    def _abandon(self, waiter: _Waiter, *, keep: bool = False) -> bool:
        """Leave the queue; True if the slot was granted meanwhile and ``keep`` (else it is given back)."""
        with self._lock:
            granted = waiter.granted
            if not granted:
                self._waiters.remove(waiter)
        if granted and not keep:
            self.release(waiter.ticket)
        return granted and keep

    # ---- release and feedback --------------------------------------------------------
    def release(self, ticket: int = 0) -> None:
        """Give a slot back (``ticket`` is unused here; fleet limiters need it); the oldest waiter gets it."""
        with self._lock:
            self._in_flight -= 1
            self._forget_locked()
            woken = self._grant_locked()
        self._wake(woken)

    def on_success(self) -> None:
        """A request came back without an overload: widen the window (slowly once an overload was seen)."""
        with self._lock:
            if math.isinf(self._window):
                return
            self._window += SLOW_START_GAIN if self._slow_start else 1.0 / (PROBE * self._window)
            if self.ceiling is not None:
                self._window = min(self._window, float(self.ceiling))
            woken = self._grant_locked()
        self._wake(woken)

    def on_overload(self, ticket: int, in_flight_at_send: int) -> None:
        """A 1302 for the request admitted with ``ticket`` (``in_flight_at_send`` requests were out then)."""
        with self._lock:
            self._overloads += 1
            self._slow_start = False
            self._last_overload = self._clock()
            if ticket <= self._cut_at:
                # Sent before the last cut, in the same burst: one more request was over the limit.
                self._window = max(MIN_WINDOW, self._window - 1)
                self._known = min(self._known, self._window)
                return
            level = min(self._limit(), float(max(in_flight_at_send, 1)))
            if level - 1 < self._known:  # over again at or below the level believed safe: the limit fell
                self._window = max(MIN_WINDOW, math.floor(level * BETA))
            else:  # the first overload at this level: the limit is just below it
                self._window = max(MIN_WINDOW, level - 1)
            self._known = self._window
            self._cut_at = self._sequence

    def _forget_locked(self) -> None:
        """A minute without a 1302: whatever throttled us (a peak, a neighbour) has passed; start over
        (no limit, the ceiling, or a slow start from the current window), so one 1302 at a quiet moment
        does not hold an account at one request in flight for thousands of requests."""
        if self._last_overload is None or self._clock() - self._last_overload < FORGET_AFTER:
            return
        self._last_overload, self._known = None, 0.0
        if self._adaptive:
            self._slow_start = True
        else:
            self._window = math.inf if self.ceiling is None else float(self.ceiling)

    def _wake(self, waiters: list[_Waiter]) -> None:
        for waiter in waiters:
            if waiter.event is not None:
                waiter.event.set()
                continue
            assert waiter.loop is not None
            assert waiter.future is not None
            try:
                waiter.loop.call_soon_threadsafe(_resolve, waiter.future)
            except RuntimeError:  # its loop is closed: nobody will take the slot, so pass it on
                self.release(waiter.ticket)

    def _grant_locked(self) -> list[_Waiter]:
        woken: list[_Waiter] = []
        while self._waiters and self._in_flight < self._limit():
            waiter = self._waiters.popleft()
            waiter.granted = True
            waiter.ticket = self._admit_locked()
            woken.append(waiter)
        return woken

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def stats(self) -> LimiterStats:
        with self._lock:
            limit = None if math.isinf(self._limit()) else int(self._limit())
            return LimiterStats(
                limit, self.ceiling, self._in_flight, len(self._waiters), self._overloads, self._sequence
            )
