"""Rerank benchmark, one run: 500 documents for one query (4 requests of at most 128 documents),
ours against raw httpx sending the same 4 requests, on the same local GLM server.

    python -m bench.rerank

Ours: ``GLMClient.rerank`` / ``AsyncGLMClient.rerank``, LangChain's ``GLMRerank.compress_documents``
and LlamaIndex's ``GLMRerank.postprocess_nodes`` (sync and async). Raw httpx: the same 4 bodies,
sequential on an ``httpx.Client`` and concurrent (``asyncio.gather``) on an ``httpx.AsyncClient``,
results merged by score. For each: requests the server saw for one call, median wall time and the
client process's CPU per call; then the same with the server holding every answer 50 ms, where
concurrency shows (4 × 50 ms sequential, about 50 ms concurrent). Ratios are to raw httpx plus the
framework's own cost of handing over the texts (LlamaIndex's ``get_content`` of 500 nodes, about 2 ms),
for wall time and for client CPU (the steadier figure when the machine is busy: with an instant
server, wall time is mostly the server's CPU). The server runs as a subprocess, so its CPU is not
the client's. Every call must send exactly 4 requests, or the run stops. ``BENCH_STRICT=1`` exits 1
when a ratio is over its limit.
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._common import API_KEY, control, cpu_per_call, local_server, report, script
from glm_transport.testing import Reply

N_DOCS = 500
BATCH = 128
TOP_N = 10
REPEATS = 40
LATENCY = 0.05
QUERY = "notes on topic 7 about reranking documents"
DOCS = [f"Document {i}: notes on topic {i % 23}, with a few words about search and ranking." for i in range(N_DOCS)]
HEADERS = {"Authorization": f"Bearer {API_KEY}"}
LIMIT = 1.2  # within 1.2x of raw httpx doing the same requests plus the framework's own cost

Timing = tuple[float, float]  # (wall seconds, client CPU seconds) per call, medians


# ---- raw httpx: what a careful hand-written client sends ------------------------------------


def raw_bodies() -> list[tuple[int, dict[str, Any]]]:
    return [
        (start, {"model": "rerank", "query": QUERY, "documents": DOCS[start : start + BATCH], "top_n": TOP_N})
        for start in range(0, N_DOCS, BATCH)
    ]


def raw_merge(parts: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, float]]:
    results = [(start + r["index"], r["relevance_score"]) for start, body in parts for r in body["results"]]
    results.sort(key=lambda item: (-item[1], item[0]))
    return results[:TOP_N]


def raw_sequential(http: httpx.Client, url: str) -> list[tuple[int, float]]:
    return raw_merge([(start, http.post(url, json=body, headers=HEADERS).json()) for start, body in raw_bodies()])


async def raw_concurrent(http: httpx.AsyncClient, url: str) -> list[tuple[int, float]]:
    parts = raw_bodies()
    responses = await asyncio.gather(*(http.post(url, json=body, headers=HEADERS) for _, body in parts))
    return raw_merge([(start, r.json()) for (start, _), r in zip(parts, responses, strict=True)])


# ---- timing -----------------------------------------------------------------------------------


def _median(samples: list[Timing]) -> Timing:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def time_sync(fns: dict[str, Callable[[], Any]]) -> dict[str, Timing]:
    """Median wall and CPU per call of each function, interleaved so drift hits all alike."""
    samples: dict[str, list[Timing]] = {name: [] for name in fns}
    for repeat in range(REPEATS + 3):
        for name, fn in fns.items():
            wall0, cpu0 = time.perf_counter(), time.process_time()
            fn()
            if repeat >= 3:  # warm-up rounds
                samples[name].append((time.perf_counter() - wall0, time.process_time() - cpu0))
    return {name: _median(timings) for name, timings in samples.items()}


async def time_async(fns: dict[str, Callable[[], Awaitable[Any]]]) -> dict[str, Timing]:
    samples: dict[str, list[Timing]] = {name: [] for name in fns}
    for repeat in range(REPEATS + 3):
        for name, fn in fns.items():
            wall0, cpu0 = time.perf_counter(), time.process_time()
            await fn()
            if repeat >= 3:
                samples[name].append((time.perf_counter() - wall0, time.process_time() - cpu0))
    return {name: _median(timings) for name, timings in samples.items()}


def request_count(base: str) -> int:
    return int(control(base, "requests?count=1")["count"])


def requests_per_call(base: str, fn: Callable[[], Any]) -> int:
    """How many requests the server received for one call of ``fn`` (the scripted replies stay)."""
    before = request_count(base)
    fn()
    return request_count(base) - before


# ---- the run ----------------------------------------------------------------------------------


Ours = tuple[dict[str, Callable[[], Any]], dict[str, Callable[[], Awaitable[Any]]], dict[str, float], list[Any]]


def _ours(base: str) -> Ours:
    """Our sync and async calls; each framework's own cost of giving us the texts (seconds of
    CPU per call: ``page_content`` of 500 documents, ``get_content`` of 500 nodes); the owned objects."""
    from langchain_core.documents import Document
    from llama_index.core.schema import MetadataMode, NodeWithScore, TextNode

    from glm_transport import AsyncGLMClient, GLMClient
    from langchain_glm import GLMRerank as LCRerank
    from llamaindex_glm import GLMRerank as LIRerank

    options: dict[str, Any] = {"api_key": API_KEY, "base_url": base, "timeout": 60}
    client, aclient = GLMClient(**options), AsyncGLMClient(**options)
    lc, li = LCRerank(top_n=TOP_N, **options), LIRerank(top_n=TOP_N, **options)
    documents = [Document(text, metadata={"i": i}) for i, text in enumerate(DOCS)]
    nodes = [NodeWithScore(node=TextNode(text=text, id_=str(i)), score=0.0) for i, text in enumerate(DOCS)]
    sync = {
        "GLMClient.rerank": lambda: client.rerank(QUERY, DOCS, top_n=TOP_N),
        "LangChain GLMRerank.compress_documents": lambda: lc.compress_documents(documents, QUERY),
        "LlamaIndex GLMRerank.postprocess_nodes": lambda: li.postprocess_nodes(nodes, query_str=QUERY),
    }
    async_ = {
        "AsyncGLMClient.rerank": lambda: aclient.rerank(QUERY, DOCS, top_n=TOP_N),
        "LangChain GLMRerank.acompress_documents": lambda: lc.acompress_documents(documents, QUERY),
        "LlamaIndex GLMRerank.apostprocess_nodes": lambda: li.apostprocess_nodes(nodes, query_str=QUERY),
    }
    costs = {
        "LangChain": cpu_per_call(lambda: [d.page_content for d in documents], 200),
        "LlamaIndex": cpu_per_call(lambda: [n.node.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes], 200),
    }
    return sync, async_, costs, [client, aclient, lc, li]


def framework_cost(name: str, costs: dict[str, float]) -> float:
    return next((cost for prefix, cost in costs.items() if name.startswith(prefix)), 0.0)


def measure(base: str, label: str) -> tuple[list[tuple[str, float, str]], list[tuple[str, float, float]]]:
    url = base + "/rerank"
    sync, async_, costs, owned = _ours(base)
    # The frameworks' import-time objects make each full GC pass cost tens of ms; leave them out
    # of the collector's work for every contestant alike.
    gc.collect()
    gc.freeze()
    http = httpx.Client(timeout=60)
    rows: list[tuple[str, float, str]] = []
    ratios: list[tuple[str, float, float]] = []

    def compare(name: str, ours: Timing, raw: Timing, what: str) -> list[tuple[str, float, float]]:
        cost = framework_cost(name, costs)
        return [
            (f"{name} / {what}, wall [{label}]", ours[0] / (raw[0] + cost), LIMIT),
            (f"{name} / {what}, client CPU [{label}]", ours[1] / (raw[1] + cost), LIMIT),
        ]

    for framework, cost in costs.items():
        rows.append((f"{framework}'s own cost: the 500 texts [{label}] CPU", cost * 1e3, "ms"))

    def row(name: str, timing: Timing, requests: int) -> None:
        if requests != -(-N_DOCS // BATCH):
            raise SystemExit(f"{name} sent {requests} requests for {N_DOCS} documents")
        rows.append((f"{name} [{label}] wall", timing[0] * 1e3, f"ms  ({requests} requests)"))
        rows.append((f"{name} [{label}] client CPU", timing[1] * 1e3, "ms"))

    raw_seq_name = "raw httpx, 4 requests sequential"
    sync = {raw_seq_name: lambda: raw_sequential(http, url), **sync}
    timings = time_sync(sync)
    for name, fn in sync.items():
        row(name, timings[name], requests_per_call(base, fn))
        if name != raw_seq_name:
            ratios.extend(compare(name, timings[name], timings[raw_seq_name], "raw sequential"))

    async def run_async() -> None:
        async with httpx.AsyncClient(timeout=60) as ahttp:
            raw_con_name = "raw httpx, 4 requests concurrent"
            fns = {raw_con_name: lambda: raw_concurrent(ahttp, url), **async_}
            timings = await time_async(fns)
            for name, fn in fns.items():
                before = request_count(base)
                await fn()
                row(name, timings[name], request_count(base) - before)
                if name != raw_con_name:
                    ratios.extend(compare(name, timings[name], timings[raw_con_name], "raw concurrent"))
            for obj in owned:
                if hasattr(obj, "aclose"):
                    await obj.aclose()

    asyncio.run(run_async())
    for obj in owned:
        if hasattr(obj, "close"):
            obj.close()
    http.close()
    return rows, ratios


def check_same_answer(base: str) -> None:
    """Every client must return the same top documents, or the timings compare different work."""
    from glm_transport import GLMClient

    with httpx.Client(timeout=60) as http, GLMClient(api_key=API_KEY, base_url=base) as client:
        raw = [index for index, _ in raw_sequential(http, base + "/rerank")]
        ours = [r.index for r in client.rerank(QUERY, DOCS, top_n=TOP_N).results]
    if raw != ours:
        raise SystemExit(f"different answers: raw {raw} vs ours {ours}")


def main() -> None:
    with local_server() as base:
        check_same_answer(base)
        control(base, "reset", {})
        rows, ratios = measure(base, "instant server")
        script(base, Reply.slow(LATENCY, before="headers").to_json(), times=1_000_000)
        slow_rows, slow_ratios = measure(base, f"server {LATENCY * 1e3:.0f} ms per answer")
    title = f"Rerank {N_DOCS} documents, top {TOP_N}: ours vs raw httpx, same local GLM server"
    report(title, rows + slow_rows, ratios + slow_ratios)


if __name__ == "__main__":
    main()
