"""Fixtures for the LangChain adapter: ``ChatGLM``/``GLMEmbeddings`` bound to the local GLM server,
and ``chats.call``, which drives one call in any of the four modes (invoke, ainvoke, stream,
astream) so each behaviour is written once and parametrized over sync, async and streaming."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.runnables import Runnable

from glm_transport.testing import LocalGLMServer
from langchain_glm import ChatGLM, GLMEmbeddings
from langchain_glm._client import GLMConnection

MODES = ("invoke", "ainvoke", "stream", "astream")
STREAM_MODES = ("stream", "astream")
SYNC_ASYNC = ("sync", "async")
T = TypeVar("T")


class Models:
    """Makes models on the local server, runs coroutines with their async clients closed on the
    same loop, and closes everything at teardown."""

    def __init__(self, server: LocalGLMServer) -> None:
        self.server = server
        self.made: list[GLMConnection] = []

    def chat(self, **fields: Any) -> ChatGLM:
        fields.setdefault("api_key", self.server.api_key)
        fields.setdefault("base_url", self.server.base_url)
        fields.setdefault("model", "glm-4.7")
        model = ChatGLM(**fields)
        self.made.append(model)
        return model

    def embeddings(self, **fields: Any) -> GLMEmbeddings:
        fields.setdefault("api_key", self.server.api_key)
        fields.setdefault("base_url", self.server.base_url)
        model = GLMEmbeddings(**fields)
        self.made.append(model)
        return model

    def run(self, make: Callable[[], Awaitable[T]]) -> T:
        """``asyncio.run(make())``, closing every model's async client before the loop ends."""

        async def go() -> T:
            try:
                return await make()
            finally:
                for model in self.made:
                    await model.aclose()

        return asyncio.run(go())

    def chunks(self, runnable: Runnable[Any, Any], mode: str, value: Any, **kwargs: Any) -> list[AIMessageChunk]:
        """Every chunk of ``stream`` or ``astream``."""
        if mode == "stream":
            return list(runnable.stream(value, **kwargs))

        async def collect() -> list[AIMessageChunk]:
            return [chunk async for chunk in runnable.astream(value, **kwargs)]

        return self.run(collect)

    def call(self, runnable: Runnable[Any, Any], mode: str, value: Any, **kwargs: Any) -> AIMessage:
        """The answer of one call in ``mode``; streamed chunks are added up into one message."""
        if mode == "invoke":
            return runnable.invoke(value, **kwargs)  # type: ignore[no-any-return]
        if mode == "ainvoke":
            return self.run(lambda: runnable.ainvoke(value, **kwargs))
        chunks = self.chunks(runnable, mode, value, **kwargs)
        assert chunks, "the stream yielded nothing"
        total = chunks[0]
        for chunk in chunks[1:]:
            total = total + chunk
        return total

    def close(self) -> None:
        for model in self.made:
            model.close()


@pytest.fixture
def models(glm_server: LocalGLMServer) -> Iterator[Models]:
    made = Models(glm_server)
    yield made
    made.close()


@pytest.fixture
def chat(models: Models) -> ChatGLM:
    return models.chat()


def chat_bodies(server: LocalGLMServer) -> list[dict[str, Any]]:
    """The JSON bodies of the chat requests the server received, in order."""
    return [r.json for r in server.requests if r.path.endswith("/chat/completions")]


def last_body(server: LocalGLMServer) -> dict[str, Any]:
    bodies = chat_bodies(server)
    assert bodies, "no chat request reached the server"
    return bodies[-1]
