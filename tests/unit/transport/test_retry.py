"""The retry decision and Retry-After parsing, table-driven."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime

import pytest

from glm_transport import (
    GLMAuthenticationError,
    GLMBadRequestError,
    GLMConnectionError,
    GLMContentFilterError,
    GLMQuotaExceededError,
    GLMRateLimitError,
    GLMServerError,
    GLMStreamError,
    RetryPolicy,
)
from glm_transport.errors import GLMError
from glm_transport.retry import parse_retry_after

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "-4"}, None),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "inf"}, float("inf")),
        ({"retry-after": "1e999"}, float("inf")),
        ({"retry-after-ms": "nan"}, None),
        ({"retry-after-ms": "-50", "retry-after": "2"}, 2.0),
        ({"retry-after-ms": "inf"}, float("inf")),
        ({"retry-after": "Mon, 99 Foo 10000 99:99:99 GMT"}, None),
        ({"retry-after": format_datetime(datetime.fromtimestamp(NOW + 30, timezone.utc), usegmt=True)}, 30.0),
        ({"retry-after": format_datetime(datetime.fromtimestamp(NOW - 30, timezone.utc), usegmt=True)}, None),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after-ms": "x", "retry-after": "9"}, 9.0),
    ],
)
def test_retry_after_forms(headers: dict[str, str], expected: float | None) -> None:
    result = parse_retry_after(headers, now=NOW)
    if expected is None or expected == float("inf"):
        assert result == expected
    else:
        assert result == pytest.approx(expected, abs=1.0)


def status(cls: type[GLMError], code: str | None = None, retry_after: float | None = None) -> GLMError:
    return cls("x", status_code=429, code=code, retry_after=retry_after)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("error", "retry"),
    [
        (status(GLMRateLimitError, "1302"), True),
        (status(GLMServerError, "500"), True),
        (GLMConnectionError("x"), True),
        (status(GLMQuotaExceededError, "1113"), False),
        (status(GLMAuthenticationError, "1002"), False),
        (status(GLMBadRequestError, "1214"), False),
        (status(GLMContentFilterError, "1301"), False),
        (GLMStreamError("cut"), False),
    ],
)
def test_only_retryable_errors_are_retried(error: GLMError, retry: bool) -> None:
    assert (RetryPolicy().next_delay(0, error) is not None) is retry


def test_max_retries_bounds_the_attempts_even_under_a_persistent_429() -> None:
    policy = RetryPolicy(max_retries=2)
    error = status(GLMRateLimitError, "1302", retry_after=0.0)
    delays = [policy.next_delay(attempt, error) for attempt in range(5)]
    assert delays == [0.0, 0.0, None, None, None]


def test_backoff_grows_exponentially_with_jitter_below_the_cap() -> None:
    policy = RetryPolicy(max_retries=10, initial_delay=0.5, max_delay=8.0, jitter=0.25)
    error = GLMConnectionError("x")
    for attempt in range(10):
        delay = policy.next_delay(attempt, error)
        base = min(0.5 * 2**attempt, 8.0)
        assert delay is not None and 0.75 * base <= delay <= base


def test_retry_after_wins_over_backoff_and_a_longer_wait_than_the_cap_gives_up_at_once() -> None:
    policy = RetryPolicy(max_retries=3, max_retry_after=60.0)
    assert policy.next_delay(0, status(GLMRateLimitError, "1302", retry_after=7.0)) == 7.0
    assert policy.next_delay(0, status(GLMRateLimitError, "1302", retry_after=86400.0)) is None
    assert policy.next_delay(0, status(GLMRateLimitError, "1302", retry_after=float("inf"))) is None


def test_negative_max_retries_is_rejected() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)
