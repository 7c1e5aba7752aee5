"""Fixtures for the rerank / web search / token counting tests: the local server in the
environment, and ``run``, which calls a method or its ``a``-prefixed twin (sync or async)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from glm_transport.testing import LocalGLMServer

from .support import Runner


@pytest.fixture(params=["sync", "async"])
def run(request: pytest.FixtureRequest) -> Iterator[Runner]:
    runner = Runner(request.param)
    yield runner
    runner.close()


@pytest.fixture
def glm_env(glm_server: LocalGLMServer, monkeypatch: pytest.MonkeyPatch) -> LocalGLMServer:
    """The local server as ``ZHIPUAI_API_KEY`` / ``ZHIPUAI_BASE_URL``, as a user would configure it."""
    assert glm_server.api_key is not None
    monkeypatch.setenv("ZHIPUAI_API_KEY", glm_server.api_key)
    monkeypatch.setenv("ZHIPUAI_BASE_URL", glm_server.base_url)
    return glm_server
