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
import tempfile
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


# ------------------------------------------------------------------ raw httpx, the wire's own cost


def raw_call(http: httpx.Client, url: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    """One non-streaming call the way a careful hand-written client makes it: post, decode JSON."""
    return http.post(url, json=body, headers=headers).json()


def raw_stream(http: httpx.Client, url: str, body: dict[str, Any], headers: dict[str, str]) -> list[Any]:
    """One streamed call the way a careful hand-written client reads it: lines, ``data:``, JSON, ``[DONE]``.

    Returns the decoded events, which the no-I/O floors replay.
    """
    events = []
    loads = json.loads
    with http.stream("POST", url, json=body, headers=headers) as response:
        for line in response.iter_lines():
            if line.startswith("data:"):
                data = line[5:].strip()
                if data != "[DONE]":
                    events.append(loads(data))
    return events


# ------------------------------------------------------------------ the limit: httpx + the framework's floor

STRICT_RATIO = 1.2  # ours / (raw httpx + the framework's no-I/O floor)
STRICT_IMPORT_MS = 40.0  # CPU a package's import adds over the framework it plugs into


def limit_table(rows: list[dict[str, Any]]) -> list[tuple[str, float, float]]:
    """Print the limit table; return its ratios as ``report`` checks (limit ``STRICT_RATIO``).

    Each row: ``path``, ``unit`` (``"ms"``/``"us"``), ``httpx``, ``floor``, ``ours`` (seconds) and
    ``peers`` (name -> seconds).
    """
    print("\n| path | limit = httpx + framework | ours | ratio to limit | best peer |")
    print("|---|---|---|---|---|")
    checks = []
    for row in rows:
        scale = 1e3 if row["unit"] == "ms" else 1e6
        fmt = "{:.3f}" if row["unit"] == "ms" else "{:.1f}"
        httpx_, floor, ours = (row[key] * scale for key in ("httpx", "floor", "ours"))
        limit = httpx_ + floor
        ratio = ours / limit
        peer = min(row["peers"].items(), key=lambda item: item[1]) if row["peers"] else None
        peer_text = f"{peer[0]} {fmt.format(peer[1] * scale)} {row['unit']}" if peer else ""
        print(
            f"| {row['path']} | {fmt.format(httpx_)} + {fmt.format(floor)} = {fmt.format(limit)} {row['unit']} "
            f"| {fmt.format(ours)} {row['unit']} | {ratio:.2f}x | {peer_text} |"
        )
        checks.append((f"{row['path']}: ours / (httpx + framework floor)", ratio, STRICT_RATIO))
    return checks


# ------------------------------------------------------------------ import CPU, fresh processes

_IMPORT_CODE = """
import time
t0 = time.process_time()
{base}
t1 = time.process_time()
{ours}
t2 = time.process_time()
print(t1 - t0, t2 - t1)
"""


def import_cpu(base: str, ours: str, repeats: int = 7) -> tuple[float, float]:
    """Median CPU seconds of ``base`` (import statements) and of ``ours`` run after it, each in a
    fresh interpreter: ``(base, added)``. The added figure is what ``ours`` costs over the framework.

    Bytecode is cached (in a temporary prefix, after a warm-up run) as in an installed package: with
    ``PYTHONDONTWRITEBYTECODE`` set, every run would compile our sources and count the compiler.
    """
    code = _IMPORT_CODE.format(base=base, ours=ours)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "glm-bench-pycache")
    subprocess.check_output([sys.executable, "-c", code], text=True, env=env)
    bases, added = [], []
    for _ in range(repeats):
        out = subprocess.check_output([sys.executable, "-c", code], text=True, env=env)
        first, second = out.split()
        bases.append(float(first))
        added.append(float(second))
    return statistics.median(bases), statistics.median(added)


def import_checks(
    label: str, base: str, ours: str, peer: tuple[str, str] | None = None
) -> tuple[list[tuple[str, float, str]], list[tuple[str, float, float]]]:
    """Rows and checks for one package's import: CPU over ``base``, limit ``STRICT_IMPORT_MS``.

    ``peer``: (label, import statements) timed alone in total against ours alone, for information.
    """
    base_cpu, added = import_cpu(base, ours)
    rows = [
        (f"import CPU, {label}'s framework ({base.strip()})", base_cpu * 1e3, "ms"),
        (f"import CPU added by {label} over it", added * 1e3, "ms"),
    ]
    checks = [(f"import CPU added by {label} (ms) / {STRICT_IMPORT_MS:.0f} ms", added * 1e3 / STRICT_IMPORT_MS, 1.0)]
    if peer is not None:
        _, ours_alone = import_cpu("pass", ours)
        _, peer_alone = import_cpu("pass", peer[1])
        rows += [
            (f"import CPU in total, {label}", ours_alone * 1e3, "ms"),
            (f"import CPU in total, {peer[0]}", peer_alone * 1e3, "ms"),
        ]
        checks.append((f"import CPU in total, {peer[0]} / {label} (info)", peer_alone / ours_alone, float("inf")))
    return rows, checks


def cpu_interleaved(
    runs: dict[str, tuple[Callable[[], Any], int]], repeats: int = 7, warmup: int = 2
) -> dict[str, float]:
    """Median CPU seconds per call of each ``(fn, calls)``, the runs taking turns round by round, so
    a machine shared with other work slows them alike and their ratios hold."""
    for fn, _ in runs.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, (fn, calls) in runs.items():
            gc.collect()
            start = time.process_time()
            for _ in range(calls):
                fn()
            samples[name].append((time.process_time() - start) / calls)
    return {name: statistics.median(values) for name, values in samples.items()}
