"""LlamaIndex benchmark, one run: raw httpx, a no-I/O LLM (the framework's own cost), GLM, OpenAILike
(pointed at the local server) and llama-index-llms-zhipuai's ZhipuAI, all on the same local GLM server.

    python -m bench.llamaindex

Measures the client process's CPU per non-streaming ``chat`` and per streamed chunk (a 2,000-chunk
answer) and prints the limit table (ours against raw httpx plus the floor, with the best peer). The
floor, ``FloorLLM``, replays the decoded wire JSON the server sent and builds ``ChatMessage`` and
``ChatResponse`` the way OpenAILike does (a validated message per chunk carrying the text so far),
under the same ``llm_chat_callback`` instrumentation.

Then: the wall time of 256 concurrent ``achat`` calls against raw httpx sending the same 256 requests
inside LlamaIndex (``FloorLLM.achat`` posting with an ``httpx.AsyncClient``: the framework's async
instrumentation costs about 0.5 ms per call at this concurrency, a third of the bare httpx wall, which no
provider can avoid) and bare;
GLMEmbedding's wall time on 256 texts against raw httpx sending the same 4 requests (and how many
requests each embedder makes); the CPU ``import llamaindex_glm`` adds over llama-index-core's LLM and
embedding bases (fresh processes, median of several).

The server runs as a subprocess with an ``id.secret`` key, so ZhipuAI's SDK can sign its JWT.
``BENCH_STRICT=1`` exits 1 when ours ÷ (httpx + floor) is over 1.2 on a row, the import adds more
than 40 ms, or another ratio is over its limit.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
import warnings
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms.callbacks import llm_chat_callback
from llama_index.core.llms.llm import LLM

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._common import (
    control,
    cpu_interleaved,
    import_checks,
    limit_table,
    local_server,
    raw_call,
    raw_stream,
    report,
    script,
)
from glm_transport.testing import Reply

KEY = "0123abcd.s3cr3t"  # id.secret: the zhipuai SDK always signs a JWT from it
MODEL = "glm-4-plus"  # no reasoning (so every client receives the same answer) and in ZhipuAI's list
CALLS = 100
FLOOR_CALLS = 400
STREAM_CHUNKS = 2_000
STREAM_CALLS = 5
CONCURRENT = 256
TEXTS = [f"Document {i}: notes on topic {i % 17}, with a few more words to embed." for i in range(256)]
PROMPT = "Say hello to the benchmark."
HEADERS = {"Authorization": f"Bearer {KEY}"}
LIMITS = httpx.Limits(max_connections=256, max_keepalive_connections=64)
INFO = float("inf")  # printed for information, no limit
INSIDE = "raw httpx inside LlamaIndex"


def _messages() -> list[Any]:
    return [ChatMessage(role="user", content=PROMPT)]


def _raw_body(stream: bool) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": PROMPT}], "stream": stream}


def _usage_kwargs(usage: dict[str, Any] | None) -> dict[str, Any]:
    usage = usage or {}
    return {key: usage.get(key) for key in ("prompt_tokens", "completion_tokens", "total_tokens")}


class FloorLLM(LLM):
    """No I/O: replays decoded wire JSON (``reply``, ``events``) as a provider converts it.

    Given ``http`` (an ``httpx.AsyncClient``) and ``url``, its ``achat`` posts with raw httpx instead: the
    row "raw httpx inside LlamaIndex" of the concurrency run.
    """

    reply: dict[str, Any]
    events: list[dict[str, Any]]
    http: Any = None
    url: str = ""

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="floor", is_chat_model=True)

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._response(self.reply)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        response = await self.http.post(self.url, json=_raw_body(False), headers=HEADERS)
        return self._response(response.json())

    @staticmethod
    def _response(body: dict[str, Any]) -> ChatResponse:
        message = body["choices"][0]["message"]
        return ChatResponse(
            message=ChatMessage(role=MessageRole.ASSISTANT, content=message["content"]),
            raw=body,
            additional_kwargs=_usage_kwargs(body.get("usage")),
        )

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        def gen() -> ChatResponseGen:
            text = ""
            for data in self.events:
                choices = data.get("choices")
                delta = (choices[0].get("delta") or {}).get("content") or "" if choices else ""
                text += delta
                yield ChatResponse(
                    message=ChatMessage(role=MessageRole.ASSISTANT, content=text),
                    delta=delta,
                    raw=data,
                    additional_kwargs=_usage_kwargs(data.get("usage")) if data.get("usage") else {},
                )

        return gen()

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        raise NotImplementedError

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        raise NotImplementedError

    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        raise NotImplementedError

    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        raise NotImplementedError

    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseAsyncGen:
        raise NotImplementedError


def _models(base: str) -> dict[str, Any]:
    from llama_index.llms.openai_like import OpenAILike
    from llama_index.llms.zhipuai import ZhipuAI

    from llamaindex_glm import GLM

    os.environ["ZHIPUAI_BASE_URL"] = base  # the zhipuai SDK reads its endpoint from here
    return {
        "GLM": GLM(model=MODEL, api_key=KEY, base_url=base, max_retries=0),
        "OpenAILike": OpenAILike(
            model=MODEL, api_key=KEY, api_base=base, is_chat_model=True, is_function_calling_model=True, max_retries=0
        ),
        "ZhipuAI": ZhipuAI(model=MODEL, api_key=KEY),
    }


def per_call(base: str, models: dict[str, Any], http: httpx.Client) -> tuple[dict[str, float], dict[str, Any]]:
    messages, url = _messages(), base + "/chat/completions"
    control(base, "reset", {})
    reply = raw_call(http, url, _raw_body(False), HEADERS)
    floor = FloorLLM(reply=reply, events=[])
    runs = {
        "raw httpx": (lambda: raw_call(http, url, _raw_body(False), HEADERS), CALLS),
        "floor": (lambda: floor.chat(messages), FLOOR_CALLS),
        **{name: (lambda m=model: m.chat(messages), CALLS) for name, model in models.items()},
    }
    return cpu_interleaved(runs), reply


def per_chunk(base: str, models: dict[str, Any], http: httpx.Client, reply: dict[str, Any]) -> dict[str, float]:
    messages, url = _messages(), base + "/chat/completions"
    script(base, Reply.chat(content="x" * (4 * STREAM_CHUNKS), chunks=STREAM_CHUNKS).to_json(), times=100_000)
    events = raw_stream(http, url, _raw_body(True), HEADERS)
    floor = FloorLLM(reply=reply, events=events)
    runs = {
        "raw httpx": (lambda: raw_stream(http, url, _raw_body(True), HEADERS), STREAM_CALLS),
        "floor": (lambda: sum(1 for _ in floor.stream_chat(messages)), STREAM_CALLS),
        **{name: (lambda m=model: sum(1 for _ in m.stream_chat(messages)), 1) for name, model in models.items()},
    }
    runs["GLM"] = (runs["GLM"][0], STREAM_CALLS)
    return {name: value / STREAM_CHUNKS for name, value in cpu_interleaved(runs, warmup=1).items()}


def concurrent(base: str) -> dict[str, float]:
    """Wall time of 256 concurrent ``achat`` calls, each client on the running loop."""
    from llama_index.llms.openai_like import OpenAILike

    from llamaindex_glm import GLM

    messages = _messages()

    async def glm() -> None:
        llm = GLM(model=MODEL, api_key=KEY, base_url=base, max_retries=0)
        try:
            await asyncio.gather(*(llm.achat(messages) for _ in range(CONCURRENT)))
        finally:
            await llm.aclose()

    async def openai_like() -> None:
        llm = OpenAILike(model=MODEL, api_key=KEY, api_base=base, is_chat_model=True, max_retries=0)
        try:
            await asyncio.gather(*(llm.achat(messages) for _ in range(CONCURRENT)))
        finally:
            await llm._get_aclient().close()

    async def inside() -> None:
        async with httpx.AsyncClient(limits=LIMITS, timeout=60) as http:
            llm = FloorLLM(reply={}, events=[], http=http, url=base + "/chat/completions")
            await asyncio.gather(*(llm.achat(messages) for _ in range(CONCURRENT)))

    async def raw() -> None:
        async with httpx.AsyncClient(limits=LIMITS, timeout=60) as client:
            url, body = base + "/chat/completions", _raw_body(False)
            responses = await asyncio.gather(*(client.post(url, json=body, headers=HEADERS) for _ in range(CONCURRENT)))
            for response in responses:
                response.json()

    control(base, "reset", {})
    return interleaved_walls({"GLM": glm, "OpenAILike": openai_like, INSIDE: inside, "raw httpx": raw})


def interleaved_walls(runs: dict[str, Callable[[], Awaitable[None]]], repeats: int = 5) -> dict[str, float]:
    """Median wall seconds of each run, the runs taking turns so a busy machine slows them alike."""
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for run in runs.values():
        asyncio.run(run())  # warm-up
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            asyncio.run(run())
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def embeddings(base: str) -> tuple[dict[str, float], dict[str, int]]:
    from llama_index.embeddings.zhipuai import ZhipuAIEmbedding

    from llamaindex_glm import GLMEmbedding

    async def glm() -> None:
        model = GLMEmbedding(api_key=KEY, base_url=base, max_retries=0)
        try:
            assert len(await model.aget_text_embedding_batch(TEXTS)) == len(TEXTS)
        finally:
            await model.aclose()

    async def zhipuai() -> None:
        model = ZhipuAIEmbedding(model="embedding-3", api_key=KEY, dimensions=2048)
        assert len(await model.aget_text_embedding_batch(TEXTS)) == len(TEXTS)

    async def raw() -> None:
        async with httpx.AsyncClient(timeout=60) as client:
            bodies = [{"model": "embedding-3", "input": TEXTS[i : i + 64]} for i in range(0, len(TEXTS), 64)]
            responses = await asyncio.gather(
                *(client.post(base + "/embeddings", json=b, headers=HEADERS) for b in bodies)
            )
            assert sum(len(r.json()["data"]) for r in responses) == len(TEXTS)

    runs = {"GLMEmbedding": glm, "ZhipuAIEmbedding": zhipuai, "raw httpx": raw}
    requests = {}
    for name, run in runs.items():
        control(base, "reset", {})
        asyncio.run(run())
        requests[name] = control(base, "requests?count=1")["count"]
    walls = interleaved_walls(runs)
    return walls, requests


def main() -> None:
    warnings.simplefilter("ignore")  # the zhipuai SDK's deprecation notices
    with local_server("--api-key", KEY) as base, httpx.Client(timeout=60) as http:
        models = _models(base)
        calls, reply = per_call(base, models, http)
        chunks = per_chunk(base, models, http, reply)
        models["GLM"].close()
        many = concurrent(base)
        embed_walls, embed_requests = embeddings(base)
    import_rows, import_ratios = import_checks(
        "llamaindex_glm",
        "import llama_index.core.llms.llm, llama_index.core.base.embeddings.base",
        "from llamaindex_glm import GLM, GLMEmbedding",
    )
    rows = [(f"CPU per chat call, {name}", value * 1e6, "us") for name, value in calls.items()]
    rows += [(f"CPU per streamed chunk ({STREAM_CHUNKS} chunks), {name}", v * 1e6, "us") for name, v in chunks.items()]
    rows += [(f"wall, {CONCURRENT} concurrent achat, {name}", v * 1e3, "ms") for name, v in many.items()]
    rows += [(f"wall, {len(TEXTS)} texts embedded, {name}", v * 1e3, "ms") for name, v in embed_walls.items()]
    rows += [(f"requests for {len(TEXTS)} texts, {name}", float(n), "requests") for name, n in embed_requests.items()]
    rows += import_rows
    peers = ("OpenAILike", "ZhipuAI")
    ratios = limit_table(
        [
            {
                "path": "LlamaIndex chat",
                "unit": "ms",
                "httpx": calls["raw httpx"],
                "floor": calls["floor"],
                "ours": calls["GLM"],
                "peers": {name: calls[name] for name in peers},
            },
            {
                "path": "LlamaIndex streamed chunk",
                "unit": "us",
                "httpx": chunks["raw httpx"],
                "floor": chunks["floor"],
                "ours": chunks["GLM"],
                "peers": {name: chunks[name] for name in peers},
            },
        ]
    )
    ratios += [
        ("GLM / OpenAILike, CPU per call", calls["GLM"] / calls["OpenAILike"], 0.7),
        ("GLM / OpenAILike, CPU per streamed chunk", chunks["GLM"] / chunks["OpenAILike"], 0.35),
        (f"GLM / {INSIDE}, wall of {CONCURRENT} concurrent achat", many["GLM"] / many[INSIDE], 1.2),
        (f"GLM / bare raw httpx, wall of {CONCURRENT} concurrent achat (info)", many["GLM"] / many["raw httpx"], INFO),
        ("GLMEmbedding / raw httpx, wall on 256 texts", embed_walls["GLMEmbedding"] / embed_walls["raw httpx"], 1.5),
        ("GLMEmbedding requests / 4", embed_requests["GLMEmbedding"] / 4, 1.0),
        *import_ratios,
    ]
    report("LlamaIndex: raw httpx, floor, GLM, OpenAILike, ZhipuAI (local GLM server)", rows, ratios)


if __name__ == "__main__":
    main()
