"""Fault scripting: the FIFO of scripted replies and the seeded random fault picker."""

from __future__ import annotations

import math
import random
import threading
from collections import deque
from dataclasses import dataclass

from ._replies import Reply


@dataclass
class _Entry:
    reply: Reply
    left: int


class ReplyQueue:
    """Scripted replies consumed in order by the next requests, whatever their endpoint."""

    def __init__(self) -> None:
        self._items: deque[_Entry] = deque()
        self._lock = threading.Lock()

    def push(self, reply: Reply, times: int = 1) -> None:
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._items.append(_Entry(reply, times))

    def pop(self) -> Reply | None:
        with self._lock:
            if not self._items:
                return None
            entry = self._items[0]
            entry.left -= 1
            if entry.left <= 0:
                self._items.popleft()
            return entry.reply

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return sum(entry.left for entry in self._items)


def retry_after_headers(seconds: float) -> dict[str, str]:
    """``Retry-After`` in whole seconds (the standard), plus ``retry-after-ms`` when that would round
    a short wait up, as OpenAI-style servers send it; clients that read the ms header wait less."""
    if seconds < 0:
        raise ValueError("retry_after must be >= 0")
    headers = {"Retry-After": str(math.ceil(seconds))}
    if seconds != int(seconds):
        headers["retry-after-ms"] = str(round(seconds * 1000))
    return headers


def fault_replies(slow_seconds: float, streaming: bool, retry_after: float | None = None) -> tuple[Reply, ...]:
    """The random faults that apply to a request; the cut, malformed and stalled ones need a stream.

    The 429 and 503 carry ``Retry-After`` only when ``retry_after`` is given: GLM is not known to
    send it (docs/wire-notes.md §6.4, §12.15).
    """
    wait = {} if retry_after is None else retry_after_headers(retry_after)
    common: tuple[Reply, ...] = (
        Reply.status(429, "1302", headers=wait),
        Reply.status(503, "500", "Service Unavailable", headers=wait),
        Reply.disconnect(),
        Reply.slow(slow_seconds, before="headers"),
    )
    if not streaming:
        return common
    return (
        *common,
        Reply.disconnect_mid_stream(2),
        Reply.malformed_event(2),
        Reply.slow(slow_seconds, before="between_events", after_events=2),
    )


class FaultPicker:
    """Picks a fault for ``rate`` of the requests, uniformly among those that apply."""

    def __init__(self, rate: float, seed: int, slow_seconds: float, retry_after: float | None = None) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("fault_rate must be between 0 and 1")
        self.rate = rate
        self._rng = random.Random(seed)
        self._choices = {streaming: fault_replies(slow_seconds, streaming, retry_after) for streaming in (False, True)}
        self._lock = threading.Lock()

    def pick(self, streaming: bool) -> Reply | None:
        if self.rate <= 0.0:
            return None
        choices = self._choices[streaming]
        with self._lock:
            if self._rng.random() >= self.rate:
                return None
            return self._rng.choice(choices)
