"""LangChain benchmark, one run: raw httpx, a no-I/O chat model (the framework's own cost), ChatGLM,
ChatOpenAI (pointed at the local server) and langchain-community's ChatZhipuAI, on one local server.

    python -m bench.langchain

Measures the client process's CPU per ``invoke`` and per streamed chunk (a 2,000-chunk answer), prints
the limit table (ours against raw httpx plus the floor, with the best peer), GLMEmbeddings' wall time on
256 texts against raw httpx sending the same 4 requests, and the CPU ``import langchain_glm`` adds over
langchain-core's chat model and embeddings (fresh processes, median of several).

The floor, ``FloorChatModel``, is a ``BaseChatModel`` that replays the decoded wire JSON the server
sent, building ``AIMessage``/``AIMessageChunk`` and ``ChatGenerationChunk`` the way ChatOpenAI does (a
validated message chunk per token, usage on the last). ``invoke``/``stream`` then run langchain-core's
whole path (callbacks, ids, the final merge) with no network: what any provider pays, however fast.

The server runs as a subprocess with an ``id.secret`` key, so ChatZhipuAI can sign its JWT and every
client authenticates. ``BENCH_STRICT=1`` exits 1 when ours ÷ (httpx + floor) is over 1.2 on a row, when
the import adds more than 40 ms, or when another ratio is over its limit.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

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
    wall,
)
from glm_transport.testing import Reply

KEY = "0123abcd.s3cr3t"  # id.secret: ChatZhipuAI always signs a JWT from it
MODEL = "glm-4-plus"  # no reasoning, so every client receives the same answer
CALLS = 100
FLOOR_CALLS = 400
STREAM_CHUNKS = 2_000
STREAM_CALLS = 5
TEXTS = [f"Document {i}: notes on topic {i % 17}, with a few more words to embed." for i in range(256)]
PROMPT = "Say hello to the benchmark."
HEADERS = {"Authorization": f"Bearer {KEY}"}
INFO = float("inf")  # printed for information, no limit
INSIDE = "raw httpx inside LangChain"


def _usage(usage: dict[str, Any]) -> UsageMetadata:
    return UsageMetadata(
        input_tokens=usage.get("prompt_tokens", 0),
        output_tokens=usage.get("completion_tokens", 0),
        total_tokens=usage.get("total_tokens", 0),
    )


class FloorChatModel(BaseChatModel):
    """No I/O: replays decoded wire JSON (``reply``, ``events``) as a provider converts it.

    Given ``http`` (an ``httpx.Client``) and ``url``, it makes the raw httpx call instead: the
    information row "raw httpx inside LangChain", where the framework's code runs between socket
    reads as a real provider's does.
    """

    reply: dict[str, Any]
    events: list[dict[str, Any]]
    http: Any = None
    url: str = ""

    def _reply(self) -> dict[str, Any]:
        return self.reply if self.http is None else raw_call(self.http, self.url, _raw_body(False), HEADERS)

    def _events(self) -> Iterator[dict[str, Any]]:
        if self.http is None:
            yield from self.events
            return
        with self.http.stream("POST", self.url, json=_raw_body(True), headers=HEADERS) as response:
            for line in response.iter_lines():
                if line.startswith("data:") and line[5:].strip() != "[DONE]":
                    yield json.loads(line[5:])

    @property
    def _llm_type(self) -> str:
        return "floor"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        body = self._reply()
        choice = body["choices"][0]
        message = AIMessage(
            content=choice["message"]["content"],
            id=body["id"],
            usage_metadata=_usage(body["usage"]),
            response_metadata={
                "model_name": body["model"],
                "finish_reason": choice["finish_reason"],
                "model_provider": "zhipuai",
            },
        )
        generation = ChatGeneration(message=message, generation_info={"finish_reason": choice["finish_reason"]})
        return ChatResult(
            generations=[generation], llm_output={"model_name": body["model"], "token_usage": body["usage"]}
        )

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> Iterator[ChatGenerationChunk]:
        usage = finish = model = None
        for data in self._events():
            usage = data.get("usage") or usage
            choices = data.get("choices")
            if not choices:
                continue
            choice = choices[0]
            finish = choice.get("finish_reason") or finish
            model = data.get("model")
            content = choice["delta"].get("content")
            if content:
                chunk = AIMessageChunk(content=content, id=data["id"])
                chunk.response_metadata["model_provider"] = "zhipuai"
                yield ChatGenerationChunk(message=chunk)
        last = AIMessageChunk(
            content="",
            usage_metadata=_usage(usage or {}),
            response_metadata={"model_name": model, "finish_reason": finish, "model_provider": "zhipuai"},
            chunk_position="last",
        )
        yield ChatGenerationChunk(message=last, generation_info={"finish_reason": finish, "model_name": model})


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


def per_call(base: str, models: dict[str, Any], http: httpx.Client) -> tuple[dict[str, float], dict[str, Any]]:
    url = base + "/chat/completions"
    control(base, "reset", {})
    reply = raw_call(http, url, _raw_body(False), HEADERS)
    floor = FloorChatModel(reply=reply, events=[])
    inside = FloorChatModel(reply={}, events=[], http=http, url=url)
    runs = {
        "raw httpx": (lambda: raw_call(http, url, _raw_body(False), HEADERS), CALLS),
        "floor": (lambda: floor.invoke(PROMPT), FLOOR_CALLS),
        INSIDE: (lambda: inside.invoke(PROMPT), CALLS),
        **{name: (lambda m=model: m.invoke(PROMPT), CALLS) for name, model in models.items()},
    }
    return cpu_interleaved(runs), reply


def per_chunk(base: str, models: dict[str, Any], http: httpx.Client, reply: dict[str, Any]) -> dict[str, float]:
    url = base + "/chat/completions"
    script(base, Reply.chat(content="x" * (4 * STREAM_CHUNKS), chunks=STREAM_CHUNKS).to_json(), times=100_000)
    events = raw_stream(http, url, _raw_body(True), HEADERS)
    floor = FloorChatModel(reply=reply, events=events)
    inside = FloorChatModel(reply={}, events=[], http=http, url=url)
    runs = {
        "raw httpx": (lambda: raw_stream(http, url, _raw_body(True), HEADERS), STREAM_CALLS),
        "floor": (lambda: sum(1 for _ in floor.stream(PROMPT)), STREAM_CALLS),
        INSIDE: (lambda: sum(1 for _ in inside.stream(PROMPT)), STREAM_CALLS),
        **{name: (lambda m=model: sum(1 for _ in m.stream(PROMPT)), 1) for name, model in models.items()},
    }
    runs["ChatGLM"] = (runs["ChatGLM"][0], STREAM_CALLS)
    return {name: value / STREAM_CHUNKS for name, value in cpu_interleaved(runs, warmup=1).items()}


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
        async with httpx.AsyncClient(timeout=60) as client:
            bodies = [{"model": "embedding-3", "input": TEXTS[i : i + 64]} for i in range(0, len(TEXTS), 64)]
            responses = await asyncio.gather(
                *(client.post(base + "/embeddings", json=b, headers=HEADERS) for b in bodies)
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
        calls, reply = per_call(base, models, http)
        chunks = per_chunk(base, models, http, reply)
        glm_wall, raw_wall, glm_requests, raw_requests = embeddings(base)
        models["ChatGLM"].close()
    import_rows, import_ratios = import_checks(
        "langchain_glm",
        "import langchain_core.language_models.chat_models, langchain_core.embeddings",
        "from langchain_glm import ChatGLM, GLMEmbeddings",
        peer=("langchain_openai", "from langchain_openai import ChatOpenAI, OpenAIEmbeddings"),
    )
    rows = [(f"CPU per invoke, {name}", value * 1e6, "us") for name, value in calls.items()]
    rows += [(f"CPU per streamed chunk ({STREAM_CHUNKS} chunks), {name}", v * 1e6, "us") for name, v in chunks.items()]
    rows += [
        (f"GLMEmbeddings.aembed_documents, {len(TEXTS)} texts, wall", glm_wall * 1e3, "ms"),
        (f"raw httpx, the same {raw_requests} requests, wall", raw_wall * 1e3, "ms"),
        ("GLMEmbeddings requests sent", float(glm_requests), "requests"),
        *import_rows,
    ]
    peers = ("ChatOpenAI", "ChatZhipuAI")
    ratios = limit_table(
        [
            {
                "path": "LangChain invoke",
                "unit": "ms",
                "httpx": calls["raw httpx"],
                "floor": calls["floor"],
                "ours": calls["ChatGLM"],
                "peers": {name: calls[name] for name in peers},
            },
            {
                "path": "LangChain streamed chunk",
                "unit": "us",
                "httpx": chunks["raw httpx"],
                "floor": chunks["floor"],
                "ours": chunks["ChatGLM"],
                "peers": {name: chunks[name] for name in peers},
            },
        ]
    )
    ratios += [
        ("ChatGLM / raw httpx inside LangChain, per invoke (info)", calls["ChatGLM"] / calls[INSIDE], INFO),
        ("ChatGLM / raw httpx inside LangChain, per chunk (info)", chunks["ChatGLM"] / chunks[INSIDE], INFO),
        ("ChatGLM / ChatOpenAI, CPU per call", calls["ChatGLM"] / calls["ChatOpenAI"], 0.7),
        ("ChatGLM / ChatOpenAI, CPU per streamed chunk", chunks["ChatGLM"] / chunks["ChatOpenAI"], 0.35),
        ("ChatGLM / ChatZhipuAI, CPU per call (info)", calls["ChatGLM"] / calls["ChatZhipuAI"], INFO),
        ("ChatGLM / ChatZhipuAI, CPU per streamed chunk (info)", chunks["ChatGLM"] / chunks["ChatZhipuAI"], INFO),
        ("GLMEmbeddings / raw httpx, wall on 256 texts", glm_wall / raw_wall, 1.5),
        ("GLMEmbeddings requests / 4", glm_requests / 4, 1.0),
        *import_ratios,
    ]
    report("LangChain: raw httpx, floor, ChatGLM, ChatOpenAI, ChatZhipuAI (local GLM server)", rows, ratios)


if __name__ == "__main__":
    main()
