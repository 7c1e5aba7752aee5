"""glm_transport against raw httpx on the same local server, in one process run.

    python bench/transport.py

Prints client CPU per non-streaming call, client CPU per streamed chunk of a 2,000-chunk answer,
wall time of 256 concurrent async calls on one client, and import time, each as a ratio to raw
httpx doing the same requests. The server runs in a subprocess, so its CPU is not counted.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import API_KEY, cpu_per_call, local_server, report, script, wall

from glm_transport import AsyncGLMClient, GLMClient
from glm_transport.testing import Reply

CHUNKS = 2000
CALLS = 300
CONCURRENT = 256
REQUEST = {"model": "glm-4-plus", "messages": [{"role": "user", "content": "Say hello."}]}
LIMITS = httpx.Limits(max_connections=256, max_keepalive_connections=64)
HEADERS = {"Authorization": f"Bearer {API_KEY}"}


def raw_stream(http: httpx.Client, url: str) -> int:
    """What a careful hand-written client does: lines, ``data:`` prefix, JSON, stop at [DONE]."""
    count = 0
    with http.stream("POST", url, json={**REQUEST, "stream": True}, headers=HEADERS) as response:
        for line in response.iter_lines():
            if line.startswith("data:"):
                data = line[5:].strip()
                if data == "[DONE]":
                    continue
                json.loads(data)
                count += 1
    return count


def ours_stream(client: GLMClient) -> int:
    return sum(1 for _ in client.stream_chat(REQUEST))


def import_time(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    samples = sorted(float(subprocess.check_output([sys.executable, "-c", code], text=True)) for _ in range(5))
    return samples[2]


def main() -> None:
    with local_server() as base_url:
        url = base_url + "/chat/completions"
        http = httpx.Client(limits=LIMITS, timeout=60)
        client = GLMClient(api_key=API_KEY, base_url=base_url, timeout=60)

        script(base_url, Reply.chat("Hello there, how can I help you today?").to_json(), times=100_000)
        raw_call = cpu_per_call(lambda: http.post(url, json=REQUEST, headers=HEADERS).json(), CALLS)
        our_call = cpu_per_call(lambda: client.chat(REQUEST), CALLS)

        script(base_url, Reply.chat("tok " * CHUNKS, chunks=CHUNKS).to_json(), times=100_000)
        assert raw_stream(http, url) >= CHUNKS and ours_stream(client) >= CHUNKS
        raw_chunk = cpu_per_call(lambda: raw_stream(http, url), 5, warmup=1) / CHUNKS
        our_chunk = cpu_per_call(lambda: ours_stream(client), 5, warmup=1) / CHUNKS

        script(base_url, Reply.chat("Hello there, how can I help you today?").to_json(), times=100_000)

        async def raw_many() -> None:
            async with httpx.AsyncClient(limits=LIMITS, timeout=60) as ahttp:
                await asyncio.gather(*(ahttp.post(url, json=REQUEST, headers=HEADERS) for _ in range(CONCURRENT)))

        async def ours_many() -> None:
            async with AsyncGLMClient(api_key=API_KEY, base_url=base_url, timeout=60) as aclient:
                await asyncio.gather(*(aclient.chat(REQUEST) for _ in range(CONCURRENT)))

        raw_wall = wall(raw_many)
        our_wall = wall(ours_many)
        client.close()
        http.close()

    imp_httpx, imp_ours = import_time("httpx"), import_time("glm_transport")
    report(
        "glm_transport vs raw httpx (same local server, one process run)",
        [
            ("raw httpx: CPU per non-streaming call", raw_call * 1e3, "ms"),
            ("glm_transport: CPU per non-streaming call", our_call * 1e3, "ms"),
            (f"raw httpx: CPU per streamed chunk ({CHUNKS}-chunk answer)", raw_chunk * 1e6, "µs"),
            (f"glm_transport: CPU per streamed chunk ({CHUNKS}-chunk answer)", our_chunk * 1e6, "µs"),
            (f"raw httpx: wall for {CONCURRENT} concurrent async calls", raw_wall * 1e3, "ms"),
            (f"glm_transport: wall for {CONCURRENT} concurrent async calls", our_wall * 1e3, "ms"),
            ("import httpx", imp_httpx * 1e3, "ms"),
            ("import glm_transport (includes httpx and pydantic; PyJWT only when signing)", imp_ours * 1e3, "ms"),
        ],
        [
            ("CPU per call, glm_transport / raw httpx", our_call / raw_call, 1.3),
            ("CPU per streamed chunk, glm_transport / raw httpx", our_chunk / raw_chunk, 1.5),
            (f"{CONCURRENT} concurrent async calls wall, glm_transport / raw httpx", our_wall / raw_wall, 1.3),
        ],
    )


if __name__ == "__main__":
    main()
