"""Run many chat calls at once, from threads (sync) or tasks (async), against one server."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from glm_transport import AsyncGLMClient, GLMClient, RetryPolicy
from glm_transport.testing import LocalGLMServer

CHAT = {"model": "glm-4-plus", "messages": [{"role": "user", "content": "hi"}]}


def client_kwargs(server: LocalGLMServer, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("retry_policy", RetryPolicy(max_retries=8, initial_delay=0.01, max_delay=0.05))
    return {"api_key": server.api_key, "base_url": server.base_url, **kwargs}


def run_chats(mode: str, server: LocalGLMServer, count: int, **kwargs: Any) -> list[Any]:
    """``count`` chats all issued at once; results (or exceptions) in order."""
    if mode == "sync":
        with GLMClient(**client_kwargs(server, **kwargs)) as client, ThreadPoolExecutor(count) as pool:
            futures = [pool.submit(client.chat, CHAT) for _ in range(count)]
            return [f.exception() or f.result() for f in futures]

    async def main() -> list[Any]:
        async with AsyncGLMClient(**client_kwargs(server, **kwargs)) as client:
            return list(await asyncio.gather(*(client.chat(CHAT) for _ in range(count)), return_exceptions=True))

    return asyncio.run(main())
