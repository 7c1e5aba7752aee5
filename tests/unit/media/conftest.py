"""Fixtures for the media tests: ``client`` (a sync or async transport client, one test per mode),
``run`` (a method or its ``a``-twin) and the local server in the environment (``glm_env``)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from glm_transport import AsyncGLMClient, GLMClient
from glm_transport.testing import LocalGLMServer


class Mode:
    """Calls a transport helper's method on the sync client, or awaits it on the async one."""

    def __init__(self, name: str, server: LocalGLMServer) -> None:
        self.name = name
        self.loop = asyncio.new_event_loop() if name == "async" else None
        kwargs: dict[str, Any] = {"api_key": server.api_key, "base_url": server.base_url}
        self.client: GLMClient | AsyncGLMClient = AsyncGLMClient(**kwargs) if self.loop else GLMClient(**kwargs)

    def make(self, sync_cls: type, async_cls: type, *args: Any, **kwargs: Any) -> Any:
        return (async_cls if self.loop else sync_cls)(self.client, *args, **kwargs)

    def __call__(self, result: Any) -> Any:
        return self.loop.run_until_complete(result) if self.loop else result

    def close(self) -> None:
        if self.loop is not None:
            assert isinstance(self.client, AsyncGLMClient)
            self.loop.run_until_complete(self.client.aclose())
            self.loop.close()
        else:
            assert isinstance(self.client, GLMClient)
            self.client.close()


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest, glm_server: LocalGLMServer) -> Iterator[Mode]:
    driver = Mode(request.param, glm_server)
    yield driver
    driver.close()
