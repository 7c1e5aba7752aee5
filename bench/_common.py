"""Shared benchmark plumbing: the local server as a subprocess (so its CPU is not the client's),
scripting it over its control endpoint, and CPU/wall measurement of the client process.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx

API_KEY = "bench-key"


@contextlib.contextmanager
def local_server(*extra: str) -> Iterator[str]:
    """Start ``python -m glm_transport.testing`` on a free port; yield its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "glm_transport.testing", "--port", "0", "--api-key", API_KEY, *extra],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "http://" not in line:
            raise RuntimeError(f"local server did not start: {line!r}")
        yield line[line.index("http://") :].strip()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def control(base_url: str, path: str, payload: dict[str, Any] | None = None) -> Any:
    """POST (or GET without payload) to the server's ``/_control`` endpoint."""
    root = base_url.split("/api/")[0]
    with httpx.Client(timeout=30) as client:
        if payload is None:
            response = client.get(root + "/_control/" + path)
        else:
            response = client.post(root + "/_control/" + path, json=payload)
        response.raise_for_status()
        return response.json() if response.content else None


def script(base_url: str, reply: dict[str, Any], times: int) -> None:
    """Make the next ``times`` requests get ``reply`` (a ``Reply.to_json()`` dict)."""
    control(base_url, "reset", {})
    control(base_url, "enqueue", {"replies": [reply], "times": times})


def cpu_per_call(fn: Callable[[], Any], n: int, warmup: int = 5, repeats: int = 3) -> float:
    """Median over ``repeats`` of the client process's CPU seconds per call of ``fn``."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        gc.collect()
        start = time.process_time()
        for _ in range(n):
            fn()
        samples.append((time.process_time() - start) / n)
    return statistics.median(samples)


def wall(fn: Callable[[], Awaitable[Any]], repeats: int = 3) -> float:
    """Median wall seconds of ``asyncio.run(fn())``, after one warm-up run."""
    asyncio.run(fn())
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        asyncio.run(fn())
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def wall_sync(fn: Callable[[], Any], repeats: int = 3) -> float:
    fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def report(title: str, rows: list[tuple[str, float, str]], ratios: list[tuple[str, float, float]]) -> None:
    """Print measured rows and ratio checks (name, ratio, limit); exit 1 if a ratio is over its limit."""
    print(f"\n== {title}")
    for name, value, unit in rows:
        print(f"  {name:<58} {value:>12.3f} {unit}")
    failed = False
    for name, ratio, limit in ratios:
        ok = ratio <= limit
        failed |= not ok
        print(f"  {name:<58} {ratio:>8.2f}x  (limit {limit}x) {'ok' if ok else 'OVER'}")
    if os.environ.get("BENCH_JSON"):
        print(json.dumps({"title": title, "rows": rows, "ratios": ratios}))
    if failed and os.environ.get("BENCH_STRICT"):
        sys.exit(1)
