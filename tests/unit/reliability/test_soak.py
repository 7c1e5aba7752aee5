"""A short soak (about 500 mixed requests, 128 in flight, 10% random faults, shares from a second
event loop and a forked child) through the adapters, asserting the invariants of ``bench/soak.py``:
nothing lost, duplicated or silently truncated, at most ``max_retries + 1`` attempts, no connection
left open, no memory growth."""

from __future__ import annotations

import asyncio
import os
from collections import Counter

from bench.soak import SoakConfig, SoakResult, judge, run_soak
from glm_transport.testing import LocalGLMServer

CONFIG = SoakConfig(requests=480, concurrency=128, fault_rate=0.1, slow_seconds=1.0, read_timeout=0.6, seed=11)


def test_a_short_soak_under_random_faults_keeps_every_invariant() -> None:
    server = LocalGLMServer(
        fault_rate=CONFIG.fault_rate,
        seed=CONFIG.seed,
        slow_seconds=CONFIG.slow_seconds,
        fault_retry_after=CONFIG.retry_after,
    )
    with server:
        result = asyncio.run(run_soak(server.base_url, "test-key", CONFIG))
    assert result.violations(CONFIG.max_retries) == [], "\n".join(result.lines())
    # The faults really happened: some requests were retried, and some streams failed typed.
    assert result.attempts[1] < CONFIG.requests
    assert result.exact > CONFIG.requests * 0.9
    # A share came from a second event loop in another thread and from a forked child, at once.
    assert result.groups["loop2"] > 0 and (result.groups["fork"] > 0 or not hasattr(os, "fork"))


def test_the_judge_tells_duplicated_truncated_and_wrong_answers_apart() -> None:
    assert judge("Hello Q000001", "Hello Q000001", "Q000001") == "exact"
    assert judge("Hello Q000001Hello Q000001", "Hello Q000001", "Q000001") == "duplicated"
    assert judge("Hello Q0", "Hello Q000001", "Q000001") == "truncated"
    assert judge("Bye Q000001", "Hello Q000001", "Q000001") == "wrong"
    assert judge([1, 2, 3], [1, 2], "Q") == "duplicated"
    assert judge([1], [1, 2], "Q") == "truncated"
    assert judge(("a", "Hel"), ("a", "Hello"), "Q") == "truncated"


def test_each_broken_invariant_is_reported() -> None:
    clean = SoakResult(requests=2, exact=2, attempts=Counter({1: 2}), rss_first=100, rss_last=105)
    assert clean.violations(max_retries=2) == []
    broken = SoakResult(
        requests=2,
        exact=1,
        duplicated=1,
        attempts=Counter({1: 1, 4: 1}),
        server_open=1,
        rss_first=100,
        rss_last=111,
    )
    assert broken.violations(max_retries=2) == [
        "answers neither exact nor a typed error",
        "1 answers duplicated",
        "a request made 4 attempts",
        "1 server connections left open",
        "RSS grew 11.0%",
    ]
