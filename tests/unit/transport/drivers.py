"""One interface over ``GLMClient`` and ``AsyncGLMClient`` so each behaviour is tested once,
parametrized over sync and async. The async driver runs every call on one event loop of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from glm_transport import AsyncGLMClient, GLMClient
from glm_transport.types import ChatCompletionChunk


class SyncDriver:
    mode = "sync"

    def __init__(self, **kwargs: Any) -> None:
        self.client = GLMClient(**kwargs)

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.client, method)(*args, **kwargs)

    def stream(self, request: Mapping[str, Any], limit: int | None = None) -> list[ChatCompletionChunk]:
        chunks = []
        for chunk in self.client.stream_chat(request):
            chunks.append(chunk)
            if limit is not None and len(chunks) >= limit:
                break
        return chunks

    def active_connections(self) -> int:
        pool = self.client.http_client._transport._pool  # type: ignore[attr-defined]
        return sum(1 for conn in pool.connections if not (conn.is_idle() or conn.is_closed()))

    def close(self) -> None:
        self.client.close()


class AsyncDriver:
    mode = "async"

    def __init__(self, **kwargs: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.client = AsyncGLMClient(**kwargs)

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.loop.run_until_complete(getattr(self.client, method)(*args, **kwargs))

    def stream(self, request: Mapping[str, Any], limit: int | None = None) -> list[ChatCompletionChunk]:
        async def collect() -> list[ChatCompletionChunk]:
            chunks = []
            stream = await self.client.stream_chat(request)
            gen = stream.__aiter__()
            try:
                async for chunk in gen:
                    chunks.append(chunk)
                    if limit is not None and len(chunks) >= limit:
                        break
            finally:
                await gen.aclose()
            return chunks

        return self.loop.run_until_complete(collect())

    def active_connections(self) -> int:
        async def count() -> int:
            pool = self.client._http._transport._pool  # type: ignore[union-attr]
            return sum(1 for conn in pool.connections if not (conn.is_idle() or conn.is_closed()))

        return self.loop.run_until_complete(count())

    def close(self) -> None:
        if not self.loop.is_closed():
            self.loop.run_until_complete(self.client.aclose())
            self.loop.close()


Driver = SyncDriver | AsyncDriver
