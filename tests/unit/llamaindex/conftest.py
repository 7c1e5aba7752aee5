"""Fixtures for the LlamaIndex adapter: models bound to the local GLM server, an offline tokenizer,
and ``run_chat``, which drives one chat call in any of the four modes so each behaviour is
written once and parametrized over sync, async and streaming."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest
from llama_index.core import Settings
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, CompletionResponse

from glm_transport.testing import LocalGLMServer
from llamaindex_glm import GLM, GLMEmbedding, GLMTokenizer

T = TypeVar("T")

CHAT_MODES = ("chat", "achat", "stream_chat", "astream_chat")
COMPLETE_MODES = ("complete", "acomplete", "stream_complete", "astream_complete")


async def with_peak_connections(server: LocalGLMServer, work: Awaitable[T]) -> tuple[T, int]:
    """``work``'s result and the most connections the server had open at once while it ran
    (sampled on the same event loop, so a blocked loop would show as no overlap)."""
    seen: list[int] = []

    async def sample() -> None:
        while True:
            seen.append(server.open_connections)
            await asyncio.sleep(0.005)

    sampler = asyncio.create_task(sample())
    try:
        return await work, max(seen, default=0)
    finally:
        sampler.cancel()


def run_chat(llm: GLM, mode: str, messages: list[ChatMessage], **kwargs: Any) -> list[ChatResponse]:
    """Every response the call produced: one for chat/achat, the snapshots of a stream."""
    if mode == "chat":
        return [llm.chat(messages, **kwargs)]
    if mode == "stream_chat":
        return list(llm.stream_chat(messages, **kwargs))

    async def go() -> list[ChatResponse]:
        try:
            if mode == "achat":
                return [await llm.achat(messages, **kwargs)]
            return [r async for r in await llm.astream_chat(messages, **kwargs)]
        finally:
            await llm.aclose()

    return asyncio.run(go())


def run_complete(llm: GLM, mode: str, prompt: str, **kwargs: Any) -> list[CompletionResponse]:
    if mode == "complete":
        return [llm.complete(prompt, **kwargs)]
    if mode == "stream_complete":
        return list(llm.stream_complete(prompt, **kwargs))

    async def go() -> list[CompletionResponse]:
        try:
            if mode == "acomplete":
                return [await llm.acomplete(prompt, **kwargs)]
            return [r async for r in await llm.astream_complete(prompt, **kwargs)]
        finally:
            await llm.aclose()

    return asyncio.run(go())


@pytest.fixture
def make_llm(glm_server: LocalGLMServer) -> Iterator[Callable[..., GLM]]:
    """``make_llm(**fields)``: a ``GLM`` on the local server; its sync client is closed afterwards."""
    made: list[GLM] = []

    def make(**fields: Any) -> GLM:
        fields.setdefault("api_key", glm_server.api_key)
        fields.setdefault("base_url", glm_server.base_url)
        llm = GLM(**fields)
        made.append(llm)
        return llm

    yield make
    for llm in made:
        llm.close()


@pytest.fixture
def llm(make_llm: Callable[..., GLM]) -> GLM:
    return make_llm(model="glm-4.7")


@pytest.fixture
def make_embedding(glm_server: LocalGLMServer) -> Iterator[Callable[..., GLMEmbedding]]:
    made: list[GLMEmbedding] = []

    def make(**fields: Any) -> GLMEmbedding:
        fields.setdefault("api_key", glm_server.api_key)
        fields.setdefault("base_url", glm_server.base_url)
        embedding = GLMEmbedding(**fields)
        made.append(embedding)
        return embedding

    yield make
    for embedding in made:
        embedding.close()


@pytest.fixture
def offline_settings() -> Iterator[None]:
    """``Settings.tokenizer`` set to the offline estimate (tiktoken is never consulted); every
    global setting restored afterwards."""
    import llama_index.core

    saved = dict(vars(Settings))
    saved_tokenizer = llama_index.core.global_tokenizer
    Settings.tokenizer = GLMTokenizer()
    yield
    vars(Settings).update(saved)
    llama_index.core.global_tokenizer = saved_tokenizer
