"""glm_transport against raw httpx and the official zhipuai SDK on the same local server, in one run.

    python -m bench.transport

Prints client CPU per non-streaming call, client CPU per streamed chunk of a 2,000-chunk answer,
wall time of 256 concurrent async calls on one client, each as a ratio to raw httpx doing the same
requests (a careful hand-written client: post and decode JSON; lines, ``data:``, JSON, ``[DONE]``),
and the CPU ``import glm_transport`` adds over httpx and pydantic (fresh processes, median of
several). The server runs in a subprocess, so its CPU is not counted. ``BENCH_STRICT=1`` exits 1
when the transport costs more than raw httpx per call, when the import adds more than 40 ms, or when
another ratio is over its limit.
"""

from __future__ import annotations

import asyncio
import os
import sys
import warnings
from typing import Any

import httpx

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._common import cpu_per_call, import_checks, local_server, raw_call, raw_stream, report, script, wall
from glm_transport import AsyncGLMClient, GLMClient
from glm_transport.testing import Reply

KEY = "0123abcd.s3cr3t"  # id.secret: the zhipuai SDK always signs a JWT from it
CHUNKS = 2000
CALLS = 300
CONCURRENT = 256
REQUEST: dict[str, Any] = {"model": "glm-4-plus", "messages": [{"role": "user", "content": "Say hello."}]}
LIMITS = httpx.Limits(max_connections=256, max_keepalive_connections=64)
HEADERS = {"Authorization": f"Bearer {KEY}"}


def main() -> None:
    from zhipuai import ZhipuAI

    warnings.simplefilter("ignore")
    with local_server("--api-key", KEY) as base_url:
        url = base_url + "/chat/completions"
        http = httpx.Client(limits=LIMITS, timeout=60)
        client = GLMClient(api_key=KEY, base_url=base_url, timeout=60)
        sdk = ZhipuAI(api_key=KEY, base_url=base_url, max_retries=0)

        script(base_url, Reply.chat("Hello there, how can I help you today?").to_json(), times=100_000)
        raw_call_cpu = cpu_per_call(lambda: raw_call(http, url, REQUEST, HEADERS), CALLS)
        our_call = cpu_per_call(lambda: client.chat(REQUEST), CALLS)
        sdk_call = cpu_per_call(lambda: sdk.chat.completions.create(**REQUEST), CALLS // 3)

        script(base_url, Reply.chat("tok " * CHUNKS, chunks=CHUNKS).to_json(), times=100_000)
        streamed = {**REQUEST, "stream": True}
        assert len(raw_stream(http, url, streamed, HEADERS)) >= CHUNKS
        assert sum(1 for _ in client.stream_chat(REQUEST)) >= CHUNKS
        raw_chunk = cpu_per_call(lambda: raw_stream(http, url, streamed, HEADERS), 5, warmup=1) / CHUNKS
        our_chunk = cpu_per_call(lambda: sum(1 for _ in client.stream_chat(REQUEST)), 5, warmup=1) / CHUNKS
        sdk_chunk = cpu_per_call(lambda: sum(1 for _ in sdk.chat.completions.create(**streamed)), 2, 1) / CHUNKS

        script(base_url, Reply.chat("Hello there, how can I help you today?").to_json(), times=100_000)

        async def raw_many() -> None:
            async with httpx.AsyncClient(limits=LIMITS, timeout=60) as ahttp:
                await asyncio.gather(*(ahttp.post(url, json=REQUEST, headers=HEADERS) for _ in range(CONCURRENT)))

        async def ours_many() -> None:
            async with AsyncGLMClient(api_key=KEY, base_url=base_url, timeout=60) as aclient:
                await asyncio.gather(*(aclient.chat(REQUEST) for _ in range(CONCURRENT)))

        raw_wall = wall(raw_many)
        our_wall = wall(ours_many)
        client.close()
        http.close()

    import_rows, import_ratios = import_checks(
        "glm_transport",
        "import httpx; from pydantic import BaseModel, Field, SecretStr",
        "from glm_transport import GLMClient",
    )
    print("\n| path | httpx | ours | ratio | zhipuai SDK |")
    print("|---|---|---|---|---|")
    print(
        f"| transport call / chunk | {raw_call_cpu * 1e3:.3f} ms / {raw_chunk * 1e6:.1f} us "
        f"| {our_call * 1e3:.3f} ms / {our_chunk * 1e6:.1f} us "
        f"| {our_call / raw_call_cpu:.2f}x / {our_chunk / raw_chunk:.2f}x "
        f"| {sdk_call / raw_call_cpu:.1f}x / {sdk_chunk / raw_chunk:.1f}x |"
    )
    report(
        "glm_transport vs raw httpx vs the zhipuai SDK (same local server, one process run)",
        [
            ("raw httpx: CPU per non-streaming call", raw_call_cpu * 1e3, "ms"),
            ("glm_transport: CPU per non-streaming call", our_call * 1e3, "ms"),
            ("zhipuai SDK: CPU per non-streaming call", sdk_call * 1e3, "ms"),
            (f"raw httpx: CPU per streamed chunk ({CHUNKS}-chunk answer)", raw_chunk * 1e6, "us"),
            (f"glm_transport: CPU per streamed chunk ({CHUNKS}-chunk answer)", our_chunk * 1e6, "us"),
            (f"zhipuai SDK: CPU per streamed chunk ({CHUNKS}-chunk answer)", sdk_chunk * 1e6, "us"),
            (f"raw httpx: wall for {CONCURRENT} concurrent async calls", raw_wall * 1e3, "ms"),
            (f"glm_transport: wall for {CONCURRENT} concurrent async calls", our_wall * 1e3, "ms"),
            *import_rows,
        ],
        [
            ("CPU per call, glm_transport / raw httpx", our_call / raw_call_cpu, 1.0),
            ("CPU per streamed chunk, glm_transport / raw httpx", our_chunk / raw_chunk, 1.5),
            (f"{CONCURRENT} concurrent async calls wall, glm_transport / raw httpx", our_wall / raw_wall, 1.3),
            *import_ratios,
        ],
    )


if __name__ == "__main__":
    main()
