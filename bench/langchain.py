"""LangChain benchmark, one run: ChatGLM against ChatOpenAI (pointed at the local server),
langchain-community's ChatZhipuAI and raw httpx, all on the same local GLM server.

    python -m bench.langchain

Measures the client process's CPU per non-streaming call and per streamed chunk (a 2,000-chunk
answer), and GLMEmbeddings' wall time on 256 texts against raw httpx sending the same 4 requests.
The server runs as a subprocess with an ``id.secret`` key, so ChatZhipuAI can sign its JWT and
every client authenticates. ``BENCH_STRICT=1`` exits 1 when a ratio is over its limit.
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

from bench._common import control, cpu_per_call, local_server, report, script, wall
from glm_transport.testing import Reply

KEY = "0123abcd.s3cr3t"  # id.secret: ChatZhipuAI always signs a JWT from it
MODEL = "glm-4-plus"  # no reasoning, so every client receives the same answer
CALLS = 200
STREAM_CHUNKS = 2_000
STREAM_CALLS = 5
TEXTS = [f"Document {i}: notes on topic {i % 17}, with a few more words to embed." for i in range(256)]
PROMPT = "Say hello to the benchmark."
INFO = float("inf")  # printed for information, no limit


def _clients(base: str) -> dict[str, Any]:
    from langchain_community.chat_models import ChatZhipuAI
    from langchain_openai import ChatOpenAI

    from langchain_glm import ChatGLM

    return {
        "ChatGLM": ChatGLM(model=MODEL, api_key=KEY, base_url=base, max_retries=0),
        "ChatOpenAI": ChatOpenAI(model=MODEL, api_key=KEY, base_url=base, max_retries=0),
        "ChatZhipuAI": ChatZhipuAI(model=MODEL, api_key=KEY, api_base=base + "/chat/completions"),
    }


def _raw_body(stream: bool) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": PROMPT}], "stream": stream}


def per_call(base: str, models: dict[str, Any], http: httpx.Client) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {KEY}"}
    control(base, "reset", {})
    results = {name: cpu_per_call(lambda m=model: m.invoke(PROMPT), CALLS) for name, model in models.items()}
    results["raw httpx"] = cpu_per_call(
        lambda: http.post(base + "/chat/completions", json=_raw_body(False), headers=headers).json(), CALLS
    )
    return results


def per_chunk(base: str, models: dict[str, Any], http: httpx.Client) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {KEY}"}
    reply = Reply.chat(content="x" * (4 * STREAM_CHUNKS), chunks=STREAM_CHUNKS).to_json()
    results = {}
    for name, model in models.items():
        script(base, reply, times=2 + 3 * STREAM_CALLS)
        results[name] = cpu_per_call(lambda m=model: sum(1 for _ in m.stream(PROMPT)), STREAM_CALLS, 2) / STREAM_CHUNKS

    def raw() -> None:
        body = _raw_body(True)
        with http.stream("POST", base + "/chat/completions", json=body, headers=headers) as response:
            for _ in response.iter_lines():
                pass

    script(base, reply, times=2 + 3 * STREAM_CALLS)
    results["raw httpx"] = cpu_per_call(raw, STREAM_CALLS, 2) / STREAM_CHUNKS
    return results


def embeddings(base: str) -> tuple[float, float, int, int]:
    from langchain_glm import GLMEmbeddings

    async def glm() -> None:
        model = GLMEmbeddings(api_key=KEY, base_url=base, max_retries=0)
        try:
            vectors = await model.aembed_documents(TEXTS)
            assert len(vectors) == len(TEXTS)
        finally:
            await model.aclose()

    async def raw() -> None:
        headers = {"Authorization": f"Bearer {KEY}"}
        async with httpx.AsyncClient(timeout=60) as client:
            bodies = [{"model": "embedding-3", "input": TEXTS[i : i + 64]} for i in range(0, len(TEXTS), 64)]
            responses = await asyncio.gather(
                *(client.post(base + "/embeddings", json=b, headers=headers) for b in bodies)
            )
            assert sum(len(r.json()["data"]) for r in responses) == len(TEXTS)

    control(base, "reset", {})
    asyncio.run(glm())
    glm_requests = control(base, "requests?count=1")["count"]
    control(base, "reset", {})
    asyncio.run(raw())
    raw_requests = control(base, "requests?count=1")["count"]
    return wall(glm), wall(raw), glm_requests, raw_requests


def main() -> None:
    warnings.simplefilter("ignore")  # ChatZhipuAI's deprecation notices
    with local_server("--api-key", KEY) as base, httpx.Client(timeout=60) as http:
        models = _clients(base)
        calls = per_call(base, models, http)
        chunks = per_chunk(base, models, http)
        glm_wall, raw_wall, glm_requests, raw_requests = embeddings(base)
        models["ChatGLM"].close()
    rows = [(f"CPU per call, {name}", value * 1e6, "us") for name, value in calls.items()]
    rows += [(f"CPU per streamed chunk ({STREAM_CHUNKS} chunks), {name}", v * 1e6, "us") for name, v in chunks.items()]
    rows += [
        (f"GLMEmbeddings.aembed_documents, {len(TEXTS)} texts, wall", glm_wall * 1e3, "ms"),
        (f"raw httpx, the same {raw_requests} requests, wall", raw_wall * 1e3, "ms"),
        ("GLMEmbeddings requests sent", float(glm_requests), "requests"),
    ]
    ratios = [
        ("ChatGLM / ChatOpenAI, CPU per call", calls["ChatGLM"] / calls["ChatOpenAI"], 0.7),
        ("ChatGLM / ChatOpenAI, CPU per streamed chunk", chunks["ChatGLM"] / chunks["ChatOpenAI"], 0.35),
        ("ChatGLM / raw httpx, CPU per call (info)", calls["ChatGLM"] / calls["raw httpx"], INFO),
        ("ChatGLM / ChatZhipuAI, CPU per call (info)", calls["ChatGLM"] / calls["ChatZhipuAI"], INFO),
        ("ChatGLM / raw httpx, CPU per streamed chunk (info)", chunks["ChatGLM"] / chunks["raw httpx"], INFO),
        ("ChatGLM / ChatZhipuAI, CPU per streamed chunk (info)", chunks["ChatGLM"] / chunks["ChatZhipuAI"], INFO),
        ("ChatOpenAI / raw httpx, CPU per streamed chunk (info)", chunks["ChatOpenAI"] / chunks["raw httpx"], INFO),
        ("GLMEmbeddings / raw httpx, wall on 256 texts", glm_wall / raw_wall, 1.5),
        ("GLMEmbeddings requests / 4", glm_requests / 4, 1.0),
    ]
    report("LangChain: ChatGLM vs ChatOpenAI vs ChatZhipuAI vs raw httpx (local GLM server)", rows, ratios)


if __name__ == "__main__":
    main()
