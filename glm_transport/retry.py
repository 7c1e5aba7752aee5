"""The one retry layer's decision, as a pure function of the attempt and the error (wire notes §6.4)."""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from .errors import GLMError

__all__ = ["RetryPolicy", "parse_retry_after"]


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms``, or ``Retry-After`` in seconds or as an HTTP date.

    ``0`` means "now"; ``nan``, a negative number, a date in the past or garbage is no hint at all
    (``None``: the normal backoff applies), so it can neither hammer the server with 1 ms gaps nor
    put a NaN timer into an event loop. ``inf`` stays ``inf`` ("much too long": the caller gives up).
    """
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        seconds = _usable(_number(raw_ms))
        if seconds is not None:
            return seconds / 1000.0
    raw = (headers.get("retry-after") or "").strip()
    if not raw:
        return None
    seconds = _usable(_number(raw))
    if seconds is None:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
        return seconds if seconds > 0 else None
    return seconds


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _usable(seconds: float | None) -> float | None:
    return seconds if seconds is not None and seconds >= 0 else None  # NaN >= 0 is False


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter; ``max_retries=2`` means at most three attempts."""

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")

    def next_delay(self, attempt: int, error: GLMError) -> float | None:
        """Seconds to sleep before attempt ``attempt + 1``, or ``None`` to give up and raise.

        ``attempt`` counts the attempts already made, from 0. The server's Retry-After wins over
        the backoff; a wait longer than ``max_retry_after`` gives up at once with the error, as
        openai-python does, rather than hanging the caller (a proxy's "retry in a day").
        """
        if attempt >= self.max_retries or not error.retryable:
            return None
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return float(retry_after) if retry_after <= self.max_retry_after else None
        base: float = min(self.initial_delay * (2**attempt), self.max_delay)
        return base * (1.0 - self.jitter * random.random())
